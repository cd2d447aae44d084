-- A custom split: every class keeps its share in every split (iris has 50
-- flowers of each species, so a 70/30 split takes 35/15 of each).
--
-- It derives from the same base as the built-in splits and overrides two
-- hooks: `split_names` and `partition`, which gets a chunk of rows (a frame)
-- at a time and returns the split of each row.
local zenml = require "zenml"

local Stratified = zenml.steps.BaseSplitStep:extend("Stratified")
Stratified.params = {
  column = { type = "string", required = true },
  split_map = { type = "map", required = true },
  seed = { type = "integer", default = 0 },
}

function Stratified:split_names()
  local names = {}
  for name in pairs(self.params.split_map) do names[#names + 1] = name end
  table.sort(names)
  return names
end

-- A small seeded generator, so the same seed gives the same split anywhere.
local function generator(seed)
  local s = seed * 2654435761 + 1
  return function(n)
    s = (s * 6364136223846793005 + 1442695040888963407) & 0x7fffffffffffffff
    return (s >> 17) % n + 1
  end
end

function Stratified:partition(frame)
  local names, p = self:split_names(), self.params
  local total = 0
  for _, n in ipairs(names) do total = total + p.split_map[n] end
  -- rows of each class, in order
  local rows = {}
  for i, v in ipairs(frame:col(p.column):to_table()) do
    rows[v] = rows[v] or {}
    table.insert(rows[v], i)
  end
  local classes = {}
  for v in pairs(rows) do classes[#classes + 1] = v end
  table.sort(classes)
  local out, rand = {}, generator(p.seed)
  for _, v in ipairs(classes) do
    local r = rows[v]
    for i = #r, 2, -1 do -- seeded shuffle
      local j = rand(i)
      r[i], r[j] = r[j], r[i]
    end
    local acc, first = 0, 1
    for _, name in ipairs(names) do
      acc = acc + p.split_map[name]
      local last = math.floor(#r * acc / total + 0.5)
      for k = first, last do out[r[k]] = name end
      first = last + 1
    end
  end
  return out
end

function Stratified:rule()
  return ("stratified by '%s'"):format(self.params.column)
end

return Stratified
