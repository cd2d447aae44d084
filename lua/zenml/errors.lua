--- zenml.errors: errors a person can act on. Suggestions for mistyped
--- names ("did you mean FeedForward?").
local M = {}

--- The edit distance between two strings with adjacent transpositions
--- counting as one edit (optimal string alignment, Damerau-Levenshtein),
--- bytewise. Stops early and returns limit + 1 once it exceeds `limit`.
---@param a string
---@param b string
---@param limit? integer
---@return integer
function M.distance(a, b, limit)
  local la, lb = #a, #b
  limit = limit or math.max(la, lb)
  if math.abs(la - lb) > limit then return limit + 1 end
  local prev2, prev, cur = {}, {}, {}
  for j = 0, lb do prev[j] = j end
  for i = 1, la do
    cur[0] = i
    local best = i
    local ca = a:byte(i)
    for j = 1, lb do
      local cb = b:byte(j)
      local d = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca == cb and 0 or 1))
      if i > 1 and j > 1 and ca == b:byte(j - 1) and a:byte(i - 1) == cb then
        d = math.min(d, prev2[j - 2] + 1)
      end
      cur[j] = d
      if d < best then best = d end
    end
    if best > limit then return limit + 1 end
    prev2, prev, cur = prev, cur, prev2
  end
  return prev[lb]
end

--- The known names closest to `name`: those within one edit for names of
--- up to four characters, two edits for longer ones (ignoring case). At
--- most two, the closest first, ties in the order given; an empty list when
--- nothing is close or `name` is itself known.
---@param name string
---@param known string[]|table<string, any> names, or a table whose string keys are the names
---@return string[]
function M.suggest(name, known)
  if type(name) ~= "string" or name == "" then return {} end
  local names = {}
  if #known > 0 then
    for _, k in ipairs(known) do names[#names + 1] = k end
  else
    for k in pairs(known) do
      if type(k) == "string" then names[#names + 1] = k end
    end
    table.sort(names)
  end
  local limit = #name <= 4 and 1 or 2
  local low, found = name:lower(), {}
  for _, k in ipairs(names) do
    if k == name then return {} end
    local d = M.distance(low, tostring(k):lower(), limit)
    if d <= limit then found[#found + 1] = { name = k, d = d, i = #found } end
  end
  table.sort(found, function(x, y) return x.d < y.d or (x.d == y.d and x.i < y.i) end)
  local out = {}
  for i = 1, math.min(2, #found) do out[i] = found[i].name end
  return out
end

--- "; did you mean X?" (or "X or Y") for a mistyped `name`, "" when no
--- known name is close: appended to an "unknown ..." message.
---@param name string
---@param known string[]|table<string, any>
---@return string
function M.did_you_mean(name, known)
  local s = M.suggest(name, known)
  if #s == 0 then return "" end
  return "; did you mean " .. table.concat(s, " or ") .. "?"
end

return M
