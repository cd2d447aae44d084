-- Trainer defaults as a new user meets them: `Logistic {}` and
-- `FeedForward {}` on iris (70/30, z-scored by the default preprocesser)
-- fit as scikit-learn's defaults do, the logistic solver's iterations and
-- convergence are recorded as metrics, and a parameter the default solver
-- does not read is refused in one line.
local t = require "tests.support"

local PIPELINE = t.iris_pipeline {
  trainer = 'train[arg[1] ] (load("return " .. arg[2])())',
  tail = "local run = p:run()\nprint(run.status, run:metrics().accuracy)",
}

local function setup() return t.iris_repo { ["pipeline.lua"] = PIPELINE } end

local function zenml(dir, args) return t.zenml_run(args, { cwd = dir }) end

local function sql(dir, query)
  return (t.sh("sqlite3 -separator '|' .zenml/metadata.db " .. t.q(query), { cwd = dir }))
end

local TRAINER_METRICS = [[SELECT m.name || '=' || m.value FROM metrics m
  JOIN executions x ON x.id = m.execution_id
  WHERE x.step = 'trainer' AND m.run_id = (SELECT id FROM runs ORDER BY started DESC LIMIT 1)
  ORDER BY m.name]]

describe("trainer defaults", function()
  after_each(t.cleanup)

  it("Logistic {} fits iris to convergence by L-BFGS and records iterations and convergence", function()
    local dir = setup()
    local out, err, code = zenml(dir, "run pipeline.lua -- Logistic '{ seed = 1 }'")
    assert.equals(0, code, err)
    local acc = tonumber(out:match("completed%s+([%d.]+)"))
    assert.is_true(acc and acc >= 0.93, out .. err)
    local m = sql(dir, TRAINER_METRICS)
    local iterations = tonumber(m:match("^converged=1%.0\niterations=(%d+)%.0\n$"))
    assert.is_not_nil(iterations, m)
    assert.is_true(iterations > 1 and iterations < 100)
    local show = zenml(dir, "run show latest")
    assert.matches("\n  converged%s+1\n", show)
    assert.matches("\n  iterations%s+" .. iterations .. "\n", show)
    assert.matches("converged after " .. iterations .. " iterations",
      (zenml(dir, "run logs latest trainer")), 1, true)
  end)

  it("refuses an SGD-only parameter with the default solver in one line", function()
    local dir = setup()
    local out, err, code = zenml(dir, "run pipeline.lua -- Logistic '{ epochs = 20, seed = 1 }'")
    assert.equals(1, code)
    assert.equals("", out)
    assert.equals('zenml: Logistic: parameter \'epochs\' applies to solver = "sgd" only; pass '
      .. 'solver = "sgd" to train by epochs (the default solver, "lbfgs", fits to convergence; '
      .. "see max_iter and tol)\n", err)
    assert.equals("0\n", sql(dir, "SELECT count(*) FROM runs"))
  end)

  it("Logistic { solver = \"sgd\" } trains its epochs and records no convergence", function()
    local dir = setup()
    local _, err, code = zenml(dir, "run pipeline.lua -- Logistic '{ solver = \"sgd\", epochs = 20, seed = 1 }'")
    assert.equals(0, code, err)
    assert.equals("iterations=20.0\n", sql(dir, TRAINER_METRICS))
  end)

  it("FeedForward {} (scikit-learn's MLPClassifier defaults) reaches >= 0.93", function()
    local dir = setup()
    local out, err, code = zenml(dir, "run pipeline.lua -- FeedForward '{ seed = 1 }'")
    assert.equals(0, code, err)
    local acc = tonumber(out:match("completed%s+([%d.]+)"))
    assert.is_true(acc and acc >= 0.93, out .. err)
    local iterations = tonumber(sql(dir, TRAINER_METRICS):match("iterations=(%d+)"))
    assert.is_true(iterations >= 1 and iterations <= 200)
  end)
end)
