--- CSV { name, path }: a CSV file with a header row, or a folder of .csv
--- files (all with the same header) read in sorted order and concatenated.
local datasource = require "zenml.datasource"
local frame = require "zenml.frame"
local archive = require "zenml.archive"

local CSV = datasource.BaseDatasource:extend("CSV")
datasource.register("csv", CSV)
CSV.arguments = { path = "path" }
-- read() only parses: a snapshot may parse while the file is being hashed
CSV.read_while_hashing = true

--- The .csv files that make the content (absolute paths, sorted).
function CSV:sources()
  local p = self:resolve(self._config.path)
  local kind = self:path_kind(p)
  if kind == nil then self:fail(("%s: no such file or folder"):format(self._config.path)) end
  if kind == "file" then return { p } end
  local paths, problems = archive.walk(p)
  if not paths then self:fail(problems) end
  local out = {}
  for _, rel in ipairs(paths) do
    if rel:sub(-4) == ".csv" then out[#out + 1] = p .. "/" .. rel end
  end
  if #out == 0 then self:fail(("%s: no .csv files in the folder"):format(self._config.path)) end
  return out
end

local function read_one(self, path)
  local f, err = frame.read_csv(path)
  if not f then self:fail(err) end
  if f:nrow() == 0 then self:fail(("%s: has a header but no rows"):format(self:display(path))) end
  return f
end

-- The first difference between two files' headers, as text, or nil.
local function header_difference(first, f)
  local a, b, ta, tb = first:names(), f:names(), first:types(), f:types()
  if table.concat(a, ",") ~= table.concat(b, ",") then
    return ("header (%s) differs from (%s)"):format(table.concat(b, ","), table.concat(a, ","))
  end
  for j = 1, #a do
    if ta[j] ~= tb[j] then
      return ("column '%s' is %s here but %s"):format(a[j], tb[j], ta[j])
    end
  end
end

--- Read the file, or every file of the folder concatenated.
function CSV:read()
  local files = self:sources()
  local out = read_one(self, files[1])
  local notes = { out:note() }
  for i = 2, #files do
    local f = read_one(self, files[i])
    local diff = header_difference(out, f)
    if diff then
      self:fail(("%s: %s in %s"):format(self:display(files[i]), diff, self:display(files[1])))
    end
    if f:note() then notes[#notes + 1] = self:display(files[i]) .. ": " .. f:note() end
    out:append(f)
  end
  if #files > 1 and out:note() then notes[1] = self:display(files[1]) .. ": " .. out:note() end
  self.note = #notes > 0 and table.concat(notes, "; ") or nil
  return out
end

return CSV
