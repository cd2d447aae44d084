--- The `slurm` backend: a pipeline's steps as Slurm jobs (docs/backends.md).
---
--- As an orchestrator, in `mode = "jobs"` (the default) every step that is not
--- a cache hit becomes one `sbatch` job running `zenml step exec YAML STEP`
--- in the repository, submitted all at once with `--dependency=afterok:` on
--- its upstream steps' jobs, so Slurm releases each job; zenml polls the
--- run's jobs with one command per poll. In `mode = "allocation"` one job of
--- `nodes` nodes runs zenml's own scheduler inside it (`zenml step exec YAML
--- --all`), which suits many short steps: no per-step queueing.
---
--- As a training backend, a step marked `training = Slurm { ... }` runs as its
--- own job with those resources while the orchestrator runs the rest here.
local zenml = require "zenml"
local core = require "zenml._core"
local slurm = require "zenml.slurm"
local errors = require "zenml.errors"
local remote = require "zenml.engine.remote"
local jobs = require "zenml.engine.jobs"

local Slurm = zenml.backends.BaseOrchestrator:extend("Slurm")
Slurm.roles = { orchestrator = true, training = true }

local function positive(v) if v <= 0 then return "expects a number > 0" end end
local function at_least_one(v) if v < 1 then return "expects an integer >= 1" end end

local MEM_UNITS = { K = 1 / 1024, M = 1, G = 1024, T = 1024 * 1024 }

-- Megabytes of a memory size ("500M", "4G", "2048": Slurm's default unit is M).
local function megabytes(s)
  local n, unit = tostring(s):match("^(%d+)([KMGT]?)$")
  return n and tonumber(n) * MEM_UNITS[unit ~= "" and unit or "M"]
end

local function check_mem(v, per_attempt)
  if per_attempt and type(v) == "function" then return nil end
  if per_attempt and type(v) == "table" and #v > 0 then
    for _, m in ipairs(v) do
      if not megabytes(m) then
        return ("expects memory sizes such as 500M or 4G, got %s in its list"):format(
          require("zenml.params").describe(m))
      end
    end
    return nil
  end
  if type(v) ~= "string" or not megabytes(v) then
    return ("expects a memory size such as 500M or 4G%s, got %s"):format(
      per_attempt and " (or a function of the attempt giving one)" or "",
      type(v) == "string" and ("%q"):format(v) or require("zenml.params").describe(v))
  end
end

--- A per-attempt value of parameter `name` as the YAML records it: `mem`
--- (a number is megabytes) checked and capped at `max_mem`.
function Slurm:limit(name, v)
  if name ~= "mem" then return v end
  if math.type(v) == "integer" then v = ("%dM"):format(v) end
  local bad = check_mem(v, false)
  if bad then errors.user("Slurm: parameter 'mem': the function of the attempt %s", bad) end
  local cap = self.params.max_mem
  if cap and megabytes(v) > megabytes(cap) then return cap end
  return v
end

Slurm.params = {
  partition = { type = "string" },
  account = { type = "string" },
  qos = { type = "string" },
  time = { type = "string", check = function(v)
    if slurm.check_time(v) then
      return ("expects a Slurm time limit (MINUTES, MM:SS, HH:MM:SS, D-HH, D-HH:MM[:SS] or"
        .. " UNLIMITED), got %q"):format(v)
    end
  end },
  -- a size, a function of the attempt giving one (a step with retries; the
  -- YAML records its values), or the list of those values
  mem = { type = "any", check = function(v) return check_mem(v, true) end },
  max_mem = { type = "string", check = function(v) return check_mem(v, false) end },
  cpus = { type = "integer", check = at_least_one },
  gres = { type = "string" },
  constraint = { type = "string" },
  extra = { type = "list", default = {} },
  job_name = { type = "string", default = "zenml" },
  poll_interval = { type = "number", default = 1, check = positive },
  mode = { type = "string", default = "jobs", values = { "jobs", "allocation" } },
  nodes = { type = "integer", default = 1, check = at_least_one },
  -- inside an allocation: steps on threads of the first node, or each through srun
  dispatch = { type = "string", values = { "auto", "threads", "srun" }, default = "auto" },
  -- how the allocation is taken: salloc is granted at once when the nodes are
  -- free, a batch job waits for the scheduler's next pass (auto: salloc when
  -- `zenml run` waits for the run, sbatch with --detach)
  allocate = { type = "string", values = { "auto", "sbatch", "salloc" }, default = "auto" },
}

-- Fail with Slurm's own message, as a user error (one line).
local function fail(fmt, ...)
  errors.user(fmt, ...)
end

--- Check, before anything is submitted, that Slurm answers, the partition
--- exists and the nodes can reach the repository and its stores.
function Slurm:preflight(repo)
  local ok, why = slurm.available()
  if not ok then fail("%s", why) end
  if self.params.partition then
    local bad = slurm.check_partition(self.params.partition)
    if bad then fail("%s", bad) end
  end
  local others = slurm.other_nodes()
  if #others > 0 then
    local fs = slurm.fs_type(repo.root)
    if slurm.local_fs[fs] then
      fail("the repository %s is on a local file system (%s) but Slurm runs jobs on other machines"
        .. " (%s): put it on a file system the nodes share (NFS, Lustre, ...)", repo.root, fs,
        table.concat(others, ", "))
    end
    local url = repo.config.stores.metadata
    if url:match("^sqlite:") and not slurm.locking_fs(slurm.fs_type(repo:metadata_url():sub(8))) then
      fail("the SQLite metadata store %s is on a file system whose locks Slurm's nodes cannot"
        .. " share; use a MySQL/MariaDB store: zenml metadata migrate --to mysql://USER@HOST/DB",
        url)
    end
  end
end

-- sbatch's options from the parameters, plus `more`.
function Slurm:sbatch_options(more)
  local p = self.params
  local o = { partition = p.partition, account = p.account, qos = p.qos, time = p.time,
    mem = p.mem, cpus = p.cpus, gres = p.gres, constraint = p.constraint, extra = p.extra }
  for k, v in pairs(more or {}) do o[k] = v end
  -- per-attempt memory that `more` did not choose: the first attempt's
  if type(o.mem) == "table" then o.mem = o.mem[1] end
  if type(o.mem) == "function" then o.mem = self:limit("mem", o.mem(1)) end
  return o
end

--- The resources of attempt `attempt` (nil: the first) of step `name`:
--- the memory the YAML recorded for that attempt, and a time limit from the
--- step's timeout (a minute more than it, in whole minutes: the step's own
--- timeout ends it first with its message; Slurm's limit ends what Lua's
--- cannot, such as a step stuck in C), unless the backend's `time` is shorter.
--- A step whose own training backend is a Slurm one (`training = Slurm {
--- gres = ... }`) asks for that backend's resources, the orchestrator's
--- filling in those it leaves unset (its `extra` follows the orchestrator's);
--- `is_step_backend` says that this backend is that step's own already.
function Slurm:resources(doc, name, attempt, is_step_backend)
  local r = {}
  local own = self
  local entry = name and doc.steps[name] and doc.steps[name].training
  if not is_step_backend and type(entry) == "table"
      and not require("zenml.backend").is_local(entry) then
    local b = require("zenml.backend").from_entry(entry, ("step '%s': training backend"):format(name))
    if b ~= self and type(b.sbatch_options) == "function" then
      own = b
      local p = b.params
      for _, k in ipairs({ "partition", "account", "qos", "time", "cpus", "gres", "constraint" }) do
        if p[k] ~= nil then r[k] = p[k] end
      end
      if type(p.mem) == "string" then r.mem = p.mem end
      if p.extra and #p.extra > 0 then
        local extra = {}
        for _, v in ipairs(self.params.extra or {}) do extra[#extra + 1] = v end
        for _, v in ipairs(p.extra) do extra[#extra + 1] = v end
        r.extra = extra
      end
    end
  end
  local mem = own.params.mem
  if type(mem) == "table" then
    r.mem = mem[math.min(attempt or 1, #mem)]
  elseif type(mem) == "function" then
    r.mem = own:limit("mem", mem(attempt or 1))
  end
  local timeout = name and doc.steps[name] and doc.steps[name].timeout
  if type(timeout) == "number" then
    local minutes = math.ceil(timeout / 60) + 1
    local time = r.time or self.params.time
    local given = time and slurm.seconds_of(time)
    if not given or given > minutes * 60 then r.time = tostring(minutes) end
  end
  return r
end

--- The script of a job: go to the repository (saying so when this node
--- cannot see it), then run `command`.
local function job_script(root, command)
  return table.concat({
    "#!/bin/sh",
    "# written by zenml: one step of a pipeline run",
    ("cd %s 2>/dev/null || { echo \"zenml: $(hostname): cannot see the repository %s;"
      .. " it must be on a file system the nodes share\" >&2; exit 97; }"):format(
      remote.quote(root), root:gsub('["$`\\]', "")),
    "exec " .. command,
    "",
  }, "\n")
