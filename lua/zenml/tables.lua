--- Small helpers on plain Lua tables, shared by zenml's modules.
local M = {}

--- The keys of `t`, sorted.
---@param t table
---@return any[]
function M.sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

--- A deep copy of `v` (tables copied all the way down; metatables not kept).
---@param v any
---@return any
function M.copy(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = M.copy(x) end
  return out
end

return M
