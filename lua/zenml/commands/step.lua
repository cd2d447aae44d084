local cli = require "zenml.cli"
local output = require "zenml.output"
local params = require "zenml.params"

local usage = [[usage: zenml step list [--json]
       zenml step exec PIPELINE.yaml STEP [--attempt N]
       zenml step exec PIPELINE.yaml --all [-j N] [--srun]
       zenml step shard SPEC.json [TASK]
       zenml step reduce SPEC.json

list: the built-in step classes and those in the repository's steps/ folder,
with their parameters (with --json an object: name -> {type, default,
required, values}).
exec: run one step of a run in progress in this process, reading its
inputs from the stores and recording its execution in that run (what a
cluster orchestrator launches on a node, one step per job). A step the run
has already completed (or reused from the cache) is not run again: it says
so and exits 0. Refused, with nothing recorded: a step that failed, was
skipped or is running; a step whose upstream steps have not completed; any
step of a run that has finished (a recorded run is never changed:
'zenml run PIPELINE.yaml' runs the pipeline again as a new run).
--attempt N runs attempt N of a step with retries (docs/pipelines.md,
"Retries, timeouts, hooks"): allowed after attempt N-1 failed.
exec --all: every step of the run that has not completed, on N worker
threads here (default: the CPUs Slurm gave the job, else every core), or
each through `srun` on a node of the allocation with --srun; what the slurm
orchestrator's allocation mode runs inside its allocation.
shard: one task of a SlurmArray job array: the row blocks of the spec the
step's process wrote (.zenml/jobs/RUN/STEP-shards.json) that fall to task
TASK (default: $SLURM_ARRAY_TASK_ID), each kept in the step's shard folder;
exit 1 when one of them failed, with its error.
reduce: the reduce job that runs after a SlurmArray job array (afterok):
every part of the spec's step, read from its shard folder in block order,
reduced as the step's process would (or a built-in step's frames stacked),
the outputs put in the store and their ids written for the step's process
(.zenml/jobs/RUN/STEP-reduce.json); exit 1 with the error when the reduce
failed.]]

