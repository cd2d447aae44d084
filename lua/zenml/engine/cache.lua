--- Step caching: a step's cache key (the SHA-256 of its source pins, its
--- parameters in canonical form and its input artifact ids; see
--- docs/pipelines.md, "Caching"), the probe that looks the key up once per
--- step per run, and the reuse of a hit.
local core = require "zenml._core"
local json = require "zenml.json"
local hash = require "zenml.hash"
local modules = require "zenml.modules"
local stepmod = require "zenml.step"
local classes = require "zenml.engine.classes"
local records = require "zenml.engine.records"

local M = {}

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

--- The cache key of step `name` with input ids `ids`, and its parts.
---@return string key
---@return {source: string, params: string, inputs: string} parts
function M.key(st, name, ids)
  local s = st.doc.steps[name]
  local parts = {
    source = source_part(st, s.module),
    params = json.encode(s.params or {}),
    inputs = json.encode(ids),
  }
  local text = parts.source .. "\0" .. parts.params .. "\0" .. parts.inputs
  -- a step whose algorithm follows its processing backend (a trainer mixing
  -- parameters over row blocks on Threads) gives other bytes there than
  -- elsewhere: its key says so, so neither reuses the other's outputs.
  -- Every other sharding gives the bytes of one worker and keys alike.
  if type(s.shards) == "table" and s.shards.by == "row blocks" then
    parts.processing = "row blocks"
    text = text .. "\0processing=row blocks"
  end
  return hash.string(text), parts
end

--- Whether the run and the step use the cache.
function M.enabled(doc, name)
  return doc.options.cache ~= false and doc.steps[name].cache ~= false
end

-- The step's class, looked up once per module and class name in a state.
local function class_for(st, name)
  local s = st.doc.steps[name]
  local which = s.module .. "\0" .. s.class
  local cls = st.classes[which] or classes.class_of(st.doc, name)
  st.classes[which] = cls
  return cls
end

--- Probe step `name`: its class, input ids, cache key and hit. The step
--- object is built only when the class computes its input or output
--- declarations: a cache hit of an ordinary step never runs its constructor
--- (its parameters are those of the hit, validated when it ran). `known`,
--- the key and parts of a probe made in another state that found no hit,
--- spares the hashing and the lookup. Returns {cls, step?, ids, key, parts, hit?}.
function M.probe(st, name, known)
  local s = st.doc.steps[name]
  local p = { cls = class_for(st, name) }
  if p.cls.input_spec ~= stepmod.Step.input_spec or type(s.outputs) ~= "table" then
    p.step = classes.instantiate(st.doc, name, p.cls)
  end
  local ok, ids = pcall(st.input_ids, st, name, p.step and p.step:input_spec() or p.cls.inputs or {})
  if not ok then
    -- a step that cannot be built reports that first, as it always did
    if not p.step then classes.instantiate(st.doc, name, p.cls) end
    error(ids, 0)
  end
  p.ids = ids
  if known then
    p.key, p.parts = known.key, known.parts
    return p
  end
  p.key, p.parts = M.key(st, name, ids)
  p.hit = M.enabled(st.doc, name) and st.repo:meta():cache_lookup(s.class, p.key, st.repo:store()) or nil
  return p
end

--- Record the hit of probe `p` as a cached execution of step `name`.
--- Returns the step's result {status = "cached", outputs, execution}.
function M.reuse(st, name, p)
  records.open(st)
  local exec = records.reuse(st, name, p.key, p.hit.execution)
  st.current_exec = exec
  records.settle(st)
  local outs = {}
  for out, id in pairs(p.hit.outputs) do outs[out] = id end
  return { status = "cached", outputs = outs, execution = exec }
end

--- The result of step `name` if it is a cache hit, recorded as cached. When
--- it is not, nil and the probe (for the state that will run it), or nil
--- and nothing when the probe failed: running the step reports why.
function M.cached(st, name)
  local ok, p = pcall(M.probe, st, name)
  if not ok then return nil end
  if not p.hit then return nil, p end
  return M.reuse(st, name, p)
end

return M
