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
    if a ~= b then out[#out + 1] = { kind = kind, name = k, before = a, after = b } end
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

-- What differs between the key parts of two executions, or nil when one of
-- them has none recorded.
local function differences(db, e, prev)
  local now, before = parts_of(db, e.id), parts_of(db, prev.id)
  if not now or not before then return nil end
  local out = {}
  if now.source ~= before.source then
    out[#out + 1] = { kind = "source", before = before.source, after = now.source }
  end
  if now.processing ~= before.processing then
    out[#out + 1] = { kind = "processing", before = before.processing or "one pass",
      after = now.processing or "one pass" }
  end
  diff_maps("parameter", decode(before.params), decode(now.params), out)
  diff_maps("input", decode(before.inputs), decode(now.inputs), out)
  return out
end

--- Why execution `e` of `run` was or was not a cache hit, as a record:
--- {step, class, verdict, cache_key, ...} where verdict is "cached",
--- "skipped", "first" (nothing earlier to reuse), "same_key" (caching was
--- off, or the outputs were gone) or "differs" (with `differences`, a list
--- of {kind = "source"|"processing"|"parameter"|"input", name?, before, after}, nil when
--- the key parts were not recorded).
function M.analyse(repo, run, e)
  local db = repo:meta()
  local rec = { step = e.step, class = e.class, execution = e.id, cache_key = e.cache_key }
  if e.status == "cached" then
    local from = db:execution(e.cached_from)
    rec.verdict, rec.reused = "cached", { execution = e.cached_from, run = from and from.run }
    return rec
  end
  if e.status == "skipped" then
    rec.verdict = "skipped"
    return rec
  end
  local prev, reused_by = previous(db, run, e)
  if not prev then
    rec.verdict = "first"
    return rec
  end
  rec.compared_with = { execution = prev.id, run = prev.run, reused_by = reused_by,
    cache_key = prev.cache_key }
  if prev.cache_key == e.cache_key then
    rec.verdict = "same_key"
    return rec
  end
  rec.verdict, rec.differences = "differs", differences(db, e, prev)
  return rec
end

local function print_text(rec, run)
  local w = function(...) io.stdout:write(string.format(...), "\n") end
  local v, prev = rec.verdict, rec.compared_with
  if v == "cached" then
    w("step '%s' was a cache hit: it reused execution #%d of run %s (cache key %s)",
      rec.step, rec.reused.execution, rec.reused.run or "?", rec.cache_key)
    return
  elseif v == "skipped" then
    w("step '%s' was skipped because a step it depends on failed", rec.step)
    return
  elseif v == "first" then
    w("step '%s' ran: no earlier execution of step '%s' (%s) to reuse",
      rec.step, rec.step, rec.class)
    return
  end
  local which = ("execution #%d (run %s%s)"):format(prev.execution, prev.run,
    prev.reused_by and (", reused by run " .. prev.reused_by) or "")
  if v == "same_key" then
    w("step '%s' ran although %s has the same cache key %s:", rec.step, which, rec.cache_key)
    w("  caching was off for it (--no-cache, enable_cache = false or cache = false; see %s),",
      run.yaml_path or "the run's YAML")
    w("  or that execution's outputs were no longer in the artifact store")
    return
  end
  w("step '%s' ran: its cache key %s differs from %s of %s:",
    rec.step, (rec.cache_key or "?"):sub(1, 12), (prev.cache_key or "?"):sub(1, 12), which)
  if not rec.differences then
    w("  (the key parts of one of them were not recorded)")
    return
  end
  for _, d in ipairs(rec.differences) do
    if d.kind == "source" or d.kind == "processing" then
      w("  %s: %s -> %s", d.kind, d.before, d.after)
    else
      w("  %s '%s': %s -> %s", d.kind, d.name, d.before, d.after)
    end
  end
  if #rec.differences == 0 then w("  (no difference found in source, parameters or inputs)") end
end

--- Print why a step was or was not a cache hit: text, or JSON with opts.json
--- (the record of M.analyse). Returns the exit status.
function M.explain(repo, run, e, opts)
  local rec = M.analyse(repo, run, e)
  if opts and opts.json then
    require("zenml.output").json(rec)
  else
    print_text(rec, run)
  end
  return 0
end

return M
