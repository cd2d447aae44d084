-- A recorded run's YAML is input like any other: validated by the same rules
-- and with the same messages as the Lua constructors, and a YAML that fails
-- changes nothing. Also: the YAML and the run record appear together, and
-- `verify --repair` mends what a crash leaves (crash points: ZENML_FAULT).
local t = require "tests.support"

local TOUCH = [[
local zenml = require "zenml"
local Touch = zenml.Step:extend("Touch")
Touch.inputs = { prev = "value" }
Touch.outputs = { out = "value" }
Touch.params = { i = { type = "integer", required = true } }
function Touch:run(ctx, inputs)
  return { out = { i = self.params.i, prev = inputs.prev or false } }
end
return Touch
]]

local PIPELINE = [[
local zenml = require "zenml"
local Touch = require "touch"
local p = zenml.Pipeline { name = "chain" }
p:add("s1", Touch { i = 1 })
p:add("s2", Touch { i = 2 }, { prev = "s1.out" })
p:add("s3", Touch { i = 3 }, { prev = "s2.out" })
p:run()
]]

local function setup()
  local dir = t.git_repo()
  local _, err, code = t.zenml_run("init", { cwd = dir })
  assert(code == 0, err)
  t.write(dir .. "/steps/touch.lua", TOUCH)
  t.write(dir .. "/pipeline.lua", PIPELINE)
  t.sh("git add -A && git commit -qm init", { cwd = dir })
  return dir
end

local function zenml(dir, args, env)
  return t.sh((env or "") .. " " .. t.q(t.zenml) .. " " .. args, { cwd = dir })
end

local function sql(dir, query)
  return (t.sh("sqlite3 .zenml/metadata.db " .. t.q(query), { cwd = dir }))
end

local function listing(dir)
  return (t.sh("ls -A pipelines; ls -A .. | grep -c ESCAPED", { cwd = dir }))
end

describe("a recorded YAML", function()
  after_each(t.cleanup)

  local dir, yaml
  before_each(function()
    dir = setup()
    local _, err, code = zenml(dir, "run pipeline.lua")
    assert(code == 0, err)
    yaml = t.slurp(dir .. "/" .. t.sh("ls pipelines/*.yaml", { cwd = dir }):match("(%S+)"))
  end)

  -- Each edit of the recorded YAML and the one line it must give.
  local cases = {
    { "a pipeline name that climbs out of pipelines/",
      function(y) return (y:gsub("\nname: chain\n", "\nname: ../../ESCAPED\n")) end,
      "Pipeline: name must be a string of letters, digits, '_', '.', '-', starting with a letter "
        .. "or digit (at most 100 characters), got \"../../ESCAPED\"" },
    { "a step name that climbs out",
      function(y) return (y:gsub("\n  s3:\n", "\n  ../../s3:\n")) end,
      "step name must be a string of letters, digits, '_', '-', starting with a letter or '_' "
        .. "(at most 100 characters), got \"../../s3\"" },
    { "jobs that are not a number",
      function(y) return (y:gsub("\n  jobs: 1\n", "\n  jobs: many\n")) end,
      "pipeline 'chain': jobs must be a positive integer, got \"many\"" },
    { "an input from a step that does not exist",
      function(y) return (y:gsub("prev: s2.out", "prev: nosuch.out")) end,
      "pipeline 'chain': step 's3' input 'prev': no step 'nosuch' in the pipeline" },
    { "an unknown orchestrator",
      function(y) return (y:gsub("class: Local", "class: K8s", 1)) end,
      "backends.orchestrator: backend class K8s not found in module 'zenml.backends.local'" },
    { "an orchestrator parameter of the wrong type",
      function(y) return (y:gsub("orchestrator:\n    name: local\n    class: Local\n    module: zenml.backends.local",
        "orchestrator:\n    name: parallel\n    class: Parallel\n    module: zenml.backends.parallel", 1)
        :gsub("params: {}\n  processing", "params: {jobs: two}\n  processing", 1)) end,
      "backends.orchestrator: Parallel: parameter 'jobs' expects an integer, got string \"two\"" },
    { "no steps",
      function(y) return (y:gsub("\nsteps:\n.-\nsources:", "\nsteps: {}\nsources:")) end,
      "pipeline 'chain': has no steps" },
    { "an output whose type is a number",
      function(y) return (y:gsub("out: value", "out: 12", 1)) end,
      "pipeline 'chain': step 's1': Touch: output 'out' has type number; types are: error, file, frame, "
        .. "metrics, model, schema, statistics, tree, value (a list: type[], a map: type{})" },
    { "a parameter of the wrong type",
      function(y) return (y:gsub("i: 2", "i: two", 1)) end,
      "step 's2': Touch: parameter 'i' expects an integer, got string \"two\"" },
    { "an unknown parameter",
      function(y) return (y:gsub("i: 2", "i: 2\n      j: 3", 1)) end,
      "step 's2': Touch: unknown parameter 'j'; parameters are: i" },
  }

  for _, c in ipairs(cases) do
    it("refuses " .. c[1] .. " with the constructor's message, changing nothing", function()
      local edited = c[2](yaml)
      assert.are_not.equal(yaml, edited)
      t.write(dir .. "/edited.yaml", edited)
      local runs, files = sql(dir, "SELECT count(*) FROM runs"), listing(dir)
      local out, err, code = zenml(dir, "run edited.yaml")
      assert.equals("", out)
      assert.equals("zenml: edited.yaml: " .. c[3] .. "\n", err)
      assert.equals(1, code)
      assert.equals(runs, sql(dir, "SELECT count(*) FROM runs"))
      assert.equals(files, listing(dir))
    end)
  end

  it("still runs when it is valid", function()
    t.write(dir .. "/again.yaml", yaml)
    local out, err, code = zenml(dir, "run again.yaml")
    assert.equals(0, code, err)
    assert.matches("completed: 3 steps, 0 ran, 3 cached", out, 1, true)
  end)
end)

