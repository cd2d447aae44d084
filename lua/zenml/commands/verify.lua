local cli = require "zenml.cli"
local output = require "zenml.output"
local json = require "zenml.json"

local usage = [[usage: zenml verify [--repair] [--json]

Re-hashes every object in the artifact store, checks that every artifact
the metadata store references exists, and that every recorded run's YAML in
pipelines/ has what it needs to run again (its pinned sources in git or the
artifact store, its datasource versions, the models it uses). Prints one
line per problem (the artifact id, or the YAML and what it is missing) and
exits 1 if there is any. Changes nothing.

  --repair  also repair what can be repaired, print one line per change, then
            check again: corrupt objects are removed; executions whose outputs
            are lost are marked invalid (never a cache hit again, so the next
            run makes them anew); a run YAML a crash left under its temporary
            name is put in place (or removed when no run was recorded); stale
            temporary files are removed. Exits 1 if problems remain.
  --json    print {"ok": ..., "problems": [...], "repaired": [...]}]]

local function problems_of(repo)
  local store = repo:store()
  local found, err = store:verify()
  if not found then cli.fail(err) end
  local store_problems = {}
  for _, p in ipairs(found) do store_problems[#store_problems + 1] = p end
  for _, m in ipairs(store:check(repo:meta():artifact_refs())) do
    store_problems[#store_problems + 1] = m
  end
  local all = {}
  for _, p in ipairs(store_problems) do all[#all + 1] = p end
  for _, m in ipairs(require("zenml.needs").check(repo)) do all[#all + 1] = m end
  for _, m in ipairs(require("zenml.repair").check_partials(repo)) do all[#all + 1] = m end
  return all, store_problems
end

local function run(args)
  local opts, pos = cli.parse(args, { flags = { json = true, repair = true } }, usage)
  if #pos > 0 then cli.fail(("verify takes no arguments, got '%s'\n%s"):format(pos[1], usage), 2) end
  local repo = cli.repo()
  local problems, store_problems = problems_of(repo)
  local changes = {}
  if opts.repair then
    if repo:meta():read_only() then
      cli.fail("verify --repair: the metadata store is read-only here; nothing was changed")
    end
    changes = require("zenml.repair").repair(repo, store_problems)
    if #changes > 0 then problems = problems_of(repo) end
  end
  if opts.json then
    output.json { ok = #problems == 0, problems = json.array(problems), repaired = json.array(changes) }
    return #problems == 0 and 0 or 1
  end
  for _, c in ipairs(changes) do io.stdout:write("repaired: ", c, "\n") end
  if #problems == 0 then
    io.stdout:write("artifact store and metadata are consistent\n")
  else
    for _, p in ipairs(problems) do
      io.stdout:write(("%s: %s\n"):format(p.what, p.problem))
    end
    io.stderr:write(("zenml: %d problem%s found\n"):format(#problems, #problems == 1 and "" or "s"))
  end
  return #problems == 0 and 0 or 1
end

return { usage = usage, run = run }
