local cli = require "zenml.cli"
local output = require "zenml.output"

local usage = [[usage: zenml run PIPELINE.lua [--set STEP.PARAM=VALUE]... [--backend NAME] [--no-cache] [-j N] [-- ARGS...]
       zenml run pipelines/NAME_RUN.yaml [--set STEP.PARAM=VALUE]... [--backend NAME] [--no-cache] [-j N]
       zenml run list [--pipeline NAME] [--status STATUS] [--limit N] [--json]
       zenml run show RUN [--json]
       zenml run logs RUN STEP
       zenml run explain RUN STEP [--json]

Runs a pipeline script (every p:run() in it), or runs a recorded pipeline
again from its YAML alone: the same step sources (from git), parameters and
datasource version, as a new run.
RUN is a run id, a unique prefix of one, or "latest". STATUS is running,
completed or failed. With --json, list, show and explain print JSON (list:
seconds as a number, absent while a run is running).

Options:
  --set STEP.PARAM=VALUE
                  set a parameter of the step named STEP in the pipeline (repeatable);
                  VALUE is read as the parameter's declared type (42, 0.5, true, text,
                  a,b,c or [1, 2] for a list) and checked as in the script; the
                  run's YAML records it like any other parameter
  --backend NAME  orchestrator: local (one step at a time) or parallel
  -j N, --jobs N  run up to N independent steps at once (implies parallel)
  --no-cache      run every step even when a cached result exists]]

local spec = {
  flags = { ["no-cache"] = true, json = true },
  options = { backend = true, j = true, jobs = true, pipeline = true, status = true, limit = true },
  lists = { set = true },
}

local function parse_sets(list)
  local sets = {}
  for i, a in ipairs(list or {}) do
    local s, err = require("zenml.overrides").parse(a)
    if not s then cli.fail(err .. "\n" .. usage, 2) end
    sets[i] = s
  end
  return sets
end

