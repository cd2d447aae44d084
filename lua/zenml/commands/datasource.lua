local cli = require "zenml.cli"
local output = require "zenml.output"
local core = require "zenml._core"
local json = require "zenml.json"

local usage = [[usage: zenml datasource list [--json]
       zenml datasource show NAME [--json]
       zenml datasource commit NAME [--json]

list:   every datasource: type, number of versions, latest version, its rows.
show:   a datasource's arguments and every version (id, rows, columns, bytes),
        then the warnings of each version's snapshot (e.g. tokens read as nulls).
commit: take a snapshot of a registered datasource now. An unchanged source
        gives the version it already has and stores nothing; when that
        version's snapshot is missing from the artifact store, it is taken
        again from the sources (the same data gives the same artifact).
A datasource is registered when it is first constructed in a pipeline or
script, e.g. zenml.datasources.CSV { name = "iris", path = "data/iris.csv" }.]]

local function datasources() return require "zenml.datasources" end

local function list(opts, repo)
  local rows = datasources().list(repo)
  for _, r in ipairs(rows) do r.created = output.time(r.created) end
  output.list(opts, rows, { "name", "type", "versions", "latest", "rows", "created" })
end

local function show(opts, repo, name)
  local rec, err = datasources().show(repo, name)
  if not rec then cli.fail(err) end
  rec.created = output.time(rec.created)
  for _, v in ipairs(rec.versions) do v.created = output.time(v.created) end
  if opts.json then return output.json(rec) end
  io.stdout:write(("name     %s\ntype     %s\ncreated  %s\n"):format(rec.name, rec.type, rec.created))
  local keys = {}
  for k in pairs(rec.config) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = rec.config[k]
    io.stdout:write(("%-8s %s\n"):format(k, type(v) == "table" and json.encode(v) or tostring(v)))
  end
  io.stdout:write("\n")
  output.list(opts, rec.versions, { "id", "rows", "columns", "bytes", "created", "artifact" })
  for _, v in ipairs(rec.versions) do
    local lines = require("zenml.datasource").warnings(v.note)
    if #lines > 0 then
      io.stdout:write(("\nwarnings of version %s:\n"):format(v.id))
      for _, line in ipairs(lines) do io.stdout:write("  ", line, "\n") end
    end
  end
end

local function commit(opts, repo, name)
  local t0 = core.sys.clock()
  local ds, err = datasources().load(repo, name)
  if not ds then cli.fail(err) end
  local ok, v = pcall(ds.commit, ds, repo)
  if not ok then cli.fail(tostring(v)) end
  local ms = (core.sys.clock() - t0) * 1000
  if opts.json then
    v.elapsed_ms = ms
    v.created = output.time(v.created)
    return output.json(v)
  end
  io.stdout:write(("%s: version %s, %d rows x %d columns, %s (%s, %.1f ms)\n"):format(
    name, v.id, v.rows, v.columns, output.bytes(v.bytes),
    v.restored and "unchanged; its lost snapshot was taken again" or v.existed and "unchanged"
      or "stored", ms))
  for _, line in ipairs(require("zenml.datasource").warnings(v.note)) do
    io.stderr:write("zenml: warning: ", line, "\n")
  end
end

local function run(args)
  local opts, pos = cli.parse(args, { flags = { json = true } }, usage)
  local action, name = pos[1], pos[2]
  if action == nil then cli.fail(usage, 2) end
  local takes = ({ list = 1, show = 2, commit = 2 })[action]
  if not takes then cli.unknown_action(action, { "list", "show", "commit" }, usage) end
  if takes == 2 and not name then cli.fail(("datasource %s needs a NAME\n%s"):format(action, usage), 2) end
  if pos[takes + 1] ~= nil then
    cli.fail(("datasource %s takes %s, got an extra argument '%s'\n%s"):format(action,
      takes == 1 and "no arguments" or "a NAME", pos[takes + 1], usage), 2)
  end
  local repo = cli.repo()
  if action == "list" then
    list(opts, repo)
  elseif action == "show" then
    show(opts, repo, name)
  elseif action == "commit" then
    commit(opts, repo, name)
  end
  return 0
end

return { usage = usage, run = run }
