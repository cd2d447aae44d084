--- Step classes of a run document: loading a step's module, finding its
--- class, and building the step object from the parameters the YAML holds.
local errors = require "zenml.errors"
local stepmod = require "zenml.step"

local M = {}

-- The step classes a module offers, by name (for a suggestion).
local function class_names(mod)
  local names = {}
  if type(mod) ~= "table" then return names end
  if type(rawget(mod, "__name")) == "string" then names[#names + 1] = rawget(mod, "__name") end
  for k, v in pairs(mod) do
    if type(k) == "string" and type(v) == "table" and type(v.new) == "function" then
      names[#names + 1] = k
    end
  end
  table.sort(names)
  return names
end

--- The class of step `name` in the document (loading its module).
---@param doc table a run document
---@param name string a step of it
---@return table class
function M.class_of(doc, name)
  local s = doc.steps[name]
  local ok, mod = xpcall(require, errors.handler, s.module)
  if not ok then
    errors.user("step '%s': cannot load module '%s' for class %s: %s", name, s.module, s.class, mod)
  end
  local cls
  if type(mod) == "table" and rawget(mod, "__name") == s.class then
    cls = mod
  elseif type(mod) == "table" then
    cls = rawget(mod, s.class)
  end
  if type(cls) ~= "table" or type(cls.new) ~= "function" then
    errors.user("step '%s': class %s not found in module '%s'%s", name, s.class, s.module,
      errors.did_you_mean(s.class, class_names(mod)))
  end
  return cls
end

--- Build the step object of `name` from the document (loading its module
--- unless `cls` is given).
---@return table step
function M.instantiate(doc, name, cls)
  local s = doc.steps[name]
  cls = cls or M.class_of(doc, name)
  local args = {}
  for k, v in pairs(s.params or {}) do args[k] = v end
  args.cache = s.cache
  args.backend = s.backend
  -- the YAML's step options, checked as the constructor checks them
  for k in pairs(require("zenml.engine.retry").options) do args[k] = s[k] end
  for _, k in ipairs(require("zenml.engine.hooks").names) do args[k] = s[k] end
  args.catch = s.catch
  local built, step = pcall(cls.new, cls, args)
  if not built then errors.user("step '%s': %s", name, tostring(step)) end
  if type(s.outputs) == "table" then step._outputs = s.outputs end
  return step
end

--- The artifact type of each output of step `name`: the YAML's `outputs`
--- (written from the step's declaration when the run was resolved), else
--- the declaration of the step built from the document.
---@return table<string, string> output name -> artifact type
function M.output_types(doc, name)
  local s = doc.steps[name]
  local spec = type(s.outputs) == "table" and s.outputs or M.instantiate(doc, name):output_spec()
  local types = {}
  for out, t in pairs(spec) do types[out] = (stepmod.parse_type(t)) end
  return types
end

return M
