--- The `slurm_array` processing backend: a step's row blocks (a step with
--- `map`/`reduce`, docs/steps.md) as the tasks of one Slurm job array.
---
--- The process that runs the step (under any orchestrator: this machine, a
--- Slurm job of the Slurm orchestrator, an allocation) writes the blocks
--- still to do into a spec and submits one `sbatch --array=0-K%M` running
--- `zenml step shard SPEC` in the repository; task t takes every K-th of
--- those blocks (SLURM_ARRAY_TASK_ID picks them). Each block's part is
--- kept in the step's shard folder, named by its content, as the task ends
--- it. When every task has ended the step's process reads the parts back in
--- block order and reduces them, so the outputs are those of a run on one
--- worker. A task that failed (an error, `kill -9`, `scancel`, a time
--- limit) fails the step with the shard, its task and its log; the blocks
--- the other tasks kept are reused by the step's next attempt or run, which
--- runs only the missing ones.
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

-- What a task's log says of shard i: the error `zenml step shard` wrote
-- for it (first), else nil and the log's last line.
local function log_line(path, i)
  local text = require("zenml.sources").read_file(path) or ""
  local line
  local mine = ("zenml: shard %d of "):format(i)
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

--- Run the blocks `spec.blocks` of a step (zenml.shards) as one job array;
--- returns the encoded parts by block, read back from the shard folder.
function SlurmArray:run_shards(spec, repo)
  local shards = require "zenml.shards"
  local jobs = require "zenml.engine.jobs"
  local remote = require "zenml.engine.remote"
  local missing = spec.blocks
  local tasks = math.min(self.params.shards, #missing)
  -- what the tasks read (the step's inputs, a fitted transform) is on disk
  -- before another machine looks
  local store = repo:store()
  local ok, err = store:write_behind(0)
  if not ok then error(err, 0) end
  assert(store:write_behind(require("zenml.engine.schedule").WRITE_BEHIND_MS))
  spec.tasks = tasks
  local dir = jobs.make_folder(repo, spec.run_id)
  local tag = spec.step .. (spec.tag and ("-" .. spec.tag) or "") .. "-shards"
  local spec_file = ("%s/%s.json"):format(dir, tag)
  assert(core.sys.write_atomic(spec_file, json.encode(spec), tonumber("644", 8)))
  local script = ("%s/%s.sh"):format(dir, tag)
  local command = ("%s step shard %s"):format(remote.quote(remote.executable()), remote.quote(spec_file))
  assert(core.sys.write_atomic(script, Slurm.job_script(repo.root, command), tonumber("755", 8)))
  local opts = Slurm.sbatch_options(self, {})
  opts.script_file, opts.chdir = script, repo.root
  opts.name = ("%s-%s-%s"):format(self.params.job_name, spec.run_id, tag)
  opts.output = ("%s/%s-%%a.out"):format(dir, tag)
  opts.array = ("0-%d%s"):format(tasks - 1,
    self.params.max_parallel and ("%%%d"):format(self.params.max_parallel) or "")
  Slurm.test(self, opts, { array = opts.array })
  -- from the submission to the end of the wait the step's timeout is
  -- checked between polls, so it never leaves the array queued
  local id, states = require("zenml.engine.retry").watching(function()
    local submitted, why = slurm.submit(opts)
    if not submitted then errors.user("%s", why) end
    io.write(("shards: %d block%s on job array %s (%d task%s)\n"):format(#missing,
      #missing == 1 and "" or "s", submitted, tasks, tasks == 1 and "" or "s"))
    local waited, got = xpcall(self.wait, errors.capture, self, submitted, tasks)
    if not waited then
      -- the step's timeout, Ctrl-C, a failing poll: the array goes with it
      pcall(slurm.cancel, { submitted })
      error(got, 0)
    end
    return submitted, got
  end)
  local got = {}
  for k, i in ipairs(missing) do
    local text = require("zenml.sources").read_file(("%s/%d.json"):format(spec.dir, i))
    local enc = text and json.try_decode(text)
    if type(enc) ~= "table" then
      local t = (k - 1) % tasks
      local log = ("%s/%s-%d.out"):format(dir, tag, t)
      local info = states[t]
      local reason = info and select(2, slurm.step_status(info))
      local own, line = log_line(log, i)
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

return SlurmArray