end

Slurm.job_script = job_script

-- The cluster's verdict on the resources `more` (sbatch --test-only of the
-- job `opts`, once per distinct request) before a job asking for them goes
-- in, so a request it cannot satisfy submits nothing; fails with sbatch's
-- message.
function Slurm:test(opts, more)
  local resources = {}
  for k, v in pairs(more or {}) do
    if k ~= "dependency" then resources[k] = v end
  end
  local key = require("zenml.json").encode(resources)
  self._tested = self._tested or {}
  if self._tested[key] then return end
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  o.dependency, o.test_only = nil, true
  local ok, why = slurm.submit(o)
  if not ok then fail("%s", why) end
  self._tested[key] = true
end

-- Submit one job running `command`; returns {id, script, output}.
function Slurm:submit(repo, run_id, tag, command, more)
  local dir = jobs.make_folder(repo, run_id)
  local script = ("%s/%s.sh"):format(dir, tag)
  local out = ("%s/%s.out"):format(dir, tag)
  local text = job_script(repo.root, command)
  assert(core.sys.write_atomic(script, text, tonumber("755", 8)))
  local opts = self:sbatch_options(more)
  opts.script_file = script
  opts.name = ("%s-%s-%s"):format(self.params.job_name, run_id, tag)
  opts.output = out
  opts.chdir = repo.root
  self:test(opts, more)
  local id, err = slurm.submit(opts)
  if not id then fail("%s", err) end
  return { id = id, script = script, output = out }
