-- The Training pipeline end to end with the built-in steps: a throwaway git
-- repository, the real zenml binary, then the metadata database checked.
local t = require "tests.support"

local PIPELINE = [[
local zenml = require "zenml"
local split = require "zenml.steps.split"
local pre   = require "zenml.steps.preprocesser"
local train = require "zenml.steps.trainer"
local eval  = require "zenml.steps.evaluator"
local deploy = require "zenml.steps.deployer"
local label = arg[1] or "species"
local iris = zenml.datasources.CSV { name = "iris", path = "data/iris.csv" }
local p = zenml.pipelines.Training { name = "iris-ffn" }
p:add_datasource(iris)
p:add_split(split.Random { split_map = { train = 0.7, eval = 0.3 }, seed = 42 })
p:add_preprocesser(pre.Standard { features = { "sepal_length", "sepal_width",
  "petal_length", "petal_width" }, labels = { label } })
p:add_trainer(train.FeedForward { seed = 1 })
p:add_evaluator(eval.Classification { slices = { "species" } })
p:add_deployer(deploy.Export { path = "model.tar.gz" })
local run = p:run()
print(run.status, run:metrics().accuracy)
]]

local function setup(files)
  local dir = t.git_repo()
  local _, err, code = t.zenml_run("init", { cwd = dir })
  assert(code == 0, err)
  t.sh("mkdir -p data && cp " .. t.q(t.src .. "/tests/data/iris.csv") .. " data/", { cwd = dir })
  t.write(dir .. "/pipeline.lua", PIPELINE)
  for name, text in pairs(files or {}) do t.write(dir .. "/" .. name, text) end
  t.sh("echo model.tar.gz > .gitignore && git add -A && git commit -qm init", { cwd = dir })
  return dir
end

local function zenml(dir, args) return t.zenml_run(args, { cwd = dir }) end

local function sql(dir, query)
  return (t.sh("sqlite3 -separator '|' .zenml/metadata.db " .. t.q(query), { cwd = dir }))
end

local LATEST = "(SELECT id FROM runs ORDER BY started DESC LIMIT 1)"

describe("the Training pipeline with built-in steps", function()
  after_each(t.cleanup)

  it("trains iris to >= 0.93 accuracy and records the metrics", function()
    local dir = setup()
    local out, err, code = zenml(dir, "run pipeline.lua")
    assert.equals(0, code, err)
    local acc = tonumber(out:match("completed%s+([%d.]+)"))
    assert.is_true(acc and acc >= 0.93, out .. err)
    local names = sql(dir, "SELECT name FROM metrics WHERE run_id = " .. LATEST .. " ORDER BY name")
    for _, m in ipairs { "accuracy", "macro_f1", "log_loss", "precision.setosa",
      "recall.virginica", "confusion.setosa.setosa", "slices.species.setosa.accuracy",
      "slices.species.virginica.count" } do
      assert.matches("\n" .. m:gsub("%.", "%%.") .. "\n", "\n" .. names, 1, false)
    end
    assert.equals("datasource=completed deployer=completed evaluator=completed preprocesser=completed "
      .. "schema=completed split=completed trainer=completed ",
      (sql(dir, "SELECT step || '=' || status FROM executions WHERE run_id = " .. LATEST
        .. " ORDER BY step"):gsub("\n", " ")))
    local listing = t.sh("tar tzf model.tar.gz", { cwd = dir })
    assert.equals("manifest.yaml\ntransform.bin\nmodel.bin\nschema.yaml\n", listing)
  end)

  it("re-trains with --no-cache to the same artifact ids", function()
    local dir = setup()
    zenml(dir, "run pipeline.lua")
    local _, err, code = zenml(dir, "run pipeline.lua --no-cache")
    assert.equals(0, code, err)
    local q = [[SELECT e.name || '=' || count(DISTINCT e.artifact) || '/' || count(*)
      FROM events e JOIN executions x ON x.id = e.execution_id
      WHERE e.kind = 'output' AND x.step IN ('split', 'preprocesser', 'trainer', 'evaluator', 'deployer')
      GROUP BY x.step, e.name ORDER BY x.step, e.name]]
    -- every output: one distinct artifact over the two runs
    assert.equals("bundle=1/2\nmetrics=1/2\neval=1/2\ntrain=1/2\ntransform=1/2\neval=1/2\n"
      .. "train=1/2\nhistory=1/2\nmetrics=1/2\nmodel=1/2\npredictions=1/2\n", sql(dir, q))
    assert.equals("completed|2\n", sql(dir,
      "SELECT status, count(*) FROM executions WHERE step = 'trainer' GROUP BY status"))
  end)

  it("names a missing label column and lists the columns there are", function()
    local dir = setup()
    local out, err = zenml(dir, "run pipeline.lua -- specie")
    assert.matches("failed", out .. err, 1, true)
    assert.matches("Standard: column 'specie' not found; columns are: sepal_length, sepal_width, "
      .. "petal_length, petal_width, species", err, 1, true)
  end)

  it("names an empty split and its rule", function()
    local dir = setup { ["pipeline.lua"] = PIPELINE:gsub("train = 0.7, eval = 0.3",
      "train = 0.999, eval = 0.001") }
    local _, err = zenml(dir, "run pipeline.lua")
    assert.matches("split 'eval' is empty (Random fractions eval = 0.001, train = 0.999, seed 42)",
      err, 1, true)
  end)

  it("runs a custom split from steps/ on the public base", function()
    local dir = setup {
      ["steps/by_species.lua"] = [[
local zenml = require "zenml"
local BySpecies = zenml.steps.BaseSplitStep:extend("BySpecies")
function BySpecies:split_names() return { "train", "eval" } end
function BySpecies:partition(frame)
  local out = {}
  for i, w in ipairs(frame:col("sepal_width"):to_table()) do out[i] = i % 3 == 0 and "eval" or "train" end
  return out
end
return BySpecies
]],
      ["pipeline.lua"] = PIPELINE:gsub('split%.Random { split_map = { train = 0%.7, eval = 0%.3 }, seed = 42 }',
        'require("by_species") {}'),
    }
    local out, err, code = zenml(dir, "run pipeline.lua")
    assert.equals(0, code, err)
    assert.matches("completed", out, 1, true)
    assert.equals("50\n", sql(dir, "SELECT CAST(value AS INTEGER) FROM metrics WHERE name = 'count'"))
  end)
end)
