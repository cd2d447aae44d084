--- `zenml run pipelines/x.yaml`: check a recorded run's YAML the way the
--- Lua constructors check a pipeline, then run it again from the file
--- alone, with the pinned sources and datasource version: a new run with
--- its own YAML.
local core = require "zenml._core"
local yaml = require "zenml.yaml"
local names = require "zenml.names"
local backend = require "zenml.backend"
local sources = require "zenml.sources"
local pipeline = require "zenml.pipeline"
local runner = require "zenml.runner"
local set_overrides = require "zenml.overrides"
local docs = require "zenml.engine.doc"
local classes = require "zenml.engine.classes"
local hooks = require "zenml.engine.hooks"

local M = {}

local function names_sorted(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = tostring(k) end
  table.sort(out)
  return out
end

-- Drop the "file.lua:12: " a constructor's error names: the mistake is in the YAML.
local function strip_where(e)
  e = tostring(e)
  return e:gsub("^[^\n:]+%.lua:%d+: ", "", 1)
end

--- Check a run document the way the Lua constructors check a pipeline: the
--- same names, options, parameters, types and wiring, with the same
--- messages, prefixed with the file. Needs the document's sources installed.
function M.check_doc(doc, path)
  local function try(f, ...)
    local ok, v = pcall(f, ...)
    if not ok then error(("%s: %s"):format(path, strip_where(v)), 0) end
    return v
  end
  local options, backends = doc.options or {}, doc.backends or {}
  if type(options) ~= "table" or type(backends) ~= "table" or options[1] ~= nil or backends[1] ~= nil then
    error(("%s: options and backends must be maps"):format(path), 0)
  end
  if options.cache ~= nil and type(options.cache) ~= "boolean" then
    error(("%s: options.cache must be true or false, got %s"):format(path, tostring(options.cache)), 0)
  end
  -- a step of zenml's own library recorded by another release runs this release's code
  local warned = {}
  for _, name in ipairs(names_sorted(doc.steps)) do
    local s = doc.steps[name]
    local release = tostring(s.source or ""):match("@zenml%-(.+)$")
    if release and release ~= core.version and not warned[release] then
      warned[release] = true
      io.stderr:write(("zenml: warning: %s: step '%s' was recorded by zenml %s; this is zenml %s, whose"
        .. " library steps may give other results\n"):format(path, tostring(name), release, core.version))
    end
  end
  local p = try(pipeline.Pipeline, { name = doc.name, jobs = options.jobs,
    enable_cache = options.cache, keep_going = options.keep_going,
    on_failure = options.on_failure, on_success = options.on_success })
  for _, hook in ipairs(hooks.names) do
    if p[hook] then try(hooks.resolve, p[hook], ("pipeline '%s': %s"):format(doc.name, hook)) end
  end
  for _, role in ipairs(backend.roles) do
    if backends[role] ~= nil then try(backend.from_entry, backends[role], "backends." .. role) end
  end
  for _, name in ipairs(yaml.keys(doc.steps)) do
    local bad = names.check("step", name)
    if bad then error(("%s: step %s"):format(path, bad), 0) end
    local s = doc.steps[name]
    if s.inputs ~= nil and type(s.inputs) ~= "table" then
      error(("%s: step '%s': inputs must be a map of input = \"step.output\""):format(path, name), 0)
    end
    for _, role in ipairs({ "training", "processing" }) do
      if s[role] ~= nil then
        try(backend.from_entry, s[role], ("step '%s': %s"):format(name, role))
      end
    end
    local step = try(classes.instantiate, doc, name)
    for _, hook in ipairs(hooks.names) do
      if s[hook] then try(hooks.resolve, s[hook], ("step '%s': %s"):format(name, hook)) end
    end
    try(p.add, p, name, step, s.inputs)
  end
  try(p.validate, p)
  return p
end

--- A re-run's orchestrator from the command line: `-j N` runs it on N
--- threads, `--backend NAME` there (the repository's backends.NAME settings
--- apply). `--backend local` (or -j 1) also runs every step here, whatever
--- training or processing backend the recorded run gave it.
function M.choose_backend(repo, doc, name, jobs)
  if not name and not jobs then return end
  local runner_pin = runner.pinner(repo, doc)
  if jobs then doc.options.jobs = jobs end
  name = name or (jobs > 1 and "parallel" or "local")
  local orch = backend.resolve(name, "orchestrator", repo.config, repo.root, "--backend")
  if orch:backend_name() == "parallel" and jobs then
    orch = getmetatable(orch)({ jobs = math.max(jobs, 2) })
  end
  local entries = runner.backends_entry(orch, runner_pin)
  if orch:backend_name() ~= "local" then
    entries.processing, entries.training = doc.backends.processing, doc.backends.training
  else
    for _, s in pairs(doc.steps) do s.training, s.processing = nil, nil end
  end
  doc.backends = entries
end

--- Run the recorded pipeline at `path` again; returns the Run.
function M.rerun(path, opts)
  local repo = runner.open_repo()
  local old = docs.load(path)
  sources.install_pins(repo, old.sources)
  M.check_doc(old, path)
  local overrides = runner.overrides
  local doc = yaml.decode(yaml.encode(old), path)
  set_overrides.apply_doc(doc, overrides.set, classes.class_of)
  doc.run_id = runner.new_run_id()
  doc.created = runner.iso_time(core.sys.time())
  doc.git = runner.git_state(repo)
  doc.rerun_of = old.run_id
  local keys = yaml.keys(old)
  if old.rerun_of == nil then keys[#keys + 1] = "rerun_of" end
  doc = yaml.ordered(doc, keys)
  if overrides.no_cache or opts.no_cache then doc.options.cache = false end
  M.choose_backend(repo, doc, overrides.backend, overrides.jobs or opts.jobs)
  runner.preflight(repo, doc)
  local rel = runner.record(repo, doc)
  return runner.execute(repo, doc, rel)
end

return M
