-- The SlurmArray processing backend against the real one-node cluster of
-- tests/slurm/cluster.sh: a map/reduce step's blocks as one job array, to
-- the artifact ids of a one-worker run (table and frame parts, any array
-- size, under the local and the Slurm orchestrator); the reduce as a job of
-- its own after the array (afterok); the YAML and `run show`; a failed
-- shard, a cancelled task and a killed one fail the step with the shard,
-- the task and its log, cancel the reduce job, and the next run runs only
-- the missing shards; a failed reduce job fails the step naming it, and the
-- next run runs only the reduce; bad input.
local t = require "tests.support"
local json = require "zenml.json"

-- Per-block sums (table parts, reduced in block order). FAIL_SHARD=K
-- breaks block K; SLEEP_SHARD=K makes block K wait a minute; FAIL_REDUCE
-- breaks the reduce.
local SUMS = [[
local zenml = require "zenml"
local Sums = zenml.Step:extend("Sums")
Sums.inputs = { data = "frame" }
Sums.outputs = { total = "value" }
Sums.shard_rows = 40
function Sums:map(ctx, chunk)
  if os.getenv("FAIL_SHARD") == tostring(ctx.shard) then error("block " .. ctx.shard .. " broke") end
  if os.getenv("SLEEP_SHARD") == tostring(ctx.shard) then os.execute("sleep 60") end
  print("summing block " .. ctx.shard)
  local s = 0
  for _, v in ipairs(chunk:col("sepal_length"):to_table()) do s = s + v * 0.1 end
  return { sum = s, n = chunk:nrow() }
end
function Sums:reduce(ctx, parts)
  if os.getenv("FAIL_REDUCE") then error("the reduce broke") end
  print("reducing " .. #parts .. " parts")
  local s, n = 0, 0
  for _, p in ipairs(parts) do s, n = s + p.sum, n + p.n end
  return { total = { mean = s / n, n = n } }
end
return Sums
]]

-- Frame parts: the default reduce stacks them.
local PICK = [[
local zenml = require "zenml"
local Pick = zenml.Step:extend("Pick")
Pick.inputs = { data = "frame" }
Pick.outputs = { picked = "frame" }
Pick.shard_rows = 30
function Pick:map(ctx, chunk) return chunk:select { "sepal_length", "species" } end
return Pick
]]

-- ARRAY=K puts the sharded steps on SlurmArray { shards = K }; ORCH=slurm
-- runs the pipeline on the Slurm orchestrator.
local PIPELINE = [[
local zenml = require "zenml"
local K = tonumber(os.getenv("ARRAY") or "0")
local B = K ~= 0 and zenml.backends.SlurmArray { shards = K, max_parallel = 2, poll_interval = 0.2 } or nil
local p = zenml.Pipeline { name = "arr", backend = os.getenv("ORCH") == "slurm"
  and zenml.backends.Slurm { poll_interval = 0.2 } or nil }
p:add_datasource(zenml.datasources.CSV { name = "iris", path = "data/iris.csv" })
p:add("sums", require("sums") {}:with { processing = B }, { data = "datasource.data" })
p:add("pick", require("pick") {}:with { processing = B }, { data = "datasource.data" })
p:add("stats", require("zenml.steps.statistics").Statistics {}:with { processing = B },
  { data = "datasource.data" })
p:run()
]]

local function repo()
  return t.iris_repo({ ["pipeline.lua"] = PIPELINE, ["steps/sums.lua"] = SUMS, ["steps/pick.lua"] = PICK })
end

local function zenml(dir, args, env) return t.zenml_run(args, { cwd = dir, env = env }) end

-- Output artifact ids of the latest run, by step and output.
local function outputs(dir)
  return t.sql(dir, "SELECT e.step AS s, v.name AS n, v.artifact AS a FROM executions e JOIN events v"
    .. " ON v.execution_id = e.id WHERE v.kind = 'output' AND e.step <> 'datasource' AND e.run_id ="
    .. " (SELECT id FROM runs ORDER BY started DESC LIMIT 1) ORDER BY e.step, v.name")
end

local function latest_id(dir)
  return json.try_decode((zenml(dir, "run list --limit 1 --json")))[1].id
end

-- Start `zenml run` in the background; returns a function that waits for it
-- and gives its stdout, stderr and exit status.
local function start(dir, env)
  local vars = {}
  for k, v in pairs(env) do vars[#vars + 1] = k .. "=" .. t.q(v) end
  os.remove(dir .. "/bg.rc")
  os.execute(("cd %s && (%s %s run pipeline.lua >bg.out 2>bg.err; echo $? >bg.rc) </dev/null &"):format(
    t.q(dir), table.concat(vars, " "), t.q(t.zenml)))
  return function()
    for _ = 1, 600 do
      local rc = t.slurp(dir .. "/bg.rc")
      if rc and rc:match("%d") then
        return t.slurp(dir .. "/bg.out"), t.slurp(dir .. "/bg.err"), tonumber(rc:match("%d+"))
      end
      os.execute("sleep 0.1")
    end
    error("zenml run did not end in 60 s")
  end
end

-- Slurm's fields `fields` ("JobID:|,State:|") of the jobs named
-- zenml-RUN-`name` (a step's "sums-shards" array, its "sums-reduce" job),
-- one line per job or array task.
local function jobs_named(run, name, fields)
  local out = {}
  for line in t.sh("squeue -h -r --states=all -O '" .. fields .. ",Name:|'"):gmatch("[^\n]+") do
    local at = line:find("|zenml-" .. run .. "-" .. name .. "|", 1, true)
    if at then out[#out + 1] = line:sub(1, at) end
  end
  return out
end

-- The job ids Slurm knows now (arrays of earlier tests included).
local function known_jobs()
  local seen = {}
  for id in t.sh("squeue -h -r --states=all -O 'ArrayJobID:|'"):gmatch("(%d+)|") do seen[id] = true end
  return seen
end

-- The id of the job array of step `step` (one not in `before`) once its
-- task `task` runs.
local function running_task(before, step, task)
  for _ = 1, 300 do
    local queue = t.sh("squeue -h -r -O 'ArrayJobID:|,ArrayTaskID:|,State:|,Name:|'")
    for id, n, name in queue:gmatch("(%d+)|(%d+)|RUNNING|([^|\n]*)") do
      if not before[id] and tonumber(n) == task and name:find(step .. "-shards", 1, true) then
        return id
      end
    end
    os.execute("sleep 0.1")
  end
  error("the task never ran: " .. t.sh("squeue -h -r --states=all | tail -n 8"))
end

describe("the SlurmArray processing backend", function()
  after_each(t.cleanup)

  local here
  local function local_ids()
    if not here then
      local dir = repo()
      local _, err, code = zenml(dir, "run pipeline.lua")
      assert.equals(0, code, err)
      here = outputs(dir)
    end
    return here
  end

  it("runs a step's blocks as one job array, to the ids of a run on one worker", function()
    for _, k in ipairs({ 1, 3, 8 }) do
      local dir = repo()
      local out, err, code = zenml(dir, "run pipeline.lua", { ARRAY = tostring(k) })
      assert.equals(0, code, err)
      assert.matches("4 ran, 0 cached", out, 1, true)
      assert.equals(local_ids(), outputs(dir))
      if k == 3 then
        local show = zenml(dir, "run show latest")
        assert.matches("shards   4 by rows of 40 on 3 array tasks\n", show, 1, true)
        assert.matches("shards   5 by rows of 30 on 3 array tasks\n", show, 1, true)
        assert.matches("           4: 30 rows, [%d.]+ s, task 0 on [%w.-]+\n", show)
        -- a step whose kernels shard by columns runs whole under an array
        assert.matches("stats %(Statistics%): completed, [%d.]+ s\n  shards   none: runs whole on one worker %(slurm_array%)", show)
        local doc = t.slurp(dir .. "/" .. t.sh("ls pipelines/arr_*.yaml", { cwd = dir }):match("[^\n]+"))
        assert.matches("processing:%s+name: slurm_array", doc)
        assert.matches("shards:%s+by: rows%s+workers: 3%s+block_rows: 40", doc)
        assert.matches("shards:%s+by: whole%s+workers: 1", doc)
        local logs = zenml(dir, "run logs latest sums")
        assert.matches("shards: 4 blocks on job array %d+ %(3 tasks%)\n", logs)
        assert.matches("--- shard 2 of 4 (rows 41-80) ---\nsumming block 2\n", logs, 1, true)
        -- the reduce ran as a job of its own, after the array's tasks (afterok)
        local array = logs:match("shards: 4 blocks on job array (%d+)")
        local reduce, after = logs:match("\nreduce: job (%d+) after job array (%d+) %(afterok%)\n")
        assert.truthy(reduce, logs)
        assert.equals(array, after)
        assert.matches("--- reduce of 4 shards ---\nreducing 4 parts\n", logs, 1, true)
        local job = t.sh("scontrol show job " .. reduce)
        assert.matches("JobState=COMPLETED", job, 1, true)
        assert.matches("KillOInInvalidDependent=Yes", job, 1, true)
        local started = job:match("StartTime=(%S+)")
        local tasks = jobs_named(latest_id(dir), "sums-shards", "ArrayJobID:|,State:|,EndTime:|")
        assert.equals(3, #tasks)
        for _, line in ipairs(tasks) do
          local id, state, ended = line:match("^(%d+)|(%u+)|([^|]+)|")
          assert.equals(array, id)
          assert.equals("COMPLETED", state)
          assert.is_true(started >= ended, line .. " ended after the reduce job started at " .. started)
        end
        local rlog = t.slurp(dir .. "/.zenml/jobs/" .. latest_id(dir) .. "/sums-reduce.out")
        assert.matches("reduce of 4 shards done: total stored\n", rlog, 1, true)
        -- the spec, the script and one log per task beside the run
        local files = t.sh("ls .zenml/jobs/" .. latest_id(dir), { cwd = dir })
        for _, f in ipairs { "sums-shards.json", "sums-shards.sh", "sums-shards-0.out", "sums-shards-2.out",
            "sums-reduce.sh", "sums-reduce.out", "sums-reduce.json" } do
          assert.matches(f .. "\n", files, 1, true)
        end
        assert.equals("", (t.sh("ls .zenml/shards/", { cwd = dir })))
      end
    end
  end)

  it("runs the array from a step's own job under the Slurm orchestrator", function()
    local dir = repo()
    local _, err, code = zenml(dir, "run pipeline.lua", { ARRAY = "2", ORCH = "slurm" })
    assert.equals(0, code, err)
    assert.equals(local_ids(), outputs(dir))
  end)

  it("fails the step naming the shard, its task and its log; the next run runs only that shard", function()
    local dir = repo()
    local _, err, code = zenml(dir, "run pipeline.lua", { ARRAY = "2", FAIL_SHARD = "3" })
    assert.equals(1, code)
    local id = latest_id(dir)
    local line = err:match("[^\n]*step 'sums' failed[^\n]*")
    assert.matches(("^zenml: step 'sums' failed: shard 3 of 4 %%(rows 81%%-120%%): map failed: steps/sums.lua:%%d+:"
      .. " block 3 broke %%(job array task %%d+_0 FAILED %%(exit code 1%%)%%); its log: "
      .. "%%.zenml/jobs/%s/sums%%-shards%%-0%%.out$"):format(id:gsub("%-", "%%-")), line)
    assert.matches("zenml: shard 3 of 4 (rows 81-120): map failed:",
      t.slurp(dir .. "/.zenml/jobs/" .. id .. "/sums-shards-0.out"), 1, true)
    -- the reduce job could never run: it is cancelled, not left pending
    assert.same({ "CANCELLED|" }, jobs_named(id, "sums-reduce", "State:|"))
    -- the other shards' parts are kept
    assert.matches("1.json\n2.json\n4.json\n", (t.sh("ls .zenml/shards/*-40/", { cwd = dir })), 1, true)
    local out
    out, err, code = zenml(dir, "run pipeline.lua", { ARRAY = "2" })
    assert.equals(0, code, err)
    assert.matches("1 ran, 3 cached", out, 1, true)
    assert.equals(local_ids():match("[^\n]*|sums\n"), outputs(dir))
    local logs = zenml(dir, "run logs latest sums")
    assert.matches("shards: 1 block on job array %d+ %(1 task%)\n", logs)
    assert.matches("--- shard 1 of 4 (rows 1-40), kept from an earlier run ---", logs, 1, true)
    assert.matches("3: 40 rows, [%d.]+ s, task 0 on [%w.-]+\n", (zenml(dir, "run show latest")))
  end)

  it("fails the step naming the shard when its task is cancelled or killed", function()
    local dir = repo()
    -- block 2 is task 1's (blocks 1..4 dealt to 3 tasks)
    local before = known_jobs()
    local wait = start(dir, { ARRAY = "3", SLEEP_SHARD = "2" })
    local array = running_task(before, "sums", 1)
    -- the reduce job waits for the array
    local run = latest_id(dir)
    local pending = jobs_named(run, "sums-reduce", "JobID:|,State:|,Reason:|")
    assert.equals(1, #pending)
    local reduce = pending[1]:match("^(%d+)|PENDING|Dependency|")
    assert.truthy(reduce, pending[1])
    assert.matches("Dependency=afterok:" .. array .. "_*", t.sh("scontrol show job " .. reduce), 1, true)
    t.sh("scancel " .. array .. "_1")
    local _, err, code = wait()
    assert.equals(1, code)
    assert.same({ reduce .. "|CANCELLED|" }, jobs_named(run, "sums-reduce", "JobID:|,State:|"))
    assert.matches("step 'sums' failed: shard 2 of 4 (rows 41-80) failed: job array task " .. array
      .. "_1 CANCELLED: the job was cancelled", err, 1, true)
    assert.matches("its log: .zenml/jobs/[%w-]+/sums%-shards%-1%.out\n", err)
    -- kill -9 of the task's zenml: FAILED; block 2 is all there is left to
    -- do, so it is task 0's
    before = known_jobs()
    wait = start(dir, { ARRAY = "3", SLEEP_SHARD = "2" })
    array = running_task(before, "sums", 0)
    -- the task's zenml has started its block (its `sleep 60` child runs) when killed
    for _ = 1, 50 do
      if t.sh("pgrep -f 'step shard " .. dir .. "/'") ~= "" and t.sh("pgrep -x sleep") ~= "" then break end
      os.execute("sleep 0.1")
    end
    t.sh("pkill -9 -f '^[^ ]*zenml step shard " .. dir .. "/'")
    _, err, code = wait()
    assert.equals(1, code)
    assert.matches("step 'sums' failed: shard 2 of 4 (rows 41-80) failed: job array task " .. array
      .. "_0 FAILED", err, 1, true)
    -- the shards the other tasks ended are kept: the next run runs block 2 only
    local out
    out, err, code = zenml(dir, "run pipeline.lua", { ARRAY = "3" })
    assert.equals(0, code, err)
    assert.matches("shards: 1 block on job array", (zenml(dir, "run logs latest sums")), 1, true)
    assert.equals(local_ids():match("[^\n]*|sums\n"), outputs(dir))
  end)

  it("fails the step naming the reduce job and its log; the next run runs only the reduce", function()
    local dir = repo()
    local _, err, code = zenml(dir, "run pipeline.lua", { ARRAY = "3", FAIL_REDUCE = "1" })
    assert.equals(1, code)
    local id = latest_id(dir)
    local line = err:match("[^\n]*step 'sums' failed[^\n]*")
    assert.matches(("^zenml: step 'sums' failed: reduce of 4 shards failed: steps/sums.lua:%%d+: the reduce"
      .. " broke %%(reduce job %%d+ FAILED %%(exit code 1%%)%%); its log: %%.zenml/jobs/%s/sums%%-reduce%%.out$")
      :format(id:gsub("%-", "%%-")), line)
    assert.matches("zenml: reduce of 4 shards failed:", t.slurp(dir .. "/.zenml/jobs/" .. id .. "/sums-reduce.out"),
      1, true)
    -- every part is kept: the next run submits no array, only the reduce job
    assert.matches("1.json\n2.json\n3.json\n4.json\n", (t.sh("ls .zenml/shards/*-40/", { cwd = dir })), 1, true)
    local out
    out, err, code = zenml(dir, "run pipeline.lua", { ARRAY = "3" })
    assert.equals(0, code, err)
    assert.matches("1 ran, 3 cached", out, 1, true)
    assert.equals(local_ids():match("[^\n]*|sums\n"), outputs(dir))
    local logs = zenml(dir, "run logs latest sums")
    assert.is_nil(logs:find("job array", 1, true))
    assert.matches("reduce: job %d+, every block kept from an earlier run\n", logs)
    assert.matches("--- shard 4 of 4 (rows 121-150), kept from an earlier run ---", logs, 1, true)
    assert.equals("", (t.sh("ls .zenml/shards/", { cwd = dir })))
  end)

  it("predicts a BatchInference run's data in row blocks, to the frame of one worker", function()
    local dir = t.iris_repo({
      ["train.lua"] = t.iris_pipeline(),
      ["steps/p40.lua"] = 'local P = require("zenml.steps.inferrer").Predict:extend("P40")\n'
        .. "P.shard_rows = 40\nreturn P\n",
      ["score.lua"] = [[
local zenml = require "zenml"
local K = tonumber(os.getenv("ARRAY") or "0")
local B = K ~= 0 and zenml.backends.SlurmArray { shards = K, poll_interval = 0.2 } or nil
local p = zenml.pipelines.BatchInference { name = "score", model_run = "latest" }
p:add_datasource(zenml.datasources.CSV { name = "iris", path = "data/iris.csv" })
p:add_inferrer(require("p40") {}:with { processing = B })
p:run()
]] })
    local _, err, code = zenml(dir, "run train.lua")
    assert.equals(0, code, err)
    _, err, code = zenml(dir, "run score.lua")
    assert.equals(0, code, err)
    local whole = outputs(dir)
    _, err, code = zenml(dir, "run score.lua --no-cache", { ARRAY = "3" })
    assert.equals(0, code, err)
    assert.equals(whole, outputs(dir))
    assert.matches("inferrer %(P40%): completed, [%d.]+ s\n  shards   4 by rows of 40 on 3 array tasks\n",
      (zenml(dir, "run show latest")))
  end)

  it("transforms a preprocesser's splits in row blocks, to the ids of one worker", function()
    local dir = t.iris_repo({
      ["steps/std40.lua"] = 'local S = require("zenml.steps.preprocesser").Standard:extend("Std40")\n'
        .. "S.shard_rows = 40\nreturn S\n",
      ["train.lua"] = [[
local zenml = require "zenml"
local K = tonumber(os.getenv("ARRAY") or "0")
local B = K ~= 0 and zenml.backends.SlurmArray { shards = K, poll_interval = 0.2 } or nil
local p = zenml.pipelines.Training { name = "iris" }
p:add_datasource(zenml.datasources.CSV { name = "iris", path = "data/iris.csv" })
p:add_split(require("zenml.steps.split").Random { split_map = { train = 0.7, eval = 0.3 }, seed = 1 })
p:add_preprocesser(require("std40") { labels = { "species" } }:with { processing = B })
p:add_trainer(require("zenml.steps.trainer").Logistic {})
p:add_evaluator(require("zenml.steps.evaluator").Classification {})
p:run()
]] })
    local _, err, code = zenml(dir, "run train.lua")
    assert.equals(0, code, err)
    local whole = outputs(dir)
    _, err, code = zenml(dir, "run train.lua --no-cache", { ARRAY = "2" })
    assert.equals(0, code, err)
    assert.equals(whole, outputs(dir))
    local show = zenml(dir, "run show latest")
    assert.matches("shards   5 by rows of 40 on 2 array tasks\n           1: eval, 40 rows, ", show, 1, true)
    assert.matches("           5: train, 25 rows, ", show, 1, true)
  end)

  it("cancels the array when the step times out", function()
    local dir = repo()
    t.write(dir .. "/pipeline.lua", (PIPELINE:gsub('processing = B }, { data = "datasource.data" }%)\np:add%("pick"',
      'processing = B, timeout = 3 }, { data = "datasource.data" })\np:add("pick"', 1)))
    t.sh("git commit -qam timeout", { cwd = dir })
    local _, err, code = zenml(dir, "run pipeline.lua", { ARRAY = "2", SLEEP_SHARD = "2" })
    assert.equals(1, code)
    assert.matches("zenml: step 'sums' timed out after 3 s", err, 1, true)
    -- nothing of the run's array is left waiting or running
    local name = "|zenml%-" .. latest_id(dir):gsub("%-", "%%-") .. "%-sums%-shards|"
    local left
    for _ = 1, 50 do -- scancel's signal takes a moment to end the task
      left = t.sh("squeue -h -r --states=all -O 'State:|,Name:|'")
      if not left:find("RUNNING" .. name) then break end
      os.execute("sleep 0.1")
    end
    assert.matches("CANCELLED" .. name, left) -- the sleeping task, cancelled
    assert.is_nil(left:find("RUNNING" .. name))
    assert.is_nil(left:find("PENDING" .. name))
    assert.matches("CANCELLED" .. name:gsub("shards", "reduce"), left) -- its reduce job too
  end)

  it("refuses a shard count below 1 before anything runs", function()
    local dir = repo()
    local _, err, code = zenml(dir, "run pipeline.lua", { ARRAY = "-1" })
    assert.equals(1, code)
    assert.matches("SlurmArray: parameter 'shards' expects an integer >= 1", err, 1, true)
    assert.equals("0", (t.sql(dir, "SELECT count(*) AS n FROM runs"):match("%d+")))
  end)
end)
