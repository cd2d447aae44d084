-- Built-in split steps (zenml.steps.split) and the zenml.steplib kernels
-- they stand on, run as a pipeline would run them.
local zenml = require "zenml"
local split = require "zenml.steps.split"
local steplib = require "zenml.steplib"
local F = zenml.frame

local ctx = { log = function() end, progress = function() end }

local function err(fn, ...)
  local ok, msg = pcall(fn, ...)
  assert.is_false(ok)
  return (tostring(msg):gsub("^[^:]+:%d+: ", ""))
end

local function iris() return assert(F.read_csv("tests/data/iris.csv")) end

local function run(step, data) return step:run(ctx, { data = data }) end

describe("split steps", function()
  it("Random: exact sizes, the same rows for the same seed, other rows for another", function()
    local a = run(split.Random { split_map = { train = 0.7, eval = 0.3 }, seed = 42 }, iris())
    assert.equal(105, a.train:nrow())
    assert.equal(45, a.eval:nrow())
    local b = run(split.Random { split_map = { eval = 0.3, train = 0.7 }, seed = 42 }, iris())
    assert.same(a.eval:col("sepal_length"):to_table(), b.eval:col("sepal_length"):to_table())
    local c = run(split.Random { split_map = { train = 0.7, eval = 0.3 }, seed = 1 }, iris())
    assert.are_not.same(a.eval:col("sepal_length"):to_table(), c.eval:col("sepal_length"):to_table())
    local three = run(split.Random { split_map = { train = 0.6, eval = 0.2, test = 0.2 } }, iris())
    assert.equal(150, three.train:nrow() + three.eval:nrow() + three.test:nrow())
    assert.same({ "eval", "test", "train" },
      split.Random { split_map = { train = 0.6, eval = 0.2, test = 0.2 } }:split_names())
  end)

  it("Random: an empty split names the split and the rule", function()
    local f = F.from_table { x = { 1, 2, 3 } }
    assert.equal("split 'eval' is empty (Random fractions eval = 0.01, train = 0.99, seed 3)",
      err(run, split.Random { split_map = { train = 0.99, eval = 0.01 }, seed = 3 }, f))
  end)

  it("Random: checks its parameters", function()
    assert.equal("Random: parameter 'split_map' expects a fraction >= 0 for split 'train', got -1",
      err(split.Random, { split_map = { train = -1 } }))
    assert.equal("Random: parameter 'seed' expects an integer, got number 1.5",
      err(split.Random, { split_map = { train = 1 }, seed = 1.5 }))
    assert.equal("Random: parameter 'split_map' is required", err(split.Random, {}))
  end)

  it("CategoricalDomain: rows follow their value; unknown values skip or go to a split", function()
    local s = split.CategoricalDomain { column = "species",
      split_map = { train = { "setosa", "versicolor" }, eval = { "virginica" } } }
    local p = run(s, iris())
    assert.equal(100, p.train:nrow())
    assert.equal(50, p.eval:nrow())
    assert.same({ "virginica" }, p.eval:col("species"):unique():col("value"):to_table())
    local q = run(split.CategoricalDomain { column = "species",
      split_map = { train = { "setosa" } }, unknown = "rest" }, iris())
    assert.equal(50, q.train:nrow())
    assert.equal(100, q.rest:nrow())
    local r = run(split.CategoricalDomain { column = "species",
      split_map = { train = { "setosa" }, eval = { "versicolor" } } }, iris())
    assert.equal(100, r.train:nrow() + r.eval:nrow())
  end)

  it("CategoricalDomain: integer and boolean columns, nulls are unknown", function()
    local f = F.from_table({ k = { 1, 2, 3, 2, 1 }, b = { true, false, true, true, false },
      id = { 1, 2, 3, 4, 5 } })
    local p = run(split.CategoricalDomain { column = "k", split_map = { a = { 1, 3 }, b = { 2 } } }, f)
    assert.same({ 1, 3, 5 }, p.a:col("id"):to_table())
    assert.same({ 2, 4 }, p.b:col("id"):to_table())
    local q = run(split.CategoricalDomain { column = "b", split_map = { yes = { true }, no = { false } } }, f)
    assert.same({ 1, 3, 4 }, q.yes:col("id"):to_table())
  end)

  it("CategoricalDomain: a missing column lists the columns; an empty split names the rule", function()
    assert.equal("CategoricalDomain: column 'kind' not found; columns are: sepal_length, "
      .. "sepal_width, petal_length, petal_width, species",
      err(run, split.CategoricalDomain { column = "kind", split_map = { a = { "x" } } }, iris()))
    assert.equal("split 'eval' is empty (CategoricalDomain values of column 'species')",
      err(run, split.CategoricalDomain { column = "species",
        split_map = { train = { "setosa" }, eval = { "rose" } } }, iris()))
    assert.equal("CategoricalDomain: value setosa is in both split 'a' and split 'b'",
      err(run, split.CategoricalDomain { column = "species",
        split_map = { a = { "setosa" }, b = { "setosa" } } }, iris()))
  end)

  it("CategoricalRatio: categories dealt to splits by ratio, in list order", function()
    local s = split.CategoricalRatio { column = "species",
      categories = { "setosa", "versicolor", "virginica" }, split_map = { train = 2, eval = 1 } }
    local map = s:value_map()
    assert.same({ setosa = "eval", versicolor = "train", virginica = "train" }, map)
    local p = run(s, iris())
    assert.equal(50, p.eval:nrow())
    assert.equal(100, p.train:nrow())
  end)

  it("Time: ordered cut points, an open last split, strings compared bytewise", function()
    local f = F.from_table({ year = { 2018, 2019, 2020, 2021, 2022, 2023 },
      day = { "2018-01-02", "2019-05-01", "2020-01-01", "2021-07-07", "2022-02-02", "2023-03-03" } })
    local s = split.Time { column = "year", split_map = { train = 2020, eval = 2022, test = true } }
    assert.same({ "train", "eval", "test" }, s:split_names())
    local p = run(s, f)
    assert.same({ 2018, 2019 }, p.train:col("year"):to_table())
    assert.same({ 2020, 2021 }, p.eval:col("year"):to_table())
    assert.same({ 2022, 2023 }, p.test:col("year"):to_table())
    local q = run(split.Time { column = "day", split_map = { train = "2020-01-01", eval = "2022-01-01" } }, f)
    assert.same({ 2018, 2019 }, q.train:col("year"):to_table())
    assert.same({ 2020, 2021 }, q.eval:col("year"):to_table())
    assert.equal("Time: parameter 'split_map' allows one open split (true)",
      err(split.Time, { column = "year", split_map = { a = true, b = true } }))
    assert.equal("split 'train' is empty (Time column 'year': train < 1990, eval >= 1990)",
      err(run, split.Time { column = "year", split_map = { train = 1990, eval = true } }, f))
  end)

  it("NoSplit: every row in one split", function()
    local p = run(split.NoSplit {}, iris())
    assert.equal(150, p.train:nrow())
    assert.same({ "all" }, split.NoSplit { name = "all" }:split_names())
  end)

  it("a user's split on the base calls partition once per chunk", function()
    local Halves = zenml.steps.BaseSplitStep:extend("Halves")
    function Halves:split_names() return { "a", "b" } end
    local calls = 0
    function Halves:partition(frame)
      calls = calls + 1
      local out = {}
      for i, x in ipairs(frame:col("x"):to_table()) do out[i] = x % 2 == 0 and "a" or 2 end
      return out
    end
    Halves.chunk_rows = 4
    local f = F.from_table { x = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 } }
    local p = run(Halves {}, f)
    assert.equal(3, calls)
    assert.same({ 2, 4, 6, 8, 10 }, p.a:col("x"):to_table())
  end)
