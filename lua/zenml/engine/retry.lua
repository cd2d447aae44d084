--- Retries and timeouts of steps (docs/pipelines.md, "Retries, timeouts,
--- hooks"): the step options that set them, checked where a step is built;
--- what kind of failure an attempt had; whether another attempt follows, and
--- after how long; the deadline that ends a step's code in its own Lua state.
local core = require "zenml._core"
local errors = require "zenml.errors"

local M = {}

--- Kinds of failure `retry_on` may name; exit codes are integers. `error`
--- (the step's own Lua error, or bad input) is retried only with "any".
M.kinds = { "any", "io", "node", "oom", "signal", "timeout" }
local known_kind = {}
for _, k in ipairs(M.kinds) do known_kind[k] = true end

--- What a step retries on when it does not say: failures outside its own
--- code (a killed process or worker, a lost node, an I/O error, memory).
M.default_on = { "io", "node", "oom", "signal" }

--- The longest wait between two attempts, in seconds.
M.MAX_DELAY = 300

local units = { s = 1, m = 60, h = 3600 }

--- Seconds of a timeout: a number of seconds, or "90s", "10m", "2h" (also
--- "1.5h"). Returns nil when it does not parse or is not > 0.
function M.seconds(v)
  local n
  if type(v) == "number" then
    n = v
  elseif type(v) == "string" then
    local num, unit = v:match("^%s*(%d+%.?%d*)%s*([smh]?)%s*$")
    n = num and tonumber(num) * units[unit ~= "" and unit or "s"]
  end
  if n and n > 0 and n < math.huge then return n end
  return nil
end

-- The step options of this module, each a check returning nil or what it
-- expects (zenml.params.build's `options`).
M.options = {
  retries = function(v)
    if math.type(v) ~= "integer" or v < 0 then return "an integer >= 0" end
  end,
  retry_delay = function(v)
    if type(v) ~= "number" or v < 0 or v ~= v then return "a number of seconds >= 0" end
  end,
  timeout = function(v)
    if not M.seconds(v) then
      return "a duration such as 90s, 10m, 2h or a number of seconds > 0"
    end
  end,
  retry_on = function(v)
    local want = ("a list of %s or exit codes"):format(table.concat(M.kinds, ", "))
    if type(v) ~= "table" or next(v) == nil or #v == 0 then return want end
    for k, kind in pairs(v) do
      if math.type(k) ~= "integer" then return want end
      if not (math.type(kind) == "integer" or known_kind[kind]) then
        return ("%s; %s is not one"):format(want, type(kind) == "string" and ("%q"):format(kind)
          or tostring(kind))
      end
    end
  end,
}

--- The retry policy of a step's YAML entry: {retries, on = set, delay}.
function M.policy(entry)
  local on = {}
  for _, k in ipairs(entry.retry_on or M.default_on) do on[k] = true end
  return { retries = entry.retries or 0, on = on, delay = entry.retry_delay or 1 }
end

--- Whether a failure of `kind` (and exit `code`) is retried by `policy`.
function M.matches(policy, kind, code)
  if kind == "interrupted" then return false end
  if policy.on.any then return true end
  if kind == "exit" then return code ~= nil and policy.on[code] == true end
  return policy.on[kind] == true
end

--- Seconds to wait before attempt `attempt` (2, 3, ...): the delay, doubled
--- for each attempt after the second, capped.
function M.delay(policy, attempt)
  return math.min(policy.delay * 2 ^ (attempt - 2), M.MAX_DELAY)
end

--- The kind of a step's own error `e` (as raised, before capture): "io"
--- (the C core's I/O error), "oom" (memory), "interrupted", else "error".
function M.kind_of_error(e)
  local code = errors.code(e)
  if code == "io" then return "io" end
  if code == "nomem" then return "oom" end
  if code == "interrupted" then return "interrupted" end
  local msg = type(e) == "string" and e or (type(e) == "table" and e.message) or ""
  if msg:match("not enough memory") then return "oom" end
  if msg:match("^interrupted") then return "interrupted" end
  return "error"
end

--- The kind (and exit code) of a process's end as os.execute reports it:
--- killed by a signal (a shell's exit status above 128 too) or an exit code.
function M.kind_of_exit(how, code)
  if how == "signal" or (how == "exit" and code and code > 128) then return "signal" end
  return "exit", code
end

--- The kind (and exit code) of a cluster's reason for a job's end
--- (zenml.slurm's reasons: "OUT_OF_MEMORY: ...", "FAILED (exit code 3)").
function M.kind_of_reason(reason)
  reason = tostring(reason or "")
  local word = reason:match("^(%u[%u_]*)") or ""
  if word == "OUT_OF_MEMORY" then return "oom" end
  if word == "TIMEOUT" or word == "DEADLINE" then return "timeout" end
  if word == "NODE_FAIL" or word == "PREEMPTED" or word == "BOOT_FAIL" then return "node" end
  if word == "CANCELLED" or reason:match("^skipped") then return "interrupted" end
  if reason:match("killed by signal") then return "signal" end
  local code = reason:match("exit code (%d+)")
  if code then return M.kind_of_exit("exit", tonumber(code)) end
  return "signal"
end

local function seconds_text(n)
  return n == math.floor(n) and ("%d"):format(n) or ("%g"):format(n)
end

--- The error of step `name` at its timeout of `seconds`.
function M.timeout_message(name, seconds)
  return ("step '%s' timed out after %s s"):format(name, seconds_text(seconds))
end

--- The deadline armed in this Lua state: {name, deadline, total}, or nil.
M.active = nil

--- The `exec.map` task and argument that run `task(i, arg, worker)` (a
--- "module.function") under this state's deadline, in whichever state runs
--- it: the shards a step hands to its processing backend time out with it.
function M.under_deadline(task, arg)
  local a = M.active
  if not a then return task, arg end
  return "zenml.engine.retry.shard_task", require("zenml.json").encode({ task = task, arg = arg,
    name = a.name, left = math.max(a.deadline - core.sys.clock(), 0.001), total = a.total })
end

--- The task of M.under_deadline, in a worker state.
function M.shard_task(i, arg, worker)
  local a = require("zenml.json").try_decode(arg)
  local mod, fn = a.task:match("^(.+)%.([^.]+)$")
  local f = require(mod)[fn]
  local disarm = M.arm(a.name, a.left, a.total)
  local ok, res = pcall(f, i, a.arg, worker)
  disarm()
  if not ok then error(res, 0) end
  return res
end

--- Arm step `name`'s deadline of `seconds` in this Lua state's running
--- thread: a count hook raises "step 'NAME' timed out after N s" once it
--- passed (and again every few instructions, should the step catch it).
--- Returns a function that disarms it (putting back a hook the thread had)
--- and says whether it fired. Code blocked in C (a sleep, a long kernel) is
--- ended when it returns to Lua.
--- Call fn(...) for work that must not be left behind when the step ends
--- (Slurm jobs it submits and waits for): inside it the step's deadline is
--- not checked by the hook, which could fire anywhere, even between a
--- submission and the cancel after an error, but where fn calls
--- M.check_deadline (between polls), so fn can clean up. Returns fn's
--- results; raises its error.
function M.watching(fn, ...)
  local hook, mask, count = debug.gethook()
  debug.sethook()
  local res = table.pack(pcall(fn, ...))
  if hook then debug.sethook(hook, mask, count) end
  if not res[1] then error(res[2], 0) end
  return table.unpack(res, 2, res.n)
end

--- Raise the running step's timeout once its deadline has passed (what the
--- hook does, for code running under M.watching).
function M.check_deadline()
  local a = M.active
  if a and core.sys.clock() >= a.deadline then error(M.timeout_message(a.name, a.total), 0) end
end

function M.arm(name, seconds, total)
  if not seconds then return function() return false end end
  local deadline, fired, armed = core.sys.clock() + seconds, false, true
  local msg = M.timeout_message(name, total or seconds)
  local before = M.active
  M.active = { name = name, deadline = deadline, total = total or seconds }
  local clock = core.sys.clock
  local old, mask, count = debug.gethook()
  local function hook()
    if armed and clock() >= deadline then
      fired = true
      error(msg, 0)
    end
  end
  debug.sethook(hook, "", 1000)
  -- coroutines the step makes meanwhile have the deadline too
  local create, wrap = coroutine.create, coroutine.wrap
  coroutine.create = function(f)
    local co = create(f)
    debug.sethook(co, hook, "", 1000)
    return co
  end
  coroutine.wrap = function(f)
    local co = coroutine.create(f)
    return function(...)
      local res = table.pack(coroutine.resume(co, ...))
      if not res[1] then error(res[2], 0) end
      return table.unpack(res, 2, res.n)
    end
  end
  return function()
    if armed then
      armed = false
      M.active = before
      coroutine.create, coroutine.wrap = create, wrap
      if old then debug.sethook(old, mask, count) else debug.sethook() end
    end
    return fired
  end
end

return M
