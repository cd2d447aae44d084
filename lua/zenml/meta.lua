--- zenml.meta: the metadata store (runs, step executions, artifacts,
--- lineage, metrics) over SQLite, `sqlite:PATH`, or later MySQL.
---
---     local db = assert(zenml.meta.open "sqlite:.zenml/metadata.db")
---     for _, r in ipairs(db:runs { status = "failed", limit = 10 }) do print(r.id) end
---     db:close()
local core = require "zenml._core"

local M = {
  --- The schema version this build reads and writes.
  schema_version = core.meta.schema_version,
}

---@class zenml.meta.Store
---@field package _db userdata
local Store = {}
Store.__index = Store

local function fail(fname, i, expected, v)
  error(("%s: argument %d: expected %s, got %s"):format(fname, i, expected,
    v == nil and "nil" or type(v)), 3)
end

local function str(fname, i, v)
  if type(v) ~= "string" then fail(fname, i, "a string", v) end
end

local function optstr(fname, i, v)
  if v ~= nil and type(v) ~= "string" then fail(fname, i, "a string or nil", v) end
end

local function int(fname, i, v)
  if math.type(v) ~= "integer" then fail(fname, i, "an integer", v) end
end

local function tbl(fname, i, v)
  if type(v) ~= "table" then fail(fname, i, "a table", v) end
end

local MODES = { create = true, write = true, read = true }

--- Open a metadata store, migrating an older schema in place. `mode`:
--- "create" (the default) makes it when missing, "write" needs it to exist,
--- "read" opens an existing store read-only. An empty or damaged database is
--- refused in every mode.
---@param url string `sqlite:PATH` (or a bare path)
---@param mode? "create"|"write"|"read"
---@return zenml.meta.Store|nil store
---@return string|nil err why it could not be opened
function M.open(url, mode)
  str("zenml.meta.open", 1, url)
  if mode ~= nil and not MODES[mode] then
    fail("zenml.meta.open", 2, '"create", "write" or "read"', mode)
  end
  local db, err = core.meta.open(url, mode)
  if not db then return nil, err end
  return setmetatable({ _db = db }, Store)
end

--- Close the store; an open transaction is rolled back. Safe to call twice.
function Store:close() self._db:close() end
Store.__close = Store.close

--- Start a write transaction (nests; only the outermost commit is real).
function Store:begin() self._db:begin() end
--- Commit the transaction of the matching begin.
function Store:commit() self._db:commit() end
--- Roll back the whole transaction.
function Store:rollback() self._db:rollback() end

--- Run a read-only SELECT with `?` parameters.
---@param sql string a SELECT statement
---@return table[] rows each a table of column name -> value
function Store:query(sql, ...)
  str("query", 1, sql)
  return self._db:query(sql, ...)
end

--- Register (or update) a datasource.
---@param name string
---@param type string e.g. "csv"
---@param config string|nil JSON text
---@return integer id
function Store:datasource_register(name, type, config)
  str("datasource_register", 1, name); str("datasource_register", 2, type)
  optstr("datasource_register", 3, config)
  return self._db:datasource_register(name, type, config)
end

--- A datasource by name.
---@return table|nil datasource {id, name, type, config, created}
---@return string|nil err
function Store:datasource(name)
  str("datasource", 1, name)
  return self._db:datasource(name)
end

--- Names of all datasources.
---@return string[]
function Store:datasources() return self._db:datasources() end

--- Add a version of a datasource (the same id twice is a no-op).
---@param datasource string
---@param v table {id, artifact, rows?, columns?, bytes?, created?}
function Store:version_add(datasource, v)
  str("version_add", 1, datasource); tbl("version_add", 2, v)
  return self._db:version_add(datasource, v)
end

--- The newest version of a datasource.
---@return table|nil version
---@return string|nil err
function Store:version_latest(datasource)
  str("version_latest", 1, datasource)
  return self._db:version_latest(datasource)
end

--- Every version of a datasource, newest first.
---@return table[]
function Store:versions(datasource)
  str("versions", 1, datasource)
  return self._db:versions(datasource)
end

--- The version number of a pipeline's DAG, made on first sight.
---@return integer
function Store:pipeline_version(name, dag_hash)
  str("pipeline_version", 1, name); str("pipeline_version", 2, dag_hash)
  return self._db:pipeline_version(name, dag_hash)
