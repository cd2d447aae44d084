-- What a recorded run needs, end to end: gc and verify keep and check what
-- every YAML in pipelines/ needs, `run explain` compares with the execution
-- that actually ran, BatchInference finds the latest run with a model, and
-- `step exec` never records a step of a run twice.
local t = require "tests.support"

local TOUCH = [[
local zenml = require "zenml"
local Touch = zenml.Step:extend("Touch")
Touch.inputs = { prev = "value" }
Touch.outputs = { out = "value" }
Touch.params = { i = { type = "integer", required = true } }
function Touch:run(ctx, inputs)
  print("touch " .. self.params.i .. " v1")
  return { out = { i = self.params.i, prev = inputs.prev or false } }
end
return Touch
]]

local CHAIN = [[
local zenml = require "zenml"
local Touch = require "touch"
local p = zenml.Pipeline { name = "chain" }
p:add("s1", Touch { i = 1 })
p:add("s2", Touch { i = 2 }, { prev = "s1.out" })
p:add("s3", Touch { i = 3 }, { prev = "s2.out" })
print(p:run().status)
]]

-- Records a run of the chain as an orchestrator does, then runs each step
-- with `zenml step exec` in its own process (as a Slurm job would), while
-- this process (the orchestrator) is alive; arg[1] is the zenml binary.
local ORCHESTRATE = [[
local zenml = require "zenml"
local runner = require "zenml.runner"
local Touch = require "touch"
local p = zenml.Pipeline { name = "chain" }
p:add("s1", Touch { i = 1 })
p:add("s2", Touch { i = 2 }, { prev = "s1.out" })
p:add("s3", Touch { i = 3 }, { prev = "s2.out" })
local repo = zenml.repo()
local doc = runner.resolve(p, repo, { cache = false })
local rel = runner.record(repo, doc)
local function exec(step)
  local ok = os.execute(("%s step exec %s %s > exec-%s.out 2>&1"):format(arg[1], rel, step, step))
  return ok
end
assert(not exec("s2"), "s2 ran before s1")
local early = io.open("exec-s2.out"):read("a")
for _, s in ipairs { "s1", "s2", "s3" } do assert(exec(s), "step exec " .. s .. " failed") end
local again = exec("s2")
repo:meta():run_finish(doc.run_id, "completed")
print(doc.run_id, rel, again and "again-ok" or "again-failed")
io.stderr:write(early)
]]

local function zenml(dir, args) return t.zenml_run(args, { cwd = dir }) end

local function sql(dir, query)
  return (t.sh("sqlite3 -separator '|' .zenml/metadata.db " .. t.q(query), { cwd = dir }))
end

