-- Pipelines end to end: a throwaway git repository, the real zenml binary,
-- then the YAML, the stores and the metadata database checked.
local t = require "tests.support"

local TOUCH = [[
local zenml = require "zenml"
local Touch = zenml.Step:extend("Touch")
Touch.inputs = { prev = "value" }
Touch.outputs = { out = "value" }
Touch.params = { i = { type = "integer", required = true }, tag = { type = "string", default = "x" } }
function Touch:run(ctx, inputs)
  print("touch " .. self.params.i .. " " .. self.params.tag .. " v1")
  return { out = { i = self.params.i, prev = inputs.prev or false, tag = self.params.tag } }
end
return Touch
]]

local PIPELINE = [[
local zenml = require "zenml"
local Touch = require "touch"
local tags = { s3 = arg[1] or "x" }
local p = zenml.Pipeline { name = "chain" }
p:add("s1", Touch { i = 1 })
for i = 2, 5 do
  p:add("s" .. i, Touch { i = i, tag = tags["s" .. i] }, { prev = "s" .. (i - 1) .. ".out" })
end
local run = p:run()
io.write("status=", run.status, "\n")
]]

local function setup()
  local dir = t.git_repo()
  local _, err, code = t.init(dir)
  assert(code == 0, err)
  t.write(dir .. "/steps/touch.lua", TOUCH)
  t.write(dir .. "/pipeline.lua", PIPELINE)
  t.sh("git add -A && git commit -qm init", { cwd = dir })
  return dir
end

local function zenml(dir, args) return t.zenml_run(args, { cwd = dir }) end

local sql = t.sql

local function statuses(dir, run)
  local out = sql(dir, "SELECT step || '=' || status FROM executions WHERE run_id = "
    .. (run and ("'" .. run .. "'") or "(SELECT id FROM runs ORDER BY started DESC LIMIT 1)")
    .. " ORDER BY step")
  return (out:gsub("\n", " "))
end

-- fail.lua: a -> b (steps/boom.lua, which the test writes) -> c, and a -> d;
-- committed with the rest.
local function write_failing(dir)
  t.write(dir .. "/fail.lua", [[
local zenml = require "zenml"
local Touch, Boom = require "touch", require "boom"
local p = zenml.Pipeline { name = "failing" }
p:add("a", Touch { i = 1 })
p:add("b", Boom {}, { prev = "a.out" })
p:add("c", Touch { i = 3 }, { prev = "b.out" })
p:add("d", Touch { i = 4 }, { prev = "a.out" })
p:run()
]])
  t.sh("git add -A && git commit -qm boom", { cwd = dir })
end

