--- Executing the steps of a recorded run: one step at a time in this Lua
--- state, or on worker threads (each with its own Lua state) through the
--- scheduler. `step(...)` is also what `zenml step exec` runs.
local core = require "zenml._core"
local json = require "zenml.json"
local hash = require "zenml.hash"
local artifacts = require "zenml.artifacts"
local context = require "zenml.context"
local stepmod = require "zenml.step"
local modules = require "zenml.modules"
local errors = require "zenml.errors"

modules.install()

local M = {}

-- The step classes a module offers, by name (for a suggestion).
local function class_names(mod)
  local names = {}
  if type(mod) ~= "table" then return names end
  if type(rawget(mod, "__name")) == "string" then names[#names + 1] = rawget(mod, "__name") end
  for k, v in pairs(mod) do
    if type(k) == "string" and type(v) == "table" and type(v.new) == "function" then
      names[#names + 1] = k
    end
  end
  table.sort(names)
  return names
end

--- The class of step `name` in the document (loading its module).
function M.class_of(doc, name)
  local s = doc.steps[name]
  local ok, mod = xpcall(require, errors.handler, s.module)
  if not ok then
    errors.user("step '%s': cannot load module '%s' for class %s: %s", name, s.module, s.class, mod)
  end
  local cls
  if type(mod) == "table" and rawget(mod, "__name") == s.class then
    cls = mod
  elseif type(mod) == "table" then
    cls = rawget(mod, s.class)
  end
  if type(cls) ~= "table" or type(cls.new) ~= "function" then
    errors.user("step '%s': class %s not found in module '%s'%s", name, s.class, s.module,
      errors.did_you_mean(s.class, class_names(mod)))
  end
  return cls
end

--- Build the step object of `name` from the document (loading its module).
function M.instantiate(doc, name, cls)
  local s = doc.steps[name]
  cls = cls or M.class_of(doc, name)
  local args = {}
  for k, v in pairs(s.params or {}) do args[k] = v end
  args.cache = s.cache
  args.backend = s.backend
  local built, step = pcall(cls.new, cls, args)
  if not built then errors.user("step '%s': %s", name, tostring(step)) end
  if type(s.outputs) == "table" then step._outputs = s.outputs end
  return step
end

-- The artifact ids feeding each input: "s.out" -> id, lists -> lists,
-- "s.*" -> map of that step's outputs (of the input's type).
local function input_ids(st, name, spec)
  local ids = {}
  for input, wire in pairs(st.doc.steps[name].inputs or {}) do
    local base, shape = stepmod.parse_type(spec[input])
    local function one(ref)
      local src, out = ref:match("^([^.]+)%.(.+)$")
      local outs = st.outputs_of(src)
      if out == "*" then
        local map = {}
        for k, v in pairs(outs) do
          if (outs._types or {})[k] == nil or outs._types[k] == base then map[k] = v end
        end
        map._types = nil
        return map
      end
      return outs[out] or error(("step '%s': output '%s' of step '%s' is missing"):format(
        name, out, src), 0)
    end
    if shape == "list" or type(wire) == "table" then
      local list = {}
      for i, ref in ipairs(type(wire) == "table" and wire or { wire }) do list[i] = one(ref) end
      ids[input] = list
    else
      ids[input] = one(wire)
    end
  end
  return ids
end

-- The source part of a cache key: the pins of the repository modules the
-- step's code consists of, plus the runtime version (which pins every
-- built-in module). Remembered per module while its closure list is the
-- same (modules.closure makes a new list when the module graph changes).
local function source_part(st, module)
  local names = modules.closure(module)
  local memo = st.sources_of[module]
  if memo and memo.names == names then return memo.text end
  local src = {}
  for _, m in ipairs(names) do
    local rec = (st.doc.sources or {})[m]
    if rec then src[#src + 1] = rec.pin end
  end
  src[#src + 1] = module .. "@zenml-" .. core.version
  local text = table.concat(src, ",")
  st.sources_of[module] = { names = names, text = text }
  return text
end

--- The cache key parts of a step and their SHA-256 (docs/pipelines.md, "Caching").
function M.cache_key(st, name, ids)
  local s = st.doc.steps[name]
  local parts = {
    source = source_part(st, s.module),
    params = json.encode(s.params or {}),
    inputs = json.encode(ids),
  }
  return hash.string(parts.source .. "\0" .. parts.params .. "\0" .. parts.inputs), parts
end

-- A "step.*" input (a map of artifacts) whose members load when first
-- touched: an evaluator that reads only the eval split does not map and
-- check the train split too. pairs() loads every member, in name order.
local function lazy_map(st, base, ids)
  local names = {}
  for k in pairs(ids) do names[#names + 1] = k end
  table.sort(names)
  local function get(t, k)
    local id = ids[k]
    if id == nil then return nil end
    local v = st.load(base, id)
    rawset(t, k, v)
    return v
  end
  return setmetatable({}, {
    __index = get,
    __pairs = function(t)
      local i = 0
      return function()
        i = i + 1
        local k = names[i]
        if k ~= nil then return k, t[k] end
      end, t, nil
    end,
  })
end

local function load_inputs(st, step, ids)
  local spec, inputs = step:input_spec(), {}
  for input, v in pairs(ids) do
    local base = stepmod.parse_type(spec[input])
    if type(v) == "table" and #v == 0 and next(v) ~= nil then
      inputs[input] = lazy_map(st, base, v)
    elseif type(v) == "table" then
      local t = {}
      for k, id in pairs(v) do t[k] = st.load(base, id) end
      inputs[input] = t
    else
      inputs[input] = st.load(base, v)
    end
  end
  return inputs
end

local function record_inputs(db, exec, ids)
  for input, v in pairs(ids) do
    if type(v) == "table" then
      for k, id in pairs(v) do db:event_add(exec, id, "input", input .. "." .. tostring(k)) end
    else
      db:event_add(exec, v, "input", input)
    end
  end
end

-- Store the outputs a step returned, checking them against its declaration.
local function store_outputs(st, name, step, result)
  local spec = step:output_spec()
  if type(result) ~= "table" then
    error(("step '%s' returned %s; run must return a table of outputs"):format(name, type(result)), 0)
  end
  for k in pairs(result) do
    if not spec[k] then
      error(("step '%s' returned an undeclared output '%s'"):format(name, tostring(k)), 0)
    end
  end
  local stored, types = {}, {}
  for _, out in ipairs(stepmod.sorted_names(spec)) do
    local v = result[out]
    if v == nil then error(("step '%s' did not return its output '%s'"):format(name, out), 0) end
    local kind = stepmod.parse_type(spec[out])
    local id, size
    if getmetatable(v) == context.Existing then
      id, size = v.id, st.repo:store():size(v.id)
    else
      id, size = artifacts.put(st.repo, kind, v, ("step '%s' output '%s'"):format(name, out))
    end
    stored[out], types[out] = { id = id, size = size, kind = kind,
      value = kind == "metrics" and v or nil }, kind
    st.remember(id, kind, v)
  end
  return stored
end

-- Number leaves of a metrics table, with nested names joined by '.'.
local function flatten(prefix, t, out)
  for k, v in pairs(t) do
    local name = prefix and (prefix .. "." .. tostring(k)) or tostring(k)
    if type(v) == "number" and v == v then
      out[name] = v
    elseif type(v) == "table" then
      flatten(name, v, out)
    end
  end
  return out
end
M.flatten_metrics = flatten

local function finish_outputs(db, run_id, exec, stored)
  local outs = { _types = {} }
  for out, a in pairs(stored) do
    db:artifact_record(a.id, a.kind, a.size)
    db:event_add(exec, a.id, "output", out)
    outs[out], outs._types[out] = a.id, a.kind
    if a.value and type(a.value) == "table" then
      for name, v in pairs(flatten(nil, a.value, {})) do db:metric_set(run_id, exec, name, v) end
      -- what the numbers are about, e.g. the evaluator's split = "test"
      for name, v in pairs(a.value) do
        if type(name) == "string" and type(v) == "string" then
          db:property_set("execution", tostring(exec), "metrics." .. name, v)
        end
      end
    end
  end
  return outs
end

local function put_log(st, text)
  if text == "" then return nil end
  local id = st.repo:store():put(text)
  st.repo:meta():artifact_record(id, "file", #text)
  return id
end

-- A step's cache key and hit. The step object is built only when the class
-- computes its input or output declarations: a cache hit of an ordinary step
-- never runs its constructor (its parameters are those of the hit, which
-- were validated when it ran). Returns {cls, step?, ids, key, parts, hit?}.
local function probe(st, name)
  local s = st.doc.steps[name]
  -- a step's class is looked up once per module and class name in a state
  local which = s.module .. "\0" .. s.class
  local p = { cls = st.classes[which] or M.class_of(st.doc, name) }
  st.classes[which] = p.cls
  if p.cls.input_spec ~= stepmod.Step.input_spec or type(s.outputs) ~= "table" then
    p.step = M.instantiate(st.doc, name, p.cls)
  end
  local ok, ids = pcall(input_ids, st, name, p.step and p.step:input_spec() or p.cls.inputs or {})
  if not ok then
    -- a step that cannot be built reports that first, as it always did
    if not p.step then M.instantiate(st.doc, name, p.cls) end
    error(ids, 0)
  end
  p.ids = ids
  p.key, p.parts = M.cache_key(st, name, ids)
  local use_cache = st.doc.options.cache ~= false and s.cache ~= false
  p.hit = use_cache and st.repo:meta():cache_lookup(s.class, p.key, function(id)
    return st.repo:store():exists(id) == true
  end) or nil
  return p
end

-- Consecutive cached steps share one transaction (st.open_txn): a cached
-- step writes only a few rows, and a commit per step would rewrite the same
-- index pages hundreds of times. It is committed before real work starts.
-- (st.group_cached is the sequential runner's; workers commit every step.)
local function open_txn(st)
  if not st.open_txn then
    st.repo:meta():begin()
    st.open_txn = true
  end
end

-- Record a cache hit. No events of its own: the same key means the same
-- inputs, and the outputs are hit.execution's (docs/metadata.md).
local function reuse(st, name, p)
  local s = st.doc.steps[name]
  local exec = assert(st.repo:meta():execution_reuse { run = st.doc.run_id, step = name,
    class = s.class, source = s.source, cache_key = p.key, from = p.hit.execution })
  st.current_exec = exec
  if not st.group_cached then M.flush(st) end
  local outs = { _types = {} }
  local spec = p.step and p.step:output_spec() or s.outputs
  for out, id in pairs(p.hit.outputs) do
    outs[out], outs._types[out] = id, (stepmod.parse_type(spec[out] or "file"))
  end
  return { status = "cached", outputs = outs, execution = exec }
end

--- The result of a step if it is a cache hit, recorded as cached; nil (and
--- nothing recorded) when it must run or cannot be looked up, which M.step
--- then does and records.
function M.cached(st, name)
  local ok, p = pcall(probe, st, name)
  if not ok or not p.hit then return nil end
  open_txn(st)
  return reuse(st, name, p)
end

--- Run one step of a recorded run, or reuse a cached result. Returns a
--- result {status, outputs, error, execution}.
function M.step(st, name)
  local db, s = st.repo:meta(), st.doc.steps[name]
  local p = probe(st, name)
  local step = not p.hit and (p.step or M.instantiate(st.doc, name, p.cls)) or nil
  open_txn(st)
  if p.hit then return reuse(st, name, p) end
  local ids, key, parts, cls = p.ids, p.key, p.parts, s.class
  local exec = db:execution_begin(st.doc.run_id, name, cls, s.source, key)
  st.current_exec = exec
  record_inputs(db, exec, ids)
  db:property_set("execution", tostring(exec), "key_parts", json.encode(parts))
  M.flush(st)
  local ctx = context.new(st.repo, st.doc.run_id, name, step)
  ctx:capture()
  -- the step's code runs above a boundary: its error names its own frames
  local ok, result = xpcall(errors.boundary, errors.capture, function()
    local inputs = load_inputs(st, step, ids)
    return store_outputs(st, name, step, step:run(ctx, inputs))
  end)
  local log = ctx:finish()
  if not ok and step.row_source then
    -- "label column 'y' has a null at row 23" of a split: name its source line
    local input, part = step:row_source(result.message)
    if input then
      result.message = require("zenml.origin").label_error(ctx, input, part, result.message)
    end
  end
  -- Frames are C memory the Lua collector cannot see the size of: free the
  -- inputs and outputs this step dropped before the next step allocates more.
  -- (Only then: a full collection after every small step costs more than the step.)
  if st.touched_frames then
    st.touched_frames = false
    collectgarbage("collect")
  end
  if not ok then
    -- the run's records keep every frame; the user is shown their own
    local full = errors.format(result, true)
    local log_id = put_log(st, log .. "\n" .. full .. "\n")
    db:execution_finish(exec, "failed", full, log_id)
    return { status = "failed", error = errors.format(result), execution = exec }
  end
  core.sys.fault("step.outputs.stored")
  -- The completion records join the next step's start in one transaction
  -- (committed before that step's code runs), so a chain of small steps
  -- pays one commit per step; nothing is held open while user code runs.
  db:begin()
  st.open_txn = true
  local outs = finish_outputs(db, st.doc.run_id, exec, result)
  db:execution_finish(exec, "completed", nil, put_log(st, log))
  if not st.group_cached then M.flush(st) end
  return { status = "completed", outputs = outs, execution = exec }
end

--- Commit the transaction cached steps left open.
function M.flush(st)
  if st.open_txn then
    st.open_txn = false
    st.repo:meta():commit()
  end
end

--- M.step, but an error before the step could start (its module does not
--- load, an input is missing) is recorded as a failed execution too.
function M.step_safe(st, name)
  st.current_exec = nil
  local ok, r = xpcall(errors.boundary, errors.capture, M.step, st, name)
  if ok then return r end
  -- keep what earlier steps recorded in the open transaction
  M.flush(st)
  local db, s = st.repo:meta(), st.doc.steps[name]
  local exec = st.current_exec or db:execution_begin(st.doc.run_id, name, s.class, s.source, nil)
  local status = db:execution(exec)
  if not status or status.status == "running" then
    db:execution_finish(exec, "failed", errors.format(r, true), nil)
  end
  return { status = "failed", error = errors.format(r), execution = exec }
end

--- Record a step that did not run because something upstream failed.
function M.skip(repo, doc, name)
  local db = repo:meta()
  local s = doc.steps[name]
  local exec = db:execution_begin(doc.run_id, name, s.class, s.source, nil)
  db:execution_finish(exec, "skipped", "an upstream step failed", nil)
end

-- Where a step's outputs come from when this state did not run it: the
-- metadata store (the step ran in another state or process).
local function outputs_from_meta(repo, run_id, src)
  local db = repo:meta()
  local rows = db:query([[SELECT id FROM executions WHERE run_id = ? AND step = ?
    AND status IN ('completed', 'cached') ORDER BY id DESC LIMIT 1]], run_id, src)
  if not rows[1] then
    error(("step '%s' has not completed in run %s"):format(src, run_id), 0)
  end
  local outs = db:outputs(rows[1].id)
  local types = {}
  for _, r in ipairs(db:query([[SELECT e.name AS name, a.type AS type FROM events e
      JOIN artifacts a ON a.id = e.artifact WHERE e.execution_id =
        (SELECT coalesce(cached_from, id) FROM executions WHERE id = ?) AND e.kind = 'output']],
      rows[1].id)) do
    types[r.name] = r.type
  end
  outs._types = types
  return outs
end

--- A per-state execution context for a run document.
function M.state(repo, doc)
  local st = { repo = repo, doc = doc, done = {}, values = {}, sources_of = {},
    classes = {} }
  st.outputs_of = function(src)
    local r = st.done[src]
    if r then return r.outputs end
    return outputs_from_meta(repo, doc.run_id, src)
  end
  -- Values produced in this state are handed on without a trip through the store.
  st.remember = function(id, kind, v)
    if kind == "frame" then st.touched_frames = true end
    if kind ~= "frame" and kind ~= "tree" and kind ~= "file" then st.values[id] = v end
  end
  st.load = function(kind, id)
    if kind == "frame" then st.touched_frames = true end
    local v = st.values[id]
    if v ~= nil then return v end
    return artifacts.load(repo, kind, id)
  end
  return st
end

-- One status line per finished step, rewritten in place, when standard error
-- is a terminal; nothing on a pipe.
local function progress_printer(total)
  if not core.sys.isatty(2) then return function() end end
  local done = 0
  return function(name, status)
    done = done + 1
    io.stderr:write(("\r\27[K[%d/%d] %s %s"):format(done, total, name, status))
    if done == total then io.stderr:write("\r\27[K") end
    io.stderr:flush()
  end
end
M.progress_printer = progress_printer

--- Run every step in order in this state; failures skip what depends on them.
function M.sequential(repo, doc, order, deps)
  local st, results = M.state(repo, doc), {}
  local show = progress_printer(#order)
  st.group_cached = true
  for _, name in ipairs(order) do
    local blocked = false
    for _, d in ipairs(deps[name]) do
      local s = results[d].status
      if s == "failed" or s == "skipped" then blocked = true end
    end
    if blocked then
      M.skip(repo, doc, name)
      results[name] = { status = "skipped" }
    else
      local r = M.step_safe(st, name)
      results[name] = r
      st.done[name] = r
    end
    show(name, results[name].status)
  end
  M.flush(st)
  return results
end

-- Worker side of the parallel backend: one state per worker thread.
local worker = {}

--- Called in a worker's own Lua state for each step (see zenml.exec).
function M.worker_task(name, yaml_path)
  if not worker.st or worker.path ~= yaml_path then
    local repo = assert(require("zenml.repo").open())
    local runner = require "zenml.runner"
    local doc = runner.load_doc(repo.root .. "/" .. yaml_path)
    require("zenml.sources").install_pins(repo, doc.sources)
    -- settled when the worker's state closes at the end of the run
    assert(repo:store():write_behind(runner.WRITE_BEHIND_MS))
    worker.st, worker.path = M.state(repo, doc), yaml_path
  end
  local r = M.step_safe(worker.st, name)
  -- already formatted: it crosses to the main thread as this text
  if r.status == "failed" then error(errors.formatted(r.error), 0) end
  return r.status
end

-- Settle in this state, in order, the cache hits whose upstream steps are
-- all hits: the workers then start only for steps that must run (and what
-- depends on them), instead of each hit costing a task and a commit on a
-- worker. Returns name -> result of the hits, committed.
local function settle_cached(repo, doc, order, deps, show)
  local hits = {}
  if doc.options.cache == false then return hits end
  local st = M.state(repo, doc)
  st.group_cached = true
  for _, name in ipairs(order) do
    local ready = doc.steps[name].cache ~= false
    for _, d in ipairs(deps[name]) do
      if not hits[d] then ready = false end
    end
    local r = ready and M.cached(st, name)
    if r then
      hits[name], st.done[name] = { status = "cached" }, r
      show(name, "cached")
    end
  end
  M.flush(st)
  return hits
end

--- Run the steps on `doc.options.jobs` worker threads.
function M.parallel(repo, doc, yaml_rel, order, deps)
  local show = progress_printer(#order)
  local results = settle_cached(repo, doc, order, deps, show)
  local nodes, args = {}, {}
  for _, name in ipairs(order) do
    if not results[name] then
      -- settled steps are not nodes: a worker reads their outputs from the
      -- metadata store
      local ups = {}
      for _, d in ipairs(deps[name]) do
        if not results[d] then ups[#ups + 1] = d end
      end
      nodes[#nodes + 1] = { name = name, deps = ups }
      args[name] = yaml_rel
    end
  end
  local res = #nodes == 0 and {} or require("zenml.exec").run {
    nodes = nodes, jobs = doc.options.jobs, task = "zenml.execute.worker_task", args = args,
    on_event = function(ev)
      if ev.kind == "done" then show(ev.node, ev.status) end
    end,
  }
  for _, node in ipairs(nodes) do
    local name = node.name
    local r = res[name] or { status = "skipped" }
    if r.status == "completed" then
      results[name] = { status = r.result }
    elseif r.status == "failed" then
      results[name] = { status = "failed", error = r.error }
    else
      M.skip(repo, doc, name)
      results[name] = { status = "skipped" }
    end
  end
  return results
end

return M
