-- zenml.explain: why a step was or was not a cache hit, naming what changed.
local t = require "tests.support"
local fx = require "tests.spec.engine_fixture"
local explain = require "zenml.explain"

describe("zenml.explain", function()
  local dir
  before_each(function() dir = fx.repo() end)
  after_each(function() t.cleanup() end)

  local function analyse(repo, run, step)
    return explain.analyse(repo, run, fx.by_step(repo, run)[step])
  end

  it("says 'first' for a step that never ran before and 'cached' for a hit", function()
    local run1, _, err, code, repo = fx.run(dir)
    assert.equal(0, code, err)
    assert.equal("first", analyse(repo, run1, "b").verdict)
    local run2 = fx.run(dir)
    local rec = analyse(repo, run2, "b")
    assert.equal("cached", rec.verdict)
    assert.same({ execution = fx.by_step(repo, run1).b.id, run = run1.id }, rec.reused)
  end)

  it("names the parameter that changed, and the input it changed downstream", function()
    local run1, _, _, _, repo = fx.run(dir)
    fx.run(dir) -- a run of cache hits in between: the comparison follows them back
    local run3 = fx.run(dir, "--set b.n=5")
    local rec = analyse(repo, run3, "b")
    assert.equal("differs", rec.verdict)
    assert.same({ { kind = "parameter", name = "n", before = "1", after = "5" } }, rec.differences)
    assert.equal(fx.by_step(repo, run1).b.id, rec.compared_with.execution)
    assert.is_not_nil(rec.compared_with.reused_by)
    local c = analyse(repo, run3, "c")
    assert.equal("differs", c.verdict)
    assert.equal(1, #c.differences)
    assert.equal("input", c.differences[1].kind)
    assert.equal("x", c.differences[1].name)
    local out, err, code = t.zenml_run("run explain latest b", { cwd = dir })
    assert.equal(0, code, err)
    assert.matches("step 'b' ran: its cache key %x+ differs from %x+ of execution #%d+", out)
    assert.matches("\n  parameter 'n': 1 %-> 5\n", out)
  end)

  it("names a changed source and says 'same_key' when caching was off", function()
    local _, _, _, _, repo = fx.run(dir)
    local run2 = fx.run(dir, "--no-cache")
    assert.equal("same_key", analyse(repo, run2, "a").verdict)
    t.write(dir .. "/steps/add.lua", t.slurp(dir .. "/steps/add.lua") .. "-- edited\n")
    t.sh("git commit -qam edit", { cwd = dir })
    local run3 = fx.run(dir)
    local rec = analyse(repo, run3, "a")
    assert.equal("differs", rec.verdict)
    assert.equal("source", rec.differences[1].kind)
    assert.matches("^add@%x+,add@zenml%-", rec.differences[1].before)
    assert.not_equal(rec.differences[1].before, rec.differences[1].after)
  end)

  it("says 'skipped' for a step below a failure", function()
    local run, _, _, _, repo = fx.run(dir, "--set b.fail=true")
    assert.equal("skipped", analyse(repo, run, "c").verdict)
  end)
end)
