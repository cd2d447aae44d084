-- The Threads processing backend: the same artifact ids with 1, 2 and 7
-- workers (built-in steps and a custom step's map/reduce, on iris and on a
-- generated data set of 200,000 rows), the shards in the YAML and in
-- `run show`, shard logs in `run logs`, and bad input.
local t = require "tests.support"

-- A custom step: per-block sums of x0 (a table part), reduced in block order.
local SUMS = [[
local zenml = require "zenml"
local Sums = zenml.Step:extend("Sums")
Sums.inputs = { data = "frame" }
Sums.outputs = { total = "value" }
Sums.shard_rows = 50000
function Sums:map(ctx, chunk)
  local s = 0
  for _, v in ipairs(chunk:col("x0"):to_table()) do s = s + v end
  if ctx.shard == 2 then ctx:log("block two has " .. chunk:nrow() .. " rows") end
  return { sum = s, n = chunk:nrow() }
end
function Sums:reduce(ctx, parts)
  local s, n = 0, 0
  for _, p in ipairs(parts) do s, n = s + p.sum, n + p.n end
  return { total = { mean = s / n, n = n } }
end
return Sums
]]

-- A custom step whose map returns frames: the default reduce stacks them.
local PICK = [[
local zenml = require "zenml"
local Pick = zenml.Step:extend("Pick")
Pick.inputs = { data = "frame" }
Pick.outputs = { picked = "frame" }
Pick.shard_rows = 30000
function Pick:map(ctx, chunk)
  local mode = os.getenv("PICK_MODE")
  if mode == "string" then return "oops" end
  if mode == "columns" and ctx.shard == 3 then return chunk:select { "x0" } end
  return chunk:select { "x0", "cat" }
end
return Pick
]]

local function gen_csv(path, n)
  local f = assert(io.open(path, "w"))
  f:write("x0,x1,x2,x3,cat,y\n")
  local s = 12345
  local function r()
    s = (s * 1103515245 + 12345) % 2147483648
    return s / 2147483648
  end
  local cats = { "a", "b", "c", "d", "e" }
  for _ = 1, n do
    local x0, x1, x2, x3 = r() * 2 - 1, r() * 2 - 1, r() * 2 - 1, r() * 2 - 1
    local c = cats[math.floor(r() * 5) + 1]
    local y = (x0 + 0.5 * x1 - x2 + (c == "a" and 0.3 or 0) + (r() - 0.5)) > 0 and 1 or 0
    f:write(("%.6f,%.6f,%.6f,%.6f,%s,%d\n"):format(x0, x1, x2, x3, c, y))
  end
  f:close()
end

local function pipeline(csv)
  return ([[
local zenml = require "zenml"
local split = require "zenml.steps.split"
local pre   = require "zenml.steps.preprocesser"
local train = require "zenml.steps.trainer"
local eval  = require "zenml.steps.evaluator"
local stats = require "zenml.steps.statistics"
local W = tonumber(os.getenv("WORKERS"))
local T = zenml.backends.Threads { workers = W }
local p = zenml.pipelines.Training { name = "sh" }
p:add_datasource(zenml.datasources.CSV { name = "d", path = %q, processing = T })
p:add_split(split.Random { split_map = { train = 0.7, eval = 0.3 }, seed = 42, processing = T })
p:add_preprocesser(pre.Standard { labels = { "%s" }, processing = T })
p:add_trainer(train.Logistic { processing = T })
p:add_evaluator(eval.Classification { processing = T })
p:run()
]]):format(csv, csv:find("iris") and "species" or "y")
end

local CUSTOM = [[
local zenml = require "zenml"
local W = tonumber(os.getenv("WORKERS"))
local T = zenml.backends.Threads { workers = W }
local p = zenml.Pipeline { name = "custom" }
p:add_datasource(zenml.datasources.CSV { name = "d", path = "data/gen.csv" })
p:add("stats", require("zenml.steps.statistics").Statistics { processing = T }, { data = "datasource.data" })
p:add("sums", require("sums") { processing = T }, { data = "datasource.data" })
p:add("pick", require("pick") { processing = T }, { data = "datasource.data" })
p:run()
]]

