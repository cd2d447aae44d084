-- Built-in trainers and evaluators run as the Training pipeline runs them
-- (split -> Standard -> trainer -> evaluator), with fixed seeds: quality,
-- determinism, metric names, and what bad input gets.
local zenml = require "zenml"
local split = require "zenml.steps.split"
local pre = require "zenml.steps.preprocesser"
local train = require "zenml.steps.trainer"
local eval = require "zenml.steps.evaluator"
local F = zenml.frame

local ctx = { log = function() end, progress = function() end }

local function err(fn, ...)
  local ok, msg = pcall(fn, ...)
  assert.is_false(ok)
  return (tostring(msg):gsub("^[^:]+:%d+: ", ""))
end

-- split -> preprocesser -> trainer -> evaluator on `data`.
local function pipeline(data, trainer, evaluator, labels, fractions)
  local splits = split.Random { split_map = fractions or { train = 0.7, eval = 0.3 }, seed = 42 }
    :run(ctx, { data = data })
  local p = pre.Standard { labels = labels }:run(ctx, { splits = splits })
  local transform = p.transform
  p.transform = nil
  local t = trainer:run(ctx, { splits = p, transform = transform })
  local m = evaluator:run(ctx, { predictions = t.predictions, splits = splits })
  return m.metrics, t
end

local function iris() return assert(F.read_csv("tests/data/iris.csv")) end

-- A deterministic pseudo-random stream (no dependence on math.random).
local function lcg(seed)
  local s = seed
  return function()
    s = (s * 6364136223846793005 + 1442695040888963407) & 0x7fffffffffffffff
    return (s >> 11) / (1 << 52)
  end
end

local function separable(n)
  local r, a, b, y = lcg(7), {}, {}, {}
  for i = 1, n do
    a[i], b[i] = r() * 4 - 2, r() * 4 - 2
    local m = a[i] + 2 * b[i]
    if math.abs(m) < 0.05 then a[i] = a[i] + (m < 0 and -0.1 or 0.1) end
    y[i] = (a[i] + 2 * b[i] > 0) and "pos" or "neg"
  end
  return F.from_table({ a = a, b = b, y = y }, { columns = { "a", "b", "y" } })
end

describe("trainers on iris, 70/30, seed 42", function()
  local labels = { "species" }
  it("FeedForward with its defaults reaches accuracy >= 0.93", function()
    local m, t = pipeline(iris(), train.FeedForward { seed = 1 }, eval.Classification {}, labels)
    assert.is_true(m.accuracy >= 0.93, tostring(m.accuracy))
    assert.equal(t.history.iterations, t.metrics.iterations)
    assert.is_true(t.metrics.converged == 0 or t.metrics.converged == 1)
  end)

  it("Logistic with its defaults fits to convergence and reaches accuracy >= 0.93", function()
    local m, t = pipeline(iris(), train.Logistic { seed = 1 }, eval.Classification {}, labels)
    assert.is_true(m.accuracy >= 0.93, tostring(m.accuracy))
    assert.equal(1, t.metrics.converged)
    assert.is_true(t.metrics.iterations > 1 and t.metrics.iterations < 100)
    assert.is_true(t.history.converged)
  end)

  it("Logistic by sgd trains a fixed number of epochs", function()
    local m, t = pipeline(iris(), train.Logistic { solver = "sgd", epochs = 200, lr = 0.05, seed = 1 },
      eval.Classification {}, labels)
    assert.is_true(m.accuracy >= 0.93, tostring(m.accuracy))
    assert.same({ iterations = 200 }, t.metrics)
  end)

  it("XGBoost reaches accuracy >= 0.93", function()
    local m = pipeline(iris(), train.XGBoost { max_depth = 3, eta = 0.1, seed = 1 },
      eval.Classification {}, labels)
    assert.is_true(m.accuracy >= 0.93, tostring(m.accuracy))
  end)

  it("gives the same model bytes for the same seed", function()
    local _, a = pipeline(iris(), train.FeedForward { hidden_layers = { 8 }, epochs = 20, seed = 3 },
      eval.Classification {}, labels)
    local _, b = pipeline(iris(), train.FeedForward { hidden_layers = { 8 }, epochs = 20, seed = 3 },
      eval.Classification {}, labels)
    assert.equal(a.model:save(), b.model:save())
    local _, c = pipeline(iris(), train.FeedForward { hidden_layers = { 8 }, epochs = 20, seed = 4 },
      eval.Classification {}, labels)
    assert.are_not.equal(a.model:save(), c.model:save())
  end)

  it("puts the true label in front of prediction and p_<class>", function()
    local _, t = pipeline(iris(), train.Logistic { seed = 1 }, eval.Classification {}, labels)
    assert.same({ "species", "prediction", "p_setosa", "p_versicolor", "p_virginica" },
      t.predictions:names())
    assert.equal(45, t.predictions:nrow())
    assert.is_table(t.history.train_loss)
  end)
end)

