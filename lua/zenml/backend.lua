--- Backends: where a pipeline's steps run. An orchestrator (per pipeline)
--- decides where and when each step runs; a training or processing backend
--- (per step) runs one step somewhere else while the orchestrator waits for
--- it. Backends are classes like steps, with typed, validated parameters; the
--- built-ins live in stdlib/zenml/backends/, a repository's own in its
--- backends/ folder. A run's YAML records each backend's class, module,
--- source pin and full parameters, so a re-run loads the same code.
local class = require "zenml.class"
local errors = require "zenml.errors"
local params = require "zenml.params"
local tables = require "zenml.tables"

local M = {}

--- The roles a backend can play.
M.roles = { "orchestrator", "processing", "training" }

--- Built-in backends by name.
M.builtin = {
  ["local"] = "zenml.backends.local",
  parallel = "zenml.backends.parallel",
  slurm = "zenml.backends.slurm",
  slurm_array = "zenml.backends.slurm_array",
  threads = "zenml.backends.threads",
}

local Backend = class.Object:extend("Backend")
M.Backend = Backend
Backend.params = {}
Backend.roles = {}

--- `Backend { param = value, ... }`: every parameter checked against the
--- class's `params`. The parameters given (not defaulted) are remembered, so
--- that the repository's configured defaults can fill in the rest.
function Backend:init(args)
  self.params = params.build(getmetatable(self), args)
  local given = {}
  for k in pairs(args or {}) do given[k] = true end
  self._given = given
  self:configure()
end

--- Hook called after the parameters are checked.
function Backend:configure() end

