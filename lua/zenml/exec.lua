--- zenml.exec: run a DAG of tasks on worker threads, each worker in its own
--- Lua state, and map a task over items. Tasks are named "module.function"
--- because functions cannot cross into another state: each worker requires
--- the module itself. Results come back as strings.
local core = require "zenml._core"

local M = {}

---@class zenml.exec.node
---@field name string unique node name
---@field deps? string[] names of the nodes that must complete first

---@class zenml.exec.event
---@field node string
---@field kind "start"|"done"
---@field status "running"|"completed"|"failed"|"skipped"|"cancelled"
---@field worker? integer 1-based worker that ran it (absent when it never ran)
---@field time number seconds since the epoch

---@class zenml.exec.result
---@field status "completed"|"failed"|"skipped"|"cancelled"
---@field result? string what the task returned
---@field error? string the error with its traceback, or why it was skipped
---@field started? number seconds since the epoch (absent when it never ran)
---@field ended? number
---@field worker? integer

-- Raise for the caller of zenml.exec.<fname>; `level` counts from the
-- function that calls fail (1: a public function, 2: a helper of one).
local function fail_at(level, fname, fmt, ...)
  error(string.format("zenml.exec.%s: " .. fmt, fname, ...), level + 2)
end

local function fail(fname, fmt, ...)
  fail_at(2, fname, fmt, ...)
end

local function describe(v)
  if type(v) == "string" then return "'" .. v .. "'" end
  return type(v)
end

--- Split "a.b.c.fn" into "a.b.c", "fn".
local function task_name(fname, field, v, optional)
  if v == nil and optional then return nil, nil end
  local mod, fn
  if type(v) == "string" then mod, fn = v:match("^([%w_][%w_%.]*)%.([%a_][%w_]*)$") end
  if not mod or mod:find("%.%.") or mod:sub(-1) == "." then
    fail(fname, "%s must be \"module.function\", got %s", field, describe(v))
  end
  return mod, fn
end

local function jobs_of(fname, v)
  if v == nil then return 1 end
  if math.type(v) ~= "integer" or v < 1 then
    fail(fname, "jobs must be a positive integer, got %s", math.type(v) and tostring(v) or type(v))
  end
  return v
end

--- Names -> index, and each node's deps as indices, checked.
local function read_nodes(nodes)
  if type(nodes) ~= "table" then
    fail("run", "nodes must be a list of {name=, deps=} tables, got %s", type(nodes))
  end
  local names, index = {}, {}
  for i, node in ipairs(nodes) do
    if type(node) ~= "table" then
      fail("run", "node %d must be a table {name=, deps=}, got %s", i, type(node))
    end
    if type(node.name) ~= "string" then
      fail("run", "node %d needs a string name, got %s", i, type(node.name))
    end
    if index[node.name] then
      fail("run", "duplicate node name '%s' (nodes %d and %d)", node.name, index[node.name], i)
    end
    names[i], index[node.name] = node.name, i
  end
  local deps = {}
  for i, node in ipairs(nodes) do
    local d = node.deps or {}
    if type(d) ~= "table" then
      fail("run", "deps of node '%s' must be a list of node names, got %s", node.name, type(d))
    end
    local list = {}
    for k, dep in ipairs(d) do
      if type(dep) ~= "string" then
        fail("run", "dependency %d of node '%s' must be a node name, got %s", k, node.name, type(dep))
      end
      list[k] = index[dep] or fail("run", "node '%s' depends on unknown node '%s'", node.name, dep)
    end
    deps[i] = list
  end
  return names, deps, index
end

local function read_args(args, index)
  local list = {}
  if args == nil then return list end
  if type(args) ~= "table" then
    fail("run", "args must be a table of node name -> string, got %s", type(args))
  end
  for name, v in pairs(args) do
    if not index[name] then fail("run", "args names unknown node %s", describe(name)) end
    if type(v) ~= "string" then fail("run", "args['%s'] must be a string, got %s", name, type(v)) end
    list[index[name]] = v
  end
  return list
end

--- Run a DAG of tasks. A node runs once every node it depends on completed;
--- a failure skips everything downstream of it while independent branches
--- keep going (like `make -k`). Each of `jobs` workers gets its own Lua state
--- and calls `task(name, args[name], worker, deps)`, deps being the results
--- of the node's dependencies by name; the task returns a string or nil.
--- A task given as a function runs in the calling state (jobs must be 1).
---@param opts {nodes: zenml.exec.node[], jobs?: integer, task: string|function, init?: string, args?: table<string, string>, on_event?: fun(ev: zenml.exec.event): boolean?}
---@return table<string, zenml.exec.result> results keyed by node name
---@return boolean ok every node completed
function M.run(opts)
  if type(opts) ~= "table" then
    error(require("zenml.check").message("zenml.exec.run", 1, "opts", "table", opts), 2)
  end
  local names, deps, index = read_nodes(opts.nodes)
  local jobs = jobs_of("run", opts.jobs)
  local task_mod, task_fn
  if type(opts.task) == "function" then
    if jobs ~= 1 then
      fail_at(1, "run", "a task given as a function runs in the calling state: jobs must be 1, got %d", jobs)
    end
    if opts.init ~= nil then fail_at(1, "run", "init is for worker states; a function task has none") end
    task_mod = opts.task
  else
    task_mod, task_fn = task_name("run", "task", opts.task)
  end
  local init_mod, init_fn = task_name("run", "init", opts.init, true)
  local args = read_args(opts.args, index)
  if opts.on_event ~= nil and type(opts.on_event) ~= "function" then
    fail_at(1, "run", "on_event must be a function, got %s", type(opts.on_event))
  end
  local results, ok, kind = core.exec.run(names, deps, jobs, task_mod, task_fn,
    init_mod, init_fn, args, opts.on_event)
  if results then return results, ok end
  if kind == "interrupted" or kind == "event" then error(ok, 0) end
  error("zenml.exec.run: " .. ok, 2)
end

--- Call `task(i, arg, worker)` for i = 1..n on `jobs` worker states and
--- collect what each returns (a string or nil). The first error stops the
--- rest and is raised, naming the item.
---@param opts {n: integer, jobs?: integer, task: string, arg?: string}
---@return (string|nil)[] results indexed by item
function M.map(opts)
  if type(opts) ~= "table" then
    error(require("zenml.check").message("zenml.exec.map", 1, "opts", "table", opts), 2)
  end
  if math.type(opts.n) ~= "integer" or opts.n < 0 then
    fail_at(1, "map", "n must be an integer >= 0, got %s",
      math.type(opts.n) and tostring(opts.n) or type(opts.n))
  end
  local jobs = jobs_of("map", opts.jobs)
  local mod, fn = task_name("map", "task", opts.task)
  if opts.arg ~= nil and type(opts.arg) ~= "string" then
    fail_at(1, "map", "arg must be a string, got %s", type(opts.arg))
  end
  local out, err = core.exec.map(opts.n, jobs, mod, fn, opts.arg)
  if not out then error("zenml.exec.map: " .. err, 2) end
  return out
end

--- The number of online cores: a sensible `jobs` for CPU-bound work.
---@return integer
function M.ncores()
  return core.exec.ncores()
end

return M