local function run_file(opts, pos)
  require("zenml.git").warm_up()
  local runner = require "zenml.runner"
  local path = pos[1]
  local jobs = opts.j or opts.jobs
  if jobs then
    jobs = math.tointeger(tonumber(jobs))
    if not jobs or jobs < 1 then cli.fail("-j expects a whole number >= 1\n" .. usage, 2) end
  end
  local names = require "zenml.names"
  local bad = opts.backend and names.check_backend(opts.backend)
  if bad then
    cli.fail(bad .. require("zenml.errors").did_you_mean(opts.backend, names.backends), 2)
  end
  runner.overrides = { backend = opts.backend, jobs = jobs, no_cache = opts["no-cache"],
    set = parse_sets(opts.set) }
  runner.finished = {}
  if path:match("%.ya?ml$") then
    local ok, run = xpcall(require("zenml.rerun").rerun, require("zenml.errors").capture, path, {})
    if not ok then error(run, 0) end
    return run.status == "completed" and 0 or 1
  end
  local chunk, err = loadfile(path)
  if not chunk then cli.fail(err) end
  _G.arg = { [0] = path, table.unpack(pos, 2) }
  -- captured where it is raised (the script's frames), printed by cli.main
  local ok, rerr = xpcall(chunk, require("zenml.errors").capture, table.unpack(pos, 2))
  if not ok then error(rerr, 0) end
  for _, r in ipairs(runner.finished) do
    if r.status ~= "completed" then return 1 end
  end
  return 0
end

--- The statuses a run can have (`run list --status`).
local run_statuses = { "running", "completed", "failed" }

local function list_filter(opts)
  local limit = 50
  if opts.limit then
    limit = math.tointeger(tonumber(opts.limit))
    if not limit or limit < 1 then
      cli.fail(("--limit expects a whole number >= 1, got '%s'"):format(opts.limit), 2)
    end
  end
  if opts.status then
    local known = false
    for _, s in ipairs(run_statuses) do known = known or s == opts.status end
    if not known then
      cli.fail(("unknown status '%s'; statuses are: %s%s"):format(opts.status,
        table.concat(run_statuses, ", "),
        require("zenml.errors").did_you_mean(opts.status, run_statuses)), 2)
    end
  end
  return { pipeline = opts.pipeline, status = opts.status, limit = limit }
end

local function list(opts)
  local filter = list_filter(opts)
  local repo = cli.repo()
  local rows = {}
  for _, r in ipairs(repo:runs(filter)) do
    local n = repo:meta():query("SELECT count(*) AS n, sum(status = 'cached') AS c FROM executions WHERE run_id = ?", r.id)[1]
    local seconds = r.ended and r.ended - r.started
    rows[#rows + 1] = { id = r.id, pipeline = r.pipeline, status = r.status,
      started = output.time(r.started), steps = n.n, cached = n.c or 0,
      -- a number in JSON (absent while running), two decimals in the table
      seconds = opts.json and seconds or (seconds and ("%.2f"):format(seconds) or ""),
      git = r.git_commit and (r.git_commit:sub(1, 8) .. (r.git_dirty and "+" or "")) or "" }
  end
  output.list(opts, rows, { "id", "pipeline", "status", "started", "seconds", "steps", "cached", "git" })
  return 0
end

local function find_run(repo, id)
  if not id then cli.fail("a RUN is needed\n" .. usage, 2) end
  local run, err = repo:run(id)
  if not run then cli.fail(err) end
  return run
end

local function show(opts, pos)
  local repo = cli.repo()
  local run = find_run(repo, pos[2])
  local ex = run:executions()
  if opts.json then
    local rec = {}
    for k, v in pairs(run) do if k:sub(1, 1) ~= "_" then rec[k] = v end end
    rec.executions, rec.metrics, rec.evaluated_split = ex, run:metrics(), run:evaluated_split()
    return output.json(rec)
  end
  output.record(opts, { run = run.id, pipeline = run.pipeline .. " v" .. run.pipeline_version,
    status = run.status, started = output.time(run.started), ended = output.time(run.ended),
    yaml = run.yaml_path, git = run.git_commit and (run.git_commit .. (run.git_dirty and " (dirty)" or "")),
    backend = run.backend },
    { "run", "pipeline", "status", "started", "ended", "yaml", "git", "backend" })
  io.stdout:write("\n")
  local rows = {}
  for _, e in ipairs(ex) do
    rows[#rows + 1] = { step = e.step, class = e.class, status = e.status == "cached"
      and ("cached (from #" .. tostring(e.cached_from) .. ")") or e.status,
      seconds = e.ended and ("%.3f"):format(e.ended - e.started) or "",
      key = e.cache_key and e.cache_key:sub(1, 12) or "" }
  end
  output.table(rows, { "step", "class", "status", "seconds", "key" },
    { "STEP", "CLASS", "STATUS", "SECONDS", "CACHE KEY" })
  local m = run:metrics()
  if next(m) then
    local split = run:evaluated_split()
    io.stdout:write(split and ("\nmetrics on split '" .. split .. "':\n") or "\nmetrics:\n")
    local names, width = {}, 0
    for k in pairs(m) do
      names[#names + 1] = k
      width = math.max(width, #k)
    end
    table.sort(names)
    for _, k in ipairs(names) do
      io.stdout:write(("  %-" .. width .. "s  %s\n"):format(k, output.metric(m[k])))
    end
  end
  return 0
end

local function execution_of(run, step)
  if not step then cli.fail("a STEP is needed\n" .. usage, 2) end
  for _, e in ipairs(run:executions()) do
    if e.step == step then return e end
  end
  local steps = {}
  for _, e in ipairs(run:executions()) do steps[#steps + 1] = e.step end
  cli.fail(("run %s has no step '%s'%s"):format(run.id, step,
    require("zenml.errors").did_you_mean(step, steps)))
end

local function logs(opts, pos)
  cli.no_json(opts, "run logs", "a step's log as it was written")
  local repo = cli.repo()
  local e = execution_of(find_run(repo, pos[2]), pos[3])
  if e.status == "cached" then
    io.stderr:write(("zenml: step '%s' was cached; showing the log of execution #%d\n"):format(
      e.step, e.cached_from))
    e = repo:meta():execution(e.cached_from)
  end
  if not e.log_artifact then
    io.stderr:write(("zenml: step '%s' printed nothing\n"):format(e.step))
    return 0
  end
  io.stdout:write(assert(repo:store():read(e.log_artifact)))
  return 0
end

local function run(args)
  local opts, pos = cli.parse(args, spec, usage)
  local action = pos[1]
  if action == nil then cli.fail(usage, 2) end
  if action == "list" then return list(opts) end
  if action == "show" then return show(opts, pos) end
  if action == "logs" then return logs(opts, pos) end
  if action == "explain" then
    local repo = cli.repo()
    local run_ = find_run(repo, pos[2])
    return require("zenml.explain").explain(repo, run_, execution_of(run_, pos[3]), opts)
  end
  cli.no_json(opts, "running a pipeline", "its progress as text")
  local actions = { "list", "show", "logs", "explain" }
  if not action:find("[./]") and not require("zenml._core").sys.file_kind(action) and
      require("zenml.errors").did_you_mean(action, actions) ~= "" then
    cli.unknown_action(action, actions, usage)        -- `zenml run lst`
  end
  return run_file(opts, pos)
end

return { usage = usage, run = run }
