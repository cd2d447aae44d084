--- Running pipelines: resolve a Pipeline into its immutable YAML, record the
--- run, have the engine execute the steps (lua/zenml/engine/), report it.
local core = require "zenml._core"
local yaml = require "zenml.yaml"
local hash = require "zenml.hash"
local sources = require "zenml.sources"
local backend = require "zenml.backend"
local errors = require "zenml.errors"
local overrides = require "zenml.overrides"
local schedule = require "zenml.engine.schedule"
local hooks = require "zenml.engine.hooks"

local M = {}

--- Options given on the command line (`zenml run -j 2 --no-cache ...`); they
--- win over what the script passes to p:run().
M.overrides = {}

--- The runs finished in this process (`zenml run` sets its exit status from them).
M.finished = {}

local function warn(fmt, ...)
  io.stderr:write("zenml: warning: ", fmt:format(...), "\n")
end

local function new_run_id()
  local t = core.sys.time()
  local secs = math.floor(t)
  return ("%s-%06d-%04x"):format(os.date("!%Y%m%d-%H%M%S", secs),
    math.floor((t - secs) * 1e6), core.sys.getpid() % 0x10000)
end
M.new_run_id = new_run_id

local function iso_time(t)
  local secs = math.floor(t)
  return os.date("!%Y-%m-%dT%H:%M:%S", secs) .. ("%.6fZ"):format(t - secs):sub(2)
end
M.iso_time = iso_time

local function repo_or_fail()
  local repo, err = require("zenml.repo").open()
  if not repo then
    error(("running a pipeline needs a zenml repository: %s"):format(err), 0)
  end
  return repo
end
M.open_repo = repo_or_fail

-- The orchestrator and the options of a run: the command line's, then
-- p:run()'s, then the pipeline's, then the repository's defaults.
local function settings(p, opts, repo)
  local o, cfg = M.overrides, repo.config.defaults
  local jobs = o.jobs or opts.jobs or p.jobs or cfg.jobs or 1
  local spec = o.backend or opts.backend or p.backend or (jobs > 1 and "parallel") or cfg.backend
  -- an error names where the backend was chosen
  local where = o.backend and "--backend" or (opts.backend and "run { backend }")
    or (p.backend and ("pipeline '%s'"):format(tostring(p.name)))
    or (jobs > 1 and "-j") or "defaults.backend (zenml config)"
  local orch = backend.resolve(spec, "orchestrator", repo.config, repo.root, where)
  if orch:backend_name() == "parallel" then
    -- -j N (or jobs = N) sets the threads unless the object says; else
    -- the repository's backends.parallel.jobs or the default
    local explicit = o.jobs or opts.jobs or p.jobs
    if orch._given.jobs or not explicit then
      jobs = orch.params.jobs
    else
      jobs = math.max(explicit, 2)
      local given = orch._given
      orch = getmetatable(orch)({ jobs = jobs })
      orch._given = given
    end
  end
  local cache = not (o.no_cache or opts.cache == false or p.enable_cache == false or cfg.cache == false)
  return orch, jobs, cache
end

local function ordered(t, keys) return yaml.ordered(t, keys) end

-- The YAML entry of one step, plus the pins of its code.
local function step_entry(repo, e, pin_cache, all_sources, pin)
  local cls = getmetatable(e.step)
  local module = cls.__module
  if not module then
    error(("step '%s': class %s is not defined in a module (it was defined in %s); move it to "
      .. "steps/<name>.lua and require it, so runs can load it again"):format(
      e.name, cls.__name, tostring(cls.__file)), 0)
  end
  local pins = sources.closure(repo, module, pin_cache)
  local own
  for _, rec in ipairs(pins) do
    all_sources[rec.module] = rec
    if rec.module == module then own = rec end
  end
  local inputs, outputs = {}, {}
  for k, v in pairs(e.inputs) do inputs[k] = v end
  for k, v in pairs(e.step:output_spec()) do
    outputs[k] = type(v) == "table" and v.type or v
  end
  local entry = {
    class = cls.__name, module = module, source = own.pin,
    params = e.step.params, cache = e.step:cacheable(), inputs = inputs, outputs = outputs,
  }
  -- retries and the timeout, when given (never part of the cache key)
  local retry = require "zenml.engine.retry"
  entry.retries, entry.retry_on, entry.retry_delay = e.step._retries, e.step._retry_on,
    e.step._retry_delay
  entry.timeout = e.step._timeout and retry.seconds(e.step._timeout)
  entry.catch = e.step:catches() or nil
  -- hooks by name, their modules pinned as the step's own
  for _, hook in ipairs(hooks.names) do
    if e.step["_" .. hook] ~= nil then
      local name, hmodule = hooks.resolve(e.step["_" .. hook], ("step '%s': %s"):format(e.name, hook))
      entry[hook] = name
      pin(hmodule)
    end
  end
  -- where the step runs, when not where the orchestrator runs it
  for _, role in ipairs({ "training", "processing" }) do
    local spec = e.step["_" .. role]
    if spec ~= nil then
      local b = backend.resolve(spec, role, repo.config, repo.root,
        ("step '%s': %s"):format(e.name, role))
      if b:backend_name() ~= "local" then
        entry[role] = backend.entry(b, pin, (e.step._retries or 0) + 1)
      end
      if role == "processing" and b:worker_count() then entry.shards = e.step:shard_entry(b) end
    end
  end
  return ordered(entry, { "class", "module", "source", "params", "cache", "retries", "retry_on",
    "retry_delay", "timeout", "on_failure", "on_success", "catch", "training", "processing", "shards",
    "inputs", "outputs" })
