--- zenml.steplib: the C kernels the standard step library builds on beyond
--- zenml.frame and zenml.ml, public so a user's steps can use them too:
--- frames side by side, rule-based splits that never walk rows in Lua, and
--- deterministic .tar.gz bundles.
---@class zenml.steplib
local core = require "zenml._core"
local frame = require "zenml.frame"
local check = require "zenml.check"

local cs = core.steplib
local M = {}

-- Argument 3 of fn: the part names; raises at fn's caller.
local function check_names(fn, names)
  if type(names) ~= "table" or #names == 0 then
    error(check.message(fn, 3, "names", "a list of part names", names,
      type(names) == "table" and "an empty table" or nil), 3)
  end
  local index = {}
  for i, n in ipairs(names) do
    if type(n) ~= "string" then error(check.message(fn, 3, "names", "part names (strings)", n), 3) end
    index[n] = i
  end
  return index
end

local function by_name(names, parts)
  local out = {}
  for i, n in ipairs(names) do out[n] = parts[i] end
  return out
end

--- A new frame with the columns of every frame in `frames`, in order. They
--- must have the same number of rows and distinct column names.
---@param frames userdata[]
---@return userdata frame
function M.hstack(frames)
  check.arg("steplib.hstack", 1, "frames", frames, "table")
  if #frames == 0 then
    error(check.message("steplib.hstack", 1, "frames", "a list of frames", frames, "an empty table"), 2)
  end
  for i, f in ipairs(frames) do check.arg("steplib.hstack", 1, "frames[" .. i .. "]", f, "frame") end
  return cs.hstack(frames)
end

-- The text C compares a category value by.
local function value_text(fn, v)
  if type(v) == "string" then return v end
  if math.type(v) == "integer" then return ("%d"):format(v) end
  if type(v) == "boolean" then return tostring(v) end
  error(("%s: expected category values (strings, integers or booleans), got %s"):format(fn,
    math.type(v) or type(v)), 4)
end

--- Partition rows by the value of one column: `parts` maps a value (string,
--- integer or boolean) to a part name; other values and nulls go to the part
--- `unknown` (nil drops them).
---@param f userdata frame
---@param column string a string, int64 or bool column of f
---@param names string[] the part names, in order
---@param parts table<string|integer|boolean, string>
---@param unknown? string
---@return table<string, userdata> frames by name
function M.partition_values(f, column, names, parts, unknown)
  local fn = "steplib.partition_values"
  check.args(fn, { { "f", f, "frame" }, { "column", column, "string" } })
  local index = check_names(fn, names)
  check.arg(fn, 4, "parts", parts, "table")
  local values, ids = {}, {}
  for v, name in pairs(parts) do
    if not index[name] then
      error(("%s: value %s goes to unknown part '%s'"):format(fn, tostring(v), tostring(name)), 2)
    end
    values[#values + 1] = value_text(fn, v)
    ids[#values] = index[name]
  end
  if unknown ~= nil and not index[unknown] then
    error(("%s: unknown part '%s' is not in the names"):format(fn, tostring(unknown)), 2)
  end
  return by_name(names, cs.partition_values(f, column, values, ids, #names, index[unknown] or 0))
end

--- Partition rows by ordered cut points of one column: part i gets the rows
--- with cuts[i-1] <= x < cuts[i]. With one name more than cuts, the last part
--- gets every row >= the last cut; otherwise those rows are dropped. Cuts are
--- numbers (number or bool column) or strings (compared bytewise).
---@param f userdata frame
---@param column string
---@param names string[]
---@param cuts (number|string)[] ascending
---@return table<string, userdata> frames by name
function M.partition_cuts(f, column, names, cuts)
  local fn = "steplib.partition_cuts"
  check.args(fn, { { "f", f, "frame" }, { "column", column, "string" } })
  check_names(fn, names)
  check.arg(fn, 4, "cuts", cuts, "table")
  if #cuts == 0 then error(check.message(fn, 4, "cuts", "a list of cut points", cuts, "an empty table"), 2) end
  if #cuts ~= #names and #cuts ~= #names - 1 then
    error(("%s: expected %d or %d cut points for %d parts, got %d"):format(fn, #names - 1,
      #names, #names, #cuts), 2)
  end
  local kind = type(cuts[1])
  for i, c in ipairs(cuts) do
    if type(c) ~= kind or (kind ~= "number" and kind ~= "string") then
      error(("%s: cut points must be all numbers or all strings, got %s at %d"):format(fn,
        type(c), i), 2)
    end
    if i > 1 and not (cuts[i - 1] < c) then
      error(("%s: cut points must ascend, got %s then %s"):format(fn, tostring(cuts[i - 1]),
        tostring(c)), 2)
    end
  end
  return by_name(names, cs.partition_cuts(f, column, cuts, #cuts < #names))
end

--- The bytes of a .tar.gz holding `entries` ({ {name, bytes}, ... }) in
--- order, with fixed metadata: the same entries give the same bytes.
---@param entries {[1]: string, [2]: string}[]
---@return string
function M.pack(entries)
  check.arg("steplib.pack", 1, "entries", entries, "table")
  for i, e in ipairs(entries) do
    if type(e) ~= "table" or type(e[1]) ~= "string" or type(e[2]) ~= "string" then
      error(check.message("steplib.pack", 1, "entries[" .. i .. "]", "{name, bytes}", e), 2)
    end
  end
  return cs.pack(entries)
end

--- The files of a .tar.gz (or any archive zenml.archive reads) as name -> bytes.
---@param path string
---@return table<string, string>|nil files
---@return string|nil message
function M.unpack(path)
  check.arg("steplib.unpack", 1, "path", path, "string")
  local a, err = require("zenml.archive").open(path)
  if not a then return nil, err end
  local files = {}
  while true do
    local name, bytes = a:next()
    if not name then break end
    files[name] = bytes
  end
  a:close()
  return files
end

return M
