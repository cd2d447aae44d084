--- zenml.check: argument validation for zenml's public Lua functions, in the
--- manner of Neovim's `vim.validate`. One message format everywhere:
---
---     <function>: argument <n> (<name>): expected <type>, got <type>
---
---     check.args("store:put", { { "data", data, "string" } })
---     check.args("frame.read_csv", { { "path", path, "string" }, { "opts", opts, "table?" } })
---
--- A type is a Lua type name, "integer", "float", "callable", a name given to
--- check.type (e.g. "frame"), several joined by "|" ("string|table"), and
--- optional (nil accepted) with a trailing "?". The error points at the line
--- that called the checked function.
local M = {}

local custom = {}

local function callable(v)
  if type(v) == "function" then return true end
  local mt = getmetatable(v)
  return type(mt) == "table" and type(rawget(mt, "__call")) == "function"
end

local builtin = {
  integer = function(v) return math.type(v) == "integer" end,
  float = function(v) return math.type(v) == "float" end,
  callable = callable,
}

--- Give a name to a kind of value a function accepts (a frame, a store).
---@param name string
---@param test fun(v: any): boolean
function M.type(name, test)
  custom[name] = test
end

local function is(v, name)
  local test = custom[name] or builtin[name]
  if test then return test(v) == true end
  return type(v) == name
end

-- What a value is, as a message says it: "nil", "string", a float as
-- "number", a registered kind by its name.
local function describe(v)
  for name, test in pairs(custom) do
    if test(v) == true then return name end
  end
  return type(v)
end

-- Specs parsed once: { optional = bool, name, name, ... } (checks run on
-- every call of the metadata and store API, thousands per run).
local parsed = {}

local function parse(spec)
  local optional = spec:sub(-1) == "?"
  local p = { optional = optional }
  for name in (optional and spec:sub(1, -2) or spec):gmatch("[^|]+") do p[#p + 1] = name end
  parsed[spec] = p
  return p
end

--- Whether `v` is of type `spec` (the syntax of check.args).
---@param v any
---@param spec string
---@return boolean
function M.is(v, spec)
  if type(v) == spec then return true end -- the common case: a plain Lua type
  local p = parsed[spec] or parse(spec)
  if v == nil and p.optional then return true end
  for i = 1, #p do
    if is(v, p[i]) then return true end
  end
  return false
end

--- The message for a bad argument (for checks check.args cannot express).
---@param fname string the function as the user calls it ("store:put")
---@param n integer the argument's position (without self)
---@param name string the parameter's name, or a field of it ("opts.threads")
---@param expected string what was expected
---@param v any what was given
---@param got? string what to call it (default: its type; say a number's value
--- when the type was right but the value was not)
---@return string
function M.message(fname, n, name, expected, v, got)
  return ("%s: argument %d (%s): expected %s, got %s"):format(fname, n, name,
    expected, got or describe(v))
end

local function expected(spec)
  return (spec:gsub("%?$", ""):gsub("|", " or "))
end

--- Check one argument; raises at the caller of the checked function.
---@param fname string
---@param n integer
---@param name string
---@param v any
---@param spec string
---@param level? integer extra levels between the checked function and this call
function M.arg(fname, n, name, v, spec, level)
  if not M.is(v, spec) then
    error(M.message(fname, n, name, expected(spec), v), 3 + (level or 0))
  end
end

--- Check a function's arguments: a list of { name, value, type }, in order.
---@param fname string
---@param specs table[]
---@param level? integer extra levels between the checked function and this call
function M.args(fname, specs, level)
  for n, s in ipairs(specs) do
    if not M.is(s[2], s[3]) then
      error(M.message(fname, n, s[1], expected(s[3]), s[2]), 3 + (level or 0))
    end
  end
end

--- Check fields of an options table given as argument n: a list of
--- { field, value, type } named "<opts>.<field>" in the message.
---@param fname string
---@param n integer
---@param opts string the options argument's name
---@param specs table[]
---@param level? integer
function M.fields(fname, n, opts, specs, level)
  for _, s in ipairs(specs) do
    if not M.is(s[2], s[3]) then
      error(M.message(fname, n, opts .. "." .. s[1], expected(s[3]), s[2]), 3 + (level or 0))
    end
  end
end

return M
