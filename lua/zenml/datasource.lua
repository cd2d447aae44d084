--- zenml.datasource: the base class of datasources and their immutable
--- snapshots (docs/datasources.md).
---
--- A datasource is a named source of data. Constructed inside a repository
--- it is registered under its name and snapshotted: the source bytes are
--- hashed through the stat cache, the version id is derived from the content,
--- and a version that exists already is returned without storing anything.
local class = require "zenml.class"
local json = require "zenml.json"
local hash = require "zenml.hash"
local core = require "zenml._core"

local M = {}

--- type name -> class, for rebuilding a registered datasource by name.
local types = {}
M.types = types

local COMMON = { name = true, replace = true, repo = true, snapshot = true, processing = true }

---@class zenml.BaseDatasource
---@field name string
---@field type string e.g. "csv"
---@field root string|nil the repository root, when constructed inside one
local BaseDatasource = class.Object:extend("BaseDatasource")
M.BaseDatasource = BaseDatasource

--- Arguments the type takes besides name: key -> "path" | "string" |
--- "integer" | "boolean", with a trailing "?" when optional.
BaseDatasource.arguments = {}

--- Make a datasource type; its instances are known by `type` (the class
--- name unless the subclass sets another).
---@param name string
---@return table class
function BaseDatasource:extend(name)
  local cls = class.Object.extend(self, name)
  local info = debug.getinfo(2, "S")
  if info and info.source:sub(1, 1) == "@" then cls.__file = info.source:sub(2) end
  cls.type = nil
  types[name] = types[name] or cls
  return cls
end

--- Register `cls` under the type name `name` (built-ins: "csv", "files", ...).
---@param name string
---@param cls table
function M.register(name, cls)
  if type(name) ~= "string" or type(cls) ~= "table" then
    error(("datasource.register: expected a type name and a class, got %s and %s"):format(
      type(name), type(cls)), 2)
  end
  cls.type = name
  types[name] = cls
end

-- The stack level (for error, counted from the caller) of the user's code:
-- the first frame outside this module, the class helper and the files of
-- `self`'s classes (their configure() checks arguments too).
local function user_level(self)
  local own = {}
  local cls = self and getmetatable(self)
  while cls do
    if rawget(cls, "__file") then own["@" .. cls.__file] = true end
    cls = rawget(cls, "super")
  end
  local level = 2
  while true do
    local info = debug.getinfo(level + 1, "S")
    if not info then return 0 end
    local src = info.source
    if not (src:find("zenml/class%.lua$") or src:find("zenml/datasource%.lua$") or own[src]) then
      return level
    end
    level = level + 1
  end
end

local function argerror(self, fmt, ...)
  error(("%s: " .. fmt):format(self.__name, ...), user_level(self))
end

local function check_argument(self, key, want, v)
  local optional = want:sub(-1) == "?"
  local kind = optional and want:sub(1, -2) or want
  if v == nil then
    if not optional then argerror(self, "expected %s = a %s, got nil", key, kind == "path" and "path string" or kind) end
    return
  end
  local ok = (kind == "path" or kind == "string") and type(v) == "string"
    or kind == "integer" and math.type(v) == "integer"
    or kind == "boolean" and type(v) == "boolean"
    or kind == "table" and type(v) == "table"
  if not ok then
    argerror(self, "expected %s = a %s, got %s", key, kind == "path" and "path string" or kind, type(v))
  end
end

