--- A run's cluster jobs: the book of what was submitted (one job per step,
--- or one allocation), kept in .zenml/jobs/<run>/ beside the job scripts and
--- their output, so that `zenml run wait`, `run cancel`, `run show` and a
--- process other than the submitter can follow the run. Polling asks the
--- cluster about all of a run's jobs at once.
local core = require "zenml._core"
local json = require "zenml.json"
local remote = require "zenml.engine.remote"

local M = {}

--- The folder of run `run_id`'s jobs.
function M.folder(repo, run_id)
  return ("%s/.zenml/jobs/%s"):format(repo.root, run_id)
end

local read = require("zenml.sources").read_file
M.read = read

--- Make the run's job folder (git-ignored); returns its path.
function M.make_folder(repo, run_id)
  local top = repo.root .. "/.zenml/jobs"
  assert(core.sys.mkdir_p(top))
  if not core.sys.file_kind(top .. "/.gitignore") then
    assert(core.sys.write_atomic(top .. "/.gitignore", "# job scripts and their output\n*\n",
      tonumber("644", 8)))
  end
  local dir = M.folder(repo, run_id)
  assert(core.sys.mkdir_p(dir))
  return dir
end

--- Save what a run's submitter knows: {yaml, backend, mode, poll_interval,
--- allocation? = {id, script, output}}.
function M.save_run(repo, run_id, info)
  local dir = M.make_folder(repo, run_id)
  local ok, err = core.sys.write_atomic(dir .. "/run.json", json.encode(info), tonumber("644", 8))
  if not ok then error(err, 0) end
end

--- Save the job of step `name`: {id, script, output}.
function M.save_job(repo, run_id, name, job)
  local dir = M.make_folder(repo, run_id)
  local ok, err = core.sys.write_atomic(("%s/%s.job.json"):format(dir, name), json.encode(job),
    tonumber("644", 8))
  if not ok then error(err, 0) end
end

--- The book of run `run_id`: {run = what save_run saved (or nil), jobs = step
--- -> job}, or nil when it submitted nothing.
function M.load(repo, run_id)
  local dir = M.folder(repo, run_id)
  if not core.sys.file_kind(dir) then return nil end
  local book = { jobs = {} }
  local text = read(dir .. "/run.json")
  book.run = text and json.try_decode(text) or nil
  local p = io.popen("ls -1 " .. remote.quote(dir) .. " 2>/dev/null")
  for file in p:lines() do
    local step = file:match("^(.+)%.job%.json$")
    if step then book.jobs[step] = json.try_decode(read(dir .. "/" .. file) or "null") end
  end
  p:close()
  if not book.run and next(book.jobs) == nil then return nil end
  return book
end

--- Every job id of a book (steps' and the allocation's).
function M.ids(book)
  local ids = {}
  for _, job in pairs(book.jobs) do ids[#ids + 1] = job.id end
  if book.run and book.run.allocation then ids[#ids + 1] = book.run.allocation.id end
  table.sort(ids)
  return ids
end

--- The steps downstream of `name` (its dependents, theirs, ...).
function M.downstream(deps, name)
  local out, changed = { [name] = true }, true
  while changed do
    changed = false
    for step, ds in pairs(deps) do
      if not out[step] then
        for _, d in ipairs(ds) do
          if out[d] then out[step], changed = true, true; break end
        end
      end
    end
  end
  out[name] = nil
  return out
end

--- The last lines of a job's output file, for a step's log.
function M.output_of(path)
  return read(path) or ""
end

--- The result of a finished job of step `name`: what the step recorded, or
--- the cluster's reason when it recorded nothing (killed, out of memory).
function M.finished(repo, doc, name, job, info)
  local why
  if info.status ~= "completed" then why = info.reason end
  local log = job.output and M.output_of(job.output) or nil
  if why and job.output and log:match("cannot see the repository") then
    why = log:match("zenml: ([^\n]*cannot see the repository[^\n]*)") or why
  elseif why and log and (log:match("[Ee]xceeded job memory limit") or log:match("oom%-kill")) then
    -- a cluster that kills over its memory limit may call the job FAILED
    why = "OUT_OF_MEMORY: the job used more memory than it asked for (mem)"
  end
  local how = { attempt = job.attempt }
  if why then how.kind, how.code = require("zenml.engine.retry").kind_of_reason(why) end
  local r = remote.result(repo, doc, name, why, log, how)
  M.record(repo, r.execution, job)
  return r
end

--- Record on execution `exec` the job that ran it: its id and its script
--- (stored as an artifact).
function M.record(repo, exec, job)
  if not exec then return end
  local db = repo:meta()
  db:property_set("execution", tostring(exec), "job_id", tostring(job.id))
  local script = read(job.script)
  if script then
    local id = repo:store():put(script)
    db:artifact_record(id, "file", #script)
    db:property_set("execution", tostring(exec), "job_script", id)
  end
end

return M