end

-- A source record of the YAML's `sources`.
local function source_record(rec)
  return ordered({ pin = rec.pin, path = rec.path, dirty = rec.dirty or false,
    artifact = rec.artifact }, { "pin", "path", "dirty", "artifact" })
end

--- A function pinning a module for document `doc` (a re-run choosing a
--- backend the original run did not use): its sources join the YAML's.
function M.pinner(repo, doc)
  local cache = {}
  return function(module)
    local own
    for _, rec in ipairs(sources.closure(repo, module, cache)) do
      if not rec.builtin then
        doc.sources = doc.sources or {}
        if doc.sources[rec.module] == nil then
          local keys = yaml.keys(doc.sources)
          keys[#keys + 1] = rec.module
          doc.sources[rec.module] = source_record(rec)
          doc.sources = ordered(doc.sources, keys)
        end
      end
      if rec.module == module then own = rec end
    end
    return own.pin
  end
end

local function source_records(all)
  local out = {}
  for name, rec in pairs(all) do
    if not rec.builtin then out[name] = source_record(rec) end
  end
  return out
end

local function git_state(repo)
  return ordered({ commit = repo:head() or yaml.null, branch = repo:branch() or yaml.null,
    dirty = repo:dirty() }, { "commit", "branch", "dirty" })
end
M.git_state = git_state

--- Resolve everything a run needs into the run's YAML document (docs/pipelines.md, "The YAML").
function M.resolve(p, repo, opts)
  overrides.apply_pipeline(p, M.overrides.set)
  local deps = p:validate()
  local orch, jobs, cache = settings(p, opts, repo)
  local pin_cache, all_sources, steps, order = {}, {}, {}, {}
  local datasource
  -- pin a backend's module (and what it requires) as a step's source is pinned
  local function pin(module)
    local own
    for _, rec in ipairs(sources.closure(repo, module, pin_cache)) do
      all_sources[rec.module] = rec
      if rec.module == module then own = rec end
    end
    return own.pin
  end
  for _, e in ipairs(p.steps) do
    if e.step.prepare then e.step:prepare(repo) end
    steps[e.name] = step_entry(repo, e, pin_cache, all_sources, pin)
    order[#order + 1] = e.name
    if e.step.datasource_info then datasource = e.step:datasource_info() end
  end
  for name, rec in pairs(all_sources) do
    if rec.dirty then
      warn("%s has uncommitted changes; this run cannot be reproduced from git alone",
        rec.path or name)
    end
  end
  -- an orchestrator's per-attempt parameters cover the step with most attempts
  local attempts = 1
  for _, e in ipairs(p.steps) do attempts = math.max(attempts, (e.step._retries or 0) + 1) end
  local run_id = new_run_id()
  local doc = ordered({
    version = 1, name = p.name, type = p:class_name(), run_id = run_id,
    created = iso_time(core.sys.time()), git = git_state(repo),
    datasource = datasource, register = p.register, steps = ordered(steps, order),
    sources = source_records(all_sources),
    backends = M.backends_entry(orch, pin, attempts),
    options = M.options_entry(p, cache, jobs, pin),
    stores = ordered({ artifact = repo.config.stores.artifact,
      metadata = repo.config.stores.metadata }, { "artifact", "metadata" }),
  }, { "version", "name", "type", "run_id", "created", "git", "datasource", "register", "steps",
    "sources", "backends", "options", "stores" })
  return doc, deps
end

--- The YAML's `options`: the cache, the threads, whether to keep going
--- after a failure, and the pipeline's hooks by name (their modules pinned
--- with `pin`).
function M.options_entry(p, cache, jobs, pin)
  local o = { cache = cache, jobs = jobs, keep_going = p.keep_going ~= false }
  for _, hook in ipairs(hooks.names) do
    if p[hook] ~= nil then
      local name, module = hooks.resolve(p[hook], ("pipeline '%s': %s"):format(p.name, hook))
      o[hook] = name
      pin(module)
    end
  end
  return ordered(o, { "cache", "jobs", "keep_going", "on_failure", "on_success" })
end

--- The YAML's `backends`: the orchestrator, and the processing and
--- training backends of steps that name none (where the orchestrator runs them).
function M.backends_entry(orch, pin, attempts)
  local here = require("zenml.backends").Local {}
  return ordered({ orchestrator = backend.entry(orch, pin, attempts), processing = backend.entry(here, pin),
    training = backend.entry(here, pin) }, { "orchestrator", "processing", "training" })
end

--- The DAG's identity: step names, classes, modules and wiring (not parameters).
function M.dag_hash(doc)
  local names = {}
  for name in pairs(doc.steps) do names[#names + 1] = name end
  table.sort(names)
  local parts = {}
  for _, name in ipairs(names) do
    local s = doc.steps[name]
    local inputs = {}
    for input, wire in pairs(s.inputs or {}) do
      inputs[#inputs + 1] = input .. "=" .. (type(wire) == "table" and table.concat(wire, ",") or wire)
    end
    table.sort(inputs)
    parts[#parts + 1] = ("%s\t%s\t%s\t%s"):format(name, s.class, s.module, table.concat(inputs, ";"))
  end
  return hash.string(table.concat(parts, "\n"))
end

--- Let every backend a run document names check, before anything is
--- recorded or submitted, that it can run it (`preflight(repo)`: Slurm
--- answers, the partition exists, the nodes see the repository).
function M.preflight(repo, doc)
  local seen = {}
  local function check(entry, where)
    if backend.is_local(entry) then return end
    local key = require("zenml.json").encode(entry)
    if seen[key] then return end
    seen[key] = true
    local b = backend.from_entry(entry, where)
    if type(b.preflight) == "function" then b:preflight(repo) end
  end
  check(doc.backends.orchestrator, "backends.orchestrator")
  for _, name in ipairs(yaml.keys(doc.steps)) do
    local s = doc.steps[name]
    check(s.training, ("step '%s': training"):format(name))
    check(s.processing, ("step '%s': processing"):format(name))
  end
end

--- Write the YAML (read-only) and record the run, together or not at all:
--- the YAML is written under a hidden temporary name, the run recorded, and
--- only then the YAML renamed into place. A failure (a full disk, a database
--- that refuses the write) leaves neither; a crash between the record and the
--- rename leaves a run whose YAML is `.partial`, which `zenml verify`
--- reports and `verify --repair` puts in place. Returns the YAML's path.
function M.record(repo, doc)
  local text = "# zenml pipeline run: immutable; re-run with `zenml run <this file>`\n"
    .. yaml.encode(doc)
  local file = ("%s_%s.yaml"):format(doc.name, doc.run_id)
  local rel = "pipelines/" .. file
  local path = repo.root .. "/" .. rel
  local partial = M.partial_path(repo, file)
  assert(core.sys.mkdir_p(repo.root .. "/pipelines"))
  local ok, err = core.sys.write_atomic(partial, text, tonumber("444", 8))
  if not ok then
    os.remove(partial)
    error(err, 0)
  end
  core.sys.fault("run.yaml.written")
  local db = repo:meta()
  ok, err = pcall(db.transaction, db, function()
    local version = db:pipeline_version(doc.name, M.dag_hash(doc))
    db:run_begin {
      id = doc.run_id, pipeline = doc.name, pipeline_version = version,
      yaml_path = rel, yaml_hash = hash.string(text),
      git_commit = doc.git.commit ~= yaml.null and doc.git.commit or nil,
      git_branch = doc.git.branch ~= yaml.null and doc.git.branch or nil,
      git_dirty = doc.git.dirty, backend = backend.name_in(doc.backends.orchestrator),
    }
  end)
  if not ok then
    os.remove(partial)
    error(err, 0)
  end
  core.sys.fault("run.recorded")
  local moved, merr = os.rename(partial, path)
  if not moved then
    pcall(function() db:run_finish(doc.run_id, "failed") end)
    os.remove(partial)
    error(("cannot put %s in place: %s"):format(rel, merr), 0)
  end
  return rel
end

--- Where a run's YAML waits, under a hidden name, until its run is recorded.
function M.partial_path(repo, file)
  return ("%s/pipelines/.%s.partial"):format(repo.root, file)
end

--- A run's status from its steps' results.
function M.status_of(results)
  for _, r in pairs(results) do
    if (r.status == "failed" or r.status == "skipped") and not r.caught then return "failed" end
  end
  return "completed"
end

-- Print one line per finished step on a terminal, and the summary always.
local function report(doc, results, started)
  local counts = { completed = 0, cached = 0, failed = 0, skipped = 0 }
  for _, r in pairs(results) do counts[r.status] = (counts[r.status] or 0) + 1 end
  local total = counts.completed + counts.cached + counts.failed + counts.skipped
  local status = M.status_of(results)
  io.stdout:write(("run %s %s: %d step%s, %d ran, %d cached, %d failed, %d skipped (%.2f s)\n"):format(
    doc.run_id, status, total, total == 1 and "" or "s", counts.completed, counts.cached,
    counts.failed, counts.skipped, core.sys.clock() - started))
  for name, r in pairs(results) do
    if r.caught and r.status == "completed" then
      io.stderr:write(("zenml: step '%s' failed; caught (catch = true): its error is its output 'error'\n"):format(name))
    elseif r.status == "failed" then
      local err = r.error or "?"
      -- an error that names the step already (its class cannot be loaded) says it once
      if err:sub(1, #name + 7) == ("step '%s'"):format(name) then
        io.stderr:write("zenml: ", err, "\n")
      else
        io.stderr:write(("zenml: step '%s' failed: %s\n"):format(name, err))
      end
    end
  end
  io.stdout:flush()
  return status
end

--- Execute a recorded run document; returns the Run. Whatever raises after
--- the run was recorded, the run ends `failed`, never left `running`.
function M.execute(repo, doc, yaml_rel)
  local _ <close> = setmetatable({}, { __close = function(_, err)
    if err ~= nil then
      -- a run its orchestrator ended (cancelled) keeps that end
      pcall(function()
        local r = repo:meta():run(doc.run_id)
        if r and r.status == "running" then repo:meta():run_finish(doc.run_id, "failed") end
      end)
    end
  end })
  local started = core.sys.clock()
  local store = repo:store()
  -- Outputs of quick steps are made durable together, not one fsync each
  -- (docs/store.md, "Write-behind"); settled below or if anything raises.
  assert(store:write_behind(schedule.WRITE_BEHIND_MS))
  local settle <close> = setmetatable({}, { __close = function() store:write_behind(0) end })
  local results = schedule.execute(repo, doc, yaml_rel, M.overrides.detach)
  local ok, err = store:write_behind(0)
  if not ok then error(err, 0) end
  if results == nil then
    io.stdout:write(("run %s submitted to %s; follow it with: zenml run wait %s\n"):format(doc.run_id,
      backend.name_in(doc.backends.orchestrator), doc.run_id))
    io.stdout:flush()
    local run = assert(repo:run(doc.run_id))
    M.finished[#M.finished + 1] = run
    return run
  end
  return M.conclude(repo, doc, results, started)
end

-- A run of a pipeline with `register = NAME` completed: its model becomes
-- the next version of NAME. The run stays completed if that fails.
local function register(repo, doc, run)
  local ok, v = pcall(require("zenml.registry").register, repo, doc.register, run.id,
    { message = ("registered by pipeline %s"):format(doc.name) })
  if ok then
    io.stdout:write(("registered %s version %d\n"):format(v.model, v.version))
    io.stdout:flush()
  else
    warn("run %s completed but was not registered as model '%s': %s", run.id, doc.register,
      tostring(v))
  end
end

--- Report a run's results, record its end and print its metrics; returns the Run.
function M.conclude(repo, doc, results, started, quiet)
  local status = quiet and M.status_of(results) or report(doc, results, started)
  repo:meta():run_finish(doc.run_id, status)
  hooks.run_ended(repo, doc, status, results)
  local run = assert(repo:run(doc.run_id))
  -- the same lines whether the run came from a script or a YAML
  local line = not quiet and require("zenml.output").metrics_line(run:metrics(), run.id,
    run:evaluated_split())
  if line then
    io.stdout:write(line, "\n")
    io.stdout:flush()
  end
  if status == "completed" and type(doc.register) == "string" then register(repo, doc, run) end
  M.finished[#M.finished + 1] = run
  return run
end

--- p:run(): resolve, record, execute.
function M.run_pipeline(p, opts)
  local repo = repo_or_fail()
  local doc = M.resolve(p, repo, opts)
  M.preflight(repo, doc)
  local rel = M.record(repo, doc)
  return M.execute(repo, doc, rel)
end

return M
