--- CSV { name, path, null_values?, schema? }: a CSV file with a header row,
--- or a folder of .csv files (all with the same header) read in sorted
--- order and concatenated. `null_values = { "?", "-" }` adds null tokens;
--- `schema = { age = "float64", name = "string" }` fixes column types (a
--- value that does not fit is an error naming file, line and column).
local datasource = require "zenml.datasource"
local frame = require "zenml.frame"
local archive = require "zenml.archive"

local CSV = datasource.BaseDatasource:extend("CSV")
datasource.register("csv", CSV)
CSV.arguments = { path = "path", null_values = "table?", schema = "table?" }
-- read() only parses: a snapshot may parse while the file is being hashed
CSV.read_while_hashing = true
-- 2: a few tokens in a column of numbers are nulls, not a string column
CSV.revision = 2

local TYPES = { float64 = true, int64 = true, bool = true, string = true }

--- Check null_values (a list of strings) and schema (column = type name).
function CSV:configure()
  local cfg = self:config()
  if cfg.null_values then
    local n = 0
    for _ in pairs(cfg.null_values) do n = n + 1 end
    for i = 1, n do
      if type(cfg.null_values[i]) ~= "string" then
        self:arg_error("expected null_values = a list of strings, got %s at %s",
          type(cfg.null_values[i]), tostring(i))
      end
    end
  end
  for column, ty in pairs(cfg.schema or {}) do
    if type(column) ~= "string" or not TYPES[ty] then
      self:arg_error("expected schema = { column = \"float64\" | \"int64\" | \"bool\" | \"string\" }, got %s = %s",
        tostring(column), type(ty) == "string" and ("%q"):format(ty) or type(ty))
    end
  end
end

--- The .csv files that make the content (absolute paths, sorted).
function CSV:sources()
  local p = self:resolve(self:config().path)
  local kind = self:path_kind(p)
  if kind == nil then self:fail(("%s: no such file or folder"):format(self:config().path)) end
  if kind == "other" then self:fail(("%s: not a regular file"):format(self:config().path)) end
  if kind == "file" then return { p } end
  local paths, problems = archive.walk(p)
  if not paths then self:fail(problems) end
  local out = {}
  for _, rel in ipairs(paths) do
    if rel:sub(-4) == ".csv" then out[#out + 1] = p .. "/" .. rel end
  end
  if #out == 0 then self:fail(("%s: no .csv files in the folder"):format(self:config().path)) end
  return out
end

local function read_one(self, path)
  local cfg = self:config()
  local f, err = frame.read_csv(path, { null_values = cfg.null_values, schema = cfg.schema })
  local missing = not f and err:match("the schema names column '(.-)', which is not in the header$")
  if missing then
    -- read again without the schema (only on this error) to name the columns there are
    local plain = frame.read_csv(path, { null_values = cfg.null_values })
    if plain then
      local names = plain:names()
      err = ("%s; columns are: %s%s"):format(err, table.concat(names, ", "),
        require("zenml.errors").did_you_mean(missing, names))
    end
  end
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

-- Each line of a file's note, prefixed with the file.
local function add_notes(notes, display, note)
  for line in (note or ""):gmatch("[^\n]+") do notes[#notes + 1] = display .. ": " .. line end
end

--- Read the file, or every file of the folder concatenated. The readers'
--- notes (null tokens, mixed types) become self.note, one line per remark.
function CSV:read()
  local files = self:sources()
  local out = read_one(self, files[1])
  local notes = {}
  add_notes(notes, self:display(files[1]), out:note())
  for i = 2, #files do
    local f = read_one(self, files[i])
    local diff = header_difference(out, f)
    if diff then
      self:fail(("%s: %s in %s"):format(self:display(files[i]), diff, self:display(files[1])))
    end
    add_notes(notes, self:display(files[i]), f:note())
    out:append(f)
  end
  self.note = #notes > 0 and table.concat(notes, "\n") or nil
  return out
end

--- "data/x.csv:42": the file and line of row `row` of version `id`, while
--- the files hold that version's bytes (a folder's files in order).
function CSV:locate(repo, id, row)
  if not self:unchanged_since(repo, id) then return nil end
  for _, p in ipairs(self:sources()) do
    local line, _, rows = frame.csv_row_line(p, row)
    if line then return ("%s:%d"):format(self:display(p), line) end
    if not rows then return nil end
    row = row - rows
  end
end

return CSV
