--- zenml.store: the content-addressed artifact store (docs/store.md).
--- Ids are "sha256:" followed by 64 lower-case hex characters. A malformed id
--- raises "invalid artifact id '<id>'"; a missing artifact or file returns
--- nil and a message.
local core = require "zenml._core"
local check = require "zenml.check"

local M = {}

---@class zenml.Store
---@field root string the folder the store lives in
local Store = {}
Store.__index = Store

check.type("store", function(v) return getmetatable(v) == Store end)

--- Open (creating as needed) the store rooted at `root`.
---@param root string folder of the store
---@return zenml.Store|nil store
---@return string|nil message why it could not be opened
function M.open(root)
  check.arg("zenml.store.open", 1, "root", root, "string")
  local ud, err = core.store.open(root)
  if not ud then return nil, err end
  return setmetatable({ _ud = ud, root = root }, Store)
end

--- Store a string's bytes.
---@param data string
---@return string|nil id
---@return string|nil message
function Store:put(data)
  check.arg("store:put", 1, "data", data, "string")
  return self._ud:put(data)
end

--- Store a file's bytes.
---@param path string
---@return string|nil id
---@return string|nil message
function Store:put_file(path)
  check.arg("store:put_file", 1, "path", path, "string")
  return self._ud:put_file(path)
end

--- Store every file under a folder and return the tree's id.
---@param folder string
---@return string|nil id
---@return string|nil message
function Store:put_tree(folder)
  check.arg("store:put_tree", 1, "folder", folder, "string")
  return self._ud:put_tree(folder)
end

--- The file path of an object (whether or not it exists). An object still
--- waiting for the write-behind commit is committed first, so the path
--- lasts and another process may open it.
---@param id string
---@return string path
function Store:path(id)
  check.arg("store:path", 1, "id", id, "string")
  return self._ud:path(id)
end

--- A path this process can read an object from now, without waiting for
--- the write-behind commit: the object's path, or while it waits, its
--- temporary file, which keeps its name until this store is closed. What
--- a step reads its inputs through; for another process use `path`.
---@param id string
---@return string path
function Store:read_path(id)
  check.arg("store:read_path", 1, "id", id, "string")
  return self._ud:read_path(id)
end

--- An object's bytes.
---@param id string
---@return string|nil data
---@return string|nil message
function Store:read(id)
  check.arg("store:read", 1, "id", id, "string")
  return self._ud:read(id)
end

--- Whether an object exists.
---@param id string
---@return boolean
function Store:exists(id)
  check.arg("store:exists", 1, "id", id, "string")
  return self._ud:exists(id)
end

--- Whether this process stored object `id` from its own bytes (hashed
--- here, so a reader may skip checking them again); false for an object
--- that was there already or that another process stored.
---@param id string
---@return boolean
function Store:wrote(id)
  check.arg("store:wrote", 1, "id", id, "string")
  return self._ud:wrote(id)
end

--- An object's size in bytes.
---@param id string
---@return integer|nil size
---@return string|nil message
function Store:size(id)
  check.arg("store:size", 1, "id", id, "string")
  return self._ud:size(id)
end

--- Whether an object is a tree manifest.
---@param id string
---@return boolean|nil
---@return string|nil message
function Store:is_tree(id)
  check.arg("store:is_tree", 1, "id", id, "string")
  return self._ud:is_tree(id)
end

--- Write the tree `id` into `folder`.
---@param id string
---@param folder string
---@return boolean|nil ok
---@return string|nil message
function Store:checkout(id, folder)
  check.args("store:checkout", { { "id", id, "string" }, { "folder", folder, "string" } })
  return self._ud:checkout(id, folder)
end

--- Re-hash every object.
---@return {what: string, problem: string}[]|nil problems empty when all is well
---@return string|nil message when the store could not be scanned
function Store:verify()
  return self._ud:verify()
end

--- Which of `ids` (and of the entries of trees among them) are missing.
---@param ids string[]
---@return {what: string, problem: string}[] problems
function Store:check(ids)
  check.arg("store:check", 1, "ids", ids, "table")
  return self._ud:check(ids)
end

