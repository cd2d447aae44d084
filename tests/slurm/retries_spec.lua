-- Retries on the real one-node cluster of tests/slurm/cluster.sh: a step over
-- its memory limit on its first attempt runs again with the memory its `mem`
-- function gives the second attempt, and the run completes; the YAML records
-- the memory of each attempt; a jobs-mode retry and catch; a timeout that sets
-- the job's time limit; a retry inside an allocation that dispatches with srun.
local t = require "tests.support"
local yaml = require "zenml.yaml"
local json = require "zenml.json"

local BIG = [[
local zenml = require "zenml"
local S = zenml.Step:extend("Big")
S.inputs = { inp = "value" }
S.outputs = { out = "value" }
S.params = { mb = { type = "integer", default = 0 }, secs = { type = "number", default = 0 } }
function S:run(ctx, inputs)
  local keep = {}
  for i = 1, self.params.mb do keep[i] = string.rep("x", 1024 * 1024 - 64) .. i end
  if self.params.secs > 0 then os.execute("sleep " .. self.params.secs) end
  return { out = (inputs.inp or 0) + #keep }
end
return S
]]

local function zenml(dir, args) return t.zenml_run(args, { cwd = dir }) end

local function show(dir)
  return json.try_decode((zenml(dir, "run show latest --json")))
end

describe("retries on slurm", function()
  after_each(t.cleanup)

  local function repo(pipeline)
    local dir = t.git_repo()
    assert(select(3, t.init(dir)) == 0)
    t.sh("mkdir -p steps", { cwd = dir })
    t.write(dir .. "/steps/big.lua", BIG)
    t.write(dir .. "/p.lua", pipeline)
    local _, err, code = t.sh("git add -A && git commit -qm init", { cwd = dir })
    assert(code == 0, err)
    return dir
  end

  it("runs a step killed over its memory again with more memory (a training backend)", function()
    local dir = repo([[
local zenml = require "zenml"
local S = require "big"
local p = zenml.Pipeline { name = "mem" }
p:add("a", S {})
p:add("b", S { mb = 300, secs = 4, retries = 2, retry_delay = 0 }:with { training = zenml.backends.Slurm {
  mem = function(attempt) return ("%dM"):format(attempt == 1 and 200 or 1500 * (attempt - 1)) end,
  max_mem = "2000M",
  poll_interval = 0.2 } }, { inp = "a.out" })
p:add("c", S {}, { inp = "b.out" })
p:run()
]])
    local out, err, code = zenml(dir, "run p.lua")
    assert.equals(0, code, err)
    assert.matches("3 steps, 3 ran", out, 1, true)
    assert.matches("zenml: step 'b': attempt 1 of 3 failed (oom): OUT_OF_MEMORY: the job used more memory than it asked for (mem); retrying in 0 s", err, 1, true)
    local rec = show(dir)
    local doc = yaml.decode(t.slurp(dir .. "/" .. rec.yaml_path))
    -- (the second attempt's 1.5 GB leaves room for a sanitizer build's overhead)
    assert.same({ "200M", "1500M", "2000M" }, doc.steps.b.training.params.mem)
    local b
    for _, st in ipairs(rec.steps) do if st.step == "b" then b = st end end
    assert.equals("completed", b.status)
    assert.same({ { attempt = 1, status = "failed",
      error = "OUT_OF_MEMORY: the job used more memory than it asked for (mem)" },
      { attempt = 2, status = "completed" } }, b.attempts)
    -- the second attempt's job asked for the second attempt's memory
    assert.matches("MinMemoryNode=1500M", t.sh("scontrol show job " .. b.job), 1, true)
  end)

  local FAIL = [[
local zenml = require "zenml"
local F = zenml.Step:extend("Fail")
F.inputs = { inp = "value" }
F.outputs = { out = "value" }
function F:run() error("broken on purpose") end
return F
]]
  local REPORT = [[
local zenml = require "zenml"
local R = zenml.Step:extend("Report")
R.inputs = { failure = "error" }
R.outputs = { out = "value" }
function R:run(ctx, inputs) return { out = inputs.failure and inputs.failure.message or "fine" } end
return R
]]

  it("retries a job over its memory as an orchestrator, and catches a failure", function()
    local dir = repo([[
local zenml = require "zenml"
local S = require "big"
local F = require "fail"
local R = require "report"
local p = zenml.Pipeline { name = "jobs", backend = zenml.backends.Slurm {
  mem = function(attempt) return attempt == 1 and "200M" or "1500M" end, poll_interval = 0.2 } }
p:add("a", S {})
p:add("b", S { mb = 300, secs = 4, retries = 1, retry_delay = 0 }, { inp = "a.out" })
p:add("c", S {}, { inp = "b.out" })
p:add("f", F { catch = true }, { inp = "a.out" })
p:add("g", S {}, { inp = "f.out" })
p:add("h", S {}, { inp = "g.out" })
p:add("r", R {}, { failure = "f.error" })
p:run()
]])
    t.write(dir .. "/steps/fail.lua", FAIL)
    t.write(dir .. "/steps/report.lua", REPORT)
    t.sh("git add -A && git commit -qm more", { cwd = dir })
    local out, err, code = zenml(dir, "run p.lua")
    assert.equals(0, code, err)
    assert.matches("7 steps, 5 ran, 0 cached, 0 failed, 2 skipped", out, 1, true)
    assert.matches("zenml: step 'b': attempt 1 of 2 failed (oom): OUT_OF_MEMORY", err, 1, true)
    assert.matches("zenml: step 'f' failed; caught (catch = true): its error is its output 'error'", err, 1, true)
    local rec = show(dir)
    local by = {}
    for _, st in ipairs(rec.steps) do by[st.step] = st end
    assert.equals("completed", by.b.status)
    assert.same({ 1, 2 }, { by.b.attempts[1].attempt, by.b.attempts[2].attempt })
    assert.equals("completed", by.c.status)
    assert.equals("caught", by.f.status)
    assert.equals("skipped", by.g.status)
    assert.equals("skipped", by.h.status)
    assert.equals("completed", by.r.status)
    assert.matches("MinMemoryNode=1500M", t.sh("scontrol show job " .. by.b.job), 1, true)
  end)

  local LOOP = [[
local zenml = require "zenml"
local L = zenml.Step:extend("Loop")
L.outputs = { out = "value" }
L.params = { how = { type = "string", default = "loop" } }
function L:run(ctx)
  local marker = ctx.repo.root .. "/marker-" .. ctx.step_name
  local f = io.open(marker)
  if f then f:close() end
  if self.params.how == "kill" and not f then
    io.open(marker, "w"):close()
    os.execute("kill -9 " .. require("zenml._core").sys.getpid())
  end
  if self.params.how == "loop" then while true do end end
  return { out = 1 }
end
return L
]]

  it("times a job's step out, with the job's time limit from the step's timeout", function()
    local dir = repo([[
local zenml = require "zenml"
local L = require "loop"
local p = zenml.Pipeline { name = "tl", backend = zenml.backends.Slurm { poll_interval = 0.2 } }
p:add("a", L { timeout = "2s" })
p:run()
]])
    t.write(dir .. "/steps/loop.lua", LOOP)
    t.sh("git add -A && git commit -qm more", { cwd = dir })
    local _, err, code = zenml(dir, "run p.lua")
    assert.equals(1, code)
    assert.equals("zenml: step 'a' timed out after 2 s\n", err)
    local rec = show(dir)
    assert.matches("TimeLimit=00:02:00", t.sh("scontrol show job " .. rec.steps[1].job), 1, true)
  end)

  it("retries a step killed by a signal inside an allocation that dispatches with srun", function()
    local dir = repo([[
local zenml = require "zenml"
local L = require "loop"
local p = zenml.Pipeline { name = "alloc", backend = zenml.backends.Slurm { mode = "allocation",
  dispatch = "srun", poll_interval = 0.2 } }
p:add("a", L { how = "kill", retries = 1, retry_delay = 0 })
p:add("b", L { how = "none" })
p:run()
]])
    t.write(dir .. "/steps/loop.lua", LOOP)
    t.sh("git add -A && git commit -qm more", { cwd = dir })
    local out, err, code = zenml(dir, "run p.lua")
    assert.equals(0, code, err)
    assert.matches("2 steps, 2 ran", out, 1, true)
    local a
    for _, st in ipairs(show(dir).steps) do if st.step == "a" then a = st end end
    assert.equals("completed", a.status)
    assert.equals(2, #a.attempts)
    assert.equals("failed", a.attempts[1].status)
  end)

  it("stops at the first failure with keep_going = false, cancelling the other jobs", function()
    local dir = repo([[
local zenml = require "zenml"
local S = require "big"
local F = require "fail"
local p = zenml.Pipeline { name = "stop", keep_going = false,
  backend = zenml.backends.Slurm { poll_interval = 0.2 } }
p:add("a", S {})
p:add("f", F {}, { inp = "a.out" })
p:add("slow", S { secs = 30 })
p:run()
]])
    t.write(dir .. "/steps/fail.lua", FAIL)
    t.sh("git add -A && git commit -qm more", { cwd = dir })
    local started = os.time()
    local out, err, code = zenml(dir, "run p.lua")
    assert.equals(1, code, err)
    assert.is_true(os.time() - started < 25)
    assert.matches("3 steps, 1 ran, 0 cached, 1 failed, 1 skipped", out, 1, true)
    local by = {}
    for _, st in ipairs(show(dir).steps) do by[st.step] = st end
    assert.equals("skipped", by.slow.status, t.sql(dir, "SELECT step, status, error FROM executions"))
    assert.equals("the run stopped at its first failure (keep_going = false)\n", t.sql(dir,
      "SELECT error FROM executions WHERE step = 'slow'"))
    -- the cancelled job's execution ends skipped too, never left running
    assert.equals("", t.sql(dir, "SELECT id FROM executions WHERE status = 'running'"))
  end)
end)
