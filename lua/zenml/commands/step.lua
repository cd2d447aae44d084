local cli = require "zenml.cli"
local output = require "zenml.output"

local usage = [[usage: zenml step list [--json]
       zenml step exec PIPELINE.yaml STEP

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
'zenml run PIPELINE.yaml' runs the pipeline again as a new run).]]

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

-- The parameters of a class for --json: name -> {type, default?, required?, values?}.
local function param_records(cls)
  local out = {}
  for name, s in pairs(require("zenml.step").param_spec(cls)) do
    out[name] = { type = s.type or "any", default = s.default, required = s.required or nil,
      values = s.values }
  end
  return out
end

-- The parameters of a class on one line: "name:type =default, ...".
local function describe_params(cls)
  local spec = require("zenml.step").param_spec(cls)
  local parts = {}
  for _, k in ipairs(require("zenml.step").sorted_names(spec)) do
    local s = spec[k]
    local default = type(s.default) == "table" and require("zenml.json").encode(s.default)
      or tostring(s.default)
    local d = s.required and "required" or (s.default ~= nil and ("=" .. default) or "")
    parts[#parts + 1] = ("%s:%s%s"):format(k, s.type or "any", d ~= "" and (" " .. d) or "")
  end
  return table.concat(parts, ", ")
end

local function classes_of(mod, module, origin, rows, json)
  local Step = require("zenml.step").Step
  local function add(cls)
    if type(cls) == "table" and type(cls.is_a) == "function" and cls ~= Step and cls:is_a(Step) then
      rows[#rows + 1] = { class = cls.__name, module = module, origin = origin,
        params = json and param_records(cls) or describe_params(cls) }
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
local function exec_refusal(repo, doc, run, path, name)
  if run.status ~= "running" then
    cli.fail(("step exec: run %s of %s has finished (%s); run the pipeline again with"
      .. " 'zenml run %s'"):format(run.id, path, run.status, path))
  end
  local done = {}
  for _, e in ipairs(repo:meta():executions(run.id)) do
    done[e.step] = e
  end
  local e = done[name]
  if e and (e.status == "completed" or e.status == "cached") then
    io.stdout:write(("step %s already completed in run %s\n"):format(name, run.id))
    return 0
  elseif e then
    cli.fail(("step exec: step '%s' of run %s is %s already (execution #%d)"):format(name,
      run.id, e.status, e.id))
  end
  for _, up in ipairs(require("zenml.engine.doc").deps(doc)[name]) do
    local u = done[up]
    if not u or (u.status ~= "completed" and u.status ~= "cached") then
      cli.fail(("step exec: step '%s' of run %s needs step '%s', which is %s"):format(name,
        run.id, up, u and u.status or "not done yet"))
    end
  end
end

local function exec(pos)
  local path, name = pos[2], pos[3]
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
  local refused = exec_refusal(repo, doc, run, path, name)
  if refused then return refused end
  require("zenml.sources").install_pins(repo, doc.sources)
  local r = task.step_safe(state.new(repo, doc), name)
  io.stdout:write(("step %s %s\n"):format(name, r.status))
  if r.status == "failed" then
    io.stderr:write(("zenml: step '%s' failed: %s\n"):format(name, r.error))
    return 1
  end
  return 0
end

local function run(args)
  local opts, pos = cli.parse(args, { flags = { json = true } }, usage)
  if pos[1] == "list" or pos[1] == nil then return list(opts) end
  if pos[1] == "exec" then
    cli.no_json(opts, "step exec", "the step's status as text")
    return exec(pos)
  end
  cli.unknown_action(pos[1], { "list", "exec" }, usage)
end

return { usage = usage, run = run }
