--- `zenml model ...`: the model registry (lua/zenml/registry.lua, docs/registry.md).
local cli = require "zenml.cli"
local output = require "zenml.output"
local registry = require "zenml.registry"

local usage = [[usage: zenml model register NAME RUN [--step STEP] [-m MESSAGE] [--tag KEY=VALUE]...
                            [--git-tag]
       zenml model list [--json]
       zenml model show NAME[@VERSION|@ALIAS] [--json]
       zenml model alias NAME VERSION ALIAS [-m REASON] [--git-tag]
       zenml model history NAME [--alias ALIAS] [--json]
       zenml model tag NAME VERSION KEY=VALUE
       zenml model deprecate NAME VERSION
       zenml model export NAME[@VERSION|@ALIAS] PATH.tar.gz

The model registry: named models whose numbered versions each point at the
model, transform and schema of one completed training run (with its YAML,
datasource version and metrics), and aliases (production, staging, ...) that
name one version each and keep every move in a history.

register: a new version of NAME from RUN (an id, a unique prefix, "latest"):
  the `model` output of step STEP (default trainer) and the transform it was
  trained with. --tag may be repeated. A Training pipeline with
  `register = "NAME"` registers each completed run itself.
list: every model, its number of versions, newest version and aliases.
show: one version (the newest by default; NAME@3, NAME@v3 or NAME@ALIAS):
  its run, YAML, datasource version, metrics, who registered it and when,
  tags and the aliases naming it.
alias: point ALIAS at VERSION (refused for a deprecated version) with a
  reason (-m); the move is recorded, then hooks/registry.lua's on_alias
  (if the repository has one) is called.
history: every alias move of NAME, oldest first (--alias: of one alias).
tag: set KEY=VALUE on a version. deprecate: no alias may move to it any more.
export: write the version's model, transform and schema as a bundle, as the
  Export deployer does (zenml predict PATH.tar.gz DATA.csv needs nothing else).

--git-tag (or `zenml config set registry.git_tags true`) also makes annotated
git tags: NAME@vN on register, NAME#ALIAS#K on the K-th move of ALIAS.
Anywhere a run's model is taken, NAME@VERSION and NAME@ALIAS work too:
`zenml predict churn@production data.csv`, BatchInference { model = ... },
zenml.model("churn@production") in Lua.]]

local function need(pos, n, what)
  for i = 2, n + 1 do
    if not pos[i] then cli.fail(("model %s needs %s\n%s"):format(pos[1], what, usage), 2) end
  end
  if pos[n + 2] then
    cli.fail(("model %s takes %s, got an extra argument '%s'\n%s"):format(pos[1], what,
      pos[n + 2], usage), 2)
  end
end

local function register(opts, pos)
  need(pos, 2, "NAME and RUN")
  local repo = cli.repo()
  local v = registry.register(repo, pos[2], pos[3], { step = opts.step,
    message = opts.m or opts.message, tags = opts.tag, git_tag = opts["git-tag"] or nil })
  io.stdout:write(("registered %s version %d (run %s, step %s)\n"):format(v.model, v.version,
    v.run, v.step))
  return 0
end

