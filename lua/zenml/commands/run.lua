local cli = require "zenml.cli"
local output = require "zenml.output"

local usage = [[usage: zenml run PIPELINE.lua [--set STEP.PARAM=VALUE]... [--backend NAME] [--no-cache] [-j N] [--detach] [-- ARGS...]
       zenml run pipelines/NAME_RUN.yaml [--set STEP.PARAM=VALUE]... [--backend NAME] [--no-cache] [-j N] [--detach]
       zenml run list [--pipeline NAME] [--status STATUS] [--since DATE] [--until DATE]
                      [--where 'METRIC>VALUE']... [--metric NAME]... [--param STEP.PARAM]...
                      [--sort [-]COLUMN] [--limit N] [--json]
       zenml run show RUN [--all] [--json | --svg]
       zenml run compare RUN RUN... | --pipeline NAME --last N [--all] [--json | --csv | --md]
       zenml run logs RUN STEP
       zenml run wait RUN | cancel RUN
       zenml run explain RUN STEP [--json]

Runs a pipeline script (every p:run() in it), or runs a recorded pipeline
again from its YAML alone: the same step sources (from git), parameters and
datasource version, as a new run.
RUN is a run id, a unique prefix of one, "latest" or "latest~N" (the run N
before the newest). STATUS is running, completed, failed or cancelled
(a cluster run cancelled by Ctrl-C or run cancel). With --json,
list, show, compare and explain print JSON (numbers as numbers; list:
seconds absent while a run is running).

run list shows metric and parameter columns (--metric, --param, repeatable;
by default the headline metrics of the pipeline type: accuracy and macro_f1
for Training runs with a classification evaluator, rmse and r2 with a
regression one); --sort takes any column (-COLUMN: descending); --where
keeps runs whose metric compares true (> >= < <= = !=; repeatable); DATE is
YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS in UTC (--until is exclusive).
run show lists each step's parameters that differ from the class default
(--all: every one), its input and output artifacts (a split's part, stored
as a row selection, with its row count and the frame it selects from), and
the run and step a cached step reused. run compare prints one table with the runs as columns:
the parameters, datasource version, source pins, metrics and durations that
differ (--all: every row), deltas to the first run, the best value of each
metric marked * (lower is better for names with loss, error, mse, mae or
rmse; higher for the others); --csv and --md (for a pull request) too.
run wait follows a run on a cluster until its jobs ended and records its
end (also a run whose submitting process died); run cancel cancels its jobs
(the run ends cancelled). run show and run list bring a cluster run's
status up to date first.

Options:
  --set STEP.PARAM=VALUE
                  set a parameter of the step named STEP in the pipeline (repeatable);
                  VALUE is read as the parameter's declared type (42, 0.5, true, text,
                  a,b,c or [1, 2] for a list) and checked as in the script; the
                  run's YAML records it like any other parameter
  --backend NAME  orchestrator: local (one step at a time), parallel, slurm or a
                  backend of the repository's backends/ (zenml backend list); its
                  settings come from backends.NAME.* (zenml config set). With a
                  YAML, --backend local also runs every step here
  -j N, --jobs N  run up to N independent steps at once (implies parallel)
  --detach        with a cluster orchestrator (slurm): submit the run's jobs,
                  print the run id and return; follow it with run wait
  --no-cache      run every step even when a cached result exists]]

