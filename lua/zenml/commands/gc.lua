local cli = require "zenml.cli"
local output = require "zenml.output"

local usage = [[usage: zenml gc [--dry-run] [--json]

Removes artifacts that nothing references, temporary files left by
interrupted writes, and the parts a map/reduce step whose shard failed kept
for its next run (.zenml/shards/; counted with the temporary files). Kept: what the metadata store references (datasource
versions, executions, events, registered model versions) and what every recorded run's YAML in
pipelines/ needs to run again (the stored copies of step sources that were
uncommitted, datasource snapshots, the models a BatchInference run uses).
A YAML there that cannot be read, or that records a run the metadata store
does not know (a replaced or damaged database), stops gc. --dry-run only
reports.

gc waits until no other process is using the artifact store (a run, a
'zenml datasource commit', a REPL that opened the repository's store), since
such a process may have stored objects it has not recorded yet; it says so
when it has to wait. Runs started meanwhile wait for gc to finish.]]

-- The shard folders steps left (zenml.shards): count and bytes; removed
-- unless `dry`. Only called with the store's lock held exclusively (or
-- for a dry run): no step that could be using one is running.
local function shard_folders(repo, dry)
  local q = require("zenml.engine.remote").quote
  local top = repo.root .. "/.zenml/shards"
  local count, bytes = 0, 0
  local p = io.popen(("find %s -mindepth 1 -maxdepth 1 -type d 2>/dev/null"):format(q(top)))
  local folders = {}
  for path in p:lines() do folders[#folders + 1] = path end
  p:close()
  for _, path in ipairs(folders) do
    local du = io.popen(("du -sb %s 2>/dev/null"):format(q(path)))
    bytes = bytes + (tonumber((du:read("l") or ""):match("^(%d+)")) or 0)
    du:close()
    count = count + 1
    if not dry then os.execute(("rm -rf -- %s"):format(q(path))) end
  end
  return count, bytes
end

local function run(args)
  local opts, pos = cli.parse(args, { flags = { ["dry-run"] = true, json = true } }, usage)
  if pos[1] ~= nil then cli.fail(("gc takes no arguments, got '%s'\n%s"):format(pos[1], usage), 2) end
  local repo = cli.repo()
  local store = repo:store()
  local dry = opts["dry-run"] == true
  if not dry then
    -- Decide what is unreferenced only when no process can be between a put
    -- and its record.
    local held, lerr = store:lock("exclusive", false)
    if held == false then
      io.stderr:write("zenml: gc: waiting for the other processes using the artifact store "
        .. "to finish\n")
      held, lerr = store:lock("exclusive", true)
    end
    if not held then cli.fail("gc: " .. tostring(lerr)) end
  end
  local keep = repo:meta():artifact_refs()
  local needed, nerr = require("zenml.needs").artifacts(repo)
  if not needed then cli.fail("gc: " .. nerr) end
  table.move(needed, 1, #needed, #keep + 1, keep)
  local freed, err = store:gc { keep = keep, dry_run = dry }
  if freed then
    local folders, bytes = shard_folders(repo, dry)
    freed.temps, freed.bytes = freed.temps + folders, freed.bytes + bytes
  end
  if not dry then store:lock("shared") end
  if not freed then cli.fail(err) end
  if opts.json then
    freed.dry_run = opts["dry-run"] == true
    output.json(freed)
  else
    io.stdout:write(("%s %d object%s and %d temporary file%s, %s\n"):format(
      opts["dry-run"] and "would remove" or "removed",
      freed.objects, freed.objects == 1 and "" or "s",
      freed.temps, freed.temps == 1 and "" or "s", output.bytes(freed.bytes)))
  end
  return 0
end

return { usage = usage, run = run }
