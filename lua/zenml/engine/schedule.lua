--- Scheduling a run's steps. The engine makes a plan (the steps, their
--- dependencies, how to run one step by name) and hands it to an
--- orchestrator, which decides where and when each step runs; the scheduler
--- (zenml.exec over src/exec) owns the rules: a step starts once its
--- dependencies completed, a failure skips everything downstream of it. The
--- orchestrator interface is in docs/exec.md, "Orchestrators".
local core = require "zenml._core"
local json = require "zenml.json"
local exec = require "zenml.exec"
local errors = require "zenml.errors"
local state = require "zenml.engine.state"
local task = require "zenml.engine.task"
local cache = require "zenml.engine.cache"
local records = require "zenml.engine.records"
local retry = require "zenml.engine.retry"
local hooks = require "zenml.engine.hooks"
local docs = require "zenml.engine.doc"
local sources = require "zenml.sources"
local backend = require "zenml.backend"

local M = {}

--- How long a put may wait before the write-behind thread syncs it.
M.WRITE_BEHIND_MS = 100

-- One status line per finished step, rewritten in place, when standard error
-- is a terminal; nothing on a pipe.
local function progress_printer(total)
  if not core.sys.isatty(2) then return nil end
  local done = 0
  return function(name, status)
    done = done + 1
    io.stderr:write(("\r\27[K[%d/%d] %s %s"):format(done, total, name, status))
    if done == total then io.stderr:write("\r\27[K") end
    io.stderr:flush()
  end
end

-- A step's result as its task's return value; a failure is raised, already
-- formatted, so the scheduler records it and skips what is downstream.
local function task_result(r)
  if r.status == "failed" then error(errors.formatted(r.error), 0) end
  return state.encode(r.status, r.outputs or {})
end

-- The failure `r` of step `name`, which has `catch = true`, as data: an
-- execution `completed` (property `caught`) whose one output, `error`, is
-- {step, message, kind, attempts}. Returns the step's result, "caught".
local function catch_failure(st, name, r)
  local s = st.doc.steps[name]
  local value = { step = name, message = r.error, kind = r.kind, attempts = r.attempts }
  local id, size = require("zenml.artifacts").put(st.repo, "error", value,
    ("step '%s' output 'error'"):format(name))
  records.open(st)
  local db = st.repo:meta()
  local exec = db:execution_begin(st.doc.run_id, name, s.class, s.source, nil)
  db:property_set("execution", tostring(exec), "caught", 1)
  local outs = records.complete(st, exec, { error = { id = id, size = size, kind = "error" } }, "")
  records.settle(st)
  local caught = { status = "caught", outputs = outs, execution = exec, error = r.error }
  st.done[name] = caught
  return caught
end

-- Step `name` on its training backend (docs/backends.md): the cache is
-- probed here first, so a hit is never submitted.
local function elsewhere(st, yaml_rel, name, entry)
  if cache.enabled(st.doc, name) then
    local hit = cache.cached(st, name)
    if hit then return hit end
  end
  records.flush(st)
  -- what earlier steps wrote is durable and in place before another
  -- process (or machine) reads it
  local store = st.repo:store()
  local ok, err = store:write_behind(0)
  if not ok then error(err, 0) end
  assert(store:write_behind(M.WRITE_BEHIND_MS))
  local b = backend.from_entry(entry, ("step '%s': training backend"):format(name))
  return b:run_step({ repo = st.repo, doc = st.doc, yaml = yaml_rel,
    attempt = st.attempts and st.attempts[name] }, name)
end

-- One attempt at step `name`, here or on its training backend.
local function attempt_step(st, yaml_rel, name, known)
  local entry = st.doc.steps[name].training
  if backend.is_local(entry) then return task.step_safe(st, name, known) end
  local ok, r = xpcall(errors.boundary, errors.capture, elsewhere, st, yaml_rel, name, entry)
  if not ok then
    records.flush(st)
    local exec = records.fail_early(st, name, nil, errors.format(r, true))
    return { status = "failed", error = errors.format(r), execution = exec, kind = "error" }
  end
  if r.status ~= "failed" then st.done[name] = r end
  return r
end

--- Run step `name` in state `st`, or on the training backend its YAML
--- entry names, attempt after attempt while its retry policy says so (each
--- attempt its own execution, numbered). Returns its result {status,
--- outputs?, error?, kind?, attempts}.
function M.run_one(st, yaml_rel, name, known)
  st.yaml = yaml_rel
  return M.attempts(st, name, function(attempt)
    return attempt_step(st, yaml_rel, name, attempt == 1 and known or nil)
  end)
