-- Inference end to end: `zenml predict RUN|BUNDLE`, the BatchInference
-- pipeline, and data whose schema differs from the training data.
local t = require "tests.support"

local TRAIN = [[
local zenml = require "zenml"
local p = zenml.pipelines.Training { name = "iris" }
p:add_datasource(zenml.datasources.CSV { name = "iris", path = "data/iris.csv" })
p:add_split(require("zenml.steps.split").Random { split_map = { train = 0.7, eval = 0.3 }, seed = 42 })
p:add_preprocesser(require("zenml.steps.preprocesser").Standard { labels = { "species" } })
p:add_trainer(require("zenml.steps.trainer").Logistic { seed = 1 })
p:add_evaluator(require("zenml.steps.evaluator").Classification {})
p:add_deployer(require("zenml.steps.deployer").Export { path = "model.tar.gz" })
print(p:run().status)
]]

local INFER = [[
local zenml = require "zenml"
local p = zenml.pipelines.BatchInference { name = "score", model_run = "latest" }
p:add_datasource(zenml.datasources.CSV { name = "new", path = "data/new.csv" })
p:add_inferrer(require("zenml.steps.inferrer").Predict {})
local run = p:run()
print(run.status)
for _, a in ipairs(run:artifacts()) do
  if a.step == "inferrer" and a.kind == "output" then
    local f = a:read()
    print(f:nrow(), table.concat(f:names(), ","))
  end
end
]]

local function setup()
  local dir = t.git_repo()
  local _, err, code = t.zenml_run("init", { cwd = dir })
  assert(code == 0, err)
  t.sh("mkdir -p data && cp " .. t.q(t.src .. "/tests/data/iris.csv") .. " data/", { cwd = dir })
  local rows = {}
  for line in t.slurp(dir .. "/data/iris.csv"):gmatch("[^\n]+") do
    if #rows < 11 then rows[#rows + 1] = line:match("^([^,]*,[^,]*,[^,]*,[^,]*)") end
  end
  t.write(dir .. "/data/new.csv", table.concat(rows, "\n") .. "\n")
  t.write(dir .. "/train.lua", TRAIN)
  t.write(dir .. "/infer.lua", INFER)
  t.sh("echo model.tar.gz > .gitignore && git add -A && git commit -qm init", { cwd = dir })
  local out, err2, code2 = t.zenml_run("run train.lua", { cwd = dir })
  assert(code2 == 0 and out:match("completed"), out .. err2)
  return dir
end

local function zenml(dir, args) return t.zenml_run(args, { cwd = dir }) end

describe("inference", function()
  after_each(t.cleanup)

  it("predicts with a run's transform and model, to stdout or a file", function()
    local dir = setup()
    local out, err, code = zenml(dir, "predict latest data/new.csv")
    assert.equals(0, code, err)
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.equals(11, #lines)
    assert.equals("sepal_length,sepal_width,petal_length,petal_width,prediction,p_setosa,"
      .. "p_versicolor,p_virginica", lines[1])
    assert.matches("^5%.1,3%.5,1%.4,0%.2,setosa,", lines[2])
    _, err, code = zenml(dir, "predict latest data/new.csv -o out.csv --only-predictions")
    assert.equals(0, code, err)
    assert.equals("wrote 10 predictions to out.csv\n", err)
    assert.matches("^prediction,p_setosa,p_versicolor,p_virginica\nsetosa,",
      t.slurp(dir .. "/out.csv"))
  end)

  it("predicts from an exported bundle outside any repository, as the run does", function()
    local dir = setup()
    local by_run = zenml(dir, "predict latest data/new.csv")
    local away = t.tmpdir()
    t.sh("cp model.tar.gz data/new.csv " .. t.q(away), { cwd = dir })
    local out, err, code = t.zenml_run("predict model.tar.gz new.csv", { cwd = away })
    assert.equals(0, code, err)
    assert.equals(by_run, out)
  end)

  it("says which columns differ when the data does not match the training schema", function()
    local dir = setup()
    t.write(dir .. "/bad.csv", "sepal_length,sepal_width,petal_length\n5.1,3.5,1.4\n")
    local _, err, code = zenml(dir, "predict latest bad.csv")
    assert.equals(1, code)
    assert.equals("zenml: predict: the data does not match the training schema: "
      .. "column 'petal_width' is missing\n", err)
    t.write(dir .. "/bad2.csv", "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,x\n")
    _, err = zenml(dir, "predict model.tar.gz bad2.csv")
    assert.equals("zenml: predict: the data does not match the training schema: "
      .. "column 'petal_width' is string, was float64 when fitted\n", err)
  end)

  it("refuses what is not a bundle and a run that does not exist", function()
    local dir = setup()
    t.sh("tar czf notbundle.tar.gz data", { cwd = dir })
    local _, err, code = zenml(dir, "predict notbundle.tar.gz data/new.csv")
    assert.equals(1, code)
    assert.equals("zenml: notbundle.tar.gz is not a zenml model bundle (no manifest.yaml of "
      .. "format zenml-bundle)\n", err)
    _, err, code = zenml(dir, "predict nosuchrun data/new.csv")
    assert.equals(1, code)
    assert.matches("nosuchrun", err, 1, true)
    _, _, code = zenml(dir, "predict latest")
    assert.equals(2, code)
  end)

  it("runs the BatchInference pipeline on the latest training run", function()
    local dir = setup()
    local out, err, code = zenml(dir, "run infer.lua")
    assert.equals(0, code, err)
    assert.matches("completed\n10\tsepal_length,sepal_width,petal_length,petal_width,prediction,"
      .. "p_setosa,p_versicolor,p_virginica", out, 1, true)
  end)
end)
