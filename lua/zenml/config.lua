--- The repository's `.zenml/config.yaml`: store settings and defaults.
local yaml = require "zenml.yaml"

local config = {}

--- Known keys, their defaults and how to check a value given on the command line.
config.keys = {
  { key = "stores.artifact", default = ".zenml/artifacts",
    doc = "artifact store folder (relative to the repository, or absolute)" },
  { key = "stores.metadata", default = "sqlite:.zenml/metadata.db",
    doc = "metadata store URL: sqlite:PATH (relative to the repository, or absolute), or mysql://[USER@]HOST[:PORT]/DATABASE (docs/metadata.md)" },
  { key = "defaults.backend", default = "local", doc = "orchestrator: local or parallel" },
  { key = "defaults.jobs", default = 1, type = "integer", doc = "steps run at once" },
  { key = "defaults.cache", default = true, type = "boolean", doc = "reuse cached step results" },
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

--- Check and convert a value given as text for `key`; nil, message when wrong.
function config.parse_value(key, text)
  local s = spec(key)
  if not s then
    local names = {}
    for _, k in ipairs(config.keys) do names[#names + 1] = k.key end
    return nil, ("unknown setting '%s'; settings are: %s%s"):format(key, known_keys(),
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

--- Text of a config file (ordered, commented).
function config.format(c)
  local ordered = yaml.ordered
  local doc = ordered({
    version = 1,
    stores = ordered({ artifact = c.stores.artifact, metadata = c.stores.metadata },
      { "artifact", "metadata" }),
    defaults = ordered({ backend = c.defaults.backend, jobs = c.defaults.jobs,
      cache = c.defaults.cache }, { "backend", "jobs", "cache" }),
  }, { "version", "stores", "defaults" })
  return "# zenml repository settings (zenml config list | get | set)\n" .. yaml.encode(doc)
end

return config
