-- The model registry end to end (docs/registry.md): versions registered
-- from runs, aliases moved with reasons and their history, use by name in
-- predict, BatchInference and Lua, gc, the on_alias hook, git tags, and
-- `register = NAME` on the Training pipeline.
local t = require "tests.support"
local try_decode = require("zenml.json").try_decode
local json = { decode = function(text) return assert(try_decode(text)) end }

local INFER = [[
local zenml = require "zenml"
local p = zenml.pipelines.BatchInference { name = "score", model = "iris@production" }
p:add_datasource(zenml.datasources.CSV { name = "new", path = "data/iris.csv" })
p:add_inferrer(require("zenml.steps.inferrer").Predict {})
print(p:run().status)
]]

local HOOK = [[
return { on_alias = function(e)
  local f = assert(io.open("moves.log", "a"))
  f:write(("%s %s %s %s %s %s\n"):format(e.name, e.alias, tostring(e.from), e.to,
    tostring(e.reason), e.who))
  f:close()
end }
]]

local function zenml(dir, args)
  return t.zenml_run(args, { cwd = dir })
end

local function ok(dir, args)
  local out, err, code = zenml(dir, args)
  assert(code == 0, ("zenml %s: %s%s"):format(args, out, err))
  return out, err
end

-- A repository with two training runs whose models differ (l2 = 1, l2 = 100).
local function two_runs(files)
  files = files or {}
  files["a.lua"] = t.iris_pipeline()
  files["b.lua"] = t.iris_pipeline { trainer = "train.Logistic { l2 = 100 }" }
  files["infer.lua"] = INFER
  local dir = t.iris_repo(files)
  local r1 = ok(dir, "run a.lua"):match("run (%S+) completed")
  local r2 = ok(dir, "run b.lua"):match("run (%S+) completed")
  assert(r1 and r2)
  return dir, r1, r2
end

local function registered(dir, r1, r2)
  assert.equals(("registered iris version 1 (run %s, step trainer)\n"):format(r1),
    ok(dir, "model register iris " .. r1 .. " -m first --tag team=ml --tag data=q3"))
  assert.equals(("registered iris version 2 (run %s, step trainer)\n"):format(r2),
    ok(dir, "model register iris " .. r2:sub(1, 22)))
end

