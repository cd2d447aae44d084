--- zenml.hash: SHA-256 digests (64 lower-case hex characters, as sha256sum prints).
local core = require "zenml._core"
local check = require "zenml.check"

local M = {}


--- SHA-256 of a string's bytes.
---@param s string
---@return string digest 64 hex characters
function M.string(s)
  if type(s) ~= "string" then check.arg("zenml.hash.string", 1, "s", s, "string") end
  return core.hash.string(s)
end

--- SHA-256 of a file's bytes.
---@param path string
---@return string|nil digest 64 hex characters, or nil when the file cannot be read
---@return string|nil message why, naming the file
function M.file(path)
  check.arg("zenml.hash.file", 1, "path", path, "string")
  return core.hash.file(path)
end

--- SHA-256 of many files, spread over threads.
---@param paths string[] file paths
---@param threads? integer worker threads (default: one per core)
---@return string[]|nil digests in the order of `paths`, or nil on the first failure
---@return string|nil message why, naming the file
function M.files(paths, threads)
  check.args("zenml.hash.files", { { "paths", paths, "table" }, { "threads", threads, "integer?" } })
  return core.hash.files(paths, threads)
end

return M
