-- `zenml run ... --set STEP.PARAM=VALUE`: the value reaches the step, typed
-- by the parameter's declaration, the run's YAML records it, re-running that
-- YAML reproduces it, and bad overrides are one-line errors with exit 2.
local t = require "tests.support"
local yaml = require "zenml.yaml"

local SHOW = [[
local zenml = require "zenml"
local Show = zenml.Step:extend("Show")
Show.inputs = { prev = "value" }
Show.outputs = { out = "value" }
Show.params = {
  n = { type = "integer", default = 1 },
  rate = { type = "number", default = 0.5 },
  flag = { type = "boolean", default = false },
  name = { type = "string", default = "x" },
  sizes = { type = "list", default = { 1 } },
  mode = { type = "string", values = { "a", "b" }, default = "a" },
}
function Show:run(ctx, inputs)
  local p = self.params
  print(("n=%s:%s rate=%s:%s flag=%s name=%s sizes=%s mode=%s"):format(math.type(p.n), p.n,
    math.type(p.rate), p.rate, tostring(p.flag), p.name, table.concat(p.sizes, "|"), p.mode))
  return { out = p }
end
return Show
]]

local PIPELINE = [[
local zenml = require "zenml"
local Show = require "show"
local p = zenml.Pipeline { name = "demo" }
p:add("first", Show { n = 2 })
p:add("second", Show {}, { prev = "first.out" })
local run = p:run()
print("status=" .. run.status)
]]

local function setup()
  local dir = t.git_repo()
  local _, err, code = t.zenml_run("init", { cwd = dir })
  assert(code == 0, err)
  t.write(dir .. "/steps/show.lua", SHOW)
  t.write(dir .. "/pipeline.lua", PIPELINE)
  t.sh("git add -A && git commit -qm init", { cwd = dir })
  return dir
end

local function zenml(dir, args) return t.zenml_run(args, { cwd = dir }) end

local function newest_yaml(dir)
  return (t.sh("ls -t pipelines/*.yaml", { cwd = dir }):match("^[^\n]*"))
end

local function params_of(dir, rel, step)
  local doc = assert(yaml.read(dir .. "/" .. rel))
  return doc.steps[step].params, doc
end

