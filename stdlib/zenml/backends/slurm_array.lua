--- The `slurm_array` processing backend: a step's row blocks (a step with
--- `map`/`reduce`, docs/steps.md) as the tasks of one Slurm job array.
---
--- The process that runs the step (under any orchestrator: this machine, a
--- Slurm job of the Slurm orchestrator, an allocation) writes the blocks
--- still to do into a spec and submits one `sbatch --array=0-K%M` running
--- `zenml step shard SPEC` in the repository; task t takes every K-th of
--- those blocks (SLURM_ARRAY_TASK_ID picks them). Each block's part is
--- kept in the step's shard folder, named by its content, as the task ends
--- it. A second job, `zenml step reduce SPEC` with `--dependency=afterok`
--- on the array, reads the parts back in block order, reduces them (or
--- stacks a built-in step's frames) and puts the outputs in the store, so
--- they are those of a run on one worker; the step's process waits for both
--- and records the ids the reduce job wrote. A task that failed (an error,
--- `kill -9`, `scancel`, a time limit) fails the step with the shard, its
--- task and its log, and the reduce job, which can never run, is cancelled;
--- the blocks the other tasks kept are reused by the step's next attempt or
--- run, which runs only the missing ones (and with none missing, only the
--- reduce job). A reduce job that fails fails the step naming it and its log.
local zenml = require "zenml"
local core = require "zenml._core"
local json = require "zenml.json"
local slurm = require "zenml.slurm"
local errors = require "zenml.errors"
local Slurm = require "zenml.backends.slurm"

local SlurmArray = zenml.backends.BaseProcessingBackend:extend("SlurmArray")
SlurmArray.roles = { processing = true }

local function at_least_one(v) if v < 1 then return "expects an integer >= 1" end end

SlurmArray.params = {
  -- array tasks; a step's blocks (shard_rows rows each) are dealt out to them
  shards = { type = "integer", default = 8, check = at_least_one },
  -- tasks running at once (sbatch --array=0-K%M); unset: as many as Slurm starts
  max_parallel = { type = "integer", check = at_least_one },
  partition = Slurm.params.partition,
  account = Slurm.params.account,
  qos = Slurm.params.qos,
  time = Slurm.params.time,
  mem = Slurm.params.max_mem,
  cpus = Slurm.params.cpus,
  gres = Slurm.params.gres,
  constraint = Slurm.params.constraint,
  extra = Slurm.params.extra,
  job_name = Slurm.params.job_name,
  poll_interval = Slurm.params.poll_interval,
}

function SlurmArray:worker_count() return self.params.shards end

-- The data kernels of a step that cannot shard over the array run on one
-- thread of the step's process, as its YAML says ("whole on one worker").
function SlurmArray:kernel_threads() return 1 end

-- Only row blocks cross processes; column and byte-range kernels run whole.
function SlurmArray:can_shard(by) return by == "rows" end

--- Check, before anything is submitted, that Slurm answers and knows the
--- partition.
function SlurmArray:preflight()
  local ok, why = slurm.available()
  if not ok then errors.user("%s", why) end
  if self.params.partition then
    local bad = slurm.check_partition(self.params.partition)
    if bad then errors.user("%s", bad) end
  end
end

-- What a job's log says went wrong: the first line starting with `mine`
-- (the error `zenml step shard` wrote for a shard, `zenml step reduce`'s),
-- without its "zenml: ", else nil and the log's last line.
local function log_line(path, mine)
  local text = require("zenml.sources").read_file(path) or ""
  local line
  for l in text:gmatch("[^\n]+") do
    if l:sub(1, #mine) == mine then return l:sub(8) end
    if l:match("%S") then line = l end
  end
  return nil, line
end

-- Wait until every task of array `id` has ended; the states of the tasks.
function SlurmArray:wait(id, tasks)
  local start, interval = core.sys.time(), self.params.poll_interval
  local pause = Slurm.pauses(interval)
  local ended, states = 0, {}
  while ended < tasks do
    pause()
    require("zenml.engine.retry").check_deadline()
    states = slurm.array_states(id)
    ended = 0
    local listed = false
    for t = 0, tasks - 1 do
      local info = states[t]
      if info then listed = true end
      if info and slurm.step_status(info) then ended = ended + 1 end
    end
    -- Slurm forgot the whole array (no accounting to ask): it has ended
    if not listed and core.sys.time() - start > 2 * interval then break end
  end
  return states
end

-- The encoded parts by block of the blocks `missing`, read back from the
-- shard folder once array `id` has ended (task states `states`); a block
-- without its part fails the step naming the shard, its task and its log.
local function parts_of(spec, missing, id, states, repo, logs)
  local got = {}
  for k, i in ipairs(missing) do
    local text = require("zenml.sources").read_file(("%s/%d.json"):format(spec.dir, i))
    local enc = text and json.try_decode(text)
    if type(enc) ~= "table" then
      local t = (k - 1) % spec.tasks
      local log = logs:format(t)
      local info = states[t]
      local reason = info and select(2, slurm.step_status(info))
      local own, line = log_line(log, ("zenml: shard %d of "):format(i))
      local task = ("job array task %s_%d %s"):format(id, t, reason or (info and info.state) or "is gone")
      if own then
        error(("%s (%s); its log: %s"):format(own, task, log:sub(#repo.root + 2)), 0)
      end
      error(("shard %d of %d (rows %d-%d) failed: %s%s; its log: %s"):format(i, spec.n,
        (i - 1) * spec.rows + 1, math.min(i * spec.rows, spec.nrow), task,
        line and (" (" .. line .. ")") or "", log:sub(#repo.root + 2)), 0)
    end
    got[i] = enc
  end
  return got
end

-- Wait until job `id` (the reduce job) has ended; its state, or nil when
-- Slurm no longer knows it (no accounting to ask).
function SlurmArray:wait_job(id)
  local start, interval = core.sys.time(), self.params.poll_interval
  local pause = Slurm.pauses(interval)
  while true do
    pause()
    require("zenml.engine.retry").check_deadline()
    local info = slurm.states({ id })[id]
    if info and slurm.step_status(info) then return info end
    if not info and core.sys.time() - start > 2 * interval then return nil end
  end
end

-- What reduce job `id` (state `info`) stored, from the result file it
-- wrote; when it has none, the reduce failed: the step fails naming the
-- job, Slurm's reason and its log.
local function result_of(spec, id, info, repo, log)
  local text = require("zenml.sources").read_file(spec.result)
  local result = text and json.try_decode(text)
  if type(result) == "table" and (info == nil or slurm.step_status(info) == "completed") then
    return result
  end
  local reason = info and select(2, slurm.step_status(info)) or "ended without its result"
  local own, line = log_line(log, "zenml: ")
  local job = ("reduce job %s %s"):format(id, reason or (info and info.state) or "is gone")
  if own then
    error(("%s (%s); its log: %s"):format(own, job, log:sub(#repo.root + 2)), 0)
  end
  error(("reduce of %d shards failed: %s%s; its log: %s"):format(spec.n, job,
    line and (" (" .. line .. ")") or "", log:sub(#repo.root + 2)), 0)
end

-- Write a job's script running `zenml step ACTION SPEC` in the repository;
-- its path.
local function script_of(repo, dir, tag, action, spec_file)
  local remote = require "zenml.engine.remote"
  local script = ("%s/%s.sh"):format(dir, tag)
  local command = ("%s step %s %s"):format(remote.quote(remote.executable()), action,
    remote.quote(spec_file))
  assert(core.sys.write_atomic(script, Slurm.job_script(repo.root, command), tonumber("755", 8)))
  return script
end

--- Run the blocks `spec.blocks` of a step (zenml.shards) as one job array,
--- and the combination of all its parts (`spec.combine`) as one job after
--- it (afterok: it runs once every task has ended well; with no block to
--- do, at once). Returns the encoded parts of those blocks, read back from
--- the shard folder, and what the reduce job stored (zenml.shards.reduce_job).
function SlurmArray:run_shards(spec, repo)
  local missing = spec.blocks
  local tasks = math.min(self.params.shards, #missing)
  -- what the jobs read (the step's inputs, a fitted transform) is on disk
  -- before another machine looks
  local store = repo:store()
  local ok, err = store:write_behind(0)
  if not ok then error(err, 0) end
  assert(store:write_behind(require("zenml.engine.schedule").WRITE_BEHIND_MS))
  spec.tasks = tasks
  local dir = require("zenml.engine.jobs").make_folder(repo, spec.run_id)
  local base = spec.step .. (spec.tag and ("-" .. spec.tag) or "")
  local tag, rtag = base .. "-shards", base .. "-reduce"
  -- a result an earlier attempt's reduce job left is not this one's
  spec.result = ("%s/%s.json"):format(dir, rtag)
  os.remove(spec.result)
  local spec_file = ("%s/%s.json"):format(dir, tag)
  assert(core.sys.write_atomic(spec_file, json.encode(spec), tonumber("644", 8)))
  local function options(name, action)
    local opts = Slurm.sbatch_options(self, {})
    opts.script_file, opts.chdir = script_of(repo, dir, name, action, spec_file), repo.root
    opts.name = ("%s-%s-%s"):format(self.params.job_name, spec.run_id, name)
    return opts
  end
  local array = tasks > 0 and options(tag, "shard")
  if array then
    array.output = ("%s/%s-%%a.out"):format(dir, tag)
    array.array = ("0-%d%s"):format(tasks - 1,
      self.params.max_parallel and ("%%%d"):format(self.params.max_parallel) or "")
    Slurm.test(self, array, { array = array.array })
  end
  local reduce = options(rtag, "reduce")
  reduce.output = ("%s/%s.out"):format(dir, rtag)
  -- (the array's test stands for the reduce job's: the same resources)
  if not array then Slurm.test(self, reduce, {}) end
  local logs = ("%s/%s-%%d.out"):format(dir, tag)
  -- from the first submission to the end of the wait the step's timeout is
  -- checked between polls, so it never leaves a job queued
  return require("zenml.engine.retry").watching(function()
    local submitted = {}
    local function submit(opts)
      local id, why = slurm.submit(opts)
      if not id then errors.user("%s", why) end
      submitted[#submitted + 1] = id
      return id
    end
    local done, got, result = xpcall(function()
      local id = array and submit(array)
      if id then
        io.write(("shards: %d block%s on job array %s (%d task%s)\n"):format(#missing,
          #missing == 1 and "" or "s", id, tasks, tasks == 1 and "" or "s"))
      end
      reduce.dependency = id and { id } or nil
      local rid = submit(reduce)
      io.write(("reduce: job %s%s\n"):format(rid, id and (" after job array %s (afterok)"):format(id) or
        (", every block kept from an earlier run")))
      -- a failed task fails the step (and the reduce job, which would never run, goes)
      local parts = id and parts_of(spec, missing, id, self:wait(id, tasks), repo, logs) or {}
      return parts, result_of(spec, rid, self:wait_job(rid), repo, reduce.output)
    end, errors.capture)
    if not done then
      -- a failed task, the step's timeout, Ctrl-C, a failing poll: the
      -- jobs go with it (one scancel each: one that has ended fails alone)
      for k = #submitted, 1, -1 do pcall(slurm.cancel, { submitted[k] }) end
      error(got, 0)
    end
    return got, result
  end)
end

return SlurmArray
