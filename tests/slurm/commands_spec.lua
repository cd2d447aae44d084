-- zenml.slurm against the real one-node cluster of tests/slurm/cluster.sh
-- (the slurm ctest fixture sets SLURM_CONF): submit, states and cancel as the
-- Slurm backend uses them, a dependency chain, a failing job's exit code, a
-- dependent of a failed job, a job killed over its memory and one over its
-- time limit, and one squeue per states() call whatever the number of jobs.
local t = require "tests.support"
local core = require "zenml._core"
local slurm = require "zenml.slurm"

local dir

-- A job script running `body`; returns its path.
local function script(name, body)
  local path = ("%s/%s.sh"):format(dir, name)
  t.write(path, "#!/bin/sh\n" .. body .. "\n")
  return path
end

-- Submit `body` as a job; returns its id (and its output file).
local function submit(name, body, opts)
  opts = opts or {}
  opts.script_file = script(name, body)
  opts.name = "zm-test-" .. name
  opts.output = opts.output or ("%s/%s.out"):format(dir, name)
  opts.chdir = dir
  local id, err = slurm.submit(opts)
  assert(id, err)
  return id, opts.output
end

-- Poll until every job in `ids` has a final status (or `secs` pass); returns
-- the last states.
local function wait(ids, secs)
  local deadline = os.time() + (secs or 60)
  while true do
    local states = slurm.states(ids)
    local open = false
    for _, id in ipairs(ids) do
      if not states[id] or not slurm.step_status(states[id]) then open = true end
    end
    if not open then return states end
    assert(os.time() < deadline, "jobs still open after " .. (secs or 60) .. " s")
    core.sys.sleep(0.3)
  end
end

local timeout_id

describe("zenml.slurm on the test cluster", function()
  setup(function()
    dir = t.tmpdir()
    -- the time-limit job takes 60-90 s (limits are whole minutes, checked
    -- every 30 s): it runs beside the other tests and is looked at last
    timeout_id = submit("too-slow", "sleep 300", { partition = "short", time = "1" })
  end)

  teardown(function()
    pcall(slurm.cancel, { timeout_id })
    t.cleanup()
  end)

  it("answers", function()
    assert.is_true(slurm.available())
    assert.is_nil(slurm.check_partition("debug"))
    assert.is_nil(slurm.check_partition("short"))
    assert.equal("unknown Slurm partition 'long'; partitions are: debug, short",
      slurm.check_partition("long"))
  end)

  it("runs a job to COMPLETED in its folder, with its output", function()
    local id, out = submit("hello", "echo hello from $(pwd)")
    assert.matches("^%d+$", id)
    local s = wait({ id })[id]
    assert.same({ state = "COMPLETED", reason = "None", exit_code = 0, signal = 0 }, s)
    assert.equal("completed", slurm.step_status(s))
    assert.equal("hello from " .. dir .. "\n", t.slurp(out))
  end)

  it("runs a chain in dependency order", function()
    local a = submit("a", "sleep 1; date +%s%N >a.t")
    local b = submit("b", "test -f a.t && date +%s%N >b.t", { dependency = { a } })
    local c = submit("c", "test -f b.t && date +%s%N >c.t", { dependency = { b } })
    local s = wait({ a, b, c })
    for _, id in ipairs({ a, b, c }) do assert.equal("COMPLETED", s[id].state) end
    local ta, tb, tc = t.slurp(dir .. "/a.t"), t.slurp(dir .. "/b.t"), t.slurp(dir .. "/c.t")
    assert.is_true(tonumber(ta) < tonumber(tb) and tonumber(tb) < tonumber(tc))
  end)

  it("gives a failed job's exit code, and cancels what depends on it", function()
    local bad = submit("bad", "echo going down; exit 3")
    local after = submit("after", "true", { dependency = { bad } })
    local s = wait({ bad, after })
    assert.same({ state = "FAILED", reason = "NonZeroExitCode", exit_code = 3, signal = 0 }, s[bad])
    assert.same({ "failed", "FAILED (exit code 3)" }, { slurm.step_status(s[bad]) })
    -- --kill-on-invalid-dep=yes: Slurm cancels the dependent itself
    assert.equal("CANCELLED", s[after].state)
    assert.equal("DependencyNeverSatisfied", s[after].reason)
  end)

  it("cancels jobs with one scancel", function()
    local x = submit("x", "sleep 300")
    local y = submit("y", "sleep 300", { dependency = { x } })
    local before = slurm.calls
    slurm.cancel({ x, y })
    assert.equal(before + 1, slurm.calls)
    local s = wait({ x, y })
    assert.equal("CANCELLED", s[x].state)
    assert.equal("CANCELLED", s[y].state)
    assert.same({ "failed", "CANCELLED: the job was cancelled" }, { slurm.step_status(s[x]) })
  end)

  it("asks one squeue for many jobs", function()
    local ids = {}
    for i = 1, 12 do ids[i] = submit("many" .. i, "true") end
    local before = slurm.calls
    slurm.states(ids)
    assert.equal(before + 1, slurm.calls)
    local s = wait(ids)
    for _, id in ipairs(ids) do assert.equal("COMPLETED", s[id].state) end
  end)

  it("refuses what the cluster cannot run, with sbatch's own message", function()
    assert.same({ nil, "sbatch: error: Batch job submission failed: Requested time limit is"
      .. " invalid (missing or exceeds some limit)" },
      { slurm.submit { script_file = script("long", "true"), partition = "short", time = "5" } })
    assert.same({ nil, "sbatch: error: invalid partition specified: long" },
      { slurm.submit { script_file = script("nowhere", "true"), partition = "long" } })
  end)

  it("kills a job over its memory limit", function()
    -- tail -n 1 keeps a line without a newline whole: 300 MB against
    -- --mem=50M, held 5 s for the once-a-second sampling to see
    local id, out = submit("hog", "(head -c 300000000 /dev/zero; sleep 5) | tail -n 1 >/dev/null",
      { mem = "50M" })
    local s = wait({ id })[id]
    local log = t.slurp(out)
    if os.getenv("ZM_SLURM_CGROUP") == "1" then
      -- task/cgroup: the kernel's OOM killer in the job's cgroup, and Slurm says so
      assert.equal("OUT_OF_MEMORY", s.state)
      assert.same({ "failed", "OUT_OF_MEMORY: the job used more memory than it asked for (mem)" },
        { slurm.step_status(s) })
      assert.matches("oom%-kill event", log)
    else
      -- jobacct_gather's OverMemoryKill: slurmstepd kills it, Slurm calls that FAILED
      assert.equal("FAILED", s.state)
      assert.equal(9, s.signal)
      assert.matches("Exceeded job memory limit", log)
    end
  end)

  it("ends a job over its time limit TIMEOUT", function()
    local s = wait({ timeout_id }, 150)[timeout_id]
    assert.equal("TIMEOUT", s.state)
    assert.equal("TimeLimit", s.reason)
    assert.same({ "failed", "TIMEOUT: the job reached its time limit" }, { slurm.step_status(s) })
  end)
end)