end

--- Take the allocation of a run in allocation mode through salloc, running
--- `command` in it (see zenml.slurm.allocate); returns {id, script, output,
--- log}.
function Slurm:allocate(repo, run_id, command, more)
  local dir = jobs.make_folder(repo, run_id)
  local job = { script = dir .. "/allocation.sh", output = dir .. "/allocation.out",
    log = dir .. "/allocation.salloc" }
  assert(core.sys.write_atomic(job.script, job_script(repo.root, command), tonumber("755", 8)))
  assert(core.sys.write_atomic(job.output, "", tonumber("644", 8)))
  local opts = self:sbatch_options(more)
  opts.script_file, opts.output, opts.log = job.script, job.output, job.log
  opts.name = ("%s-%s-allocation"):format(self.params.job_name, run_id)
  opts.chdir = repo.root
  self:test(opts, more)
  local id, err = slurm.allocate(opts)
  if not id then fail("%s", err) end
  job.id = id
  return job
end

-- The final status of a job: nil while it waits or runs, else {status =
-- "completed"|"failed"|"cancelled", reason}.
local function final(info, id)
  if info == nil then
    return { status = "failed", reason = ("Slurm job %s is no longer known to Slurm"):format(id) }
  end
  local status, reason = slurm.step_status(info)
  if not status then return nil end
  return { status = status, reason = reason }