end

--- Say on standard error that attempt `attempt` of step `name` failed with
--- `r` and that another follows in `wait` seconds.
function M.say_retry(name, attempt, policy, r, wait)
  io.stderr:write(("zenml: step '%s': attempt %d of %d failed (%s): %s; retrying in %g s\n"):format(
    name, attempt, policy.retries + 1, r.kind == "exit" and ("exit code " .. tostring(r.code))
    or tostring(r.kind), tostring(r.error):match("^[^\n]*"), wait))
end

--- Run step `name`'s attempts, `try(attempt)` each (returning its result),
--- while its retry policy says so, then what follows its last attempt
--- (M.after_last_attempt). `st.attempts[name]` numbers the attempt's
--- records while it runs. Returns the step's result, with `attempts`.
function M.attempts(st, name, try)
  local policy = retry.policy(st.doc.steps[name])
  local attempt, r = 1, nil
  while true do
    if policy.retries > 0 then
      st.attempts = st.attempts or {}
      st.attempts[name] = attempt
    end
    r = try(attempt)
    if r.status ~= "failed" or attempt > policy.retries or not retry.matches(policy, r.kind, r.code) then
      break
    end
    records.flush(st)
    local wait = retry.delay(policy, attempt + 1)
    M.say_retry(name, attempt, policy, r, wait)
    if wait > 0 then core.sys.sleep(wait) end
    attempt = attempt + 1
  end
  if st.attempts then st.attempts[name] = nil end
  r.attempts = attempt
  return M.after_last_attempt(st, name, r)
end

--- After the last attempt of step `name` (result `r`): its hooks, and a
--- failure of a step with `catch = true` recorded as data. Returns the
--- step's result (status "caught" for a caught failure).
function M.after_last_attempt(st, name, r)
  if r.status ~= "cached" and r.status ~= "skipped" then hooks.step_ended(st.repo, st.doc, name, r) end
  if r.status == "failed" and st.doc.steps[name].catch then return catch_failure(st, name, r) end
  return r
end

---@class zenml.engine.Plan
---@field steps string[] step names in a topological order
---@field deps table<string, string[]> each step's upstream steps
---@field task string "module.function" running one step in another Lua state
local Plan = {}
Plan.__index = Plan