--- Remove unreferenced objects and stale temp files; with `temps_only`
--- (and no keep list) only the stale temp files.
---@param opts {keep?: string[], temps_only?: boolean, dry_run?: boolean}
---@return {objects: integer, temps: integer, bytes: integer}|nil freed
---@return string|nil message
function Store:gc(opts)
  check.arg("store:gc", 1, "opts", opts, "table")
  if opts.temps_only == true and opts.keep == nil then
    return self._ud:gc(nil, opts.dry_run == true)
  end
  check.fields("store:gc", 1, "opts", {
    { "keep", opts.keep, "table" }, { "dry_run", opts.dry_run, "boolean?" } })
  return self._ud:gc(opts.keep, opts.dry_run == true)
end

--- A new, empty temporary folder in the store's tmp/, for files on their way
--- into the store or a step's scratch work. gc removes it once this process
--- is gone; remove it sooner with `remove_tmp`.
---@return string path
function Store:tmpdir()
  local path, err = self._ud:tmpdir()
  if not path then error(err, 2) end
  return path
end

--- Remove a temporary folder or file `tmpdir` made, with its contents.
---@param path string
---@return boolean|nil ok
---@return string|nil message
function Store:remove_tmp(path)
  check.arg("store:remove_tmp", 1, "path", path, "string")
  return self._ud:remove_tmp(path)
end

--- The gc lock: every process using the store holds it shared; gc takes it
--- exclusively, so no process that may have put an object it has not yet
--- recorded is running. `lock("exclusive", wait)` returns true when held,
--- false when other processes hold it and `wait` is false;
--- `lock("shared")` goes back to sharing it.
---@param mode "shared"|"exclusive"
---@param wait? boolean
---@return boolean|nil held
---@return string|nil message
function Store:lock(mode, wait)
  if mode ~= "shared" and mode ~= "exclusive" then
    error(check.message("store:lock", 1, "mode", '"shared" or "exclusive"', mode), 2)
  end
  return self._ud:lock(mode, wait == true)
end

--- Start a batch: puts become durable and visible together at commit.
function Store:batch_begin()
  self._ud:batch_begin()
end

--- Make the batch's puts durable (one file-system sync) and visible.
---@return boolean|nil ok
---@return string|nil message
function Store:batch_commit()
  return self._ud:batch_commit()
end

--- Store a frame as a frame file, written straight into the store. With
--- `opts.handover` a frame that holds its own memory gives it up as it is
--- written (its pages go to the stored copy's page cache: docs/store.md,
--- "Big puts") and reads the stored bytes afterwards: the same values. A
--- failed handover leaves the frame with no columns.
---@param frame userdata
---@param opts? table { handover = boolean }
---@return string|nil id
---@return string|nil message
function Store:put_frame(frame, opts)
  check.arg("store:put_frame", 2, "opts", opts, "table?")
  return self._ud:put_frame(frame, opts ~= nil and opts.handover == true)
end

--- Write-behind: single puts stop syncing one by one; a background thread
--- makes everything written in the last `max_ms` durable at once (one
--- file-system sync). Objects are readable at once; a crash can lose the
--- last `max_ms` of puts but never exposes a partial one. 0 settles and stops.
---@param max_ms integer
---@return boolean|nil ok
---@return string|nil message
function Store:write_behind(max_ms)
  if math.type(max_ms) ~= "integer" or max_ms < 0 then
    error(check.message("store:write_behind", 1, "max_ms", "an integer >= 0", max_ms,
      math.type(max_ms) == "integer" and tostring(max_ms) or nil), 2)
  end
  return self._ud:write_behind(max_ms)
end

--- Build big frames made from now on (transform outputs) in place in this
--- store's temp files: storing one then hashes it and adopts the file
--- instead of copying its bytes. One store at a time, process-wide.
function Store:spill_frames()
  return self._ud:spill_frames()
end

--- Make every queued write-behind put durable and in place now.
---@return boolean|nil ok
---@return string|nil message
function Store:settle()
  return self._ud:settle()
end

--- Drop the open batch and its temp files.
function Store:batch_abort()
  self._ud:batch_abort()
end

--- Close the store (an open batch is dropped). Also runs for `<close>` variables.
function Store:close()
  self._ud:close()
end

Store.__close = Store.close

return M
