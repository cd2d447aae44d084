-- Retries, timeouts, hooks, catch and keep_going (docs/pipelines.md,
-- "Retries, timeouts, hooks"), end to end in throwaway repositories: a step
-- killed by a signal on its first attempt succeeds on its second, a step's
-- own error is retried only when asked, a timeout ends a step that loops
-- forever, and bad options are one line with nothing recorded.
local t = require "tests.support"
local yaml = require "zenml.yaml"

-- A step that fails its first attempt in the way `how` says (a marker file
-- remembers the first attempt): "kill" kills its own process with SIGKILL,
-- "error" raises, "loop" loops forever; "none" never fails.
local STEP = [[
local zenml = require "zenml"
local S = zenml.Step:extend("S")
S.inputs = { inp = "value" }
S.outputs = { out = "value" }
S.params = { x = { type = "integer", default = 0 }, how = { type = "string", default = "none" } }
function S:run(ctx, inputs)
  local marker = ctx.repo.root .. "/marker-" .. ctx.step_name
  local f = io.open(marker, "r")
  local first = f == nil
  if f then f:close() end
  f = assert(io.open(marker, "a"))
  f:write("attempt\n")
  f:close()
  f = assert(io.open(marker))
  print(("attempt %d"):format(select(2, f:read("a"):gsub("attempt", ""))))
  f:close()
  if self.params.how == "loop" then
    local n = 0
    while true do n = n + 1 end
  elseif self.params.how == "coloop" then
    coroutine.wrap(function() while true do coroutine.yield() end end)()
    local co = coroutine.create(function() local n = 0; while true do n = n + 1 end end)
    assert(coroutine.resume(co))
  end
  if first and self.params.how == "kill" then
    os.execute("kill -9 " .. require("zenml._core").sys.getpid())
  elseif first and self.params.how == "error" then
    error("first attempt fails")
  elseif self.params.how == "always" then
    error("always fails")
  end
  return { out = (inputs.inp or 0) * 10 + self.params.x }
end
return S
]]

-- A training backend that runs the step in a child `zenml step exec`.
local CHILD = [[
local zenml = require "zenml"
local remote = require "zenml.engine.remote"
local Child = zenml.backends.BaseTrainingBackend:extend("Child")
function Child:run_step(job, name)
  local ok, how, code = os.execute(("cd %s && %s >/dev/null 2>&1"):format(
    remote.quote(job.repo.root), remote.command(job.yaml, name, job.attempt)))
  return remote.result(job.repo, job.doc, name, not ok and "the child process failed" or nil, nil,
    remote.ended(job, how, code))
end
return Child
]]

local function repo(files)
  local dir = t.git_repo()
  assert(select(3, t.init(dir)) == 0)
  t.sh("mkdir -p steps backends hooks data", { cwd = dir })
  t.write(dir .. "/steps/s.lua", STEP)
  t.write(dir .. "/backends/child.lua", CHILD)
  for path, text in pairs(files or {}) do t.write(dir .. "/" .. path, text) end
  local _, err, code = t.sh("git add -A && git commit -qm init", { cwd = dir })
  assert(code == 0, err)
  return dir
end

-- A pipeline a -> b -> c whose step b gets `opts` (Lua source of its
-- options, e.g. 'how = "kill", retries = 1'), plus an independent step d.
local function pipeline(b, more)
  return ([[
local zenml = require "zenml"
local S = require "s"
local p = zenml.Pipeline { name = "chain"%s }
p:add("a", S { x = 1 })
p:add("b", S { x = 2, %s }, { inp = "a.out" })
p:add("c", S { x = 3 }, { inp = "b.out" })
p:add("d", S { x = 4 })
p:run()
]]):format(more or "", b)
end

local function zenml(dir, args) return t.zenml_run(args, { cwd = dir }) end

local function last_yaml(dir)
  local listing = t.sh("ls -t pipelines", { cwd = dir })
  return yaml.decode(t.slurp(dir .. "/pipelines/" .. listing:match("[^\n]+")))
end

