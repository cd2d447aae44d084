--- zenml.meta: the metadata store (runs, step executions, artifacts,
--- lineage, metrics) over SQLite, `sqlite:PATH`, or later MySQL.
---
---     local db = assert(zenml.meta.open "sqlite:.zenml/metadata.db")
---     for _, r in ipairs(db:runs { status = "failed", limit = 10 }) do print(r.id) end
---     db:close()
local core = require "zenml._core"
local check = require "zenml.check"

local M = {
  --- The schema version this build reads and writes.
  schema_version = core.meta.schema_version,
}

---@class zenml.meta.Store
---@field package _db userdata
local Store = {}
Store.__index = Store

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
  check.arg("zenml.meta.open", 1, "url", url, "string")
  if mode ~= nil and not MODES[mode] then
    error(check.message("zenml.meta.open", 2, "mode", '"create", "write" or "read"', mode), 2)
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

--- Run `fn` in a transaction: committed when it returns, rolled back when it
--- raises. When a server rolled it back under it (a deadlock, a lost
--- connection), `fn` runs once more from the start, so it must hold nothing
--- but metadata calls. Returns what `fn` returns.
---@param fn fun(): any
function Store:transaction(fn)
  check.arg("transaction", 1, "fn", fn, "function")
  for attempt = 1, 2 do
    self:begin()
    local res = table.pack(pcall(fn))
    if res[1] then
      self:commit()
      return table.unpack(res, 2, res.n)
    end
    local again = attempt == 1 and self._db:tx_lost()
    pcall(self.rollback, self)
    if not again then error(res[2], 0) end
  end
end

--- The store as a whole: driver ("sqlite" or "mysql"), schema version, size
--- in bytes and the rows of each table, parents first.
---@return table info {driver, version, bytes, tables = {{name, rows}, ...}}
function Store:info() return self._db:info() end

--- The driver this store talks to: "sqlite" or "mysql".
---@return string
function Store:driver() return self._db:driver() end

--- Copy every row of this store into `other`, which must hold none (one
--- transaction on each; row counts compared). On an error `other` keeps nothing.
---@param other table a store from zenml.meta.open
function Store:copy_into(other)
  check.arg("copy_into", 1, "other", other, "table")
  self._db:copy_into(other._db)
end