local function check_arguments(self, args)
  if type(args) ~= "table" then
    error(("%s: expected a table of arguments { name = ..., ... }, got %s"):format(
      self.__name, type(args)), user_level())
  end
  if type(args.name) ~= "string" or args.name == "" then
    argerror(self, "expected name = a non-empty string, got %s", type(args.name))
  end
  for k in pairs(args) do
    if not COMMON[k] and self.arguments[k] == nil then
      local known = {}
      for name in pairs(COMMON) do known[#known + 1] = name end
      for name in pairs(self.arguments) do known[#known + 1] = name end
      table.sort(known)
      argerror(self, "unknown argument '%s'; arguments are: %s%s", tostring(k), table.concat(known, ", "),
        require("zenml.errors").did_you_mean(tostring(k), known))
    end
  end
  for k, want in pairs(self.arguments) do check_argument(self, k, want, args[k]) end
end

local function realpath(p)
  return core.sys.realpath(p) or p
end

--- A path as stored in the config: relative to the repository root when inside it.
function BaseDatasource:_stored_path(p)
  if not self.root or p:sub(1, 1) ~= "/" then return p end
  local real, root = realpath(p), self._real_root
  if real:sub(1, #root + 1) == root .. "/" then return real:sub(#root + 2) end
  return p
end

--- The absolute (or working-folder relative, outside a repository) path of a config path.
---@param p string
---@return string
function BaseDatasource:resolve(p)
  if self.root and p:sub(1, 1) ~= "/" then return self.root .. "/" .. p end
  return p
end

--- Construct from the arguments; inside a repository this registers the
--- datasource and takes a snapshot (pass snapshot = false to skip it).
function BaseDatasource:init(args)
  check_arguments(self, args)
  self.name = args.name
  self.type = self.type or self.__name
  local repo = args.repo
  if repo == nil then repo = require("zenml.repo").open() end
  self._repo = repo or nil
  self._replace = args.replace == true
  if self._repo then
    self.root = self._repo.root
    self._real_root = realpath(self.root)
  end
  local cfg = {}
  for k, want in pairs(self.arguments) do
    local v = args[k]
    if v ~= nil and want:match("^path") then v = self:_stored_path(v) end
    cfg[k] = v
  end
  self._config = cfg
  self:configure()
  self._processing = args.processing
  if self._repo and args.snapshot ~= false then
    self.version = self:commit_on(self._repo, self._processing,
      ("datasource '%s': processing"):format(self.name))
  end
end

--- commit(repo) with the snapshot's reading on the data-kernel threads of
--- processing backend `processing` (an object or a name, see backends.md;
--- nil: the kernels' default, every core). `where` names the setting in
--- the error for an unknown backend.
---@param repo table
---@param processing any
---@param where string
---@return table version
function BaseDatasource:commit_on(repo, processing, where)
  local threads = 0
  if processing ~= nil then
    threads = require("zenml.backend").resolve(processing, "processing", repo.config, repo.root,
      where):kernel_threads()
  end
  local saved = core.sys.workers(threads)
  local ok, v = pcall(self.commit, self, repo)
  core.sys.workers(saved)
  if not ok then error(v, 0) end
  return v
end

--- Hook for subclasses: check or complete self:config() after construction.
function BaseDatasource:configure() end

--- The constructor arguments (paths as stored), as a plain table.
---@return table
function BaseDatasource:config()
  local out = {}
  for k, v in pairs(self._config) do out[k] = v end
  return out
end

function BaseDatasource:__tostring()
  return ("<%s %s>"):format(self.__name, self.name)
end

--- Read the data into a frame. Subclasses implement this.
---@return userdata frame
function BaseDatasource:read()
  error(("%s must implement read()"):format(self.__name), 2)
end

--- The files whose bytes define the content (absolute paths), or nil when
--- only reading tells (the snapshot then hashes the frame).
---@return string[]|nil
function BaseDatasource:sources() return nil end

--- Hook: extra artifacts of a snapshot, e.g. { tree = id }. Runs after read.
function BaseDatasource:attach(_store, _frame) return {} end

--- "file", "folder", "other" (a FIFO, a device: never read one) or nil
--- when `p` does not exist. Nothing is opened.
---@param p string
---@return string|nil
function BaseDatasource:path_kind(p)
  return core.sys.file_kind(p)
end

--- A path for messages: relative to the repository root when inside it.
---@param p string
---@return string
function BaseDatasource:display(p)
  local root = self.root
  if root and p:sub(1, #root + 1) == root .. "/" then return p:sub(#root + 2) end
  return p
end

--- Raise an argument error at the user's constructor call: "<Type>: <message>".
---@param fmt string
function BaseDatasource:arg_error(fmt, ...)
  argerror(self, fmt, ...)
end

--- The snapshot's warnings (the note), one string per line; {} when none.
---@param note string|nil
---@return string[]
function M.warnings(note)
  local out = {}
  for line in (note or ""):gmatch("[^\n]+") do out[#out + 1] = line end
  return out
end

--- Raise `message` (no position), with the repository root taken out of paths.
---@param message string
function BaseDatasource:fail(message)
  local root = self.root
  if root then
    local out, at = {}, 1
    while true do
      local i, j = message:find(root .. "/", at, true)
      if not i then break end
      out[#out + 1] = message:sub(at, i - 1)
      at = j + 1
    end
    out[#out + 1] = message:sub(at)
    message = table.concat(out)
  end
  error(message, 0)
end

-- Snapshots ------------------------------------------------------------------

local function show_value(v)
  if type(v) == "table" then return json.encode(v) end
  return tostring(v)
end

-- "path = data/a.csv, query = ..." for the registered arguments that differ.
local function differences(old, new)
  local keys, seen = {}, {}
  for k in pairs(old) do keys[#keys + 1] = k; seen[k] = true end
  for k in pairs(new) do if not seen[k] then keys[#keys + 1] = k end end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local was = old[k] == nil and "nil" or show_value(old[k])
    if was ~= (new[k] == nil and "nil" or show_value(new[k])) then
      parts[#parts + 1] = ("%s = %s"):format(k, was)
    end
  end
  return table.concat(parts, ", ")
end

-- Refuse a registration that would change a datasource with versions
-- unless replace = true. A registered name with no version yet (its first
-- snapshot failed, e.g. a path typo) is taken over silently. Returns true
-- when the registry must be written (nothing is written here: a datasource is
-- registered with its first successful snapshot, see _ensure_registered).
function BaseDatasource:_check_registration(db, cfg_text)
  local row = db:datasource(self.name)
  if row and row.type == self.type and row.config == cfg_text then return false end
  if row and not self._replace and #db:versions(self.name) > 0 then
    local old = M.decode_json(row.config or "{}")
    local what = row.type ~= self.type and ("type = " .. row.type) or differences(old, self:config())
    error(("datasource '%s' exists with other arguments (%s); pass replace = true to change it")
      :format(self.name, what), 0)
  end
  return true
end

function BaseDatasource:_ensure_registered(db, cfg_text)
  if self._must_register then
    db:datasource_register(self.name, self.type, cfg_text)
    self._must_register = false
  end
  self:_record_origin(db)
end

-- Where a type that is not built in comes from, so the command line can load
-- it as a run does: the module that defined the class (property "module"),
-- or, for a class defined in a script, that file (property "file", for the
-- message saying it must move into a module).
function BaseDatasource:_record_origin(db)
  local cls = getmetatable(self)
  local module = cls.__module
  if type(module) ~= "string" then
    -- loaded before zenml tracked modules (`zenml script.lua` whose first
    -- line requires it): the module is the one that returned the class
    for name, v in pairs(package.loaded) do
      if v == cls then module = name break end
    end
  end
  if type(module) == "string" and module:find("^zenml%.") then return end -- built in
  local key, value = "module", module
  if type(module) ~= "string" then
    if not cls.__file then return end
    key, value = "file", self:display(realpath(cls.__file))
  end
  if db:property_get("datasource", self.name, key) ~= value then
    db:property_set("datasource", self.name, key, value)
    -- the other one no longer applies ("" reads as absent)
    local other = key == "module" and "file" or "module"
    if db:property_get("datasource", self.name, other) then
      db:property_set("datasource", self.name, other, "")
    end
  end
end

--- The content key: one line per source file (name and SHA-256), or nil.
--- `job` is a running hash_begin of the only source file, if any.
function BaseDatasource:_content_key(db, job)
  local files = self:sources()
  if not files then return nil end
  local lines = {}
  for i, p in ipairs(files) do
    local digest, err
    if job then digest, err = db:hash_end(job) else digest, err = db:hash_file(p) end
    if not digest then error(err, 0) end
    lines[i] = self:display(p) .. " " .. digest
  end
  return table.concat(lines, "\n")
end

-- Write the frame into the store; returns its id and size.
local function put_frame(store, frame)
  local id, err = store:put_frame(frame, { handover = true })
  if not id then error(err, 0) end
  return id, store:size(id)
end

-- A single source file whose digest is not in the stat cache (for classes
-- whose read() has no visible effects and that say so with
-- `read_while_hashing = true`) is hashed on a thread while it is read (on
-- every core) and its snapshot stored: the read and the store are needed
-- anyway unless this very content was snapshotted before (then the store
-- finds the object there). The hash takes a share of the cores beside the
-- parse; started after it, it outlasted the store (handed over, 0.06 s)
-- by about 0.15 s with one core idle. Returns the job, the frame and its
-- stored {id, size} (the frame nil when there was nothing to overlap, or
-- the read failed: it is then done again only if a new version is needed,
-- and raises there).
function BaseDatasource:_read_while_hashing(db, store)
  if not self.read_while_hashing then return nil end
  local files = self:sources()
  if not files or #files ~= 1 then return nil end
  local job, err = db:hash_probe(files[1])
  if not job then error(err, 0) end
  if not job:pending() then return job end
  job:start()
  local ok, frame = pcall(self.read, self)
  if not ok then return job end
  return job, frame, { put_frame(store, frame) }
end

local function find_version(db, name, id)
  for _, v in ipairs(db:versions(name)) do
    if v.id == id then return v end
  end
end

--- Store files given as { {relative path, bytes}, ... } as one tree artifact.
--- They are written to a temporary folder the store makes (store:tmpdir)
--- and removed after. Paths must be clean (as zenml.archive returns them).
---@param store table zenml.Store
---@param rows {[1]: string, [2]: string}[]
---@return string id
function M.put_files(store, rows)
  local dir = store:tmpdir()
  local folders = {}
  local ok, err = pcall(function()
    for _, r in ipairs(rows) do
      assert(not r[1]:find("^/") and not r[1]:find("%.%./"), "put_files: unsafe path")
      local sub = r[1]:match("^(.*)/[^/]+$")
      local target = sub and dir .. "/" .. sub or dir
      if not folders[target] then
        local made, merr = core.sys.mkdir_p(target)
        if not made then error(merr, 0) end
        folders[target] = true
      end
      local path = dir .. "/" .. r[1]
      local f = assert(io.open(path, "wb"))
      f:write(r[2])
      f:close()
    end
  end)
  local id, perr
  if ok then id, perr = store:put_tree(dir) else perr = err end
  store:remove_tmp(dir)
  if not id then error(perr, 0) end
  return id
end

local function record(v, extra)
  local out = { id = v.id, artifact = v.artifact, rows = v.rows, columns = v.columns,
    bytes = v.bytes, created = v.created }
  for k, x in pairs(extra or {}) do out[k] = x end
  return out
end

local function entity(name, id) return name .. "@" .. id end

-- The existing version with its tree and note.
local function existing(db, name, v)
  local tree = db:property_get("datasource_version", entity(name, v.id), "tree")
  local note = db:property_get("datasource_version", entity(name, v.id), "note")
  return record(v, { tree = tree, note = note, existed = true })
end

--- The rules by which a type reads its sources, when they changed in a way
--- that changes the frame: the same bytes read by newer rules are a new
--- version (nil for a type whose rules never changed).
BaseDatasource.revision = nil

function BaseDatasource:_version_id(cfg_text, key)
  local text = self.type .. "\n" .. cfg_text .. "\n" .. key
  if self.revision then text = text .. "\nrevision " .. tostring(self.revision) end
  return hash.string(text):sub(1, 16)
end

--- Store what is new and record the version (`stored`: the frame's {id,
--- size} when it is in the store already).
function BaseDatasource:_store_version(repo, key, cfg_text, frame, stored)
  local db, store = repo:meta(), repo:store()
  frame = frame or self:read()
  local artifact, size
  if stored then artifact, size = stored[1], stored[2] else artifact, size = put_frame(store, frame) end
  local extra = self:attach(store, frame) or {}
  local id = self:_version_id(cfg_text, key or artifact)
  local found = find_version(db, self.name, id)
  if found then
    self:_ensure_registered(db, cfg_text)
    return existing(db, self.name, found)
  end
  local note = self.note or frame:note()
  local v = { id = id, artifact = artifact, rows = frame:nrow(), columns = frame:ncol(),
    bytes = size, created = core.sys.time() }
  local must_register = self._must_register
  db:transaction(function()
    self._must_register = must_register -- as it was, when the transaction runs again
    self:_ensure_registered(db, cfg_text)
    db:artifact_record(artifact, "frame", size)
    if extra.tree then db:artifact_record(extra.tree, "tree", store:size(extra.tree)) end
    db:version_add(self.name, v)
    if extra.tree then db:property_set("datasource_version", entity(self.name, id), "tree", extra.tree) end
    if note then db:property_set("datasource_version", entity(self.name, id), "note", note) end
  end)
  extra.note = note
  return record(v, extra)
end

--- Take a snapshot in `repo` (default: the one it was constructed in):
--- register the datasource, and store a new version unless the content's
--- version exists already.
---@param repo? table a Repository
---@return table version {id, artifact, rows, columns, bytes, created, tree?, note?, existed?}
function BaseDatasource:commit(repo)
  repo = repo or self._repo
  if type(repo) ~= "table" then
    error(("datasource '%s': commit needs a repository, got %s"):format(self.name, type(repo)), 2)
  end
  local db = repo:meta()
  local cfg_text = json.encode(self:config())
  self._must_register = self:_check_registration(db, cfg_text)
  local job, frame, stored = self:_read_while_hashing(db, repo:store())
  local key = self:_content_key(db, job)
  if key then
    local id = self:_version_id(cfg_text, key)
    local v = find_version(db, self.name, id)
    if v then
      self:_ensure_registered(db, cfg_text)
      local found = existing(db, self.name, v)
      return self:_restore(repo, found, frame, stored)
    end
  end
  return self:_store_version(repo, key, cfg_text, frame, stored)
end

--- An existing version whose snapshot is gone from the artifact store (a
--- lost or removed object; zenml verify reports it) is taken again from the
--- sources, which still hold the same bytes: the same frame is the same
--- artifact id. Returns the version, with `restored = true` when it was.
function BaseDatasource:_restore(repo, v, frame, stored)
  local store = repo:store()
  -- a snapshot this commit stored while hashing (stored = {id, size}) that
  -- the store did not hold was lost too: store:wrote says the put placed it
  local placed = stored and stored[1] == v.artifact and store:wrote(v.artifact)
  local lost = placed or not store:exists(v.artifact) or (v.tree and not store:exists(v.tree))
  if not lost then return v end
  frame = frame or self:read()
  local artifact = placed and stored[1] or put_frame(store, frame)
  local extra = self:attach(store, frame) or {}
  if artifact ~= v.artifact or (v.tree and extra.tree ~= v.tree) then
    error(("datasource '%s': the snapshot of version %s is missing from the artifact store, "
      .. "and its sources no longer read as the same data (%s instead of %s); restore "
      .. ".zenml/artifacts from a backup"):format(self.name, v.id, artifact, v.artifact), 0)
  end
  v.restored = true
  return v
end

--- True when the sources hold what version `id` was taken from (their
--- hashes through the stat cache; a type without sources() cannot tell: false).
---@param repo table
---@param id string
---@return boolean
function BaseDatasource:unchanged_since(repo, id)
  local ok, key = pcall(self._content_key, self, repo:meta())
  return ok and key ~= nil and self:_version_id(json.encode(self:config()), key) == id
end

--- Where row `row` (1-based) of version `id`'s frame comes from, e.g.
--- "data/x.csv:42", or nil when the type cannot tell (the default) or the
--- sources changed since.
---@return string|nil
function BaseDatasource:locate(_repo, _id, _row) return nil end

-- Registry --------------------------------------------------------------------

--- Every datasource with its version count and latest version.
---@param repo table
---@return table[] {name, type, versions, latest, rows, created}
function M.list(repo)
  local db = repo:meta()
  local out = {}
  for _, name in ipairs(db:datasources()) do
    local row = db:datasource(name)
    local versions = db:versions(name)
    local latest = versions[1]
    out[#out + 1] = { name = name, type = row.type, versions = #versions,
      latest = latest and latest.id, rows = latest and latest.rows,
      created = latest and latest.created or row.created }
  end
  return out
end

--- One datasource: its config and every version, newest first.
---@return table|nil {name, type, config, created, versions}
---@return string|nil message
function M.show(repo, name)
  local db = repo:meta()
  local row = db:datasource(name)
  if not row then
    return nil, ("no datasource '%s'%s"):format(name, require("zenml.errors").did_you_mean(name,
      db:datasources()))
  end
  local versions = {}
  for i, v in ipairs(db:versions(name)) do versions[i] = existing(db, name, v) ; versions[i].existed = nil end
  return { name = name, type = row.type, config = M.decode_json(row.config or "{}"),
    created = row.created, versions = versions }
end

-- JSON (the registry keeps configs as JSON text) --------------------------------

--- The value JSON null decodes to (zenml.json.null).
M.null = json.null

--- Decode one JSON text; see zenml.json.try_decode.
M.try_decode_json = json.try_decode

--- Decode JSON text that zenml wrote itself (raises on bad text); nulls become nil.
---@param text string
---@return any
function M.decode_json(text)
  local v, err = json.try_decode(text)
  if v == nil then error("datasource: bad JSON in the registry: " .. err, 2) end
  if type(v) == "table" then
    for k, x in pairs(v) do if x == M.null then v[k] = nil end end
  end
  return v
end

return M
