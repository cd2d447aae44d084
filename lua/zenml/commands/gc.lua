local cli = require "zenml.cli"
local output = require "zenml.output"

local usage = [[usage: zenml gc [--dry-run] [--json]

Removes artifacts that nothing references, and temporary files left by
interrupted writes. Kept: what the metadata store references (datasource
versions, executions, events) and what every recorded run's YAML in
pipelines/ needs to run again (the stored copies of step sources that were
uncommitted, datasource snapshots, the models a BatchInference run uses).
A YAML there that cannot be read, or that records a run the metadata store
does not know (a replaced or damaged database), stops gc. --dry-run only
reports.]]

local function run(args)
  local opts = cli.parse(args, { flags = { ["dry-run"] = true, json = true } }, usage)
  local repo = cli.repo()
  local keep = repo:meta():artifact_refs()
  local needed, nerr = require("zenml.needs").artifacts(repo)
  if not needed then cli.fail("gc: " .. nerr) end
  table.move(needed, 1, #needed, #keep + 1, keep)
  local freed, err = repo:store():gc { keep = keep, dry_run = opts["dry-run"] == true }
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
