--- zenml.datasources: the datasource base class, the built-in types and the
--- registry of a repository's datasources (docs/datasources.md).
---
---     local iris = zenml.datasources.CSV { name = "iris", path = "data/iris.csv" }
---     print(iris.version.id, iris:read():nrow())
local datasource = require "zenml.datasource"

local M = {
  BaseDatasource = datasource.BaseDatasource,
  --- Rebuild a registered datasource by name: load(repo, name).
  load = datasource.load,
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
