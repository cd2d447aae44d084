--- How commands print: aligned tables on a terminal, JSON with --json.
local json = require "zenml.json"
local core = require "zenml._core"

local output = {}

local function cell(v)
  if v == nil then return "" end
  if type(v) == "number" and math.type(v) == "float" then
    return ("%.4g"):format(v)
  end
  return tostring(v)
end

--- Print rows (tables) as an aligned table with the given columns.
---@param rows table[]
---@param columns string[] keys of each row, printed in this order
---@param headers? string[] column titles (default: the keys in upper case)
function output.table(rows, columns, headers)
  local widths, lines = {}, {}
  headers = headers or {}
  local head = {}
  for i, c in ipairs(columns) do
    head[i] = headers[i] or c:upper()
    widths[i] = #head[i]
  end
  for r, row in ipairs(rows) do
    lines[r] = {}
    for i, c in ipairs(columns) do
      local s = cell(row[c])
      lines[r][i] = s
      if #s > widths[i] then widths[i] = #s end
    end
  end
  local function emit(fields)
    local parts = {}
    for i, s in ipairs(fields) do
      parts[i] = i < #fields and s .. (" "):rep(widths[i] - #s) or s
    end
    io.stdout:write(table.concat(parts, "  "), "\n")
  end
  emit(head)
  for _, fields in ipairs(lines) do emit(fields) end
end

--- Print `value` as JSON on one line.
function output.json(value)
  io.stdout:write(json.encode(value), "\n")
end

--- Either JSON (when opts.json) or the table.
function output.list(opts, rows, columns, headers)
  if opts.json then return output.json(rows) end
  if #rows == 0 then
    io.stdout:write("(none)\n")
    return
  end
  output.table(rows, columns, headers)
end

--- Print "key: value" lines for a record, in the order of `keys`.
function output.record(opts, rec, keys)
  if opts.json then return output.json(rec) end
  local w = 0
  for _, k in ipairs(keys) do w = math.max(w, #k) end
  for _, k in ipairs(keys) do
    if rec[k] ~= nil then
      io.stdout:write(("%-" .. w .. "s  %s\n"):format(k, cell(rec[k])))
    end
  end
end

--- A metric value as `run show` prints it.
function output.metric(v)
  return ("%.6g"):format(v)
end

--- The headline of a run's metrics on one line, as `zenml run` prints it
--- after the summary: the top-level metrics (names without a '.'; the first
--- eight names when there are none), then how many more `run show` lists.
---@param m table<string, number> name -> value
---@param run_id string
---@param split? string the split they were computed on, named in the line
---@return string|nil line nil when there are no metrics
function output.metrics_line(m, run_id, split)
  local names = {}
  for k in pairs(m) do names[#names + 1] = k end
  if #names == 0 then return nil end
  table.sort(names)
  local top = {}
  for _, k in ipairs(names) do
    if not k:find(".", 1, true) then top[#top + 1] = k end
  end
  if #top == 0 then top = { table.unpack(names, 1, math.min(8, #names)) } end
  local parts = {}
  for i, k in ipairs(top) do parts[i] = k .. "=" .. output.metric(m[k]) end
  local line = (split and ("metrics on split '" .. split .. "': ") or "metrics: ")
    .. table.concat(parts, " ")
  if #names > #top then
    line = line .. (" (%d more: zenml run show %s)"):format(#names - #top, run_id)
  end
  return line
end

--- A timestamp (unix seconds) as ISO 8601 in UTC: "YYYY-MM-DDTHH:MM:SSZ".
function output.time(t)
  if not t then return nil end
  return os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(t))
end

--- A timestamp (unix seconds) as ISO 8601 in UTC with milliseconds:
--- "YYYY-MM-DDTHH:MM:SS.mmmZ" (what the REPL shows).
function output.iso_time(t)
  local secs = math.floor(t)
  local ms = math.floor((t - secs) * 1000 + 0.5)
  if ms == 1000 then secs, ms = secs + 1, 0 end
  return os.date("!%Y-%m-%dT%H:%M:%S", secs) .. (".%03dZ"):format(ms)
end

--- Whether standard output is a terminal.
function output.is_tty()
  return core.sys.isatty(1)
end

--- Bytes in a human unit.
function output.bytes(n)
  local units = { "B", "KiB", "MiB", "GiB", "TiB" }
  local i = 1
  while n >= 1024 and i < #units do
    n = n / 1024
    i = i + 1
  end
  return i == 1 and ("%d B"):format(n) or ("%.1f %s"):format(n, units[i])
end

return output
