--- The step context: what a running step sees besides its inputs. It
--- captures everything the step prints into a log, draws progress bars on a
--- terminal, and hands out scratch folders.
local core = require "zenml._core"

local M = {}

local Context = {}
Context.__index = Context

local Existing = {}
Existing.__index = Existing
M.Existing = Existing

-- The processing backend of a step's YAML entry, as its context shows it:
-- { name, workers, map = function(n, task, arg) }. The local backend has
-- one worker (and leaves the kernels' own thread counts alone).
local function processing_of(entry, name)
  local backend = require "zenml.backend"
  local b
  if not backend.is_local(entry) then
    b = backend.from_entry(entry, ("step '%s': processing"):format(name))
  end
  local workers = b and b:worker_count()
  local p = { name = b and b:backend_name() or "local", workers = workers or 1,
    _kernels = b and b:kernel_threads(), backend = b }
  -- a backend that runs a step's row blocks itself (a job array)
  if b and b.run_shards then p.run_shards = function(spec, repo) return b:run_shards(spec, repo) end end
  --- exec.map over this backend's workers: task(i, arg, worker) for i = 1..n.
  function p.map(n, task, arg)
    -- a step's timeout holds in the workers too
    task, arg = require("zenml.engine.retry").under_deadline(task, arg)
    return require("zenml.exec").map { n = n, jobs = math.max(1, math.min(p.workers, n)),
      task = task, arg = arg }
  end
  return p
end

--- A new context for step `name` of run `run_id`. `opts`: `processing`
--- (the step's YAML entry), `ids` (input name -> artifact id), `yaml` (the
--- run's YAML, relative to the repository), `key` (the step's cache key:
--- what names the parts its shards keep for a later run).
function M.new(repo, run_id, name, step, opts)
  opts = opts or {}
  return setmetatable({
    repo = repo, run_id = run_id, step_name = name, step = step, yaml = opts.yaml, cache_key = opts.key,
    processing = processing_of(opts.processing, name), _ids = opts.ids or {},
    _tty = core.sys.isatty(2), _tmpdirs = {},
  }, Context)
end

--- The store path of input `name` (a single artifact), for a worker state
--- to map it again.
function Context:input_path(name)
  local id = self._ids[name]
  if type(id) ~= "string" then
    error(("input '%s' is not a single artifact"):format(tostring(name)), 0)
  end
  return self.repo:store():path(id)
end

--- The stored bytes of input `name` (a single artifact), or nil when the
--- step has no such input: what a shard's map reads besides its rows.
function Context:input_bytes(name)
  local id = self._ids[name]
  if id == nil then return nil end
  return assert(self.repo:store():read(id))
end

--- The input ids a shard's worker may read (single artifacts only).
function Context:input_ids()
  local out = {}
  for k, id in pairs(self._ids) do if type(id) == "string" then out[k] = id end end
  return out
end

--- Return this as an output to reuse an artifact that is already stored.
---@param id string artifact id
function Context:existing(id)
  return setmetatable({ id = id }, Existing)
end

--- Write a line to the step's log.
function Context:log(...)
  local parts = table.pack(...)
  for i = 1, parts.n do parts[i] = tostring(parts[i]) end
  io.write(table.concat(parts, "\t", 1, parts.n), "\n")
end

--- Report progress; draws a bar when standard error is a terminal, nothing otherwise.
---@param done number
---@param total number
function Context:progress(done, total)
  if not self._tty or type(done) ~= "number" or type(total) ~= "number" or total <= 0 then
    return
  end
  local frac = math.max(0, math.min(1, done / total))
  local width = 30
  local filled = math.floor(frac * width + 0.5)
  io.stderr:write(("\r  %-20s [%s%s] %3d%%"):format(self.step_name:sub(1, 20),
    ("#"):rep(filled), ("-"):rep(width - filled), math.floor(frac * 100 + 0.5)))
  if done >= total then io.stderr:write("\r", (" "):rep(60), "\r") end
  io.stderr:flush()
end

--- A fresh scratch folder (in the artifact store's tmp/), removed with
--- everything in it when the step ends.
function Context:tmpdir()
  local store = self.repo:store()
  local dir = store:tmpdir()
  self._tmpdirs[#self._tmpdirs + 1] = dir
  return dir
end

--- Start capturing print and io.write into a temporary file, and give the
--- data kernels this thread runs the processing backend's workers.
function Context:capture()
  self._saved_workers = core.sys.workers(self.processing._kernels or 0)
  -- under a processing backend, the kernels list their shards for run show
  if self.processing.backend then
    core.sys.shardlog_open()
    self._shardlog = true
  end
  self._saved_print, self._saved_output = _G.print, io.output()
  self._log = core.sys.memfile()
  io.output(self._log)
  core.sys.log_capture(self._log)
  _G.print = function(...)
    local parts = table.pack(...)
    for i = 1, parts.n do parts[i] = tostring(parts[i]) end
    io.write(table.concat(parts, "\t", 1, parts.n), "\n")
  end
end

--- Stop capturing; returns the captured text and removes scratch folders.
function Context:finish()
  local text = ""
  if self._shardlog then
    self._shardlog = nil
    self.kernel_shards = core.sys.shardlog_close()
  end
  if self._saved_workers then
    core.sys.workers(self._saved_workers)
    self._saved_workers = nil
  end
  if self._log then
    io.output(self._saved_output)
    core.sys.log_capture(nil)
    _G.print = self._saved_print
    text = core.sys.memfile_take(self._log)
    self._log:close()
    self._log = nil
  end
  for _, d in ipairs(self._tmpdirs) do
    local ok, err = self.repo:store():remove_tmp(d)
    if not ok then io.stderr:write("zenml: warning: ", err, "\n") end
  end
  self._tmpdirs = {}
  return text
end

return M
