--- `on_success` and `on_failure` hooks of steps and pipelines
--- (docs/pipelines.md, "Retries, timeouts, hooks"): Lua functions in the
--- repository's modules, named "module.function" in the run's YAML and
--- pinned like a step's source, called once when a step or the run ended.
--- A hook that raises is recorded and warned about; it never changes the
--- result of what it reports on.
local errors = require "zenml.errors"
local modules = require "zenml.modules"

local M = {}

--- The names of the hooks.
M.names = { "on_failure", "on_success" }

--- The step (and pipeline) option's check: "module.function" or a function.
function M.check(v)
  if type(v) == "function" then return nil end
  if type(v) == "string" and v:match("^[%a_][%w_%.]*%.[%a_][%w_]*$") then return nil end
  return "a function of a repository module or its name, \"module.function\""
end

-- The module and function names of "a.b.fn".
local function split(name)
  return name:match("^(.+)%.([^.]+)$")
end

-- The "module.function" name of function `fn`: a field of a module loaded
-- from a file (a repository module), or nil.
local function name_of_function(fn)
  local found
  for module in pairs(modules.loaded) do
    local m = package.loaded[module]
    if type(m) == "table" then
      for k, v in pairs(m) do
        if v == fn and type(k) == "string" and (not found or module .. "." .. k < found) then
          found = module .. "." .. k
        end
      end
    end
  end
  return found
end

--- The function a hook names, loading its module; raises a user error
--- prefixed with `where` when it does not resolve.
function M.load(name, where)
  local module, fn = split(name)
  local ok, mod = xpcall(require, errors.handler, module)
  if not ok then
    errors.user("%s: %q does not resolve: cannot load module '%s': %s", where, name, module,
      tostring(mod):match("^[^\n]*"):gsub(":$", ""))
  end
  local f = type(mod) == "table" and mod[fn]
  if type(f) ~= "function" then
    errors.user("%s: %q does not resolve: module '%s' has no function '%s'", where, name, module, fn)
  end
  return f
end

--- The name a run's YAML records for hook `v` (a function or a name),
--- checked to resolve; the hook's module, for pinning. Raises a user error
--- prefixed with `where`.
---@return string name, string module
function M.resolve(v, where)
  local name = v
  if type(v) == "function" then
    name = name_of_function(v)
    if not name then
      errors.user("%s: the function is not a field of a module loaded from a file; define it in"
        .. " a module (hooks/NAME.lua) and give it or its name \"module.function\"", where)
    end
  end
  M.load(name, where)
  return name, (split(name))
end

-- Call hook `name` with `info`; returns nil or the error's text.
local function call(name, info, where)
  local ok, err = xpcall(function() M.load(name, where)(info) end, errors.handler)
  if ok then return nil end
  return tostring(err)
end

--- Call the hooks of `entry` (a step's YAML entry, or the YAML's options)
--- for an end with `info.status`: on_success when it completed (or was
--- cached), on_failure when it failed. A hook that raises is warned about
--- and recorded with `record(hook, message)`.
function M.run(entry, info, where, record)
  local hook = (info.status == "failed") and "on_failure" or "on_success"
  local name = entry and entry[hook]
  if type(name) ~= "string" then return end
  local err = call(name, info, ("%s: %s"):format(where, hook))
  if err then
    io.stderr:write(("zenml: warning: %s: %s hook %s raised: %s\n"):format(where, hook, name,
      err:match("^[^\n]*")))
    pcall(record, hook, err)
  end
end

--- After step `name` of `doc` ended with result `r` (its last attempt):
--- its hooks, with {run_id, pipeline, step, status, error?, attempts}.
function M.step_ended(repo, doc, name, r)
  local entry = doc.steps[name]
  if not (entry.on_failure or entry.on_success) then return end
  M.run(entry, { run_id = doc.run_id, pipeline = doc.name, step = name, status = r.status,
    error = r.error, attempts = r.attempts or 1 }, ("step '%s'"):format(name), function(hook, err)
    if r.execution then
      repo:meta():property_set("execution", tostring(r.execution), "hook_error." .. hook, err)
    end
  end)
end

--- After run `doc` ended with `status`: the pipeline's hooks, with
--- {run_id, pipeline, status, failed = step names}.
function M.run_ended(repo, doc, status, results)
  local o = doc.options or {}
  if not (o.on_failure or o.on_success) then return end
  local failed = {}
  for name, r in pairs(results) do
    if r.status == "failed" then failed[#failed + 1] = name end
  end
  table.sort(failed)
  M.run(o, { run_id = doc.run_id, pipeline = doc.name, status = status, failed = failed },
    ("pipeline '%s'"):format(doc.name), function(hook, err)
      repo:meta():property_set("run", doc.run_id, "hook_error." .. hook, err)
    end)
end

return M
