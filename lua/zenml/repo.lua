--- The Repository: a git work tree with `.zenml/`, its stores, and the
--- objects for exploring what ran there (pipelines, runs, executions,
--- artifacts). `zenml.repo()` finds it from the current folder.
local class = require "zenml.class"
local core = require "zenml._core"
local check = require "zenml.check"
local git = require "zenml.git"
local config = require "zenml.config"
local output = require "zenml.output"

local M = {}
local readable

--- A zenml repository: a git work tree with `.zenml/`, its artifact and
--- metadata stores, and what ran there. `zenml.repo()` opens the one around
--- the current folder.
local Repository = class.Object:extend("Repository")
--- One run of a pipeline, as the metadata store recorded it: id, pipeline,
--- status, started and ended (unix seconds), git state, its YAML; its steps'
--- executions, metrics and artifacts through the methods.
local Run = class.Object:extend("Run")
--- An artifact: an immutable object of the store (`sha256:` id) with its
--- type (frame, model, metrics, value, ...) and size; `read()` loads it.
local Artifact = class.Object:extend("Artifact")
M.Repository, M.Run, M.Artifact = Repository, Run, Artifact

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end
M.exists = exists

--- Resolve `path` against `root` unless it is absolute.
local function resolve(root, path)
  if path:sub(1, 1) == "/" then return path end
  return root .. "/" .. path
end
M.resolve = resolve

-- The work tree around `folder`: the nearest folder upward with a .git,
-- found without starting libgit2, whose set-up (~5 ms of TLS certificates)
-- most commands never need. Set-ups git's environment variables change,
-- and everything that is not a plain work tree, are left to git.open.
local function find_root(folder)
  if os.getenv("GIT_DIR") or os.getenv("GIT_WORK_TREE") or os.getenv("GIT_CEILING_DIRECTORIES") then
    return nil
  end
  local dir = core.sys.realpath(folder or ".")
  while dir do
    if exists(dir .. "/.git") then return dir end
    if dir == "/" then return nil end
    dir = dir:match("^(.*)/[^/]*$")
    if dir == "" then dir = "/" end
  end
end