describe("the YAML and the run record", function()
  after_each(t.cleanup)

  it("appear together: a crash before the record leaves no YAML and no run", function()
    local dir = setup()
    local _, err, code = zenml(dir, "run pipeline.lua", "ZENML_FAULT=run.yaml.written:1")
    assert.equals(137, code)
    assert.matches("fault injected at run.yaml.written", err, 1, true)
    assert.equals("0\n", sql(dir, "SELECT count(*) FROM runs"))
    assert.equals("", (t.sh("ls pipelines", { cwd = dir })))
    local out = zenml(dir, "verify")
    assert.matches("left by a run that was never recorded", out, 1, true)
    out, err, code = zenml(dir, "verify --repair")
    assert.equals(0, code, err)
    assert.matches("repaired: pipelines/%.chain_.*%.yaml%.partial: removed", out)
    assert.equals("", (t.sh("ls -A pipelines", { cwd = dir })))
  end)

  it("a crash after the record leaves a failed run whose YAML repair puts in place", function()
    local dir = setup()
    local _, _, code = zenml(dir, "run pipeline.lua", "ZENML_FAULT=run.recorded:1")
    assert.equals(137, code)
    local id = sql(dir, "SELECT id FROM runs"):match("%S+")
    assert.equals("", (t.sh("ls pipelines", { cwd = dir })))
    local out, _, vcode = zenml(dir, "verify")
    assert.equals(1, vcode)
    assert.matches("run " .. id .. " was recorded but its YAML was not put in place", out, 1, true)
    out = zenml(dir, "verify --repair")
    assert.matches("repaired: pipelines/chain_" .. id .. ".yaml: put in place for run " .. id, out,
      1, true)
    assert.matches("consistent", out, 1, true)
    -- the command after the crash found the run's process gone: failed, not running
    assert.equals("failed\n", sql(dir, "SELECT status FROM runs"))
    local rout, rerr, rcode = zenml(dir, "run pipelines/chain_" .. id .. ".yaml")
    assert.equals(0, rcode, rerr)
    assert.matches("completed: 3 steps", rout, 1, true)
  end)

  it("a run that raises after it was recorded ends failed, not running", function()
    local dir = setup()
    t.write(dir .. "/steps/touch.lua", TOUCH:gsub("return { out", "error(setmetatable({}, "
      .. "{ __tostring = function() error('no') end })) return { out"))
    local _, _, code = zenml(dir, "run pipeline.lua")
    assert.are_not.equal(0, code)
    assert.equals("", sql(dir, "SELECT id FROM runs WHERE status = 'running'"))
  end)
end)

describe("verify --repair", function()
  after_each(t.cleanup)

  it("marks executions whose outputs were never made durable invalid; the re-run makes them", function()
    local dir = setup()
    -- killed as the write-behind thread puts s2's output in place
    local _, _, code = zenml(dir, "run pipeline.lua", "ZENML_FAULT=store.put.written:1")
    assert.equals(137, code)
    local out, _, vcode = zenml(dir, "verify")
    assert.equals(1, vcode)
    assert.matches("sha256:%x+: missing", out)
    out = zenml(dir, "verify --json")
    assert.matches('"repaired":[]', out, 1, true)
    local rout, rerr, rcode = zenml(dir, "verify --repair")
    assert.equals(0, rcode, rerr)
    assert.matches("repaired: sha256:%x+: lost; %d execution", rout)
    assert.matches("consistent", rout, 1, true)
    assert.matches("invalid", sql(dir, "SELECT group_concat(status) FROM executions"), 1, true)
    -- nothing invalid is a cache hit: the run makes the lost outputs again
    local _, err2, code2 = zenml(dir, "run pipeline.lua")
    assert.equals(0, code2, err2)
    local vout, _, vcode2 = zenml(dir, "verify --json")
    assert.equals(0, vcode2)
    assert.equals('{"ok":true,"problems":[],"repaired":[]}\n', vout)
  end)

  it("refuses arguments", function()
    local dir = setup()
    local _, err, code = zenml(dir, "verify extra")
    assert.equals(2, code)
    assert.matches("^zenml: verify takes no arguments, got 'extra'\n", err)
  end)
end)
