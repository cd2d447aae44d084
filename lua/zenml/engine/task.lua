--- One step of a run as a task: probe the cache, or load the inputs, run
--- the step's code with its context, store and record the outputs. This is
--- what every orchestrator runs, in whichever Lua state or process, and what
--- `zenml step exec` runs.
local core = require "zenml._core"
local artifacts = require "zenml.artifacts"
local context = require "zenml.context"
local stepmod = require "zenml.step"
local errors = require "zenml.errors"
local origin = require "zenml.origin"
local classes = require "zenml.engine.classes"
local cache = require "zenml.engine.cache"
local records = require "zenml.engine.records"
local retry = require "zenml.engine.retry"

local M = {}

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
    local v = st:load(base, id)
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
      for k, id in pairs(v) do t[k] = st:load(base, id) end
      inputs[input] = t
    else
      inputs[input] = st:load(base, v)
    end
  end
  return inputs
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
  local stored = {}
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
    stored[out] = { id = id, size = size, kind = kind, value = kind == "metrics" and v or nil }
    st:remember(id, kind, v)
  end
  return stored
end

-- The shards a step's data kernels ran on its processing backend's
-- workers (columns each), as run show lists them; nil when none did.
local function kernel_record(ctx, step)
  local lines = {}
  -- a worker that found no column left did no shard
  for _, l in ipairs(ctx.kernel_shards or {}) do
    if l.items > 0 then lines[#lines + 1] = l end
  end
  local b = ctx.processing.backend
  if #lines == 0 or step:shards_by(b) ~= "columns" or not b:can_shard("columns") then return nil end
  -- kernels in the order they first ran, each one's workers in order
  local first = {}
  for i, l in ipairs(lines) do first[l.kernel] = first[l.kernel] or i end
  table.sort(lines, function(x, y)
    if x.kernel ~= y.kernel then return first[x.kernel] < first[y.kernel] end
    return x.worker < y.worker
  end)
  local shards, workers = {}, 0
  for i, l in ipairs(lines) do
    shards[i] = { kernel = l.kernel, columns = l.items, seconds = l.seconds, worker = l.worker }
    workers = math.max(workers, l.worker)
  end
  return { by = "columns", count = #shards, workers = workers, shards = shards,
    backend = ctx.processing.name }
end

-- Run the step's code above a boundary (its error names its own frames),
-- capturing what it prints. Returns ok, stored outputs or error, log.
-- The step's timeout, when it has one, covers its inputs' loading and its
-- code; the outputs are stored after it (a store never shows a half-written
-- artifact, and an output stored before the deadline is simply unrecorded).
local function run_code(st, name, step, ids, key)
  local ctx = context.new(st.repo, st.doc.run_id, name, step,
    { processing = st.doc.steps[name].processing, ids = ids, yaml = st.yaml, key = key })
  ctx:capture()
  local kind
  local disarm = retry.arm(name, retry.seconds(st.doc.steps[name].timeout))
  local function handler(e)
    disarm() -- the deadline must not fire again while the error is captured
    kind = retry.kind_of_error(e)
    return errors.capture(e, 3)
  end
  local ok, result = xpcall(errors.boundary, handler, function()
    local inputs = load_inputs(st, step, ids)
    local out = step:run(ctx, inputs) -- not a tail call: the traceback names the method
    return out
  end)
  -- (a shard in a worker state timed out: its error names the step's timeout)
  if (disarm() or (not ok and result.message:find(retry.timeout_message(name,
      retry.seconds(st.doc.steps[name].timeout) or 0), 1, true))) and not ok then
    kind = "timeout"
  end
  if ok then
    ok, result = xpcall(errors.boundary, handler, store_outputs, st, name, step, result)
  end
  local log = ctx:finish()
  st.shard_record = ctx.shard_record or kernel_record(ctx, step)
  if not ok and step.row_source then
    -- "label column 'y' has a null at row 23" of a split: name its source line
    local input, part = step:row_source(result.message)
    if input then result.message = origin.label_error(ctx, input, part, result.message) end
  end
  -- Frames are C memory the Lua collector cannot see the size of: free the
  -- inputs and outputs this step dropped before the next step allocates more.
  -- (Only then: a full collection after every small step costs more than the step.)
  if st.touched_frames then
    st.touched_frames = false
    collectgarbage("collect")
  end
  return ok, result, log, kind
end

--- Run step `name` of the state's run, or reuse a cached result. `known` is
--- a probe made in another state (see cache.probe). Returns a result
--- {status, outputs, error, execution}.
function M.step(st, name, known)
  local p = cache.probe(st, name, known)
  if p.hit then return cache.reuse(st, name, p) end
  local step = p.step or classes.instantiate(st.doc, name, p.cls)
  records.open(st)
  local exec = records.begin(st, name, p.key, p.parts, p.ids)
  st.current_exec = exec
  records.flush(st)
  local ok, result, log, kind = run_code(st, name, step, p.ids, p.key)
  if not ok then
    -- the run's records keep every frame; the user is shown their own
    records.fail(st, exec, errors.format(result, true), log, kind)
    return { status = "failed", error = errors.format(result), execution = exec, kind = kind }
  end
  core.sys.fault("step.outputs.stored")
  -- The completion records join the next step's start in one transaction
  -- (committed before that step's code runs), so a chain of small steps
  -- pays one commit per step; nothing is held open while user code runs.
  records.open(st)
  if st.shard_record then records.shards(st, exec, st.shard_record) end
  local outs = records.complete(st, exec, result, log)
  records.settle(st)
  return { status = "completed", outputs = outs, execution = exec }
end

--- M.step, but an error before the step could start (its module does not
--- load, an input is missing) is recorded as a failed execution too.
function M.step_safe(st, name, known)
  st.current_exec = nil
  local ok, r = xpcall(errors.boundary, errors.capture, M.step, st, name, known)
  if ok then
    if r.status ~= "failed" then st.done[name] = r end
    return r
  end
  if r.skip then
    -- upstream failed with catch = true, and this step does not take its error
    records.flush(st)
    records.skip(st.repo, st.doc, name, r.message)
    local s = { status = "skipped", outputs = {}, error = r.message }
    st.done[name] = s
    return s
  end
  -- keep what earlier steps recorded in the open transaction
  records.flush(st)
  local exec = records.fail_early(st, name, st.current_exec, errors.format(r, true))
  return { status = "failed", error = errors.format(r), execution = exec, kind = "error" }
end

return M
