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
local docs = require "zenml.engine.doc"
local sources = require "zenml.sources"

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
  return state.encode(r.status, r.outputs)
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
  return task_result(task.step_safe(self.st, name))
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
  return task_result(task.step_safe(worker.st, name, a.known))
end

local function nodes_of(plan)
  local nodes = {}
  for i, name in ipairs(plan.steps) do nodes[i] = { name = name, deps = plan.deps[name] } end
  return nodes
end

--- Orchestrators: `orchestrator:run(plan)` -> results by step name, each
--- {status = "completed"|"failed"|"skipped"|"cancelled", result?, error?}.
M.orchestrators = {}

--- Every step in this Lua state, one at a time, in the plan's order.
M.orchestrators["local"] = {
  run = function(_, plan)
    -- what the steps recorded is committed whatever happens
    local _ <close> = setmetatable({}, { __close = function() plan:close() end })
    return exec.run {
      nodes = nodes_of(plan),
      task = function(name, _, _, deps) return plan:run_step(name, deps) end,
      on_event = plan.done and function(ev)
        if ev.kind == "done" then
          local r = plan.st and plan.st.done[ev.node]
          plan.done(ev.node, r and r.status or ev.status)
        end
      end,
    }
  end,
}

--- Steps on `jobs` worker threads, each with its own Lua state; cache hits
--- are settled here first.
M.orchestrators.parallel = {
  run = function(self, plan)
    local settled, pending = plan:settle(), false
    local args = {}
    for _, name in ipairs(plan.steps) do
      args[name] = plan:arg(name)
      pending = pending or not settled[name]
    end
    if not pending then
      local res = {}
      for name, text in pairs(settled) do res[name] = { status = "completed", result = text } end
      return res
    end
    return exec.run {
      nodes = nodes_of(plan), jobs = self.jobs, task = plan.task, args = args,
      on_event = plan.done and function(ev)
        if ev.kind == "done" and not settled[ev.node] then plan.done(ev.node, ev.status) end
      end,
    }
  end,
}

--- The orchestrator a run document asks for.
function M.orchestrator(doc)
  local jobs = doc.options.jobs or 1
  if doc.backends.orchestrator == "parallel" and jobs > 1 then
    return setmetatable({ jobs = jobs }, { __index = M.orchestrators.parallel })
  end
  return M.orchestrators["local"]
end

--- Execute the steps of a recorded run with the orchestrator its document
--- names; records the steps that did not run. Returns name -> {status, error?}.
function M.execute(repo, doc, yaml_rel)
  local plan = M.plan(repo, doc, yaml_rel)
  local res = M.orchestrator(doc):run(plan)
  local results = {}
  for _, name in ipairs(plan.steps) do
    local r = res[name] or { status = "skipped" }
    if r.status == "completed" then
      results[name] = { status = state.status_of(r.result) }
    elseif r.status == "failed" then
      results[name] = { status = "failed", error = r.error }
    else
      records.skip(repo, doc, name)
      results[name] = { status = "skipped" }
    end
  end
  return results
end

return M
