-- zenml.runner: run ids, the DAG's identity, and recording a run's YAML and
-- its row together or not at all.
local zenml = require "zenml"
local t = require "tests.support"
local yaml = require "zenml.yaml"
local runner = require "zenml.runner"

local function doc_of(run_id, steps)
  return yaml.ordered({ version = 1, name = "rec", run_id = run_id, steps = steps,
    git = { commit = yaml.null, branch = yaml.null, dirty = false },
    backends = { orchestrator = "local" }, options = { cache = true, jobs = 1 } },
    { "version", "name", "run_id", "steps", "git", "backends", "options" })
end

describe("zenml.runner", function()
  after_each(function() t.cleanup() end)

  it("makes run ids that sort by time and differ", function()
    local a, b = runner.new_run_id(), runner.new_run_id()
    assert.matches("^%d%d%d%d%d%d%d%d%-%d%d%d%d%d%d%-%d%d%d%d%d%d%-%x%x%x%x$", a)
    assert.not_equal(a, b)
    assert.is_true(a < b)
  end)

  it("identifies a DAG by its steps, classes and wiring, not its parameters", function()
    local function steps(n, wire, class)
      return { a = { class = "A", module = "m", params = { n = n } },
        b = { class = class or "B", module = "m", inputs = { x = wire } } }
    end
    local h = runner.dag_hash({ steps = steps(1, "a.out") })
    assert.equal(h, runner.dag_hash({ steps = steps(2, "a.out") }))
    assert.not_equal(h, runner.dag_hash({ steps = steps(1, "a.other") }))
    assert.not_equal(h, runner.dag_hash({ steps = steps(1, "a.out", "C") }))
  end)

  it("writes the YAML read-only and records the run, or leaves neither", function()
    local dir = t.git_repo()
    local _, err, code = t.zenml_run("init", { cwd = dir })
    assert.equal(0, code, err)
    local repo = assert(zenml.repo(dir))
    local doc = doc_of(runner.new_run_id(), { a = { class = "A", module = "m" } })
    local rel = runner.record(repo, doc)
    assert.equal(("pipelines/rec_%s.yaml"):format(doc.run_id), rel)
    local mode = t.sh("stat -c %a " .. t.q(dir .. "/" .. rel))
    assert.equal("444\n", mode)
    assert.equal(doc.run_id, yaml.read(dir .. "/" .. rel).run_id)
    local run = repo:meta():run(doc.run_id)
    assert.equal("running", run.status)
    assert.equal(rel, run.yaml_path)
    -- the same run id again: the database refuses, nothing is left behind
    local other = doc_of(doc.run_id, { a = { class = "A", module = "m" } })
    other.name = "other"
    assert.has_error(function() runner.record(repo, other) end)
    assert.equal("", (t.sh("ls -A pipelines | grep -v '^rec_' || true", { cwd = dir })))
    repo:close()
  end)
end)