--- The work tree around `folder` without opening it (nil when there is none
--- or git's environment decides).
M.find_root = find_root

--- The Repository around `folder` (default: the current folder).
---@param folder? string
---@return table|nil repository
---@return string|nil message when there is none
function M.open(folder)
  check.arg("zenml.repo", 1, "folder", folder, "string?")
  local root, g = find_root(folder), nil
  if not root then
    local err
    g, err = git.open(folder)
    if not g then return nil, err end
    root = g:root()
  end
  local cfg_path = root .. "/.zenml/config.yaml"
  if not exists(cfg_path) then
    return nil, ("%s is not a zenml repository: run 'zenml init' first"):format(root)
  end
  local cfg, cerr = config.read(cfg_path)
  if not cfg then return nil, cerr end
  return Repository:new(root, g, cfg)
end

function Repository:init(root, g, cfg)
  self.root = root
  self.config = cfg
  self._git = g
end

function Repository:__tostring()
  return ("<Repository %s>"):format(self.root)
end

--- The git handle (zenml.git): head, branch, dirty, blob_sha, read_blob, ...
--- Opened on first use.
function Repository:git()
  if not self._git then
    local g, err = git.open(self.root)
    if not g then error(err, 0) end
    self._git = g
  end
  return self._git
end

--- HEAD commit sha, or nil before the first commit.
function Repository:head() return self:git():head() end

--- The branch name (nil when detached).
function Repository:branch() return self:git():branch() end

--- Whether the work tree has staged, unstaged or untracked (not ignored)
--- changes. The run files zenml itself writes under pipelines/ do not count.
function Repository:dirty()
  for _, p in ipairs(self:git():dirty_paths()) do
    if p:sub(1, 10) ~= "pipelines/" then return true end
  end
  return false
end

--- Git blob sha of a tracked file as in HEAD.
function Repository:blob_sha(path) return self:git():blob_sha(path) end

--- Bytes of a blob, or of `path` at `commit`.
function Repository:read_blob(sha) return self:git():read_blob(sha) end
function Repository:read_at(commit, path) return self:git():read_at(commit, path) end

--- Absolute folder of the artifact store.
function Repository:artifact_root()
  return resolve(self.root, self.config.stores.artifact)
end

--- The metadata URL with a relative SQLite path made absolute.
function Repository:metadata_url()
  local url = self.config.stores.metadata
  local path = url:match("^sqlite:(.+)$")
  if path then return "sqlite:" .. resolve(self.root, path) end
  return url
end

--- The artifact store (opened once).
function Repository:store()
  if not self._store then
    self._store = assert(require("zenml.store").open(self:artifact_root()))
    -- big frames made from now on (transform outputs) are built in place in
    -- this store's temp files, so storing them copies nothing
    assert(self._store:spill_frames())
  end
  return self._store
end

--- The metadata store (opened once; runs of dead processes are marked failed).
--- It must exist (`zenml init` makes it: `create = true`); a store this
--- process may not write (another user's repository, a read-only mount) is
--- opened read-only, so that every command that only reads still works.
---@param create? boolean make the store when it is missing
function Repository:meta(create)
  if not self._meta then
    local db, err = require("zenml.meta").open(self:metadata_url(), create and "create" or "write")
    if not db then error(err, 0) end
    db:recover()
    self._meta = db
  end
  return self._meta
end

--- Pipelines with their number of versions and runs.
---@return table[] {name, versions, runs, last_run}
function Repository:pipelines()
  return self:meta():pipelines()
end

--- Runs, newest first: filter {pipeline?, status?, limit?}.
---@return table[] runs (Run objects)
function Repository:runs(filter)
  local rows = self:meta():runs(filter or {})
  for i, r in ipairs(rows) do rows[i] = Run:new(self, r) end
  return rows
end

--- One run by id, by a unique prefix of it, "latest" or "latest~N" (the
--- run N before the newest).
---@return table|nil run
---@return string|nil message (an ambiguous prefix lists the runs it matches)
function Repository:run(id)
  check.arg("repo:run", 1, "id", id, "string")
  if id == "" then return nil, "a run id must not be empty" end
  local db = self:meta()
  local back = id == "latest" and 0 or tonumber(id:match("^latest~(%d+)$"))
  if back then
    local rows = db:runs { limit = back + 1 }
    if not rows[1] then return nil, "there are no runs yet" end
    if not rows[back + 1] then
      return nil, ("no run '%s': there are only %d runs"):format(id, #rows)
    end
    return Run:new(self, rows[back + 1])
  end
  local row = db:run(id)
  if row then return Run:new(self, row) end
  local matches = db:run_ids_with_prefix(id, 6)
  if #matches == 1 then return Run:new(self, db:run(matches[1])) end
  if #matches > 1 then
    return nil, ("run id '%s' is ambiguous: %s%s"):format(id,
      table.concat(matches, ", ", 1, math.min(#matches, 5)), #matches > 5 and ", ..." or "")
  end
  return nil, ("no run '%s'"):format(id)
end

local MAX_CANDIDATES = 5

--- The full id of an artifact given by its id or a unique prefix of it
--- (`sha256:ab12...` or just `ab12...`, at least 4 hex digits).
---@param id string
---@return string|nil id `sha256:` and 64 hex digits
---@return string|nil message when it is malformed, unknown or ambiguous
function Repository:artifact_id(id)
  check.arg("repo:artifact_id", 1, "id", id, "string")
  local hex = id:match("^sha256:(%x+)$") or id:match("^(%x+)$")
  if not hex or #hex < 4 or #hex > 64 then
    return nil, ("invalid artifact id '%s': expected sha256: and 64 hex digits, or a unique "
      .. "prefix of at least 4 hex digits"):format(id)
  end
  local full = "sha256:" .. hex:lower()
  if #hex == 64 then return full end
  local rows = self:meta():artifacts_with_prefix(full, MAX_CANDIDATES + 1)
  if #rows == 0 then return nil, ("no artifact '%s'"):format(id) end
  if #rows == 1 then return rows[1].id end
  -- each candidate long enough to tell it from the others (16 hex digits at least)
  local width = 23
  for i = 2, #rows do
    local a, b, k = rows[i - 1].id, rows[i].id, 1
    while a:byte(k) == b:byte(k) do k = k + 1 end
    width = math.max(width, k)
  end
  local names = {}
  for i = 1, math.min(#rows, MAX_CANDIDATES) do
    names[i] = ("%s (%s)"):format(rows[i].id:sub(1, width), rows[i].type)
  end
  return nil, ("artifact id '%s' is ambiguous: %s%s"):format(id, table.concat(names, ", "),
    #rows > MAX_CANDIDATES and ", ..." or "")
end

--- An artifact by id or a unique prefix of it (recorded in the metadata, or
--- at least present in the store).
---@return table|nil artifact
---@return string|nil message
function Repository:artifact(id)
  check.arg("repo:artifact", 1, "id", id, "string")
  local err
  id, err = self:artifact_id(id)
  if not id then return nil, err end
  local store = self:store()
  local ok, err = store:exists(id)
  if ok == nil then return nil, err end
  local row = self:meta():artifact(id)
  if not row and not ok then return nil, ("no artifact '%s'"):format(id) end
  row = row or { id = id, type = store:is_tree(id) and "tree" or "file", size = store:size(id) }
  return Artifact:new(self, row, ok)
end

function Repository:close()
  if self._meta then self._meta:close() self._meta = nil end
  if self._store then self._store:close() self._store = nil end
  if self._git then self._git:close() self._git = nil end
end
Repository.__close = Repository.close

-- Run ------------------------------------------------------------------------

function Run:init(repo, row)
  self._repo = repo
  for k, v in pairs(row) do self[k] = v end
end

function Run:__tostring()
  return ("<Run %s %s %s>"):format(self.id, self.status, output.time(self.started) or "")
end

--- The step executions of this run, in order.
function Run:executions()
  return self._repo:meta():executions(self.id)
end

--- Artifacts this run's executions read or wrote (a cached step's are those
--- of the execution it reused), each with step, kind (input/output) and name.
function Run:artifacts()
  local rows = self._repo:meta():run_artifacts(self.id)
  for i, r in ipairs(rows) do rows[i] = Artifact:new(self._repo, r, true) end
  return rows
end

--- Metrics of the run as a table name -> value (step metrics too, as plain names).
function Run:metrics()
  local out = {}
  for _, m in ipairs(self._repo:meta():metrics(self.id)) do out[m.name] = m.value end
  return out
end

--- The split the run's metrics were computed on (an evaluator's `split`:
--- "test" when the pipeline holds one out, else "eval"), or nil.
---@return string|nil
function Run:evaluated_split()
  return (self._repo:meta():run_step_property(self.id, "metrics.split"))
end

--- The training curves of the run's trainer as a frame: epoch, then loss
--- (the training loss), val_loss and any other per-epoch series the
--- trainer's `history` output holds (series of another length are left out).
---@return userdata|nil frame
---@return string|nil message when the run has no training history
function Run:history()
  local art
  for _, a in ipairs(self:artifacts()) do
    if a.kind == "output" and a.name == "history" then art = a end
  end
  if not art then return nil, ("run %s has no training history"):format(self.id) end
  local h, err = art:read()
  if type(h) ~= "table" then return nil, err or ("run %s: its history is not a table"):format(self.id) end
  local series, n = {}, 0
  for k, v in pairs(h) do
    if type(v) == "table" and #v > 0 and type(v[1]) == "number" then
      series[k == "train_loss" and "loss" or k] = v
      n = math.max(n, #v)
    end
  end
  local cols, names = { epoch = {} }, { "epoch" }
  for i = 1, n do cols.epoch[i] = i end
  local rest = {}
  for k, v in pairs(series) do if #v == n then rest[#rest + 1] = k cols[k] = v end end
  table.sort(rest, function(a, b)
    if (a == "loss") ~= (b == "loss") then return a == "loss" end
    return a < b
  end)
  table.move(rest, 1, #rest, 2, names)
  return require("zenml.frame").from_table(cols, { columns = names })
end

--- The run's steps as a DAG: {pipeline, steps = {{name, class, status,
--- deps}}} with each step after its deps (`pipeline graph`, the report).
---@return table
function Run:graph()
  local docs = require "zenml.engine.doc"
  local doc = docs.load(resolve(self._repo.root, self.yaml_path))
  local deps = docs.deps(doc)
  local status = {}
  for _, e in ipairs(self:executions()) do status[e.step] = e.status end
  local steps = {}
  for _, name in ipairs(docs.order(doc, deps)) do
    steps[#steps + 1] = { name = name, class = doc.steps[name].class, status = status[name],
      deps = deps[name] }
  end
  return { pipeline = doc.name, steps = steps }
end

--- Write this run's report (one self-contained HTML page) to `path`.
---@param path string
---@return boolean|nil ok
---@return string? message when the file cannot be written
function Run:report(path)
  require("zenml.check").args("run:report", { { "path", path, "string" } })
  return require("zenml.report").write({ self }, path)
end

-- Artifact ---------------------------------------------------------------------

function Artifact:init(repo, row, present)
  self._repo = repo
  self.present = present
  for k, v in pairs(row) do self[k] = v end
end

function Artifact:__tostring()
  return ("<Artifact %s %s %s>"):format(self.id, self.type or "?", output.bytes(self.size or 0))
end

-- Statistics and schemas print as aligned tables in the REPL.
readable = function(kind, v)
  if type(v) ~= "table" or (kind ~= "statistics" and kind ~= "schema") then return v end
  local stats = require "zenml.stats"
  -- decoded YAML mappings carry a metatable (their key order): extend it
  local mt = getmetatable(v) or {}
  if mt.__tostring == nil then
    mt.__tostring = kind == "statistics" and stats.format or stats.format_schema
  end
  return setmetatable(v, mt)
end

--- Path of the stored object (read-only).
function Artifact:path()
  return self._repo:store():path(self.id)
end

--- The artifact's content: a frame for frames, a Lua value for values,
--- metrics and statistics, bytes for anything else.
function Artifact:read()
  local store = self._repo:store()
  if self.type == "frame" then
    return require("zenml.frame").read(store:path(self.id), { store = store })
  end
  local data, err = store:read(self.id)
  if not data then return nil, err end
  if self.type == "value" or self.type == "metrics" or self.type == "statistics"
      or self.type == "schema" or self.type == "error" then
    local v, derr = require("zenml.yaml").decode(data, self.id)
    if v == nil then return nil, derr end
    return readable(self.type, v)
  end
  return data
end

return M
