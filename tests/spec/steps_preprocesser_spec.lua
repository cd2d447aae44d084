-- The Standard preprocesser: defaults by type, overwrites, bad input.
local zenml = require "zenml"
local pre = require "zenml.steps.preprocesser"
local F = zenml.frame

local ctx = { log = function() end, progress = function() end }

local function err(fn, ...)
  local ok, msg = pcall(fn, ...)
  assert.is_false(ok)
  return (tostring(msg):gsub("^[^:]+:%d+: ", ""))
end

local function data()
  return F.from_table({
    x = { 1.0, 2.0, nil, 4.0, 5.0 }, cat = { "a", "b", "a", nil, "c" },
    flag = { true, false, true, true, false }, y = { 0, 1, 0, 1, 1 },
  }, { columns = { "x", "cat", "flag", "y" } })
end

local function run(step, splits) return step:run(ctx, { splits = splits }) end

describe("Standard preprocesser", function()
  it("fits on train only, applies to every split, and saves its transform", function()
    local train, eval = data(), data():head(2)
    local out = run(pre.Standard { features = { "x", "cat", "flag" }, labels = { "y" } },
      { train = train, eval = eval })
    assert.same({ "cat=", "cat=a", "cat=b", "cat=c", "flag", "x", "y" }, out.train:names())
    assert.equal(2, out.eval:nrow())
    -- x: mean fill (3) then z-score; the third row is the mean, so 0
    local x = out.train:col("x"):to_table()
    assert.near(0, x[3], 1e-12)
    assert.same({ 1, 0, 1, 1, 0 }, out.train:col("flag"):to_table())
    assert.same({ false, false, false, true, false }, out.train:col("cat="):to_table())
    local t = zenml.ml.load_transform(out.transform)
    assert.same({ "y" }, t:labels())
  end)

  it("uses every column but the labels when features are not given", function()
    local out = run(pre.Standard { labels = { "y" } }, { train = data() })
    assert.equal(7, out.train:ncol())
  end)

  it("takes a vocabulary above one_hot_max distinct values", function()
    local out = run(pre.Standard { features = { "cat" }, one_hot_max = 2 }, { train = data() })
    assert.same({ "cat" }, out.train:names())
  end)

  it("applies the methods and fills of overwrite", function()
    local out = run(pre.Standard { features = { "x", "cat" }, overwrite = {
      x = { method = "scale_to_0_1", fill = "constant", value = 0 },
      cat = { method = "hash_strings", n = 7 } } }, { train = data() })
    -- the fill comes first, then the scale fitted on the non-null values
    assert.same({ 0, 0.25, -0.25, 0.75, 1 }, out.train:col("x"):to_table())
    for _, v in ipairs(out.train:col("cat"):to_table()) do assert.is_true(v >= 0 and v < 7) end
    local b = run(pre.Standard { features = { "x" }, overwrite = {
      x = { method = "bucketize", n = 2, fill = "median" } } }, { train = data() })
    assert.same({ 0, 0, 1, 1, 1 }, b.train:col("x"):to_table())
  end)

  it("gives the same transform bytes for the same data", function()
    local a = run(pre.Standard { labels = { "y" } }, { train = data() })
    local b = run(pre.Standard { labels = { "y" } }, { train = data() })
    assert.equal(a.transform, b.transform)
  end)

  it("names a missing label column and lists the columns", function()
    assert.equal("Standard: column 'label' not found; columns are: x, cat, flag, y",
      err(run, pre.Standard { labels = { "label" } }, { train = data() }))
  end)

  it("refuses a numeric transform for a string feature", function()
    assert.equal("Standard: feature 'cat' is a string column; scale_to_z_score needs numbers "
      .. "(use one_hot, vocabulary or hash_strings)",
      err(run, pre.Standard { overwrite = { cat = { method = "scale_to_z_score" } } },
        { train = data() }))
  end)

  it("checks overwrite and names the missing train split", function()
    assert.equal("Standard: parameter 'overwrite' for column 'x': unknown method 'zscore'; methods are: "
      .. "bucketize, hash_strings, log, no_transform, one_hot, scale_by_min_max, scale_to_0_1, "
      .. "scale_to_z_score, vocabulary",
      err(pre.Standard, { overwrite = { x = { method = "zscore" } } }))
    assert.equal("Standard needs a split named 'train' to fit on; splits are: a, b",
      err(run, pre.Standard {}, { a = data(), b = data() }))
    assert.equal("Standard: overwrite names column 'zz', which is not a feature",
      err(run, pre.Standard { overwrite = { zz = { method = "log" } } }, { train = data() }))
  end)
end)
