--- zenml.slurm: Slurm's commands, as the Slurm backend uses them (docs/slurm.md).
--- Every query about a run's jobs is one command for all of them (one squeue,
--- which also gives exit codes; then, for jobs squeue no longer knows and only
--- when the cluster keeps accounting, one sacct), never one per job per poll;
--- `calls` counts the commands run, for the benchmark's poll load. Commands
--- are found on PATH, so tests can stand fake ones in front.
local core = require "zenml._core"

local M = {}

--- How many Slurm commands this process ran.
M.calls = 0

local function quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- Run a shell command line; returns its output (stdout and stderr), and
-- whether it exited 0.
local function run(cmd, input_file)
  M.calls = M.calls + 1
  local p = io.popen(cmd .. (input_file and (" < " .. quote(input_file)) or "")
    .. " 2>&1; echo \"@rc=$?\"")
  local out = p:read("a")
  p:close()
  local body, rc = out:match("^(.-)@rc=(%d+)%s*$")
  return body or out, tonumber(rc) == 0
end

-- The line of a command's output that says what went wrong.
local function first_error(out)
  for line in out:gmatch("[^\n]+") do
    if line:match("error") then return (line:gsub("^%s+", "")) end
  end
  return out:match("^%s*([^\n]+)") or "no output"
end

--- Whether Slurm is there and its controller answers: true, or nil and why.
function M.available()
  local _, found = run("command -v sbatch")
  if not found then return nil, "sbatch not found on PATH; is Slurm installed (Debian: slurm-client)?" end
  -- Slurm's commands wait a minute for a configuration file that is not there
  local conf = os.getenv("SLURM_CONF")
  if conf and conf ~= "" then
    local f = io.open(conf, "r")
    if not f then return nil, ("SLURM_CONF names %s, which cannot be read"):format(conf) end
    f:close()
  end
  -- scontrol retries a configuration it cannot fetch for a minute: 10 s is plenty
  local out, ok = run("timeout 10 scontrol ping")
  if not ok or not out:match("UP") then
    local why = out:match("^%s*$") and "no answer in 10 s" or first_error(out)
    return nil, ("Slurm's controller does not answer (scontrol ping: %s)"):format(why)
  end
  return true
end