describe("Classification evaluator", function()
  it("records accuracy, per-class and macro metrics, confusion and slices", function()
    local m = pipeline(iris(), train.Logistic { seed = 1 },
      eval.Classification { slices = { "species" } }, { "species" })
    assert.is_number(m.accuracy)
    assert.is_number(m.macro_f1)
    assert.is_number(m.log_loss)
    assert.is_number(m.precision.setosa)
    assert.equal(45, m.count)
    local n = 0
    for _, row in pairs(m.confusion) do for _, c in pairs(row) do n = n + c end end
    assert.equal(45, n)
    local s = m.slices.species
    assert.equal(45, s.setosa.count + s.versicolor.count + s.virginica.count)
    assert.is_number(s.virginica.accuracy)
    local flat = require("zenml.engine.records").flatten_metrics(nil, m, {})
    assert.is_number(flat["slices.species.setosa.accuracy"])
    assert.is_number(flat["precision.versicolor"])
  end)

  it("slices by a raw column the transform replaced", function()
    local f = separable(400)
    local labels = {}
    for i, a in ipairs(f:col("a"):to_table()) do labels[i] = a > 0 and "right" or "left" end
    local g = require("zenml.steplib").hstack { f, F.from_table { side = labels } }
    local m = pipeline(g, train.Logistic { seed = 1 },
      eval.Classification { slices = { "side" } }, { "y" })
    assert.equal(m.count, m.slices.side.left.count + m.slices.side.right.count)
  end)

  it("gives ROC AUC for two classes and >= 0.99 accuracy on a separable set", function()
    local m = pipeline(separable(2000), train.Logistic { seed = 1 },
      eval.Classification {}, { "y" })
    assert.is_true(m.accuracy >= 0.99, tostring(m.accuracy))
    assert.is_true(m.roc_auc >= 0.99, tostring(m.roc_auc))
  end)

  it("says which slice column is missing, and which metric is unknown", function()
    assert.equal("Classification: slice column 'kind' not found; columns are: sepal_length, "
      .. "sepal_width, petal_length, petal_width, species",
      err(pipeline, iris(), train.Logistic { seed = 1 }, eval.Classification { slices = { "kind" } },
        { "species" }))
    assert.equal("Classification: parameter 'metrics' has unknown metric 'auc'; metrics are: "
      .. "accuracy, precision, recall, f1, macro_precision, macro_recall, macro_f1, roc_auc, "
      .. "log_loss, confusion", err(eval.Classification, { metrics = { "auc" } }))
  end)
end)

-- Least squares by the normal equations (Gauss-Jordan on the small system).
local function closed_form_r2(xs, y)
  local n, d = #y, #xs + 1
  local A, b = {}, {}
  for i = 1, d do A[i], b[i] = {}, 0 for j = 1, d do A[i][j] = 0 end end
  for r = 1, n do
    local row = { 1 }
    for j = 1, #xs do row[j + 1] = xs[j][r] end
    for i = 1, d do
      b[i] = b[i] + row[i] * y[r]
      for j = 1, d do A[i][j] = A[i][j] + row[i] * row[j] end
    end
  end
  for c = 1, d do
    for r = 1, d do
      if r ~= c then
        local k = A[r][c] / A[c][c]
        for j = 1, d do A[r][j] = A[r][j] - k * A[c][j] end
        b[r] = b[r] - k * b[c]
      end
    end
  end
  local w = {}
  for i = 1, d do w[i] = b[i] / A[i][i] end
  return w
end

