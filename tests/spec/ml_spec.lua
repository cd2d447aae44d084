-- zenml.ml: splits, transforms, training and metrics, run inside the zenml host.
local zenml = require "zenml"
local ml = zenml.ml
local F = zenml.frame

local function err(fn, ...)
  local ok, msg = pcall(fn, ...)
  assert.is_false(ok)
  return (tostring(msg):gsub("^[^:]+:%d+: ", ""))
end

local FEATURES = { "petal_length", "petal_width", "sepal_length", "sepal_width" }

-- iris 70/30 split, z-scored on the training part.
local function iris(seed)
  local f = assert(F.read_csv("tests/data/iris.csv"))
  local parts = ml.split_random(f, { train = 0.7, eval = 0.3 }, seed or 42)
  local t = ml.fit_transform(parts.train, { features = FEATURES, labels = { "species" } })
  return t:apply(parts.train), t:apply(parts.eval), t
end

describe("zenml.ml", function()
  it("splits exactly and deterministically", function()
    local f = assert(F.read_csv("tests/data/iris.csv"))
    local a = ml.split_random(f, { train = 0.7, eval = 0.3 }, 7)
    assert.equal(105, a.train:nrow())
    assert.equal(45, a.eval:nrow())
    local b = ml.split_random(f, { eval = 0.3, train = 0.7 }, 7)
    assert.same(a.eval:col("sepal_length"):to_table(), b.eval:col("sepal_length"):to_table())
    local c = ml.split_random(f, { train = 0.7, eval = 0.3 }, 8)
    assert.are_not.same(a.eval:col("sepal_length"):to_table(), c.eval:col("sepal_length"):to_table())
    assert.equal("ml.split_random: argument 2 (fractions.x): expected number, got string",
      err(ml.split_random, f, { x = "a" }, 1))
  end)

  it("partitions by a column, an array of names or part numbers", function()
    local f = F.from_table { x = { 1, 2, 3, 4 }, part = { "a", nil, "a", "b" } }
    local p = ml.partition(f, "part", { "a", "b" })
    assert.same({ 1, 3 }, p.a:col("x"):to_table())
    assert.same({ 4 }, p.b:col("x"):to_table())
    p = ml.partition(f, { 2, 0, 1, 1 }, { "one", "two" })
    assert.same({ 3, 4 }, p.one:col("x"):to_table())
    assert.same({ 1 }, p.two:col("x"):to_table())
    assert.equal("ml.partition: row 1 names part 'a', which is not in the names",
      err(ml.partition, f, "part", { "b" }))
  end)

  it("fits, applies, saves and reloads a transform", function()
    local f = F.from_table { x = { 1, 2, 3, nil, 4 }, cat = { "b", "a", "b", "c", "a" }, y = { 0, 1, 0, 1, 1 } }
    local t = ml.fit_transform(f, { features = { x = { method = "min_max", range = { -1, 1 }, fill = "median" },
      cat = { method = "one_hot" } }, labels = { "y" } })
    assert.same({ "cat=a", "cat=b", "cat=c", "x" }, t:outputs())
    local g = t:apply(f)
    assert.same({ "cat=a", "cat=b", "cat=c", "x", "y" }, g:names())
    assert.same({ false, true, false, false, true }, g:col("cat=a"):to_table())
    assert.equal("bool", g:col("cat=a"):type()) -- one_hot columns are bool, the others float64
    assert.equal("float64", g:col("x"):type())
    assert.same({ -1, 0.0 }, { g:col("x")[1], g:col("x")[4] }) -- median 2.5 -> 0
    assert.equal("int64", g:col("y"):type())
    local bytes = t:save()
    local u = ml.load_transform(bytes)
    assert.equal(bytes, u:save())
    assert.same(g:col("x"):to_table(), u:apply(f):col("x"):to_table())
  end)

  it("names the columns and the mismatch in transform errors", function()
    local f = F.from_table { a = { 1.5 }, b = { 2 }, cat = { "x" } }
    assert.equal("ml.fit_transform: column 'zz' not found; columns are: a, b, cat",
      err(ml.fit_transform, f, { features = { "zz" } }))
    assert.equal("ml.fit_transform: column 'cat' is string; z_score needs a number column",
      err(ml.fit_transform, f, { features = { cat = { method = "z_score" } } }))
    assert.equal("ml.fit_transform: unknown option 'bins' for feature 'a'; known: fill, method, n, oov_buckets, range, top_k",
      err(ml.fit_transform, f, { features = { a = { bins = 3 } } }))
    local t = ml.fit_transform(f, { features = { "a", "cat" } })
    assert.equal("transform:apply: frame does not match the transform: column 'a' is missing; column 'cat' is int64, was string when fitted",
      err(t.apply, t, F.from_table { cat = { 1 } }))
  end)

  local function accuracy(kind, params)
    local train, eval = iris()
    local m = ml.train(kind, train, { label = "species", params = params })
    local r = ml.metrics_classification(eval:col("species"), m:predict(eval))
    print(("iris %s: accuracy %.3f"):format(kind, r.accuracy))
    return r, m, eval
  end

  it("reaches >= 0.93 on iris with logistic regression's defaults (L-BFGS to convergence)", function()
    local r, m = accuracy("logistic", {})
    assert.is_true(r.accuracy >= 0.93)
    assert.same({ "setosa", "versicolor", "virginica" }, r.classes)
    local h = m:history()
    assert.is_true(h.converged)
    assert.is_true(h.iterations > 1 and h.iterations < 100)
    assert.equal(h.iterations, #h.train_loss)
    assert.equal("classification", m:info().task)
  end)

  it("reaches >= 0.93 on iris with logistic regression by sgd, which has no convergence test", function()
    local r, m = accuracy("logistic", { solver = "sgd", lr = 0.05, epochs = 200, seed = 1 })
    assert.is_true(r.accuracy >= 0.93)
    local h = m:history()
    assert.equal(200, #h.train_loss)
    assert.equal(200, h.iterations)
    assert.is_nil(h.converged)
  end)

  it("stops logistic regression at max_iter, not converged", function()
    local _, m = accuracy("logistic", { max_iter = 3 })
    assert.equal(3, m:history().iterations)
    assert.is_false(m:history().converged)
  end)

  it("reaches >= 0.93 on iris with a feed-forward network", function()
    local r = accuracy("feedforward", { hidden = { 16 }, lr = 0.01, epochs = 100, seed = 1 })
    assert.is_true(r.accuracy >= 0.93)
    assert.is_true(r.log_loss < 0.3)
  end)

  it("reaches >= 0.93 on iris with xgboost", function()
    local r = accuracy("xgboost", { max_depth = 3, eta = 0.1, num_boost_round = 100, seed = 1 })
    assert.is_true(r.accuracy >= 0.93)
  end)

  it("gives bit-identical bytes for the same seed and data, and loads them", function()
    for _, kind in ipairs { "logistic", "feedforward", "xgboost" } do
      local params = kind == "xgboost" and { num_boost_round = 20, seed = 3 }
        or kind == "logistic" and { solver = "sgd", epochs = 20, seed = 3 } or { epochs = 20, seed = 3 }
      local a = select(2, accuracy(kind, params)):save()
      local b = select(2, accuracy(kind, params)):save()
      assert.equal(a, b)
      local train, eval = iris()
      local loaded = ml.load_model(a)
      assert.same(FEATURES, loaded:info().features)
      local m = ml.train(kind, train, { label = "species", params = params })
      assert.same(m:predict(eval):col("prediction"):to_table(), loaded:predict(eval):col("prediction"):to_table())
    end
  end)

  it("learns a linearly separable set to >= 0.99, with binary metrics", function()
    local x1, x2, y = {}, {}, {}
    local state = 12345
    local function rnd()
      state = (state * 1103515245 + 12345) % 2147483648
      return state / 2147483648 * 2 - 1
    end
    for i = 1, 1000 do
      x1[i], x2[i] = rnd(), rnd()
      y[i] = x1[i] + 2 * x2[i] > 0.1 and "pos" or "neg"
    end
    local f = F.from_table { x1 = x1, x2 = x2, y = y }
    local parts = ml.split_random(f, { train = 0.8, test = 0.2 }, 5)
    -- rows come arbitrarily close to the boundary: a weak penalty (C = 100)
    local m = ml.train("logistic", parts.train, { label = "y", params = { l2 = 0.01 } })
    local r = ml.metrics_classification(parts.test:col("y"), m:predict(parts.test))
    assert.is_true(r.accuracy >= 0.99)
    assert.is_true(r.roc_auc >= 0.99)
    assert.same({ "neg", "pos" }, r.classes)
  end)

  it("fits linear regression to the closed-form R²", function()
    local x, y = {}, {}
    for i = 1, 50 do x[i] = i / 10; y[i] = 3 * x[i] + 1 + ((i * 7) % 5 - 2) / 10 end
    local f = F.from_table { x = x, y = y }
    local m = ml.train("linear", f, { label = "y" })
    assert.equal("regression", m:info().task)
    local r = ml.metrics_regression(f:col("y"), m:predict(f))
    -- closed form: slope = cov(x, y) / var(x), R² = cov² / (var(x) var(y))
    local mx, my = 0, 0
    for i = 1, 50 do mx, my = mx + x[i] / 50, my + y[i] / 50 end
    local sxy, sxx, syy = 0, 0, 0
    for i = 1, 50 do
      sxy = sxy + (x[i] - mx) * (y[i] - my)
      sxx = sxx + (x[i] - mx) ^ 2
      syy = syy + (y[i] - my) ^ 2
    end
    assert.is_true(math.abs(r.r2 - sxy * sxy / (sxx * syy)) < 1e-9)
    assert.is_true(math.abs(r.rmse - math.sqrt(r.mse)) < 1e-15)
  end)

  it("validates training options with exact messages", function()
    local train = iris()
    assert.equal("ml.train: unknown parameter 'foo' for logistic; known: batch_size, epochs, l2, lr, max_iter, optimizer, seed, solver, tol",
      err(ml.train, "logistic", train, { label = "species", params = { foo = 1 } }))
    assert.equal("ml.train: unknown parameter 'foo' for linear; known: batch_size, epochs, l2, lr, optimizer, seed, solver",
      err(ml.train, "linear", train, { label = "sepal_length", params = { foo = 1 } }))
    assert.equal("ml.train: parameter 'lr' applies to solver 'sgd' only; pass solver = 'sgd'",
      err(ml.train, "logistic", train, { label = "species", params = { lr = 0.1 } }))
    assert.equal("ml.train: parameter 'tol' applies to solver 'lbfgs' only; pass solver = 'lbfgs'",
      err(ml.train, "logistic", train, { label = "species", params = { solver = "sgd", tol = 0.1 } }))
    assert.equal("ml.train: parameter 'epochs' applies to solver 'sgd' only; pass solver = 'sgd'",
      err(ml.train, "linear", train, { label = "sepal_length", params = { epochs = 5 } }))
    assert.equal("ml.train: parameter 'epochs' must be an integer, got float",
      err(ml.train, "logistic", train, { label = "species", params = { solver = "sgd", epochs = 1.5 } }))
    assert.equal("ml.train: label column 'kind' not found; columns are: petal_length, petal_width, sepal_length, sepal_width, species",
      err(ml.train, "xgboost", train, { label = "kind" }))
    assert.equal("ml.train: argument 1 (kind): expected logistic, linear, feedforward or xgboost, got 'svm'",
      err(ml.train, "svm", train, { label = "species" }))
    local raw = assert(F.read_csv("tests/data/iris.csv"))
    assert.equal("ml.train: feature column 'species' is string; a model needs numbers (transform it first)",
      err(ml.train, "logistic", raw, { label = "sepal_length", task = "classification", features = { "species" } }))
    local holes = F.from_table { x = { 1.0, 2.0, 3.0 }, y = { "a", nil, "b" } }
    assert.equal("ml.train: label column 'y' has a null at row 2", err(ml.train, "logistic", holes, { label = "y" }))
    -- still usable afterwards
    assert.equal("classification", ml.train("logistic", train, { label = "species" }):info().task)
  end)
end)
