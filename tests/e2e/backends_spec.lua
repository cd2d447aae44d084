-- Backends as classes (no cluster needed): `zenml backend list`, a pipeline's
-- orchestrator as an object or a name with the repository's settings, a
-- repository's own training backend (backends/) that runs a step in a child
-- process, pinned in the YAML like a step's source, and the one-line errors of
-- wrong backends and parameters.
local t = require "tests.support"
local yaml = require "zenml.yaml"

local STEP = [[
local zenml = require "zenml"
local S = zenml.Step:extend("S")
S.inputs = { inp = "value" }
S.outputs = { out = "value" }
S.params = { x = { type = "integer", default = 0 } }
function S:run(ctx, inputs)
  print("pid " .. require("zenml._core").sys.getpid())
  return { out = (inputs.inp or 0) * 10 + self.params.x }
end
return S
]]

-- A training backend that runs the step in a child `zenml step exec`.
local CHILD = [[
local zenml = require "zenml"
local remote = require "zenml.engine.remote"
local Child = zenml.backends.BaseTrainingBackend:extend("Child")
Child.params = { tag = { type = "string", default = "none" } }
function Child:run_step(job, name)
  local f = io.open(job.repo.root .. "/child.log", "a")
  f:write(name, " ", self.params.tag, "\n")
  f:close()
  local ok = os.execute(("cd %s && %s >/dev/null 2>&1"):format(remote.quote(job.repo.root),
    remote.command(job.yaml, name)))
  return remote.result(job.repo, job.doc, name, not ok and "the child process failed" or nil)
end
return Child
]]

local function pipeline(opts)
  return ([[
local zenml = require "zenml"
local S = require "s"
local p = zenml.Pipeline { name = "chain"%s }
p:add("a", S { x = 1 })
p:add("b", S { x = 2 }%s, { inp = "a.out" })
p:add("c", S { x = 3 }, { inp = "b.out" })
p:run()
]]):format(opts.pipeline or "", opts.b or "")
end

local function repo(files)
  local dir = t.git_repo()
  assert(select(3, t.init(dir)) == 0)
  t.sh("mkdir -p steps backends", { cwd = dir })
  t.write(dir .. "/steps/s.lua", STEP)
  t.write(dir .. "/backends/child.lua", CHILD)
  for path, text in pairs(files or {}) do t.write(dir .. "/" .. path, text) end
  local _, err, code = t.sh("git add -A && git commit -qm init", { cwd = dir })
  assert(code == 0, err)
  return dir
end

local function zenml(dir, args) return t.zenml_run(args, { cwd = dir }) end

local function last_yaml(dir)
  local listing = t.sh("ls -t pipelines", { cwd = dir })
  local name = assert(listing:match("(%S+)"), "no YAML in pipelines/: " .. listing)
  return yaml.decode(t.slurp(dir .. "/pipelines/" .. name)), "pipelines/" .. name
end

-- Output artifact ids of the latest run, by step.
local function outputs(dir)
  local out = {}
  for line in t.sql(dir, "SELECT e.step AS s, v.artifact AS a FROM executions e JOIN events v"
    .. " ON v.execution_id = e.id WHERE v.kind = 'output' AND e.run_id = (SELECT id FROM runs"
    .. " ORDER BY started DESC LIMIT 1)"):gmatch("[^\n]+") do
    local a, s = line:match("^([^|]+)|(.+)$")
    out[s] = a
  end
  return out
end

