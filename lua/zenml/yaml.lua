--- zenml.yaml: YAML text to Lua values and back (libyaml underneath).
---
--- Plain scalars are typed by the YAML 1.2 core schema (null/~, true/false,
--- integers, floats with .inf/.nan); quoted scalars are always strings. null
--- decodes to the `zenml.yaml.null` sentinel, since nil would vanish from a
--- table. A decoded mapping remembers its key order, and `encode` writes keys
--- in that order (see `ordered`), the rest sorted, so output is deterministic.
local core = require "zenml._core"
local check = require "zenml.check"

local M = {
  --- Stands for YAML null inside tables (decode gives it, encode accepts it).
  null = core.yaml.null,
}


--- Parse YAML text.
---@param text string
---@param name? string what error messages call the text (default "<string>")
---@return any|nil value the document (zenml.yaml.null for an empty one)
---@return string|nil message "name:line:column: what is wrong" when it does not parse
function M.decode(text, name)
  check.args("zenml.yaml.decode", { { "text", text, "string" }, { "name", name, "string?" } })
  return core.yaml.decode(text, name)
end

--- Read and parse a YAML file.
---@param path string
---@return any|nil value the document
---@return string|nil message "path:line:column: what is wrong", or why it cannot be read
function M.read(path)
  check.arg("zenml.yaml.read", 1, "path", path, "string")
  return core.yaml.read(path)
end

--- Write a value as block-style YAML text. Arrays (keys 1..n) become
--- sequences, other tables mappings (an empty table is `{}`); strings are
--- quoted only when they would read back as something else. Raises for values
--- YAML cannot hold (functions, userdata, cycles), naming where they are.
---@param value any
---@return string text
function M.encode(value)
  return core.yaml.encode(value)
end

--- Give `tbl` a key order for `encode`: `keys` first, any other keys after,
--- sorted. Returns `tbl`.
---@generic T: table
---@param tbl T
---@param keys any[]
---@return T
function M.ordered(tbl, keys)
  if type(tbl) ~= "table" or type(keys) ~= "table" then -- (hot: no lists unless it fails)
    check.args("zenml.yaml.ordered", { { "tbl", tbl, "table" }, { "keys", keys, "table" } })
  end
  local mt = getmetatable(tbl)
  if mt == nil then
    return setmetatable(tbl, { __order = keys })
  end
  if type(mt) ~= "table" or next(mt) ~= "__order" or next(mt, "__order") ~= nil then
    error(check.message("zenml.yaml.ordered", 1, "tbl", "a table without a metatable of its own",
      tbl, "a table with one"), 2)
  end
  mt.__order = keys
  return tbl
end

--- Every key of a mapping in document order: the keys the document (or
--- `ordered`) gave it, then the others sorted. A copy the caller may change.
---@param tbl table
---@return any[]
function M.keys(tbl)
  check.arg("zenml.yaml.keys", 1, "tbl", tbl, "table")
  local mt, out, seen = getmetatable(tbl), {}, {}
  local order = type(mt) == "table" and rawget(mt, "__order") or {}
  for _, k in ipairs(order) do
    if tbl[k] ~= nil and not seen[k] then
      out[#out + 1] = k
      seen[k] = true
    end
  end
  local rest = {}
  for k in pairs(tbl) do if not seen[k] then rest[#rest + 1] = k end end
  table.sort(rest, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(rest) do out[#out + 1] = k end
  return out
end

return M
