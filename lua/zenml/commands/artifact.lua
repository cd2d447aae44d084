local cli = require "zenml.cli"
local output = require "zenml.output"

local usage = [[usage: zenml artifact show ID [--json]
       zenml artifact export ID DEST [--format FORMAT]

show: type, size, creation time, which executions wrote and read it.
export: write the artifact out of the store. A table (frame) is written in
  the format DEST's extension names, or FORMAT: csv, tsv, json (an array of
  records), zfr (zenml's own frame file; also .frame). A value, metrics,
  statistics or schema artifact: yaml (as stored; also .yml) or json. Files
  and models are copied as they are; a tree becomes a folder.
ID is an artifact id (sha256:...) or a unique prefix of one, with or without
"sha256:", of at least 4 hex digits.]]

local function show(opts, repo, id)
  local a, err = repo:artifact(id)
  if not a then cli.fail(err) end
  local rec = { id = a.id, type = a.type, size = a.size, created = output.time(a.created),
    present = a.present, path = a.present and a:path() or nil,
    events = repo:meta():artifact_events(a.id) }
  if opts.json then return output.json(rec) end
  output.record(opts, rec, { "id", "type", "size", "created", "present", "path" })
  for _, e in ipairs(rec.events) do
    io.stdout:write(("%-6s %s of step %s in run %s\n"):format(e.kind, e.name, e.step, e.run))
  end
  if a.present and (a.type == "statistics" or a.type == "schema" or a.type == "metrics") then
    local v = a:read()
    local mt = getmetatable(v)
    io.stdout:write("\n", mt and mt.__tostring and tostring(v) or require("zenml.pretty").format(v), "\n")
  end
end

-- Export formats by artifact type: name -> writer(repo, artifact, dest).
local function write_bytes(repo, a, dest)
  local data = assert(repo:store():read(a.id))
  local f, ferr = io.open(dest, "wb")
  if not f then cli.fail(ferr) end
  f:write(data)
  f:close()
end

local function frame_writer(method, opts)
  return function(_, a, dest)
    local frame, rerr = a:read()
    if not frame then cli.fail(rerr) end
    local ok, err = frame[method](frame, dest, opts)
    if not ok then cli.fail(err) end
  end
end

-- A frame file: the stored bytes, unless they are a row selection (a
-- split's part, docs/formats.md), which names its base in this store: then
-- the frame of its rows, so the file reads anywhere.
local function write_frame_file(repo, a, dest)
  local f = io.open(repo:store():path(a.id), "rb")
  local magic = f and f:read(6)
  if f then f:close() end
  if magic ~= "ZMROWS" then return write_bytes(repo, a, dest) end
  return frame_writer("write")(repo, a, dest)
end

local function json_value(_, a, dest)
  local v = a:read()
  local text = require("zenml.json").encode(v == require("zenml.yaml").null and nil or v)
  local f, ferr = io.open(dest, "wb")
  if not f then cli.fail(ferr) end
  f:write(text, "\n")
  f:close()
end

local table_formats = {
  names = { "csv", "tsv", "json (records)", "zfr (native frame file)" },
  csv = frame_writer("to_csv"), tsv = frame_writer("to_csv", { delimiter = "\t" }),
  json = frame_writer("to_json"), zfr = write_frame_file,
  ext = { csv = "csv", tsv = "tsv", json = "json", zfr = "zfr", frame = "zfr" },
}
local value_formats = {
  names = { "yaml", "json" },
  yaml = write_bytes, json = json_value,
  ext = { yaml = "yaml", yml = "yaml", json = "json" },
}
local structured = { value = true, metrics = true, statistics = true, schema = true, error = true }

local function formats_of(a)
  if a.type == "frame" then return table_formats, "a table (frame)" end
  if structured[a.type] then return value_formats, "a " .. a.type .. " artifact" end
end

local function writer(a, dest, format)
  local formats, what = formats_of(a)
  if not formats then
    if format then
      cli.fail(("--format applies to tables and values; %s is a %s artifact, exported as it is")
        :format(a.id:sub(1, 19), a.type), 2)
    end
    return write_bytes
  end
  local list = table.concat(formats.names, ", ")
  if format then
    if not formats[format] or format == "names" or format == "ext" then
      cli.fail(("unknown format '%s' for %s; formats are: %s"):format(format, what, list), 2)
    end
    return formats[format]
  end
  local ext = dest:match("%.([%w]+)$")
  local chosen = ext and formats.ext[ext:lower()]
  if not chosen then
    cli.fail(("cannot tell the format of '%s' from its extension; %s is exported as: %s "
      .. "(name one with --format)"):format(dest, what, list), 2)
  end
  return formats[chosen]
end

local function export(repo, id, dest, format)
  local a, err = repo:artifact(id)
  if not a then cli.fail(err) end
  if not a.present then cli.fail(("artifact %s is recorded but missing from the store"):format(a.id)) end
  local store = repo:store()
  if store:is_tree(a.id) then
    if format then cli.fail("--format applies to tables and values; a tree is exported as a folder", 2) end
    local ok, cerr = store:checkout(a.id, dest)
    if not ok then cli.fail(cerr) end
  else
    writer(a, dest, format)(repo, a, dest)
  end
  io.stdout:write(("exported %s to %s\n"):format(a.id, dest))
end

local function run(args)
  local opts, pos = cli.parse(args, { flags = { json = true }, options = { format = true } }, usage)
  local action, id = pos[1], pos[2]
  if action ~= "show" and action ~= "export" then
    if not action then cli.fail("artifact needs an action: show or export\n" .. usage, 2) end
    cli.unknown_action(action, { "show", "export" }, usage)
  end
  if not id then
    cli.fail(("artifact %s needs an artifact id%s\n%s"):format(action,
      action == "export" and " and a DEST" or "", usage), 2)
  end
  local takes = action == "show" and 2 or 3
  if pos[takes + 1] then
    cli.fail(("artifact %s takes %s, got an extra argument '%s'\n%s"):format(action,
      action == "show" and "an artifact id" or "an artifact id and a DEST", pos[takes + 1], usage), 2)
  end
  local repo = cli.repo()
  if action == "show" then
    show(opts, repo, id)
  elseif action == "export" then
    if not pos[3] then cli.fail("artifact export needs a DEST\n" .. usage, 2) end
    cli.no_json(opts, "artifact export", "the path it wrote")
    export(repo, id, pos[3], opts.format)
  end
  return 0
end

return { usage = usage, run = run }
