-- The Data pipeline end to end: statistics and schema artifacts, shown as
-- readable tables by the CLI and in Lua.
local t = require "tests.support"

describe("the Data pipeline", function()
  after_each(t.cleanup)

  it("computes statistics and a schema that the CLI and Lua show as tables", function()
    local dir = t.git_repo()
    t.zenml_run("init", { cwd = dir })
    os.execute("mkdir -p " .. t.q(dir .. "/data") .. " && cp " .. t.q(t.src .. "/tests/data/iris.csv")
      .. " " .. t.q(dir .. "/data/"))
    t.write(dir .. "/p.lua", [[
local zenml = require "zenml"
local p = zenml.pipelines.Data { name = "iris-data" }
p:add_datasource(zenml.datasources.CSV { name = "iris", path = "data/iris.csv" })
local run = p:run()
for _, a in ipairs(run:artifacts()) do
  if a.kind == "output" and (a.type == "statistics" or a.type == "schema") then
    io.write(a.type, " ", a.id, "\n")
    io.write(tostring(zenml.repo():artifact(a.id):read()), "\n")
  end
end
]])
    t.sh("git add -A && git commit -qm data", { cwd = dir })
    local out, err, code = t.zenml_run("run p.lua", { cwd = dir })
    assert.equals(0, code, err)
    assert.matches("completed: 3 steps", out, 1, true)
    assert.matches("sepal_length%s+float64%s+150%s+0%s+5%.84333", out)
    assert.matches("species%s+string%s+no%s+{setosa, versicolor, virginica}", out)
    local id = out:match("statistics (sha256:%x+)")
    local shown = t.zenml_run("artifact show " .. id, { cwd = dir })
    assert.matches("type%s+statistics", shown)
    assert.matches("column%s+type%s+count%s+nulls%s+mean", shown)
    assert.matches("150 rows x 5 columns", shown, 1, true)
  end)
end)
