local cli = require "zenml.cli"
local output = require "zenml.output"

local usage = [[usage: zenml pipeline list [--json]
       zenml pipeline show NAME|RUN [--json]
       zenml pipeline graph RUN [--dot | --json | --svg]

list: every pipeline with its number of versions and runs.
show: the runs of a pipeline (or of the pipeline of RUN) and the YAML each used.
graph: the steps of a run as a DAG: text on a terminal, Graphviz DOT with --dot
or when the output is not a terminal, JSON with --json ({run, pipeline, steps:
[{name, class, status, deps}]} in an order that puts each step after its deps),
an SVG image with --svg (cached steps grey and dashed, failed ones red).]]

local function list(opts)
  local repo = cli.repo()
  local rows = repo:pipelines()
  for _, r in ipairs(rows) do r.last_run = output.time(r.last_run) end
  output.list(opts, rows, { "name", "versions", "runs", "last_run" })
  return 0
end

local function show(opts, what)
  if not what then cli.fail("pipeline show needs a NAME or RUN\n" .. usage, 2) end
  local repo = cli.repo()
  local name = what
  if not repo:meta():pipeline_exists(what) then
    local run = repo:run(what)
    if not run then cli.fail(("no pipeline or run '%s'"):format(what)) end
    name = run.pipeline
  end
  local rows = {}
  for _, r in ipairs(repo:runs { pipeline = name, limit = 1000 }) do
    rows[#rows + 1] = { run = r.id, version = r.pipeline_version, status = r.status,
      started = output.time(r.started), yaml = r.yaml_path }
  end
  if not opts.json then io.stdout:write(("pipeline %s\n"):format(name)) end
  output.list(opts, rows, { "run", "version", "status", "started", "yaml" })
  return 0
end

local function graph(opts, id)
  if not id then cli.fail("pipeline graph needs a RUN\n" .. usage, 2) end
  local n = (opts.json and 1 or 0) + (opts.dot and 1 or 0) + (opts.svg and 1 or 0)
  if n > 1 then cli.fail("pipeline graph takes one of --dot, --json and --svg", 2) end
  local repo = cli.repo()
  local run, err = repo:run(id)
  if not run then cli.fail(err) end
  local g = run:graph()
  if opts.json then
    output.json { run = run.id, pipeline = g.pipeline, steps = g.steps }
    return 0
  end
  if opts.svg then
    io.stdout:write(require("zenml.svg").dag { title = ("%s · run %s"):format(g.pipeline, run.id),
      steps = g.steps, standalone = true }, "\n")
    return 0
  end
  if opts.dot or not output.is_tty() then
    io.stdout:write(("digraph %q {\n  rankdir=LR;\n"):format(g.pipeline))
    for _, s in ipairs(g.steps) do
      io.stdout:write(("  %q [label=\"%s\\n%s\\n%s\"];\n"):format(s.name, s.name, s.class,
        s.status or "?"))
    end
    for _, s in ipairs(g.steps) do
      for _, d in ipairs(s.deps) do io.stdout:write(("  %q -> %q;\n"):format(d, s.name)) end
    end
    io.stdout:write("}\n")
  else
    for _, s in ipairs(g.steps) do
      local ups = #s.deps > 0 and ("  <- " .. table.concat(s.deps, ", ")) or ""
      io.stdout:write(("%-20s %-24s %-10s%s\n"):format(s.name, s.class, s.status or "?", ups))
    end
  end
  return 0
end

local function run(args)
  local opts, pos = cli.parse(args, { flags = { json = true, dot = true, svg = true } }, usage)
  local action = pos[1] or "list"
  if action == "list" then return list(opts) end
  if action == "show" then return show(opts, pos[2]) end
  if action == "graph" then return graph(opts, pos[2]) end
  cli.unknown_action(action, { "list", "show", "graph" }, usage)
end

return { usage = usage, run = run }