describe("model registry", function()
  after_each(t.cleanup)

  it("registers versions from two runs, moves an alias twice and keeps both moves", function()
    local dir, r1, r2 = two_runs()
    registered(dir, r1, r2)
    assert.equals("production of iris: version 1 (new)\n",
      ok(dir, "model alias iris 1 production -m launch"))
    assert.equals("production of iris: version 1 -> 2\n",
      ok(dir, "model alias iris v2 production -m 'better recall'"))
    ok(dir, "model alias iris 1 staging")
    local h = json.decode(ok(dir, "model history iris --alias production --json"))
    assert.equals(2, #h)
    assert.same({ nil, 1, "launch" }, { h[1].from, h[1].to, h[1].reason })
    assert.same({ 1, 2, "better recall" }, { h[2].from, h[2].to, h[2].reason })
    assert.matches("^.+@.+$", h[2].who)
    assert.equals(3, #json.decode(ok(dir, "model history iris --json")))
    local text = ok(dir, "model history iris")
    assert.matches("production%s+1%s+2%s+%S+%s+better recall", text)

    local v = json.decode(ok(dir, "model show iris@production --json"))
    assert.same({ "iris", 2, r2, "trainer" }, { v.model, v.version, v.run, v.step })
    assert.same({ "production" }, v.aliases)
    assert.equals("iris", v.pipeline)
    assert.equals(("pipelines/iris_%s.yaml"):format(r2), v.yaml_path)
    assert.matches("^iris@%x+$", v.datasource_version)
    assert.is_number(v.metrics.accuracy)
    assert.matches("^sha256:%x+$", v.transform_artifact)
    local first = json.decode(ok(dir, "model show iris@1 --json"))
    assert.same({ team = "ml", data = "q3" }, first.tags)
    assert.equals("first", first.message)
    assert.same({ "staging" }, first.aliases)
    assert.are_not.equal(first.model_artifact, v.model_artifact)
    assert.equals(2, json.decode(ok(dir, "model show iris --json")).version)
    local shown = ok(dir, "model show iris@staging")
    assert.matches("\nrun +" .. r1:gsub("%-", "%%-") .. " %(iris%)\n", shown)
    assert.matches("\ntags +data=q3, team=ml\n", shown)
    assert.matches("\nmetrics\n  accuracy +[%d.]+\n", shown)

    assert.matches("\nregistered +iris@2\n", ok(dir, "run show " .. r2))
    assert.same({ "iris@1" }, json.decode(ok(dir, "run show " .. r1 .. " --json")).registered)
    local list = json.decode(ok(dir, "model list --json"))
    assert.same({ "iris", 2, 2, "production=2, staging=1" },
      { list[1].name, list[1].versions, list[1].latest, list[1].aliases })
    assert.equals("2\n", t.sql(dir, "SELECT count(*) AS n FROM model_alias_history WHERE alias = 'production'"))
  end)

  it("predicts by alias and by version with that version's model", function()
    local dir, r1, r2 = two_runs()
    registered(dir, r1, r2)
    local by_r1 = ok(dir, "predict " .. r1 .. " data/iris.csv")
    local by_r2 = ok(dir, "predict " .. r2 .. " data/iris.csv")
    assert.are_not.equal(by_r1, by_r2)
    ok(dir, "model alias iris 2 production")
    assert.equals(by_r2, ok(dir, "predict iris@production data/iris.csv"))
    ok(dir, "model alias iris 1 production -m 'roll back'")
    assert.equals(by_r1, ok(dir, "predict iris@production data/iris.csv"))
    assert.equals(by_r2, ok(dir, "predict iris@2 data/iris.csv"))
    assert.matches("^wrote iris version 1 to prod.tar.gz %(%d+ bytes%)\n$",
      ok(dir, "model export iris@production prod.tar.gz"))
    assert.equals(by_r1, ok(dir, "predict prod.tar.gz data/iris.csv"))
    local lua = ok(dir, "-e " .. t.q([[
local m = assert(require("zenml").model("iris@production"))
print(m.version, m.run, m.artifacts.model ~= nil, m.metrics.accuracy ~= nil)
print(m:predict(require("zenml.frame").read_csv("data/iris.csv")):nrow())]]))
    assert.equals(("1\t%s\ttrue\ttrue\n150\n"):format(r1), lua)
  end)

  it("a BatchInference YAML re-run keeps the version it resolved after the alias moved", function()
    local dir, r1, r2 = two_runs()
    registered(dir, r1, r2)
    ok(dir, "model alias iris 1 production")
    local out, err = ok(dir, "run infer.lua")
    assert.matches("model iris@production is version 1", err)
    local run = out:match("run (%S+) completed")
    local yaml_rel = ("pipelines/score_%s.yaml"):format(run)
    local text = t.slurp(dir .. "/" .. yaml_rel)
    assert.matches("\n      model: iris@1\n", text)
    assert.matches('\n      run: "?' .. r1:gsub("%-", "%%-"), text)
    ok(dir, "model alias iris 2 production -m newer")
    local again = ok(dir, "run " .. yaml_rel):match("run (%S+) completed")
    local model_of = [[SELECT v.artifact AS a FROM executions x JOIN events v
      ON v.execution_id = coalesce(x.cached_from, x.id)
      WHERE x.run_id = '%s' AND x.step = 'model' AND v.kind = 'output' AND v.name = 'model']]
    local want = t.sql(dir, "SELECT model_artifact AS a FROM model_versions WHERE version = 1")
    assert.equals(want, t.sql(dir, model_of:format(again)))
    assert.matches("\n      model: iris@1\n",
      t.slurp(("%s/pipelines/score_%s.yaml"):format(dir, again)))
    -- the script resolves the alias anew
    local fresh = ok(dir, "run infer.lua"):match("run (%S+) completed")
    assert.equals(t.sql(dir, "SELECT model_artifact AS a FROM model_versions WHERE version = 2"),
      t.sql(dir, model_of:format(fresh)))
  end)

  it("gc keeps what a registered version points at, and verify checks it", function()
    local dir, r1, r2 = two_runs()
    registered(dir, r1, r2)
    local v1 = json.decode(ok(dir, "model show iris@1 --json"))
    -- the run's executions no longer count (as after verify --repair): only the
    -- registry still names its model
    local invalidate = ("UPDATE executions SET status = 'invalid' WHERE run_id = '%s'"):format(r1)
    local _, serr, scode
    if t.metadata then
      local db = t.metadata_url(dir):match("/([%w_]+)[^/]*$")
      _, serr, scode = t.server_sql(("USE %s; %s"):format(db, invalidate))
    else
      _, serr, scode = t.sh("sqlite3 .zenml/metadata.db " .. t.q(invalidate), { cwd = dir })
    end
    assert(scode == 0, serr)
    ok(dir, "gc")
    local before = ok(dir, "predict iris@1 data/iris.csv")
    assert.matches("^sepal_length", before)
    ok(dir, "verify")
    local hex = v1.model_artifact:match("^sha256:(%x+)$")
    local _, rerr, rc = t.sh(("chmod u+w .zenml/artifacts/objects/%s && rm -f .zenml/artifacts/objects/%s/%s")
      :format(hex:sub(1, 2), hex:sub(1, 2), hex:sub(3)), { cwd = dir })
    assert(rc == 0, rerr)
    local out, err, code = zenml(dir, "verify")
    assert.equals(1, code, out)
    assert.matches(v1.model_artifact, out .. err, 1, true)
  end)

  it("calls hooks/registry.lua's on_alias once per move, with its source recorded", function()
    local dir, r1, r2 = two_runs { ["hooks/registry.lua"] = HOOK }
    registered(dir, r1, r2)
    assert.equals("", select(2, ok(dir, "model alias iris 1 production -m launch")))
    ok(dir, "model alias iris 2 production -m again")
    local log = t.slurp(dir .. "/moves.log")
    local lines = {}
    for l in log:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.equals(2, #lines)
    assert.matches("^iris production nil 1 launch .+@.+$", lines[1])
    assert.matches("^iris production 1 2 again ", lines[2])
    local blob = t.sh("git hash-object hooks/registry.lua", { cwd = dir }):gsub("%s+$", "")
    local h = json.decode(ok(dir, "model history iris --json"))
    assert.equals("hooks/registry.lua@" .. blob, h[2].hook)
    -- a hook that raises is a warning: the move stands
    t.write(dir .. "/hooks/registry.lua", 'return { on_alias = function() error("no deploys on Friday") end }\n')
    local out, err, code = zenml(dir, "model alias iris 1 production -m friday")
    assert.equals(0, code, err)
    assert.equals("production of iris: version 2 -> 1\n", out)
    assert.equals("zenml: warning: hooks/registry.lua has uncommitted changes; the alias history "
      .. "records the git blob of the bytes that ran, which git has only once they are committed\n"
      .. "zenml: warning: hooks/registry.lua: on_alias failed: hooks/registry.lua:1: no "
      .. "deploys on Friday; the alias moved all the same\n", err)
    assert.equals(1, json.decode(ok(dir, "model show iris@production --json")).version)
  end)

  it("mirrors registrations and alias moves as annotated git tags when asked", function()
    local dir, r1, r2 = two_runs()
    ok(dir, "model register iris " .. r1 .. " --git-tag")
    ok(dir, "config set registry.git_tags true")
    ok(dir, "model register iris " .. r2)
    ok(dir, "model alias iris 1 production -m launch")
    ok(dir, "model alias iris 2 production -m again")
    local tags = t.sh("git tag -l -n1", { cwd = dir })
    assert.matches("iris@v1 +model iris version 1: run " .. r1:gsub("%-", "%%-"), tags)
    assert.matches("iris@v2 ", tags)
    assert.matches("iris#production#1 +model iris: production %-> version 1: launch", tags)
    assert.matches("iris#production#2 +model iris: production %-> version 2: again", tags)
    assert.equals("tag\n", t.sh("git cat-file -t 'iris@v1'", { cwd = dir }))
  end)

  it("registers every completed run of a Training pipeline with register = NAME", function()
    local dir = t.iris_repo { ["p.lua"] = t.iris_pipeline():gsub('Training { name = "iris" }',
      'Training { name = "iris", register = "flowers" }') }
    local out = ok(dir, "run p.lua")
    assert.matches("\nregistered flowers version 1\n", out)
    local run = out:match("run (%S+) completed")
    local yaml_rel = ("pipelines/iris_%s.yaml"):format(run)
    assert.matches("\nregister: flowers\n", t.slurp(dir .. "/" .. yaml_rel))
    assert.matches("\nregistered flowers version 2\n", ok(dir, "run " .. yaml_rel))
    local v = json.decode(ok(dir, "model show flowers@1 --json"))
    assert.same({ run, "registered by pipeline iris" }, { v.run, v.message })
    -- a failed run registers nothing
    t.write(dir .. "/f.lua", t.iris_pipeline { pre = 'pre.Standard { labels = { "nope" } }' }
      :gsub('Training { name = "iris" }', 'Training { name = "iris", register = "flowers" }'))
    local fout, _, fcode = zenml(dir, "run f.lua")
    assert.equals(1, fcode)
    assert.is_nil(fout:find("registered", 1, true))
    assert.equals(2, json.decode(ok(dir, "model list --json"))[1].versions)
  end)
end)
