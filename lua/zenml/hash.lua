--- zenml.hash: SHA-256 digests (64 lower-case hex characters, as sha256sum prints).
local core = require "zenml._core"

local M = {}

local function expect(fname, what, value)
  error(string.format("zenml.hash.%s expects %s, got %s", fname, what, type(value)), 3)
end

--- SHA-256 of a string's bytes.
---@param s string
---@return string digest 64 hex characters
function M.string(s)
  if type(s) ~= "string" then expect("string", "a string", s) end
  return core.hash.string(s)
end

--- SHA-256 of a file's bytes.
---@param path string
---@return string|nil digest 64 hex characters, or nil when the file cannot be read
---@return string|nil message why, naming the file
function M.file(path)
  if type(path) ~= "string" then expect("file", "a path string", path) end
  return core.hash.file(path)
end

--- SHA-256 of many files, spread over threads.
---@param paths string[] file paths
---@param threads? integer worker threads (default: one per core)
---@return string[]|nil digests in the order of `paths`, or nil on the first failure
---@return string|nil message why, naming the file
function M.files(paths, threads)
  if type(paths) ~= "table" then expect("files", "a list of paths", paths) end
  if threads ~= nil and math.type(threads) ~= "integer" then
    expect("files", "an integer thread count", threads)
  end
  return core.hash.files(paths, threads)
end

return M
