--- Built-in split steps, on zenml.steps.BaseSplitStep. Each computes its
--- rows' parts with a C kernel (zenml.ml.split_random, zenml.steplib), so a
--- million rows never pass through Lua one by one.
---
---   Random            { split_map = { train = 0.7, eval = 0.3 }, seed = 42 }
---   CategoricalDomain { column, split_map = { train = { "a", "b" }, eval = { "c" } }, unknown }
---   CategoricalRatio  { column, categories = { ... }, split_map = { train = 0.5, eval = 0.5 }, unknown }
---   Time              { column, split_map = { train = 2020, eval = 2022, test = true } }
---   NoSplit           { name = "train" }
local zenml = require "zenml"
local steplib = require "zenml.steplib"

local BaseSplitStep = zenml.steps.BaseSplitStep
local M = {}

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

local function check_fractions(map)
  if next(map) == nil then return "expects at least one split" end
  for name, w in pairs(map) do
    if type(name) ~= "string" then return "expects split names as keys" end
    if type(w) ~= "number" or w < 0 or w ~= w then
      return ("expects a fraction >= 0 for split '%s', got %s"):format(name, tostring(w))
    end
  end
end

local function check_unknown(v)
  if v ~= "skip" and type(v) ~= "string" then return "expects \"skip\" or a split name" end
end

-- Random -----------------------------------------------------------------------

--- Rows at random into splits of exact sizes (the fractions are rounded per
--- split, cumulatively); the same seed always gives the same rows.
local Random = BaseSplitStep:extend("Random")
M.Random = Random
Random.params = {
  split_map = { type = "map", required = true, check = check_fractions },
  seed = { type = "integer", default = 0 },
}

function Random:split_names() return sorted_keys(self.params.split_map) end

