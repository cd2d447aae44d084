--- The repository's `.zenml/config.yaml`: store settings and defaults.
local yaml = require "zenml.yaml"

local config = {}

--- Known keys, their defaults and how to check a value given on the command line.
config.keys = {
  { key = "stores.artifact", default = ".zenml/artifacts",
    doc = "artifact store folder (relative to the repository, or absolute)" },
  { key = "stores.metadata", default = "sqlite:.zenml/metadata.db",
    doc = "metadata store URL: sqlite:PATH (relative to the repository, or absolute), or mysql://[USER@]HOST[:PORT]/DATABASE (docs/metadata.md)" },
  { key = "defaults.backend", default = "local",
    doc = "orchestrator: local, parallel, slurm or a backend in backends/" },
  { key = "defaults.jobs", default = 1, type = "integer", doc = "steps run at once" },
  { key = "defaults.cache", default = true, type = "boolean", doc = "reuse cached step results" },
  { key = "registry.git_tags", default = false, type = "boolean",
    doc = "mirror model registrations and alias moves as annotated git tags (docs/registry.md)" },
}

--- Whether a metadata URL names a database server (mysql:// or mariadb://),
--- which `zenml init` and `config set` reach before writing anything.
function config.is_server(url)
  return url:match("^mysql://") ~= nil or url:match("^mariadb://") ~= nil
end

local function spec(key)
  for _, k in ipairs(config.keys) do
    if k.key == key then return k end
  end
end

local function known_keys()
  local names = {}
  for _, k in ipairs(config.keys) do names[#names + 1] = k.key end
  return table.concat(names, ", ")
end

--- A config table with every default filled in.
function config.defaults()
  local c = { version = 1 }
  for _, k in ipairs(config.keys) do config.set(c, k.key, k.default) end
  return c
end

--- Read `path`; missing keys take their defaults. Returns nil, message on a bad file.
function config.read(path)
  local data, err = yaml.read(path)
  if data == nil then return nil, err end
  if type(data) ~= "table" then return nil, path .. ": expected a mapping of settings" end
  local c = config.defaults()
  for _, k in ipairs(config.keys) do
    local v = config.get(data, k.key)
    if v ~= nil then config.set(c, k.key, v) end
  end
  if data.backends ~= nil then
    if type(data.backends) ~= "table" then
      return nil, path .. ": backends must be a map of NAME: {PARAM: VALUE}"
    end
    c.backends = data.backends
  end
  return c
end

--- The value at a dotted key, or nil.
function config.get(c, key)
  local node = c
  for part in key:gmatch("[^.]+") do
    if type(node) ~= "table" then return nil end
    node = node[part]
  end
  return node
end

--- Set a dotted key in a config table.
function config.set(c, key, value)
  local node, parts = c, {}
  for part in key:gmatch("[^.]+") do parts[#parts + 1] = part end
  for i = 1, #parts - 1 do
    node[parts[i]] = node[parts[i]] or {}
    node = node[parts[i]]
  end
  node[parts[#parts]] = value
end

-- A backend parameter's value from text, by its declared type.
local function backend_value(name, param, text, root)
  local backend = require "zenml.backend"
  local ok, cls = pcall(backend.class_named, name, root)
  if not ok then return nil, tostring(cls):gsub("^zenml: ", "") end
  local decl = require("zenml.params").spec(cls)[param]
  if not decl then
    local known = require("zenml.tables").sorted_keys(require("zenml.params").spec(cls))
    return nil, ("backend '%s' has no parameter '%s'; parameters are: %s%s"):format(name, param,
      #known > 0 and table.concat(known, ", ") or "(none)",
      require("zenml.errors").did_you_mean(param, known))
  end
  local v = text
  if decl.type == "integer" or decl.type == "number" then
    v = tonumber(text)
    if decl.type == "integer" then v = math.tointeger(v) end
  elseif decl.type == "boolean" then
    v = (text == "true" and true) or (text == "false" and false) or nil
  elseif decl.type == "list" then
    v = {}
    for part in text:gmatch("[^,]+") do v[#v + 1] = part end
  end
  if v == nil then v = text end
  local built, err = pcall(cls.new, cls, { [param] = v })
  if not built then return nil, tostring(err):gsub("^zenml: ", "") end
  return v
end

--- Check and convert a value given as text for `key`; nil, message when
--- wrong. `backends.NAME.PARAM` sets a parameter of backend NAME (a
--- built-in, or one in the repository `root`'s backends/) wherever it is
--- chosen by name.
function config.parse_value(key, text, root)
  local bname, bparam = key:match("^backends%.([%w_]+)%.([%w_]+)$")
  if bname then return backend_value(bname, bparam, text, root) end
  local s = spec(key)
  if not s then
    local names = {}
    for _, k in ipairs(config.keys) do names[#names + 1] = k.key end
    return nil, ("unknown setting '%s'; settings are: %s, backends.NAME.PARAM%s"):format(key, known_keys(),
      require("zenml.errors").did_you_mean(key, names))
  end
  if s.type == "integer" then
    local n = math.tointeger(tonumber(text))
    if not n or n < 1 then return nil, ("%s must be a whole number >= 1, got '%s'"):format(key, text) end
    return n
  elseif s.type == "boolean" then
    if text == "true" then return true elseif text == "false" then return false end
    return nil, ("%s must be true or false, got '%s'"):format(key, text)
  end
  if key == "stores.metadata" and not (text:match("^sqlite:.+") or config.is_server(text)) then
    return nil, ("stores.metadata must be sqlite:PATH or mysql://..., got '%s'"):format(text)
  end
  return text
end

--- The `backends.NAME.PARAM` settings of a config, as {key, value} sorted by key.
function config.backend_settings(c)
  local out = {}
  local tables = require "zenml.tables"
  for _, name in ipairs(tables.sorted_keys(c.backends or {})) do
    local b = c.backends[name]
    if type(b) == "table" then
      for _, param in ipairs(tables.sorted_keys(b)) do
        out[#out + 1] = { key = ("backends.%s.%s"):format(name, param), value = b[param] }
      end
    end
  end
  return out
end

--- Text of a config file (ordered, commented).
function config.format(c)
  local ordered = yaml.ordered
  local doc = ordered({
    version = 1,
    stores = ordered({ artifact = c.stores.artifact, metadata = c.stores.metadata },
      { "artifact", "metadata" }),
    defaults = ordered({ backend = c.defaults.backend, jobs = c.defaults.jobs,
      cache = c.defaults.cache }, { "backend", "jobs", "cache" }),
    -- written when set, so configs of repositories that never use it stay as they were
    registry = c.registry and c.registry.git_tags and ordered({ git_tags = true },
      { "git_tags" }) or nil,
    backends = c.backends and next(c.backends) and c.backends or nil,
  }, { "version", "stores", "defaults", "registry", "backends" })
  return "# zenml repository settings (zenml config list | get | set)\n" .. yaml.encode(doc)
end

return config
