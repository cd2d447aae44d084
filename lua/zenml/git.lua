--- zenml.git: the git repository a project lives in (libgit2 underneath).
--- Paths are relative to the work tree root; object ids are 40 hex digits.
local core = require "zenml._core"
local check = require "zenml.check"

local M = {}

---@class zenml.GitRepo
---@field root fun(self): string absolute work tree root, no trailing slash
---@field head fun(self): string|nil HEAD commit id, nil before the first commit
---@field branch fun(self): string|nil branch name (also before the first commit), nil when detached
---@field dirty fun(self): boolean anything staged, modified, or untracked and not ignored
---@field dirty_paths fun(self): string[] every dirty path, untracked folders expanded
---@field status fun(self, path: string): string|nil, string? "clean", "modified", "staged", "untracked" or "ignored"; nil and a message when git knows no such path
---@field blob_sha fun(self, path: string): string|nil, string? blob id of `path` in HEAD's tree
---@field workfile_sha fun(self, path: string): string|nil, string? blob id of the working copy (`git hash-object`)
---@field read_blob fun(self, sha: string): string|nil, string? bytes of a blob
---@field read_at fun(self, commit: string, path: string): string|nil, string? bytes of `path` at a commit or revision
---@field close fun(self) release it now rather than at collection (also `<close>`)


--- Open the git repository containing `folder` (default: the current folder).
---@param folder? string a folder inside the work tree
---@return zenml.GitRepo|nil repo
---@return string|nil message why not, e.g. outside any git repository
function M.open(folder)
  check.arg("zenml.git.open", 1, "folder", folder, "string?")
  return core.git.discover(folder or ".")
end

--- Start libgit2 on a background thread (once per process): the first
--- `open` a few milliseconds later then does not wait for its set-up.
function M.warm_up()
  core.git.warm_up()
end

--- Git's blob id of some bytes (what `git hash-object --stdin` prints).
---@param data string
---@return string sha 40 hex digits
function M.hash_blob(data)
  check.arg("zenml.git.hash_blob", 1, "data", data, "string")
  return core.git.hash_blob(data)
end

return M
