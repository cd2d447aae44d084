--- zenml.stats: statistics of a frame per column, an inferred schema, and
--- checking a frame against a schema (missing columns, type changes,
--- out-of-domain values). Numbers come from the C frame kernels (describe,
--- unique, column stats); only the histogram walks the values in Lua.
local frame_mod = require "zenml.frame"

local M = {}

local MAX_DOMAIN = 50 -- a string column with more distinct values has no value set
local BINS, TOP = 10, 10

local function check_frame(fn, f)
  if not frame_mod.is_frame(f) then
    error(("stats.%s: expected a frame, got %s"):format(fn, type(f)), 3)
  end
end

local function numeric(t) return t == "float64" or t == "int64" end

-- describe() as a table: column name -> row record.
local function described(f)
  local d = f:describe()
  local names, out = d:names(), {}
  local cols = {}
  for _, n in ipairs(names) do cols[n] = d:col(n):to_table() end
  for i, name in ipairs(cols.column) do
    local r = {}
    for _, n in ipairs(names) do r[n] = cols[n][i] end
    out[name] = r
  end
  return out
end

local function histogram(col, lo, hi)
  local counts = {}
  for b = 1, BINS do counts[b] = 0 end
  local edges = {}
  local width = (hi - lo) / BINS
  for b = 0, BINS do edges[b + 1] = lo + width * b end
  local values = col:to_table()
  if width == 0 then
    counts[1] = col:count()
    return { edges = edges, counts = counts }
  end
  for i = 1, #values do
    local x = values[i]
    if x and x == x then
      local b = math.floor((x - lo) / width) + 1
      if b > BINS then b = BINS end
      counts[b] = counts[b] + 1
    end
  end
  return { edges = edges, counts = counts }
end

local function top_values(col, limit)
  local u = col:unique():head(limit)
  local values, counts = u:col("value"):to_table(), u:col("count"):to_table()
  local out = {}
  for i = 1, #counts do out[i] = { value = values[i], count = counts[i] } end
  return out
end

local function column_stats(f, name, ty, d)
  local col = f:col(name)
  local s = { name = name, type = ty, count = col:count(), nulls = col:nulls() }
  if numeric(ty) then
    s.min, s.max, s.mean, s.std = d.min, d.max, d.mean, d.std
    s.q25, s.q50, s.q75 = d["25%"], d["50%"], d["75%"]
    if s.min and s.max then s.histogram = histogram(col, s.min, s.max) end
  else
    s.top = top_values(col, TOP)
    s.distinct = d and d.unique
  end
  return s
end

--- Statistics of every column of a frame.
---@param f userdata a frame
---@return table {rows, columns = { {name, type, count, nulls, min?, max?, mean?, std?, q25?, q50?, q75?, histogram? {edges, counts}, top? {{value, count}}, distinct?} }}
function M.compute(f)
  check_frame("compute", f)
  local d = described(f)
  local out = { rows = f:nrow(), columns = {} }
  local types = f:types()
  for j, name in ipairs(f:names()) do
    out.columns[j] = column_stats(f, name, types[j], d[name] or {})
  end
  return out
end

--- The schema a frame shows: per column its type, whether it has nulls and
--- its value domain (min/max for numbers, the set of values for strings
--- with at most 50 distinct values).
---@param f userdata a frame
---@return table {columns = { {name, type, nullable, min?, max?, values?} }}
function M.infer_schema(f)
  check_frame("infer_schema", f)
  local out = { columns = {} }
  local types = f:types()
  for j, name in ipairs(f:names()) do
    local col, ty = f:col(name), types[j]
    local c = { name = name, type = ty, nullable = col:nulls() > 0 }
    if numeric(ty) then
      c.min, c.max = col:min(), col:max()
    elseif ty == "string" then
      local u = col:unique()
      if u:nrow() <= MAX_DOMAIN then
        c.values = u:col("value"):to_table()
        table.sort(c.values)
      end
    end
    out.columns[j] = c
  end
  return out
end

local function fmt_num(v)
  if v == nil then return "null" end
  if math.type(v) == "integer" then return tostring(v) end
  return ("%.6g"):format(v)
end