end)

describe("zenml.steplib", function()
  it("stacks frames side by side and refuses a name twice or unequal rows", function()
    local a = F.from_table { x = { 1, 2 } }
    local b = F.from_table { y = { "p", "q" } }
    local s = steplib.hstack { a, b }
    assert.same({ "x", "y" }, s:names())
    assert.same({ "p", "q" }, s:col("y"):to_table())
    assert.matches("column 'x' is in more than one frame", err(steplib.hstack, { a, a }), 1, true)
    assert.matches("frame 2 has 1 rows, frame 1 has 2",
      err(steplib.hstack, { a, F.from_table { z = { 1 } } }), 1, true)
  end)

  it("partitions by cut points, refusing cuts of the wrong kind", function()
    local f = F.from_table { v = { 0.5, 1.5, 2.5, 0 / 0 } }
    local p = steplib.partition_cuts(f, "v", { "lo", "hi" }, { 1 })
    assert.equal(1, p.lo:nrow())
    assert.equal(2, p.hi:nrow())
    assert.matches("column 'v' is float64; the cut points are strings",
      err(steplib.partition_cuts, f, "v", { "lo", "hi" }, { "a" }), 1, true)
    assert.equal("steplib.partition_cuts: cut points must ascend, got 2 then 1",
      err(steplib.partition_cuts, f, "v", { "a", "b", "c" }, { 2, 1 }))
  end)

  it("packs deterministic archives and unpacks them", function()
    local a = steplib.pack { { "a.txt", "hello" }, { "b.bin", ("\0"):rep(100) } }
    assert.equal(a, steplib.pack { { "a.txt", "hello" }, { "b.bin", ("\0"):rep(100) } })
    local path = os.tmpname()
    local fh = assert(io.open(path, "wb"))
    fh:write(a)
    fh:close()
    local files = assert(steplib.unpack(path))
    os.remove(path)
    assert.equal("hello", files["a.txt"])
    assert.equal(100, #files["b.bin"])
  end)
end)