describe("running a pipeline", function()
  after_each(t.cleanup)

  it("writes a read-only YAML first and records a completed run", function()
    local dir = setup()
    local out, err, code = zenml(dir, "run pipeline.lua")
    assert.equals(0, code, err)
    assert.matches("status=completed", out, 1, true)
    assert.matches("5 ran, 0 cached", out, 1, true)
    local files = t.sh("ls pipelines", { cwd = dir })
    local yaml_file = files:match("(chain_%S+%.yaml)")
    assert.is_truthy(yaml_file)
    local mode = t.sh("stat -c %a pipelines/" .. yaml_file, { cwd = dir })
    assert.equals("444\n", mode)
    local y = t.slurp(dir .. "/pipelines/" .. yaml_file)
    for _, key in ipairs { "version: 1", "name: chain", "type: Pipeline", "run_id:", "created:",
      "git:", "steps:", "source: touch@", "backends:", "orchestrator:\n    name: local\n    class: Local", "stores:",
      "artifact: .zenml/artifacts", "metadata: " .. t.metadata_url(dir) } do
      assert.matches(key, y, 1, true)
    end
    local blob = t.sh("git rev-parse HEAD:steps/touch.lua", { cwd = dir }):gsub("%s", "")
    assert.matches("touch@" .. blob, y, 1, true)
    assert.equals("completed\n", sql(dir, "SELECT status FROM runs"))
    assert.equals("pipelines/" .. yaml_file .. "\n", sql(dir, "SELECT yaml_path FROM runs"))
  end)

  it("runs nothing again when nothing changed", function()
    local dir = setup()
    zenml(dir, "run pipeline.lua")
    local out, err, code = zenml(dir, "run pipeline.lua")
    assert.equals(0, code, err)
    assert.matches("0 ran, 5 cached", out, 1, true)
    assert.equals("s1=cached s2=cached s3=cached s4=cached s5=cached ", statuses(dir))
    -- lineage of a cached step reads as if it had run: s2 reads s1's output
    -- and writes its own, in both runs
    local s2out = sql(dir, "SELECT artifact FROM events e JOIN executions x ON x.id = e.execution_id"
      .. " WHERE x.step = 's2' AND e.kind = 'output'"):gsub("%s", "")
    local shown = zenml(dir, "artifact show " .. s2out)
    local runs = sql(dir, "SELECT id FROM runs ORDER BY started")
    local first, second = runs:match("^(%S+)\n(%S+)\n$")
    assert.matches("output out of step s2 in run " .. first, shown, 1, true)
    assert.matches("output out of step s2 in run " .. second, shown, 1, true)
    assert.matches("input  prev of step s3 in run " .. second, shown, 1, true)
    local check = [[
      local r = assert(require("zenml").repo():run("RUN"))
      local n = 0
      for _, a in ipairs(r:artifacts()) do if a.step == "s2" then n = n + 1 end end
      io.write("s2 artifacts ", n, "\n")
    ]]
    t.write(dir .. "/check.lua", (check:gsub("RUN", second)))
    assert.matches("s2 artifacts 2", (zenml(dir, "check.lua")), 1, true)
  end)

  it("re-executes exactly the changed step and what is downstream of it", function()
    local dir = setup()
    zenml(dir, "run pipeline.lua")
    local out = zenml(dir, "run pipeline.lua -- changed")
    assert.matches("3 ran, 2 cached", out, 1, true)
    assert.equals("s1=cached s2=cached s3=completed s4=completed s5=completed ", statuses(dir))
    local explain = zenml(dir, "run explain latest s3")
    assert.matches("parameter 'tag': x -> changed", explain, 1, true)
    explain = zenml(dir, "run explain latest s4")
    assert.matches("input 'prev': sha256:", explain, 1, true)
    explain = zenml(dir, "run explain latest s1")
    assert.matches("was a cache hit", explain, 1, true)
  end)

  it("re-executes a step whose source was edited, and not after committing it unchanged", function()
    local dir = setup()
    zenml(dir, "run pipeline.lua")
    t.write(dir .. "/steps/touch.lua", (TOUCH:gsub("v1", "v2")))
    local out, err = zenml(dir, "run pipeline.lua")
    assert.matches("5 ran, 0 cached", out, 1, true)
    assert.matches("warning: steps/touch.lua has uncommitted changes", err, 1, true)
    local y = t.sh("cat $(ls -t pipelines/*.yaml | head -1)", { cwd = dir })
    assert.matches("dirty: true", y, 1, true)
    t.sh("git commit -qam edit", { cwd = dir })
    out, err = zenml(dir, "run pipeline.lua")
    assert.matches("0 ran, 5 cached", out, 1, true)
    assert.equals("", err)
  end)

  it("pins a module two step modules require, and re-executes both when it is edited", function()
    -- b.lua requires util after a.lua has loaded it: no searcher sees that
    -- second require, yet util is part of b's source all the same
    local dir = setup()
    t.write(dir .. "/steps/util.lua", 'return { word = "w1" }\n')
    for _, s in ipairs { "a", "b" } do
      t.write(dir .. "/steps/" .. s .. ".lua", ([[
local zenml = require "zenml"
local util = require "util"
local S = zenml.Step:extend("S_%s")
S.outputs = { out = "value" }
function S:run(ctx)
  print("%s " .. util.word)
  return { out = "%s " .. util.word }
end
return S
]]):format(s, s, s))
    end
    t.write(dir .. "/shared.lua", [[
local zenml = require "zenml"
local A, B = require "a", require "b"
local p = zenml.Pipeline { name = "shared" }
p:add("a", A {})
p:add("b", B {})
p:run()
]])
    t.sh("git add -A && git commit -qm shared", { cwd = dir })
    local out, err, code = zenml(dir, "run shared.lua")
    assert.equals(0, code, err)
    local first = t.sh("ls pipelines", { cwd = dir }):match("(shared_%S+%.yaml)")
    local y = t.slurp(dir .. "/pipelines/" .. first)
    local blob = t.sh("git rev-parse HEAD:steps/util.lua", { cwd = dir }):gsub("%s", "")
    assert.matches("\n  util:\n    pin: util@" .. blob .. "\n    path: steps/util.lua\n", y, 1, true)
    t.write(dir .. "/steps/util.lua", 'return { word = "w2" }\n')
    t.sh("git commit -qam w2", { cwd = dir })
    out, err = zenml(dir, "run shared.lua")
    assert.matches("2 ran, 0 cached", out, 1, true)
    assert.equals("b w2\n", (zenml(dir, "run logs latest b")))
    -- the first run's YAML runs util as it was then
    out, err, code = zenml(dir, "run pipelines/" .. first .. " --no-cache")
    assert.equals(0, code, err)
    assert.equals("b w1\n", (zenml(dir, "run logs latest b")))
  end)

  it("re-runs a YAML with the pinned source after the work tree moved on", function()
    local dir = setup()
    zenml(dir, "run pipeline.lua")
    local first = t.sh("ls pipelines", { cwd = dir }):match("(chain_%S+%.yaml)")
    t.write(dir .. "/steps/touch.lua", (TOUCH:gsub("v1", "v2")))
    t.sh("git commit -qam v2", { cwd = dir })
    local out, err, code = zenml(dir, "run pipelines/" .. first .. " --no-cache")
    assert.equals(0, code, err)
    assert.matches("5 ran", out, 1, true)
    local log = zenml(dir, "run logs latest s2")
    assert.equals("touch 2 x v1\n", log)
    -- the new run's YAML records what it re-ran
    local y = t.sh("cat $(ls -t pipelines/*.yaml | head -1)", { cwd = dir })
    assert.matches("rerun_of:", y, 1, true)
  end)

  it("says clearly when a pinned blob is gone from git", function()
    local dir = setup()
    zenml(dir, "run pipeline.lua")
    local first = t.sh("ls pipelines", { cwd = dir }):match("(chain_%S+%.yaml)")
    local y = t.slurp(dir .. "/pipelines/" .. first)
    local fake = y:gsub("touch@%x+", "touch@" .. ("0"):rep(40))
    t.write(dir .. "/edited.yaml", fake)
    local _, err, code = zenml(dir, "run edited.yaml --no-cache")
    assert.equals(1, code)
    assert.matches("cannot load pinned source of module 'touch' %(touch@0+%)", err)
  end)

  it("records a failing step with the user's file and line, skips what depends on it, keeps what was written", function()
    local dir = setup()
    t.write(dir .. "/steps/boom.lua", [[
local zenml = require "zenml"
local Boom = zenml.Step:extend("Boom")
Boom.inputs = { prev = "value" }
Boom.outputs = { out = "value" }
function Boom:run(ctx, inputs)
  print("about to fail")
  error("kaboom")
end
return Boom
]])
    write_failing(dir)
    local out, err, code = zenml(dir, "run fail.lua")
    assert.equals(1, code)
    assert.matches("failed: 4 steps, 2 ran, 0 cached, 1 failed, 1 skipped", out, 1, true)
    assert.matches("steps/boom.lua:7: kaboom", err, 1, true)
    assert.equals("a=completed b=failed c=skipped d=completed ", statuses(dir))
    assert.equals("failed\n", sql(dir, "SELECT status FROM runs"))
    local e = sql(dir, "SELECT error FROM executions WHERE step = 'b'")
    assert.matches("steps/boom.lua:7: kaboom", e, 1, true)
    assert.matches("stack traceback", e, 1, true)
    local log = zenml(dir, "run logs latest b")
    assert.matches("about to fail", log, 1, true)
    -- a's output is kept and reused next time
    out = zenml(dir, "run fail.lua")
    assert.matches("0 ran, 2 cached, 1 failed, 1 skipped", out, 1, true)
  end)
end)

