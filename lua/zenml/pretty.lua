--- Pretty-printing of values for the REPL: nested tables indented, cycles
--- marked, anything with a __tostring metamethod shown through it.
local pretty = {}

local function is_identifier(s)
  return type(s) == "string" and s:match("^[%a_][%w_]*$") ~= nil
end

local function sorted_keys(t, n)
  local keys = {}
  for k in pairs(t) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then
      keys[#keys + 1] = k
    end
  end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    if ta == "number" or ta == "string" then return a < b end
    return tostring(a) < tostring(b)
  end)
  return keys
end

local function scalar(v)
  if type(v) == "string" then return ("%q"):format(v):gsub("\\\n", "\\n") end
  local mt = getmetatable(v)
  if mt and type(mt) == "table" and mt.__tostring then return tostring(v) end
  return tostring(v)
end

-- Fields that hold times (unix seconds) in what the metadata store returns:
-- shown as ISO 8601 dates.
local TIME_FIELDS = { started = true, ended = true, created = true, last_run = true }
pretty.TIME_FIELDS = TIME_FIELDS

local function render(v, indent, seen, out, key)
  if TIME_FIELDS[key] and type(v) == "number" and v > 0 and v < 1e11 then
    out[#out + 1] = require("zenml.output").iso_time(v)
    return
  end
  local mt = getmetatable(v)
  if type(v) ~= "table" or (type(mt) == "table" and mt.__tostring) then
    out[#out + 1] = scalar(v)
    return
  end
  if seen[v] then
    out[#out + 1] = "<cycle: " .. tostring(v):gsub("^table: ", "table ") .. ">"
    return
  end
  if next(v) == nil then
    out[#out + 1] = "{}"
    return
  end
  seen[v] = true
  local n = #v
  local pad = indent .. "  "
  out[#out + 1] = "{\n"
  for i = 1, n do
    out[#out + 1] = pad
    render(v[i], pad, seen, out)
    out[#out + 1] = ",\n"
  end
  for _, k in ipairs(sorted_keys(v, n)) do
    out[#out + 1] = pad
    out[#out + 1] = is_identifier(k) and k or "[" .. scalar(k) .. "]"
    out[#out + 1] = " = "
    render(v[k], pad, seen, out, k)
    out[#out + 1] = ",\n"
  end
  out[#out + 1] = indent .. "}"
  seen[v] = nil
end

--- Render one value as text.
---@param v any
---@return string
function pretty.format(v)
  local out = {}
  render(v, "", {}, out)
  return table.concat(out)
end

--- Print each argument on its own line (what the REPL does with results).
function pretty.show(...)
  for i = 1, select("#", ...) do
    io.stdout:write(pretty.format((select(i, ...))), "\n")
  end
  io.stdout:flush()
end

return pretty
