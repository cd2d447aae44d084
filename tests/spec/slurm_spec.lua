-- zenml.slurm without a cluster: fake sbatch, squeue, sacct, sinfo, scontrol
-- and scancel first on PATH, each recording its arguments, so the messages of
-- bad input and the number of commands per query are checked exactly.
-- tests/slurm/commands_spec.lua runs the same module against a real cluster.
local t = require "tests.support"
local core = require "zenml._core"

local saved_path = os.getenv("PATH")
local saved_conf = os.getenv("SLURM_CONF")
local bin, log

-- A fake command `name` running the shell `body` after logging its arguments.
local function fake(name, body)
  t.write(bin .. "/" .. name, ("#!/bin/sh\necho \"%s $*\" >>%s\n%s\n"):format(name, t.q(log), body))
  assert(os.execute("chmod +x " .. t.q(bin .. "/" .. name)))
end

-- The commands the fakes saw, one line each, and forget them.
local function seen()
  local text = t.slurp(log)
  os.remove(log)
  local lines = {}
  for line in text:gmatch("[^\n]+") do lines[#lines + 1] = line end
  return lines
end

local slurm

describe("zenml.slurm with fake commands", function()
  before_each(function()
    local dir = t.tmpdir()
    bin, log = dir .. "/bin", dir .. "/calls.log"
    assert(os.execute("mkdir " .. t.q(bin)))
    core.sys.setenv("PATH", bin .. ":" .. saved_path)
    core.sys.setenv("SLURM_CONF", "")
    package.loaded["zenml.slurm"] = nil
    slurm = require "zenml.slurm"
  end)

  after_each(function()
    core.sys.setenv("PATH", saved_path)
    core.sys.setenv("SLURM_CONF", saved_conf or "")
    package.loaded["zenml.slurm"] = nil
    t.cleanup()
  end)

  describe("available", function()
    it("says when sbatch is not on PATH", function()
      core.sys.setenv("PATH", bin) -- nothing in it
      assert.same({ nil, "sbatch not found on PATH; is Slurm installed (Debian: slurm-client)?" },
        { slurm.available() })
    end)

    it("names the controller that does not answer", function()
      fake("sbatch", "exit 0")
      fake("scontrol", [[echo "Slurmctld(primary) at ctl1 is DOWN"
echo "*****************************************"
echo "** RESTORE SLURMCTLD DAEMON TO SERVICE **"
echo "*****************************************"
exit 1]])
      assert.same({ nil, "Slurm's controller does not answer (scontrol ping: Slurmctld(primary) at ctl1 is DOWN)" },
        { slurm.available() })
    end)

    it("gives scontrol's error when there is no configuration", function()
      fake("sbatch", "exit 0")
      fake("scontrol", [[echo "scontrol: error: resolve_ctls_from_dns_srv: res_nsearch error: Unknown host" >&2
echo "scontrol: fatal: Could not establish a configuration source" >&2
exit 1]])
      assert.same({ nil, "Slurm's controller does not answer (scontrol ping: "
        .. "scontrol: error: resolve_ctls_from_dns_srv: res_nsearch error: Unknown host)" },
        { slurm.available() })
    end)

    it("does not wait a minute for a SLURM_CONF that is not there", function()
      fake("sbatch", "exit 0")
      fake("scontrol", "sleep 60")
      core.sys.setenv("SLURM_CONF", bin .. "/missing.conf")
      assert.same({ nil, "SLURM_CONF names " .. bin .. "/missing.conf, which cannot be read" },
        { slurm.available() })
      assert.same({}, seen()) -- scontrol never ran
    end)

    it("is true when the controller is up", function()
      fake("sbatch", "exit 0")
      fake("scontrol", [[echo "Slurmctld(primary) at ctl1 is UP"]])
      assert.is_true(slurm.available())
    end)
  end)

  describe("check_partition", function()
    it("is nil for a partition sinfo lists", function()
      fake("sinfo", [[printf 'debug\nshort\ndebug\n']])
      assert.is_nil(slurm.check_partition("short"))
      assert.same({ "sinfo -h -o %R" }, seen())
    end)

    it("lists the partitions there are, once each", function()
      fake("sinfo", [[printf 'short\ndebug\ndebug\n']])
      assert.equal("unknown Slurm partition 'gpu'; partitions are: debug, short",
        slurm.check_partition("gpu"))
      assert.equal("unknown Slurm partition 'debgu'; partitions are: debug, short; did you mean debug?",
        slurm.check_partition("debgu"))
    end)
  end)

  describe("check_time", function()
    it("accepts Slurm's time formats", function()
      for _, s in ipairs({ "0", "30", "90:00", "1:30:00", "2-0", "2-12", "2-12:30", "2-12:30:15",
        "UNLIMITED", "INFINITE", "unlimited", "infinite" }) do
        assert.is_nil(slurm.check_time(s), s)
      end
    end)

    it("names what is not a time limit", function()
      for _, s in ipairs({ "", "1h", "1:2:3:4", "-5", "1.5", "2-", "x-1", "forever" }) do
        assert.equal(("'%s' is not a Slurm time limit"):format(s), slurm.check_time(s), s)
      end
      assert.equal("a time limit is a string", slurm.check_time(10))
    end)
  end)

  describe("submit", function()
    it("passes each option as one quoted argument and returns the job id", function()
      fake("sbatch", [[for a in "$@"; do echo "<$a>"; done >>]] .. t.q(log) .. "\necho '4711;zmtest'")
      local id = slurm.submit { script_file = "/r/it's here.sh", name = "zenml-r1-train",
        partition = "debug", account = "lab", qos = "normal", time = "10", mem = "2G", cpus = 2,
        gres = "gpu:1", constraint = "avx2&fast", output = "/r/o u t.log", chdir = "/r",
        dependency = { "11", "12" }, extra = { "--exclusive", "--comment=a b" } }
      assert.equal("4711", id)
      local lines = seen()
      table.remove(lines, 1) -- the logged command line
      assert.same({ "<--parsable>", "<--job-name=zenml-r1-train>", "<--partition=debug>",
        "<--account=lab>", "<--qos=normal>", "<--time=10>", "<--mem=2G>", "<--cpus-per-task=2>",
        "<--gres=gpu:1>", "<--constraint=avx2&fast>", "<--output=/r/o u t.log>", "<--chdir=/r>",
        "<--dependency=afterok:11:12>", "<--kill-on-invalid-dep=yes>", "<--exclusive>",
        "<--comment=a b>", "</r/it's here.sh>" }, lines)
    end)

    it("returns the first error line of sbatch's own message", function()
      fake("sbatch", [[echo "sbatch: warning: can't honor --ntasks-per-node set to 4" >&2
echo "sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified" >&2
echo "more" >&2
exit 1]])
      assert.same({ nil, "sbatch: error: Batch job submission failed: Invalid account or"
        .. " account/partition combination specified" },
        { slurm.submit { script_file = "/r/job.sh", account = "nobody" } })
    end)

    it("names sbatch when it prints no error line", function()
      fake("sbatch", [[echo "unrecognized option '--bogus'" >&2; exit 255]])
      assert.same({ nil, "sbatch: unrecognized option '--bogus'" },
        { slurm.submit { script_file = "/r/job.sh", extra = { "--bogus" } } })
    end)
  end)

  describe("allocate", function()
    local dir
    before_each(function() dir = t.tmpdir() end)

    it("runs the script through srun inside salloc and returns the granted id", function()
      fake("salloc", [[for a in "$@"; do echo "<$a>"; done >>]] .. t.q(log)
        .. [[

echo "salloc: Granted job allocation 4712" >&2
sleep 0.2
echo "salloc: Relinquishing job allocation 4712" >&2]])
      local id = slurm.allocate { script_file = dir .. "/it's.sh", name = "zenml-r1-allocation",
        partition = "debug", cpus = 2, nodes = 1, output = dir .. "/o u t", log = dir .. "/log",
        chdir = "/r", extra = { "--comment=a b" } }
      assert.equal("4712", id)
      core.sys.sleep(0.5)
      local lines = seen()
      table.remove(lines, 1)
      assert.same({ "<--job-name=zenml-r1-allocation>", "<--partition=debug>",
        "<--cpus-per-task=2>", "<--nodes=1>", "<--chdir=/r>", "<--comment=a b>", "<sh>", "<-c>",
        "<exec srun --nodes=1 --ntasks=1 --overlap --kill-on-bad-exit=1 '--output=" .. dir
          .. "/o u t' '--cpus-per-task=2' '" .. dir .. "/it'\\''s.sh'>" }, lines)
      -- salloc's own lines and its exit status stay in the log
      assert.matches("Relinquishing job allocation 4712\n@rc=0\n$", t.slurp(dir .. "/log"))
    end)

    it("returns the id of an allocation that waits for the nodes", function()
      fake("salloc", [[echo "salloc: Pending job allocation 88" >&2
echo "salloc: job 88 queued and waiting for resources" >&2
sleep 0.3]])
      assert.equal("88", slurm.allocate { script_file = "/r/a.sh", output = dir .. "/o",
        log = dir .. "/log" })
    end)

    it("returns salloc's error line when it is refused", function()
      fake("salloc", [[echo "salloc: error: Job submit/allocate failed: Invalid partition name specified" >&2
exit 1]])
      assert.same({ nil, "salloc: error: Job submit/allocate failed: Invalid partition name specified" },
        { slurm.allocate { script_file = "/r/a.sh", partition = "nope", output = dir .. "/o",
          log = dir .. "/log" } })
    end)
  end)

  describe("states", function()
    it("asks one squeue for every job, with exit codes and signals", function()
      fake("squeue", [[printf '11|COMPLETED|None|0|\n12|FAILED|NonZeroExitCode|768|\n]]
        .. [[13|TIMEOUT|TimeLimit|15|\n14|PENDING|Dependency|0|\n15|FAILED|JobLaunchFailure|9|\n']])
      fake("sacct", "echo 'sacct: error: never asked' >&2; exit 1")
      local before = slurm.calls
      local s = slurm.states({ "11", "12", "13", "14", "15" })
      assert.equal(before + 1, slurm.calls)
      assert.same({ "squeue -h --states=all -O JobID:|,State:|,Reason:|,exit_code:| -j 11,12,13,14,15" },
        seen())
      assert.same({ state = "COMPLETED", reason = "None", exit_code = 0, signal = 0 }, s["11"])
      assert.same({ state = "FAILED", reason = "NonZeroExitCode", exit_code = 3, signal = 0 }, s["12"])
      assert.same({ state = "TIMEOUT", reason = "TimeLimit", exit_code = 0, signal = 15 }, s["13"])
      assert.same({ state = "PENDING", reason = "Dependency", exit_code = 0, signal = 0 }, s["14"])
      assert.same({ state = "FAILED", reason = "JobLaunchFailure", exit_code = 0, signal = 9 }, s["15"])
    end)

    it("asks sacct once about jobs squeue forgot, and never again once accounting is off", function()
      fake("squeue", [[printf '11|RUNNING|None|0|\n']])
      fake("sacct", [[echo "Slurm accounting storage is disabled" >&2; exit 1]])
      local s = slurm.states({ "11", "12", "13" })
      assert.same({ "11" }, (function() local k = {} for id in pairs(s) do k[#k + 1] = id end return k end)())
      assert.same({ "squeue -h --states=all -O JobID:|,State:|,Reason:|,exit_code:| -j 11,12,13",
        "sacct -n -X -P -o JobIDRaw,State,ExitCode -j 12,13" }, seen())
      assert.is_false(slurm.accounting)
      slurm.states({ "11", "12" })
      assert.equal(1, #seen()) -- squeue only
    end)

    it("takes the states of forgotten jobs from sacct when accounting is on", function()
      fake("squeue", [[echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1]])
      fake("sacct", [[printf '12|CANCELLED by 0|0:15\n13|COMPLETED|0:0\n14|OUT_OF_MEMORY|0:125\n']])
      local s = slurm.states({ "12", "13", "14" })
      assert.is_true(slurm.accounting)
      assert.same({ state = "CANCELLED", reason = "None", exit_code = 0, signal = 15 }, s["12"])
      assert.same({ state = "COMPLETED", reason = "None", exit_code = 0, signal = 0 }, s["13"])
      assert.same({ state = "OUT_OF_MEMORY", reason = "None", exit_code = 0, signal = 125 }, s["14"])
    end)

    it("raises squeue's message when the controller does not answer", function()
      fake("squeue", [[echo "slurm_load_jobs error: Unable to contact slurm controller (connect failure)" >&2; exit 1]])
      assert.has_error(function() slurm.states({ "11" }) end,
        "squeue: slurm_load_jobs error: Unable to contact slurm controller (connect failure)")
    end)

    it("runs nothing for no jobs", function()
      assert.same({}, slurm.states({}))
      assert.same({}, seen())
    end)
  end)

  describe("cancel", function()
    it("cancels every job with one scancel", function()
      fake("scancel", "exit 0")
      slurm.cancel({ "11", "12", "13" })
      assert.same({ "scancel 11 12 13" }, seen())
    end)

    it("raises scancel's message", function()
      fake("scancel", [[echo "scancel: error: Invalid job id x" >&2; exit 1]])
      assert.has_error(function() slurm.cancel({ "x" }) end, "scancel: scancel: error: Invalid job id x")
    end)
  end)

  describe("step_status", function()
    it("maps Slurm's final states to a step status and a reason", function()
      local cases = {
        { { state = "COMPLETED", exit_code = 0, signal = 0 }, "completed", nil },
        { { state = "FAILED", exit_code = 3, signal = 0 }, "failed", "FAILED (exit code 3)" },
        { { state = "FAILED", exit_code = 0, signal = 9 }, "failed", "FAILED (killed by signal 9)" },
        { { state = "TIMEOUT", exit_code = 0, signal = 15 }, "failed", "TIMEOUT: the job reached its time limit" },
        { { state = "OUT_OF_MEMORY" }, "failed", "OUT_OF_MEMORY: the job used more memory than it asked for (mem)" },
        { { state = "CANCELLED" }, "failed", "CANCELLED: the job was cancelled" },
        { { state = "CANCELLED+" }, "failed", "CANCELLED: the job was cancelled" },
        { { state = "NODE_FAIL" }, "failed", "NODE_FAIL: the job's node failed" },
        { { state = "PREEMPTED" }, "failed", "PREEMPTED: the job was preempted" },
        { { state = "PENDING", reason = "DependencyNeverSatisfied" }, "failed",
          "skipped: a step it needs failed (DependencyNeverSatisfied)" },
      }
      for _, c in ipairs(cases) do
        assert.same({ c[2], c[3] }, { slurm.step_status(c[1]) }, c[1].state)
      end
      for _, waiting in ipairs({ "PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED" }) do
        assert.is_nil(slurm.step_status({ state = waiting, reason = "None" }), waiting)
      end
    end)
  end)
end)
