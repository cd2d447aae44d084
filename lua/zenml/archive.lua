--- zenml.archive: reading archives (tar, tar.gz, tar.zst, zip, ...) entry by
--- entry, listing folders, and read-only SQLite queries, for datasources.
--- Unsafe entries (absolute paths, `..`, links) are reported, never written.
local core = require "zenml._core"

local ca = core.archive
local M = {}

local function fail(fn, expected, value)
  error(("%s: expected %s, got %s"):format(fn, expected, type(value)), 3)
end

--- Whether `path` names an archive (by its extension).
---@param path string
---@return boolean
function M.is_archive(path)
  if type(path) ~= "string" then fail("archive.is_archive", "a file path (string)", path) end
  return ca.detect(path)
end

--- Open an archive. limits: {max_bytes?, max_ratio?, ratio_floor?, max_entries?}.
---@param path string
---@param limits? table
---@return userdata|nil archive with :next() -> path, bytes, executable; :problems(); :close()
---@return string|nil message
function M.open(path, limits)
  if type(path) ~= "string" then fail("archive.open", "a file path (string)", path) end
  if limits ~= nil and type(limits) ~= "table" then fail("archive.open", "a limits table", limits) end
  return ca.open(path, limits)
end

--- Regular files under a folder, sorted; links out of it are reported.
---@param folder string
---@return string[]|nil paths relative to the folder
---@return {what: string, problem: string}[]|string problems, or the message
function M.walk(folder)
  if type(folder) ~= "string" then fail("archive.walk", "a folder path (string)", folder) end
  return ca.walk(folder)
end

--- A read-only query on a SQLite file, as a frame.
---@param path string
---@param sql string
---@return userdata|nil frame
---@return string|nil message
function M.query_sqlite(path, sql)
  if type(path) ~= "string" then fail("archive.query_sqlite", "a file path (string)", path) end
  if type(sql) ~= "string" then fail("archive.query_sqlite", "a query (string)", sql) end
  return ca.query_sqlite(path, sql)
end

return M
