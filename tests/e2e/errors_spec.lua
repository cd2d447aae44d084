-- Errors a person can act on, and the command line's --json, as a user meets
-- them: the real binary in a throwaway git repository.
local t = require "tests.support"

local TOUCH = [[
local zenml = require "zenml"
local Touch = zenml.Step:extend("Touch")
Touch.inputs = { prev = "value" }
Touch.outputs = { out = "value" }
Touch.params = { i = { type = "integer", required = true }, tag = { type = "string", default = "x" } }
function Touch:run(ctx, inputs)
  return { out = { i = self.params.i, tag = self.params.tag } }
end
return Touch
]]

local PIPELINE = [[
local zenml = require "zenml"
local Touch = require "touch"
local p = zenml.Pipeline { name = "chain" }
p:add("a", Touch { i = 1 })
p:add("b", Touch { i = 2, tag = arg[1] }, { prev = "a.out" })
p:run()
]]

local function zenml(dir, args) return t.zenml_run(args, { cwd = dir }) end

-- A repository with the chain pipeline committed and run once.
local function setup(runs)
  local dir = t.git_repo()
  local _, err, code = zenml(dir, "init")
  assert(code == 0, err)
  t.write(dir .. "/steps/touch.lua", TOUCH)
  t.write(dir .. "/pipeline.lua", PIPELINE)
  t.sh("git add -A && git commit -qm init", { cwd = dir })
  for i = 1, runs or 1 do
    _, err, code = zenml(dir, "run pipeline.lua -- t" .. i)
    assert(code == 0, err)
  end
  return dir
end

local function json(text)
  return require("zenml.yaml").decode(text, "output")
end

describe("command line usage errors", function()
  after_each(t.cleanup)

  it("refuses an unknown run status in one line, exit 2, listing the statuses", function()
    local dir = setup(0)
    local out, err, code = zenml(dir, "run list --status bogus")
    assert.equals(2, code)
    assert.equals("", out)
    assert.equals("zenml: unknown status 'bogus'; statuses are: running, completed, failed\n", err)
    _, err, code = zenml(dir, "run list --status complete")
    assert.equals(2, code)
    assert.equals("zenml: unknown status 'complete'; statuses are: running, completed, failed;"
      .. " did you mean completed?\n", err)
    _, err, code = zenml(dir, "run list --limit ten")
    assert.equals(2, code)
    assert.equals("zenml: --limit expects a whole number >= 1, got 'ten'\n", err)
  end)

  it("prefixes a pipeline script that cannot be opened with zenml:", function()
    local dir = setup(0)
    local _, err, code = zenml(dir, "run nope.lua")
    assert.equals(1, code)
    assert.equals("zenml: cannot open nope.lua: No such file or directory\n", err)
  end)

  it("says a bundle path that does not exist is no such file", function()
    local dir = setup(0)
    local _, err, code = zenml(dir, "predict nosuch.tar.gz data.csv")
    assert.equals(1, code)
    assert.equals("zenml: nosuch.tar.gz: no such file\n", err)
    _, err, code = zenml(dir, "predict models/m.tgz data.csv")
    assert.equals(1, code)
    assert.equals("zenml: models/m.tgz: no such file\n", err)
    _, err, code = zenml(dir, "predict nosuchrun data.csv")
    assert.equals(1, code)
    assert.equals("zenml: no run 'nosuchrun'\n", err)
  end)
end)

describe("--json", function()
  local dir
  before_each(function() dir = setup(2) end)
  after_each(t.cleanup)

  it("is supported by version, run explain and pipeline graph", function()
    local out, err, code = zenml(dir, "version --json")
    assert.equals(0, code, err)
    assert.matches('^{"version":"%d+%.%d+%.%d+"}\n$', out)

    out, err, code = zenml(dir, "run explain latest b --json")
    assert.equals(0, code, err)
    local rec = json(out)
    assert.equals("b", rec.step)
    assert.equals("Touch", rec.class)
    assert.equals("differs", rec.verdict)
    assert.same({ { kind = "parameter", name = "tag", before = "t1", after = "t2" } },
      rec.differences)
    out = zenml(dir, "run explain latest a --json")
    assert.equals("cached", json(out).verdict)

    out, err, code = zenml(dir, "pipeline graph latest --json")
    assert.equals(0, code, err)
    rec = json(out)
    assert.equals("chain", rec.pipeline)
    assert.equals(2, #rec.steps)
    assert.same({ name = "b", class = "Touch", status = "completed", deps = { "a" } }, rec.steps[2])
    assert.equals("a", rec.steps[1].name)
    assert.equals("cached", rec.steps[1].status)
  end)

  it("is refused in one line, exit 2, where it makes no sense", function()
    local out, err, code = zenml(dir, "run logs latest a --json")
    assert.equals(2, code)
    assert.equals("", out)
    assert.equals("zenml: run logs prints a step's log as it was written; --json is not supported\n", err)
    out, err, code = zenml(dir, "run pipeline.lua --json")
    assert.equals(2, code)
    assert.equals("zenml: running a pipeline prints its progress as text; --json is not supported\n", err)
    _, err, code = zenml(dir, "pipeline graph latest --json --dot")
    assert.equals(2, code)
    assert.equals("zenml: pipeline graph takes --dot or --json, not both\n", err)
  end)

  it("gives run list's seconds as a number and step list's parameters as an object", function()
    local out, err, code = zenml(dir, "run list --json")
    assert.equals(0, code, err)
    local runs = json(out)
    assert.equals(2, #runs)
    assert.equals("number", type(runs[1].seconds))
    assert.is_true(runs[1].seconds >= 0)

    out, err, code = zenml(dir, "step list --json")
    assert.equals(0, code, err)
    local touch
    for _, r in ipairs(json(out)) do
      if r.class == "Touch" then touch = r end
    end
    assert.same({ i = { type = "integer", required = true }, tag = { type = "string", default = "x" } },
      touch.params)
    -- the table keeps the one-line form
    out = zenml(dir, "step list")
    assert.matches("i:integer required, tag:string =x", out, 1, true)
  end)
end)
