--- Typed, validated parameters of a class (steps and backends): a class
--- declares `params = { name = { type, default, required, values, check } }`,
--- a subclass extends or overrides them, and construction checks every value
--- with one line naming the class, the parameter, what it expects and what it
--- got.
local errors = require "zenml.errors"
local tables = require "zenml.tables"

local M = {}

--- Parameter types and their checks.
M.types = {
  integer = function(v) return math.type(v) == "integer" end,
  number = function(v) return type(v) == "number" end,
  string = function(v) return type(v) == "string" end,
  boolean = function(v) return type(v) == "boolean" end,
  table = function(v) return type(v) == "table" end,
  list = function(v) return type(v) == "table" end,
  map = function(v) return type(v) == "table" end,
  any = function() return true end,
}

--- A value as a message shows it: `string "x"`, `number 3`, `a table`.
function M.describe(v)
  if type(v) == "string" then return ("string %q"):format(v) end
  if type(v) == "table" then return "a table" end
  return type(v) .. (v ~= nil and (" " .. tostring(v)) or "")
end
local describe = M.describe

local function check_one(cls, name, spec, value)
  local want = spec.type or "any"
  local ok = M.types[want]
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
---@param cls table a class
---@return table name -> declaration
function M.spec(cls)
  local chain, c = {}, cls
  while type(c) == "table" do
    local own = rawget(c, "params")
    if own and next(own) ~= nil then chain[#chain + 1] = own end
    c = rawget(c, "super")
  end
  -- one level declares parameters (most classes): its table as it is, so
  -- nothing is copied for each object built
  if #chain <= 1 then return chain[1] or {} end
  local spec = {}
  for i = #chain, 1, -1 do
    for name, own in pairs(chain[i]) do
      spec[name] = overlay(spec[name], own)
    end
  end
  return spec
end

--- Check `args` against the class's parameters: every value typed and
--- checked, defaults filled in, required ones present. Keys in `options`
--- (name -> Lua type, or a function(v) returning nil or what it expects) are
--- not parameters: they come back apart. Raises a user error naming the
--- class and the parameter.
---@return table params, table options
function M.build(cls, args, options)
  if args ~= nil and type(args) ~= "table" then
    errors.user("%s: expected a table of parameters, got %s", cls.__name, describe(args))
  end
  args = args or {}
  options = options or {}
  local spec = M.spec(cls)
  local params, opts = {}, {}
  for k, v in pairs(args) do
    local want = options[k]
    if want then
      local bad
      if type(want) == "function" then bad = want(v) elseif type(v) ~= want then bad = "a " .. want end
      if bad then
        errors.user("%s: option '%s' expects %s, got %s", cls.__name, k, bad, describe(v))
      end
      opts[k] = v
    elseif spec[k] == nil then
      local known = tables.sorted_keys(spec)
      errors.user("%s: unknown parameter '%s'; parameters are: %s%s", cls.__name, tostring(k),
        #known > 0 and table.concat(known, ", ") or "(none)", errors.did_you_mean(tostring(k), known))
    else
      params[k] = tables.copy(v)
    end
  end
  for _, name in ipairs(tables.sorted_keys(spec)) do
    local s = spec[name]
    if params[name] == nil then
      if s.required then errors.user("%s: parameter '%s' is required", cls.__name, name) end
      params[name] = tables.copy(s.default)
    end
    if params[name] ~= nil then
      local ok, err = pcall(check_one, cls, name, s, params[name])
      if not ok then errors.user("%s", tostring(err)) end
    end
  end
  return params, opts
end

--- The parameters of a class on one line: "name:type =default, ...".
function M.summary(cls)
  local spec = M.spec(cls)
  local parts = {}
  for _, k in ipairs(tables.sorted_keys(spec)) do
    local s = spec[k]
    local default = type(s.default) == "table" and require("zenml.json").encode(s.default)
      or tostring(s.default)
    local d = s.required and "required" or (s.default ~= nil and ("=" .. default) or "")
    parts[#parts + 1] = ("%s:%s%s"):format(k, s.type or "any", d ~= "" and (" " .. d) or "")
  end
  return table.concat(parts, ", ")
end

--- The parameters of a class for --json: name -> {type, default?, required?, values?}.
function M.records(cls)
  local out = {}
  for name, s in pairs(M.spec(cls)) do
    out[name] = { type = s.type or "any", default = s.default, required = s.required or nil,
      values = s.values }
  end
  return out
end

return M
