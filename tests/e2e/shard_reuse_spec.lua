-- Shards kept for a later run: after one shard of a map/reduce step failed,
-- the step's next run (a retry, or the next `zenml run`) runs only that
-- shard and reuses the parts the others kept, on one worker and on threads,
-- to the outputs of a run that never failed; the shard folder goes when the
-- step completes.
local t = require "tests.support"

-- Every map call appends its block to calls.txt; FAIL_SHARD=K breaks block K.
local COUNT = [[
local zenml = require "zenml"
local Count = zenml.Step:extend("Count")
Count.inputs = { data = "frame" }
Count.outputs = { total = "value" }
Count.shard_rows = 40
function Count:map(ctx, chunk)
  local f = assert(io.open(os.getenv("CALLS"), "a"))
  f:write(ctx.shard, "\n")
  f:close()
  if os.getenv("FAIL_SHARD") == tostring(ctx.shard) then error("block " .. ctx.shard .. " broke") end
  print("summing block " .. ctx.shard)
  local s = 0
  for _, v in ipairs(chunk:col("sepal_length"):to_table()) do s = s + v end
  return { sum = s, n = chunk:nrow() }
end
function Count:reduce(ctx, parts)
  local s, n = 0, 0
  for _, p in ipairs(parts) do s, n = s + p.sum, n + p.n end
  return { total = { sum = s, n = n } }
end
return Count
]]

-- Frames as parts: the default reduce stacks them.
local HEAD = [[
local zenml = require "zenml"
local Head = zenml.Step:extend("Head")
Head.inputs = { data = "frame" }
Head.outputs = { rows = "frame" }
Head.shard_rows = 50
function Head:map(ctx, chunk)
  if os.getenv("FAIL_SHARD") == tostring(ctx.shard) then error("block " .. ctx.shard .. " broke") end
  return chunk:select { "sepal_length", "species" }
end
return Head
]]

local PIPELINE = [[
local zenml = require "zenml"
local W = tonumber(os.getenv("WORKERS") or "1")
local T = W > 1 and zenml.backends.Threads { workers = W } or nil
local p = zenml.Pipeline { name = "keep" }
p:add_datasource(zenml.datasources.CSV { name = "iris", path = "data/iris.csv" })
p:add("count", require("count") {}:with { processing = T, retries = tonumber(os.getenv("RETRIES") or "0"),
  retry_on = { "any" }, retry_delay = 0 }, { data = "datasource.data" })
p:add("head", require("head") {}:with { processing = T }, { data = "datasource.data" })
p:run()
]]