function Random:rule()
  local parts = {}
  for _, n in ipairs(self:split_names()) do
    parts[#parts + 1] = ("%s = %s"):format(n, tostring(self.params.split_map[n]))
  end
  return ("fractions %s, seed %d"):format(table.concat(parts, ", "), self.params.seed)
end

function Random:parts(ctx, data)
  return zenml.ml.split_random(data, self.params.split_map, self.params.seed)
end

-- Categorical --------------------------------------------------------------------

-- The unknown rows' split, or nil to drop them.
local function unknown_part(self)
  local u = self.params.unknown
  return u ~= "skip" and u or nil
end

local function with_unknown(names, unknown)
  if unknown then
    for _, n in ipairs(names) do if n == unknown then return names end end
    names[#names + 1] = unknown
    table.sort(names)
  end
  return names
end

-- Column values may arrive as floats after a YAML round trip: 3.0 -> 3.
local function category(v)
  if math.type(v) == "float" and v == math.floor(v) then return math.tointeger(v) end
  return v
end

--- Rows by the value of a column: split_map names each split's values;
--- other values (and nulls) go to `unknown` ("skip" drops them).
local CategoricalDomain = BaseSplitStep:extend("CategoricalDomain")
M.CategoricalDomain = CategoricalDomain
CategoricalDomain.params = {
  column = { type = "string", required = true },
  split_map = { type = "map", required = true, check = function(map)
    if next(map) == nil then return "expects at least one split" end
    for name, values in pairs(map) do
      if type(name) ~= "string" or type(values) ~= "table" then
        return "expects split names mapped to lists of values"
      end
    end
  end },
  unknown = { type = "string", default = "skip", check = check_unknown },
}

function CategoricalDomain:split_names()
  return with_unknown(sorted_keys(self.params.split_map), unknown_part(self))
end

function CategoricalDomain:rule()
  return ("values of column '%s'"):format(self.params.column)
end

function CategoricalDomain:value_map()
  local map = {}
  for _, name in ipairs(sorted_keys(self.params.split_map)) do
    for _, v in ipairs(self.params.split_map[name]) do
      v = category(v)
      if map[v] and map[v] ~= name then
        error(("CategoricalDomain: value %s is in both split '%s' and split '%s'"):format(
          tostring(v), map[v], name), 0)
      end
      map[v] = name
    end
  end
  return map
end

local function check_column(self, data)
  local col = self.params.column
  for _, n in ipairs(data:names()) do if n == col then return end end
  require("zenml.errors").user("%s: column '%s' not found; columns are: %s%s", self:class_name(),
    col, table.concat(data:names(), ", "), require("zenml.errors").did_you_mean(col, data:names()))
end

function CategoricalDomain:parts(ctx, data)
  check_column(self, data)
  return steplib.partition_values(data, self.params.column, self:split_names(), self:value_map(),
    unknown_part(self))
end

--- Categories dealt to splits by ratio: the `categories` list, in its
--- order, is cut at the cumulative fractions of split_map (splits in name
--- order), and each row follows its category. Other values go to `unknown`.
local CategoricalRatio = BaseSplitStep:extend("CategoricalRatio")
M.CategoricalRatio = CategoricalRatio
CategoricalRatio.params = {
  column = { type = "string", required = true },
  categories = { type = "list", required = true },
  split_map = { type = "map", required = true, check = check_fractions },
  unknown = { type = "string", default = "skip", check = check_unknown },
}

function CategoricalRatio:split_names()
  return with_unknown(sorted_keys(self.params.split_map), unknown_part(self))
end

function CategoricalRatio:rule()
  return ("categories of column '%s' by ratio"):format(self.params.column)
end

--- value -> split: category i goes to the split whose cumulative share
--- (rounded as zenml.ml.split_random rounds) covers position i.
function CategoricalRatio:value_map()
  local names, map = sorted_keys(self.params.split_map), {}
  local cats, total = self.params.categories, 0
  for _, n in ipairs(names) do total = total + self.params.split_map[n] end
  local acc, first = 0, 1
  for _, n in ipairs(names) do
    acc = acc + self.params.split_map[n]
    local last = math.floor(#cats * acc / total + 0.5)
    for i = first, last do map[category(cats[i])] = n end
    first = last + 1
  end
  return map
end

function CategoricalRatio:parts(ctx, data)
  check_column(self, data)
  return steplib.partition_values(data, self.params.column, self:split_names(), self:value_map(),
    unknown_part(self))
end

-- Time ---------------------------------------------------------------------------

--- Rows by ordered cut points of a column (numbers, or ISO dates as
--- strings): each split names the cut it ends before, and the splits follow
--- each other in the order of their cuts; one split may be `true`, taking
--- everything from the last cut on. Rows before nothing / after everything
--- are dropped, as are nulls.
local Time = BaseSplitStep:extend("Time")
M.Time = Time
Time.params = {
  column = { type = "string", required = true },
  split_map = { type = "map", required = true, check = function(map)
    if next(map) == nil then return "expects at least one split" end
    local kind, open = nil, 0
    for name, cut in pairs(map) do
      if cut == true then
        open = open + 1
      elseif type(cut) ~= "number" and type(cut) ~= "string" then
        return ("expects a cut point (number or string) or true for split '%s'"):format(
          tostring(name))
      elseif kind and type(cut) ~= kind then
        return "expects cut points of one type (all numbers or all strings)"
      else
        kind = type(cut)
      end
    end
    if open > 1 then return "allows one open split (true)" end
    if not kind then return "needs at least one cut point" end
  end },
}

-- Splits in the order of their cuts (the open one last), and the cuts.
function Time:ordered()
  local names, open, cuts = {}, nil, {}
  for name, cut in pairs(self.params.split_map) do
    if cut == true then open = name else names[#names + 1] = name end
  end
  local map = self.params.split_map
  table.sort(names, function(a, b) return map[a] < map[b] end)
  for i, n in ipairs(names) do
    if i > 1 and map[names[i - 1]] == map[n] then
      error(("Time: splits '%s' and '%s' have the same cut point"):format(names[i - 1], n), 0)
    end
    cuts[i] = map[n]
  end
  if open then names[#names + 1] = open end
  return names, cuts
end

function Time:split_names() return (self:ordered()) end

function Time:rule()
  local names, cuts = self:ordered()
  local parts = {}
  for i, n in ipairs(names) do
    parts[i] = cuts[i] ~= nil and ("%s < %s"):format(n, tostring(cuts[i]))
      or ("%s >= %s"):format(n, tostring(cuts[#cuts]))
  end
  return ("column '%s': %s"):format(self.params.column, table.concat(parts, ", "))
end

function Time:parts(ctx, data)
  check_column(self, data)
  local names, cuts = self:ordered()
  return steplib.partition_cuts(data, self.params.column, names, cuts)
end

-- NoSplit ------------------------------------------------------------------------

--- Every row into one split (by default "train"), without copying.
local NoSplit = BaseSplitStep:extend("NoSplit")
M.NoSplit = NoSplit
NoSplit.params = { name = { type = "string", default = "train" } }

function NoSplit:split_names() return { self.params.name } end

function NoSplit:rule() return "all rows" end

function NoSplit:parts(ctx, data) return { [self.params.name] = data } end

return M
