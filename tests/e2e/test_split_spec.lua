-- A held-out test split: when the split step makes `test`, the trainer
-- stops early on `eval`, predicts on `test`, and the evaluator reports on
-- `test` and says so (in the run's output, `run show`, its log and the
-- metadata store). Without `test` it evaluates `eval` as before.
local t = require "tests.support"

local PIPELINE = t.iris_pipeline {
  split = 'split.Random { split_map = load("return " .. arg[1])(), seed = 42 }',
  trainer = "train.FeedForward { hidden_layers = { 8 }, lr = 0.01, batch_size = 32, "
    .. "early_stopping = 3, seed = 1 }",
}

-- The trainer's history of the latest run: validation epochs, iterations.
local HISTORY = [[
local zenml = require "zenml"
local run = zenml.repo():runs { limit = 1 }[1]
for _, a in ipairs(run:artifacts()) do
  if a.step == "trainer" and a.kind == "output" and a.name == "history" then
    local h = a:read()
    print(#h.val_loss, h.iterations)
  end
end
]]

local function setup()
  return t.iris_repo { ["pipeline.lua"] = PIPELINE, ["history.lua"] = HISTORY }
end

local function zenml(dir, args) return t.zenml_run(args, { cwd = dir }) end

local function sql(dir, query)
  return (t.sh("sqlite3 -separator '|' .zenml/metadata.db " .. t.q(query), { cwd = dir }))
end

local LATEST = "(SELECT id FROM runs ORDER BY started DESC LIMIT 1)"

-- Split sizes of 150 rows (names sorted, each cut rounded half up):
-- eval 0.25 -> 38, test 0.15 -> 22, train 0.6 -> 90.
local THREE = "'{ train = 0.6, eval = 0.25, test = 0.15 }'"

describe("a held-out test split", function()
  after_each(t.cleanup)

  it("is what the evaluator reports on, while early stopping watches eval", function()
    local dir = setup()
    local out, err, code = zenml(dir, "run pipeline.lua -- " .. THREE)
    assert.equals(0, code, err)
    assert.matches("\nmetrics on split 'test': accuracy=[%d.]+ converged=[01] count=22 ", out)
    assert.equals("22.0\n", sql(dir, "SELECT value FROM metrics WHERE name = 'count' AND run_id = " .. LATEST))
    assert.equals("test\n", sql(dir, [[SELECT p.text_value FROM properties p
      JOIN executions x ON p.entity_kind = 'execution' AND p.entity_id = x.id
      WHERE p.name = 'metrics.split' AND x.step = 'evaluator' AND x.run_id = ]] .. LATEST))
    assert.matches("\nmetrics on split 'test':\n  accuracy ", (zenml(dir, "run show latest")))
    assert.matches("predictions on split 'test' (22 rows)", (zenml(dir, "run logs latest trainer")), 1, true)
    assert.matches("evaluated on split 'test' (22 rows)", (zenml(dir, "run logs latest evaluator")), 1, true)
    -- early stopping had the eval split: one validation loss per epoch run
    local hist = zenml(dir, "history.lua")
    local val, iterations = hist:match("^(%d+)\t(%d+)\n$")
    assert.is_not_nil(val, hist)
    assert.equals(iterations, val)
    -- re-running the recorded YAML (all cache hits) says the same
    local yaml = "pipelines/iris_" .. out:match("run (%S+) completed") .. ".yaml"
    local again = zenml(dir, "run " .. yaml)
    assert.matches("\nmetrics on split 'test': accuracy=[%d.]+ converged=[01] count=22 ", again)
    assert.matches("0 ran, 5 cached", again, 1, true)
  end)

  it("without test, evaluates eval as before", function()
    local dir = setup()
    local out, err, code = zenml(dir, "run pipeline.lua -- '{ train = 0.7, eval = 0.3 }'")
    assert.equals(0, code, err)
    assert.matches("\nmetrics on split 'eval': accuracy=[%d.]+ converged=[01] count=45 ", out)
    assert.matches("predictions on split 'eval' (45 rows)", (zenml(dir, "run logs latest trainer")), 1, true)
  end)

  it("with train and test only, trains with no early-stopping split and never sees test", function()
    local dir = setup()
    local out, err, code = zenml(dir, "run pipeline.lua -- '{ train = 0.7, test = 0.3 }'")
    assert.equals(0, code, err)
    assert.matches("\nmetrics on split 'test': accuracy=[%d.]+ converged=[01] count=45 ", out)
    local hist = zenml(dir, "history.lua")
    assert.matches("^0\t%d+\n$", hist)
  end)
end)
