--- What a run records about its steps in the metadata store: executions
--- (begun, finished, failed, skipped, reused from the cache), their input
--- and output events, the artifacts, the metrics and the step's log; and the
--- transaction that groups a state's small records into one commit.
local json = require "zenml.json"

local M = {}

--- Open the state's transaction unless it is open. Consecutive cached steps
--- share it: a cached step writes only a few rows, and a commit per step
--- would rewrite the same index pages hundreds of times.
function M.open(st)
  if not st.open_txn then
    st.repo:meta():begin()
    st.open_txn = true
  end
end

--- Commit the state's open transaction, if any.
function M.flush(st)
  if st.open_txn then
    st.open_txn = false
    st.repo:meta():commit()
  end
end

--- Commit unless the state groups its records (a sequential run commits
--- before real work starts and at its end).
function M.settle(st)
  if not st.group_cached then M.flush(st) end
end

--- Record a cache hit: an execution reusing hit.execution. No events of its
--- own: the same key means the same inputs, and the outputs are the hit's
--- (docs/metadata.md). Returns the execution id.
function M.reuse(st, name, key, from)
  local s = st.doc.steps[name]
  return assert(st.repo:meta():execution_reuse { run = st.doc.run_id, step = name,
    class = s.class, source = s.source, cache_key = key, from = from })
end

--- Begin the execution of a step that runs: its inputs and the parts of its
--- cache key (for `zenml run explain`). Returns the execution id.
function M.begin(st, name, key, parts, ids)
  local db, s = st.repo:meta(), st.doc.steps[name]
  local exec = db:execution_begin(st.doc.run_id, name, s.class, s.source, key)
  for input, v in pairs(ids) do
    if type(v) == "table" then
      for k, id in pairs(v) do db:event_add(exec, id, "input", input .. "." .. tostring(k)) end
    else
      db:event_add(exec, v, "input", input)
    end
  end
  db:property_set("execution", tostring(exec), "key_parts", json.encode(parts))
  M.note_attempt(st, name, exec)
  return exec
end

--- Record which attempt of step `name` execution `exec` is, when the step
--- retries (`st.attempts[name]`, set by whoever runs the attempts).
function M.note_attempt(st, name, exec)
  local n = st.attempts and st.attempts[name]
  if n then st.repo:meta():property_set("execution", tostring(exec), "attempt", n) end
end

--- Record how a step's work was sharded (zenml.shards): by, count,
--- workers, and each shard's rows, seconds and worker, for `run show`.
function M.shards(st, exec, record)
  st.repo:meta():property_set("execution", tostring(exec), "shards", json.encode(record))
end

--- What M.shards recorded for an execution, or nil.
function M.shards_of(db, exec)
  local text = db:property_get("execution", tostring(exec), "shards")
  return text and json.try_decode(text) or nil
end

--- The attempt number an execution recorded (1 when it recorded none).
function M.attempt_of(db, exec)
  return tonumber((db:property_get("execution", tostring(exec), "attempt"))) or 1
end

--- Number leaves of a metrics table, with nested names joined by '.'.
function M.flatten_metrics(prefix, t, out)
  for k, v in pairs(t) do
    local name = prefix and (prefix .. "." .. tostring(k)) or tostring(k)
    if type(v) == "number" and v == v then
      out[name] = v
    elseif type(v) == "table" then
      M.flatten_metrics(name, v, out)
    end
  end
  return out
end

-- A step's log as an artifact; nil when it printed nothing.
local function put_log(st, text)
  if text == "" then return nil end
  local id = st.repo:store():put(text)
  st.repo:meta():artifact_record(id, "file", #text)
  return id
end

-- Whether execution `exec` was ended by someone else while its step ran
-- (the run stopped at its first failure and cancelled the step's job, which
-- finished before the signal took it): what it did then is not recorded.
local function stopped(db, exec)
  local e = db:execution(exec)
  return e ~= nil and e.status ~= "running"
end

--- Record the outputs a step stored ({out = {id, size, kind, value?}}), their
--- metrics and its log, and finish its execution `completed`. Returns the
--- outputs, name -> artifact id.
function M.complete(st, exec, stored, log)
  local db, run_id = st.repo:meta(), st.doc.run_id
  local outs = {}
  if stopped(db, exec) then
    for out, a in pairs(stored) do outs[out] = a.id end
    return outs
  end
  for out, a in pairs(stored) do
    db:artifact_record(a.id, a.kind, a.size)
    db:event_add(exec, a.id, "output", out)
    outs[out] = a.id
    if a.value and type(a.value) == "table" then
      for name, v in pairs(M.flatten_metrics(nil, a.value, {})) do
        db:metric_set(run_id, exec, name, v)
      end
      -- what the numbers are about, e.g. the evaluator's split = "test"
      for name, v in pairs(a.value) do
        if type(name) == "string" and type(v) == "string" then
          db:property_set("execution", tostring(exec), "metrics." .. name, v)
        end
      end
    end
  end
  db:execution_finish(exec, "completed", nil, put_log(st, log))
  return outs
end

--- Finish execution `exec` `failed` with the full error (every frame) and,
--- when given, the step's log.
function M.fail(st, exec, full, log, kind)
  if stopped(st.repo:meta(), exec) then return end
  local log_id = log and put_log(st, log .. "\n" .. full .. "\n") or nil
  if kind then st.repo:meta():property_set("execution", tostring(exec), "failure", kind) end
  st.repo:meta():execution_finish(exec, "failed", full, log_id)
end

--- Record that a step failed before it could start (its module does not
--- load, an input is missing) or that the process running it ended without
--- saying (a cluster killed its job): finish the execution it began, or
--- begin one. `log`, when given, becomes its log.
function M.fail_early(st, name, exec, full, log)
  local db, s = st.repo:meta(), st.doc.steps[name]
  if not exec then
    exec = db:execution_begin(st.doc.run_id, name, s.class, s.source, nil)
    M.note_attempt(st, name, exec)
  end
  local e = db:execution(exec)
  if not e or e.status == "running" then
    db:execution_finish(exec, "failed", full, log and put_log(st, log) or nil)
  end
  return exec
end

--- Record a step that did not run because something upstream failed (or
--- `why`: the run stopped at its first failure).
function M.skip(repo, doc, name, why)
  local db, s = repo:meta(), doc.steps[name]
  -- a step whose job was cancelled while it ran ends its own execution
  local exec
  for _, e in ipairs(db:executions(doc.run_id)) do
    if e.step == name and e.status == "running" then exec = e.id end
  end
  exec = exec or db:execution_begin(doc.run_id, name, s.class, s.source, nil)
  db:execution_finish(exec, "skipped", why or "an upstream step failed", nil)
end

return M
