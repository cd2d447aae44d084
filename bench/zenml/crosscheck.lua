-- Cross-check: train with zenml's built-in steps, then export the exact
-- train/eval splits the run used (raw, before preprocessing) so that
-- crosscheck.py can fit scikit-learn on the same rows.
-- Usage: zenml crosscheck.lua OUT_DIR  (inside a zenml repository holding data/)
local zenml = require "zenml"
local split = require "zenml.steps.split"
local pre = require "zenml.steps.preprocesser"
local train = require "zenml.steps.trainer"
local eval = require "zenml.steps.evaluator"
local json = require "zenml.json"

local out = assert(arg[1], "usage: zenml crosscheck.lua OUT_DIR")

local cases = {
  { name = "iris-logistic", data = "data/iris.csv", label = "species", task = "classification",
    trainer = train.Logistic {} },   -- scikit-learn: LogisticRegression(), the defaults of both
  { name = "binary-ffn", data = "data/binary.csv", label = "y", task = "classification",
    trainer = train.FeedForward { hidden_layers = { 16 }, epochs = 20, lr = 0.001, seed = 1 } },
  { name = "binary-logistic", data = "data/binary.csv", label = "y", task = "classification",
    trainer = train.Logistic {} },
  { name = "regression-linear", data = "data/regression.csv", label = "price", task = "regression",
    trainer = train.Linear {} },
}

local function split_ids(run)
  local db = zenml.repo():meta()
  for _, e in ipairs(run:executions()) do
    if e.step == "split" then
      local from = e.status == "cached" and e.cached_from or e.id
      return db:outputs(from)
    end
  end
end

for _, c in ipairs(cases) do
  local ds = zenml.datasources.CSV { name = c.name, path = c.data }
  local p = zenml.pipelines.Training { name = c.name }
  p:add_datasource(ds)
  p:add_split(split.Random { split_map = { train = 0.7, eval = 0.3 }, seed = 7 })
  p:add_preprocesser(pre.Standard { labels = { c.label } })
  p:add_trainer(c.trainer)
  p:add_evaluator(c.task == "classification" and eval.Classification {} or eval.Regression {})
  local run = p:run()
  local repo = zenml.repo()
  local ids = split_ids(run)
  for name, id in pairs(ids) do
    assert(repo:artifact(id):read():to_csv(("%s/%s-%s.csv"):format(out, c.name, name)))
  end
  local m = run:metrics()
  io.stdout:write(json.encode { case = c.name, task = c.task, label = c.label,
    accuracy = m.accuracy, r2 = m.r2, rmse = m.rmse }, "\n")
end