describe("Regression", function()
  it("Linear: R² within 0.02 of the closed-form least squares fit", function()
    local r, x1, x2, y = lcg(11), {}, {}, {}
    for i = 1, 1000 do
      x1[i], x2[i] = r() * 10, r() * 5
      y[i] = 3 * x1[i] - 2 * x2[i] + 1 + (r() - 0.5) * 8
    end
    local data = F.from_table({ x1 = x1, x2 = x2, y = y }, { columns = { "x1", "x2", "y" } })
    local m, t = pipeline(data, train.Linear {}, eval.Regression {}, { "y" })
    -- the closed form on the same training rows, scored on the same eval rows
    local splits = split.Random { split_map = { train = 0.7, eval = 0.3 }, seed = 42 }
      :run(ctx, { data = data })
    local tr, ev = splits.train, splits.eval
    local w = closed_form_r2({ tr:col("x1"):to_table(), tr:col("x2"):to_table() },
      tr:col("y"):to_table())
    local e1, e2, ey = ev:col("x1"):to_table(), ev:col("x2"):to_table(), ev:col("y"):to_table()
    local mean, ss_res, ss_tot = 0, 0, 0
    for i = 1, #ey do mean = mean + ey[i] / #ey end
    for i = 1, #ey do
      local p = w[1] + w[2] * e1[i] + w[3] * e2[i]
      ss_res, ss_tot = ss_res + (ey[i] - p) ^ 2, ss_tot + (ey[i] - mean) ^ 2
    end
    local r2 = 1 - ss_res / ss_tot
    assert.is_true(math.abs(m.r2 - r2) <= 0.02, ("%g vs closed form %g"):format(m.r2, r2))
    assert.near(m.rmse, math.sqrt(m.mse), 1e-9)
    assert.is_number(m.mae)
    assert.same({ "y", "prediction" }, t.predictions:names())
  end)

  it("FeedForward fits numbers with a linear output", function()
    local r, x, y = lcg(5), {}, {}
    for i = 1, 500 do x[i] = r() * 2 - 1 y[i] = 2 * x[i] + 0.5 end
    local data = F.from_table({ x = x, y = y }, { columns = { "x", "y" } })
    local m = pipeline(data, train.FeedForward { seed = 1, loss = "mse" }, eval.Regression {}, { "y" })
    assert.is_true(m.r2 > 0.95, tostring(m.r2))
  end)
end)

describe("bad input to trainers", function()
  it("names a missing label column and lists the columns there are", function()
    local splits = split.Random { split_map = { train = 0.7, eval = 0.3 }, seed = 1 }
      :run(ctx, { data = iris() })
    assert.equal("Logistic: label column 'kind' not found; columns are: sepal_length, sepal_width, "
      .. "petal_length, petal_width, species",
      err(train.Logistic { label = "kind" }.run, train.Logistic { label = "kind" }, ctx,
        { splits = splits }))
  end)

  it("refuses NaN labels, naming the row", function()
    local f = F.from_table({ x = { 1, 2, 3, 4 }, y = { 1.5, 0 / 0, 2.5, 3 } }, { columns = { "x", "y" } })
    local t = train.Linear { label = "y" }
    assert.equal("Linear: label column 'y' has NaN at row 2",
      err(t.run, t, ctx, { splits = { train = f } }))
  end)

  it("refuses a parameter the chosen solver does not read, naming it", function()
    assert.equal('Logistic: parameter \'epochs\' applies to solver = "sgd" only; pass solver = "sgd" '
      .. 'to train by epochs (the default solver, "lbfgs", fits to convergence; see max_iter and tol)',
      err(train.Logistic, { epochs = 20, seed = 1 }))
    assert.equal('Logistic: parameter \'lr\' applies to solver = "sgd" only; pass solver = "sgd" '
      .. 'to train by epochs (the default solver, "lbfgs", fits to convergence; see max_iter and tol)',
      err(train.Logistic, { lr = 0.1 }))
    assert.equal('Logistic: parameter \'max_iter\' does not apply to solver = "sgd"',
      err(train.Logistic, { solver = "sgd", max_iter = 10 }))
    assert.equal('Linear: parameter \'batch_size\' applies to solver = "sgd" only; pass solver = "sgd" '
      .. 'to train by epochs (the default solver, "exact", solves least squares exactly)',
      err(train.Linear, { batch_size = 8 }))
    assert.equal("Logistic: parameter 'solver' expects one of lbfgs, sgd, got string \"newton\"",
      err(train.Logistic, { solver = "newton" }))
  end)

  it("asks for a label when neither the trainer nor the transform has one", function()
    local t = train.Logistic {}
    assert.equal("Logistic: no label column: give the preprocesser labels = { ... } or the trainer label = ...",
      err(t.run, t, ctx, { splits = { train = iris() } }))
  end)
end)