end

--- Record a run as running.
---@param run table {id, pipeline, pipeline_version, yaml_path?, yaml_hash?, git_commit?, git_branch?, git_dirty?, backend?, started?, host?, pid?}
function Store:run_begin(run)
  tbl("run_begin", 1, run)
  return self._db:run_begin(run)
end

--- Set a run's final status ("completed" or "failed").
---@return true|nil ok
---@return string|nil err
function Store:run_finish(id, status)
  str("run_finish", 1, id); str("run_finish", 2, status)
  return self._db:run_finish(id, status)
end

--- One run.
---@return table|nil run
---@return string|nil err
function Store:run(id)
  str("run", 1, id)
  return self._db:run(id)
end

--- Runs, newest first.
---@param filter table|nil {pipeline?, status?, limit?}
---@return table[]
function Store:runs(filter)
  if filter ~= nil then tbl("runs", 1, filter) end
  return self._db:runs(filter)
end

--- Mark runs of dead processes on this host as failed.
---@return integer count
function Store:recover() return self._db:recover() end

--- Whether the store was opened read-only (asked for, or not writable by this
--- process: another user's repository, a read-only mount).
---@return boolean
function Store:read_only() return self._db:read_only() end

--- Record that a step started.
---@return integer execution id
function Store:execution_begin(run, step, class, source, cache_key)
  str("execution_begin", 1, run); str("execution_begin", 2, step)
  str("execution_begin", 3, class); optstr("execution_begin", 4, source)
  optstr("execution_begin", 5, cache_key)
  return self._db:execution_begin(run, step, class, source, cache_key)
end

--- Set an execution's final status.
---@return true|nil ok
---@return string|nil err
function Store:execution_finish(id, status, err, log_artifact)
  int("execution_finish", 1, id); str("execution_finish", 2, status)
  optstr("execution_finish", 3, err); optstr("execution_finish", 4, log_artifact)
  return self._db:execution_finish(id, status, err, log_artifact)
end

--- Record a step as cached from execution `from` in one call: the
--- execution and `from`'s metrics. Its inputs and outputs are `from`'s.
---@param r table {run, step, class, source?, cache_key?, from}
---@return integer|nil execution id
---@return string|nil err
function Store:execution_reuse(r)
  tbl("execution_reuse", 1, r)
  return self._db:execution_reuse(r.run, r.step, r.class, r.source, r.cache_key, r.from)
end

--- The latest execution before execution `before` of step `step` (class
--- `class`) that completed or was a cache hit, preferring runs of pipeline
--- `pipeline` (any version) to other pipelines.
---@return integer|nil execution id
function Store:previous_execution(pipeline, step, class, before)
  str("previous_execution", 1, pipeline); str("previous_execution", 2, step)
  str("previous_execution", 3, class); int("previous_execution", 4, before)
  return self._db:previous_execution(pipeline, step, class, before)
end

--- The latest completed run (started last) in which every `{step, output}`
--- of `outputs` was produced (by an execution that ran or a cache hit),
--- optionally only among runs of pipeline `filter.pipeline` or only run
--- `filter.run`.
---@param outputs {[1]: string, [2]: string}[] step and output names
---@param filter? {pipeline?: string, run?: string}
---@return string|nil run id
function Store:latest_run_with(outputs, filter)
  tbl("latest_run_with", 1, outputs)
  if filter ~= nil then tbl("latest_run_with", 2, filter) end
  filter = filter or {}
  optstr("latest_run_with", 2, filter.pipeline); optstr("latest_run_with", 2, filter.run)
  return self._db:latest_run_with(outputs, filter.pipeline, filter.run)
end

--- One execution.
---@return table|nil execution
---@return string|nil err
function Store:execution(id)
  int("execution", 1, id)
  return self._db:execution(id)
end

--- The executions of a run, in order.
---@return table[]
function Store:executions(run)
  str("executions", 1, run)
  return self._db:executions(run)
end

--- The latest completed execution of `class` with `cache_key`; given the
--- artifact store, only one whose outputs are all still in it (checked in C).
---@param store? zenml.Store
---@return table|nil hit {execution, outputs = {name = artifact}}
---@return string|nil err
---@return string|nil code "notfound" when there is no such execution
function Store:cache_lookup(class, cache_key, store)
  str("cache_lookup", 1, class); str("cache_lookup", 2, cache_key)
  if store ~= nil and (type(store) ~= "table" or store._ud == nil) then
    fail("cache_lookup", 3, "an artifact store or nil", store)
  end
  return self._db:cache_lookup(class, cache_key, store and store._ud)
end

--- The outputs of an execution.
---@return table<string, string> outputs name -> artifact id
function Store:outputs(id)
  int("outputs", 1, id)
  return self._db:outputs(id)
end

--- Record an artifact (a second record of the same id is ignored).
function Store:artifact_record(id, type, size)
  str("artifact_record", 1, id); str("artifact_record", 2, type)
  int("artifact_record", 3, size)
  return self._db:artifact_record(id, type, size)
end

--- Link an execution to an artifact: kind "input" or "output".
function Store:event_add(execution, artifact, kind, name)
  int("event_add", 1, execution); str("event_add", 2, artifact)
  str("event_add", 3, kind); str("event_add", 4, name)
  return self._db:event_add(execution, artifact, kind, name)
end

--- Recorded artifacts whose id starts with `prefix` ("sha256:" and lower-case
--- hex digits), in id order, at most `limit` of them.
---@param prefix string
---@param limit integer
---@return table[] rows {id, type}
function Store:artifacts_with_prefix(prefix, limit)
  str("artifacts_with_prefix", 1, prefix); int("artifacts_with_prefix", 2, limit)
  -- a range on the primary key: hex digits sort below 'g'
  return self._db:query("SELECT id, type FROM artifacts WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
    prefix, prefix .. "g", limit)
end

--- Every artifact id the metadata refers to.
---@return string[]
function Store:artifact_refs() return self._db:artifact_refs() end

--- An artifact was lost from the store: executions that produced it (and
--- cache hits of them) become `invalid`, never a cache hit again, with
--- `why` as their error. Returns how many executions changed.
---@param id string
---@param why string
---@return integer
function Store:artifact_lost(id, why)
  str("artifact_lost", 1, id)
  str("artifact_lost", 2, why)
  return self._db:artifact_lost(id, why)
end

--- Set a metric of a run, or of one of its executions.
---@param run string
---@param execution integer|nil
---@param name string
---@param value number
function Store:metric_set(run, execution, name, value)
  str("metric_set", 1, run)
  if execution ~= nil then int("metric_set", 2, execution) end
  str("metric_set", 3, name)
  if type(value) ~= "number" then fail("metric_set", 4, "a number", value) end
  return self._db:metric_set(run, execution, name, value)
end

--- The metrics of a run and its executions.
---@return table[] metrics {run, execution?, name, value}
function Store:metrics(run)
  str("metrics", 1, run)
  return self._db:metrics(run)
end

--- Set a typed property (integer, number or string) on any entity.
function Store:property_set(kind, entity, name, value)
  str("property_set", 1, kind); str("property_set", 2, entity); str("property_set", 3, name)
  local t = type(value)
  if t ~= "number" and t ~= "string" then fail("property_set", 4, "a number or string", value) end
  return self._db:property_set(kind, entity, name, value)
end

--- Read a property.
---@return integer|number|string|nil value
---@return string|nil err
function Store:property_get(kind, entity, name)
  str("property_get", 1, kind); str("property_get", 2, entity); str("property_get", 3, name)
  return self._db:property_get(kind, entity, name)
end

--- SHA-256 of a file, reusing the stat cache when the file is unchanged.
---@return string|nil hex
---@return string|nil err
function Store:hash_file(path)
  str("hash_file", 1, path)
  return self._db:hash_file(path)
end

--- Start hashing a file through the stat cache: when its digest is not
--- cached, a thread hashes it while the caller goes on. `job:pending()` says
--- which; `hash_end(job)` waits and returns the digest.
---@return userdata|nil job
---@return string|nil err
function Store:hash_begin(path)
  str("hash_begin", 1, path)
  return self._db:hash_begin(path)
end

--- Wait for a `hash_begin` job; remember the digest in the stat cache.
---@return string|nil hex
---@return string|nil err
function Store:hash_end(job)
  return self._db:hash_end(job)
end

return M