local function calls(path)
  local out = {}
  for line in (t.slurp(path) or ""):gmatch("[^\n]+") do out[#out + 1] = tonumber(line) end
  table.sort(out)
  return out
end

local function outputs(dir)
  local out = {}
  local text = t.sql(dir, "SELECT e.step || '.' || v.name AS a, v.artifact AS b FROM executions e"
    .. " JOIN events v ON v.execution_id = e.id WHERE v.kind = 'output' AND e.step <> 'datasource'"
    .. " AND e.run_id = (SELECT id FROM runs ORDER BY started DESC LIMIT 1)")
  for line in text:gmatch("[^\n]+") do
    local k, id = line:match("^([^|]+)|(.+)$")
    out[k] = id
  end
  return out
end

local function repo()
  return t.iris_repo({ ["pipeline.lua"] = PIPELINE, ["steps/count.lua"] = COUNT, ["steps/head.lua"] = HEAD })
end

describe("shards kept for a later run", function()
  after_each(t.cleanup)

  local clean
  local function clean_ids()
    if not clean then
      local dir = repo()
      local _, err, code = t.zenml_run("run pipeline.lua", { cwd = dir, env = { CALLS = dir .. "/calls.txt" } })
      assert.equals(0, code, err)
      clean = outputs(dir)
    end
    return clean
  end

  for _, workers in ipairs({ 1, 2 }) do
    it(("runs only the failed shard again on the next run (%d worker%s)"):format(workers,
      workers == 1 and "" or "s"), function()
      local dir = repo()
      local env = { CALLS = dir .. "/calls.txt", WORKERS = tostring(workers), FAIL_SHARD = "3" }
      local _, err, code = t.zenml_run("run pipeline.lua", { cwd = dir, env = env })
      assert.equals(1, code)
      assert.matches("step 'count' failed: shard 3 of 4 (rows 81-120): map failed: ", err, 1, true)
      assert.matches("step 'head' failed: shard 3 of 3 (rows 101-150): map failed: ", err, 1, true)
      assert.same({ 1, 2, 3, 4 }, calls(dir .. "/calls.txt"))
      -- the blocks that ended are kept, named by content; the failed one is not
      local kept = t.sh("ls .zenml/shards/*-40/", { cwd = dir })
      assert.matches("1.json\n2.json\n4.json\n", kept, 1, true)
      assert.not_matches("3.json", kept, 1, true)
      os.remove(dir .. "/calls.txt")
      env.FAIL_SHARD = nil
      _, err, code = t.zenml_run("run pipeline.lua", { cwd = dir, env = env })
      assert.equals(0, code, err)
      assert.same({ 3 }, calls(dir .. "/calls.txt"))
      assert.same(clean_ids(), outputs(dir))
      local show = t.zenml_run("run show latest", { cwd = dir })
      assert.matches("1: 40 rows, [%d.]+ s, worker %d, kept from an earlier run\n", show)
      assert.matches("3: 40 rows, [%d.]+ s, worker %d\n", show)
      assert.matches("--- shard 1 of 4 (rows 1-40), kept from an earlier run ---\nsumming block 1\n",
        (t.zenml_run("run logs latest count", { cwd = dir })), 1, true)
      -- the step completed: its shard folders are gone
      assert.equals("", (t.sh("ls .zenml/shards/", { cwd = dir })))
    end)
  end

  it("lets a retry of the step reuse the shards its failed attempt kept", function()
    local dir = repo()
    -- block 3 fails once: the flag file is gone at the second attempt
    local count = COUNT:gsub('os.getenv%("FAIL_SHARD"%) == tostring%(ctx.shard%)',
      'ctx.shard == 3 and os.remove(os.getenv("CALLS") .. ".fail")')
    t.write(dir .. "/steps/count.lua", count)
    t.write(dir .. "/calls.txt.fail", "")
    t.sh("git add -A && git commit -qm 'fail once'", { cwd = dir })
    local _, err, code = t.zenml_run("run pipeline.lua", { cwd = dir,
      env = { CALLS = dir .. "/calls.txt", RETRIES = "1" } })
    assert.equals(0, code, err)
    assert.same({ 1, 2, 3, 3, 4 }, calls(dir .. "/calls.txt"))
    assert.equals(clean_ids()["count.total"], outputs(dir)["count.total"])
  end)

  it("lets zenml gc remove the parts a failed step kept", function()
    local dir = repo()
    local env = { CALLS = dir .. "/calls.txt", FAIL_SHARD = "3" }
    t.zenml_run("run pipeline.lua", { cwd = dir, env = env })
    local out, err, code = t.zenml_run("gc", { cwd = dir })
    assert.equals(0, code, err)
    assert.matches("and 2 temporary files", out, 1, true)
    assert.equals("", (t.sh("ls .zenml/shards/", { cwd = dir })))
    os.remove(dir .. "/calls.txt")
    env.FAIL_SHARD = nil
    _, err, code = t.zenml_run("run pipeline.lua", { cwd = dir, env = env })
    assert.equals(0, code, err)
    assert.same({ 1, 2, 3, 4 }, calls(dir .. "/calls.txt"))
  end)

  it("does not reuse a kept part whose bytes changed", function()
    local dir = repo()
    local env = { CALLS = dir .. "/calls.txt", FAIL_SHARD = "3" }
    t.zenml_run("run pipeline.lua", { cwd = dir, env = env })
    -- damage the frame parts of head: those blocks run again
    t.sh("for f in .zenml/shards/*/*.zmf; do printf x >> \"$f\"; done", { cwd = dir })
    env.FAIL_SHARD = nil
    local _, err, code = t.zenml_run("run pipeline.lua", { cwd = dir, env = env })
    assert.equals(0, code, err)
    assert.same(clean_ids(), outputs(dir))
    local show = t.zenml_run("run show latest", { cwd = dir })
    assert.not_matches("head[^\n]*\n[^\n]*\n[^\n]*kept from an earlier run", show)
  end)
end)
