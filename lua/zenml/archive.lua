--- zenml.archive: reading archives (tar, tar.gz, tar.zst, zip, ...) entry by
--- entry, listing folders, and read-only SQLite queries, for datasources.
--- Unsafe entries (absolute paths, `..`, links) are reported, never written.
local core = require "zenml._core"
local check = require "zenml.check"

local ca = core.archive
local M = {}


--- Whether `path` names an archive (by its extension).
---@param path string
---@return boolean
function M.is_archive(path)
  check.arg("archive.is_archive", 1, "path", path, "string")
  return ca.detect(path)
end

--- Open an archive. limits: {max_bytes?, max_ratio?, ratio_floor?, max_entries?}.
---@param path string
---@param limits? table
---@return userdata|nil archive with :next() -> path, bytes, executable; :problems(); :close()
---@return string|nil message
function M.open(path, limits)
  check.args("archive.open", { { "path", path, "string" }, { "limits", limits, "table?" } })
  return ca.open(path, limits)
end

--- Regular files under a folder, sorted; links out of it are reported.
---@param folder string
---@return string[]|nil paths relative to the folder
---@return {what: string, problem: string}[]|string problems, or the message
function M.walk(folder)
  check.arg("archive.walk", 1, "folder", folder, "string")
  return ca.walk(folder)
end

--- A read-only query on a SQLite file, as a frame.
---@param path string
---@param sql string
---@return userdata|nil frame
---@return string|nil message
function M.query_sqlite(path, sql)
  check.args("archive.query_sqlite", { { "path", path, "string" }, { "sql", sql, "string" } })
  return ca.query_sqlite(path, sql)
end

return M
