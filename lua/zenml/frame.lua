--- zenml.frame: typed columnar tables backed by C (float64, int64, bool,
--- string, each with nulls). Reading CSV and frame files, building frames
--- from Lua tables, and printing them in the REPL.
---@class zenml.frame
local core = require "zenml._core"
local check = require "zenml.check"

local cf = core.frame
local M = {}

local function is_frame(v)
  return getmetatable(v) == cf.frame_mt
end

local function is_column(v)
  return getmetatable(v) == cf.column_mt
end

check.type("frame", is_frame)
check.type("column", is_column)

--- Read a CSV file with a header row.
---@param path string
--- A column of numbers but for one or two rare tokens (e.g. "?") reads them
--- as nulls; frame:note() says so. `null_values` adds null tokens (besides
--- "", NA, NaN, null, N/A); `schema` fixes column types.
---@param opts? {delimiter?: string, quote?: string, threads?: integer, schema?: table<string, string>, null_values?: string[]}
---@return userdata|nil frame
---@return string? message when the file cannot be read
function M.read_csv(path, opts)
  check.args("frame.read_csv", { { "path", path, "string" }, { "opts", opts, "table?" } })
  opts = opts or {}
  for _, k in ipairs { "delimiter", "quote" } do
    local v = opts[k]
    if v ~= nil and (type(v) ~= "string" or #v ~= 1) then
      error(check.message("frame.read_csv", 2, "opts." .. k, "one character", v,
        type(v) == "string" and ("%q"):format(v) or nil), 2)
    end
  end
  check.fields("frame.read_csv", 2, "opts", {
    { "threads", opts.threads, "integer?" }, { "schema", opts.schema, "table?" },
    { "null_values", opts.null_values, "table?" } })
  local schema = {}
  if opts.schema ~= nil then
    for name, ty in pairs(opts.schema) do
      if type(name) ~= "string" or type(ty) ~= "string" then
        error("frame.read_csv: expected schema entries like { column = \"float64\" }, got "
          .. type(name) .. " = " .. type(ty), 2)
      end
      schema[#schema + 1] = { name, ty }
    end
    table.sort(schema, function(a, b) return a[1] < b[1] end)
  end
  local nulls = opts.null_values
  if nulls ~= nil then
    for i = 1, #nulls do
      if type(nulls[i]) ~= "string" then
        error(("frame.read_csv: expected null_values to be a list of strings, got %s at %d"):format(
          type(nulls[i]), i), 2)
      end
    end
  end
  return cf.read_csv(path, opts.delimiter, opts.quote, opts.threads, schema, nulls)
end

--- The physical line (the header is line 1) of data row `row` (1-based) of a
--- CSV file, rows counted as read_csv counts them. One scan of the file: for
--- messages that name a row's line.
---@param path string
---@param row integer
---@return integer|nil line
---@return string? message
---@return integer? rows the number of rows, when the file has fewer
function M.csv_row_line(path, row)
  check.args("frame.csv_row_line", { { "path", path, "string" }, { "row", row, "integer" } })
  return cf.csv_row_line(path, row)
end

--- Map a frame file written by frame:write. The file is checked (header,
--- layout, every column's checksum); with `opts.trusted` (bytes this
--- process wrote and hashed itself, see store:wrote) the column checksums
--- are skipped. `opts.id` names the artifact the file is: a split of the
--- frame then makes row selections of it instead of copies.
---
--- A row selection (how a split stores its parts, docs/formats.md) reads as
--- the frame of its rows. Its base frame is looked up in `opts.store` (a
--- store handle), else in the artifact store the file lies in.
---@param path string
---@param opts? table { trusted = boolean, id = string, store = store }
---@return userdata|nil frame
---@return string? message
function M.read(path, opts)
  check.args("frame.read", { { "path", path, "string" }, { "opts", opts, "table?" } })
  opts = opts or {}
  local store = opts.store
  local function resolve(base)
    if store then
      local ok, where = pcall(store.read_path, store, base)
      if not ok then return nil, tostring(where) end
      if not store:exists(base) then return nil end
      return where, store:wrote(base)
    end
    local objects = path:match("^(.*/objects)/%x%x/%x+$")
    local hex = base:match("^sha256:(%x+)$")
    if not objects or not hex then return nil end
    local where = objects .. "/" .. hex:sub(1, 2) .. "/" .. hex:sub(3)
    local f = io.open(where, "rb")
    if not f then return nil end
    f:close()
    return where, false
  end
  return cf.read(path, opts.trusted or false, opts.id, resolve)
end

local function length(values)
  local n = 0
  for k in pairs(values) do
    if math.type(k) ~= "integer" or k < 1 then
      error(("frame.from_table: expected arrays of values, got key %s"):format(tostring(k)), 3)
    end
    if k > n then n = k end
  end
  return n
end

--- Build a frame from { name = {values...}, ... }. nil values are nulls.
--- Columns come in opts.columns order, else sorted by name.
---@param t table<string, any[]>
---@param opts? {columns?: string[]}
---@return userdata frame
function M.from_table(t, opts)
  check.args("frame.from_table", { { "t", t, "table" }, { "opts", opts, "table?" } })
  local order = opts and opts.columns
  if order == nil then
    order = {}
    for name in pairs(t) do
      if type(name) ~= "string" then
        error("frame.from_table: expected column names (strings), got " .. type(name), 2)
      end
      order[#order + 1] = name
    end
    table.sort(order)
  end
  local arrays, nrow = {}, nil
  for i, name in ipairs(order) do
    local values = t[name]
    if type(values) ~= "table" then
      error(("frame.from_table: expected column '%s' to be an array, got %s"):format(
        tostring(name), type(values)), 2)
    end
    local n = length(values)
    if nrow and n ~= nrow then
      error(("frame.from_table: columns differ in length: '%s' has %d values, '%s' has %d"):format(
        order[1], nrow, name, n), 2)
    end
    nrow, arrays[i] = n, values
  end
  return cf.from_columns(order, arrays, nrow or 0)
end

---@param v any
---@return boolean
function M.is_frame(v) return is_frame(v) end

-- printing ---------------------------------------------------------------

local MAX_ROWS, EDGE, MAX_WIDTH = 20, 5, 24

local function cell(v)
  if v == nil then return "null" end
  local s
  if math.type(v) == "float" then
    s = ("%.6g"):format(v)
  else
    s = tostring(v)
  end
  s = s:gsub("\n", "\\n")
  if #s > MAX_WIDTH then s = s:sub(1, MAX_WIDTH - 3) .. "..." end
  return s
end

-- Row numbers shown: all, or the first and last EDGE with a gap (false).
local function shown_rows(n)
  local rows = {}
  if n <= MAX_ROWS then
    for i = 1, n do rows[#rows + 1] = i end
  else
    for i = 1, EDGE do rows[#rows + 1] = i end
    rows[#rows + 1] = false
    for i = n - EDGE + 1, n do rows[#rows + 1] = i end
  end
  return rows
end

local function pad(s, w, right)
  local fill = (" "):rep(w - (utf8.len(s) or #s))
  return right and fill .. s or s .. fill
end

-- Lay out columns of text: head lines, then body; numbers right-aligned.
local function layout(columns, nrows)
  local lines = {}
  for r = 1, nrows do
    local parts = {}
    for _, c in ipairs(columns) do
      parts[#parts + 1] = pad(c.cells[r], c.width, c.right)
    end
    lines[#lines + 1] = table.concat(parts, "  "):gsub("%s+$", "")
  end
  return table.concat(lines, "\n")
end

local function text_column(header, typ, cells, right)
  local all = { header, typ }
  for _, s in ipairs(cells) do all[#all + 1] = s end
  local w = 0
  for _, s in ipairs(all) do w = math.max(w, utf8.len(s) or #s) end
  return { cells = all, width = w, right = right }
end

local function frame_tostring(f)
  local n, rows = f:nrow(), shown_rows(f:nrow())
  local index = {}
  for _, r in ipairs(rows) do index[#index + 1] = r and tostring(r) or "..." end
  local columns = { text_column("", "", index, true) }
  local types = f:types()
  for j, name in ipairs(f:names()) do
    local col, cells = f:col(name), {}
    for _, r in ipairs(rows) do cells[#cells + 1] = r and cell(col[r]) or "..." end
    local numeric = types[j] ~= "string"
    columns[#columns + 1] = text_column(name, "<" .. types[j] .. ">", cells, numeric)
  end
  return layout(columns, #rows + 2) .. ("\n%d rows x %d columns"):format(n, f:ncol())
end

local function column_tostring(c)
  local rows, index, cells = shown_rows(#c), {}, {}
  for _, r in ipairs(rows) do
    index[#index + 1] = r and tostring(r) or "..."
    cells[#cells + 1] = r and cell(c[r]) or "..."
  end
  local columns = { text_column("", "", index, true),
    text_column(c:name(), "<" .. c:type() .. ">", cells, c:type() ~= "string") }
  return layout(columns, #rows + 2) .. ("\n%d rows"):format(#c)
end

cf.frame_mt.__tostring = frame_tostring
cf.column_mt.__tostring = column_tostring
cf.frame_mt.__name = "zenml.frame"
cf.column_mt.__name = "zenml.column"

M.is_column = is_column
return M