local function attempts(dir, step)
  local f = io.open(dir .. "/marker-" .. step)
  if not f then return 0 end
  local n = select(2, f:read("a"):gsub("attempt", ""))
  f:close()
  return n
end

-- The statuses of step `step`'s executions, in order.
local function statuses(dir, step)
  local out = {}
  for st in t.sql(dir, ("SELECT status FROM executions WHERE step = '%s' ORDER BY id"):format(step)):gmatch("[^\n]+") do
    out[#out + 1] = st
  end
  return out
end

describe("retries", function()
  after_each(t.cleanup)

  it("runs a step killed by a signal again; the run completes and shows both attempts", function()
    local dir = repo({ ["p.lua"] = pipeline('how = "kill", retries = 2, retry_delay = 0, training = "child"') })
    local out, err, code = zenml(dir, "run p.lua")
    assert.equals(0, code, err)
    assert.matches("run %S+ completed: 4 steps, 4 ran", out)
    assert.matches("zenml: step 'b': attempt 1 of 3 failed %(signal%): the child process failed; retrying in 0 s", err)
    assert.equals(2, attempts(dir, "b"))
    local doc = last_yaml(dir)
    assert.equals(2, doc.steps.b.retries)
    assert.equals(0, doc.steps.b.retry_delay)
    assert.same({ "failed", "completed" }, statuses(dir, "b"))
    out = zenml(dir, "run show " .. doc.run_id)
    assert.matches("\nb %(S%): completed[^\n]*\n  params   how=kill x=2\n  attempt  1 failed: the child process failed\n  attempt  2 completed\n", out)
    -- c read b's output of the attempt that completed
    assert.matches("c %(S%): completed", out)
    local json = require("zenml.json").try_decode((zenml(dir, "run show " .. doc.run_id .. " --json")))
    local steps = {}
    for _, st in ipairs(json.steps) do steps[st.step] = st end
    assert.same({ { attempt = 1, status = "failed", error = "the child process failed" },
      { attempt = 2, status = "completed" } }, steps.b.attempts)
    assert.is_nil(steps.a.attempts)
  end)

  it("keeps retries and timeouts out of the cache key; step exec --attempt stays within them", function()
    local dir = repo({ ["p.lua"] = pipeline('how = "none"') })
    local _, err, code = zenml(dir, "run p.lua")
    assert.equals(0, code, err)
    t.write(dir .. "/p.lua", pipeline('how = "none", retries = 2, timeout = "5m", retry_on = { "any" }'))
    local out
    out, err, code = zenml(dir, "run p.lua")
    assert.equals(0, code, err)
    assert.matches("4 steps, 0 ran, 4 cached", out, 1, true)
    local doc = last_yaml(dir)
    local yaml_rel = "pipelines/chain_" .. doc.run_id .. ".yaml"
    _, err, code = zenml(dir, "step exec " .. yaml_rel .. " b --attempt 4")
    assert.equals(2, code)
    assert.equals("zenml: step exec: --attempt 4: step 'b' has 3 attempts (retries = 2)\n", err)
    _, err, code = zenml(dir, "step exec " .. yaml_rel .. " b --attempt x")
    assert.equals(2, code)
    assert.equals("zenml: step exec: --attempt expects a whole number >= 1, got 'x'\n", err)
  end)

  it("does not retry a step's own Lua error unless retry_on says so", function()
    local dir = repo({ ["p.lua"] = pipeline('how = "error", retries = 2, retry_delay = 0') })
    local out, err, code = zenml(dir, "run p.lua")
    assert.equals(1, code)
    assert.matches("run %S+ failed: 4 steps, 2 ran, 0 cached, 1 failed, 1 skipped", out)
    assert.matches("first attempt fails", err)
    assert.not_matches("retrying", err)
    assert.equals(1, attempts(dir, "b"))
    t.write(dir .. "/p.lua", pipeline('how = "error", retries = 2, retry_delay = 0, retry_on = { "any" }'))
    t.sh("rm -f marker-b", { cwd = dir })
    out, err, code = zenml(dir, "run p.lua")
    assert.equals(0, code, err)
    assert.matches("attempt 1 of 3 failed %(error%): steps/s.lua:%d+: first attempt fails; retrying in 0 s", err)
    assert.equals(2, attempts(dir, "b"))
  end)

  it("retries on the parallel orchestrator, and gives up after the last attempt", function()
    local dir = repo({ ["p.lua"] = pipeline('how = "always", retries = 1, retry_delay = 0, retry_on = { "any" }') })
    local out, err, code = zenml(dir, "run p.lua -j 2")
    assert.equals(1, code)
    assert.matches("run %S+ failed: 4 steps, 2 ran, 0 cached, 1 failed, 1 skipped", out)
    assert.matches("attempt 1 of 2 failed", err)
    assert.matches("zenml: step 'b' failed: steps/s.lua:%d+: always fails", err)
    assert.equals(2, attempts(dir, "b"))
    local run = last_yaml(dir).run_id
    out = zenml(dir, "run show " .. run)
    assert.matches("attempt  1 failed: steps/s.lua:%d+: always fails\n  attempt  2 failed: steps/s.lua:%d+: always fails\n", out)
    -- the logs are the last attempt's
    assert.matches("^attempt 2\n", (zenml(dir, "run logs " .. run .. " b")))
  end)

  it("ends a step that loops forever at its timeout", function()
    local dir = repo({ ["p.lua"] = pipeline('how = "loop", timeout = "2s"') })
    local started = os.time()
    local out, err, code = zenml(dir, "run p.lua")
    assert.equals(1, code)
    assert.is_true(os.time() - started < 30)
    assert.matches("run %S+ failed: 4 steps, 2 ran, 0 cached, 1 failed, 1 skipped", out)
    assert.matches("zenml: step 'b' timed out after 2 s\n", err)
    assert.equals(2, last_yaml(dir).steps.b.timeout)
    assert.equals("timeout\n", t.sql(dir, "SELECT text_value FROM properties WHERE name = 'failure'"))
    -- on a worker thread too, and retried when retry_on says timeout
    t.write(dir .. "/p.lua", pipeline('how = "loop", timeout = 1, retries = 1, retry_delay = 0, retry_on = { "timeout" }'))
    out, err, code = zenml(dir, "run p.lua -j 2")
    assert.equals(1, code)
    assert.matches("attempt 1 of 2 failed %(timeout%): step 'b' timed out after 1 s", err)
    assert.matches("zenml: step 'b' timed out after 1 s\n", err)
    -- in a coroutine the step made too
    t.write(dir .. "/p.lua", pipeline('how = "coloop", timeout = 1'))
    out, err, code = zenml(dir, "run p.lua")
    assert.equals(1, code)
    assert.matches("zenml: step 'b' failed: steps/s.lua:%d+: step 'b' timed out after 1 s\n", err)
  end)

  it("ends the shards a step hands to its processing backend at the step's timeout", function()
    local dir = repo({ ["data/x.csv"] = "x0\n1\n2\n3\n4\n", ["steps/spin.lua"] = [[
local zenml = require "zenml"
local Spin = zenml.Step:extend("Spin")
Spin.inputs = { data = "frame" }
Spin.outputs = { total = "value" }
Spin.shard_rows = 2
function Spin:map(ctx, chunk) while true do end end
function Spin:reduce(ctx, parts) return { total = #parts } end
return Spin
]], ["p.lua"] = [[
local zenml = require "zenml"
local Spin = require "spin"
local p = zenml.Pipeline { name = "spin" }
p:add_datasource(zenml.datasources.CSV { name = "x", path = "data/x.csv" })
p:add("s", Spin { timeout = 1 }:with { processing = zenml.backends.Threads { workers = 2 } },
  { data = "datasource.data" })
p:run()
]] })
    local started = os.time()
    local _, err, code = zenml(dir, "run p.lua")
    assert.equals(1, code)
    assert.is_true(os.time() - started < 30)
    assert.matches("step 's' timed out after 1 s", err, 1, true)
    assert.equals("timeout\n", t.sql(dir, "SELECT text_value FROM properties WHERE name = 'failure'"))
  end)

  it("refuses bad options in one line, with nothing recorded", function()
    local cases = {
      { 'retries = -1', "S: option 'retries' expects an integer >= 0, got number -1" },
      { 'timeout = "10x"', "S: option 'timeout' expects a duration such as 90s, 10m, 2h or a number of seconds > 0, got string \"10x\"" },
      { 'retry_on = { "oom", "bogus" }', "S: option 'retry_on' expects a list of any, io, node, oom, signal, timeout or exit codes; \"bogus\" is not one, got a table" },
      { 'retry_delay = "1s"', "S: option 'retry_delay' expects a number of seconds >= 0, got string \"1s\"" },
    }
    local dir = repo()
    for _, c in ipairs(cases) do
      t.write(dir .. "/p.lua", pipeline(c[1]))
      local out, err, code = zenml(dir, "run p.lua")
      assert.equals(1, code, out)
      assert.equals("zenml: p.lua:5: " .. c[2] .. "\n", err)
    end
    assert.equals("", t.sql(dir, "SELECT id FROM runs"))
  end)

  local HOOKS = [[
local M = {}
local function log(line)
  local f = assert(io.open("hooks.log", "a"))
  f:write(line, "\n")
  f:close()
end
function M.fail(info)
  log(("failure %s %s %s %s"):format(info.step or ("pipeline " .. info.pipeline), info.status,
    info.error or table.concat(info.failed or {}, ","), info.run_id))
end
function M.ok(info) log(("success %s %s"):format(info.step or ("pipeline " .. info.pipeline), info.status)) end
function M.boom() error("the hook broke") end
return M
]]

  it("calls on_success and on_failure hooks once each; a hook that raises changes nothing", function()
    local dir = repo({ ["hooks/notify.lua"] = HOOKS, ["p.lua"] = ([[
local zenml = require "zenml"
local S = require "s"
local notify = require "notify"
local p = zenml.Pipeline { name = "chain", on_failure = "notify.fail", on_success = notify.ok }
p:add("a", S { x = 1, on_success = notify.ok, on_failure = "notify.fail" })
p:add("b", S { x = 2, how = "always", on_failure = "notify.fail" }, { inp = "a.out" })
p:add("c", S { x = 3, on_failure = "notify.fail" }, { inp = "b.out" })
p:add("d", S { x = 4 }:with { on_success = "notify.boom" })
p:run()
]]) })
    local out, err, code = zenml(dir, "run p.lua")
    assert.equals(1, code)
    assert.matches("run (%S+) failed: 4 steps, 2 ran, 0 cached, 1 failed, 1 skipped", out)
    local run = out:match("run (%S+) failed")
    assert.matches("zenml: warning: step 'd': on_success hook notify.boom raised: hooks/notify.lua:%d+: the hook broke\n", err)
    local log = t.slurp(dir .. "/hooks.log")
    assert.equals(("success a completed\nfailure b failed steps/s.lua:%s: always fails %s\n"
      .. "failure pipeline chain failed b %s\n"):format(log:match("s%.lua:(%d+)"), run, run), log)
    assert.same({ "completed" }, statuses(dir, "d"))
    assert.matches("hooks/notify.lua:%d+: the hook broke", t.sql(dir,
      "SELECT text_value FROM properties WHERE name = 'hook_error.on_success'"))
    assert.matches("\nd %(S%): completed[^\n]*\n  params   x=4\n  hook     on_success raised: hooks/notify.lua:%d+: the hook broke\n",
      (zenml(dir, "run show " .. run)))
    local doc = last_yaml(dir)
    assert.equals("notify.fail", doc.steps.b.on_failure)
    assert.equals("notify.ok", doc.steps.a.on_success)
    assert.equals("notify.ok", doc.options.on_success)
    assert.equals("notify.fail", doc.options.on_failure)
    assert.equals(true, doc.options.keep_going)
    assert.matches("^notify@%x+$", doc.sources.notify.pin)
    -- a re-run from the YAML calls them again, from the pinned module
    os.remove(dir .. "/hooks.log")
    out, err, code = zenml(dir, "run pipelines/chain_" .. run .. ".yaml")
    assert.equals(1, code, err)
    assert.matches("failure pipeline chain failed b", t.slurp(dir .. "/hooks.log"))
  end)

  it("refuses a hook that does not resolve, with nothing recorded", function()
    local dir = repo({ ["hooks/notify.lua"] = HOOKS })
    local cases = {
      { 'on_failure = "notify.nope"', "step 'b': on_failure: \"notify.nope\" does not resolve: module 'notify' has no function 'nope'" },
      { 'on_success = "nomod.fn"', "step 'b': on_success: \"nomod.fn\" does not resolve: cannot load module 'nomod': module 'nomod' not found" },
      { 'on_success = function() end', "step 'b': on_success: the function is not a field of a module loaded from a file; define it in a module (hooks/NAME.lua) and give it or its name \"module.function\"" },
    }
    for _, c in ipairs(cases) do
      t.write(dir .. "/p.lua", pipeline(c[1]))
      local out, err, code = zenml(dir, "run p.lua")
      assert.equals(1, code, out)
      assert.equals("zenml: p.lua:8: " .. c[2] .. "\n", err)
    end
    t.write(dir .. "/p.lua", pipeline("", ', on_failure = 3'))
    local _, err, code = zenml(dir, "run p.lua")
    assert.equals(1, code)
    assert.equals("zenml: p.lua:3: pipeline 'chain': on_failure expects a function of a repository module or its name, \"module.function\", got number 3\n", err)
    assert.equals("", t.sql(dir, "SELECT id FROM runs"))
  end)

  it("keeps going after a failure by default; keep_going = false stops at the first", function()
    local dir = repo({ ["p.lua"] = pipeline('how = "always"') })
    local out, _, code = zenml(dir, "run p.lua")
    assert.equals(1, code)
    assert.matches("run %S+ failed: 4 steps, 2 ran, 0 cached, 1 failed, 1 skipped", out)
    assert.equals(1, attempts(dir, "d"))
    assert.equals(true, last_yaml(dir).options.keep_going)
    t.sh("rm -f marker-*", { cwd = dir })
    t.write(dir .. "/p.lua", pipeline('how = "always"', ", keep_going = false"))
    out, _, code = zenml(dir, "run p.lua --no-cache")
    assert.equals(1, code)
    assert.matches("run %S+ failed: 4 steps, 1 ran, 0 cached, 1 failed, 2 skipped", out)
    assert.equals(0, attempts(dir, "d"))
    assert.equals(false, last_yaml(dir).options.keep_going)
    assert.equals("the run stopped at its first failure (keep_going = false)\n", t.sql(dir,
      "SELECT error FROM executions WHERE step = 'd' AND status = 'skipped'"))
    local show = zenml(dir, "run show latest")
    assert.matches("\nd %(S%): skipped[^\n]*\n  params   [^\n]*\n  reason   the run stopped at its first failure %(keep_going = false%)\n", show)
    assert.matches("  error    steps/s.lua:%d+: always fails\n", show)
    t.write(dir .. "/p.lua", pipeline('how = "always"', ", keep_going = 1"))
    local _, err
    _, err, code = zenml(dir, "run p.lua")
    assert.equals(1, code)
    assert.equals("zenml: p.lua:3: pipeline 'chain': keep_going must be true or false, got number 1\n", err)
  end)

  -- A step that reports the error of a step with catch = true.
  local REPORT = [[
local zenml = require "zenml"
local R = zenml.Step:extend("R")
R.inputs = { failure = "error", inp = "value" }
R.outputs = { out = "value" }
function R:run(ctx, inputs)
  local e = inputs.failure
  return { out = e and (e.step .. ": " .. e.message .. " (" .. e.kind .. ", " .. e.attempts .. ")") or "fine" }
end
return R
]]

  it("records a caught failure as an error artifact; the steps that take it run, the others are skipped", function()
    local dir = repo({ ["steps/r.lua"] = REPORT, ["p.lua"] = ([[
local zenml = require "zenml"
local S = require "s"
local R = require "r"
local p = zenml.Pipeline { name = "chain" }
p:add("a", S { x = 1 })
p:add("b", S { x = 2, how = HOW, catch = true }, { inp = "a.out" })
p:add("c", S { x = 3 }, { inp = "b.out" })
p:add("e", R {}, { failure = "b.error", inp = "a.out" })
p:add("f", S { x = 5 }, { inp = "c.out" })
p:run()
]]):gsub("HOW", '"always"') })
    local out, err, code = zenml(dir, "run p.lua")
    assert.equals(0, code, err)
    assert.matches("run (%S+) completed: 5 steps, 3 ran, 0 cached, 0 failed, 2 skipped", out)
    assert.matches("zenml: step 'b' failed; caught %(catch = true%): its error is its output 'error'\n", err)
    local run = out:match("run (%S+) completed")
    local doc = last_yaml(dir)
    assert.is_true(doc.steps.b.catch)
    assert.same({ "failed", "completed" }, statuses(dir, "b"))
    assert.same({ "skipped" }, statuses(dir, "c"))
    assert.same({ "skipped" }, statuses(dir, "f"))
    assert.equals("step 'b' failed (caught)\nstep 'c' did not run\n", t.sql(dir,
      "SELECT error FROM executions WHERE status = 'skipped' ORDER BY id"))
    local show = zenml(dir, "run show " .. run)
    assert.matches("\nb %(S%): caught[^\n]*\n  params   how=always x=2\n  attempt  1 failed: steps/s.lua:%d+: always fails\n", show)
    assert.matches("\nc %(S%): skipped[^\n]*\n  params   [^\n]*\n  reason   step 'b' failed %(caught%)\n", show)
    assert.matches("\nf %(S%): skipped[^\n]*\n  params   [^\n]*\n  reason   step 'c' did not run\n", show)
    local id = show:match("\nb %(S%)[^\n]*\n.-  out      error%s+error%s+(%x+)")
    assert.truthy(id, show)
    local function value_of(short)
      local _, e, c = zenml(dir, "artifact export " .. short .. " v.json")
      assert.equals(0, c, e)
      return require("zenml.json").try_decode(t.slurp(dir .. "/v.json"))
    end
    local value = value_of(id)
    assert.matches("^steps/s.lua:%d+: always fails$", value.message)
    assert.same({ step = "b", kind = "error", attempts = 1, message = value.message }, value)
    -- e got the error
    local e_out = show:match("\ne %(R%)[^\n]*\n.-  out      out%s+value%s+(%x+)")
    assert.truthy(e_out, show)
    assert.matches("^b: steps/s.lua:%d+: always fails %(error, 1%)$", value_of(e_out))
    -- the same on worker threads
    out, err, code = zenml(dir, "run p.lua -j 2 --no-cache")
    assert.equals(0, code, err)
    assert.matches("run %S+ completed: 5 steps, 3 ran, 0 cached, 0 failed, 2 skipped", out)
    -- without a failure the error input is nil and every step runs
    t.write(dir .. "/p.lua", t.slurp(dir .. "/p.lua"):gsub('how = "always"', 'how = "none"'))
    out, err, code = zenml(dir, "run p.lua")
    assert.equals(0, code, err)
    assert.matches("5 steps, %d ran, %d cached, 0 failed, 0 skipped", out)
    -- only an input of type error takes it
    t.write(dir .. "/p.lua", t.slurp(dir .. "/p.lua"):gsub('inp = "a.out" }%)\np:add%("f"', 'inp = "b.error" })\np:add("f"'))
    out, err, code = zenml(dir, "run p.lua")
    assert.equals(1, code, out)
    assert.equals("zenml: p.lua:10: pipeline 'chain': step 'e' input 'inp' takes a value, but b.error is the error of a step with catch = true; only an input of type error takes it\n", err)
  end)

  it("records a backend's per-attempt memory as the list of its values, capped by max_mem", function()
    local dir = repo({ ["m.lua"] = [[
local zenml = require "zenml"
local b = zenml.backends.Slurm { mem = function(attempt) return ("%dM"):format(4096 * attempt) end,
  max_mem = "10G" }
print(table.concat(b:for_attempts(4).mem, ","))
print(zenml.backends.Slurm { mem = function(a) return 1000 * a end }:for_attempts(2).mem[2])
print(b:resources({ steps = { s = { timeout = 90 } } }, "s", 2).mem, b:resources({ steps = { s = { timeout = 90 } } }, "s", 2).time)
-- a backend's shorter time limit stays
local short = zenml.backends.Slurm { time = "0:02" }
print(short:resources({ steps = { s = { timeout = 600 } } }, "s").time,
  zenml.backends.Slurm { time = "1-00" }:resources({ steps = { s = { timeout = 600 } } }, "s").time)
local slurm = require "zenml.slurm"
print(slurm.seconds_of("90"), slurm.seconds_of("1:30"), slurm.seconds_of("1:00:00"), slurm.seconds_of("2-3"),
  slurm.seconds_of("1-0:30:15"), slurm.seconds_of("UNLIMITED"))
]], ["bad.lua"] = [[
local zenml = require "zenml"
zenml.backends.Slurm { mem = function() return "lots" end }:for_attempts(2)
]], ["bad2.lua"] = [[
local zenml = require "zenml"
zenml.backends.Slurm { mem = 3 }
]] })
    local out, err, code = zenml(dir, "m.lua")
    assert.equals(0, code, err)
    assert.equals("4096M,8192M,10G,10G\n2000M\n8192M\t3\nnil\t11\n5400\t90\t3600\t183600\t88215\tnil\n", out)
    _, err, code = zenml(dir, "bad.lua")
    assert.equals(1, code)
    assert.equals("zenml: bad.lua:2: Slurm: parameter 'mem': the function of the attempt expects a memory size such as 500M or 4G, got \"lots\"\n", err)
    _, err, code = zenml(dir, "bad2.lua")
    assert.equals(1, code)
    assert.equals("zenml: bad2.lua:2: Slurm: parameter 'mem' expects a memory size such as 500M or 4G (or a function of the attempt giving one), got number 3\n", err)
  end)

  it("checks a recorded YAML's step options as the constructor does", function()
    local dir = repo({ ["p.lua"] = pipeline('retries = 1, timeout = "1m", on_failure = "notify.fail"'),
      ["hooks/notify.lua"] = "return { fail = function() end }\n" })
    local _, err, code = zenml(dir, "run p.lua")
    assert.equals(0, code, err)
    local doc = last_yaml(dir)
    assert.equals(60, doc.steps.b.timeout)
    local text = t.slurp(dir .. "/pipelines/chain_" .. doc.run_id .. ".yaml")
    local cases = {
      { "retries: 1", "retries: -1", "step 'b': S: option 'retries' expects an integer >= 0, got number -1" },
      { "timeout: 60", "timeout: soon", "step 'b': S: option 'timeout' expects a duration such as 90s, 10m, 2h or a number of seconds > 0, got string \"soon\"" },
      { "on_failure: notify.fail", "on_failure: notify.gone", "step 'b': on_failure: \"notify.gone\" does not resolve: module 'notify' has no function 'gone'" },
      { "keep_going: true", "keep_going: maybe", "pipeline 'chain': keep_going must be true or false, got string \"maybe\"" },
    }
    local runs = t.sql(dir, "SELECT id FROM runs")
    for _, c in ipairs(cases) do
      local edited = text:gsub(c[1]:gsub("%p", "%%%0"), c[2], 1)
      assert.is_not.equals(text, edited)
      t.write(dir .. "/edited.yaml", edited)
      _, err, code = zenml(dir, "run edited.yaml")
      assert.equals(1, code)
      assert.equals("zenml: edited.yaml: " .. c[3] .. "\n", err)
    end
    assert.equals(runs, t.sql(dir, "SELECT id FROM runs"))
  end)
end)