describe("step logs", function()
  after_each(t.cleanup)

  it("captures print, io.write, ctx:log and C log lines, in order, and keeps the terminal clean", function()
    local dir = setup()
    t.write(dir .. "/steps/talk.lua", [[
local zenml = require "zenml"
local Talk = zenml.Step:extend("Talk")
Talk.outputs = { out = "value" }
function Talk:run(ctx)
  print("one", 1)
  io.write("two\n")
  ctx:log("three")
  require("zenml._core").sys.log("four from C")
  ctx:progress(1, 2)
  return { out = 1 }
end
return Talk
]])
    t.write(dir .. "/talk.lua", [[
local zenml = require "zenml"
local p = zenml.Pipeline { name = "talk" }
p:add("t", require("talk") {})
p:run()
]])
    t.sh("git add -A && git commit -qm talk", { cwd = dir })
    local out, err, code = zenml(dir, "run talk.lua")
    assert.equals(0, code, err)
    assert.equals("", err)
    assert.is_nil(out:match("one"))
    local log = zenml(dir, "run logs latest t")
    assert.equals("one\t1\ntwo\nthree\nfour from C\n", log)
  end)
end)

describe("pipeline errors", function()
  after_each(t.cleanup)

  it("a syntax error names the line and records no run", function()
    local dir = setup()
    t.write(dir .. "/bad.lua", "local zenml = require 'zenml'\n\nlocal p = = 1\n")
    local _, err, code = zenml(dir, "run bad.lua")
    assert.equals(1, code)
    assert.equals("zenml: bad.lua:3: unexpected symbol near '='\n", err)
    assert.equals("0\n", sql(dir, "SELECT count(*) FROM runs"))
  end)

  local function pipeline_error(body)
    local dir = setup()
    t.write(dir .. "/p.lua", "local zenml = require 'zenml'\nlocal Touch = require 'touch'\n"
      .. "local p = zenml.Pipeline { name = 'v' }\n" .. body .. "\np:run()\n")
    local _, err, code = zenml(dir, "run p.lua")
    assert.equals(1, code)
    assert.equals("0\n", sql(dir, "SELECT count(*) FROM runs"))
    return err
  end

  it("names the steps of a cycle", function()
    local err = pipeline_error([[
p:add("a", Touch { i = 1 }, { prev = "c.out" })
p:add("b", Touch { i = 2 }, { prev = "a.out" })
p:add("c", Touch { i = 3 }, { prev = "b.out" })]])
    assert.matches("pipeline 'v': cycle: a -> c -> b -> a", err, 1, true)
  end)

  it("names an unknown input and an unknown upstream step", function()
    local err = pipeline_error([[
p:add("a", Touch { i = 1 })
p:add("b", Touch { i = 2 }, { nope = "a.out" })]])
    assert.matches("pipeline 'v': step 'b' (Touch) has no input 'nope'; inputs are: prev", err, 1, true)
    err = pipeline_error([[p:add("b", Touch { i = 2 }, { prev = "zz.out" })]])
    assert.matches("pipeline 'v': step 'b' input 'prev': no step 'zz' in the pipeline", err, 1, true)
    err = pipeline_error([[
p:add("a", Touch { i = 1 })
p:add("b", Touch { i = 2 }, { prev = "a.nope" })]])
    assert.matches("step 'a' has no output 'nope'; outputs are: out", err, 1, true)
  end)

  it("refuses a duplicate step name", function()
    local err = pipeline_error([[
p:add("a", Touch { i = 1 })
p:add("a", Touch { i = 2 })]])
    assert.matches("pipeline 'v': duplicate step name 'a'", err, 1, true)
  end)

  it("names the class, parameter, expectation and value of a bad parameter", function()
    local err = pipeline_error([[p:add("a", Touch { i = "one" })]])
    assert.matches("Touch: parameter 'i' expects an integer, got string \"one\"", err, 1, true)
    err = pipeline_error([[p:add("a", Touch { })]])
    assert.matches("Touch: parameter 'i' is required", err, 1, true)
    err = pipeline_error([[p:add("a", Touch { i = 1, j = 2 })]])
    assert.matches("Touch: unknown parameter 'j'; parameters are: i, tag", err, 1, true)
  end)

  it("refuses a step class defined in the pipeline script itself", function()
    local err = pipeline_error([[
local Inline = zenml.Step:extend("Inline")
Inline.outputs = { out = "value" }
function Inline:run() return { out = 1 } end
p:add("a", Inline {})]])
    assert.matches("step 'a': class Inline is not defined in a module", err, 1, true)
  end)

  it("reports a YAML that no longer parses with file:line:column", function()
    local dir = setup()
    t.write(dir .. "/broken.yaml", "version: 1\nname: x\nsteps:\n  a: [1, 2\n")
    local _, err, code = zenml(dir, "run broken.yaml")
    assert.equals(1, code)
    assert.matches("^zenml: broken%.yaml:%d+:%d+: ", err)
  end)

  it("names the class and the step when a YAML names a class that does not exist", function()
    local dir = setup()
    zenml(dir, "run pipeline.lua")
    local first = t.sh("ls pipelines", { cwd = dir }):match("(chain_%S+%.yaml)")
    local y = t.slurp(dir .. "/pipelines/" .. first)
    t.write(dir .. "/edited.yaml", (y:gsub("class: Touch", "class: Nope", 1)))
    local before = zenml(dir, "run list --json")
    local out, err, code = zenml(dir, "run edited.yaml")
    assert.equals(1, code)
    assert.equals("", out)
    assert.equals("zenml: edited.yaml: step 's1': class Nope not found in module 'touch'\n", err)
    -- a YAML that fails validation records no run and writes no YAML
    assert.equals(before, (zenml(dir, "run list --json")))
    assert.equals(1, select(2, t.sh("ls pipelines", { cwd = dir }):gsub("%.yaml", "")))
  end)
end)