describe("zenml run --set", function()
  after_each(t.cleanup)

  it("types each value by its declaration, hands it to the step and records it in the YAML", function()
    local dir = setup()
    local out, err, code = zenml(dir, "run pipeline.lua --set first.n=50 --set first.sizes=16,8"
      .. " --set second.flag=true --set second.rate=0.25 --set=second.name=hello"
      .. " --set 'second.sizes=[3, 4]'")
    assert.equals(0, code, err)
    assert.matches("status=completed", out, 1, true)
    local log1 = zenml(dir, "run logs latest first")
    assert.equals("n=integer:50 rate=float:0.5 flag=false name=x sizes=16|8 mode=a\n", log1)
    local log2 = zenml(dir, "run logs latest second")
    assert.equals("n=integer:1 rate=float:0.25 flag=true name=hello sizes=3|4 mode=a\n", log2)
    local rel = newest_yaml(dir)
    local first = params_of(dir, rel, "first")
    assert.equals(50, first.n)
    assert.same({ 16, 8 }, { first.sizes[1], first.sizes[2] })
    local second = params_of(dir, rel, "second")
    assert.equals(true, second.flag)
    assert.equals(0.25, second.rate)
    assert.equals("hello", second.name)
  end)

  it("is reproduced by re-running the YAML without --set", function()
    local dir = setup()
    local _, err, code = zenml(dir, "run pipeline.lua --set first.n=50")
    assert.equals(0, code, err)
    local rel = newest_yaml(dir)
    local out
    out, err, code = zenml(dir, "run --no-cache " .. rel)
    assert.equals(0, code, err)
    assert.matches("2 ran, 0 cached", out, 1, true)
    assert.equals("n=integer:50 rate=float:0.5 flag=false name=x sizes=1 mode=a\n",
      (zenml(dir, "run logs latest first")))
    assert.equals(50, (params_of(dir, newest_yaml(dir), "first")).n)
  end)

  it("on a YAML overrides its parameters and makes a new run", function()
    local dir = setup()
    local _, err, code = zenml(dir, "run pipeline.lua")
    assert.equals(0, code, err)
    local rel = newest_yaml(dir)
    local out
    out, err, code = zenml(dir, "run " .. rel .. " --set second.n=7 --set second.mode=b")
    assert.equals(0, code, err)
    -- first is unchanged (a cache hit), second runs with the new values
    assert.matches("1 ran, 1 cached", out, 1, true)
    assert.equals("n=integer:7 rate=float:0.5 flag=false name=x sizes=1 mode=b\n",
      (zenml(dir, "run logs latest second")))
    local new = newest_yaml(dir)
    assert.are_not.equal(rel, new)
    local second, doc = params_of(dir, new, "second")
    assert.equals(7, second.n)
    assert.equals("b", second.mode)
    local old = assert(yaml.read(dir .. "/" .. rel))
    assert.equals(old.run_id, doc.rerun_of)
    assert.equals(1, old.steps.second.params.n)
    assert.equals("2\n", t.sh("sqlite3 .zenml/metadata.db 'SELECT count(*) FROM runs'", { cwd = dir }))
  end)

  local bad = {
    { "nosuch.n=1", "zenml: --set nosuch.n=1: pipeline 'demo' has no step 'nosuch'; steps are: first, second\n" },
    { "first.nn=1", "zenml: --set first.nn=1: Show has no parameter 'nn'; parameters are: flag, mode, n, name, rate, sizes\n" },
    { "first.n=abc", "zenml: --set first.n=abc: Show: parameter 'n' expects an integer, got string \"abc\"\n" },
    { "first.n=1.5", "zenml: --set first.n=1.5: Show: parameter 'n' expects an integer, got number 1.5\n" },
    { "first.rate=fast", "zenml: --set first.rate=fast: Show: parameter 'rate' expects a number, got string \"fast\"\n" },
    { "first.flag=yes", "zenml: --set first.flag=yes: Show: parameter 'flag' expects a boolean, got string \"yes\"\n" },
    { "first.mode=c", "zenml: --set first.mode=c: Show: parameter 'mode' expects one of a, b, got string \"c\"\n" },
    { "first.sizes=[1", "zenml: --set first.sizes=[1: Show: parameter 'sizes' expects a list, got string \"[1\"\n" },
  }
  for _, case in ipairs(bad) do
    it("refuses --set " .. case[1] .. " with one line and exit 2, running nothing", function()
      local dir = setup()
      local out, err, code = zenml(dir, "run pipeline.lua --set " .. t.q(case[1]))
      assert.equals(2, code)
      assert.equals(case[2], err)
      assert.equals("", out)
      assert.equals("", t.sh("ls pipelines 2>/dev/null", { cwd = dir }))
    end)
  end

  it("refuses a bad --set on a YAML the same way", function()
    local dir = setup()
    zenml(dir, "run pipeline.lua")
    local rel = newest_yaml(dir)
    local _, err, code = zenml(dir, "run " .. rel .. " --set third.n=1")
    assert.equals(2, code)
    assert.equals("zenml: --set third.n=1: pipeline 'demo' has no step 'third'; steps are: first, second\n", err)
    _, err, code = zenml(dir, "run " .. rel .. " --set second.n=x")
    assert.equals(2, code)
    assert.equals("zenml: --set second.n=x: Show: parameter 'n' expects an integer, got string \"x\"\n", err)
    assert.equals("x\n", (t.sh("ls pipelines", { cwd = dir }):gsub("[^\n]+", "x")))
  end)

  it("refuses an argument that is not STEP.PARAM=VALUE", function()
    local dir = setup()
    local _, err, code = zenml(dir, "run pipeline.lua --set first.n")
    assert.equals(2, code)
    assert.equals("zenml: --set expects STEP.PARAM=VALUE, got 'first.n'", err:match("^[^\n]*"))
  end)
end)
