--- SQLite { name, path, query }: the result of a read-only query on a SQLite
--- file. The content is the database file's bytes plus the query.
local datasource = require "zenml.datasource"
local archive = require "zenml.archive"

local SQLite = datasource.BaseDatasource:extend("SQLite")
datasource.register("sqlite", SQLite)
SQLite.arguments = { path = "path", query = "string" }

function SQLite:sources()
  local p = self:resolve(self:config().path)
  local kind = self:path_kind(p)
  if kind == "other" then self:fail(("%s: not a regular file"):format(self:config().path)) end
  if kind ~= "file" then self:fail(("%s: no such file"):format(self:config().path)) end
  return { p }
end

function SQLite:read()
  local p = self:sources()[1]
  local f, err = archive.query_sqlite(p, self:config().query)
  if not f then self:fail(err) end
  self.note = f:note()
  return f
end

return SQLite
