local cli = require "zenml.cli"
local output = require "zenml.output"

local usage = [[usage: zenml artifact show ID [--json]
       zenml artifact export ID DEST

show: type, size, creation time, which executions wrote and read it.
export: copy the artifact out of the store (a tree becomes a folder).]]

local function lineage(repo, id)
  return repo:meta():query([[
    SELECT DISTINCT x.id AS execution, x.run_id AS run, x.step AS step, e.kind AS kind,
           e.name AS name, x.status AS status
    FROM events e JOIN executions x ON x.id = e.execution_id OR x.cached_from = e.execution_id
    WHERE e.artifact = ? ORDER BY x.id, e.kind, e.name]], id)
end

local function show(opts, repo, id)
  local a, err = repo:artifact(id)
  if not a then cli.fail(err) end
  local rec = { id = a.id, type = a.type, size = a.size, created = output.time(a.created),
    present = a.present, path = a.present and a:path() or nil, events = lineage(repo, id) }
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

local function export(repo, id, dest)
  local a, err = repo:artifact(id)
  if not a then cli.fail(err) end
  if not a.present then cli.fail(("artifact %s is recorded but missing from the store"):format(id)) end
  local store = repo:store()
  if store:is_tree(id) then
    local ok, cerr = store:checkout(id, dest)
    if not ok then cli.fail(cerr) end
  else
    local data = assert(store:read(id))
    local f, ferr = io.open(dest, "wb")
    if not f then cli.fail(ferr) end
    f:write(data)
    f:close()
  end
  io.stdout:write(("exported %s to %s\n"):format(id, dest))
end

local function run(args)
  local opts, pos = cli.parse(args, { flags = { json = true } }, usage)
  local action, id = pos[1], pos[2]
  if not id then cli.fail(usage, 2) end
  local repo = cli.repo()
  if action == "show" then
    show(opts, repo, id)
  elseif action == "export" then
    if not pos[3] then cli.fail("artifact export needs a DEST\n" .. usage, 2) end
    export(repo, id, pos[3])
  else
    cli.fail(("unknown action '%s'\n%s"):format(tostring(action), usage), 2)
  end
  return 0
end

return { usage = usage, run = run }
