-- The zenml package table: every documented submodule is reachable as a
-- field (loaded on first use), and printing it lists what it holds.
local zenml = require "zenml"

describe("the zenml package", function()
  it("has every documented submodule as a field", function()
    for _, name in ipairs { "stats", "steplib", "json", "frame", "ml", "steps", "pipelines",
      "datasources", "hash", "yaml", "meta", "store", "exec", "check" } do
      assert.equals("table", type(zenml[name]), name)
      assert.equals(require("zenml." .. name), zenml[name], name)
    end
    assert.equals("function", type(zenml.stats.compute))
    assert.equals("function", type(zenml.stats.infer_schema))
    assert.equals("function", type(zenml.steplib.partition_values))
    assert.is_nil(zenml.nosuch)
  end)

  it("prints its version, submodules, classes and functions", function()
    local text = tostring(zenml)
    local lines = {}
    for line in text:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.equals("zenml " .. zenml.version, lines[1])
    assert.matches("^  submodules: .*%f[%w]stats, steplib, steps%f[%W]", lines[2])
    assert.matches("datasources", lines[2], 1, true)
    assert.equals("  classes:    Pipeline, Step", lines[3])
    assert.matches("^  functions:  .*repo", lines[4])
    assert.equals(tostring(zenml), require("zenml.pretty").format(zenml))
  end)

  it("lists its public names for completion, loaded or not", function()
    local names = getmetatable(zenml).__keys()
    local set = {}
    for _, n in ipairs(names) do set[n] = true end
    for _, n in ipairs { "meta", "stats", "steplib", "Step", "Pipeline", "repo", "version" } do
      assert.is_true(set[n], n)
    end
    assert.is_nil(set._lazy)
  end)
end)
