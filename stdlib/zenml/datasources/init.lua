--- zenml.datasources: the datasource base class, the built-in types and the
--- registry of a repository's datasources (docs/datasources.md).
---
---     local iris = zenml.datasources.CSV { name = "iris", path = "data/iris.csv" }
---     print(iris.version.id, iris:read():nrow())
local datasource = require "zenml.datasource"
local errors = require "zenml.errors"

-- require(module) with the repository root on the module path (a run finds
-- it there through ./?.lua; the command line may run in a subfolder).
local function require_from(root, module)
  local saved = package.path
  package.path = ("%s/?.lua;%s/?/init.lua;%s"):format(root, root, saved)
  local ok, err = pcall(require, module)
  package.path = saved
  return ok, err
end

-- The class of a type that is not loaded yet, from the module its snapshot
-- recorded (or a module named as the type).
local function load_type(repo, name, type_name)
  local db = repo:meta()
  local module = db:property_get("datasource", name, "module")
  if module and module ~= "" then
    local ok, err = require_from(repo.root, module)
    if not ok then
      return nil, ("datasource '%s': cannot load module '%s' (type '%s'): %s"):format(
        name, module, type_name, tostring(err))
    end
  else
    pcall(require, type_name)
  end
  if datasource.types[type_name] then return datasource.types[type_name] end
  local file = db:property_get("datasource", name, "file")
  if file and file ~= "" then
    return nil, ("datasource '%s' has type '%s', defined in %s outside a module: move the class to "
      .. "a module (e.g. datasources/%s.lua, returning it) and require that, so commands can load it")
      :format(name, type_name, file, type_name:lower())
  end
  return nil, ("datasource '%s' has type '%s', which is not loaded: require the module that defines it")
    :format(name, type_name)
end

--- Rebuild a registered datasource from its type and config (no snapshot).
---@param repo table a Repository
---@param name string
---@return table|nil datasource
---@return string|nil message
local function load(repo, name)
  if type(repo) ~= "table" then error("datasources.load: expected a Repository, got " .. type(repo), 2) end
  if type(name) ~= "string" then error("datasources.load: expected a datasource name, got " .. type(name), 2) end
  local row = repo:meta():datasource(name)
  if not row then
    return nil, ("no datasource '%s'%s"):format(name,
      errors.did_you_mean(name, repo:meta():datasources()))
  end
  local cls, err = datasource.types[row.type], nil
  if not cls then cls, err = load_type(repo, name, row.type) end
  if not cls then return nil, err end
  local args = datasource.decode_json(row.config or "{}")
  args.name, args.repo, args.snapshot = name, repo, false
  return cls(args)
end

local M = {
  BaseDatasource = datasource.BaseDatasource,
  --- Rebuild a registered datasource by name: load(repo, name).
  load = load,
  --- Every datasource of a repository: list(repo).
  list = datasource.list,
  --- One datasource with its config and versions: show(repo, name).
  show = datasource.show,
  --- Register a type name for a class: register("mytype", MyType).
  register = datasource.register,
  types = datasource.types,
}

M.CSV = require "zenml.datasources.csv"
M.Files = require "zenml.datasources.files"
M.SQLite = require "zenml.datasources.sqlite"
M.JSONLines = require "zenml.datasources.jsonlines"

return M
