--- Names of pipelines and steps, checked by one rule wherever they come from
--- (a Lua constructor, a run's YAML, the command line): a pipeline's name
--- becomes part of a file name (`pipelines/<name>_<run>.yaml`) and a step's
--- name part of every reference to its outputs ("step.output").
local M = {}

local MAX = 100

local rules = {
  pipeline = { pattern = "^[%w][%w_.%-]*$",
    says = "letters, digits, '_', '.', '-', starting with a letter or digit" },
  step = { pattern = "^[%a_][%w_%-]*$",
    says = "letters, digits, '_', '-', starting with a letter or '_'" },
}

local function shown(v)
  if type(v) == "string" then return ("%q"):format(v) end
  return v == nil and "nil" or type(v)
end

--- Check a name of `kind` ("pipeline" or "step"). Returns nil when it is
--- valid, else a message: "name must be ..., got ...".
---@param kind string
---@param name any
---@return string|nil
function M.check(kind, name)
  local rule = assert(rules[kind], kind)
  if type(name) == "string" and #name <= MAX and name:match(rule.pattern) then return nil end
  return ("name must be a string of %s (at most %d characters), got %s"):format(rule.says, MAX,
    shown(name))
end

return M
