--- Steps: the generic `Step` class that every built-in and custom step
--- derives from. A step declares typed inputs, outputs and parameters;
--- `run(ctx, inputs)` returns its outputs.
local class = require "zenml.class"
local errors = require "zenml.errors"

local M = {}

--- Artifact types a step may declare for its inputs and outputs.
M.artifact_types = {
  frame = true, model = true, metrics = true, statistics = true, schema = true,
  file = true, tree = true, value = true,
}

local param_types = {
  integer = function(v) return math.type(v) == "integer" end,
  number = function(v) return type(v) == "number" end,
  string = function(v) return type(v) == "string" end,
  boolean = function(v) return type(v) == "boolean" end,
  table = function(v) return type(v) == "table" end,
  list = function(v) return type(v) == "table" end,
  map = function(v) return type(v) == "table" end,
  any = function() return true end,
}
M.param_types = param_types

local Step = class.Object:extend("Step")
M.Step = Step

Step.inputs = {}
Step.outputs = {}
Step.params = {}

--- Keys of a step's constructor table that are options, not parameters.
local options = { cache = "boolean", backend = "string" }

local function describe(v)
  if type(v) == "string" then return ("string %q"):format(v) end
  if type(v) == "table" then return "a table" end
  return type(v) .. (v ~= nil and (" " .. tostring(v)) or "")
end

local sorted_names = require("zenml.tables").sorted_keys
M.sorted_names = sorted_names

--- Parse a declared artifact type: "frame", "value[]" (a list), "frame{}" (a map).
---@return string base, string shape "one"|"list"|"map"
local parsed = {}          -- type string -> { base, shape }: steps share a few types

function M.parse_type(spec)
  local t = tostring(type(spec) == "table" and spec.type or spec)
  local p = parsed[t]
  if not p then
    local base, suffix = t:match("^(%a+)(.-)%??$")
    p = { base, suffix == "[]" and "list" or suffix == "{}" and "map" or "one" }
    parsed[t] = p
  end
  return p[1], p[2]
end

--- Check a declared input or output map (`kind` "input" or "output"):
--- names to types such as "frame", "value[]", "model{}" or { type = ... }.
--- Returns nil or a message.
-- Declarations already found valid (a class's table is checked once, not
-- for every step built from it).
local valid_specs = setmetatable({}, { __mode = "k" })

function M.check_spec(class_name, kind, spec)
  if type(spec) ~= "table" then
    return ("%s: %ss must be a table of name = type, got %s"):format(class_name, kind, type(spec))
  end
  if valid_specs[spec] then return nil end
  for name, t in pairs(spec) do
    local ty = type(t) == "table" and t.type or t
    local base, suffix = tostring(ty):match("^(%a+)(.-)%??$")
    if type(name) ~= "string" or type(ty) ~= "string" or not M.artifact_types[base]
        or (suffix ~= "" and suffix ~= "[]" and suffix ~= "{}") then
      return ("%s: %s '%s' has type %s; types are: %s (a list: type[], a map: type{})"):format(
        class_name, kind, tostring(name), type(ty) == "string" and ("'" .. ty .. "'") or type(ty),
        table.concat(sorted_names(M.artifact_types), ", "))
    end
  end
  valid_specs[spec] = true
  return nil
end

--- Whether a declared input must be wired.
function M.is_required(spec)
  return type(spec) == "table" and spec.required == true
end

local function check_param(cls, name, spec, value)
  local want = spec.type or "any"
  local ok = param_types[want]
  if not ok then
    error(("%s: parameter '%s' has unknown type '%s'"):format(cls.__name, name, tostring(want)), 0)
  end
  if not ok(value) then
    error(("%s: parameter '%s' expects %s, got %s"):format(cls.__name, name,
      want == "integer" and "an integer" or "a " .. want, describe(value)), 0)
  end
  if spec.values then
    for _, allowed in ipairs(spec.values) do
      if allowed == value then return end
    end
    local list = {}
    for i, a in ipairs(spec.values) do list[i] = tostring(a) end
    error(("%s: parameter '%s' expects one of %s, got %s%s"):format(cls.__name, name,
      table.concat(list, ", "), describe(value),
      type(value) == "string" and errors.did_you_mean(value, list) or ""), 0)
  end
  if spec.check then
    local msg = spec.check(value)
    if msg then error(("%s: parameter '%s' %s"):format(cls.__name, name, msg), 0) end
  end