describe("pipeline commands", function()
  after_each(t.cleanup)

  it("lists runs and pipelines, shows a run with cached steps marked, graphs it", function()
    local dir = setup()
    zenml(dir, "run pipeline.lua")
    zenml(dir, "run pipeline.lua")
    local out = zenml(dir, "run list")
    assert.matches("ID%s+PIPELINE%s+STATUS", out)
    local n = select(2, out:gsub("chain%s+completed", ""))
    assert.equals(2, n)
    out = zenml(dir, "run list --json")
    assert.matches('"pipeline":"chain"', out, 1, true)
    out = zenml(dir, "run show latest")
    local first = out:match("cached from run (%S+) step s1,")
    assert.is_truthy(first)
    assert.matches("\ns3 (Touch): cached from run " .. first .. " step s3, ", out, 1, true)
    out = zenml(dir, "pipeline list")
    assert.matches("chain%s+1%s+2", out)
    out = zenml(dir, "pipeline show chain")
    assert.matches("pipelines/chain_", out, 1, true)
    out = zenml(dir, "pipeline graph latest")
    assert.matches('"s1" -> "s2";', out, 1, true)
    -- --svg: a standalone image, one box per step, cached steps dashed
    out = zenml(dir, "pipeline graph latest --svg")
    assert.matches('^<svg xmlns="http://www.w3.org/2000/svg" ', out)
    assert.matches("</svg>\n$", out)
    local _, boxes = out:gsub("<rect ", "")
    local _, steps = zenml(dir, "pipeline graph latest --json"):gsub('"class":', "")
    assert.equals(steps, boxes)
    assert.matches('stroke-dasharray="4 3"><title>s1 (Touch): cached</title></rect>', out, 1, true)
    assert.matches('<text [^>]*>s3</text>', out)
    -- run show --svg draws the same image
    assert.equals(out, (zenml(dir, "run show latest --svg")))
    out = zenml(dir, "step list")
    assert.matches("Touch%s+touch%s+repository%s+i:integer required, tag:string =x", out)
  end)

  it("makes a new pipeline version when the DAG changes under the same name", function()
    local dir = setup()
    zenml(dir, "run pipeline.lua")
    t.write(dir .. "/pipeline.lua", PIPELINE:gsub("for i = 2, 5", "for i = 2, 6"))
    zenml(dir, "run pipeline.lua")
    assert.equals("1\n2\n", sql(dir, "SELECT version FROM pipelines ORDER BY version"))
    local out = zenml(dir, "pipeline show chain")
    assert.matches("%s1%s+completed", out)
    assert.matches("%s2%s+completed", out)
  end)

  it("--no-cache and cache = false run steps again", function()
    local dir = setup()
    zenml(dir, "run pipeline.lua")
    local out = zenml(dir, "run pipeline.lua --no-cache")
    assert.matches("5 ran, 0 cached", out, 1, true)
    t.write(dir .. "/p2.lua", PIPELINE:gsub('Touch { i = 1 }', 'Touch { i = 1, cache = false }'))
    out = zenml(dir, "run p2.lua")
    assert.matches("1 ran, 4 cached", out, 1, true)
  end)
end)