describe("backends", function()
  after_each(t.cleanup)

  it("lists built-in and repository backends with roles and parameters", function()
    local dir = repo()
    local out, err, code = zenml(dir, "backend list")
    assert.equals(0, code, err)
    assert.matches("local%s+Local%s+zenml%.backends%.local%s+built%-in%s+orchestrator,processing,training", out)
    assert.matches("parallel%s+Parallel%s+zenml%.backends%.parallel%s+built%-in%s+orchestrator%s+jobs:integer =2", out)
    assert.matches("slurm%s+Slurm%s+zenml%.backends%.slurm%s+built%-in%s+orchestrator,training%s+account:string", out)
    assert.matches("child%s+Child%s+child%s+repository%s+training%s+tag:string =none", out)
    out = zenml(dir, "backend list --json")
    local rows = require("zenml.json").try_decode(out)
    local slurm
    for _, r in ipairs(rows) do if r.name == "slurm" then slurm = r end end
    assert.same({ "orchestrator", "training" }, slurm.roles)
    assert.same({ type = "string", default = "jobs", values = { "jobs", "allocation" } }, slurm.params.mode)
  end)

  it("records the orchestrator object with its parameters; every backend gives the same ids", function()
    local dir = repo({ ["p.lua"] = pipeline { pipeline = ", backend = zenml.backends.Parallel { jobs = 3 }" },
      ["l.lua"] = pipeline {} })
    local _, err, code = zenml(dir, "run l.lua --no-cache")
    assert.equals(0, code, err)
    local ids = outputs(dir)
    _, err, code = zenml(dir, "run p.lua --no-cache")
    assert.equals(0, code, err)
    local doc = last_yaml(dir)
    assert.same({ name = "parallel", class = "Parallel", module = "zenml.backends.parallel",
      source = doc.backends.orchestrator.source, params = { jobs = 3 } }, doc.backends.orchestrator)
    assert.matches("^zenml%.backends%.parallel@zenml%-", doc.backends.orchestrator.source)
    assert.equals("Local", doc.backends.training.class)
    assert.same(ids, outputs(dir))
  end)

  it("takes a backend's parameters from backends.NAME.* when chosen by name", function()
    local dir = repo({ ["l.lua"] = pipeline {} })
    local _, err, code = zenml(dir, "config set backends.parallel.jobs 4")
    assert.equals(0, code, err)
    local out = zenml(dir, "config get backends.parallel.jobs")
    assert.equals("4\n", out)
    _, err, code = zenml(dir, "run l.lua --backend parallel")
    assert.equals(0, code, err)
    assert.same({ jobs = 4 }, last_yaml(dir).backends.orchestrator.params)
    -- -j on the command line wins over the setting
    _, err, code = zenml(dir, "run l.lua -j 2")
    assert.equals(0, code, err)
    assert.same({ jobs = 2 }, last_yaml(dir).backends.orchestrator.params)
    _, err, code = zenml(dir, "config set backends.parallel.jobz 4")
    assert.equals(2, code)
    assert.equals("zenml: backend 'parallel' has no parameter 'jobz'; parameters are: jobs; did you mean jobs?\n", err)
    _, err, code = zenml(dir, "config set backends.parallel.jobs 0")
    assert.equals(2, code)
    assert.equals("zenml: Parallel: parameter 'jobs' expects an integer >= 1\n", err)
    _, err, code = zenml(dir, "config set backends.k8s.jobs 2")
    assert.equals(2, code)
    assert.matches("^zenml: unknown backend 'k8s'; backends are: child, local, parallel, slurm, slurm_array, threads\n$", err)
  end)

  it("runs a step on its training backend, pinned in the YAML, cached steps never sent", function()
    local dir = repo({ ["p.lua"] = pipeline { b = [[:with { training = require("child") { tag = "t1" } }]] } })
    local out, err, code = zenml(dir, "run p.lua")
    assert.equals(0, code, err)
    assert.matches("3 ran, 0 cached", out, 1, true)
    assert.equals("b t1\n", t.slurp(dir .. "/child.log"))
    local doc, rel = last_yaml(dir)
    local blob = t.sh("git rev-parse HEAD:backends/child.lua", { cwd = dir }):gsub("%s", "")
    assert.same({ name = "child", class = "Child", module = "child", source = "child@" .. blob,
      params = { tag = "t1" } }, doc.steps.b.training)
    assert.is_nil(doc.steps.a.training)
    assert.equals("backends/child.lua", doc.sources.child.path)
    -- the step ran in another process than the steps around it
    local pa = t.sh("zenml_pid=1; true") and zenml(dir, "run logs latest a"):match("pid (%d+)")
    local pb = zenml(dir, "run logs latest b"):match("pid (%d+)")
    assert.is_truthy(pa and pb)
    assert.are_not.equal(pa, pb)
    -- a cache hit is settled here, not sent to the backend
    _, err, code = zenml(dir, "run p.lua")
    assert.equals(0, code, err)
    assert.equals("b t1\n", t.slurp(dir .. "/child.log"))
    -- the re-run of the YAML loads the pinned backend, not the edited file
    t.write(dir .. "/backends/child.lua", "error('edited')\n")
    t.sh("git commit -qam edit", { cwd = dir })
    _, err, code = zenml(dir, "run " .. rel .. " --no-cache")
    assert.equals(0, code, err)
    assert.equals("b t1\nb t1\n", t.slurp(dir .. "/child.log"))
    -- --backend local runs every step here
    _, err, code = zenml(dir, "run " .. rel .. " --no-cache --backend local")
    assert.equals(0, code, err)
    assert.equals("b t1\nb t1\n", t.slurp(dir .. "/child.log"))
    assert.is_nil(last_yaml(dir).steps.b.training)
    assert.equals("Local", last_yaml(dir).backends.orchestrator.class)
  end)

  it("refuses wrong backends and parameters with one line, recording nothing", function()
    local cases = {
      { pipeline { pipeline = [[, backend = zenml.backends.Slurm { time = "1h" }]] },
        "zenml: p.lua:3: Slurm: parameter 'time' expects a Slurm time limit (MINUTES, MM:SS, HH:MM:SS, D-HH, D-HH:MM[:SS] or UNLIMITED), got \"1h\"" },
      { pipeline { pipeline = [[, backend = zenml.backends.Slurm { partiton = "debug" }]] },
        "zenml: p.lua:3: Slurm: unknown parameter 'partiton'; parameters are: account, allocate, constraint, cpus, dispatch, extra, gres, job_name, max_mem, mem, mode, nodes, partition, poll_interval, qos, time; did you mean partition?" },
      { pipeline { pipeline = [[, backend = zenml.backends.Slurm { mode = "alloc" }]] },
        "zenml: p.lua:3: Slurm: parameter 'mode' expects one of jobs, allocation, got string \"alloc\"" },
      { pipeline { pipeline = [[, backend = zenml.backends.Slurm]] },
        "zenml: p.lua:3: pipeline 'chain': backend Slurm is a class; give an object: Slurm { ... }" },
      { pipeline { pipeline = [[, backend = require("child") {}]] },
        "zenml: p.lua:3: pipeline 'chain': backend Child cannot be an orchestrator backend; orchestrator backends are: local, parallel, slurm" },
      { pipeline { b = [[:with { training = "parallel" }]] },
        "zenml: p.lua:5: S: option 'training': backend Parallel cannot be a training backend; training backends are: child, local, slurm" },
      { pipeline { b = [[:with { trainng = "local" }]] },
        "zenml: p.lua:5: S: with: unknown option 'trainng'; options are: cache, catch, on_failure, on_success, processing, retries, retry_delay, retry_on, timeout, training; did you mean training?" },
      { pipeline { b = [[:with { training = 3 }]] },
        "zenml: p.lua:5: S: option 'training' expects a backend name or object (zenml.backends.X { ... }), got number 3" },
      { pipeline { pipeline = [[, backend = "k8s"]] },
        "zenml: p.lua:3: pipeline 'chain': unknown backend 'k8s'; backends are: child, local, parallel, slurm, slurm_array, threads" },
    }
    local dir = repo()
    for _, c in ipairs(cases) do
      t.write(dir .. "/p.lua", c[1])
      local _, err, code = zenml(dir, "run p.lua")
      assert.equals(1, code)
      assert.equals(c[2] .. "\n", err)
    end
    assert.equals("", t.sql(dir, "SELECT id FROM runs"))
  end)
end)