local spec = {
  flags = { ["no-cache"] = true, json = true, all = true, csv = true, md = true, svg = true,
    detach = true },
  options = { backend = true, j = true, jobs = true, pipeline = true, status = true, limit = true,
    since = true, ["until"] = true, sort = true, last = true },
  lists = { set = true, metric = true, param = true, where = true },
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
  if opts.backend and not require("zenml.backend").builtin[opts.backend] then
    local backend = require "zenml.backend"
    local known = backend.names(require("zenml.repo").find_root())
    local found = false
    for _, n in ipairs(known) do found = found or n == opts.backend end
    if not found then
      cli.fail(("unknown backend '%s'; backends are: %s%s"):format(opts.backend,
        table.concat(known, ", "), require("zenml.errors").did_you_mean(opts.backend, known)), 2)
    end
  end
  runner.overrides = { backend = opts.backend, jobs = jobs, no_cache = opts["no-cache"],
    detach = opts.detach,
    set = parse_sets(opts.set) }
  runner.finished = {}
  if path:match("%.ya?ml$") then
    local ok, run = xpcall(require("zenml.rerun").rerun, require("zenml.errors").capture, path, {})
    if not ok then error(run, 0) end
    return (run.status == "completed" or (opts.detach and run.status == "running")) and 0 or 1
  end
  local chunk, err = loadfile(path)
  if not chunk then cli.fail(err) end
  _G.arg = { [0] = path, table.unpack(pos, 2) }
  -- captured where it is raised (the script's frames), printed by cli.main
  local ok, rerr = xpcall(chunk, require("zenml.errors").capture, table.unpack(pos, 2))
  if not ok then error(rerr, 0) end
  for _, r in ipairs(runner.finished) do
    if r.status ~= "completed" and not (opts.detach and r.status == "running") then return 1 end
  end
  return 0
end

-- Days since 1970-01-01 of a civil date (proleptic Gregorian), so a DATE
-- means UTC whatever the local time zone is.
local function days_from_civil(y, m, d)
  y = m <= 2 and y - 1 or y
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local doy = (153 * (m + (m > 2 and -3 or 9)) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

--- A DATE option (YYYY-MM-DD, optionally THH:MM[:SS] and Z) as unix seconds in UTC.
local function parse_date(name, text)
  local y, mo, d, rest = text:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)(.*)$")
  local h, mi, sec = 0, 0, 0
  if rest and rest ~= "" then
    h, mi, sec = rest:match("^[T ](%d%d):(%d%d):?(%d*)Z?$")
    sec = sec ~= "" and sec or 0
  end
  y, mo, d, h, mi, sec = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(sec)
  if not y or not h or mo < 1 or mo > 12 or d < 1 or d > 31 or h > 23 or mi > 59 or sec > 59 then
    cli.fail(("--%s expects a date YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC), got '%s'"):format(name, text), 2)
  end
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec
end

--- `--where 'accuracy>0.9'` as {name, op, value}.
local function parse_where(text)
  local name, op, value = text:match("^%s*([^<>!=%s]+)%s*([<>!=]=?)%s*(.-)%s*$")
  local num = tonumber(value)
  if not name or op == "!" or not num then
    cli.fail(("--where expects METRIC OP NUMBER with OP one of > >= < <= = !=, got '%s'"):format(text), 2)
  end
  return { name = name, op = op, value = num }
end

--- The statuses a run can have (`run list --status`).
local run_statuses = { "running", "completed", "failed", "cancelled" }

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
  local where = {}
  for i, w in ipairs(opts.where or {}) do where[i] = parse_where(w) end
  for _, p in ipairs(opts.param or {}) do
    if not p:match("^[^.]+%.[^.]+") then
      cli.fail(("--param expects STEP.PARAM, got '%s'"):format(p), 2)
    end
  end
  return { pipeline = opts.pipeline, status = opts.status, limit = limit, where = where,
    since = opts.since and parse_date("since", opts.since),
    ["until"] = opts["until"] and parse_date("until", opts["until"]) }
end

local COLUMNS = { "id", "pipeline", "status", "started", "seconds", "steps", "cached", "git" }

--- The metrics `run list` shows when none is asked for: the headline
--- metrics of the newest listed run's pipeline type and evaluator.
local function default_metrics(repo, filter)
  local newest = repo:runs { pipeline = filter.pipeline, status = filter.status, limit = 1 }[1]
  local doc = newest and require("zenml.compare").doc_of(newest)
  if not doc or doc.type ~= "Training" or type(doc.steps) ~= "table" then return {} end
  for _, step in pairs(doc.steps) do
    if type(step) == "table" and step.module == "zenml.steps.evaluator" then
      if step.class == "Classification" then return { "accuracy", "macro_f1" } end
      if step.class == "Regression" then return { "rmse", "r2" } end
    end
  end
  return {}
end

-- A parameter of a run by "step.param", from its recorded YAML.
local function param_of(run, key)
  local doc = require("zenml.compare").doc_of(run)
  local step, name = key:match("^([^.]+)%.(.+)$")
  local s = doc and type(doc.steps) == "table" and doc.steps[step]
  local v = type(s) == "table" and type(s.params) == "table" and s.params[name] or nil
  if type(v) == "table" then v = require("zenml.json").encode(v) end
  return v
end

-- Sort runs by a parameter in Lua (parameters live in the runs' YAML):
-- numbers before text, runs without it last.
local function sort_by_param(runs, key, desc)
  local vals = {}
  for _, r in ipairs(runs) do vals[r] = param_of(r, key) end
  table.sort(runs, function(a, b)
    local x, y = vals[a], vals[b]
    if x == nil or y == nil then
      if x == y then return a.started > b.started end
      return y == nil
    end
    if type(x) ~= type(y) then return type(x) == "number" end
    if x == y then return a.started > b.started end
    if desc then return x > y end
    return x < y
  end)
end

local function list(opts)
  local filter = list_filter(opts)
  local repo = cli.repo()
  require("zenml.follow").refresh_all(repo)
  local metrics = opts.metric or default_metrics(repo, filter)
  local params = opts.param or {}
  local sort, desc = opts.sort, false
  if sort and sort:sub(1, 1) == "-" then sort, desc = sort:sub(2), true end
  if sort == "" then cli.fail("--sort expects a COLUMN or -COLUMN", 2) end
  local by_param, sort_metric = false, false
  if sort then
    for _, p in ipairs(params) do by_param = by_param or p == sort end
    local known = false
    for _, c in ipairs(COLUMNS) do known = known or c == sort end
    sort_metric = not by_param and not known
    if sort_metric then
      local listed = false
      for _, m in ipairs(metrics) do listed = listed or m == sort end
      if not listed then metrics = { table.unpack(metrics) } metrics[#metrics + 1] = sort end
    end
  end
  local db_sort = sort == "git" and "git" or sort
  local runs = repo:meta():run_summaries { pipeline = filter.pipeline, status = filter.status,
    since = filter.since, ["until"] = filter["until"], metrics = metrics, where = filter.where,
    sort = not by_param and db_sort or nil, sort_metric = sort_metric, descending = desc,
    limit = not by_param and filter.limit or nil }
  if by_param then
    local Run = require("zenml.repo").Run
    for i, r in ipairs(runs) do runs[i] = Run:new(repo, r) end
    sort_by_param(runs, sort, desc)
    for i = filter.limit + 1, #runs do runs[i] = nil end
  end
  local rows, cols = {}, { table.unpack(COLUMNS) }
  for _, m in ipairs(metrics) do cols[#cols + 1] = m end
  for _, p in ipairs(params) do cols[#cols + 1] = p end
  local Run = require("zenml.repo").Run
  for _, r in ipairs(runs) do
    local seconds = r.ended and r.ended - r.started
    local row = { id = r.id, pipeline = r.pipeline, status = r.status,
      started = output.time(r.started), steps = r.steps, cached = r.cached,
      -- a number in JSON (absent while running), two decimals in the table
      seconds = opts.json and seconds or (seconds and ("%.2f"):format(seconds) or ""),
      git = r.git_commit and (r.git_commit:sub(1, 8) .. (r.git_dirty and "+" or "")) or "" }
    local run = getmetatable(r) == Run and r or Run:new(repo, r)
    if opts.json then
      row.metrics = r.metrics
      if #params > 0 then
        row.params = {}
        for _, p in ipairs(params) do row.params[p] = param_of(run, p) end
      end
    else
      for _, m in ipairs(metrics) do row[m] = r.metrics[m] and output.metric(r.metrics[m]) end
      for _, p in ipairs(params) do row[p] = param_of(run, p) end
    end
    rows[#rows + 1] = row
  end
  local headers = {}
  for i, c in ipairs(cols) do headers[i] = i <= #COLUMNS and c:upper() or c end
  output.list(opts, rows, cols, headers)
  return 0
end

local function find_run(repo, id, action)
  if not id then cli.fail(("run %s needs a RUN\n%s"):format(action, usage), 2) end
  local run, err = repo:run(id)
  if not run then cli.fail(err) end
  return run
end

-- The run and step a cached execution reused: {run, step}, never an
-- internal execution number.
local function reused(repo, e)
  if e.status ~= "cached" or not e.cached_from then return nil end
  local from = repo:meta():execution(e.cached_from)
  return from and { run = from.run, step = from.step }
end

-- Whether a path exists (a run's job folder).
local function core_kind(path)
  return require("zenml._core").sys.file_kind(path) ~= nil
end

-- Everything `run show` prints, with full ids (what --json carries).
-- A step's `shards` entry in the run's YAML (a step whose kernels shard
-- by columns or byte ranges, or that runs whole), as run show lists it.
local function shards_planned(doc, step)
  local s = type(doc.steps) == "table" and doc.steps[step]
  local sh = type(s) == "table" and s.shards
  if type(sh) ~= "table" then return nil end
  return { by = sh.by, workers = sh.workers, backend = require("zenml.backend").name_in(s.processing) }
end

local function show_record(repo, run, all)
  local doc = require("zenml.compare").doc_of(run) or {}
  local rec = {}
  for k, v in pairs(run) do if k:sub(1, 1) ~= "_" then rec[k] = v end end
  rec.type = doc.type
  if type(doc.datasource) == "table" then
    rec.datasource = { name = doc.datasource.name, version = doc.datasource.version }
  end
  local params = {}
  for _, p in ipairs(require("zenml.compare").params(run, all)) do
    params[p.step] = params[p.step] or {}
    params[p.step][p.name] = p.value
  end
  rec.registered = require("zenml.json").array({})
  for _, v in ipairs(repo:meta():model_versions_of_run(run.id)) do
    rec.registered[#rec.registered + 1] = ("%s@%d"):format(v.model, v.version)
  end
  local arts, seen = {}, {}
  for _, a in ipairs(repo:meta():run_artifacts(run.id)) do
    arts[a.step] = arts[a.step] or { inputs = {}, outputs = {} }
    local list = a.kind == "input" and arts[a.step].inputs or arts[a.step].outputs
    -- the attempts of a retried step read the same inputs
    local key = table.concat({ a.step, a.kind, a.name, a.id }, "\0")
    if not seen[key] then
      seen[key] = true
      list[#list + 1] = { name = a.name, type = a.type, id = a.id, size = a.size }
    end
  end
  rec.steps = {}
  -- the cluster job of each step, when a cluster ran the run's steps
  local jobs = core_kind(repo.root .. "/.zenml/jobs/" .. run.id)
  -- a retried step is one entry, its last execution, with its attempts
  -- (a caught failure's last execution holds its error, not an attempt)
  local records, attempts, last, caught = require("zenml.engine.records"), {}, {}, {}
  -- what a step's hooks raised (recorded on the attempt they reported on)
  local hook_errors = {}
  for _, e in ipairs(run:executions()) do
    for _, hook in ipairs(require("zenml.engine.hooks").names) do
      local err = repo:meta():property_get("execution", tostring(e.id), "hook_error." .. hook)
      if type(err) == "string" then
        hook_errors[e.step] = hook_errors[e.step] or {}
        hook_errors[e.step][hook] = err:match("^[^\n]*")
      end
    end
    attempts[e.step] = attempts[e.step] or {}
    local list = attempts[e.step]
    if e.status == "completed" and repo:meta():property_get("execution", tostring(e.id), "caught") then
      caught[e.step] = true
    else
      list[#list + 1] = { attempt = records.attempt_of(repo:meta(), e.id), status = e.status,
        error = e.status == "failed" and e.error and e.error:match("^[^\n]*") or nil }
    end
    last[e.step] = e.id
  end
  local i = 0
  for _, e in ipairs(run:executions()) do
    if last[e.step] ~= e.id then goto next end
    i = i + 1
    local a = arts[e.step] or {}
    rec.steps[i] = { step = e.step, class = e.class, status = caught[e.step] and "caught" or e.status,
      attempts = (#attempts[e.step] > 1 or caught[e.step]) and attempts[e.step] or nil,
      seconds = e.ended and e.ended - e.started, cache_key = e.cache_key,
      reused = reused(repo, e), params = params[e.step] or {},
      inputs = require("zenml.json").array(a.inputs or {}),
      outputs = require("zenml.json").array(a.outputs or {}),
      shards = records.shards_of(repo:meta(), e.id) or shards_planned(doc, e.step),
      job = jobs and repo:meta():property_get("execution", tostring(e.id), "job_id") or nil,
      job_script = jobs and repo:meta():property_get("execution", tostring(e.id), "job_script") or nil,
      hook_errors = hook_errors[e.step],
      -- why a step failed or did not run (the traceback is in `run logs`)
      error = (e.status == "failed" or e.status == "skipped") and e.error
        and e.error:match("^[^\n]*") or nil }
    ::next::
  end
  rec.metrics, rec.evaluated_split = run:metrics(), run:evaluated_split()
  return rec
end

local function param_text(v)
  if type(v) == "table" then return require("zenml.json").encode(v) end
  return tostring(v)
end


-- "  (105 rows of 74c50e3796d8)" for a frame stored as a row selection (a
-- split's part: docs/formats.md), read from its header; "" otherwise.
local function selection_note(repo, id)
  local ok, path = pcall(function() return repo:store():path(id) end)
  local f = ok and io.open(path, "rb")
  local head = f and f:read(128)
  if f then f:close() end
  if not head or #head < 128 or head:sub(1, 6) ~= "ZMROWS" then return "" end
  local rows = string.unpack("<I8", head, 17)
  return ("  (%d rows of %s)"):format(rows, head:sub(56, 67))
end

local function show_step(repo, st)
  local names = require("zenml.tables").sorted_keys(st.params)
  local parts = {}
  for i, k in ipairs(names) do parts[i] = k .. "=" .. param_text(st.params[k]) end
  io.stdout:write(("\n%s (%s): %s%s\n"):format(st.step, st.class,
    st.reused and ("cached from run %s step %s"):format(st.reused.run, st.reused.step) or st.status,
    st.seconds and (", %.3f s"):format(st.seconds) or ""))
  if #parts > 0 then io.stdout:write("  params   ", table.concat(parts, " "), "\n") end
  for _, a in ipairs(st.attempts or {}) do
    io.stdout:write(("  attempt  %d %s%s\n"):format(a.attempt, a.status,
      a.error and (": " .. a.error) or ""))
  end
  if st.error and not st.attempts then
    io.stdout:write(st.status == "skipped" and "  reason   " or "  error    ", st.error, "\n")
  end
  for _, hook in ipairs(require("zenml.engine.hooks").names) do
    local err = st.hook_errors and st.hook_errors[hook]
    if err then io.stdout:write(("  hook     %s raised: %s\n"):format(hook, err)) end
  end
  local sh = st.shards
  if sh and not sh.count then
    io.stdout:write(("  shards   %s%s\n"):format(sh.by == "whole" and "none: runs whole on one worker"
      or ("by %s on %d worker%s"):format(sh.by, sh.workers, sh.workers == 1 and "" or "s"),
      sh.backend and (" (" .. sh.backend .. ")") or ""))
  elseif sh and sh.by ~= "rows" then
    -- the kernels' shards: columns each, per kernel and worker thread
    io.stdout:write(("  shards   %d by %s on %d worker%s%s\n"):format(sh.count, sh.by, sh.workers,
      sh.workers == 1 and "" or "s", sh.backend and (" (" .. sh.backend .. ")") or ""))
    for k, one in ipairs(sh.shards or {}) do
      io.stdout:write(("           %d: %s, %d column%s, %.3f s, worker %d\n"):format(k, one.kernel,
        one.columns, one.columns == 1 and "" or "s", one.seconds, one.worker))
    end
  elseif sh then
    io.stdout:write(("  shards   %d by %s of %d on %d %s%s\n"):format(sh.count, sh.by,
      sh.block_rows, sh.workers, sh.backend == "slurm_array" and "array task" or "worker",
      sh.workers == 1 and "" or "s"))
    for k, one in ipairs(sh.shards or {}) do
      io.stdout:write(("           %d: %s%d rows, %.3f s, %s%s\n"):format(k,
        one.part and (one.part .. ", ") or "", one.rows, one.seconds,
        type(one.worker) == "string" and one.worker or ("worker %d"):format(one.worker or 1),
        one.reused and ", kept from an earlier run" or ""))
    end
  end
  if st.job then
    io.stdout:write(("  job      %s (script %s)\n"):format(st.job,
      tostring(st.job_script):gsub("^sha256:", ""):sub(1, 12)))
  end
  for _, kind in ipairs { "inputs", "outputs" } do
    for _, a in ipairs(st[kind]) do
      io.stdout:write(("  %-7s  %-12s %-10s %s  %s%s\n"):format(kind == "inputs" and "in" or "out",
        a.name, a.type, a.id:gsub("^sha256:", ""):sub(1, 12), output.bytes(a.size),
        a.type == "frame" and selection_note(repo, a.id) or ""))
    end
  end
end

local function show(opts, pos)
  local repo = cli.repo()
  local run = require("zenml.follow").refresh(repo, find_run(repo, pos[2], "show"))
  if opts.svg then -- the run's DAG as an SVG image, as `pipeline graph --svg` draws it
    if opts.json then cli.fail("run show takes one of --json and --svg", 2) end
    local g = run:graph()
    io.stdout:write(require("zenml.svg").dag { title = ("%s · run %s"):format(g.pipeline, run.id),
      steps = g.steps, standalone = true }, "\n")
    return 0
  end
  local rec = show_record(repo, run, opts.all)
  if opts.json then return output.json(rec) end
  output.record(opts, { run = run.id, pipeline = run.pipeline .. " v" .. run.pipeline_version
      .. (rec.type and (" (" .. rec.type .. ")") or ""),
    status = run.status, started = output.time(run.started), ended = output.time(run.ended),
    yaml = run.yaml_path, git = run.git_commit and (run.git_commit .. (run.git_dirty and " (dirty)" or "")),
    datasource = rec.datasource and (rec.datasource.name .. " version " .. tostring(rec.datasource.version)),
    backend = run.backend,
    registered = #rec.registered > 0 and table.concat(rec.registered, ", ") or nil },
    { "run", "pipeline", "status", "started", "ended", "yaml", "git", "datasource", "backend",
      "registered" })
  for _, st in ipairs(rec.steps) do show_step(repo, st) end
  local m = rec.metrics
  if next(m) then
    local split = rec.evaluated_split
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

--- The runs of `run compare` and `zenml report`: the RUN arguments (`ids`),
--- or --pipeline NAME --last N (oldest first: the baseline). `what` names
--- the command in messages, `how` is its usage.
---@return table[] runs
local function select_runs(repo, opts, ids, what, how)
  if opts.last then
    local n = math.tointeger(tonumber(opts.last))
    if not n or n < 1 then cli.fail(("--last expects a whole number >= 1, got '%s'"):format(opts.last), 2) end
    if not opts.pipeline then cli.fail("--last needs --pipeline NAME\n" .. how, 2) end
    if ids[1] then cli.fail("give RUNs or --pipeline NAME --last N, not both\n" .. how, 2) end
    local runs = repo:runs { pipeline = opts.pipeline, limit = n }
    if #runs == 0 then cli.fail(("pipeline '%s' has no runs"):format(opts.pipeline)) end
    local out = {}
    for i = #runs, 1, -1 do out[#out + 1] = runs[i] end
    return out
  end
  if not ids[1] then cli.fail(what .. " needs RUNs or --pipeline NAME --last N\n" .. how, 2) end
  local runs = {}
  for i, id in ipairs(ids) do
    local run, err = repo:run(id)
    if not run then cli.fail(err) end
    runs[i] = run
  end
  return runs
end

local function compare(opts, pos)
  local n = (opts.json and 1 or 0) + (opts.csv and 1 or 0) + (opts.md and 1 or 0)
  if n > 1 then cli.fail("choose one of --json, --csv and --md\n" .. usage, 2) end
  local repo = cli.repo()
  local cmp = require("zenml.compare").compare(select_runs(repo, opts, { table.unpack(pos, 2) },
    "run compare", usage), { all = opts.all })
  if cmp.shared_only then
    io.stderr:write(("zenml: run compare: the runs are of different pipeline types (%s): "
      .. "comparing the rows they share\n"):format(table.concat(cmp:types(), ", ")))
  end
  if opts.json then return output.json(cmp:record()) end
  if opts.csv then return io.stdout:write(cmp:csv()) end
  if opts.md then return io.stdout:write(cmp:markdown()) end
  io.stdout:write(tostring(cmp), "\n")
  local marked = false
  for _, row in ipairs(cmp.rows) do marked = marked or (row.best and #row.best > 0) end
  if marked and #cmp.runs > 1 then
    io.stdout:write("(deltas to the first run; * the best value of a metric)\n")
  end
  return 0
end

-- The execution of `step` in `run`: its last attempt's (a caught failure's
-- record holds no log: the attempt before it).
local function execution_of(run, step, action)
  if not step then cli.fail(("run %s needs a RUN and a STEP\n%s"):format(action, usage), 2) end
  local found
  local db = cli.repo():meta()
  for _, e in ipairs(run:executions()) do
    if e.step == step and not (found and e.status == "completed"
        and db:property_get("execution", tostring(e.id), "caught")) then
      found = e
    end
  end
  if found then return found end
  local steps = {}
  for _, e in ipairs(run:executions()) do steps[#steps + 1] = e.step end
  cli.fail(("run %s has no step '%s'%s"):format(run.id, step,
    require("zenml.errors").did_you_mean(step, steps)))
end

local function logs(opts, pos)
  cli.no_json(opts, "run logs", "a step's log as it was written")
  local repo = cli.repo()
  local e = execution_of(find_run(repo, pos[2], "logs"), pos[3], "logs")
  if e.status == "cached" then
    local from = reused(repo, e)
    io.stderr:write(("zenml: step '%s' was cached; showing the log of run %s step %s\n"):format(
      e.step, from and from.run or "?", from and from.step or "?"))
    e = repo:meta():execution(e.cached_from)
  end
  if not e.log_artifact then
    io.stderr:write(("zenml: step '%s' printed nothing\n"):format(e.step))
    return 0
  end
  io.stdout:write(assert(repo:store():read(e.log_artifact)))
  return 0
end

-- The actions and their arguments; options of running and of listing.
local ACTIONS = { list = {}, show = { "RUN" }, logs = { "RUN", "STEP" }, explain = { "RUN", "STEP" },
  wait = { "RUN" }, cancel = { "RUN" } }
local RUNNING = { "set", "backend", "j", "jobs", "no-cache", "detach" }
local LISTING = { "pipeline", "status", "limit", "since", "until", "sort", "metric", "param", "where" }

local function run(args)
  local opts, pos = cli.parse(args, spec, usage)
  local action = pos[1]
  if action == nil then cli.fail(usage, 2) end
  if action == "compare" then -- RUN... or --pipeline NAME --last N
    for _, o in ipairs(RUNNING) do
      if opts[o] ~= nil then
        cli.fail(("%s%s applies to running a pipeline, not to run compare"):format(#o > 1 and "--" or "-", o), 2)
      end
    end
    for _, o in ipairs(LISTING) do
      if o ~= "pipeline" and opts[o] ~= nil then
        cli.fail(("--%s applies to run list, not to run compare"):format(o), 2)
      end
    end
    compare(opts, pos)
    return 0
  end
  for _, o in ipairs({ "last", "csv", "md" }) do
    if opts[o] ~= nil then cli.fail(("--%s applies to run compare, not to run %s"):format(o, action), 2) end
  end
  if opts.svg and action ~= "show" then
    cli.fail(("--svg applies to run show, not to run %s"):format(action), 2)
  end
  local takes = ACTIONS[action]
  if takes then
    if pos[#takes + 2] ~= nil then
      cli.fail(("run %s takes %s, got an extra argument '%s'\n%s"):format(action,
        #takes == 0 and "no arguments" or table.concat(takes, " "), pos[#takes + 2], usage), 2)
    end
    for _, o in ipairs(RUNNING) do
      if opts[o] ~= nil then
        cli.fail(("%s%s applies to running a pipeline, not to run %s"):format(#o > 1 and "--" or "-", o, action), 2)
      end
    end
    if action ~= "list" then
      for _, o in ipairs(LISTING) do
        if opts[o] ~= nil then cli.fail(("--%s applies to run list, not to run %s"):format(o, action), 2) end
      end
    end
  else
    for _, o in ipairs(LISTING) do
      if opts[o] ~= nil then cli.fail(("--%s applies to run list, not to running a pipeline"):format(o), 2) end
    end
  end
  if action == "list" then return list(opts) end
  if action == "show" then return show(opts, pos) end
  if action == "logs" then return logs(opts, pos) end
  if action == "wait" or action == "cancel" then
    cli.no_json(opts, "run " .. action, "the run's progress as text")
    local repo = cli.repo()
    local run_ = find_run(repo, pos[2], action)
    local follow = require "zenml.follow"
    if action == "cancel" then
      local ok, n = pcall(follow.cancel, repo, run_)
      if not ok then cli.fail(n) end
      io.stdout:write(("run %s cancelled (%d job%s)\n"):format(run_.id, n, n == 1 and "" or "s"))
      return 0
    end
    local ok, done = pcall(follow.wait, repo, run_)
    if not ok then cli.fail(done) end
    if done == run_ then
      io.stdout:write(("run %s has finished: %s\n"):format(run_.id, run_.status))
    end
    return done.status == "completed" and 0 or 1
  end
  if action == "explain" then
    local repo = cli.repo()
    local run_ = find_run(repo, pos[2], "explain")
    return require("zenml.explain").explain(repo, run_, execution_of(run_, pos[3], "explain"), opts)
  end
  cli.no_json(opts, "running a pipeline", "its progress as text")
  local actions = { "list", "show", "compare", "logs", "explain" }
  if not action:find("[./]") and not require("zenml._core").sys.file_kind(action) and
      require("zenml.errors").did_you_mean(action, actions) ~= "" then
    cli.unknown_action(action, actions, usage)        -- `zenml run lst`
  end
  return run_file(opts, pos)
end

return { usage = usage, run = run, select_runs = select_runs }