local function aliases_text(db, name)
  local parts = {}
  for _, a in ipairs(db:model_aliases(name) or {}) do
    parts[#parts + 1] = ("%s=%d"):format(a.alias, a.version)
  end
  return table.concat(parts, ", ")
end

local function list(opts, pos)
  need(pos, 0, "no arguments")
  local repo = cli.repo()
  local db = repo:meta()
  local rows = {}
  for _, m in ipairs(db:models()) do
    rows[#rows + 1] = { name = m.name, versions = m.versions, latest = m.latest,
      aliases = aliases_text(db, m.name), updated = output.time(m.updated) }
  end
  output.list(opts, rows, { "name", "versions", "latest", "aliases", "updated" })
  return 0
end

local function resolved(repo, ref)
  local v, err = registry.resolve(repo:meta(), ref)
  if not v then cli.fail(err) end
  return registry.details(repo, v)
end

local function show(opts, pos)
  need(pos, 1, "NAME[@VERSION|@ALIAS]")
  local repo = cli.repo()
  local v = resolved(repo, pos[2])
  local run = repo:meta():run(v.run)
  local tags = {}
  for k, val in pairs(v.tags) do tags[#tags + 1] = k .. "=" .. val end
  table.sort(tags)
  if opts.json then
    v.created_at = output.time(v.created)
    v.pipeline = run and run.pipeline
    output.json(v)
    return 0
  end
  output.record({}, {
    model = v.model, version = v.version,
    aliases = #v.aliases > 0 and table.concat(v.aliases, ", ") or nil,
    deprecated = v.deprecated and "yes" or nil,
    run = ("%s (%s)"):format(v.run, run and run.pipeline or "?"), step = v.step,
    yaml = v.yaml_path, datasource = v.datasource_version,
    registered = ("%s by %s"):format(output.time(v.created), v.created_by or "?"),
    message = v.message, tags = #tags > 0 and table.concat(tags, ", ") or nil,
    ["model artifact"] = v.model_artifact, transform = v.transform_artifact,
    schema = v.schema_artifact,
  }, { "model", "version", "aliases", "deprecated", "run", "step", "yaml", "datasource",
    "registered", "message", "tags", "model artifact", "transform", "schema" })
  local names = {}
  for k in pairs(v.metrics) do names[#names + 1] = k end
  table.sort(names)
  local w = 0
  for _, k in ipairs(names) do w = math.max(w, #k) end
  if #names > 0 then io.stdout:write("metrics\n") end
  for _, k in ipairs(names) do
    io.stdout:write(("  %-" .. w .. "s  %s\n"):format(k, output.metric(v.metrics[k])))
  end
  return 0
end

local function alias(opts, pos)
  need(pos, 3, "NAME, VERSION and ALIAS")
  local repo = cli.repo()
  local e = registry.alias(repo, pos[2], pos[3], pos[4], { reason = opts.m or opts.message,
    git_tag = opts["git-tag"] or nil })
  io.stdout:write(("%s of %s: %s\n"):format(e.alias, e.name, e.from
    and ("version %d -> %d"):format(e.from, e.to) or ("version %d (new)"):format(e.to)))
  return 0
end

local function history(opts, pos)
  need(pos, 1, "NAME")
  local repo = cli.repo()
  local db = repo:meta()
  local moves, err = db:model_alias_history(pos[2], opts.alias)
  if not moves then
    local _, rerr = registry.resolve(db, pos[2])
    cli.fail(rerr or err)
  end
  if opts.alias and #moves == 0 then
    local _, aerr = registry.resolve(db, pos[2] .. "@" .. opts.alias)
    if aerr then cli.fail(aerr) end
  end
  local rows = {}
  for _, m in ipairs(moves) do
    rows[#rows + 1] = { when = output.time(m.created), alias = m.alias, from = m.from, to = m.to,
      who = m.who, reason = m.reason, hook = m.hook }
  end
  if opts.json then
    output.json(rows)
    return 0
  end
  output.list(opts, rows, { "when", "alias", "from", "to", "who", "reason" })
  return 0
end

local function tag(_, pos)
  need(pos, 3, "NAME, VERSION and KEY=VALUE")
  local v = registry.tag(cli.repo(), pos[2], pos[3], pos[4])
  io.stdout:write(("tagged %s version %d: %s\n"):format(v.model, v.version, pos[4]))
  return 0
end

local function deprecate(_, pos)
  need(pos, 2, "NAME and VERSION")
  local v = registry.deprecate(cli.repo(), pos[2], pos[3])
  io.stdout:write(("deprecated %s version %d\n"):format(v.model, v.version))
  return 0
end

-- A bundle as the Export deployer writes it, from a registered version.
local function export(_, pos)
  need(pos, 2, "NAME[@VERSION|@ALIAS] and a bundle PATH")
  local repo = cli.repo()
  local v = resolved(repo, pos[2])
  local store = repo:store()
  local function read(id) return id and assert(store:read(id)) end
  local schema = v.schema_artifact
    and require("zenml.yaml").decode(read(v.schema_artifact), v.schema_artifact)
  local bytes = require("zenml.steps.deployer").bundle(read(v.model_artifact),
    read(v.transform_artifact), schema)
  local ok, err = require("zenml._core").sys.write_atomic(pos[3], bytes, tonumber("644", 8))
  if not ok then cli.fail(("model export: %s"):format(err)) end
  io.stdout:write(("wrote %s version %d to %s (%d bytes)\n"):format(v.model, v.version, pos[3],
    #bytes))
  return 0
end

local actions = { register = register, list = list, show = show, alias = alias,
  history = history, tag = tag, deprecate = deprecate, export = export }
local ORDER = { "register", "list", "show", "alias", "history", "tag", "deprecate", "export" }

local function run(args)
  local opts, pos = cli.parse(args, { flags = { json = true, ["git-tag"] = true },
    options = { step = true, m = true, message = true, alias = true }, lists = { tag = true } },
    usage)
  pos[1] = pos[1] or "list"
  local fn = actions[pos[1]]
  if not fn then cli.unknown_action(pos[1], ORDER, usage) end
  return fn(opts, pos)
end

return { usage = usage, run = run }
