-- What `zenml run` prints: the summary line and the run's headline metrics,
-- the same whether the pipeline ran from its script or from its YAML.
local t = require "tests.support"

local PIPELINE = t.iris_pipeline {
  pre = 'pre.Standard { features = { "sepal_length", "sepal_width", "petal_length", '
    .. '"petal_width" }, labels = { "species" } }',
  trainer = "train.Logistic { seed = 1 }",
}

local function setup() return t.iris_repo { ["pipeline.lua"] = PIPELINE } end

local function zenml(dir, args) return t.zenml_run(args, { cwd = dir }) end

-- The output with the run id and the seconds taken made neutral.
local function neutral(out)
  return (out:gsub("%d%d%d%d%d%d%d%d%-%d%d%d%d%d%d%-%d%d%d%d%d%d%-%x%x%x%x", "RUN")
    :gsub("%(%d+%.%d+ s%)", "(S s)"))
end

describe("zenml run output", function()
  after_each(t.cleanup)

  it("is the same summary and metrics for the script and for its YAML", function()
    local dir = setup()
    local script_out, err, code = zenml(dir, "run pipeline.lua")
    assert.equals(0, code, err)
    local first = script_out:match("run (%S+) completed")
    assert.matches("\nmetrics on split 'eval': accuracy=[%d.]+ converged=1 count=45 iterations=%d+ log_loss=[%d.e-]+ macro_f1=",
      script_out)
    assert.matches("more: zenml run show " .. first .. ")\n", script_out, 1, true)
    local rel = "pipelines/iris_" .. first .. ".yaml"
    local again
    again, err, code = zenml(dir, "run --no-cache " .. rel)
    assert.equals(0, code, err)
    assert.equals(neutral(script_out), neutral(again))
    -- cache hits report the metrics of the executions they reuse
    local cached
    cached, err, code = zenml(dir, "run " .. rel)
    assert.equals(0, code, err)
    assert.matches("0 ran, 5 cached", cached, 1, true)
    assert.equals(neutral(script_out):match("\n(metrics [^\n]*)"), neutral(cached):match("\n(metrics [^\n]*)"))
  end)

  it("prints every metric the same way in run show, and times as ISO dates", function()
    local dir = setup()
    local out, err, code = zenml(dir, "run pipeline.lua")
    assert.equals(0, code, err)
    local acc = out:match("metrics on split 'eval': accuracy=(%S+)")
    local show = zenml(dir, "run show latest")
    assert.matches("\n  accuracy%s+" .. acc:gsub("%.", "%%.") .. "\n", show)
    -- times as ISO 8601 dates
    local iso = "%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ"
    assert.matches("\nstarted%s+" .. iso .. "\n", show)
    assert.matches("\nended%s+" .. iso .. "\n", show)
    assert.matches("\n%S+%s+iris%s+completed%s+" .. iso, (zenml(dir, "run list")))
  end)
end)
