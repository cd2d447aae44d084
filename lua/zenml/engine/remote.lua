--- Steps that run in another process (a Slurm job running `zenml step
--- exec`): the command that runs one, and its result read back from the
--- metadata store, which that process recorded. A process killed before it
--- could record its end (a time limit, memory, a lost node) is recorded
--- failed here, with the reason its backend gives and what it printed.
local core = require "zenml._core"
local state = require "zenml.engine.state"
local records = require "zenml.engine.records"

local M = {}

--- The running zenml binary (a node runs the same build).
function M.executable()
  return core.sys.realpath("/proc/self/exe") or "zenml"
end

--- Quote a word for a POSIX shell.
function M.quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- The shell command that runs step `name` of the run whose YAML is
--- `yaml_rel` (relative to the repository root, the command's folder);
--- `attempt` (the job's `attempt`) numbers a retried step's attempt.
function M.command(yaml_rel, name, attempt)
  return ("%s step exec %s %s%s"):format(M.quote(M.executable()), M.quote(yaml_rel), M.quote(name),
    attempt and (" --attempt %d"):format(attempt) or "")
end

--- The last execution of step `name` in run `run_id` (of attempt `attempt`
--- when given), or nil.
function M.last_execution(repo, run_id, name, attempt)
  local latest
  local db = repo:meta()
  for _, e in ipairs(db:executions(run_id)) do
    if e.step == name and (not latest or e.id > latest.id)
        and (not attempt or records.attempt_of(db, e.id) == attempt) then
      latest = e
    end
  end
  return latest
end

--- The result of step `name`, which another process ran and which has
--- ended: {status = "completed"|"cached"|"failed", outputs?, error?, kind?}.
--- When that process recorded no end, the step is recorded failed with
--- `why` (and `log`, what the process printed). `how` may say which attempt
--- it was and how the process ended: {attempt, kind, code} (retry.lua's
--- kinds; a process that ended without a word counts as killed, "signal").
function M.result(repo, doc, name, why, log, how)
  how = how or {}
  local e = M.last_execution(repo, doc.run_id, name, how.attempt)
  if e and (e.status == "completed" or e.status == "cached") then
    return { status = e.status, outputs = repo:meta():outputs(e.id), execution = e.id }
  end
  if e and e.status == "skipped" then
    -- skipped by the step itself: a step upstream failed with catch = true
    return { status = "skipped", outputs = {}, execution = e.id, error = e.error }
  end
  if e and e.status == "failed" and e.error then
    -- the full error keeps every frame; the user is shown its first line
    -- and the rest is in `zenml run logs`
    local kind = repo:meta():property_get("execution", tostring(e.id), "failure")
    return { status = "failed", error = e.error:match("^[^\n]*"), execution = e.id,
      kind = type(kind) == "string" and kind or "error" }
  end
  local st = state.new(repo, doc)
  if how.attempt then st.attempts = { [name] = how.attempt } end
  local kind, code = how.kind or "signal", how.code
  why = why or "the step's process ended without recording a result"
  local exec = records.fail_early(st, name, e and e.id, why, log)
  repo:meta():property_set("execution", tostring(exec), "failure", kind)
  return { status = "failed", error = why, execution = exec, kind = kind, code = code }
end

--- How the child process that ran backend job `job` ended, as `M.result`'s
--- `how`: {attempt, kind, code} from what os.execute returned (its second
--- and third values).
function M.ended(job, how, code)
  local kind, c = require("zenml.engine.retry").kind_of_exit(how, code)
  return { attempt = job.attempt, kind = kind, code = c }
end

--- A result as an orchestrator hands it on ({status, result|error}).
function M.as_node(r)
  if r.status == "failed" then return { status = "failed", error = r.error } end
  return { status = "completed", result = state.encode(r.status, r.outputs or {}) }
end

return M
