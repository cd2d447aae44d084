--- `zenml run ... --set STEP.PARAM=VALUE`: parameters given on the command
--- line. The text is typed by the parameter's declaration and the step is
--- built again by its own constructor, so a value is checked exactly as if it
--- were written in the script; the run's YAML then records it like any other
--- parameter.
local yaml = require "zenml.yaml"
local stepmod = require "zenml.step"

local M = {}

--- Parse one --set argument into {step, param, text, arg}; nil and a message
--- when it is not STEP.PARAM=VALUE.
---@param arg string
---@return table|nil
---@return string|nil
function M.parse(arg)
  local step, param, text = arg:match("^([%w_%-]+)%.([%a_][%w_]*)=(.*)$")
  if not step then
    return nil, ("--set expects STEP.PARAM=VALUE, got '%s'"):format(arg)
  end
  return { step = step, param = param, text = text, arg = arg }
end

-- A bare word as YAML reads it (16 -> 16, true -> true, abc -> "abc").
local function scalar(text)
  local v = yaml.decode(text)
  if v == nil or v == yaml.null then return text end
  return v
end

local function structured(text)
  local v = yaml.decode(text)
  if type(v) == "table" then return v end
  return text
end

local function list(text)
  if text:match("^%s*%[") then return structured(text) end
  local out = {}
  if text == "" then return out end
  for item in (text .. ","):gmatch("([^,]*),") do
    out[#out + 1] = scalar(item:match("^%s*(.-)%s*$"))
  end
  return out
end

-- Text -> value of the declared type; text that does not fit stays a string,
-- so the step's own check reports it as for any parameter.
local typers = {
  integer = function(text)
    local n = tonumber(text)
    return n and (math.tointeger(n) or n) or text
  end,
  number = function(text) return tonumber(text) or text end,
  boolean = function(text)
    if text == "true" then return true elseif text == "false" then return false end
    return text
  end,
  string = function(text) return text end,
  list = list,
  table = structured,
  map = structured,
}

--- The value `text` stands for, for a parameter declared as `spec`.
---@param spec table the parameter's declaration ({ type = ..., ... })
---@param text string
function M.typed(spec, text)
  local f = typers[spec.type or "any"] or scalar
  return f(text)
end

local function fail(s, fmt, ...)
  require("zenml.cli").fail(("--set %s: " .. fmt):format(s.arg, ...), 2)
end

-- The overrides for each step, grouped by step name, in the order given.
local function by_step(sets, known, where)
  local groups, names = {}, {}
  for _, s in ipairs(sets) do
    if not known[s.step] then
      fail(s, "%s has no step '%s'; steps are: %s", where, s.step, table.concat(known, ", "))
    end
    if not groups[s.step] then
      groups[s.step] = {}
      names[#names + 1] = s.step
    end
    table.insert(groups[s.step], s)
  end
  return groups, names
end

local copy = require("zenml.tables").copy

-- Build a step of class `cls` from `params` with the overrides applied:
-- the new, validated step object.
local function rebuild(cls, params, options, group)
  local spec = cls.params or {}
  local args = copy(params or {})
  for k, v in pairs(options) do args[k] = v end
  for _, s in ipairs(group) do
    if spec[s.param] == nil then
      local names = stepmod.sorted_names(spec)
      fail(s, "%s has no parameter '%s'; parameters are: %s", cls.__name, s.param,
        #names > 0 and table.concat(names, ", ") or "(none)")
    end
    args[s.param] = M.typed(spec[s.param], s.text)
  end
  local ok, step = pcall(cls.new, cls, args)
  if not ok then
    fail(group[#group], "%s", tostring(step))
  end
  return step
end

local function names_set(list)
  local known = {}
  for i, n in ipairs(list) do known[i], known[n] = n, true end
  return known
end

--- Apply overrides to a Pipeline before it is resolved: each named step is
--- rebuilt with its parameters and the new values.
---@param p table the Pipeline
---@param sets table[] parsed --set arguments
function M.apply_pipeline(p, sets)
  if not sets or #sets == 0 then return end
  local order = {}
  for i, e in ipairs(p.steps) do order[i] = e.name end
  local groups, names = by_step(sets, names_set(order), ("pipeline '%s'"):format(p.name))
  for _, name in ipairs(names) do
    local step = p.by_name[name].step
    local fresh = rebuild(getmetatable(step), step.params,
      { cache = step._cache, backend = step._backend }, groups[name])
    -- keep what was attached after construction (a datasource), take the rest
    for k, v in pairs(fresh) do step[k] = v end
  end
end

--- Apply overrides to a run document being run again (`zenml run x.yaml
--- --set ...`); `class_of(doc, name)` loads a step's class.
---@param doc table the new run's YAML document
---@param sets table[] parsed --set arguments
---@param class_of fun(doc: table, name: string): table
function M.apply_doc(doc, sets, class_of)
  if not sets or #sets == 0 then return end
  local order = yaml.keys(doc.steps)
  local groups, names = by_step(sets, names_set(order), ("pipeline '%s'"):format(doc.name))
  for _, name in ipairs(names) do
    local s = doc.steps[name]
    local fresh = rebuild(class_of(doc, name), s.params, { cache = s.cache }, groups[name])
    s.params = fresh.params
  end
end

return M
