local cli = require "zenml.cli"
local output = require "zenml.output"

local usage = [[usage: zenml pipeline list [--json]
       zenml pipeline show NAME|RUN [--json]
       zenml pipeline graph RUN [--dot | --json]

list: every pipeline with its number of versions and runs.
show: the runs of a pipeline (or of the pipeline of RUN) and the YAML each used.
graph: the steps of a run as a DAG: text on a terminal, Graphviz DOT with --dot
or when the output is not a terminal, JSON with --json ({run, pipeline, steps:
[{name, class, status, deps}]} in an order that puts each step after its deps).]]

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
  local repo = cli.repo()
  local run, err = repo:run(id)
  if not run then cli.fail(err) end
  local docs = require "zenml.engine.doc"
  local doc = docs.load(repo.root .. "/" .. run.yaml_path)
  local deps = docs.deps(doc)
  local order = docs.order(doc, deps)
  local status = {}
  for _, e in ipairs(run:executions()) do status[e.step] = e.status end
  if opts.json and opts.dot then cli.fail("pipeline graph takes --dot or --json, not both", 2) end
  if opts.json then
    local steps = {}
    for _, n in ipairs(order) do
      steps[#steps + 1] = { name = n, class = doc.steps[n].class, status = status[n],
        deps = deps[n] }
    end
    output.json { run = run.id, pipeline = doc.name, steps = steps }
    return 0
  end
  if opts.dot or not output.is_tty() then
    io.stdout:write(("digraph %q {\n  rankdir=LR;\n"):format(doc.name))
    for _, n in ipairs(order) do
      io.stdout:write(("  %q [label=\"%s\\n%s\\n%s\"];\n"):format(n, n, doc.steps[n].class,
        status[n] or "?"))
    end
    for _, n in ipairs(order) do
      for _, d in ipairs(deps[n]) do io.stdout:write(("  %q -> %q;\n"):format(d, n)) end
    end
    io.stdout:write("}\n")
  else
    for _, n in ipairs(order) do
      local ups = #deps[n] > 0 and ("  <- " .. table.concat(deps[n], ", ")) or ""
      io.stdout:write(("%-20s %-24s %-10s%s\n"):format(n, doc.steps[n].class, status[n] or "?", ups))
    end
  end
  return 0
end

local function run(args)
  local opts, pos = cli.parse(args, { flags = { json = true, dot = true } }, usage)
  local action = pos[1] or "list"
  if action == "list" then return list(opts) end
  if action == "show" then return show(opts, pos[2]) end
  if action == "graph" then return graph(opts, pos[2]) end
  cli.unknown_action(action, { "list", "show", "graph" }, usage)
end

return { usage = usage, run = run }