local function newest_yaml(dir, prefix)
  -- (no pipe: t.sh sends /dev/null to the last command's input)
  return t.sh("ls -t pipelines/" .. prefix .. "_*.yaml", { cwd = dir }):match("%S+")
end

local function chain_repo()
  local dir = t.git_repo()
  local _, err, code = zenml(dir, "init")
  assert(code == 0, err)
  t.write(dir .. "/steps/touch.lua", TOUCH)
  t.write(dir .. "/chain.lua", CHAIN)
  t.sh("git add -A && git commit -qm init", { cwd = dir })
  return dir
end

-- The path of an artifact's object file in the store.
local function object_path(dir, id)
  local hex = id:match("^sha256:(%x+)$")
  return ("%s/.zenml/artifacts/objects/%s/%s"):format(dir, hex:sub(1, 2), hex:sub(3))
end

describe("gc and verify", function()
  after_each(t.cleanup)

  it("keep the stored source of a step that was uncommitted when a run used it", function()
    local dir = chain_repo()
    t.write(dir .. "/steps/touch.lua", (TOUCH:gsub("v1", "v2")))
    local out, err, code = zenml(dir, "run chain.lua")
    assert.equals(0, code, err)
    local y = newest_yaml(dir, "chain")
    local source = t.slurp(dir .. "/" .. y):match("artifact: (sha256:%x+)")
    assert.is_string(source)
    -- the work tree moves on: the file changes and is committed
    t.write(dir .. "/steps/touch.lua", (TOUCH:gsub("v1", "v3")))
    t.sh("git commit -qam v3", { cwd = dir })
    out, err, code = zenml(dir, "gc")
    assert.equals(0, code, err)
    assert.is_true(t.sh("test -f " .. t.q(object_path(dir, source)) .. " && echo yes") == "yes\n")
    out, err, code = zenml(dir, "verify")
    assert.equals(0, code, out .. err)
    out, err, code = zenml(dir, "run " .. y .. " --no-cache")
    assert.equals(0, code, err)
    assert.matches("touch 3 v2", (zenml(dir, "run logs latest s3")), 1, true)
  end)

  it("verify names each YAML whose needed objects are missing, one line each", function()
    local dir = chain_repo()
    t.write(dir .. "/steps/touch.lua", (TOUCH:gsub("v1", "v2")))
    assert.equals(0, select(3, zenml(dir, "run chain.lua")))
    local y = newest_yaml(dir, "chain")
    local text = t.slurp(dir .. "/" .. y)
    local source = text:match("artifact: (sha256:%x+)")
    local pin = text:match("pin: (touch@%x+)")
    t.sh("rm -f " .. t.q(object_path(dir, source)))
    -- a hand-made YAML pinning a blob git does not have
    t.sh("git checkout -q steps/touch.lua", { cwd = dir })
    local clean = text:gsub("\n *artifact: sha256:%x+", ""):gsub("dirty: true", "dirty: false")
      :gsub("touch@%x+", "touch@" .. ("0"):rep(40))
    t.write(dir .. "/pipelines/edited.yaml", clean)
    local out, err, code = zenml(dir, "verify")
    assert.equals(1, code)
    assert.equals(("%s: needs the source of module 'touch' (%s) from the artifact store as %s,"
      .. " which is missing\n"
      .. "pipelines/edited.yaml: needs the source of module 'touch' (touch@%s) from git,"
      .. " which does not have it\n"):format(y, pin, source, ("0"):rep(40)), out)
    assert.equals("zenml: 2 problems found\n", err)
  end)

  it("verify reports a YAML whose datasource snapshot is gone, and gc refuses an unreadable YAML", function()
    local dir = t.git_repo()
    zenml(dir, "init")
    t.sh("mkdir -p data", { cwd = dir })
    t.write(dir .. "/data/x.csv", "a,b\n1,2\n3,4\n")
    t.write(dir .. "/p.lua", [[
local zenml = require "zenml"
local p = zenml.pipelines.Data { name = "d" }
p:add_datasource(zenml.datasources.CSV { name = "x", path = "data/x.csv" })
print(p:run().status)
]])
    t.sh("git add -A && git commit -qm init", { cwd = dir })
    local _, err, code = zenml(dir, "run p.lua")
    assert.equals(0, code, err)
    local y = newest_yaml(dir, "d")
    local version = t.slurp(dir .. "/" .. y):match("datasource:.-version: (%x+)")
    sql(dir, "DELETE FROM datasource_versions")
    local out
    out, _, code = zenml(dir, "verify")
    assert.equals(1, code)
    assert.equals(("%s: needs version %s of datasource 'x', which the metadata store does not"
      .. " have\n"):format(y, version), out)
    t.write(dir .. "/pipelines/broken.yaml", "name: [\n")
    out, err, code = zenml(dir, "gc")
    assert.equals(1, code)
    assert.matches("^zenml: gc: cannot tell what pipelines/broken%.yaml needs: .*; fix or remove"
      .. " it first\n$", err)
  end)
end)

describe("gc against a replaced metadata store", function()
  after_each(t.cleanup)

  -- A new, empty database beside the YAMLs of earlier runs: every artifact of
  -- those runs looks unreferenced to it, so gc must not run at all.
  it("refuses while pipelines/ holds a YAML of a run the store does not know", function()
    local dir = chain_repo()
    local _, err, code = zenml(dir, "run chain.lua")
    assert.equals(0, code, err)
    local objects = "find .zenml/artifacts/objects -type f | wc -l"
    local before = t.sh(objects, { cwd = dir })
    os.execute("cd " .. t.q(dir) .. " && rm -f .zenml/metadata.db*")
    _, err, code = zenml(dir, "-e " .. t.q('assert(require("zenml.meta").open("sqlite:.zenml/metadata.db", "create"))'))
    assert.equals(0, code, err)
    local yaml = newest_yaml(dir, "chain")
    local run_id = yaml:match("chain_(.-)%.yaml$")
    _, err, code = zenml(dir, "gc")
    assert.equals(1, code)
    assert.equals(("zenml: gc: %s records run %s, which the metadata store does not know; "
      .. "restore the metadata database, or move that YAML out of pipelines/\n"):format(yaml,
      run_id), err)
    assert.equals(before, (t.sh(objects, { cwd = dir })))
  end)
end)

describe("run explain", function()
  after_each(t.cleanup)

  it("compares a step with the execution its last cache hit reused", function()
    local dir = t.git_repo()
    zenml(dir, "init")
    t.sh("mkdir -p data && cp " .. t.q(t.src .. "/tests/data/iris.csv") .. " data/", { cwd = dir })
    t.write(dir .. "/train.lua", [[
local zenml = require "zenml"
local name, kind, seed = arg[1], arg[2], tonumber(arg[3])
local trainer = require "zenml.steps.trainer"
local p = zenml.pipelines.Training { name = name }
p:add_datasource(zenml.datasources.CSV { name = "iris", path = "data/iris.csv" })
p:add_split(require("zenml.steps.split").Random { split_map = { train = 0.7, eval = 0.3 }, seed = seed })
p:add_preprocesser(require("zenml.steps.preprocesser").Standard { labels = { "species" } })
if kind == "ffn" then
  p:add_trainer(trainer.FeedForward { hidden_layers = { 4 }, epochs = 5, seed = 1 })
else
  p:add_trainer(trainer.Logistic { seed = 1 })
end
print(p:run().status)
]])
    t.sh("git add -A && git commit -qm init", { cwd = dir })
    assert.equals(0, select(3, zenml(dir, "run train.lua -- iris-a logistic 42")))
    local a = sql(dir, "SELECT id FROM executions WHERE step = 'split'"):match("%d+")
    local a_run = sql(dir, "SELECT run_id FROM executions WHERE id = " .. a):match("%S+")
    local out = zenml(dir, "run train.lua -- iris-b ffn 42")
    assert.matches("completed", out, 1, true)
    -- the run and step it reused, never an internal execution number
    assert.matches("split (Random): cached from run " .. a_run .. " step split,",
      (zenml(dir, "run show latest")), 1, true)
    assert.equals(0, select(3, zenml(dir, "run train.lua -- iris-b ffn 7")))
    local explain, err, code = zenml(dir, "run explain latest split")
    assert.equals(0, code, err)
    assert.matches(("differs from %%x+ of execution #%s %%(run %s, reused by run "):format(a,
      a_run:gsub("%-", "%%-")), explain)
    assert.matches("  parameter 'seed': 42 -> 7\n", explain, 1, true)
    assert.not_matches("parameter 'split_map'", explain, 1, true)
  end)
end)

describe("BatchInference", function()
  after_each(t.cleanup)

  local TRAIN = [[
local zenml = require "zenml"
local p = zenml.pipelines.Training { name = arg[1] or "iris" }
p:add_datasource(zenml.datasources.CSV { name = "iris", path = "data/iris.csv" })
p:add_split(require("zenml.steps.split").Random { split_map = { train = 0.7, eval = 0.3 }, seed = 42 })
p:add_preprocesser(require("zenml.steps.preprocesser").Standard { labels = { "species" } })
p:add_trainer(require("zenml.steps.trainer").Logistic { solver = "sgd", epochs = tonumber(arg[2] or 50), lr = 0.05, seed = 1 })
print(p:run().status)
]]

  local INFER = [[
local zenml = require "zenml"
local args = { name = "score" }
if arg[1] == "pipeline" then args.model_pipeline = arg[2] else args.model_run = arg[1] or "latest" end
local p = zenml.pipelines.BatchInference(args)
p:add_datasource(zenml.datasources.CSV { name = "new", path = "data/new.csv" })
p:add_inferrer(require("zenml.steps.inferrer").Predict {})
print(p:run().status)
]]

  local function setup(train)
    local dir = t.git_repo()
    zenml(dir, "init")
    t.sh("mkdir -p data && cp " .. t.q(t.src .. "/tests/data/iris.csv") .. " data/", { cwd = dir })
    local rows = {}
    for line in t.slurp(dir .. "/data/iris.csv"):gmatch("[^\n]+") do
      if #rows < 11 then rows[#rows + 1] = line:match("^([^,]*,[^,]*,[^,]*,[^,]*)") end
    end
    t.write(dir .. "/data/new.csv", table.concat(rows, "\n") .. "\n")
    t.write(dir .. "/train.lua", TRAIN)
    t.write(dir .. "/infer.lua", INFER)
    t.sh("git add -A && git commit -qm init", { cwd = dir })
    if train then
      local out, err, code = zenml(dir, "run train.lua")
      assert(code == 0, out .. err)
    end
    return dir
  end

  local function model_run(dir, yaml)
    return t.slurp(dir .. "/" .. yaml):match("\n  model:\n.-run: \"?([%w%-]+)")
  end

  it("'latest' is the latest completed run that has a model, also the second time", function()
    local dir = setup(true)
    local trained = sql(dir, "SELECT id FROM runs"):match("%S+")
    local out, err, code = zenml(dir, "run infer.lua")
    assert.equals(0, code, err)
    out, err, code = zenml(dir, "run infer.lua")
    assert.equals(0, code, err)
    assert.matches("\ncompleted\n$", out)
    local y = newest_yaml(dir, "score")
    assert.equals(trained, model_run(dir, y))
    -- a newer training run does not change what the recorded YAML scores with
    assert.equals(0, select(3, zenml(dir, "run train.lua -- iris 60")))
    out, err, code = zenml(dir, "run " .. y)
    assert.equals(0, code, err)
    assert.equals(trained, model_run(dir, newest_yaml(dir, "score")))
    local models = sql(dir, "SELECT count(DISTINCT e.artifact) FROM events e JOIN executions x"
      .. " ON x.id = e.execution_id WHERE x.step = 'model' AND e.kind = 'output' AND e.name = 'model'")
    assert.equals("1\n", models)
    -- verify names the scoring YAMLs whose model is gone
    local model = models and sql(dir, "SELECT e.artifact FROM events e JOIN executions x"
      .. " ON x.id = e.execution_id WHERE x.step = 'trainer' AND x.run_id = '" .. trained
      .. "' AND e.kind = 'output' AND e.name = 'model'"):match("%S+")
    t.sh("rm -f " .. t.q(object_path(dir, model)))
    out, _, code = zenml(dir, "verify")
    assert.equals(1, code)
    local _, n = out:gsub("\npipelines/score_[%w%-]+%.yaml: needs output 'model' of step 'trainer' of run "
      .. trained:gsub("%-", "%%-") .. " from the artifact store as " .. model .. ", which is missing", "")
    assert.equals(3, n)
  end)

  it("model_pipeline = NAME takes the latest run of that pipeline that has a model", function()
    local dir = setup(true)
    local first = sql(dir, "SELECT id FROM runs"):match("%S+")
    assert.equals(0, select(3, zenml(dir, "run train.lua -- other 60")))
    local _, err, code = zenml(dir, "run infer.lua -- pipeline iris")
    assert.equals(0, code, err)
    assert.equals(first, model_run(dir, newest_yaml(dir, "score")))
    local score = sql(dir, "SELECT r.id FROM runs r JOIN pipelines p ON p.id = r.pipeline_id"
      .. " WHERE p.name = 'score'"):match("%S+")
    _, err, code = zenml(dir, "run infer.lua -- " .. score)
    assert.equals(1, code)
    assert.matches(("^[^\n]*BatchInference 'score': run %s %%(score, completed%%) has no model"):format(
      score:gsub("%-", "%%-")), err)
    _, err, code = zenml(dir, "run infer.lua -- pipeline nope")
    assert.equals(1, code)
    assert.matches("^[^\n]*BatchInference 'score': no completed run of pipeline 'nope' has a model"
      .. " %(a step 'trainer' with an output 'model' and a step 'preprocesser' with an output"
      .. " 'transform'%)\n", err)
  end)

  it("says in one line that no run has a model", function()
    local dir = setup(false)
    local _, err, code = zenml(dir, "run infer.lua")
    assert.equals(1, code)
    assert.matches("^[^\n]*BatchInference 'score': no completed run has a model %(a step 'trainer'"
      .. " with an output 'model' and a step 'preprocesser' with an output 'transform'%)\n", err)
  end)
end)

describe("step exec", function()
  after_each(t.cleanup)

  it("refuses a run that has finished, in one line, and records nothing", function()
    local dir = chain_repo()
    assert.equals(0, select(3, zenml(dir, "run chain.lua")))
    local y = newest_yaml(dir, "chain")
    local run = sql(dir, "SELECT id FROM runs"):match("%S+")
    local out, err, code = zenml(dir, "step exec " .. y .. " s2")
    assert.equals(1, code)
    assert.equals("", out)
    assert.equals(("zenml: step exec: run %s of %s has finished (completed); run the pipeline"
      .. " again with 'zenml run %s'\n"):format(run, y, y), err)
    assert.equals("3\n", sql(dir, "SELECT count(*) FROM executions"))
    local show = zenml(dir, "run show latest")
    local _, n = show:gsub("\ns2 ", "")
    assert.equals(1, n)
  end)

  it("runs the steps of a run in progress, each once, with the ids of an ordinary run", function()
    local dir = chain_repo()
    t.write(dir .. "/orchestrate.lua", ORCHESTRATE)
    t.sh("git add -A && git commit -qm orch", { cwd = dir })
    local out, err, code = zenml(dir, "orchestrate.lua " .. t.q(t.zenml))
    assert.equals(0, code, out .. err)
    local run, y, again = out:match("^(%S+)\t(%S+)\t(%S+)\n$")
    assert.equals("again-ok", again)
    assert.equals(("zenml: step exec: step 's2' of run %s needs step 's1', which is not done yet\n")
      :format(run), err)
    assert.equals(("step s2 already completed in run %s\n"):format(run), t.slurp(dir .. "/exec-s2.out"))
    assert.equals("s1=completed s2=completed s3=completed\n", sql(dir,
      "SELECT group_concat(step || '=' || status, ' ') FROM (SELECT step, status FROM executions"
      .. " WHERE run_id = '" .. run .. "' ORDER BY step)"))
    -- an ordinary run of the same pipeline is all cache hits of those executions
    out = zenml(dir, "run chain.lua")
    assert.matches("0 ran, 3 cached", out, 1, true)
    -- and run in one process without the cache, the steps write the same bytes
    out = zenml(dir, "run chain.lua --no-cache")
    assert.matches("3 ran, 0 cached", out, 1, true)
    assert.equals("2|1\n", sql(dir, "SELECT count(DISTINCT x.run_id), count(DISTINCT e.artifact)"
      .. " FROM events e JOIN executions x ON x.id = e.execution_id"
      .. " WHERE x.step = 's3' AND e.kind = 'output'"))
    assert.matches("^pipelines/chain_", y)
  end)
end)
