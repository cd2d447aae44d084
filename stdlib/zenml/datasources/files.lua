--- Files { name, path }: a folder, or an archive (.tar, .tar.gz, .tar.zst,
--- .zip, ...), as one row per file: path, size, bytes and label (the name
--- of the file's folder). The files themselves are kept as a tree artifact.
--- Entries that would leave the archive or folder are reported and skipped.
local datasource = require "zenml.datasource"
local frame = require "zenml.frame"
local archive = require "zenml.archive"
local core = require "zenml._core"

local Files = datasource.BaseDatasource:extend("Files")
datasource.register("files", Files)
Files.arguments = { path = "path" }

-- "folder", "archive", or a failure.
function Files:_kind()
  local p = self:resolve(self:config().path)
  local kind = self:path_kind(p)
  if kind == nil then self:fail(("%s: no such file or folder"):format(self:config().path)) end
  if kind == "other" then self:fail(("%s: not a regular file"):format(self:config().path)) end
  if kind == "folder" then return "folder", p end
  if not archive.is_archive(p) then
    self:fail(("%s: expected a folder or an archive (.tar, .tar.gz, .tar.zst, .zip), got a file")
      :format(self:config().path))
  end
  return "archive", p
end

--- True when the source is a folder (read on the processing backend's
--- workers, a file each); an archive is read whole.
function Files:reads_folder()
  local ok, kind = pcall(self._kind, self)
  return ok and kind == "folder"
end

function Files:_listing(p)
  local paths, problems = archive.walk(p)
  if not paths then self:fail(problems) end
  return paths, problems
end

function Files:sources()
  local kind, p = self:_kind()
  if kind == "archive" then return { p } end
  local out = {}
  for i, rel in ipairs((self:_listing(p))) do out[i] = p .. "/" .. rel end
  return out
end

local function label_of(path)
  return path:match("([^/]+)/[^/]+$")
end

-- Report skipped entries on stderr and keep them in self.problems.
function Files:_report(problems)
  self.problems = problems
  for _, pr in ipairs(problems) do
    io.stderr:write(("zenml: %s: '%s': %s\n"):format(self:config().path, pr.what, pr.problem))
  end
end

function Files:_read_archive(p, rows)
  local ar <close>, err = archive.open(p)
  if not ar then self:fail(err) end
  local seen, problems = {}, {}
  while true do
    local path, data = ar:next()
    if not path then
      if data then self:fail(data) end
      break
    end
    if seen[path] then
      problems[#problems + 1] = { what = path, problem = "duplicate entry; the first copy is kept" }
    else
      seen[path] = true
      rows[#rows + 1] = { path, data }
    end
  end
  for _, pr in ipairs(ar:problems()) do table.insert(problems, pr) end
  return problems
end

-- The folder's files, read on the processing backend's workers (the
-- thread's worker count, zenml.steps.Datasource): a frame of path, size,
-- bytes and label in path order, the same whatever the count.
function Files:_read_folder(p)
  local paths, problems = self:_listing(p)
  local rels = {}
  for i, rel in ipairs(paths) do rels[i] = rel end
  table.sort(rels)
  local f, err, bad = core.frame.read_files(p, rels)
  if not f then
    if bad then self:fail(("%s/%s: cannot read the file"):format(self:config().path, rels[bad])) end
    self:fail(err)
  end
  return f, problems
end

--- One row per file: path, size, bytes, label.
function Files:read()
  local kind, p = self:_kind()
  if kind == "folder" then
    local f, problems = self:_read_folder(p)
    self:_report(problems)
    if f:nrow() == 0 then self:fail(("%s: no files"):format(self:config().path)) end
    self._kind_read, self._frame = kind, f
    return f
  end
  local rows = {}
  self:_report(self:_read_archive(p, rows))
  if #rows == 0 then self:fail(("%s: no files"):format(self:config().path)) end
  table.sort(rows, function(a, b) return a[1] < b[1] end)
  local cols = { path = {}, size = {}, bytes = {}, label = {} }
  for i, r in ipairs(rows) do
    cols.path[i], cols.bytes[i], cols.size[i], cols.label[i] = r[1], r[2], #r[2], label_of(r[1]) or ""
  end
  self._kind_read, self._rows = kind, rows
  local f = frame.from_table(cols, { columns = { "path", "size", "bytes", "label" } })
  return f
end

--- The original files as a tree artifact.
function Files:attach(store)
  local kind, p = self:_kind()
  if kind == "folder" and #(self.problems or {}) == 0 then
    local id, err = store:put_tree(p)
    if not id then self:fail(err) end
    return { tree = id }
  end
  local rows = self._rows
  if not rows then
    -- a folder with skipped entries: the files that were read, as read
    local paths, bytes = self._frame:col("path"):to_table(), self._frame:col("bytes"):to_table()
    rows = {}
    for i = 1, #paths do rows[i] = { paths[i], bytes[i] } end
  end
  return { tree = datasource.put_files(store, rows) }
end

return Files
