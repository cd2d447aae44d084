--- Runs a cluster runs: `zenml run wait` follows one to its end (also one
--- whose submitting process died), `run cancel` stops it, and `run show` /
--- `run list` bring a detached run's states up to date with one poll.
local core = require "zenml._core"
local backend = require "zenml.backend"
local docs = require "zenml.engine.doc"
local jobs = require "zenml.engine.jobs"
local remote = require "zenml.engine.remote"
local schedule = require "zenml.engine.schedule"
local sources = require "zenml.sources"

local M = {}

-- The run's document, its orchestrator and the book of its jobs; nil when
-- the run has no jobs (it runs in a process of its own).
local function open(repo, run)
  local book = jobs.load(repo, run.id)
  if not book or not run.yaml_path then return nil end
  local doc = docs.load(repo.root .. "/" .. run.yaml_path)
  sources.install_pins(repo, doc.sources)
  local orch = backend.from_entry(doc.backends.orchestrator, "backends.orchestrator")
  if type(orch.wait) ~= "function" then return nil end
  return doc, orch, book
end

-- Record the end of a run from its steps' results.
local function conclude(repo, doc, res, started, quiet)
  local results = schedule.results(repo, doc, docs.order(doc, docs.deps(doc)), res)
  return require("zenml.runner").conclude(repo, doc, results, started, quiet)
end

--- Follow running run `run` until its jobs ended and record its end; returns
--- the Run. An error names why it cannot be followed.
function M.wait(repo, run)
  if run.status ~= "running" then return run end
  local doc, orch, book = open(repo, run)
  if not doc then
    error(("run %s is running in process %s on %s, not on a cluster: there are no jobs to wait for"):format(
      run.id, tostring(run.pid), tostring(run.host)), 0)
  end
  local started = core.sys.clock()
  local res = orch.wait(repo, doc, book, docs.deps(doc), nil)
  return conclude(repo, doc, res, started)
end

--- One poll of a running cluster run: when every job ended, its end is
--- recorded (quietly). Returns the Run as it is now.
function M.refresh(repo, run)
  if run.status ~= "running" then return run end
  local ok, doc, orch, book = pcall(open, repo, run)
  if not ok or not doc then return run end
  local polled, res = pcall(orch.wait, repo, doc, book, docs.deps(doc), nil, true)
  if not polled or res == nil then return run end
  return conclude(repo, doc, res, core.sys.clock(), true)
end

--- Refresh every running cluster run (only a repository that submitted
--- cluster jobs has any: others pay one stat).
function M.refresh_all(repo)
  if not core.sys.file_kind(repo.root .. "/.zenml/jobs") then return end
  for _, run in ipairs(repo:runs({ status = "running" })) do M.refresh(repo, run) end
end

--- Cancel a running cluster run: its jobs are cancelled, steps that were
--- running are recorded failed ("cancelled"), those that had not started
--- skipped, and the run `cancelled`. Returns the number of jobs cancelled.
function M.cancel(repo, run)
  if run.status ~= "running" then
    error(("run %s has finished (%s); there is nothing to cancel"):format(run.id, run.status), 0)
  end
  local doc, orch, book = open(repo, run)
  if not doc then
    error(("run %s is running in process %s on %s, not on a cluster; stop it there (Ctrl-C)"):format(
      run.id, tostring(run.pid), tostring(run.host)), 0)
  end
  local ids = jobs.ids(book)
  orch:cancel(ids)
  M.record_cancelled(repo, doc)
  return #ids
end

--- Record a cancelled run: the steps that were running failed
--- ("cancelled"), those that had not started skipped, the run `cancelled`.
function M.record_cancelled(repo, doc)
  local res = {}
  for name in pairs(doc.steps) do
    local e = remote.last_execution(repo, doc.run_id, name)
    if e and (e.status == "completed" or e.status == "cached") then
      res[name] = remote.as_node(remote.result(repo, doc, name))
    elseif e and e.status == "running" then
      repo:meta():execution_finish(e.id, "failed", "cancelled", nil)
      res[name] = { status = "failed", error = "cancelled" }
    elseif e and e.status == "failed" then
      res[name] = { status = "failed", error = e.error }
    end
  end
  schedule.results(repo, doc, docs.order(doc, docs.deps(doc)), res)
  repo:meta():run_finish(doc.run_id, "cancelled")
end

return M
