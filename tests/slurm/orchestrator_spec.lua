-- The Slurm backend against the real one-node cluster of tests/slurm/cluster.sh
-- (the slurm ctest fixture sets SLURM_CONF): the iris pipeline end to end with
-- the same artifact ids as local and -j 2 runs, a fan-out running at once, a
-- failing step, cancel, detach and wait, memory and time limits, a training
-- backend alone, allocation mode, a cached re-run that submits nothing, and
-- the one-line errors of bad input that submit nothing and leave no run running.
local t = require "tests.support"
local yaml = require "zenml.yaml"
local json = require "zenml.json"

local SLOW = [[
local zenml = require "zenml"
local S = zenml.Step:extend("Slow")
S.inputs = { inp = "value" }
S.outputs = { out = "value" }
S.params = { secs = { type = "number", default = 0 }, mb = { type = "integer", default = 0 },
  fail = { type = "boolean", default = false } }
function S:run(ctx, inputs)
  local keep = {}
  for i = 1, self.params.mb do keep[i] = string.rep("x", 1024 * 1024 - 64) .. i end
  if self.params.secs > 0 then os.execute("sleep " .. self.params.secs) end
  if self.params.fail then print("going down"); error("broken on purpose") end
  return { out = (inputs.inp or 0) + self.params.secs + #keep }
end
return S
]]

local function zenml(dir, args) return t.zenml_run(args, { cwd = dir }) end

local function repo(files)
  files = files or {}
  files["steps/slow.lua"] = SLOW
  return t.iris_repo(files)
end

local function pipeline(name, body, backend)
  return ([[
local zenml = require "zenml"
local S = require "slow"
local p = zenml.Pipeline { name = %q%s }
%s
p:run()
]]):format(name, backend and (", backend = " .. backend) or "", body)
end

-- The squeue lines of every job the cluster still knows.
local function queue()
  return (t.sh("squeue -h --states=all -o '%i %T'"))
end

local function latest(dir)
  local out = zenml(dir, "run list --limit 1 --json")
  return json.try_decode(out)[1]
end

local function show(dir)
  return json.try_decode((zenml(dir, "run show latest --json")))
end

-- Output artifact ids of the latest run, by step and output.
local function outputs(dir)
  return t.sql(dir, "SELECT e.step AS s, v.name AS n, v.artifact AS a FROM executions e JOIN events v"
    .. " ON v.execution_id = e.id WHERE v.kind = 'output' AND e.run_id = (SELECT id FROM runs"
    .. " ORDER BY started DESC LIMIT 1) ORDER BY e.step, v.name")
end

describe("the slurm backend", function()
  after_each(t.cleanup)

  it("runs the iris pipeline with the same artifact ids as local and -j 2", function()
    local dir = repo({ ["pipeline.lua"] = t.iris_pipeline() })
    local _, err, code = zenml(dir, "run pipeline.lua --no-cache")
    assert.equals(0, code, err)
    local here = outputs(dir)
    _, err, code = zenml(dir, "run pipeline.lua --no-cache -j 2")
    assert.equals(0, code, err)
    assert.equals(here, outputs(dir))
    local out
    out, err, code = zenml(dir, "run pipeline.lua --no-cache --backend slurm")
    assert.equals(0, code, err)
    assert.matches("5 ran, 0 cached", out, 1, true)
    assert.matches("accuracy", out, 1, true)
    assert.equals(here, outputs(dir))
    local run = latest(dir)
    assert.equals("completed", run.status)
    local doc = yaml.decode(t.slurp(dir .. "/" .. show(dir).yaml_path))
    assert.equals("Slurm", doc.backends.orchestrator.class)
    assert.equals("jobs", doc.backends.orchestrator.params.mode)
    -- one job per step: its script and output kept beside the run
    local files = t.sh("ls .zenml/jobs/" .. run.id, { cwd = dir })
    for _, step in ipairs { "datasource", "split", "preprocesser", "trainer", "evaluator" } do
      assert.matches(step .. ".sh\n", files, 1, true)
      assert.matches(step .. ".job.json\n", files, 1, true)
      assert.matches("step exec", t.slurp(dir .. "/.zenml/jobs/" .. run.id .. "/" .. step .. ".sh"), 1, true)
    end
    -- a fully cached re-run submits nothing
    out, err, code = zenml(dir, "run pipeline.lua --backend slurm")
    assert.equals(0, code, err)
    assert.matches("0 ran, 5 cached", out, 1, true)
    assert.is_nil(t.sh("ls .zenml/jobs", { cwd = dir }):find(latest(dir).id, 1, true))
    -- and re-runs locally from its YAML
    out, err, code = zenml(dir, "run " .. show(dir).yaml_path .. " --backend local --no-cache")
    assert.equals(0, code, err)
    assert.equals(here, outputs(dir))
  end)

  it("runs independent steps at once on the node", function()
    local body = {}
    -- distinct parameters: four steps with one cache key would reuse the first
    for i = 1, 4 do body[#body + 1] = ('p:add("s%d", S { secs = 3, mb = %d })'):format(i, i) end
    local dir = repo({ ["fan.lua"] = pipeline("fan", table.concat(body, "\n"),
      'zenml.backends.Slurm { cpus = 1, poll_interval = 0.2 }') })
    local _, err, code = zenml(dir, "run fan.lua")
    assert.equals(0, code, err)
    local rows = t.sql(dir, "SELECT started AS a, ended AS b FROM executions ORDER BY started")
    local spans = {}
    for a, b in rows:gmatch("([%d.]+)|([%d.]+)") do spans[#spans + 1] = { tonumber(a), tonumber(b) } end
    assert.equals(4, #spans)
    local overlapping = false
    for i = 2, #spans do overlapping = overlapping or spans[i][1] < spans[i - 1][2] end
    assert.is_true(overlapping, rows)
  end)

  it("skips what follows a failing step and keeps its traceback", function()
    local dir = repo({ ["f.lua"] = pipeline("f", [[
p:add("a", S {})
p:add("b", S { fail = true }, { inp = "a.out" })
p:add("c", S {}, { inp = "b.out" })
p:add("d", S {}, { inp = "a.out" })]], "zenml.backends.Slurm { poll_interval = 0.2 }") })
    local out, err, code = zenml(dir, "run f.lua")
    assert.equals(1, code)
    assert.matches("1 failed, 1 skipped", out, 1, true)
    assert.matches("zenml: step 'b' failed: steps/slow.lua:11: broken on purpose\n", err, 1, true)
    local st = {}
    for _, s in ipairs(show(dir).steps) do st[s.step] = s.status end
    assert.same({ a = "completed", b = "failed", c = "skipped", d = "completed" }, st)
    local log = zenml(dir, "run logs latest b")
    assert.matches("going down", log, 1, true)
    assert.matches("stack traceback", log, 1, true)
  end)

  it("detaches, waits, and cancels", function()
    local dir = repo({ ["slow.lua"] = pipeline("slow", [[
p:add("a", S { secs = 2 })
p:add("b", S { secs = 2 }, { inp = "a.out" })]], "zenml.backends.Slurm { poll_interval = 0.2 }") })
    local out, err, code = zenml(dir, "run slow.lua --detach")
    assert.equals(0, code, err)
    local id = out:match("run (%S+) submitted to slurm")
    assert.is_truthy(id, out)
    assert.equals("running", latest(dir).status)
    out, err, code = zenml(dir, "run wait " .. id)
    assert.equals(0, code, err)
    assert.matches("2 ran", out, 1, true)
    assert.equals("completed", latest(dir).status)
    -- cancel
    out, err, code = zenml(dir, "run slow.lua --detach --no-cache")
    assert.equals(0, code, err)
    id = out:match("run (%S+) submitted")
    out, err, code = zenml(dir, "run cancel " .. id)
    assert.equals(0, code, err)
    assert.equals(("run %s cancelled (2 jobs)\n"):format(id), out)
    assert.equals("cancelled", latest(dir).status)
    out, err, code = zenml(dir, "run list --status cancelled --json")
    assert.equals(0, code, err)
    assert.equals(id, json.try_decode(out)[1].id)
    local jobs = {}
    for _, f in ipairs { "a", "b" } do
      jobs[#jobs + 1] = json.try_decode(t.slurp(("%s/.zenml/jobs/%s/%s.job.json"):format(dir, id, f))).id
    end
    for _, j in ipairs(jobs) do
      assert.is_nil(queue():match(j .. " PENDING"))
      assert.is_nil(queue():match(j .. " RUNNING"))
    end
    _, err, code = zenml(dir, "run cancel " .. id)
    assert.equals(1, code)
    assert.equals(("zenml: run %s has finished (cancelled); there is nothing to cancel\n"):format(id), err)
  end)

  it("reports a step over its memory limit as OUT_OF_MEMORY", function()
    local dir = repo({ ["m.lua"] = pipeline("m", 'p:add("a", S { mb = 400, secs = 20 })',
      'zenml.backends.Slurm { mem = "100M", poll_interval = 0.2 }') })
    local _, err, code = zenml(dir, "run m.lua")
    assert.equals(1, code)
    assert.equals("zenml: step 'a' failed: OUT_OF_MEMORY: the job used more memory than it asked for (mem)\n", err)
  end)

  it("reports a step over its time limit as TIMEOUT", function()
    local dir = repo({ ["tl.lua"] = pipeline("tl", 'p:add("a", S { secs = 300 })',
      'zenml.backends.Slurm { partition = "short", time = "0:02", poll_interval = 0.5 }') })
    local _, err, code = zenml(dir, "run tl.lua")
    assert.equals(1, code)
    assert.equals("zenml: step 'a' failed: TIMEOUT: the job reached its time limit\n", err)
  end)

  it("runs one step on Slurm as a training backend, the rest here", function()
    local dir = repo({ ["tr.lua"] = pipeline("tr", [[
p:add("a", S {})
p:add("b", S { secs = 1 }:with { training = zenml.backends.Slurm { cpus = 1, mem = "200M" } }, { inp = "a.out" })
p:add("c", S {}, { inp = "b.out" })]]) })
    local out, err, code = zenml(dir, "run tr.lua")
    assert.equals(0, code, err)
    assert.matches("3 ran", out, 1, true)
    local run = latest(dir)
    assert.equals("b.job.json\nb.out\nb.sh\n", t.sh("ls .zenml/jobs/" .. run.id, { cwd = dir }))
    local doc = yaml.decode(t.slurp(dir .. "/" .. show(dir).yaml_path))
    assert.equals("Local", doc.backends.orchestrator.class)
    assert.same({ cpus = 1, mem = "200M" }, { cpus = doc.steps.b.training.params.cpus,
      mem = doc.steps.b.training.params.mem })
  end)

  it("gives a step the resources of its own Slurm training backend under a Slurm orchestrator", function()
    local dir = repo({ ["own.lua"] = pipeline("own", [[
p:add("a", S {})
p:add("b", S {}:with { training = zenml.backends.Slurm { mem = "300M", time = "7" } }, { inp = "a.out" })]],
      'zenml.backends.Slurm { time = "30", poll_interval = 0.2 }') })
    local _, err, code = zenml(dir, "run own.lua")
    assert.equals(0, code, err)
    local run = latest(dir)
    local function job(step)
      local id = json.try_decode(t.slurp(("%s/.zenml/jobs/%s/%s.job.json"):format(dir, run.id, step))).id
      return t.sh("scontrol show job " .. id)
    end
    local a, b = job("a"), job("b")
    assert.matches("TimeLimit=00:30:00", a, 1, true)
    assert.matches("TimeLimit=00:07:00", b, 1, true)
    assert.matches("mem=300M", b, 1, true)
    assert.not_matches("mem=300M", a, 1, true)
  end)

  it("checks every step's resources before the first job goes in", function()
    local dir = repo({ ["gpu.lua"] = pipeline("gpu", [[
p:add("a", S {})
p:add("b", S {}:with { training = zenml.backends.Slurm { gres = "gpu:1" } }, { inp = "a.out" })]],
      'zenml.backends.Slurm { poll_interval = 0.2 }') })
    local _, err, code = zenml(dir, "run gpu.lua")
    assert.equals(1, code)
    assert.equals("zenml: gpu.lua:6: sbatch: error: Invalid generic resource (gres) specification\n", err)
    local run = latest(dir)
    assert.equals("", t.sh("ls .zenml/jobs/" .. run.id, { cwd = dir }))
  end)

  it("runs a chain inside one allocation", function()
    local body = { 'p:add("s1", S {})' }
    for i = 2, 10 do body[#body + 1] = ('p:add("s%d", S {}, { inp = "s%d.out" })'):format(i, i - 1) end
    local dir = repo({ ["c.lua"] = pipeline("c", table.concat(body, "\n"),
      'zenml.backends.Slurm { mode = "allocation", poll_interval = 0.2 }') })
    local out, err, code = zenml(dir, "run c.lua --no-cache")
    assert.equals(0, code, err)
    assert.matches("10 ran", out, 1, true)
    local run = latest(dir)
    assert.matches("allocation.sh", t.sh("ls .zenml/jobs/" .. run.id, { cwd = dir }), 1, true)
    local doc = yaml.decode(t.slurp(dir .. "/" .. show(dir).yaml_path))
    assert.equals("allocation", doc.backends.orchestrator.params.mode)
    -- each step through srun inside the allocation (what more than one node does)
    t.write(dir .. "/c.lua", (t.slurp(dir .. "/c.lua"):gsub('mode = "allocation"',
      'mode = "allocation", dispatch = "srun"')))
    out, err, code = zenml(dir, "run c.lua --no-cache")
    assert.equals(0, code, err)
    assert.matches("10 ran", out, 1, true)
    run = latest(dir)
    assert.matches("%-%-srun", t.slurp(dir .. "/.zenml/jobs/" .. run.id .. "/allocation.sh"))
    local alloc_out = t.slurp(dir .. "/.zenml/jobs/" .. run.id .. "/allocation.out")
    assert.matches("step s10 completed\n", alloc_out, 1, true)
    assert.matches("run " .. run.id .. ": 10 completed, 0 failed, 0 not run\n", alloc_out, 1, true)
  end)

  it("runs a step with its own Slurm training backend as its own job from an allocation", function()
    for _, dispatch in ipairs({ "threads", "srun" }) do
      local dir = repo({ ["o.lua"] = pipeline("o", [[
p:add("a", S {})
p:add("b", S { secs = 1 }:with { training = zenml.backends.Slurm { mem = "300M", job_name = "own" } },
  { inp = "a.out" })]], ('zenml.backends.Slurm { mode = "allocation", dispatch = %q, poll_interval = 0.2 }')
        :format(dispatch)) })
      local _, err, code = zenml(dir, "run o.lua")
      assert.equals(0, code, err)
      local run = latest(dir)
      -- b's own job, with b's memory, beside the allocation
      local own = t.sh("squeue -h --states=all -o '%j %m'")
      assert.matches("own%-" .. run.id:gsub("%-", "%%-") .. "%-b 300M", own)
    end
  end)

  it("takes an allocation with salloc when it waits and with sbatch when it detaches", function()
    local dir = repo({ ["a.lua"] = pipeline("a", [[
p:add("a", S { secs = 1 })
p:add("b", S {}, { inp = "a.out" })]], 'zenml.backends.Slurm { mode = "allocation", poll_interval = 0.2 }') })
    local jobs_of = function(id) return dir .. "/.zenml/jobs/" .. id end
    local out, err, code = zenml(dir, "run a.lua")
    assert.equals(0, code, err)
    local run = latest(dir)
    local said = t.slurp(jobs_of(run.id) .. "/allocation.salloc")
    local granted = said:match("salloc: Granted job allocation (%d+)\n")
    assert.is_truthy(granted, said)
    assert.matches("@rc=0\n$", said)
    assert.equals(granted, json.try_decode(t.slurp(jobs_of(run.id) .. "/run.json")).allocation.id)
    assert.matches("run " .. run.id .. ": 2 completed, 0 failed, 0 not run\n",
      t.slurp(jobs_of(run.id) .. "/allocation.out"), 1, true)
    -- detached: a batch job, followed by run wait
    out, err, code = zenml(dir, "run a.lua --detach --no-cache")
    assert.equals(0, code, err)
    local id = out:match("run (%S+) submitted")
    assert.is_nil(io.open(jobs_of(id) .. "/allocation.salloc"))
    assert.is_truthy(io.open(jobs_of(id) .. "/allocation.sh"))
    out, err, code = zenml(dir, "run wait " .. id)
    assert.equals(0, code, err)
    assert.matches("2 ran", out, 1, true)
    -- the submitter killed: salloc, in its own session, keeps the run going
    local pid = t.sh(("cd %s && { %s run a.lua --no-cache >/dev/null 2>&1 & echo $!; }"):format(
      t.q(dir), t.q(t.zenml)))
    local deadline = os.time() + 30
    repeat
      os.execute("sleep 0.1")
      run = latest(dir)
    until (run and run.id ~= id and t.slurp(jobs_of(run.id) .. "/allocation.salloc") or ""):match("Granted")
      or os.time() > deadline
    os.execute("kill -9 " .. pid:gsub("%s", ""))
    out, err, code = zenml(dir, "run wait " .. run.id)
    assert.equals(0, code, err)
    assert.equals("completed", latest(dir).status)
    -- cancelled: the allocation is given back and salloc ends
    t.write(dir .. "/a.lua", (t.slurp(dir .. "/a.lua"):gsub("secs = 1", "secs = 30")
      :gsub('mode = "allocation"', 'mode = "allocation", allocate = "salloc"')))
    out, err, code = zenml(dir, "run a.lua --detach")
    assert.equals(0, code, err)
    id = out:match("run (%S+) submitted")
    local alloc = json.try_decode(t.slurp(jobs_of(id) .. "/run.json")).allocation.id
    out, err, code = zenml(dir, "run cancel " .. id)
    assert.equals(0, code, err)
    assert.equals("cancelled", latest(dir).status)
    deadline = os.time() + 20
    repeat os.execute("sleep 0.1") until (t.slurp(jobs_of(id) .. "/allocation.salloc") or ""):match("@rc=")
      or os.time() > deadline
    assert.matches("@rc=%d+\n$", t.slurp(jobs_of(id) .. "/allocation.salloc"))
    assert.is_nil(queue():match(alloc .. " RUNNING"))
  end)

  it("refuses bad input with one line, submitting nothing", function()
    local dir = repo({ ["p.lua"] = pipeline("p", 'p:add("a", S {})') })
    local fake, empty = t.tmpdir(), t.tmpdir()
    t.write(fake .. "/sinfo", "#!/bin/sh\ncase \"$*\" in *%N*) echo 'node[1-2]';; *) echo debug;; esac\n")
    t.write(fake .. "/scontrol", "#!/bin/sh\ncase \"$1\" in ping) echo 'Slurmctld(primary) at n0 is UP';;"
      .. " show) echo node1; echo node2;; esac\n")
    t.write(fake .. "/sbatch", "#!/bin/sh\necho never >&2; exit 1\n")
    t.sh("chmod +x sinfo scontrol sbatch", { cwd = fake })
    local fs = t.sh("stat -f -c %T .", { cwd = dir }):gsub("%s", "")
    local before = queue()
    local cases = {
      { "run p.lua --backend slurm", "zenml: p.lua:5: sbatch not found on PATH; is Slurm installed (Debian: slurm-client)?",
        { PATH = empty } },
      { "run p.lua --backend slurm", "zenml: p.lua:5: SLURM_CONF names " .. dir .. "/nonexistent.conf, which cannot be read",
        { SLURM_CONF = dir .. "/nonexistent.conf" } },
      { "run p.lua --backend slurm", "zenml: p.lua:5: unknown Slurm partition 'debgu'; partitions are: debug, short; did you mean debug?",
        nil, "config set backends.slurm.partition debgu" },
      { "run p.lua --backend slurm", "zenml: p.lua:5: sbatch: allocation failure: Requested node configuration is not available",
        nil, "config set backends.slurm.mem 100000G" },
      { "run p.lua --backend slurm", "zenml: p.lua:5: the repository " .. dir .. " is on a local file system ("
        .. fs .. ") but Slurm runs jobs on other machines (node1, node2): put it on a file system the nodes share (NFS, Lustre, ...)",
        { PATH = fake .. ":" .. os.getenv("PATH") } },
    }
    for _, c in ipairs(cases) do
      t.sh("rm -f .zenml/config.yaml.tmp; git checkout -q .zenml/config.yaml", { cwd = dir })
      if c[4] then assert.equals(0, select(3, zenml(dir, c[4]))) end
      local _, err, code = t.zenml_run(c[1], { cwd = dir, env = c[3] })
      assert.equals(1, code, err)
      assert.equals(c[2], err:sub(1, #c[2]))
      assert.equals(1, select(2, err:gsub("\n", "")))
    end
    -- a bad time is refused by the parameter check, before any run
    local _, err, code = zenml(dir, "config set backends.slurm.time 1h")
    assert.equals(2, code)
    assert.equals("zenml: Slurm: parameter 'time' expects a Slurm time limit (MINUTES, MM:SS, HH:MM:SS, D-HH, D-HH:MM[:SS] or UNLIMITED), got \"1h\"\n", err)
    assert.equals(before, queue())
    assert.equals("", t.sql(dir, "SELECT id FROM runs WHERE status = 'running'"))
  end)
end)
