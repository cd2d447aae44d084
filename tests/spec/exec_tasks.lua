-- Tasks for exec_spec: each runs in a worker's own Lua state, so this module
-- is required once per worker and its upvalues are per worker.
local M = {}

local worker_id

--- init: remember which worker this state belongs to.
function M.init(worker)
  worker_id = worker
end

--- init that loads the whole zenml package, to measure a worker's real cost.
function M.load_zenml()
  require "zenml"
end

--- Echo the node, its argument and the worker.
function M.echo(name, arg, worker)
  return string.format("%s:%s:%d:%s", name, arg or "-", worker, tostring(worker_id))
end

--- Fail on nodes whose argument is "fail".
function M.maybe_fail(name, arg)
  if arg == "fail" then
    error("task " .. name .. " was told to fail")
  end
  return name
end

function M.returns_table()
  return {}
end

function M.nothing() end

--- CPU-bound work: a loop long enough to measure (arg = iterations).
function M.burn(_, arg)
  local n, x = tonumber(arg) or 2000000, 0
  for i = 1, n do x = x + (i % 7) * 0.5 end
  return tostring(x)
end

--- CPU-bound work that meets another task: leave a marker named after the
--- node in folder `arg`, then burn until a second marker is there (at most
--- 30 s), then burn a while more. Two such tasks on two workers overlap
--- however slowly the second worker starts (a loaded machine, ASan).
function M.burn_pair(name, arg)
  local f = assert(io.open(arg .. "/" .. name, "w"))
  f:close()
  local deadline, x = os.time() + 30, 0
  repeat
    for i = 1, 20000 do x = x + (i % 7) * 0.5 end
    local p = io.popen("ls '" .. arg .. "' | wc -l")
    local n = tonumber(p:read("a"))
    p:close()
  until n >= 2 or os.time() > deadline
  for i = 1, 200000 do x = x + (i % 7) * 0.5 end
  return tostring(x)
end

--- map task: the square of the item, as a string.
function M.square(i, arg, worker)
  if arg == "fail7" and i == 7 then error("item seven is bad") end
  return tostring(i * i)
end

--- Sleep in a busy loop for arg seconds (for cancellation tests).
function M.busy(_, arg)
  local t = os.clock() + (tonumber(arg) or 0.05)
  while os.clock() < t do end
  return "done"
end

--- The collector's mode in this worker's state (switching to generational
--- returns the mode that was in effect).
function M.gc_mode()
  return collectgarbage("generational")
end

--- The node's name joined to its dependencies' results, sorted: what a
--- task was handed by the scheduler.
function M.with_deps(name, _, _, deps)
  local parts = {}
  for dep, result in pairs(deps) do parts[#parts + 1] = dep .. "=" .. result end
  table.sort(parts)
  return name .. "(" .. table.concat(parts, ",") .. ")"
end

return M