end

local copy = require("zenml.tables").copy

-- A parent's declaration with the fields a subclass gives laid over it; a
-- new default makes a required parameter optional unless it says otherwise.
local function overlay(parent, own)
  if type(parent) ~= "table" or type(own) ~= "table" then return own end
  local out = {}
  for k, v in pairs(parent) do out[k] = v end
  for k, v in pairs(own) do out[k] = v end
  if own.default ~= nil and own.required == nil then out.required = nil end
  return out
end

--- The parameters a class accepts: its own `params` laid over those of its
--- parents, so a subclass extends them and may override a declaration or
--- just one field of it (`{ default = ... }`).
---@param cls table a Step class
---@return table name -> declaration
function M.param_spec(cls)
  local chain, c = {}, cls
  while type(c) == "table" do
    local own = rawget(c, "params")
    if own and next(own) ~= nil then chain[#chain + 1] = own end
    c = rawget(c, "super")
  end
  -- one level declares parameters (most classes): its table as it is, so
  -- nothing is copied for each step built
  if #chain <= 1 then return chain[1] or {} end
  local spec = {}
  for i = #chain, 1, -1 do
    for name, own in pairs(chain[i]) do
      spec[name] = overlay(spec[name], own)
    end
  end
  return spec
end

--- Build a step from its parameters (and the options `cache`, `backend`).
--- Validates every parameter against the class's `params` spec.
function Step:init(args)
  local cls = getmetatable(self)
  if args ~= nil and type(args) ~= "table" then
    errors.user("%s: expected a table of parameters, got %s", cls.__name, describe(args))
  end
  args = args or {}
  local spec = M.param_spec(cls)
  local params = {}
  for k, v in pairs(args) do
    if options[k] then
      if type(v) ~= options[k] then
        errors.user("%s: option '%s' expects a %s, got %s", cls.__name, k, options[k], describe(v))
      end
      local bad = k == "backend" and require("zenml.names").check_backend(v)
      if bad then error(("%s: option 'backend': %s"):format(cls.__name, bad), 3) end
      self["_" .. k] = v
    elseif spec[k] == nil then
      local known = sorted_names(spec)
      errors.user("%s: unknown parameter '%s'; parameters are: %s%s", cls.__name, tostring(k),
        #known > 0 and table.concat(known, ", ") or "(none)", errors.did_you_mean(k, known))
    else
      params[k] = copy(v)
    end
  end
  for _, name in ipairs(sorted_names(spec)) do
    local s = spec[name]
    if params[name] == nil then
      if s.required then errors.user("%s: parameter '%s' is required", cls.__name, name) end
      params[name] = copy(s.default)
    end
    if params[name] ~= nil then
      local ok, err = pcall(check_param, cls, name, s, params[name])
      if not ok then errors.user("%s", tostring(err)) end
    end
  end
  self.params = params
  self:configure()
end

--- Hook called after parameters are validated (subclasses may derive state).
function Step:configure() end

--- The declared inputs: name -> type. Subclasses may compute them.
function Step:input_spec() return getmetatable(self).inputs or {} end

--- The declared outputs: name -> type. Subclasses may compute them (split
--- names); a step rebuilt from a run's YAML gets them from there.
function Step:output_spec() return self._outputs or getmetatable(self).outputs or {} end

--- Hook called when the pipeline is validated, for each wired input with the
--- upstream steps it reads (a step whose outputs follow its inputs uses it).
---@param input string
---@param upstream table[] the upstream Step objects
function Step:connect(input, upstream) end

--- Whether this step may reuse cached results (the `cache = false` option).
function Step:cacheable()
  if self._cache ~= nil then return self._cache end
  return getmetatable(self).cache ~= false
end

--- The step's own work; subclasses override it.
---@param ctx table the step context (logging, progress, run information)
---@param inputs table name -> loaded input
---@return table outputs name -> value
function Step:run(ctx, inputs)
  errors.user("%s does not implement run(ctx, inputs)", getmetatable(self).__name)
end

function Step:__tostring()
  return ("<%s step>"):format(getmetatable(self).__name)
end

return M