--- The cluster's partitions.
function M.partitions()
  local out, ok = run("sinfo -h -o %R")
  if not ok then error("sinfo: " .. first_error(out), 0) end
  local list, seen = {}, {}
  for name in out:gmatch("%S+") do
    if not seen[name] then seen[name] = true; list[#list + 1] = name end
  end
  table.sort(list)
  return list
end

--- nil when partition `name` exists, else a message naming those that do.
function M.check_partition(name)
  local list = M.partitions()
  for _, p in ipairs(list) do
    if p == name then return nil end
  end
  return ("unknown Slurm partition '%s'; partitions are: %s%s"):format(name,
    table.concat(list, ", "), require("zenml.errors").did_you_mean(name, list))
end

--- Seconds of a Slurm time limit (see check_time); nil for UNLIMITED or
--- what is not one.
function M.seconds_of(s)
  if M.check_time(s) or not s:match("%d") then return nil end
  local days, rest = s:match("^(%d+)%-(.*)$")
  local f = {}
  for n in (rest or s):gmatch("%d+") do f[#f + 1] = tonumber(n) end
  if days then -- D-HH, D-HH:MM, D-HH:MM:SS
    return tonumber(days) * 86400 + f[1] * 3600 + (f[2] or 0) * 60 + (f[3] or 0)
  end
  if #f == 1 then return f[1] * 60 end            -- MINUTES
  if #f == 2 then return f[1] * 60 + f[2] end     -- MM:SS
  return f[1] * 3600 + f[2] * 60 + f[3]           -- HH:MM:SS
end

--- nil when `s` is a Slurm time limit (MINUTES, MM:SS, HH:MM:SS, D-HH,
--- D-HH:MM, D-HH:MM:SS, UNLIMITED, INFINITE), else a message.
function M.check_time(s)
  if type(s) ~= "string" then return "a time limit is a string" end
  if s == "UNLIMITED" or s == "INFINITE" or s == "unlimited" or s == "infinite" then return nil end
  local ok = s:match("^%d+$") or s:match("^%d+:%d%d$") or s:match("^%d+:%d%d:%d%d$")
    or s:match("^%d+%-%d+$") or s:match("^%d+%-%d+:%d%d$") or s:match("^%d+%-%d+:%d%d:%d%d$")
  if ok then return nil end
  return ("'%s' is not a Slurm time limit"):format(s)
end

-- The resource options shared by sbatch and salloc, from `opts` (see submit).
local function resource_args(args, opts)
  local function add(flag, v)
    if v ~= nil and v ~= "" then args[#args + 1] = quote(flag .. "=" .. tostring(v)) end
  end
  add("--job-name", opts.name)
  add("--partition", opts.partition)
  add("--account", opts.account)
  add("--qos", opts.qos)
  add("--time", opts.time)
  add("--mem", opts.mem)
  add("--cpus-per-task", opts.cpus)
  add("--gres", opts.gres)
  add("--constraint", opts.constraint)
  add("--nodes", opts.nodes)
  return add
end

-- "sbatch: the first line of its message", or "salloc: ...".
local function command_error(command, out)
  local why = first_error(out)
  return why:match("^" .. command .. ":") and why or (command .. ": " .. why)
end

--- Submit a job: opts {script_file, name, partition, account, qos, time,
--- mem, cpus, gres, constraint, nodes, extra = {args}, dependency = {ids}
--- (afterok), output, chdir, array ("0-7%2": a job array), test_only}.
--- Returns the job id (true with
--- test_only: the cluster would take the job, nothing is submitted), or nil
--- and the first line of sbatch's own message.
function M.submit(opts)
  local args = { "sbatch", "--parsable" }
  local add = resource_args(args, opts)
  add("--output", opts.output)
  add("--chdir", opts.chdir)
  add("--array", opts.array)
  if opts.dependency and #opts.dependency > 0 then
    add("--dependency", "afterok:" .. table.concat(opts.dependency, ":"))
    args[#args + 1] = "--kill-on-invalid-dep=yes"
  end
  for _, a in ipairs(opts.extra or {}) do args[#args + 1] = quote(a) end
  if opts.test_only then args[#args + 1] = "--test-only" end
  args[#args + 1] = quote(opts.script_file)
  local out, ok = run(table.concat(args, " "))
  if opts.test_only then
    if ok then return true end
    return nil, command_error("sbatch", out)
  end
  local id = ok and out:match("^%s*(%d+)")
  if not id then return nil, command_error("sbatch", out) end
  return id
end

--- Take an allocation at once and run a script in it: `salloc` (which Slurm
--- grants inside the request when the nodes are free, where a batch job
--- waits for the scheduler's next pass) running `srun` of `opts.script_file`
--- as one task on the allocation's first node, its output in `opts.output`.
--- The salloc client runs in its own session, in the background, writing
--- what it says to `opts.log`; it gives the allocation back when the script
--- ends, with the script's exit status (COMPLETED, or FAILED and the code).
--- opts are submit's, with `log`. Returns the job id once Slurm named it
--- (granted, or pending while the nodes are busy), or nil and the first line
--- of salloc's message.
function M.allocate(opts)
  local args = { "salloc" }
  resource_args(args, opts)("--chdir", opts.chdir)
  for _, a in ipairs(opts.extra or {}) do args[#args + 1] = quote(a) end
  -- the script's step shares the allocation's CPUs with the steps it starts
  local step = { "srun", "--nodes=1", "--ntasks=1", "--overlap", "--kill-on-bad-exit=1",
    quote("--output=" .. opts.output) }
  if opts.cpus then step[#step + 1] = quote("--cpus-per-task=" .. tostring(opts.cpus)) end
  step[#step + 1] = quote(opts.script_file)
  args[#args + 1] = "exec " .. table.concat(step, " ")
  local f = assert(io.open(opts.log, "w"))
  f:close()
  -- salloc's command line is `sh -c` of the srun line: quoted once more
  local line = table.concat(args, " ", 1, #args - 1) .. " sh -c " .. quote(args[#args])
  M.calls = M.calls + 1
  local ok = os.execute(("setsid sh -c %s </dev/null >/dev/null 2>&1 &"):format(
    quote(("%s </dev/null >>%s 2>&1; echo \"@rc=$?\" >>%s"):format(line, quote(opts.log),
      quote(opts.log)))))
  if not ok then return nil, "salloc: could not be started" end
  local deadline = core.sys.time() + 60
  while true do
    local text = require("zenml.sources").read_file(opts.log) or ""
    local id = text:match("job allocation (%d+)")
    if id then return id end
    if text:match("@rc=%d+") then
      return nil, command_error("salloc", (text:gsub("@rc=%d+%s*", "")))
    end
    if core.sys.time() > deadline then return nil, "salloc: no answer in 60 s" end
    core.sys.sleep(0.002)
  end
end

-- A wait status as Slurm keeps it (squeue's exit_code): exit code, signal.
local function wait_status(n)
  n = tonumber(n) or 0
  return (n >> 8) & 0xff, n & 0x7f
end

-- squeue's lines "id|state|reason|status|" into `into`.
local function parse_squeue(out, into)
  for line in out:gmatch("[^\n]+") do
    local id, state, reason, status = line:match("^%s*(%d+)|([^|]*)|([^|]*)|(%d*)|")
    if id then
      local code, signal = wait_status(status)
      into[id] = { state = state, reason = reason, exit_code = code, signal = signal }
    end
  end
end

--- Whether the cluster keeps accounting (sacct answers): nil until a states()
--- call first needed sacct, then true or false for the rest of the process.
M.accounting = nil

-- sacct's lines "id|state|exit:signal" for jobs squeue no longer lists, into
-- `into`; once sacct says accounting is off, it is not asked again.
local function ask_sacct(ids, into)
  if M.accounting == false then return end
  local out, ok = run("sacct -n -X -P -o JobIDRaw,State,ExitCode -j " .. quote(table.concat(ids, ",")))
  if not ok then
    if out:match("accounting storage is disabled") or out:match("[Nn]o accounting") then
      M.accounting = false
      return
    end
    error("sacct: " .. first_error(out), 0)
  end
  M.accounting = true
  for line in out:gmatch("[^\n]+") do
    local id, state, code, signal = line:match("^%s*(%d+)|(%S+)[^|]*|(%d+):(%d+)")
    if id and not into[id] then
      into[id] = { state = state, reason = "None", exit_code = tonumber(code),
        signal = tonumber(signal) }
    end
  end
end

--- The states of jobs `ids`: id -> {state, reason, exit_code, signal}. One
--- squeue for all of them (a finished job stays in it for MinJobAge, 300 s by
--- default); for jobs it no longer lists, one sacct when the cluster keeps
--- accounting. A job gone from both is missing from the answer. A failed
--- command raises its message.
---@param ids string[]
---@return table<string, {state: string, reason: string, exit_code: integer, signal: integer}>
function M.states(ids)
  local found = {}
  if #ids == 0 then return found end
  local out, ok = run("squeue -h --states=all -O 'JobID:|,State:|,Reason:|,exit_code:|' -j "
    .. quote(table.concat(ids, ",")))
  -- squeue refuses a list of nothing but unknown ids: they are all gone
  if not ok and not out:match("Invalid job id") then error("squeue: " .. first_error(out), 0) end
  parse_squeue(out, found)
  local gone = {}
  for _, id in ipairs(ids) do
    if not found[tostring(id)] then gone[#gone + 1] = tostring(id) end
  end
  if #gone > 0 then ask_sacct(gone, found) end
  return found
end

--- The states of the tasks of job array `id`: task number -> {state,
--- reason, exit_code, signal}, for the tasks Slurm lists one by one (a
--- task that has not started yet may be listed as part of a range, or not
--- at all); sacct answers for tasks squeue no longer lists when the
--- cluster keeps accounting.
function M.array_states(id)
  local found = {}
  local out, ok = run("squeue -h -r --states=all -O 'ArrayTaskID:|,State:|,Reason:|,exit_code:|' -j "
    .. quote(id))
  if not ok and not out:match("Invalid job id") then error("squeue: " .. first_error(out), 0) end
  -- squeue's lines, task first ("N/A" for a range not started yet)
  local listed, by_task = out:find("|", 1, true) ~= nil, {}
  parse_squeue(out, by_task)
  for task, info in pairs(by_task) do found[tonumber(task)] = info end
  if M.accounting ~= false and not listed then
    local acct, aok = run("sacct -n -X -P -o JobID,State,ExitCode -j " .. quote(id))
    if aok then
      M.accounting = true
      for line in acct:gmatch("[^\n]+") do
        local task, state, code, signal = line:match("^%s*%d+_(%d+)|(%S+)[^|]*|(%d+):(%d+)")
        if task and not found[tonumber(task)] then
          found[tonumber(task)] = { state = state, reason = "None", exit_code = tonumber(code),
            signal = tonumber(signal) }
        end
      end
    elseif acct:match("accounting storage is disabled") or acct:match("[Nn]o accounting") then
      M.accounting = false
    end
  end
  return found
end

--- Cancel jobs `ids` (one scancel).
function M.cancel(ids)
  if #ids == 0 then return end
  local out, ok = run("scancel " .. table.concat((function()
    local q = {}
    for i, id in ipairs(ids) do q[i] = quote(id) end
    return q
  end)(), " "))
  if not ok then error("scancel: " .. first_error(out), 0) end
end

local reasons = {
  TIMEOUT = "TIMEOUT: the job reached its time limit",
  OUT_OF_MEMORY = "OUT_OF_MEMORY: the job used more memory than it asked for (mem)",
  CANCELLED = "CANCELLED: the job was cancelled",
  NODE_FAIL = "NODE_FAIL: the job's node failed",
  PREEMPTED = "PREEMPTED: the job was preempted",
  BOOT_FAIL = "BOOT_FAIL: the job's node failed to boot",
  DEADLINE = "DEADLINE: the job missed its deadline",
}

--- A job's step status from its state: nil while it waits or runs, else
--- "completed" or "failed" with Slurm's reason ("FAILED (exit code 3)").
function M.step_status(info)
  local state = info.state and info.state:match("^(%u[%u_]*)") or "?"
  if state == "COMPLETED" then return "completed" end
  if state == "FAILED" then
    if info.exit_code == 97 then
      return "failed", "FAILED: the node cannot see the repository"
    end
    if info.signal and info.signal ~= 0 then
      return "failed", ("FAILED (killed by signal %d)"):format(info.signal)
    end
    return "failed", ("FAILED (exit code %s)"):format(info.exit_code and tostring(info.exit_code) or "?")
  end
  if reasons[state] then return "failed", reasons[state] end
  if state == "PENDING" and info.reason == "DependencyNeverSatisfied" then
    return "failed", "skipped: a step it needs failed (DependencyNeverSatisfied)"
  end
  return nil
end

--- The cluster's nodes other than this machine.
function M.other_nodes()
  local out, ok = run("sinfo -h -o %N")
  if not ok then return {} end
  local list = out:match("^%s*(%S+)")
  if not list then return {} end
  local names = run("scontrol show hostnames " .. quote(list))
  local host = io.popen("hostname -s"):read("l") or ""
  local others = {}
  for n in names:gmatch("%S+") do
    if n ~= host then others[#others + 1] = n end
  end
  return others
end

--- The file system type of `path` (`stat -f`), e.g. "nfs", "ext2/ext3".
function M.fs_type(path)
  local p = io.popen("stat -f -c %T " .. quote(path) .. " 2>/dev/null")
  local t = p:read("l")
  p:close()
  return t or "?"
end

--- File systems no other machine sees.
M.local_fs = { ["ext2/ext3"] = true, xfs = true, btrfs = true, tmpfs = true, overlayfs = true,
  zfs = true, f2fs = true, ramfs = true }

--- Whether SQLite's locks work across machines on file system `fs`: not on
--- NFS, SMB or FUSE mounts (SQLite's own documentation warns of them).
function M.locking_fs(fs)
  return not (fs:match("^nfs") or fs:match("^cifs") or fs:match("^smb") or fs:match("^fuse")
    or fs == "9p")
end

return M
