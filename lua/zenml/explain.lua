--- `zenml run explain RUN STEP`: why a step was, or was not, a cache hit:
--- which part of its cache key differs from the closest earlier execution
--- of that step (its source, which parameter, which input). When that one
--- was itself a cache hit, the comparison is with the execution it reused.
local json = require "zenml.json"
local yaml = require "zenml.yaml"

local M = {}

local function parts_of(db, exec)
  local text = db:property_get("execution", tostring(exec), "key_parts")
  if not text then return nil end
  -- key parts are JSON objects; JSON is YAML, so the YAML reader decodes them
  return yaml.decode(text, "key_parts")
end

local function decode(s)
  return s and yaml.decode(s, "key part") or {}
end

local function show(v)
  if type(v) == "table" then return json.encode(v) end
  return tostring(v)
end

local function diff_maps(kind, old, new, out)
  local keys = {}
  for k in pairs(old) do keys[k] = true end
  for k in pairs(new) do keys[k] = true end
  local names = {}
  for k in pairs(keys) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do
    local a, b = show(old[k]), show(new[k])
    if old[k] == nil then a = "(absent)" end
    if new[k] == nil then b = "(absent)" end
    if a ~= b then out[#out + 1] = ("  %s '%s': %s -> %s"):format(kind, k, a, b) end
  end
end

-- The closest earlier execution of the same step to compare with: the one
-- that ran, also when the closest earlier one was a cache hit of it. Returns
-- it and the run that reused it (or nil).
local function previous(db, run, e)
  local id = db:previous_execution(run.pipeline, e.step, e.class, e.id)
  local prev = id and db:execution(id)
  if not prev or prev.status ~= "cached" then return prev, nil end
  return db:execution(prev.cached_from) or prev, prev.run
end

function M.explain(repo, run, e)
  local db = repo:meta()
  local w = function(...) io.stdout:write(string.format(...), "\n") end
  if e.status == "cached" then
    local from = db:execution(e.cached_from)
    w("step '%s' was a cache hit: it reused execution #%d of run %s (cache key %s)",
      e.step, e.cached_from, from and from.run or "?", e.cache_key)
    return 0
  end
  if e.status == "skipped" then
    w("step '%s' was skipped because a step it depends on failed", e.step)
    return 0
  end
  local prev, reused_by = previous(db, run, e)
  if not prev then
    w("step '%s' ran: no earlier execution of step '%s' (%s) to reuse",
      e.step, e.step, e.class)
    return 0
  end
  local which = ("execution #%d (run %s%s)"):format(prev.id, prev.run,
    reused_by and (", reused by run " .. reused_by) or "")
  local now, before = parts_of(db, e.id), parts_of(db, prev.id)
  if prev.cache_key == e.cache_key then
    w("step '%s' ran although %s has the same cache key %s:", e.step, which, e.cache_key)
    w("  caching was off for it (--no-cache, enable_cache = false or cache = false; see %s),",
      run.yaml_path or "the run's YAML")
    w("  or that execution's outputs were no longer in the artifact store")
    return 0
  end
  w("step '%s' ran: its cache key %s differs from %s of %s:",
    e.step, (e.cache_key or "?"):sub(1, 12), (prev.cache_key or "?"):sub(1, 12), which)
  if not now or not before then
    w("  (the key parts of one of them were not recorded)")
    return 0
  end
  local out = {}
  if now.source ~= before.source then
    out[#out + 1] = ("  source: %s -> %s"):format(before.source, now.source)
  end
  diff_maps("parameter", decode(before.params), decode(now.params), out)
  diff_maps("input", decode(before.inputs), decode(now.inputs), out)
  for _, line in ipairs(out) do w("%s", line) end
  if #out == 0 then w("  (no difference found in source, parameters or inputs)") end
  return 0
end

return M