end

local function schedule() return require "zenml.engine.schedule" end
local function state() return require "zenml.engine.state" end

-- The backend that submitted a run's jobs, rebuilt from its YAML (a `run
-- wait` in another process follows the run too).
local function submitter(doc)
  return require("zenml.backend").from_entry(doc.backends.orchestrator, "backends.orchestrator")
end

-- Submit step `name`'s job again (attempt `attempt`, nil for the first),
-- after the upstream jobs still pending; returns the job.
local function resubmit(repo, doc, name, attempt, pending, deps, book)
  local orch = submitter(doc)
  local more = orch:resources(doc, name, attempt)
  more.dependency = {}
  for _, d in ipairs(deps[name]) do
    if pending[d] then more.dependency[#more.dependency + 1] = pending[d].id end
  end
  local job = orch:submit(repo, doc.run_id, name, remote.command(book.run.yaml, name, attempt), more)
  job.attempt = attempt
  jobs.save_job(repo, doc.run_id, name, job)
  book.jobs[name] = job
  pending[name] = job
  return job
end

-- The jobs downstream of `name` that have not ended go again, after the
-- jobs now pending (Slurm cancels a job whose dependency failed).
local function resubmit_downstream(repo, doc, name, pending, deps, book)
  local down = jobs.downstream(deps, name)
  local old = {}
  for d in pairs(down) do
    if pending[d] then old[#old + 1] = pending[d].id end
  end
  if #old == 0 then return end
  slurm.cancel(old)
  for _, d in ipairs(require("zenml.engine.doc").order(doc, deps)) do
    if down[d] and pending[d] then resubmit(repo, doc, d, pending[d].attempt, pending, deps, book) end
  end
end

-- When failure `r` of step `name` (its job `job`) is retried by the step's
-- `retries`: its next attempt is submitted, with what is downstream of it,
-- and true returned.
local function next_attempt(repo, doc, name, job, r, pending, deps, book)
  local retry = require "zenml.engine.retry"
  local policy, attempt = retry.policy(doc.steps[name]), (job.attempt or 1) + 1
  if attempt > policy.retries + 1 or not retry.matches(policy, r.kind, r.code) then return false end
  local wait = retry.delay(policy, attempt)
  schedule().say_retry(name, attempt - 1, policy, r, wait)
  if wait > 0 then core.sys.sleep(wait) end
  resubmit(repo, doc, name, attempt, pending, deps, book)
  resubmit_downstream(repo, doc, name, pending, deps, book)
  return true
end

-- The pauses between polls: short at first (50 ms, then a quarter of the
-- time waited so far) and then `interval`, so a job or allocation that ends
-- within a second is seen about when it ends rather than up to `interval`
-- later, while a long run is asked about once per `interval` (about 13
-- more polls in all when interval is 1 s).
--- A pause also ends early, at the next 50 ms, when `ready()` says a job's
--- own output shows that it has ended (its last line is written), so the
--- end of a run is seen without waiting for the next poll.
local function pauses(interval, ready)
  local start = core.sys.time()
  return function()
    local p = math.min(interval, math.max(0.05, (core.sys.time() - start) / 4))
    local deadline = core.sys.time() + p
    repeat
      core.sys.sleep(math.min(0.05, p))
      if ready and ready() then return end
    until core.sys.time() >= deadline
  end
end

-- Whether `text` has a line starting with `prefix`.
local function has_line(text, prefix)
  return text ~= nil and (text:sub(1, #prefix) == prefix or text:find("\n" .. prefix, 1, true) ~= nil)
end

-- A function telling, once per job, that a job's output shows its end: the
-- last line `zenml step exec` writes ("step NAME completed", "run RUN: ...").
local function end_watch(doc, pending, alloc_of)
  local seen = {}
  return function()
    local alloc = alloc_of()
    if alloc and not seen[alloc.output]
        and has_line(jobs.read(alloc.output), ("run %s: "):format(doc.run_id)) then
      seen[alloc.output] = true
      return true
    end
    for name, job in pairs(pending) do
      local key = job.output and (job.output .. "\0" .. tostring(job.id))
      if key and not seen[key] and has_line(jobs.read(job.output), ("step %s "):format(name)) then
        seen[key] = true
        return true
      end
    end
    return false
  end
end

--- Follow a submitted run until every job ended: each finished step's result
--- comes from the metadata its job recorded (or the Slurm reason when it was
--- killed); a failure cancels what is downstream of it. Ctrl-C cancels the
--- run's jobs. Returns results by step name (the steps that never ran are
--- missing: the engine records them skipped). `done(name, status)` reports
--- progress. A run in allocation mode follows its one job. With `once`, one
--- poll: nil unless every job has ended.
local function wait_run(repo, doc, book, deps, done, once)
  local info = book.run or {}
  local results, pending = {}, {}
  for name, job in pairs(book.jobs) do pending[name] = job end
  local alloc = info.allocation
  local pause = pauses(info.poll_interval or 1, end_watch(doc, pending, function() return alloc end))
  for name in pairs(doc.steps) do
    if not pending[name] then
      local e = remote.last_execution(repo, doc.run_id, name)
      if e and (e.status == "completed" or e.status == "cached" or e.status == "skipped") then
        results[name] = remote.as_node(remote.result(repo, doc, name))
      end
    end
  end
  local function ids()
    local out = {}
    if alloc then out[1] = alloc.id end
    for _, job in pairs(pending) do out[#out + 1] = job.id end
    return out
  end
  local cancel_all = function()
    local list = ids()
    if #list > 0 then slurm.cancel(list) end
  end
  local ok, err = xpcall(function()
    while alloc or next(pending) do
      local states = slurm.states(ids())
      if alloc then
        local f = final(states[alloc.id], alloc.id)
        if f then
          -- every step the allocation did not finish is its reason's
          for name in pairs(doc.steps) do
            if not results[name] then
              local e = remote.last_execution(repo, doc.run_id, name)
              if e and e.status ~= "skipped" then
                local r = remote.result(repo, doc, name, f.status ~= "completed" and f.reason
                  or nil, jobs.output_of(alloc.output))
                results[name] = remote.as_node(r)
                if done then done(name, r.status) end
              end
            end
          end
          alloc = nil
        end
      end
      local ended = {}
      for name, job in pairs(pending) do
        local f = final(states[job.id], job.id)
        if f then ended[#ended + 1] = { name = name, job = job, f = f } end
      end
      -- upstream first: a step whose failure is retried or caught resubmits
      -- what is downstream of it before that is looked at
      local rank = {}
      for i, n in ipairs(require("zenml.engine.doc").order(doc, deps)) do rank[n] = i end
      table.sort(ended, function(a, b) return rank[a.name] < rank[b.name] end)
      for _, x in ipairs(ended) do
        local name, job, f = x.name, x.job, x.f
        if pending[name] == job then
          pending[name] = nil
          local r = jobs.finished(repo, doc, name, job, f)
          if r.status == "failed" and next_attempt(repo, doc, name, job, r, pending, deps, book) then
            goto continue
          end
          if r.status == "failed" or r.status == "completed" then
            -- the step's last attempt: its hooks, and a caught failure as data
            r.attempts = job.attempt or 1
            r = schedule().after_last_attempt(state().new(repo, doc), name, r)
            if r.status == "caught" then resubmit_downstream(repo, doc, name, pending, deps, book) end
          end
          results[name] = remote.as_node(r)
          if done then done(name, r.status) end
          if r.status == "failed" then
            local cancel = {}
            -- keep_going = false: every job not ended goes, not only those downstream
            local gone = doc.options.keep_going == false and pending or jobs.downstream(deps, name)
            for d in pairs(gone) do
              if pending[d] then
                cancel[#cancel + 1] = pending[d].id
                pending[d] = nil
              end
            end
            if #cancel > 0 then slurm.cancel(cancel) end
          end
        end
        ::continue::
      end
      if once and (alloc or next(pending)) then return false end
      if alloc or next(pending) then pause() end
    end
    return true
  end, errors.capture)
  if not ok then
    -- Ctrl-C (or a failing poll): the run's jobs go, the run ends cancelled
    cancel_all()
    pcall(require("zenml.follow").record_cancelled, repo, doc)
    if tostring(err):match("interrupted") then
      error(errors.new { message = ("interrupted: run %s cancelled with its Slurm jobs"):format(
        doc.run_id), where = false, code = 130 }, 0)
    end
    error(err, 0)
  end
  if not err then return nil end
  return results
end
Slurm.wait = wait_run
Slurm.pauses = pauses

--- Cancel jobs by id (`zenml run cancel`).
function Slurm:cancel(ids)
  if #ids > 0 then slurm.cancel(ids) end
end

--- Run a plan's steps on Slurm (see the top of this file).
function Slurm:run(plan)
  local repo, doc = plan.repo, plan.doc
  local settled = plan:settle()
  if plan:pending() == 0 then return plan:results_of(settled) end
  local info = { yaml = plan.yaml, backend = "slurm", mode = self.params.mode,
    poll_interval = self.params.poll_interval }
  local book = { run = info, jobs = {} }
  local ok, err = xpcall(function()
    if self.params.mode == "allocation" then
      local p = self.params
      local srun = p.dispatch == "srun" or (p.dispatch == "auto" and p.nodes > 1)
      local inner = ("%s step exec %s --all%s"):format(remote.quote(remote.executable()),
        remote.quote(plan.yaml), srun and " --srun" or "")
      local more = { nodes = p.nodes, cpus = p.cpus }
      if p.allocate == "salloc" or (p.allocate == "auto" and not plan.detach) then
        info.allocation = self:allocate(repo, doc.run_id, inner, more)
      else
        info.allocation = self:submit(repo, doc.run_id, "allocation", inner, more)
      end
    else
      -- every step's resources are checked before the first job goes in
      local probe = jobs.make_folder(repo, doc.run_id) .. "/test-only.sh"
      assert(core.sys.write_atomic(probe, "#!/bin/sh\ntrue\n", tonumber("755", 8)))
      local tested, why = pcall(function()
        for _, name in ipairs(plan.steps) do
          if not settled[name] then
            local more = self:resources(doc, name, nil)
            local opts = self:sbatch_options(more)
            opts.script_file, opts.chdir = probe, repo.root
            self:test(opts, more)
          end
        end
      end)
      os.remove(probe)
      if not tested then error(why, 0) end
      for _, name in ipairs(plan.steps) do
        if not settled[name] then
          local after = {}
          for _, d in ipairs(plan.deps[name]) do
            if book.jobs[d] then after[#after + 1] = book.jobs[d].id end
          end
          local more = self:resources(doc, name, nil)
          more.dependency = after
          local job = self:submit(repo, doc.run_id, name, remote.command(plan.yaml, name), more)
          book.jobs[name] = job
          jobs.save_job(repo, doc.run_id, name, job)
        end
      end
    end
  end, errors.capture)
  if not ok then
    -- nothing of a run that could not be submitted whole is left queued
    local list = jobs.ids(book)
    if #list > 0 then pcall(slurm.cancel, list) end
    error(err, 0)
  end
  jobs.save_run(repo, doc.run_id, info)
  -- the run belongs to the cluster now: a watcher that dies leaves it to `run wait`
  repo:meta():run_detach(doc.run_id)
  if plan.detach then return nil end
  return wait_run(repo, doc, book, plan.deps, plan.done)
end

--- Run step `name` of a run as its own job (a training backend); returns
--- once it ended, with its result {status, outputs?, error?}.
function Slurm:run_step(job, name)
  local j = self:submit(job.repo, job.doc.run_id, name, remote.command(job.yaml, name, job.attempt),
    self:resources(job.doc, name, job.attempt, true))
  j.attempt = job.attempt
  jobs.save_job(job.repo, job.doc.run_id, name, j)
  local pause = pauses(self.params.poll_interval,
    end_watch(job.doc, { [name] = j }, function() return nil end))
  local retry = require "zenml.engine.retry"
  -- the step's timeout is checked between polls, so the job is cancelled
  return retry.watching(function()
    local ok, r = xpcall(function()
      while true do
        local f = final(slurm.states({ j.id })[j.id], j.id)
        if f then return jobs.finished(job.repo, job.doc, name, j, f) end
        pause()
        retry.check_deadline()
      end
    end, errors.capture)
    if not ok then
      pcall(slurm.cancel, { j.id })
      error(r, 0)
    end
    return r
  end)
end

-- Inside an allocation: one step through srun on a node of it (a
-- zenml.exec task, in a worker thread's own state).
local inside = {}
function Slurm.srun_task(name, arg)
  local json = require "zenml.json"
  local state = require "zenml.engine.state"
  local a = json.try_decode(arg)
  if a.settled then return a.settled end
  if not inside.repo then
    inside.repo = assert(require("zenml.repo").open())
    inside.doc = require("zenml.engine.doc").load(inside.repo.root .. "/" .. a.yaml)
  end
  local st = state.new(inside.repo, inside.doc)
  if not require("zenml.backend").is_local(inside.doc.steps[name].training) then
    -- a step with its own training backend (Slurm { gres = ... }) runs there,
    -- with its own resources, not as a step of this allocation
    local r = schedule().run_one(st, a.yaml, name)
    if r.status == "failed" then error(r.error, 0) end
    return state.encode(r.status, r.outputs or {})
  end
  local retries = (inside.doc.steps[name].retries or 0) > 0
  local r = schedule().attempts(st, name, function(attempt)
    local job = { attempt = retries and attempt or nil }
    local ok, how, code = os.execute("srun --nodes=1 --ntasks=1 --exclusive --quiet "
      .. remote.command(a.yaml, name, job.attempt))
    return remote.result(inside.repo, inside.doc, name,
      not ok and ("srun ended with %s %s"):format(how, tostring(code)) or nil, nil,
      remote.ended(job, how, code))
  end)
  if r.status == "failed" then error(r.error, 0) end
  return state.encode(r.status, r.outputs or {})
end

--- What an allocation runs (`zenml step exec YAML --all`): the run's steps
--- that have not completed, scheduled on `n` worker threads here, or each
--- through `srun` on a node of the allocation. Steps downstream of a failure
--- are left for the submitter to record. Returns results by name, and
--- whether every step completed.
function Slurm.run_inside(repo, doc, yaml_rel, n, use_srun)
  local schedule = require "zenml.engine.schedule"
  local state = require "zenml.engine.state"
  local plan = schedule.plan(repo, doc, yaml_rel)
  for _, name in ipairs(plan.steps) do
    local e = remote.last_execution(repo, doc.run_id, name)
    if e and (e.status == "completed" or e.status == "cached") then
      plan.settled[name] = state.encode(e.status, repo:meta():outputs(e.id))
    end
  end
  return zenml.exec.run {
    nodes = plan:nodes(), jobs = math.max(n, 1),
    task = use_srun and "zenml.backends.slurm.srun_task" or plan.task, args = plan:args(),
    on_event = plan:events(), -- keep_going = false stops at the first failure here too
  }
end

return Slurm