local function check_domain(c, col, problems)
  if c.min ~= nil and c.max ~= nil and numeric(col:type()) then
    local lo, hi = col:min(), col:max()
    if lo and hi and (lo < c.min or hi > c.max) then
      problems[#problems + 1] = ("column '%s' has values outside [%s, %s]: min %s, max %s")
        :format(c.name, fmt_num(c.min), fmt_num(c.max), fmt_num(lo), fmt_num(hi))
    end
  elseif c.values and col:type() == "string" then
    local known, new = {}, {}
    for _, v in ipairs(c.values) do known[v] = true end
    for _, v in ipairs(col:unique():col("value"):to_table()) do
      if not known[v] then new[#new + 1] = ("'%s'"):format(v) end
    end
    if #new > 0 then
      table.sort(new)
      local shown = #new > 5 and table.concat(new, ", ", 1, 5) .. (", and %d more"):format(#new - 5)
        or table.concat(new, ", ")
      problems[#problems + 1] = ("column '%s' has %d value%s not in the schema: %s"):format(
        c.name, #new, #new == 1 and "" or "s", shown)
    end
  end
end

--- Check a frame against a schema.
---@param schema table from infer_schema
---@param f userdata a frame
---@return string[] problems, empty when the frame fits
function M.check(schema, f)
  if type(schema) ~= "table" or type(schema.columns) ~= "table" then
    error(("stats.check: expected a schema table {columns = ...}, got %s"):format(type(schema)), 2)
  end
  check_frame("check", f)
  local problems, types, present = {}, {}, {}
  for j, name in ipairs(f:names()) do types[name] = f:types()[j] end
  for _, c in ipairs(schema.columns) do
    present[c.name] = true
    local ty = types[c.name]
    if not ty then
      problems[#problems + 1] = ("missing column '%s'"):format(c.name)
    elseif ty ~= c.type then
      problems[#problems + 1] = ("column '%s' is %s, expected %s"):format(c.name, ty, c.type)
    else
      local col = f:col(c.name)
      if not c.nullable and col:nulls() > 0 then
        problems[#problems + 1] = ("column '%s' has %d null%s; the schema has none"):format(
          c.name, col:nulls(), col:nulls() == 1 and "" or "s")
      end
      check_domain(c, col, problems)
    end
  end
  for _, name in ipairs(f:names()) do
    if not present[name] then
      problems[#problems + 1] = ("column '%s' is not in the schema"):format(name)
    end
  end
  return problems
end

-- Text tables ---------------------------------------------------------------------

local function align(rows, right)
  local widths = {}
  for _, r in ipairs(rows) do
    for i, s in ipairs(r) do widths[i] = math.max(widths[i] or 0, utf8.len(s) or #s) end
  end
  local lines = {}
  for _, r in ipairs(rows) do
    local parts = {}
    for i, s in ipairs(r) do
      local fill = (" "):rep(widths[i] - (utf8.len(s) or #s))
      parts[i] = right[i] and fill .. s or s .. fill
    end
    lines[#lines + 1] = table.concat(parts, "  "):gsub("%s+$", "")
  end
  return table.concat(lines, "\n")
end

local function cell(v)
  if v == nil then return "" end
  local s = type(v) == "number" and fmt_num(v) or tostring(v)
  s = s:gsub("\n", "\\n")
  if #s > 20 then s = s:sub(1, 17) .. "..." end
  return s
end

local function bars(counts)
  local marks, max = { " ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" }, 0
  for _, c in ipairs(counts) do max = math.max(max, c) end
  local out = {}
  for i, c in ipairs(counts) do
    out[i] = max == 0 and " " or marks[c == 0 and 1 or math.max(2, math.ceil(c / max * 8) + 1)]
  end
  return table.concat(out)
end

--- Statistics as an aligned text table.
---@param s table from compute
---@return string
function M.format(s)
  if type(s) ~= "table" or type(s.columns) ~= "table" then
    error(("stats.format: expected statistics from stats.compute, got %s"):format(type(s)), 2)
  end
  local rows = { { "column", "type", "count", "nulls", "mean", "std", "min", "25%", "50%", "75%",
    "max", "histogram / top" } }
  for _, c in ipairs(s.columns) do
    local last = c.histogram and bars(c.histogram.counts) or ""
    if c.top then
      local tops = {}
      for i = 1, math.min(3, #c.top) do tops[i] = ("%s (%d)"):format(cell(c.top[i].value), c.top[i].count) end
      last = table.concat(tops, ", ")
    end
    rows[#rows + 1] = { c.name, c.type, cell(c.count), cell(c.nulls), cell(c.mean), cell(c.std),
      cell(c.min), cell(c.q25), cell(c.q50), cell(c.q75), cell(c.max), last }
  end
  local right = { false, false, true, true, true, true, true, true, true, true, true, false }
  return align(rows, right) .. ("\n%d rows x %d columns"):format(s.rows, #s.columns)
end

--- A schema as an aligned text table.
---@param schema table from infer_schema
---@return string
function M.format_schema(schema)
  if type(schema) ~= "table" or type(schema.columns) ~= "table" then
    error(("stats.format_schema: expected a schema from stats.infer_schema, got %s"):format(
      type(schema)), 2)
  end
  local rows = { { "column", "type", "nullable", "domain" } }
  for _, c in ipairs(schema.columns) do
    local domain = ""
    if c.min ~= nil then
      domain = ("[%s, %s]"):format(fmt_num(c.min), fmt_num(c.max))
    elseif c.values then
      local shown = {}
      for i = 1, math.min(8, #c.values) do shown[i] = c.values[i] end
      domain = "{" .. table.concat(shown, ", ") .. (#c.values > 8 and (", ... %d values}"):format(#c.values) or "}")
    end
    rows[#rows + 1] = { c.name, c.type, c.nullable and "yes" or "no", domain }
  end
  return align(rows, {})
end

return M