--- The parameters as a run's YAML records them for a step of `n` attempts
--- (docs/pipelines.md, "Retries, timeouts, hooks"): a parameter given as a
--- function of the attempt (the Slurm backend's `mem`) becomes the list of
--- its values for attempts 1..n, each passed through `self:limit(name, v)`
--- (a cap, and the parameter's check) when the class has one.
---@param n integer
---@return table params
function Backend:for_attempts(n)
  local out, copied = self.params, false
  for k, v in pairs(self.params) do
    if type(v) == "function" then
      if not copied then
        out, copied = {}, true
        for k2, v2 in pairs(self.params) do out[k2] = v2 end
      end
      local list = {}
      for attempt = 1, math.max(n or 1, 1) do
        local ok, value = pcall(v, attempt)
        if not ok then
          errors.user("%s: parameter '%s': the function raised for attempt %d: %s",
            getmetatable(self).__name, k, attempt, tostring(value))
        end
        list[attempt] = self.limit and self:limit(k, value) or value
      end
      out[k] = list
    end
  end
  return out
end

--- As a processing backend: how many workers a step's data work gets
--- (nil: the kernels' own defaults, as the local backend leaves them).
function Backend:worker_count() return nil end

--- As a processing backend: the threads the data kernels of a step get in
--- the process that runs it (nil: their own defaults). Threads gives its
--- workers; a backend whose workers are elsewhere (a job array) gives nil.
function Backend:kernel_threads() return self:worker_count() end

--- As a processing backend: whether it can shard work cut `by` ("rows",
--- "columns", "byte ranges"); a step whose work it cannot shard runs whole.
function Backend:can_shard(by) return by ~= nil end

--- Whether this backend can play `role`.
function Backend:can(role)
  return getmetatable(self).roles[role] == true
end

--- The name `--backend` and `backends.<name>.*` settings use: the last part
--- of the class's module (`zenml.backends.slurm` -> `slurm`).
function Backend:backend_name()
  return M.name_of(getmetatable(self))
end

function Backend:__tostring()
  return ("<%s backend>"):format(getmetatable(self).__name)
end

function M.name_of(cls)
  local module = rawget(cls, "__module") or cls.__module
  return type(module) == "string" and (module:match("([^.]+)$")) or cls.__name:lower()
end

--- The base of orchestrators: `run(plan)` runs a plan's steps and returns
--- their results (docs/backends.md, "Writing a backend").
local BaseOrchestrator = Backend:extend("BaseOrchestrator")
M.BaseOrchestrator = BaseOrchestrator
BaseOrchestrator.roles = { orchestrator = true }

function BaseOrchestrator:run(plan)
  errors.user("%s does not implement run(plan)", getmetatable(self).__name)
end

--- The base of processing backends (where a step's data work runs).
local BaseProcessingBackend = Backend:extend("BaseProcessingBackend")
M.BaseProcessingBackend = BaseProcessingBackend
BaseProcessingBackend.roles = { processing = true }

--- The base of training backends: `run_step(job, name)` runs one step of a
--- run elsewhere and returns once it ended (see docs/backends.md).
local BaseTrainingBackend = Backend:extend("BaseTrainingBackend")
M.BaseTrainingBackend = BaseTrainingBackend
BaseTrainingBackend.roles = { training = true }

function BaseTrainingBackend:run_step(job, name)
  errors.user("%s does not implement run_step(job, name)", getmetatable(self).__name)
end

local function is_backend_class(v)
  return type(v) == "table" and type(v.is_a) == "function" and v ~= Backend
    and v ~= BaseOrchestrator and v ~= BaseProcessingBackend and v ~= BaseTrainingBackend
    and v:is_a(Backend)
end

--- The backend classes a module returned (a class, or a table of them).
function M.classes_in(mod)
  local out = {}
  if is_backend_class(mod) then out[1] = mod; return out end
  if type(mod) == "table" then
    for _, k in ipairs(tables.sorted_keys(mod)) do
      if is_backend_class(mod[k]) then out[#out + 1] = mod[k] end
    end
  end
  return out
end

-- The backend modules of a repository's backends/ folder, by name.
function M.repository_names(root)
  local out = {}
  if not root then return out end
  local p = io.popen("ls -1 '" .. (root .. "/backends"):gsub("'", "'\\''") .. "' 2>/dev/null")
  for file in p:lines() do
    local name = file:match("^([%w_]+)%.lua$")
    if name then out[#out + 1] = name end
  end
  p:close()
  table.sort(out)
  return out
end

--- Every backend name: built-ins, then the repository's.
function M.names(root)
  local out = tables.sorted_keys(M.builtin)
  for _, n in ipairs(M.repository_names(root)) do
    if not M.builtin[n] then out[#out + 1] = n end
  end
  table.sort(out)
  return out
end

--- The class of backend `name` (built-in or from the repository's backends/).
function M.class_named(name, root)
  local module = M.builtin[name]
  if not module then
    for _, n in ipairs(M.repository_names(root)) do
      if n == name then module = n end
    end
  end
  if not module then
    local known = M.names(root)
    errors.user("unknown backend '%s'; backends are: %s%s", tostring(name),
      table.concat(known, ", "), errors.did_you_mean(tostring(name), known))
  end
  local ok, mod = xpcall(require, errors.handler, module)
  if not ok then errors.user("backend '%s': cannot load module '%s': %s", name, module, mod) end
  local found = M.classes_in(mod)
  if #found ~= 1 then
    errors.user("backend '%s': module '%s' must return one backend class (a subclass of "
      .. "zenml.backends.BaseOrchestrator, BaseProcessingBackend or BaseTrainingBackend), found %d",
      name, module, #found)
  end
  return found[1]
end

-- The settings `backends.<name>.*` of the repository's config, laid under
-- the parameters a backend was given.
local function with_settings(obj, settings)
  if type(settings) ~= "table" or next(settings) == nil then return obj end
  local cls = getmetatable(obj)
  local args = {}
  for k, v in pairs(settings) do args[k] = v end
  for k in pairs(obj._given) do args[k] = obj.params[k] end
  local made = cls(args)
  made._given = obj._given
  return made
end

--- A backend for `role` from what a user wrote: a name ("slurm") or a
--- backend object (`zenml.backends.Slurm { ... }`). `cfg` is the repository's
--- config (its `backends.<name>` settings fill parameters not given).
--- `where` prefixes a message.
function M.resolve(spec, role, cfg, root, where)
  local obj
  if type(spec) == "string" then
    obj = M.class_named(spec, root)({})
  elseif type(spec) == "table" and rawget(spec, "_given") ~= nil and type(spec.is_a) == "function"
      and spec:is_a(Backend) then
    obj = spec
  elseif is_backend_class(spec) then
    errors.user("%s: backend %s is a class; give an object: %s { ... }", where, spec.__name, spec.__name)
  else
    errors.user("%s: expected a backend name or object (zenml.backends.X { ... }), got %s", where,
      params.describe(spec))
  end
  if not obj:can(role) then
    local able = {}
    for _, n in ipairs(M.names(root)) do
      local ok, cls = pcall(M.class_named, n, root)
      if ok and cls.roles[role] then able[#able + 1] = n end
    end
    errors.user("%s: backend %s cannot be %s %s backend; %s backends are: %s", where,
      getmetatable(obj).__name, role == "orchestrator" and "an" or "a", role, role,
      table.concat(able, ", "))
  end
  local settings = cfg and cfg.backends and cfg.backends[obj:backend_name()]
  return with_settings(obj, settings)
end

--- Check what a user wrote for a backend where it is written (a pipeline's
--- or a step's options): a known name, or a backend object that can play
--- `role`. Raises a user error prefixed with `where`; the object itself is
--- built when the run is resolved.
function M.check(spec, role, where)
  local root = require("zenml.repo").find_root()
  if type(spec) == "string" and not M.builtin[spec] then
    -- only a name that is not built in needs the repository's backends/ listed
    local known, found = M.names(root), false
    for _, n in ipairs(known) do found = found or n == spec end
    if not found then
      errors.user("%s: unknown backend '%s'; backends are: %s%s", where, spec,
        table.concat(known, ", "), errors.did_you_mean(spec, known))
    end
  end
  M.resolve(spec, role, nil, root, where)
end

--- The YAML entry of a backend: name, class, module, source pin, parameters
--- (for a step of `attempts` attempts, see Backend:for_attempts).
--- `pin(module)` pins a module (and records its sources) and returns its pin.
function M.entry(obj, pin, attempts)
  local cls = getmetatable(obj)
  local module = cls.__module
  if not module then
    errors.user("backend %s is not defined in a module (it was defined in %s); move it to "
      .. "backends/<name>.lua, so runs can load it again", cls.__name, tostring(cls.__file))
  end
  local yaml = require "zenml.yaml"
  return yaml.ordered({ name = obj:backend_name(), class = cls.__name, module = module,
    source = pin(module), params = obj:for_attempts(attempts or 1) },
    { "name", "class", "module", "source", "params" })
end

--- The backend object a YAML entry records (its module loaded from the pin
--- the document's sources serve). An entry may be a plain name, as YAML
--- files written before backends were classes say ("local", "parallel").
function M.from_entry(entry, where)
  if type(entry) == "string" then
    local ok, cls = pcall(M.class_named, entry, require("zenml.repo").find_root())
    if not ok then errors.user("%s: %s", where, tostring(cls)) end
    return cls({})
  end
  if type(entry) ~= "table" or type(entry.module) ~= "string" or type(entry.class) ~= "string" then
    errors.user("%s: a backend must be a name or a map {name, class, module, source, params}", where)
  end
  local ok, mod = xpcall(require, errors.handler, entry.module)
  if not ok then
    errors.user("%s: cannot load backend module '%s': %s", where, entry.module, mod)
  end
  local cls
  for _, c in ipairs(M.classes_in(mod)) do
    if c.__name == entry.class then cls = c end
  end
  if not cls then
    errors.user("%s: backend class %s not found in module '%s'", where, entry.class, entry.module)
  end
  local built, obj = pcall(cls.new, cls, entry.params or {})
  if not built then errors.user("%s: %s", where, tostring(obj)) end
  return obj
end

--- The name of the backend a YAML entry records ("slurm").
function M.name_in(entry)
  if type(entry) == "table" then return tostring(entry.name or entry.class) end
  return tostring(entry)
end

--- Whether a YAML entry names the plain local backend (nothing to delegate).
function M.is_local(entry)
  if entry == nil or entry == "local" then return true end
  return type(entry) == "table" and entry.module == M.builtin["local"]
end

return M