local function modules_in(folder, prefix)
  local out = {}
  local p = io.popen("find '" .. folder:gsub("'", "'\\''") .. "' -name '*.lua' 2>/dev/null | sort")
  for path in p:lines() do
    local rel = path:sub(#folder + 2):gsub("%.lua$", ""):gsub("/init$", ""):gsub("/", ".")
    out[#out + 1] = prefix .. rel
  end
  p:close()
  return out
end

local function classes_of(mod, module, origin, rows, json)
  local Step = require("zenml.step").Step
  local function add(cls)
    if type(cls) == "table" and type(cls.is_a) == "function" and cls ~= Step and cls:is_a(Step) then
      rows[#rows + 1] = { class = cls.__name, module = module, origin = origin,
        params = json and params.records(cls) or params.summary(cls) }
    end
  end
  add(mod)
  if type(mod) == "table" and rawget(mod, "__name") == nil then
    local names = {}
    for k in pairs(mod) do names[#names + 1] = k end
    table.sort(names, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(names) do add(mod[k]) end
  end
end

local function list(opts)
  local core = require "zenml._core"
  local rows = {}
  for _, m in ipairs(modules_in(core.sys.home() .. "/stdlib/zenml/steps", "zenml.steps.")) do
    local ok, mod = pcall(require, m)
    if ok then classes_of(mod, m, "built-in", rows, opts.json) end
  end
  local repo = require("zenml.repo").open()
  if repo then
    for _, m in ipairs(modules_in(repo.root .. "/steps", "")) do
      local ok, mod = pcall(require, m)
      if ok then
        classes_of(mod, m, "repository", rows, opts.json)
      else
        io.stderr:write(("zenml: warning: steps module '%s' does not load: %s\n"):format(m, mod))
      end
    end
  end
  output.list(opts, rows, { "class", "module", "origin", "params" })
  return 0
end

-- Whether `name` may run now in `run`: nil when it must run; otherwise it
-- returns 0 (already done) or fails with why not. Runs, steps and upstream
-- steps are checked before anything is recorded.
local function exec_refusal(repo, doc, run, path, name, attempt)
  if run.status ~= "running" then
    cli.fail(("step exec: run %s of %s has finished (%s); run the pipeline again with"
      .. " 'zenml run %s'"):format(run.id, path, run.status, path))
  end
  local done = {}
  for _, e in ipairs(repo:meta():executions(run.id)) do
    done[e.step] = e
  end
  local e = done[name]
  local records = require "zenml.engine.records"
  if e and (e.status == "completed" or e.status == "cached") then
    io.stdout:write(("step %s already completed in run %s\n"):format(name, run.id))
    return 0
  elseif e and not (attempt and e.status == "failed" and records.attempt_of(repo:meta(), e.id) < attempt) then
    cli.fail(("step exec: step '%s' of run %s is %s already (execution #%d%s)"):format(name,
      run.id, e.status, e.id, attempt and (", attempt %d"):format(records.attempt_of(repo:meta(), e.id))
      or ""))
  end
  for _, up in ipairs(require("zenml.engine.doc").deps(doc)[name]) do
    local u = done[up]
    -- (a step skipped for a caught failure upstream: this one then skips itself)
    if not u or (u.status ~= "completed" and u.status ~= "cached" and u.status ~= "skipped") then
      cli.fail(("step exec: step '%s' of run %s needs step '%s', which is %s"):format(name,
        run.id, up, u and u.status or "not done yet"))
    end
  end
end

local function exec(opts, pos)
  local path, name = pos[2], pos[3]
  local attempt = opts.attempt and math.tointeger(tonumber(opts.attempt))
  if opts.attempt and not attempt then
    cli.fail(("step exec: --attempt expects a whole number >= 1, got '%s'"):format(opts.attempt), 2)
  end
  if not path or not name then cli.fail("step exec needs PIPELINE.yaml and STEP\n" .. usage, 2) end
  if pos[4] then
    cli.fail(("step exec takes PIPELINE.yaml and STEP, got an extra argument '%s'\n%s"):format(pos[4], usage), 2)
  end
  local docs = require "zenml.engine.doc"
  local state = require "zenml.engine.state"
  local task = require "zenml.engine.task"
  local repo = cli.repo()
  local ok, doc = pcall(docs.load, path)
  if not ok then cli.fail(doc) end
  if not doc.steps[name] then
    cli.fail(("%s has no step '%s'%s"):format(path, name,
      require("zenml.errors").did_you_mean(name, doc.steps)))
  end
  local run = repo:meta():run(doc.run_id)
  if not run then
    cli.fail(("run %s of %s is not recorded in this repository's metadata store"):format(
      doc.run_id, path))
  end
  local retries = doc.steps[name].retries or 0
  if attempt and (attempt < 1 or attempt > retries + 1) then
    cli.fail(("step exec: --attempt %d: step '%s' has %d attempt%s (retries = %d)"):format(attempt,
      name, retries + 1, retries == 0 and "" or "s", retries), 2)
  end
  local refused = exec_refusal(repo, doc, run, path, name, attempt)
  if refused then return refused end
  require("zenml.sources").install_pins(repo, doc.sources)
  local st = state.new(repo, doc)
  if retries > 0 then st.attempts = { [name] = attempt or 1 } end
  local r = task.step_safe(st, name)
  io.stdout:write(("step %s %s\n"):format(name, r.status))
  if r.status == "failed" then
    io.stderr:write(("zenml: step '%s' failed: %s\n"):format(name, r.error))
    return 1
  end
  return 0
end

-- `step exec YAML --all`: the run's remaining steps, scheduled here.
local function exec_all(opts, pos)
  local path = pos[2]
  if not path then cli.fail("step exec --all needs PIPELINE.yaml\n" .. usage, 2) end
  if pos[3] then cli.fail(("step exec --all takes PIPELINE.yaml only, got an extra argument '%s'"):format(pos[3]), 2) end
  local n = opts.j and math.tointeger(tonumber(opts.j))
  if opts.j and (not n or n < 1) then cli.fail("-j expects a whole number >= 1", 2) end
  n = n or math.tointeger(tonumber(os.getenv("SLURM_CPUS_ON_NODE") or "")) or require("zenml.exec").ncores()
  local docs = require "zenml.engine.doc"
  local repo = cli.repo()
  local ok, doc = pcall(docs.load, path)
  if not ok then cli.fail(doc) end
  local run = repo:meta():run(doc.run_id)
  if not run then cli.fail(("run %s of %s is not recorded in this repository's metadata store"):format(doc.run_id, path)) end
  if run.status ~= "running" then
    cli.fail(("step exec: run %s of %s has finished (%s)"):format(doc.run_id, path, run.status))
  end
  require("zenml.sources").install_pins(repo, doc.sources)
  local rel = path
  if rel:sub(1, #repo.root + 1) == repo.root .. "/" then rel = rel:sub(#repo.root + 2) end
  local res, all = require("zenml.backends.slurm").run_inside(repo, doc, rel, n, opts.srun)
  local counts = {}
  for _, r in pairs(res) do counts[r.status] = (counts[r.status] or 0) + 1 end
  io.stdout:write(("run %s: %d completed, %d failed, %d not run\n"):format(doc.run_id,
    counts.completed or 0, counts.failed or 0, (counts.skipped or 0) + (counts.cancelled or 0)))
  return all and 0 or 1
end

-- The shard spec at `path` for `step ACTION`, when it is one zenml wrote
-- (with the fields `has` the action needs); else the command fails.
local function read_spec(action, path, has)
  cli.repo() -- the jobs read and keep their parts in this repository
  local text = require("zenml.sources").read_file(path)
  if not text then cli.fail(("step %s: cannot read %s"):format(action, path)) end
  local spec = require("zenml.json").try_decode(text)
  local ok = type(spec) == "table" and type(spec.blocks) == "table"
  for _, k in ipairs(has) do ok = ok and spec[k] ~= nil end
  if not ok or (spec.n ~= nil and not math.tointeger(spec.n)) then
    cli.fail(("step %s: %s is not a shard spec zenml wrote"):format(action, path))
  end
  return spec
end

-- `step shard SPEC [TASK]`: a job array task's share of a step's blocks.
local function shard(pos)
  local path, task = pos[2], pos[3] or os.getenv("SLURM_ARRAY_TASK_ID")
  if not path then cli.fail("step shard needs SPEC.json\n" .. usage, 2) end
  if pos[4] then cli.fail(("step shard takes SPEC.json and TASK, got an extra argument '%s'"):format(pos[4]), 2) end
  local t = math.tointeger(tonumber(task or ""))
  if not t or t < 0 then
    cli.fail(("step shard: TASK expects a whole number >= 0 (or SLURM_ARRAY_TASK_ID), got %s"):format(
      task and ("'" .. task .. "'") or "nothing"), 2)
  end
  local spec = read_spec("shard", path, { "tasks" })
  local mine = {}
  for k = t + 1, #spec.blocks, spec.tasks do mine[#mine + 1] = spec.blocks[k] end
  local shards = require "zenml.shards"
  local parts = shards.run_blocks(spec, mine, ("task %d on %s"):format(t, require("zenml._core").sys.hostname()))
  local failed = 0
  for _, i in ipairs(mine) do
    local enc = parts[i]
    local where = ("shard %d of %d (rows %d-%d)"):format(i, spec.n, enc.first, enc.last)
    if enc.log ~= "" then io.stdout:write(("--- %s ---\n%s"):format(where, enc.log)) end
    if enc.bad then
      failed = failed + 1
      io.stderr:write(("zenml: %s: %s\n"):format(where, enc.bad))
    else
      io.stdout:write(("%s done in %.3f s\n"):format(where, enc.seconds))
    end
  end
  return failed == 0 and 0 or 1
end

-- `step reduce SPEC`: the reduce job after a job array.
local function reduce(pos)
  local path = pos[2]
  if not path then cli.fail("step reduce needs SPEC.json\n" .. usage, 2) end
  if pos[3] then cli.fail(("step reduce takes SPEC.json only, got an extra argument '%s'"):format(pos[3]), 2) end
  local spec = read_spec("reduce", path, { "result", "n", "dir", "combine" })
  local errors = require "zenml.errors"
  local ok, res = xpcall(require("zenml.shards").reduce_job, errors.capture, spec)
  if not ok then return errors.report(res) end
  local names = res.frame and { "frame" } or require("zenml.step").sorted_names(res.outputs)
  io.stdout:write(("reduce of %d shards done: %s stored\n"):format(spec.n, table.concat(names, ", ")))
  return 0
end

local function run(args)
  local opts, pos = cli.parse(args, { flags = { json = true, all = true, srun = true },
    options = { j = true, attempt = true } }, usage)
  if pos[1] == "exec" and opts.all then
    cli.no_json(opts, "step exec", "the run's status as text")
    return exec_all(opts, pos)
  end
  if opts.all or opts.srun or opts.j then cli.fail("--all, --srun and -j apply to step exec --all", 2) end
  if pos[1] == "list" or pos[1] == nil then return list(opts) end
  if pos[1] == "exec" then
    cli.no_json(opts, "step exec", "the step's status as text")
    return exec(opts, pos)
  end
  if pos[1] == "shard" then
    cli.no_json(opts, "step shard", "the shards' status as text")
    return shard(pos)
  end
  if pos[1] == "reduce" then
    cli.no_json(opts, "step reduce", "the reduce's status as text")
    return reduce(pos)
  end
  cli.unknown_action(pos[1], { "list", "exec", "shard", "reduce" }, usage)
end

return { usage = usage, run = run }
