local cli = require "zenml.cli"
local output = require "zenml.output"

local usage = [[usage: zenml verify [--json]

Re-hashes every object in the artifact store, checks that every artifact
the metadata store references exists, and that every recorded run's YAML in
pipelines/ has what it needs to run again (its pinned sources in git or the
artifact store, its datasource versions, the models it uses). Prints one
line per problem (the artifact id, or the YAML and what it is missing) and
exits 1 if there is any.]]

local function run(args)
  local opts = cli.parse(args, { flags = { json = true } }, usage)
  local repo = cli.repo()
  local store = repo:store()
  local problems, err = store:verify()
  if not problems then cli.fail(err) end
  local missing = store:check(repo:meta():artifact_refs())
  for _, m in ipairs(missing) do problems[#problems + 1] = m end
  for _, m in ipairs(require("zenml.needs").check(repo)) do problems[#problems + 1] = m end
  if opts.json then
    output.json { ok = #problems == 0, problems = problems }
  elseif #problems == 0 then
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
