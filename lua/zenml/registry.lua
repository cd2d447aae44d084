--- zenml.registry: named models with numbered, immutable versions (each
--- the model, transform and schema of one training run), movable aliases
--- with an append-only history, tags, deprecation; optional git tags for
--- CI, and a repository hook (`hooks/registry.lua`) called on alias moves.
--- The rows live in the metadata store (zenml.meta's model_* methods);
--- this module checks names, resolves `NAME@VERSION|@ALIAS` and says what
--- went wrong in terms a user can act on. docs/registry.md describes it.
local core = require "zenml._core"
local errors = require "zenml.errors"

local M = {}

local NAME = "^[%w][%w_.%-]*$"
local ALIAS = "^[%a][%w_.%-]*$"
local MAX = 100

M.HOOK = "hooks/registry.lua"

--- Nil when `name` is a valid model name, else why not.
---@return string|nil
function M.check_name(name)
  if type(name) == "string" and #name <= MAX and name:match(NAME) then return nil end
  return ("a model name must be letters, digits, '_', '.', '-', starting with a letter or "
    .. "digit (at most %d characters), got %s"):format(MAX,
    type(name) == "string" and ("'%s'"):format(name) or type(name))
end

--- Nil when `alias` is a valid alias, else why not (a number is a version).
---@return string|nil
function M.check_alias(alias)
  if type(alias) == "string" and #alias <= MAX and alias:match(ALIAS) then return nil end
  return ("an alias must be letters, digits, '_', '.', '-', starting with a letter (a number "
    .. "is a version), got '%s'"):format(tostring(alias))
end

--- Split "NAME", "NAME@VERSION" (3 or v3) or "NAME@ALIAS".
---@param ref string
---@return table|nil ref {name, version?, alias?}
---@return string|nil err
function M.parse(ref)
  local bad = ("malformed model reference '%s': expected NAME, NAME@VERSION or NAME@ALIAS")
    :format(tostring(ref))
  if type(ref) ~= "string" then return nil, bad end
  local name, sel = ref:match("^([^@]*)@(.*)$")
  name = name or ref
  if M.check_name(name) then return nil, bad end
  if sel == nil then return { name = name } end
  local n = sel:match("^v?(%d+)$")
  if n then
    local v = math.tointeger(tonumber(n))
    if not v or v < 1 then return nil, bad end
    return { name = name, version = v }
  end
  if M.check_alias(sel) then return nil, bad end
  return { name = name, alias = sel }
end

--- Whether `s` is meant as a registry reference (it has an '@').
function M.is_ref(s)
  return type(s) == "string" and s:find("@", 1, true) ~= nil
end

local function names_of(rows, key)
  local out = {}
  for i, r in ipairs(rows) do out[i] = r[key] end
  return out
end

-- ", did you mean x?" or "; models are: a, b" (or how to make the first).
local function unknown_model(db, name)
  local known = names_of(db:models(), "name")
  if #known == 0 then
    return ("no model '%s': no model is registered yet (zenml model register NAME RUN)"):format(name)
  end
  local hint = errors.did_you_mean(name, known)
  if hint == "" then hint = "; models are: " .. table.concat(known, ", ") end
  return ("no model '%s'%s"):format(name, hint)
end

local function version_range(versions)
  if #versions == 1 then return "its only version is 1" end
  return ("its versions are 1 to %d"):format(#versions)
end

--- Resolve a reference (string or parsed) to a version row, with `alias`
--- set when it came through one. NAME alone is the newest version.
---@return table|nil version
---@return string|nil err
function M.resolve(db, ref)
  local r, perr = ref, nil
  if type(ref) == "string" then r, perr = M.parse(ref) end
  if not r then return nil, perr end
  local versions = db:model_versions(r.name)
  if not versions then return nil, unknown_model(db, r.name) end
  local n = r.version
  if r.alias then
    local aliases = db:model_aliases(r.name)
    for _, a in ipairs(aliases) do
      if a.alias == r.alias then n = a.version end
    end
    if not n then
      local known = names_of(aliases, "alias")
      local hint = #known == 0 and ("; it has no aliases (zenml model alias %s VERSION ALIAS)")
        :format(r.name) or errors.did_you_mean(r.alias, known)
      if hint == "" then hint = "; its aliases are: " .. table.concat(known, ", ") end
      return nil, ("model '%s' has no alias '%s'%s"):format(r.name, r.alias, hint)
    end
  end
  n = n or #versions
  local v = versions[n]
  if not v then
    return nil, ("model '%s' has no version %d; %s"):format(r.name, n, version_range(versions))
  end
  v.alias = r.alias
  return v
end

--- "user@host", for who registered a version or moved an alias.
function M.who()
  local user = os.getenv("USER") or os.getenv("LOGNAME")
  if not user or user == "" then
    local p = io.popen("id -un 2>/dev/null")
    user = p and p:read("l")
    if p then p:close() end
  end
  return (user and user ~= "" and user or "unknown") .. "@" .. (core.sys.hostname() or "unknown")
end

-- The artifacts a version points at, from run `run`'s step `step`: its
-- `model` output, the `transform` it was trained with (its input, else a
-- preprocesser's output) and a `schema` output of any step.
local function artifacts_of(db, run, step)
  local model, transform, schema, pre
  for _, a in ipairs(db:run_artifacts(run)) do
    if a.step == step and a.kind == "output" and a.name == "model" then model = a.id end
    if a.step == step and a.kind == "input" and a.name == "transform" then transform = a.id end
    if a.kind == "output" and a.name == "transform" and not pre then pre = a.id end
    if a.kind == "output" and a.name == "schema" and not schema then schema = a.id end
  end
  return model, transform or pre, schema
end

-- "name@version" of the datasource the run's YAML records, or nil.
local function datasource_of(repo, run)
  if not run.yaml_path then return nil end
  local ok, doc = pcall(require("zenml.engine.doc").load, repo.root .. "/" .. run.yaml_path)
  local ds = ok and type(doc.datasource) == "table" and doc.datasource or nil
  if ds and ds.name and ds.version then return ("%s@%s"):format(ds.name, ds.version) end
end

--- Parse "key=value" tags; raises a user error for a malformed one.
---@param list string[]
---@return {[1]: string, [2]: string}[]
function M.parse_tags(list)
  local out = {}
  for _, t in ipairs(list or {}) do
    local k, v = tostring(t):match("^([%w_.%-]+)=(.*)$")
    if not k then errors.user("a tag must be KEY=VALUE (KEY: letters, digits, '_', '.', '-'), got '%s'", t) end
    out[#out + 1] = { k, v }
  end
  return out
end

local function git_tags_on(repo, opts)
  if opts.git_tag ~= nil then return opts.git_tag end
  local reg = repo.config.registry
  return type(reg) == "table" and reg.git_tags == true
end

local function sh_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- An annotated git tag `tag` on `commit` (HEAD when nil); a warning, never
-- an error, when git refuses: the registry row is what counts.
local function git_tag(repo, tag, commit, message)
  local cmd = ("git -C %s tag -a %s %s -m %s 2>&1"):format(sh_quote(repo.root), sh_quote(tag),
    commit and sh_quote(commit) or "", sh_quote(message))
  local p = io.popen(cmd)
  local out = p:read("a")
  local ok = p:close()
  if not ok then
    io.stderr:write(("zenml: warning: git tag %s: %s\n"):format(tag,
      (out:gsub("%s+$", ""):gsub("\n", "; "))))
  end
  return ok
end

--- Register run `run_ref`'s model as the next version of model `name`.
---@param opts? {step?: string, message?: string, tags?: string[], git_tag?: boolean}
---@return table version the new version's row
function M.register(repo, name, run_ref, opts)
  opts = opts or {}
  local bad = M.check_name(name)
  if bad then errors.user("%s", bad) end
  local tags = M.parse_tags(opts.tags)
  local run, err = repo:run(run_ref)
  if not run then errors.user("%s", err) end
  local step = opts.step or "trainer"
  if run.status ~= "completed" then
    errors.user("run %s is %s: only a completed run's model can be registered", run.id, run.status)
  end
  local db = repo:meta()
  local model, transform, schema = artifacts_of(db, run.id, step)
  if not model then
    errors.user("run %s has no step '%s' with a `model` output (--step names the trainer)",
      run.id, step)
  end
  local version = db:transaction(function()
    local n = db:model_register { model = name, run = run.id, step = step,
      model_artifact = model, transform_artifact = transform, schema_artifact = schema,
      yaml_path = run.yaml_path, datasource_version = datasource_of(repo, run),
      message = opts.message, created_by = M.who() }
    for _, t in ipairs(tags) do assert(db:model_tag_set(name, n, t[1], t[2])) end
    return n
  end)
  if git_tags_on(repo, opts) then
    git_tag(repo, ("%s@v%d"):format(name, version), run.git_commit,
      ("model %s version %d: run %s%s"):format(name, version, run.id,
        opts.message and (": " .. opts.message) or ""))
  end
  return assert(db:model_version(name, version))
end

-- A version that must exist, with a message that says which do.
local function existing_version(db, name, version)
  local versions = db:model_versions(name)
  if not versions then errors.user("%s", unknown_model(db, name)) end
  local n = math.tointeger(tonumber(tostring(version):match("^v?(%d+)$")))
  if not n then errors.user("a version is a number (3 or v3), got '%s'", tostring(version)) end
  if not versions[n] then
    errors.user("model '%s' has no version %d; %s", name, n, version_range(versions))
  end
  return versions[n]
end
M.existing_version = existing_version

--- Set tag key=value on a version.
function M.tag(repo, name, version, tag)
  local db = repo:meta()
  local v = existing_version(db, name, version)
  local t = M.parse_tags({ tag })[1]
  assert(db:model_tag_set(name, v.version, t[1], t[2]))
  return v
end

--- Deprecate a version: aliases can no longer move to it.
function M.deprecate(repo, name, version)
  local db = repo:meta()
  local v = existing_version(db, name, version)
  assert(db:model_deprecate(name, v.version))
  return v
end

-- The hook file's bytes and its pin (path@git blob), or nil when there is none.
local function hook_source(repo)
  local f = io.open(repo.root .. "/" .. M.HOOK, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text, M.HOOK .. "@" .. require("zenml.git").hash_blob(text)
end

local function warn_hook(msg)
  io.stderr:write(("zenml: warning: %s: on_alias failed: %s; the alias moved all the same\n")
    :format(M.HOOK, tostring(msg)))
end

-- Run the hook's on_alias(event) with the bytes that were pinned; anything
-- it raises is a warning.
local function run_hook(text, event)
  local chunk, lerr = load(text, "@" .. M.HOOK, "t")
  if not chunk then return warn_hook(lerr) end
  local ok, hooks = pcall(chunk)
  if not ok then return warn_hook(hooks) end
  if type(hooks) ~= "table" or hooks.on_alias == nil then return end
  if type(hooks.on_alias) ~= "function" then
    return warn_hook(("on_alias must be a function, got %s"):format(type(hooks.on_alias)))
  end
  local fine, err = pcall(hooks.on_alias, event)
  if not fine then warn_hook(err) end
end

--- Point `alias` of model `name` at `version`, record the move with
--- `reason`, then mirror it as a git tag (when asked) and call the
--- repository's on_alias hook. Returns the event {name, alias, from, to,
--- reason, who}.
---@param opts? {reason?: string, git_tag?: boolean}
function M.alias(repo, name, version, alias, opts)
  opts = opts or {}
  local bad = M.check_alias(alias)
  if bad then errors.user("%s", bad) end
  local db = repo:meta()
  local v = existing_version(db, name, version)
  if v.deprecated then
    errors.user("version %d of model '%s' is deprecated; an alias cannot point at it", v.version,
      name)
  end
  local text, pin = hook_source(repo)
  if text and repo:git():status(M.HOOK) ~= "clean" then
    io.stderr:write(("zenml: warning: %s has uncommitted changes; the alias history records "
      .. "the git blob of the bytes that ran, which git has only once they are committed\n")
      :format(M.HOOK))
  end
  local event = { name = name, alias = alias, to = v.version, reason = opts.reason, who = M.who() }
  local from, err = db:model_alias_set { model = name, alias = alias, to = v.version,
    reason = opts.reason, who = event.who, hook = pin }
  if not from then errors.user("%s", err) end
  if from > 0 then event.from = from end
  if git_tags_on(repo, opts) then
    local moves = db:model_alias_history(name, alias)
    local run = repo:meta():run(v.run)
    git_tag(repo, ("%s#%s#%d"):format(name, alias, #moves), run and run.git_commit,
      ("model %s: %s -> version %d%s"):format(name, alias, v.version,
        opts.reason and (": " .. opts.reason) or ""))
  end
  if text then run_hook(text, event) end
  return event
end

--- Metrics of a version's run: name -> value.
function M.metrics(repo, v)
  local out = {}
  for _, m in ipairs(repo:meta():metrics(v.run)) do out[m.name] = m.value end
  return out
end

--- A version with its tags (key -> value) and the aliases naming it.
function M.details(repo, v)
  local db = repo:meta()
  v.tags, v.aliases = {}, {}
  for _, t in ipairs(db:model_tags(v.model) or {}) do
    if t.version == v.version then v.tags[t.key] = t.value end
  end
  for _, a in ipairs(db:model_aliases(v.model) or {}) do
    if a.version == v.version then v.aliases[#v.aliases + 1] = a.alias end
  end
  v.metrics = M.metrics(repo, v)
  return v
end

-- What zenml.model returns ---------------------------------------------------

local ModelVersion = {}
ModelVersion.__index = ModelVersion
ModelVersion.__name = "zenml.ModelVersion"

function ModelVersion:__tostring()
  return ("<Model %s@%d%s run %s>"):format(self.name, self.version,
    self.alias and (" (" .. self.alias .. ")") or "", self.run)
end

--- Predictions of this version on a frame, as `zenml predict` makes them.
---@param data userdata a frame with the training data's feature columns
---@return userdata frame the data's columns, prediction and p_<class> columns
function ModelVersion:predict(data)
  local store = self._repo:store()
  local model = assert(store:read(self.artifacts.model))
  local transform = self.artifacts.transform and assert(store:read(self.artifacts.transform))
  return require("zenml.steps.inferrer").predict(model, transform, data, true)
end

--- A version as an object (zenml.model), or nil and a message.
function M.open(repo, ref)
  local v, err = M.resolve(repo:meta(), ref)
  if not v then return nil, err end
  M.details(repo, v)
  return setmetatable({ _repo = repo, name = v.model, version = v.version, alias = v.alias,
    run = v.run, step = v.step, metrics = v.metrics, tags = v.tags, aliases = v.aliases,
    artifacts = { model = v.model_artifact, transform = v.transform_artifact,
      schema = v.schema_artifact },
    yaml_path = v.yaml_path, datasource_version = v.datasource_version, message = v.message,
    created = v.created, created_by = v.created_by, deprecated = v.deprecated }, ModelVersion)
end

return M
