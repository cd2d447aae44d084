-- Retries on the real one-node cluster of tests/slurm/cluster.sh: a step over
-- its memory limit on its first attempt runs again with the memory its `mem`
-- function gives the second attempt, and the run completes; the YAML records
-- the memory of each attempt.
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
end)