describe("the parallel orchestrator", function()
  after_each(t.cleanup)

  -- s1 feeds s2..s4 (a fan-out) and s5 gathers s3 and s4.
  local FAN = [[
local zenml = require "zenml"
local Touch, Gather = require "touch", require "gather"
local p = zenml.Pipeline { name = "fan" }
p:add("s1", Touch { i = 1, cache = arg[1] ~= "nocache1" })
for i = 2, 4 do p:add("s" .. i, Touch { i = i, tag = i == 3 and arg[1] == "changed" and "changed" or "x" }, { prev = "s1.out" }) end
p:add("s5", Gather {}, { items = { "s3.out", "s4.out" } })
local run = p:run()
io.write("status=", run.status, "\n")
]]
  local GATHER = [[
local zenml = require "zenml"
local Gather = zenml.Step:extend("Gather")
Gather.inputs = { items = "value[]" }
Gather.outputs = { out = "value" }
function Gather:run(ctx, inputs)
  local sum = 0
  for _, v in ipairs(inputs.items) do sum = sum + v.i end
  return { out = { sum = sum } }
end
return Gather
]]

  local function fan_setup()
    local dir = setup()
    t.write(dir .. "/steps/gather.lua", GATHER)
    t.write(dir .. "/fan.lua", FAN)
    t.sh("git add -A && git commit -qm fan", { cwd = dir })
    return dir
  end

  local function outputs(dir)
    return sql(dir, "SELECT x.step || '=' || e.artifact FROM executions x JOIN events e"
      .. " ON e.execution_id = coalesce(x.cached_from, x.id) AND e.kind = 'output'"
      .. " WHERE x.run_id = (SELECT id FROM runs ORDER BY started DESC LIMIT 1) ORDER BY x.step")
  end

  it("settles a re-run with nothing changed as all cached, with the same outputs", function()
    local dir = fan_setup()
    local out, err, code = zenml(dir, "run fan.lua -j 2")
    assert.equals(0, code, err)
    assert.matches("completed: 5 steps, 5 ran, 0 cached, 0 failed, 0 skipped", out, 1, true)
    local first = outputs(dir)
    out, err, code = zenml(dir, "run fan.lua -j 2")
    assert.equals(0, code, err)
    assert.matches("status=completed", out, 1, true)
    assert.matches("completed: 5 steps, 0 ran, 5 cached, 0 failed, 0 skipped", out, 1, true)
    assert.equals("s1=cached s2=cached s3=cached s4=cached s5=cached ", statuses(dir))
    assert.equals(first, outputs(dir))
    out = zenml(dir, "run fan.lua")
    assert.matches("0 ran, 5 cached", out, 1, true)
  end)

  it("runs a changed step and what is downstream of it on the workers, with the keys of a sequential run", function()
    local dir = fan_setup()
    zenml(dir, "run fan.lua -j 2")
    local out, err, code = zenml(dir, "run fan.lua -j 2 -- changed")
    assert.equals(0, code, err)
    assert.matches("completed: 5 steps, 2 ran, 3 cached, 0 failed, 0 skipped", out, 1, true)
    assert.equals("s1=cached s2=cached s3=completed s4=cached s5=completed ", statuses(dir))
    local parallel = outputs(dir)
    out = zenml(dir, "run fan.lua -- changed")
    assert.matches("0 ran, 5 cached", out, 1, true)
    assert.equals(parallel, outputs(dir))
  end)

  it("leaves cache = false steps, --no-cache and enable_cache = false to the workers", function()
    local dir = fan_setup()
    zenml(dir, "run fan.lua -j 2")
    local out = zenml(dir, "run fan.lua -j 2 -- nocache1")
    assert.matches("completed: 5 steps, 1 ran, 4 cached", out, 1, true)
    assert.equals("s1=completed s2=cached s3=cached s4=cached s5=cached ", statuses(dir))
    out = zenml(dir, "run fan.lua -j 2 --no-cache")
    assert.matches("completed: 5 steps, 5 ran, 0 cached", out, 1, true)
    t.write(dir .. "/off.lua", FAN:gsub('name = "fan"', 'name = "fan", enable_cache = false'))
    out = zenml(dir, "run off.lua -j 2")
    assert.matches("completed: 5 steps, 5 ran, 0 cached", out, 1, true)
  end)

  it("still skips what depends on a failed step when the rest is cached", function()
    local dir = fan_setup()
    t.write(dir .. "/steps/boom.lua", [[
local zenml = require "zenml"
local Boom = zenml.Step:extend("Boom")
Boom.inputs = { prev = "value" }
Boom.outputs = { out = "value" }
function Boom:run(ctx, inputs) error("kaboom") end
return Boom
]])
    write_failing(dir)
    local out, _, code = zenml(dir, "run fail.lua -j 2")
    assert.equals(1, code)
    assert.matches("failed: 4 steps, 2 ran, 0 cached, 1 failed, 1 skipped", out, 1, true)
    out, _, code = zenml(dir, "run fail.lua -j 2")
    assert.equals(1, code)
    assert.matches("failed: 4 steps, 0 ran, 2 cached, 1 failed, 1 skipped", out, 1, true)
    assert.equals("a=cached b=failed c=skipped d=cached ", statuses(dir))
  end)
end)