--- The plan of a recorded run: `yaml_rel` is its YAML, relative to the root.
function M.plan(repo, doc, yaml_rel)
  local deps = docs.deps(doc)
  local p = setmetatable({ repo = repo, doc = doc, yaml = yaml_rel, deps = deps,
    steps = docs.order(doc, deps), task = "zenml.engine.schedule.worker_task",
    settled = {}, known = {} }, Plan)
  p.done = progress_printer(#p.steps)
  return p
end

--- Run step `name` in this Lua state; `deps` are the results of its upstream
--- steps (as the scheduler hands them). Returns its result, raises its error.
function Plan:run_step(name, deps)
  if not self.st then
    self.st = state.new(self.repo, self.doc)
    -- a state that runs every step groups the records of cache hits
    self.st.group_cached = true
  end
  self.st.handed = deps or {}
  return task_result(M.run_one(self.st, self.yaml, name))
end

--- Settle in this state, in order, the cache hits whose upstream steps are
--- all hits, so that workers start only for steps that must run. A step
--- whose probe found no hit keeps the probe for the worker that runs it.
--- Returns name -> result of the settled steps (committed).
function Plan:settle()
  if self.doc.options.cache == false then return self.settled end
  local st = state.new(self.repo, self.doc)
  st.group_cached = true
  for _, name in ipairs(self.steps) do
    local ready = self.doc.steps[name].cache ~= false
    for _, d in ipairs(self.deps[name]) do
      if not self.settled[d] then ready = false end
    end
    if ready then
      local r, probe = cache.cached(st, name)
      if r then
        self.settled[name] = state.encode(r.status, r.outputs)
        st.done[name] = r
        if self.done then self.done(name, "cached") end
      elseif probe then
        self.known[name] = { key = probe.key, parts = probe.parts }
      end
    end
  end
  records.flush(st)
  return self.settled
end

--- The argument of step `name`'s task in another state: the YAML, and its
--- settled result or the probe made here.
function Plan:arg(name)
  return json.encode({ yaml = self.yaml, settled = self.settled[name], known = self.known[name] })
end

--- Commit what this state left open.
function Plan:close()
  if self.st then records.flush(self.st) end
end

-- Worker side: one state per worker thread, made at its first step.
local worker = {}

--- Run one step in a worker's own Lua state (a zenml.exec task).
function M.worker_task(name, arg, _, deps)
  local a = json.try_decode(arg)
  if a.settled then return a.settled end
  if not worker.st or worker.path ~= a.yaml then
    local repo = assert(require("zenml.repo").open())
    local doc = docs.load(repo.root .. "/" .. a.yaml)
    sources.install_pins(repo, doc.sources)
    -- settled when the worker's state closes at the end of the run
    assert(repo:store():write_behind(M.WRITE_BEHIND_MS))
    worker.st, worker.path = state.new(repo, doc), a.yaml
  end
  worker.st.handed = deps
  return task_result(M.run_one(worker.st, a.yaml, name, a.known))
end

--- The nodes of `zenml.exec.run`: each step with its dependencies.
function Plan:nodes()
  local nodes = {}
  for i, name in ipairs(self.steps) do nodes[i] = { name = name, deps = self.deps[name] } end
  return nodes
end

--- The task arguments of every step (Plan:arg), by name.
function Plan:args()
  local args = {}
  for _, name in ipairs(self.steps) do args[name] = self:arg(name) end
  return args
end

--- How many steps the settling left to run.
function Plan:pending()
  local n = 0
  for _, name in ipairs(self.steps) do
    if not self.settled[name] then n = n + 1 end
  end
  return n
end

--- Results of settled steps, as an orchestrator returns them.
function Plan:results_of(settled)
  local res = {}
  for name, text in pairs(settled) do res[name] = { status = "completed", result = text } end
  return res
end

--- Whether the run stops at its first failure (`keep_going = false`).
function Plan:stops()
  return self.doc.options.keep_going == false
end

--- The `on_event` of zenml.exec.run: progress on a terminal (settled steps
--- were shown while settling), and with `keep_going = false` the end of the
--- run at the first failure (what has not started comes back cancelled).
--- Nil when there is nothing to do.
function Plan:events()
  local stops = self:stops()
  if not self.done and not stops then return nil end
  return function(ev)
    if ev.kind == "done" and self.done and not self.settled[ev.node] then
      local r = self.st and self.st.done[ev.node]
      self.done(ev.node, r and r.status or ev.status)
    end
    if ev.kind == "done" and ev.status == "failed" and stops then return false end
  end
end

--- The orchestrator a run document asks for (docs/backends.md).
function M.orchestrator(doc)
  local entry = doc.backends.orchestrator
  if entry == "parallel" then
    -- a YAML written before backends were classes
    return require("zenml.backends").Parallel { jobs = math.max(doc.options.jobs or 2, 2) }
  end
  return backend.from_entry(entry, "backends.orchestrator")
end

--- The results of a run's steps from what its orchestrator returned; the
--- steps that did not run are recorded `skipped`. Returns name -> {status, error?}.
function M.results(repo, doc, steps, res)
  local results, failed = {}, false
  for _, r in pairs(res) do failed = failed or r.status == "failed" end
  local stopped = failed and doc.options.keep_going == false
  for _, name in ipairs(steps) do
    local r = res[name]
    local done = not r and require("zenml.engine.remote").last_execution(repo, doc.run_id, name)
    if done and (done.status == "completed" or done.status == "cached") then
      -- its job ended well just before the run stopped and cancelled it
      results[name] = { status = done.status }
      goto next
    end
    r = r or { status = stopped and "cancelled" or "skipped" }
    if r.status == "completed" then
      local status = state.status_of(r.result)
      -- a caught failure, and what it skipped, do not fail the run
      results[name] = { status = status == "caught" and "completed" or status,
        caught = (status == "caught" or status == "skipped") or nil }
    elseif r.status == "failed" then
      results[name] = { status = "failed", error = r.error }
    else
      records.skip(repo, doc, name, stopped and r.status == "cancelled"
        and "the run stopped at its first failure (keep_going = false)" or nil)
      results[name] = { status = "skipped" }
    end
    ::next::
  end
  return results
end

--- Execute the steps of a recorded run with the orchestrator its document
--- names; records the steps that did not run. Returns name -> {status,
--- error?}, or nil when `detach` is set and a cluster took the run over.
function M.execute(repo, doc, yaml_rel, detach)
  local plan = M.plan(repo, doc, yaml_rel)
  plan.detach = detach
  local res = M.orchestrator(doc):run(plan)
  if res == nil and detach then return nil end
  if type(res) ~= "table" then
    error(("orchestrator %s returned %s from run(plan); it must return the steps' results"):format(
      backend.name_in(doc.backends.orchestrator), type(res)), 0)
  end
  return M.results(repo, doc, plan.steps, res)
end

return M
