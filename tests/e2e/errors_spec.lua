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
    assert.equals("zenml: unknown status 'bogus'; statuses are: running, completed, failed, cancelled\n", err)
    _, err, code = zenml(dir, "run list --status complete")
    assert.equals(2, code)
    assert.equals("zenml: unknown status 'complete'; statuses are: running, completed, failed, cancelled;"
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
    _, err, code = zenml(dir, "config get defaults.jobs --json")
    assert.equals(2, code)
    assert.equals("zenml: config get prints a value as text; --json is not supported\n", err)
    _, err, code = zenml(dir, "artifact export abc out --json")
    assert.equals(2, code)
    assert.equals("zenml: artifact export prints the path it wrote; --json is not supported\n", err)
    _, err, code = zenml(dir, "pipeline graph latest --json --dot")
    assert.equals(2, code)
    assert.equals("zenml: pipeline graph takes one of --dot, --json and --svg\n", err)
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

local BOOM = [[
local zenml = require "zenml"
local Boom = zenml.Step:extend("Boom")
Boom.outputs = { out = "value" }
local function helper(x)
  error("bad value " .. x)
end
function Boom:run(ctx, inputs)
  helper(3)
end
return Boom
]]

local BOOM_PIPELINE = [[
local zenml = require "zenml"
local Boom = require "boom"
local p = zenml.Pipeline { name = "boom" }
p:add("boom", Boom {})
p:run()
]]

local HIDDEN = "\t(zenml's own frames hidden: --traceback or ZENML_TRACEBACK=1 shows them)\n"

describe("errors in the user's code", function()
  local dir
  before_each(function()
    dir = setup(0)
    t.write(dir .. "/steps/boom.lua", BOOM)
    t.write(dir .. "/boom.lua", BOOM_PIPELINE)
    t.sh("git add -A && git commit -qm boom", { cwd = dir })
  end)
  after_each(t.cleanup)

  local STEP_ERROR = "zenml: step 'boom' failed: steps/boom.lua:5: bad value 3\nstack traceback:\n"
    .. "\tsteps/boom.lua:5: in upvalue 'helper'\n\tsteps/boom.lua:8: in method 'run'\n" .. HIDDEN

  it("names the step, the user's file:line and only the user's frames", function()
    local _, err, code = zenml(dir, "run boom.lua")
    assert.equals(1, code)
    assert.equals(STEP_ERROR, err)
  end)

  it("does the same for a step run on a worker thread", function()
    local _, err, code = zenml(dir, "run boom.lua -j 2")
    assert.equals(1, code)
    assert.equals(STEP_ERROR, err)
  end)

  it("does the same for a step run by step exec in its own process", function()
    t.write(dir .. "/orch.lua", [[
local zenml = require "zenml"
local runner = require "zenml.runner"
local p = zenml.Pipeline { name = "boom" }
p:add("boom", require("boom") {})
local repo = zenml.repo()
local doc = runner.resolve(p, repo, {})
local rel = runner.record(repo, doc)
local ok = os.execute(("%s step exec %s boom > exec.out 2> exec.err"):format(arg[1], rel))
repo:meta():run_finish(doc.run_id, "failed")
print(ok and "ok" or "failed")
]])
    t.sh("git add -A && git commit -qm orch", { cwd = dir })
    local out, err, code = zenml(dir, "orch.lua " .. t.q(t.zenml))
    assert.equals(0, code, err)
    assert.equals("failed\n", out)
    assert.equals("step boom failed\n", t.slurp(dir .. "/exec.out"))
    assert.equals(STEP_ERROR, t.slurp(dir .. "/exec.err"))
  end)

  it("shows zenml's own frames with --traceback or ZENML_TRACEBACK=1", function()
    for _, cmd in ipairs { "--traceback run boom.lua", "run boom.lua --traceback",
        "run boom.lua -j 2 --traceback" } do
      local _, err, code = zenml(dir, cmd)
      assert.equals(1, code)
      assert.matches("^zenml: step 'boom' failed: steps/boom.lua:5: bad value 3\nstack traceback:\n", err)
      assert.matches("lua/zenml/engine/task.lua:%d+: in ", err)
      assert.not_matches("hidden", err, 1, true)
    end
    local _, err = t.sh("ZENML_TRACEBACK=1 " .. t.q(t.zenml) .. " run boom.lua", { cwd = dir })
    assert.matches("lua/zenml/engine/task.lua:%d+: in ", err)
    -- the run's records keep every frame
    local log = zenml(dir, "run logs latest boom")
    assert.matches("lua/zenml/engine/task.lua:%d+: in ", log)
  end)

  it("prints a script's error with the zenml: prefix and the script's frames", function()
    t.write(dir .. "/s.lua", "local function go()\n  local t = nil\n  return t.x\nend\ngo()\n")
    local _, err, code = zenml(dir, "s.lua")
    assert.equals(1, code)
    assert.equals("zenml: s.lua:3: attempt to index a nil value (local 't')\nstack traceback:\n"
      .. "\ts.lua:3: in local 'go'\n\ts.lua:5: in main chunk\n", err)
    _, err, code = zenml(dir, "run s.lua")
    assert.equals(1, code)
    assert.equals("zenml: s.lua:3: attempt to index a nil value (local 't')\nstack traceback:\n"
      .. "\ts.lua:3: in local 'go'\n\ts.lua:5: in main chunk\n" .. HIDDEN, err)
  end)

  it("keeps the frames of an error in a step module's own code while it loads", function()
    t.write(dir .. "/steps/bad.lua", "local function oops()\n  local t\n  return t.x\nend\noops()\n")
    t.write(dir .. "/q.lua", "local zenml = require 'zenml'\nlocal bad = require 'bad'\n")
    local _, err, code = zenml(dir, "run q.lua")
    assert.equals(1, code)
    assert.equals("zenml: steps/bad.lua:3: attempt to index a nil value (local 't')\n"
      .. "stack traceback:\n\tsteps/bad.lua:3: in local 'oops'\n\tsteps/bad.lua:5: in main chunk\n"
      .. "\tq.lua:2: in main chunk\n" .. HIDDEN, err)
  end)

  it("prints a bad parameter as one line at the user's line, with a suggestion", function()
    t.write(dir .. "/p.lua", [[
local train = require "zenml.steps.trainer"
local function build()
  local step = train.Logistic { epoch = 3 }
  return step
end
build()
]])
    local _, err, code = zenml(dir, "run p.lua")
    assert.equals(1, code)
    assert.matches("^zenml: p%.lua:3: Logistic: unknown parameter 'epoch'; parameters are: "
      .. "batch_size, epochs, [%w_, ]+; did you mean epochs%?\n$", err)
  end)

  it("suggests a step class, a method and a global one or two edits away", function()
    t.write(dir .. "/p.lua", [[
local zenml = require "zenml"
local train = require "zenml.steps.trainer"
local t = train.FeedFoward { epochs = 3 }
]])
    local _, err = zenml(dir, "run p.lua")
    assert.equals("zenml: p.lua:3: attempt to call a nil value (field 'FeedFoward'); "
      .. "did you mean FeedForward?\n", err)
    t.write(dir .. "/p.lua", [[
local zenml = require "zenml"
local p = zenml.pipelines.Training { name = "x" }
p:add_trainr(1)
]])
    _, err = zenml(dir, "run p.lua")
    assert.equals("zenml: p.lua:3: attempt to call a nil value (method 'add_trainr'); "
      .. "did you mean add_trainer?\n", err)
    t.write(dir .. "/p.lua", "prnt('x')\n")
    _, err = zenml(dir, "p.lua")
    assert.equals("zenml: p.lua:1: attempt to call a nil value (global 'prnt'); did you mean print?\n", err)
  end)

  it("suggests names reached through a module table and lazily loaded ones", function()
    t.write(dir .. "/p.lua", [[
local zenml = require "zenml"
local d = zenml.datasources.CVS { name = "x", path = "data.csv" }
]])
    local _, err = zenml(dir, "run p.lua")
    assert.equals("zenml: p.lua:2: attempt to call a nil value (field 'CVS'); did you mean CSV?\n", err)
    t.write(dir .. "/p.lua", [[
local zenml = require "zenml"
local p = zenml.pipelines.Trainig { name = "x" }
]])
    _, err = zenml(dir, "run p.lua")
    assert.equals("zenml: p.lua:2: attempt to call a nil value (field 'Trainig'); "
      .. "did you mean Training?\n", err)
  end)

  it("gives an error without a position the user's line when the user's code raised it", function()
    t.write(dir .. "/steps/boom.lua", (BOOM:gsub('error%("bad value " %.%. x%)',
      'error("bad value " .. x, 0)')))
    t.sh("git add -A && git commit -qm level0", { cwd = dir })
    local _, err, code = zenml(dir, "run boom.lua")
    assert.equals(1, code)
    assert.equals(STEP_ERROR, err)
  end)

  it("prints errors about zenml's inputs inside a built-in step as one line", function()
    t.write(dir .. "/data.csv", "a,b,label\n1,2,x\n3,4,y\n5,6,x\n")
    t.write(dir .. "/p.lua", [[
local zenml = require "zenml"
local split = require "zenml.steps.split"
local pre = require "zenml.steps.preprocesser"
local p = zenml.pipelines.Training { name = "t" }
p:add_datasource(zenml.datasources.CSV { name = "d", path = "data.csv" })
p:add_split(split.]] .. "Random { split_map = { train = 0.99, eval = 0.01 } })" .. [[

p:add_preprocesser(pre.Standard { features = { "a", "bb" }, labels = { "label" } })
p:add_trainer(require("zenml.steps.trainer").Logistic {})
p:run()
]])
    local _, err, code = zenml(dir, "run p.lua")
    assert.equals(1, code)
    assert.equals("zenml: step 'split' failed: split 'eval' is empty (Random fractions eval = 0.01,"
      .. " train = 0.99, seed 0)\n", err)
    local y = t.slurp(dir .. "/p.lua"):gsub("0%.99, eval = 0%.01", "0.5, eval = 0.5")
    t.write(dir .. "/p.lua", y)
    _, err, code = zenml(dir, "run p.lua")
    assert.equals(1, code)
    assert.equals("zenml: step 'preprocesser' failed: Standard: column 'bb' not found; columns are:"
      .. " a, b, label; did you mean b?\n", err)
  end)

  it("names an unknown step class of a YAML once, with a suggestion", function()
    local _, err, code = zenml(dir, "run pipeline.lua -- x")
    assert.equals(0, code, err)
    local first = t.sh("ls pipelines", { cwd = dir }):match("(chain_%S+%.yaml)")
    local y = t.slurp(dir .. "/pipelines/" .. first)
    t.write(dir .. "/edited.yaml", (y:gsub("class: Touch", "class: Tuch", 1)))
    _, err, code = zenml(dir, "run edited.yaml")
    assert.equals(1, code)
    assert.equals("zenml: edited.yaml: step 'a': class Tuch not found in module 'touch'; "
      .. "did you mean Touch?\n", err)
  end)

  it("suggests commands, options and backends", function()
    local _, err, code = zenml(dir, "rn")
    assert.equals(2, code)
    assert.matches("^zenml: unknown command 'rn'; did you mean run%?\nCommands:\n", err)
    _, err, code = zenml(dir, "run list --stauts failed")
    assert.equals(2, code)
    assert.matches("^zenml: unknown option '%-%-stauts'; did you mean %-%-status%?\nusage: ", err)
    _, err, code = zenml(dir, "run lst")
    assert.equals(2, code)
    assert.matches("^zenml: unknown action 'lst'; did you mean list%?\nusage: zenml run ", err)
    _, err, code = zenml(dir, "pipeline grph latest")
    assert.equals(2, code)
    assert.matches("^zenml: unknown action 'grph'; did you mean graph%?\nusage: zenml pipeline ", err)
    _, err, code = zenml(dir, "--travback run boom.lua")
    assert.equals(2, code)
    assert.matches("^zenml: unknown option '%-%-travback'; did you mean %-%-traceback%?\nusage: ", err)
    _, err, code = zenml(dir, "run boom.lua")
    assert.equals(1, code)
    _, err, code = zenml(dir, "run logs latest bom")
    assert.equals(1, code)
    assert.matches("^zenml: run [%d%-a-f]+ has no step 'bom'; did you mean boom%?\n$", err)
    _, err, code = zenml(dir, "run boom.lua --backend paralel")
    assert.equals(2, code)
    assert.equals("zenml: unknown backend 'paralel'; backends are: local, parallel, slurm, slurm_array, threads; did you mean parallel?\n", err)
  end)
end)
