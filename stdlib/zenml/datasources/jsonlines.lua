--- JSONLines { name, path }: one JSON object per line; keys become columns
--- (in order of first appearance), types are inferred as for CSV: a column
--- of integers is int64, of numbers float64, of true/false bool, anything
--- else string; a column of mixed types is read as string and says so.
--- Nested arrays and objects are kept as their JSON text.
local datasource = require "zenml.datasource"
local frame = require "zenml.frame"
local json = require "zenml.json"

local JSONLines = datasource.BaseDatasource:extend("JSONLines")
datasource.register("jsonlines", JSONLines)
JSONLines.arguments = { path = "path" }

function JSONLines:sources()
  local p = self:resolve(self:config().path)
  local kind = self:path_kind(p)
  if kind == "other" then self:fail(("%s: not a regular file"):format(self:config().path)) end
  if kind ~= "file" then self:fail(("%s: no such file"):format(self:config().path)) end
  return { p }
end

local function kind_of(v)
  local t = type(v)
  if t == "number" then return math.type(v) == "integer" and "int" or "float" end
  if t == "boolean" then return "bool" end
  return "string"
end

-- Parse every line into rows of key -> value; keys in order of first sight.
function JSONLines:_parse(p)
  local name = self:config().path
  local f = io.open(p, "rb")
  if not f then self:fail(("%s: cannot open the file"):format(name)) end
  local rows, keys, seen, n = {}, {}, {}, 0
  for line in f:lines() do
    n = n + 1
    if not utf8.len(line) then f:close() self:fail(("%s:%d: invalid UTF-8"):format(name, n)) end
    if line:find("%S") then
      local order = {}
      local v, err = datasource.try_decode_json(line, order)
      if v == nil then f:close() self:fail(("%s:%d: %s"):format(name, n, err)) end
      if type(v) ~= "table" or v == datasource.null or #v > 0 then
        f:close()
        self:fail(("%s:%d: expected a JSON object, got %s"):format(name, n,
          type(v) == "table" and v ~= datasource.null and "an array" or kind_of(v)))
      end
      for _, k in ipairs(order) do
        if not seen[k] then seen[k] = true; keys[#keys + 1] = k end
      end
      rows[#rows + 1] = v
    end
  end
  f:close()
  if n == 0 then self:fail(("%s: empty file"):format(name)) end
  if #rows == 0 then self:fail(("%s: no objects, only blank lines"):format(name)) end
  return rows, keys
end

-- The column's values converted to one type, and a note when they were mixed.
local function column(rows, key)
  local values, kinds = {}, {}
  for i, r in ipairs(rows) do
    local v = r[key]
    if v == datasource.null then v = nil end
    if type(v) == "table" then v = json.encode(v) end
    values[i] = v
    if v ~= nil then kinds[kind_of(v)] = true end
  end
  local mixed = kinds.string and (kinds.int or kinds.float or kinds.bool)
    or kinds.bool and (kinds.int or kinds.float)
  for i = 1, #rows do
    local v = values[i]
    if v ~= nil then
      if mixed then values[i] = type(v) == "string" and v or json.encode(v)
      elseif kinds.float then values[i] = v + 0.0 end
    end
  end
  -- a value of the column's type, for the row that fixes the column's length
  local filler = (mixed or kinds.string or not next(kinds)) and "" or kinds.float and 0.0
    or kinds.int and 0 or false
  values[#rows + 1] = filler
  return values, mixed and ("column '%s' has values of mixed types; read as string"):format(key)
end

function JSONLines:read()
  local rows, keys = self:_parse(self:sources()[1])
  local cols, notes = {}, {}
  for _, k in ipairs(keys) do
    local values, note = column(rows, k)
    cols[k] = values
    notes[#notes + 1] = note or nil
  end
  self.note = #notes > 0 and table.concat(notes, "; ") or nil
  -- from_table takes a column's length from its last value, so each column
  -- got one filler row past the end, cut off here
  return frame.from_table(cols, { columns = keys }):head(#rows)
end

return JSONLines