-- Output artifact ids of the latest run: "step.output" -> id.
local function outputs(dir)
  local out = {}
  local text = t.sql(dir, "SELECT e.step || '.' || v.name AS a, v.artifact AS b FROM executions e"
    .. " JOIN events v ON v.execution_id = e.id WHERE v.kind = 'output' AND e.run_id = (SELECT id"
    .. " FROM runs ORDER BY started DESC LIMIT 1)")
  for line in text:gmatch("[^\n]+") do
    local k, id = line:match("^([^|]+)|(.+)$")
    out[k] = id
  end
  return out
end

local function run_with(files, workers, env)
  local dir = t.iris_repo(files)
  local out, err, code = t.zenml_run("run pipeline.lua", { cwd = dir,
    env = { WORKERS = tostring(workers), PICK_MODE = env } })
  return dir, out, err, code
end

local gen_path
local function generated()
  if not gen_path then
    gen_path = os.tmpname()
    gen_csv(gen_path, 200000)
  end
  return gen_path
end

local function files_with(text, gen)
  local files = { ["pipeline.lua"] = text, ["steps/sums.lua"] = SUMS, ["steps/pick.lua"] = PICK }
  if gen then files["data/gen.csv"] = t.slurp(generated()) end
  return files
end

describe("the Threads processing backend", function()
  after_each(t.cleanup)

  it("gives the same artifact ids with 1, 2 and 7 workers on iris", function()
    local ids = {}
    for _, w in ipairs({ 1, 2, 7 }) do
      local dir, _, err, code = run_with(files_with(pipeline("data/iris.csv")), w)
      assert.equals(0, code, err)
      ids[w] = outputs(dir)
    end
    assert.is_truthy(ids[1]["preprocesser.transform"])
    assert.same(ids[1], ids[2])
    assert.same(ids[1], ids[7])
  end)

  it("gives the same artifact ids with 1, 2 and 7 workers on 200,000 rows", function()
    local ids, dir = {}, nil
    for _, w in ipairs({ 1, 2, 7 }) do
      local files = files_with(pipeline("data/gen.csv"), true)
      local err, code
      dir, _, err, code = run_with(files, w)
      assert.equals(0, code, err)
      ids[w] = outputs(dir)
    end
    assert.is_truthy(ids[1]["split.train"])
    assert.same(ids[1], ids[2])
    assert.same(ids[1], ids[7])
    -- the YAML records the backend and what shards
    local yaml = t.sh("cat pipelines/sh_*.yaml", { cwd = dir })
    assert.matches("processing:%s+name: threads", yaml)
    assert.matches("shards:%s+by: columns%s+workers: 7", yaml)
    assert.matches("shards:%s+by: whole%s+workers: 1", yaml)
    local show = t.zenml_run("run show latest", { cwd = dir })
    -- the kernels' shards: columns each, per kernel and worker, with times
    -- the split stores row selections: nothing to shard
    assert.matches("split %(Random%): completed, [%d.]+ s\n  params   [^\n]*\n  shards   none: runs whole on one worker %(threads%)\n", show)
    assert.matches("preprocesser %(Standard%): completed, [%d.]+ s\n  params   [^\n]*\n  shards   %d+ by columns on %d+ workers? %(threads%)\n"
      .. "           1: fit, %d+ columns?, [%d.]+ s, worker 1\n", show)
    assert.matches("\n           %d+: apply, %d+ columns?, [%d.]+ s, worker %d+\n", show)
    assert.matches("shards   by byte ranges on 7 workers (threads)", show, 1, true)
    assert.matches("trainer %(Logistic%): completed, [%d.]+ s\n  shards   none: runs whole on one worker %(threads%)\n", show)
  end)

  it("trains SGD by mixing row blocks to the same ids with 1, 2 and 7 workers", function()
    local sgd = pipeline("data/gen.csv"):gsub("train%.Logistic { processing = T }",
      'train.Logistic { solver = "sgd", epochs = 2, processing = T }')
    local ids, dir = {}, nil
    for _, w in ipairs({ 1, 2, 7 }) do
      local err, code
      dir, _, err, code = run_with(files_with(sgd, true), w)
      assert.equals(0, code, err)
      ids[w] = outputs(dir)
    end
    assert.is_truthy(ids[1]["trainer.model"])
    assert.same(ids[1], ids[2])
    assert.same(ids[1], ids[7])
    local yaml = t.sh("cat pipelines/sh_*.yaml", { cwd = dir })
    assert.matches("shards:%s+by: row blocks%s+workers: 7", yaml)
    local show = t.zenml_run("run show latest", { cwd = dir })
    assert.matches("trainer %(Logistic%): completed, [%d.]+ s\n[^\n]*\n?%s*shards   by row blocks on 7 workers %(threads%)", show)
    -- without a processing backend the trainer makes its one sequential pass
    local plain = sgd:gsub('epochs = 2, processing = T', 'epochs = 2')
    local err, code
    dir, _, err, code = run_with(files_with(plain, true), 2)
    assert.equals(0, code, err)
    local local_ids = outputs(dir)
    assert.equals(ids[1]["preprocesser.train"], local_ids["preprocesser.train"])
    assert.are_not.equals(ids[1]["trainer.model"], local_ids["trainer.model"])
    -- so the two key apart: the mixing run in the same repository trains
    -- again instead of reusing the one-pass model, and explain says why
    t.write(dir .. "/pipeline.lua", sgd)
    t.sh("git commit -qam mix", { cwd = dir })
    _, err, code = t.zenml_run("run pipeline.lua", { cwd = dir, env = { WORKERS = "2" } })
    assert.equals(0, code, err)
    assert.equals(ids[1]["trainer.model"], outputs(dir)["trainer.model"])
    assert.matches("  processing: one pass -> row blocks\n",
      (t.zenml_run("run explain latest trainer", { cwd = dir })), 1, true)
  end)

  it("runs a custom step's map/reduce to the same ids with 1, 2 and 7 workers", function()
    local ids, dir = {}, nil
    for _, w in ipairs({ 1, 2, 7 }) do
      local err, code
      dir, _, err, code = run_with(files_with(CUSTOM, true), w)
      assert.equals(0, code, err)
      ids[w] = outputs(dir)
    end
    assert.is_truthy(ids[1]["sums.total"])
    assert.is_truthy(ids[1]["pick.picked"])
    assert.same(ids[1], ids[2])
    assert.same(ids[1], ids[7])
    local show = t.zenml_run("run show latest", { cwd = dir })
    assert.matches("shards   4 by rows of 50000 on 4 workers", show, 1, true)
    assert.matches("shards   7 by rows of 30000 on 7 workers", show, 1, true)
    local logs = t.zenml_run("run logs latest sums", { cwd = dir })
    assert.matches("--- shard 2 of 4 (rows 50001-100000) ---\nblock two has 50000 rows", logs, 1, true)
    local yaml = t.sh("cat pipelines/custom_*.yaml", { cwd = dir })
    assert.matches("shards:%s+by: rows%s+workers: 7%s+block_rows: 50000", yaml)
    -- the stacked frame holds every row, in order
    local code = ('local f = require("zenml.frame").read(require("zenml").repo():store():path(%q)) '
      .. 'io.write(f:nrow(), " ", table.concat(f:names(), ","))'):format(ids[7]["pick.picked"])
    assert.equals("200000 x0,cat", (t.zenml_run("-e " .. t.q(code), { cwd = dir })))
  end)

  it("shards under the parallel orchestrator too, to the same ids", function()
    local dir1, _, err1, code1 = run_with(files_with(CUSTOM, true), 1)
    assert.equals(0, code1, err1)
    local dir2 = t.iris_repo(files_with(CUSTOM, true))
    local _, err2, code2 = t.zenml_run("run pipeline.lua -j 2", { cwd = dir2, env = { WORKERS = "2" } })
    assert.equals(0, code2, err2)
    assert.same(outputs(dir1), outputs(dir2))
    assert.matches("shards   4 by rows of 50000 on 2 workers", (t.zenml_run("run show latest", { cwd = dir2 })), 1, true)
  end)

  it("gives a step its processing backend in ctx.processing", function()
    local files = {
      ["steps/sq.lua"] = "return { square = function(i, arg) return tostring(i * i * tonumber(arg)) end }\n",
      ["steps/use_map.lua"] = [[
local zenml = require "zenml"
local UseMap = zenml.Step:extend("UseMap")
UseMap.outputs = { out = "value" }
function UseMap:run(ctx)
  local got = ctx.processing.map(5, "sq.square", "2")
  return { out = { name = ctx.processing.name, workers = ctx.processing.workers, got = got } }
end
return UseMap
]],
      ["pipeline.lua"] = [[
local zenml = require "zenml"
local p = zenml.Pipeline { name = "m" }
p:add("a", require("use_map") { processing = zenml.backends.Threads { workers = 3 } })
p:add("b", require("use_map") { cache = false })
p:run()
]],
    }
    local dir = t.iris_repo(files)
    local _, err, code = t.zenml_run("run pipeline.lua", { cwd = dir })
    assert.equals(0, code, err)
    local script = 'local r = require("zenml").repo() for _, s in ipairs { "a", "b" } do '
      .. 'local id = r:meta():query("SELECT v.artifact AS a FROM events v JOIN executions e ON '
      .. 'v.execution_id = e.id WHERE v.kind = \'output\' AND e.step = \'" .. s .. "\'")[1].a '
      .. 'local v = require("zenml.artifacts").load(r, "value", id) '
      .. 'io.write(s, " ", v.name, " ", v.workers, " ", table.concat(v.got, ","), "\\n") end'
    assert.equals("a threads 3 2,8,18,32,50\nb local 1 2,8,18,32,50\n",
      (t.zenml_run("-e " .. t.q(script), { cwd = dir })))
  end)

  it("records a datasource that is not a CSV as running whole", function()
    local files = {
      ["data/d.jsonl"] = '{"a": 1}\n{"a": 2}\n',
      ["pipeline.lua"] = [[
local zenml = require "zenml"
local p = zenml.Pipeline { name = "j" }
p:add_datasource(zenml.datasources.JSONLines { name = "j", path = "data/d.jsonl" },
  { processing = zenml.backends.Threads { workers = 2 } })
p:run()
]],
    }
    local dir = t.iris_repo(files)
    local _, err, code = t.zenml_run("run pipeline.lua", { cwd = dir })
    assert.equals(0, code, err)
    local yaml = t.sh("cat pipelines/j_*.yaml", { cwd = dir })
    assert.matches("shards:%s+by: whole%s+workers: 1", yaml)
  end)

  it("reads a folder of files on the workers to the same ids with 1, 2 and 7 workers", function()
    local files = {
      ["pipeline.lua"] = [[
local zenml = require "zenml"
local p = zenml.Pipeline { name = "imgs" }
p:add_datasource(zenml.datasources.Files { name = "imgs", path = "imgs",
  processing = zenml.backends.Threads { workers = tonumber(os.getenv("WORKERS")) } })
p:run()
]],
      ["imgs/top.txt"] = "at the top\n",
      ["imgs/empty/none.bin"] = "",
    }
    -- 40 files in 3 folders, one over 4 MiB (its id hashes blocks)
    for i = 1, 40 do
      files[("imgs/%s/f%02d.bin"):format(({ "cat", "dog", "owl" })[i % 3 + 1], i)] =
        ("%d:"):format(i):rep(i == 7 and 2500000 or 50 * i)
    end
    local ids, dir = {}, nil
    for _, w in ipairs({ 1, 2, 7 }) do
      dir = t.iris_repo(files)
      local _, err, code = t.zenml_run("run pipeline.lua", { cwd = dir, env = { WORKERS = tostring(w) } })
      assert.equals(0, code, err)
      local data = outputs(dir)["datasource.data"]
      ids[w] = t.zenml_run("-e " .. t.q(([[
local zenml = require "zenml"
local repo = zenml.repo()
local f = assert(zenml.frame.read(repo:store():path("%s")))
io.write("%s ", f:nrow(), " ", table.concat(f:names(), ","), " ", f:col("label"):to_table()[1], "|",
  f:col("path"):to_table()[28], "|", f:col("size"):to_table()[16], "|", #f:col("bytes"):to_table()[7], "\n")
]]):format(data, data)), { cwd = dir })
      local show = t.zenml_run("datasource show imgs --json", { cwd = dir })
      ids[w] = ids[w]:gsub("\n$", "") .. " " .. tostring(show:match('"tree": *"([^"]+)"'))
    end
    assert.matches("^sha256:%x+ 42 path,size,bytes,label ", ids[1])
    -- sorted by path: cat/ (13 files), dog/ (14, f07 of 5,000,000 bytes 16th), empty/none.bin
    assert.matches(" cat|empty/none.bin|5000000|3150 sha256:", ids[1], 1, true)
    assert.matches(" sha256:%x+$", ids[1])
    assert.same(ids[1], ids[2])
    assert.same(ids[1], ids[7])
    local yaml = t.sh("cat pipelines/imgs_*.yaml", { cwd = dir })
    assert.matches("shards:%s+by: files%s+workers: 7", yaml)
    local show = t.zenml_run("run show latest", { cwd = dir })
    assert.matches("shards   by files on 7 workers (threads)", show, 1, true)
  end)

  it("refuses fewer than one worker before anything runs", function()
    local text = CUSTOM:gsub("workers = W", "workers = 0")
    local dir = t.iris_repo(files_with(text))
    local _, err, code = t.zenml_run("run pipeline.lua", { cwd = dir })
    assert.equals(1, code)
    assert.equals("zenml: pipeline.lua:3: Threads: parameter 'workers' expects an integer >= 1\n", err)
  end)

  it("fails the step naming the shard when map returns the wrong type", function()
    local dir, _, err, code = run_with(files_with(CUSTOM, true), 2, "string")
    assert.equals(1, code)
    assert.matches("step 'pick' failed: shard 1 of 7 (rows 1-30000): map returned a string; "
      .. "map must return a frame or a table", err, 1, true)
    assert.equals("failed\n", t.sql(dir, "SELECT status AS s FROM executions WHERE step = 'pick'"))
  end)

  it("fails the step naming the shard whose frame has other columns", function()
    local _, _, err, code = run_with(files_with(CUSTOM, true), 2, "columns")
    assert.equals(1, code)
    assert.matches("step 'pick' failed: shard 3 of 7 (rows 60001-90000): map returned a frame "
      .. "with columns x0; shard 1 returned x0, cat", err, 1, true)
  end)

  it("fails the step when reduce fails", function()
    local bad = SUMS:gsub("s, n = s %+ p.sum", "s, n = s + p.missing")
    local files = files_with(CUSTOM, true)
    files["steps/sums.lua"] = bad
    local dir = t.iris_repo(files)
    local _, err, code = t.zenml_run("run pipeline.lua", { cwd = dir, env = { WORKERS = "2" } })
    assert.equals(1, code)
    assert.matches("step 'sums' failed: reduce of 4 shards failed: ", err, 1, true)
    assert.matches("sums.lua:%d+: attempt to perform arithmetic on a nil value", err)
  end)
end)
