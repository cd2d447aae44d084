-- The execution engine (lua/zenml/engine/): cache hits and misses, a failure
-- skipping what is downstream on one worker and on two, the records a run
-- writes, and the pieces (doc, state, cache) on their own.
local t = require "tests.support"
local fx = require "tests.spec.engine_fixture"
local json = require "zenml.json"
local yaml = require "zenml.yaml"
local docs = require "zenml.engine.doc"
local state = require "zenml.engine.state"
local cache = require "zenml.engine.cache"
local records = require "zenml.engine.records"

local function statuses(repo, run)
  local out = {}
  for step, e in pairs(fx.by_step(repo, run)) do out[step] = e.status end
  return out
end

local function events(repo, exec, kind)
  local out = {}
  for _, r in ipairs(repo:meta():query(
      "SELECT name, artifact FROM events WHERE execution_id = ? AND kind = ?", exec, kind)) do
    out[r.name] = r.artifact
  end
  return out
end

describe("the engine", function()
  local dir
  before_each(function() dir = fx.repo() end)
  after_each(function() t.cleanup() end)

  for _, jobs in ipairs({ "-j 1", "-j 2" }) do
    it("runs every step once, then reuses them; a changed parameter misses below it (" .. jobs .. ")",
      function()
        local run1, _, err, code, repo = fx.run(dir, jobs)
        assert.equal(0, code, err)
        assert.same({ a = "completed", b = "completed", c = "completed", d = "completed",
          score = "completed" }, statuses(repo, run1))
        local run2, out = fx.run(dir, jobs)
        assert.matches("5 steps, 0 ran, 5 cached", out)
        local first, second = fx.by_step(repo, run1), fx.by_step(repo, run2)
        for step, e in pairs(second) do
          assert.equal("cached", e.status)
          assert.equal(first[step].id, e.cached_from)
          assert.equal(first[step].cache_key, e.cache_key)
        end
        local run3 = fx.run(dir, jobs .. " --set b.n=5")
        assert.same({ a = "cached", b = "completed", c = "completed", d = "cached",
          score = "completed" }, statuses(repo, run3))
        local third = fx.by_step(repo, run3)
        assert.not_equal(first.b.cache_key, third.b.cache_key)
        -- c's parameters did not change: its key changed with its input only
        assert.not_equal(first.c.cache_key, third.c.cache_key)
      end)

    it("skips everything downstream of a failure and runs the rest (" .. jobs .. ")", function()
      local run, _, err, code, repo = fx.run(dir, jobs .. " --set b.fail=true")
      assert.equal(1, code)
      assert.matches("zenml: step 'b' failed: steps/add.lua:%d+: asked to fail", err)
      assert.same({ a = "completed", b = "failed", c = "skipped", d = "completed",
        score = "skipped" }, statuses(repo, run))
      assert.equal("failed", run.status)
      local e = fx.by_step(repo, run)
      assert.equal("an upstream step failed", repo:meta():execution(e.c.id).error)
      assert.matches("asked to fail", repo:meta():execution(e.b.id).error)
    end)
  end

  it("records inputs, outputs, logs, metrics and the key's parts", function()
    local run, _, err, code, repo = fx.run(dir)
    assert.equal(0, code, err)
    local e = fx.by_step(repo, run)
    local a_out = events(repo, e.a.id, "output")
    assert.matches("^sha256:", a_out.out)
    assert.same({ x = a_out.out }, events(repo, e.b.id, "input"))
    assert.equal("adding\t1\n", repo:store():read(repo:meta():execution(e.b.id).log_artifact))
    local metrics = repo:meta():metrics(run.id)
    local by_name = {}
    for _, m in ipairs(metrics) do by_name[m.name] = m.value end
    assert.near(0.3, by_name.acc, 1e-12)
    assert.equal(1, by_name["per.one"])
    assert.is_nil(by_name.split)
    assert.equal("eval", repo:meta():property_get("execution", tostring(e.score.id), "metrics.split"))
    local parts = yaml.decode(repo:meta():property_get("execution", tostring(e.b.id), "key_parts"))
    assert.equal(json.encode({ fail = false, n = 1 }), parts.params)
    assert.equal(json.encode({ x = a_out.out }), parts.inputs)
    assert.matches("^add@%x+", parts.source)
  end)

  it("recomputes a recorded key and finds the hit from the metadata store alone", function()
    local run, _, err, code, repo = fx.run(dir)
    assert.equal(0, code, err)
    local doc = docs.load(dir .. "/" .. run.yaml_path)
    require("zenml.sources").install_pins(repo, doc.sources)
    local st = state.new(repo, doc)
    -- nothing ran in this state and nothing was handed over: the store answers
    local ids = st:input_ids("c", { x = "value" })
    local e = fx.by_step(repo, run)
    assert.same({ x = events(repo, e.b.id, "output").out }, ids)
    assert.equal(e.c.cache_key, (cache.key(st, "c", ids)))
    local p = cache.probe(st, "c")
    assert.equal(e.c.cache_key, p.key)
    assert.equal(e.c.id, p.hit.execution)
    -- with caching off for the run, the same key is never looked up
    doc.options.cache = false
    assert.is_nil(cache.probe(state.new(repo, doc), "c").hit)
    -- a probe made elsewhere is taken as it is: no hit, its key
    local known = cache.probe(state.new(repo, docs.load(dir .. "/" .. run.yaml_path)), "c",
      { key = "k", parts = { source = "s" } })
    assert.equal("k", known.key)
    assert.is_nil(known.hit)
  end)
  it("settles hits here and hands a miss's probe to the worker that runs it", function()
    local run, _, err, code, repo = fx.run(dir)
    assert.equal(0, code, err)
    local schedule = require "zenml.engine.schedule"
    local doc = docs.load(dir .. "/" .. run.yaml_path)
    require("zenml.sources").install_pins(repo, doc.sources)
    local runner = require "zenml.runner"
    doc.run_id = runner.new_run_id()
    doc.steps.b.params.n = 5
    doc.backends.orchestrator, doc.options.jobs = "parallel", 2
    local plan = schedule.plan(repo, doc, runner.record(repo, doc))
    local settled = plan:settle()
    -- a and d are hits with nothing upstream; b misses; c and score wait for b
    assert.same({ "a", "d" }, (function()
      local k = {}
      for name in pairs(settled) do k[#k + 1] = name end
      table.sort(k)
      return k
    end)())
    assert.equal("cached", state.status_of(settled.a))
    local arg = json.try_decode(plan:arg("b"))
    assert.is_nil(arg.settled)
    local st = state.new(repo, doc)
    st.handed = { a = settled.a }
    local key = cache.key(st, "b", st:input_ids("b", { x = "value" }))
    assert.equal(key, arg.known.key)
    assert.not_equal(fx.by_step(repo, run).b.cache_key, key)
    assert.is_nil(json.try_decode(plan:arg("c")).known)
    assert.equal(settled.d, json.try_decode(plan:arg("d")).settled)
  end)
end)

describe("engine pieces", function()
  it("orders a document's steps and lists each step's upstream steps", function()
    local doc = yaml.decode([[
steps:
  late: { class: X, module: m, inputs: { a: first.out, b: [mid.x, first.y] } }
  first: { class: X, module: m }
  mid: { class: X, module: m, inputs: { a: first.out } }
]], "doc")
    local deps = docs.deps(doc)
    assert.same({ "first", "mid" }, deps.late)
    assert.same({}, deps.first)
    assert.same({ "first", "mid", "late" }, docs.order(doc, deps))
  end)

  it("prefers results handed over by the scheduler to the metadata store", function()
    local doc = { run_id = "r", steps = {
      a = { class = "X", module = "m", outputs = { out = "value", f = "frame", g = "frame" } },
      b = { class = "X", module = "m", inputs = { one = "a.out", all = "a.*" } } } }
    local st = state.new({ meta = function() error("the store was asked") end }, doc)
    st.handed = { a = state.encode("completed", { out = "sha256:1", f = "sha256:2", g = "sha256:3" }) }
    assert.equal("completed", state.status_of(st.handed.a))
    assert.same({ one = "sha256:1", all = { f = "sha256:2", g = "sha256:3" } },
      st:input_ids("b", { one = "value", all = "frame{}" }))
  end)

  it("flattens nested metrics into dotted names, numbers only", function()
    assert.same({ acc = 0.5, ["per.a"] = 1, ["per.b.c"] = 2 },
      records.flatten_metrics(nil, { acc = 0.5, per = { a = 1, b = { c = 2 } }, split = "eval",
        bad = 0 / 0 }, {}))
  end)
end)