--- Run a read-only SELECT with `?` parameters, for exploring a store by hand
--- (zenml's own code uses the methods of this API instead). The SQL is that of
--- the driver the store talks to: see Store:driver ("sqlite" or "mysql").
---@param sql string a SELECT statement
---@return table[] rows each a table of column name -> value
function Store:query(sql, ...)
  check.arg("query", 1, "sql", sql, "string")
  return self._db:query(sql, ...)
end

--- Register (or update) a datasource.
---@param name string
---@param type string e.g. "csv"
---@param config string|nil JSON text
---@return integer id
function Store:datasource_register(name, type, config)
  check.args("datasource_register", {
    { "name", name, "string" },
    { "type", type, "string" },
    { "config", config, "string?" },
  })
  return self._db:datasource_register(name, type, config)
end

--- A datasource by name.
---@return table|nil datasource {id, name, type, config, created}
---@return string|nil err
function Store:datasource(name)
  check.arg("datasource", 1, "name", name, "string")
  return self._db:datasource(name)
end

--- Names of all datasources.
---@return string[]
function Store:datasources() return self._db:datasources() end

--- Add a version of a datasource (the same id twice is a no-op).
---@param datasource string
---@param v table {id, artifact, rows?, columns?, bytes?, created?}
function Store:version_add(datasource, v)
  check.args("version_add", { { "datasource", datasource, "string" }, { "v", v, "table" } })
  return self._db:version_add(datasource, v)
end

--- The newest version of a datasource.
---@return table|nil version
---@return string|nil err
function Store:version_latest(datasource)
  check.arg("version_latest", 1, "datasource", datasource, "string")
  return self._db:version_latest(datasource)
end

--- Every version of a datasource, newest first.
---@return table[]
function Store:versions(datasource)
  check.arg("versions", 1, "datasource", datasource, "string")
  return self._db:versions(datasource)
end

--- The version number of a pipeline's DAG, made on first sight.
---@return integer
function Store:pipeline_version(name, dag_hash)
  check.args("pipeline_version", {
    { "name", name, "string" }, { "dag_hash", dag_hash, "string" } })
  return self._db:pipeline_version(name, dag_hash)
end

--- Record a run as running.
---@param run table {id, pipeline, pipeline_version, yaml_path?, yaml_hash?, git_commit?, git_branch?, git_dirty?, backend?, started?, host?, pid?}
function Store:run_begin(run)
  check.arg("run_begin", 1, "run", run, "table")
  return self._db:run_begin(run)
end

--- Set a run's final status ("completed" or "failed").
---@return true|nil ok
---@return string|nil err
--- Hand a running run over to a cluster (its jobs outlive this process):
--- crash recovery leaves it alone; `zenml run wait` or `run cancel` ends it.
function Store:run_detach(id)
  check.arg("run_detach", 1, "id", id, "string")
  return self._db:run_detach(id)
end

function Store:run_finish(id, status)
  check.args("run_finish", { { "id", id, "string" }, { "status", status, "string" } })
  return self._db:run_finish(id, status)
end

--- One run.
---@return table|nil run
---@return string|nil err
function Store:run(id)
  check.arg("run", 1, "id", id, "string")
  return self._db:run(id)
end

--- Runs, newest first.
---@param filter table|nil {pipeline?, status?, limit?}
---@return table[]
function Store:runs(filter)
  check.arg("runs", 1, "filter", filter, "table?")
  return self._db:runs(filter)
end

--- Runs with their step counts and chosen metrics, filtered, sorted and
--- limited by the database (newest first unless `sort` says otherwise).
--- `where` holds metric conditions {name, op (> >= < <= = !=), value}; a run
--- without the metric never matches one. `sort` is a column (id, pipeline,
--- version, status, started, ended, seconds, steps, cached, git, backend) or,
--- with `sort_metric`, a metric name; runs without a value come last.
---@param q table|nil {pipeline?, status?, since?, until?, metrics?: string[], where?: table[], sort?, sort_metric?, descending?, limit?}
---@return table[] runs each with steps, cached and metrics (name -> value)
function Store:run_summaries(q)
  check.arg("run_summaries", 1, "query", q, "table?")
  local rows = self._db:run_summaries(q)
  local names = q and q.metrics or {}
  for _, r in ipairs(rows) do
    local byname = {}
    for i, name in ipairs(names) do byname[name] = r.metrics[i] end
    r.metrics = byname
  end
  return rows
end

--- Ids of runs beginning with `prefix`, newest first (at most `limit`).
---@param prefix string
---@param limit? integer
---@return string[]
function Store:run_ids_with_prefix(prefix, limit)
  check.args("run_ids_with_prefix", { { "prefix", prefix, "string" }, { "limit", limit, "integer?" } })
  return self._db:run_ids_with_prefix(prefix, limit)
end

--- The artifacts every step of a run read and wrote (a cached step's are
--- those of the execution it reused): {step, execution, kind, name, id, type, size}.
---@param run string
---@return table[]
function Store:run_artifacts(run)
  check.arg("run_artifacts", 1, "run", run, "string")
  return self._db:run_artifacts(run)
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
  check.args("execution_begin", {
    { "run", run, "string" },
    { "step", step, "string" },
    { "class", class, "string" },
    { "source", source, "string?" },
    { "cache_key", cache_key, "string?" },
  })
  return self._db:execution_begin(run, step, class, source, cache_key)
end

--- Set an execution's final status.
---@return true|nil ok
---@return string|nil err
function Store:execution_finish(id, status, err, log_artifact)
  check.args("execution_finish", {
    { "id", id, "integer" },
    { "status", status, "string" },
    { "err", err, "string?" },
    { "log_artifact", log_artifact, "string?" },
  })
  return self._db:execution_finish(id, status, err, log_artifact)
end

--- Record a step as cached from execution `from` in one call: the
--- execution and `from`'s metrics. Its inputs and outputs are `from`'s.
---@param r table {run, step, class, source?, cache_key?, from}
---@return integer|nil execution id
---@return string|nil err
function Store:execution_reuse(r)
  check.arg("execution_reuse", 1, "r", r, "table")
  return self._db:execution_reuse(r.run, r.step, r.class, r.source, r.cache_key, r.from)
end

--- The latest execution before execution `before` of step `step` (class
--- `class`) that completed or was a cache hit, preferring runs of pipeline
--- `pipeline` (any version) to other pipelines.
---@return integer|nil execution id
function Store:previous_execution(pipeline, step, class, before)
  check.args("previous_execution", {
    { "pipeline", pipeline, "string" },
    { "step", step, "string" },
    { "class", class, "string" },
    { "before", before, "integer" },
  })
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
  check.args("latest_run_with", { { "outputs", outputs, "table" }, { "filter", filter, "table?" } })
  filter = filter or {}
  check.fields("latest_run_with", 2, "filter", {
    { "pipeline", filter.pipeline, "string?" }, { "run", filter.run, "string?" } })
  return self._db:latest_run_with(outputs, filter.pipeline, filter.run)
end

--- One execution.
---@return table|nil execution
---@return string|nil err
function Store:execution(id)
  check.arg("execution", 1, "id", id, "integer")
  return self._db:execution(id)
end

--- The executions of a run, in order.
---@return table[]
function Store:executions(run)
  check.arg("executions", 1, "run", run, "string")
  return self._db:executions(run)
end

--- The latest completed execution of `class` with `cache_key`; given the
--- artifact store, only one whose outputs are all still in it (checked in C).
---@param store? zenml.Store
---@return table|nil hit {execution, outputs = {name = artifact}}
---@return string|nil err
---@return string|nil code "notfound" when there is no such execution
function Store:cache_lookup(class, cache_key, store)
  -- (called for every step of every run: the lists are built only when a check fails)
  if type(class) ~= "string" or type(cache_key) ~= "string" or (store ~= nil and not check.is(store, "store")) then
    check.args("cache_lookup", {
      { "class", class, "string" },
      { "cache_key", cache_key, "string" },
      { "store", store, "store?" },
    })
  end
  return self._db:cache_lookup(class, cache_key, store and store._ud)
end

--- The outputs of an execution.
---@return table<string, string> outputs name -> artifact id
function Store:outputs(id)
  check.arg("outputs", 1, "id", id, "integer")
  return self._db:outputs(id)
end

--- Record an artifact (a second record of the same id is ignored).
function Store:artifact_record(id, type, size)
  check.args("artifact_record", {
    { "id", id, "string" },
    { "type", type, "string" },
    { "size", size, "integer" },
  })
  return self._db:artifact_record(id, type, size)
end

--- Link an execution to an artifact: kind "input" or "output".
function Store:event_add(execution, artifact, kind, name)
  check.args("event_add", {
    { "execution", execution, "integer" },
    { "artifact", artifact, "string" },
    { "kind", kind, "string" },
    { "name", name, "string" },
  })
  return self._db:event_add(execution, artifact, kind, name)
end

--- Recorded artifacts whose id starts with `prefix` ("sha256:" and lower-case
--- hex digits), in id order, at most `limit` of them.
---@param prefix string
---@param limit integer
---@return table[] rows {id, type, size, created}
function Store:artifacts_with_prefix(prefix, limit)
  check.args("artifacts_with_prefix", {
    { "prefix", prefix, "string" },
    { "limit", limit, "integer" },
  })
  return self._db:artifacts_with_prefix(prefix, limit)
end

--- A recorded artifact by its full id.
---@param id string
---@return table|nil artifact {id, type, size, created}, nil when not recorded
function Store:artifact(id)
  check.arg("artifact", 1, "id", id, "string")
  return self._db:artifact(id)
end

--- The lineage of an artifact: the executions that wrote or read it, and
--- cache hits of them, by execution, inputs before outputs.
---@param id string
---@return table[] events {execution, run, step, kind, name, status}
function Store:artifact_events(id)
  check.arg("artifact_events", 1, "id", id, "string")
  return self._db:artifact_events(id)
end

--- Every pipeline by name, with its highest version, its number of runs (of
--- every version) and the start of its newest run (nil if it never ran).
---@return table[] {name, versions, runs, last_run}
function Store:pipelines() return self._db:pipelines() end

--- Whether some version of pipeline `name` is recorded.
---@param name string
---@return boolean
function Store:pipeline_exists(name)
  check.arg("pipeline_exists", 1, "name", name, "string")
  return self._db:pipeline_exists(name)
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
  check.args("artifact_lost", { { "id", id, "string" }, { "why", why, "string" } })
  return self._db:artifact_lost(id, why)
end

--- Set a metric of a run, or of one of its executions.
---@param run string
---@param execution integer|nil
---@param name string
---@param value number
function Store:metric_set(run, execution, name, value)
  check.args("metric_set", {
    { "run", run, "string" }, { "execution", execution, "integer?" }, { "name", name, "string" },
    { "value", value, "number" },
  })
  return self._db:metric_set(run, execution, name, value)
end

--- The metrics of a run and its executions.
---@return table[] metrics {run, execution?, name, value}
function Store:metrics(run)
  check.arg("metrics", 1, "run", run, "string")
  return self._db:metrics(run)
end

--- Set a typed property (integer, number or string) on any entity.
function Store:property_set(kind, entity, name, value)
  check.args("property_set", {
    { "kind", kind, "string" },
    { "entity", entity, "string" },
    { "name", name, "string" },
    { "value", value, "number|string" },
  })
  return self._db:property_set(kind, entity, name, value)
end

--- Read a property.
---@return integer|number|string|nil value
---@return string|nil err
function Store:property_get(kind, entity, name)
  if type(kind) ~= "string" or type(entity) ~= "string" or type(name) ~= "string" then
    check.args("property_get", {
      { "kind", kind, "string" },
      { "entity", entity, "string" },
      { "name", name, "string" },
    })
  end
  return self._db:property_get(kind, entity, name)
end

--- The property `name` of the first step of run `run` (in the order the
--- steps began) that has one; a cached step's are those of the execution it
--- reused. One query, however many steps the run has.
---@return integer|number|string|nil value
---@return string|nil err
function Store:run_step_property(run, name)
  if type(run) ~= "string" or type(name) ~= "string" then
    check.args("run_step_property", { { "run", run, "string" }, { "name", name, "string" } })
  end
  return self._db:run_step_property(run, name)
end

--- SHA-256 of a file, reusing the stat cache when the file is unchanged.
---@return string|nil hex
---@return string|nil err
function Store:hash_file(path)
  check.arg("hash_file", 1, "path", path, "string")
  return self._db:hash_file(path)
end

--- Start hashing a file through the stat cache: when its digest is not
--- cached, a thread hashes it while the caller goes on. `job:pending()` says
--- which; `hash_end(job)` waits and returns the digest.
---@return userdata|nil job
---@return string|nil err
function Store:hash_begin(path)
  check.arg("hash_begin", 1, "path", path, "string")
  return self._db:hash_begin(path)
end

--- As hash_begin, but a digest that is not cached is not hashed yet:
--- `job:start()` does it (on a thread), or `hash_end(job)`, so the caller
--- can give every core to something else first. `job:pending()` is true
--- until the digest is known.
---@return userdata|nil job
---@return string|nil err
function Store:hash_probe(path)
  check.arg("hash_probe", 1, "path", path, "string")
  return self._db:hash_probe(path)
end

--- Wait for a `hash_begin` job; remember the digest in the stat cache.
---@return string|nil hex
---@return string|nil err
function Store:hash_end(job)
  return self._db:hash_end(job)
end

-- The model registry ----------------------------------------------------------

--- Register a new version of model `v.model` (made on first use), numbered
--- one above its highest. Fails when the run or an artifact is not recorded.
---@param v table {model, run, step, model_artifact, transform_artifact?, schema_artifact?, yaml_path?, datasource_version?, message?, created_by?}
---@return integer version
function Store:model_register(v)
  check.arg("model_register", 1, "version", v, "table")
  return self._db:model_register(v)
end

--- Every model: {name, versions, latest, created, updated}, by name.
---@return table[]
function Store:models() return self._db:models() end

--- The versions of a model, oldest first.
---@return table[]|nil versions {model, version, run, step, model_artifact, transform_artifact?, schema_artifact?, yaml_path?, datasource_version?, message?, created, created_by?, deprecated}
---@return string|nil err "no model 'x'"
function Store:model_versions(name)
  check.arg("model_versions", 1, "name", name, "string")
  return self._db:model_versions(name)
end

--- The model versions registered from a run, by model and version.
---@return table[]
function Store:model_versions_of_run(run)
  check.arg("model_versions_of_run", 1, "run", run, "string")
  return self._db:model_versions_of_run(run)
end

--- One version of a model.
---@return table|nil version
---@return string|nil err naming the missing model or version
function Store:model_version(name, version)
  check.args("model_version", { { "name", name, "string" }, { "version", version, "integer" } })
  return self._db:model_version(name, version)
end

--- Set (or replace) tag `key` of a version.
---@return true|nil ok
---@return string|nil err
function Store:model_tag_set(name, version, key, value)
  check.args("model_tag_set", { { "name", name, "string" }, { "version", version, "integer" },
    { "key", key, "string" }, { "value", value, "string" } })
  return self._db:model_tag_set(name, version, key, value)
end

--- Every tag of every version of a model: {version, key, value}, by version and key.
---@return table[]|nil tags
---@return string|nil err
function Store:model_tags(name)
  check.arg("model_tags", 1, "name", name, "string")
  return self._db:model_tags(name)
end

--- Mark a version deprecated: no alias may move to it any more.
---@return true|nil ok
---@return string|nil err
function Store:model_deprecate(name, version)
  check.args("model_deprecate", { { "name", name, "string" }, { "version", version, "integer" } })
  return self._db:model_deprecate(name, version)
end

--- Point an alias at a version and append the move to the alias history, in
--- one transaction. Fails (nil, message, code) for an unknown model or
--- version ("notfound"), a deprecated version ("invalid"), or an alias that
--- already points there ("exists").
---@param mv table {model, alias, to, reason?, who?, hook?}
---@return integer|nil from the version it pointed at before, 0 if it is new
---@return string|nil err
---@return string|nil code
function Store:model_alias_set(mv)
  check.arg("model_alias_set", 1, "move", mv, "table")
  return self._db:model_alias_set(mv)
end

--- The aliases of a model: {alias, version}, by alias.
---@return table[]|nil aliases
---@return string|nil err
function Store:model_aliases(name)
  check.arg("model_aliases", 1, "name", name, "string")
  return self._db:model_aliases(name)
end

--- The alias moves of a model, oldest first (only those of `alias` if given):
--- {id, model, alias, from?, to, reason?, who?, created, hook?}.
---@return table[]|nil moves
---@return string|nil err
function Store:model_alias_history(name, alias)
  check.args("model_alias_history", { { "name", name, "string" }, { "alias", alias, "string?" } })
  return self._db:model_alias_history(name, alias)
end

return M
