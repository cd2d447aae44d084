--- zenml.ml: splits, preprocessing transforms, model training and metrics
--- over zenml frames. The heavy work is in C (src/frame/split.c,
--- src/ml/); this module validates arguments and gives the Lua interface.
--- docs/models.md describes every method, parameter and byte format.
---@class zenml.ml
local core = require "zenml._core"
local frame = require "zenml.frame"
local check = require "zenml.check"

local cm = core.ml
local M = {}

local sorted_keys = require("zenml.tables").sorted_keys

-- Argument n of fn as a column: a column object or a Lua array (nil holes
-- are nulls). `level`: the calls between fn and this one.
local function as_column(fn, n, name, v, level)
  check.arg(fn, n, name, v, "column|table", 1 + (level or 0))
  if frame.is_column(v) then return v end
  return frame.from_table({ v = v }):col("v")
end

-- splits --------------------------------------------------------------------

--- Split a frame's rows at random into named parts of exact sizes.
--- Names are sorted to fix the order of the weights, so the same seed gives
--- the same rows whatever order the table was written in.
---@param f userdata frame
---@param fractions table<string, number> e.g. { train = 0.7, eval = 0.3 }
---@param seed? integer default 0
---@return table<string, userdata> frames by name
function M.split_random(f, fractions, seed)
  check.args("ml.split_random", {
    { "f", f, "frame" }, { "fractions", fractions, "table" }, { "seed", seed, "integer?" } })
  local names, weights = sorted_keys(fractions), {}
  if #names == 0 then error("ml.split_random: expected at least one split, got an empty table", 2) end
  for i, name in ipairs(names) do
    if type(name) ~= "string" then
      error(check.message("ml.split_random", 2, "fractions", "split names (strings)", name), 2)
    end
    check.arg("ml.split_random", 2, "fractions." .. name, fractions[name], "number")
    local w = fractions[name]
    weights[i] = w
  end
  local parts = cm.split_random(f, weights, seed or 0)
  local out = {}
  for i, name in ipairs(names) do out[name] = parts[i] end
  return out
end

--- Partition rows by an assignment: a column name of f, a column, or an array.
--- String values name a part (nil/null drops the row); integers are 1-based
--- positions in names (0 or nil drops the row).
---@param f userdata frame
---@param assign string|userdata|any[]
---@param names string[] part names, in order
---@return table<string, userdata> frames by name
function M.partition(f, assign, names)
  check.args("ml.partition", { { "f", f, "frame" }, { "assign", assign, "string|column|table" },
    { "names", names, "table" } })
  if #names == 0 then error(check.message("ml.partition", 3, "names", "a list of part names", names,
    "an empty table"), 2) end
  for _, name in ipairs(names) do
    if type(name) ~= "string" then
      error(check.message("ml.partition", 3, "names", "part names (strings)", name), 2)
    end
  end
  local col
  if type(assign) == "string" then
    col = f:col(assign)
  else
    col = as_column("ml.partition", 2, "assign", assign)
  end
  local parts = cm.partition(f, col, names)
  local out = {}
  for i, name in ipairs(names) do out[name] = parts[i] end
  return out
end

-- transforms ------------------------------------------------------------------

local METHOD_KEYS = { method = "string", fill = "any", range = "table", n = "integer",
  top_k = "integer", oov_buckets = "integer" }

-- One spec table for the C side from a user's column options.
local function spec_for(name, o)
  local fn = "ml.fit_transform"
  if o == true then o = {} end
  if type(o) ~= "table" then
    error(("%s: expected options for feature '%s' (a table), got %s"):format(fn, name, type(o)), 4)
  end
  for k, v in pairs(o) do
    local want = METHOD_KEYS[k]
    if want == nil then
      error(("%s: unknown option '%s' for feature '%s'; known: fill, method, n, oov_buckets, range, top_k")
        :format(fn, tostring(k), name), 4)
    end
    if want ~= "any" and (want == "integer" and math.type(v) ~= "integer" or want ~= "integer" and type(v) ~= want) then
      error(("%s: option '%s' of feature '%s' must be %s, got %s"):format(fn, k, name,
        want == "integer" and "an integer" or "a " .. want, type(v)), 4)
    end
  end
  local s = { column = name, method = o.method, n = o.n, top_k = o.top_k, oov_buckets = o.oov_buckets }
  if o.range then s.lo, s.hi = o.range[1], o.range[2] end
  local fill = o.fill
  if type(fill) == "number" then
    s.fill, s.fill_value = "constant", fill
  elseif type(fill) == "table" then
    s.fill = "constant"
    if type(fill.constant) == "number" then s.fill_value = fill.constant
    elseif type(fill.constant) == "string" then s.fill_string = fill.constant
    else error(("%s: fill of feature '%s' must be a name, a number or { constant = v }"):format(fn, name), 4) end
  elseif fill ~= nil then
    if type(fill) ~= "string" then
      error(("%s: fill of feature '%s' must be a name, a number or { constant = v }"):format(fn, name), 4)
    end
    s.fill = fill
  end
  return s
end

--- Fit a preprocessing transform on a training frame.
--- spec.features: a list of column names (defaults by type: numbers get fill
--- mean + z_score, strings fill "" + vocabulary, bools 0/1), or a table
--- { name = { method = ..., fill = ..., range = {lo, hi}, n = .., top_k = ..,
--- oov_buckets = .. } } (columns then in sorted name order). spec.labels:
--- columns passed through unchanged.
---@param f userdata frame
---@param spec {features: string[]|table<string, table>, labels?: string[]}
---@return userdata transform with :apply(frame), :save(), :outputs(), :labels()
function M.fit_transform(f, spec)
  check.args("ml.fit_transform", { { "f", f, "frame" }, { "spec", spec, "table" } })
  local feats, specs = spec.features, {}
  check.fields("ml.fit_transform", 2, "spec", { { "features", feats, "table" } })
  if #feats > 0 then
    for _, name in ipairs(feats) do
      check.arg("ml.fit_transform", 2, "spec.features", name, "string")
      specs[#specs + 1] = { column = name }
    end
  else
    for _, name in ipairs(sorted_keys(feats)) do
      check.arg("ml.fit_transform", 2, "spec.features", name, "string")
      specs[#specs + 1] = spec_for(name, feats[name])
    end
  end
  local labels = spec.labels or {}
  if type(labels) == "string" then labels = { labels } end
  check.fields("ml.fit_transform", 2, "spec", { { "labels", labels, "table" } })
  return cm.fit_transform(f, specs, labels)
end

--- Load a transform from the bytes of transform:save().
---@param bytes string
---@return userdata transform
function M.load_transform(bytes)
  check.arg("ml.load_transform", 1, "bytes", bytes, "string")
  return cm.load_transform(bytes)
end

-- training -------------------------------------------------------------------

local COMMON = { epochs = "integer", batch_size = "integer", lr = "number", l2 = "number",
  optimizer = "string", seed = "integer" }
local XGB_KEYS = { max_depth = "integer", eta = "number", learning_rate = "number",
  gamma = "number", min_child_weight = "number", subsample = "number",
  colsample_bytree = "number", colsample_bylevel = "number", colsample_bynode = "number",
  lambda = "number", alpha = "number", objective = "string", eval_metric = "string",
  tree_method = "string", max_bin = "integer", scale_pos_weight = "number",
  nthread = "integer", max_delta_step = "number", grow_policy = "string",
  max_leaves = "integer", base_score = "number" }

local PARAMS = {
  logistic = setmetatable({ solver = "string", max_iter = "integer", tol = "number" },
    { __index = COMMON }),
  linear = setmetatable({ solver = "string" }, { __index = COMMON }),
  feedforward = setmetatable({ hidden = "table", activation = "string", dropout = "number",
    patience = "integer", val_fraction = "number", tol = "number" }, { __index = COMMON }),
  xgboost = setmetatable({ num_boost_round = "integer", seed = "integer" }, { __index = XGB_KEYS }),
}

local function known_names(kind)
  local names, t = {}, PARAMS[kind]
  for k in pairs(t) do names[#names + 1] = k end
  local base = getmetatable(t) and getmetatable(t).__index
  if base then for k in pairs(base) do if rawget(t, k) == nil then names[#names + 1] = k end end end
  table.sort(names)
  return table.concat(names, ", ")
end

local function check_params(kind, params)
  for _, k in ipairs(sorted_keys(params)) do
    local v, want = params[k], type(k) == "string" and PARAMS[kind][k] or nil
    if want == nil then
      error(("ml.train: unknown parameter '%s' for %s; known: %s"):format(tostring(k), kind,
        known_names(kind)), 3)
    end
    local ok = want == "integer" and math.type(v) == "integer" or want ~= "integer" and type(v) == want
    if not ok then
      error(("ml.train: parameter '%s' must be %s, got %s"):format(k,
        want == "integer" and "an integer" or "a " .. want, math.type(v) or type(v)), 3)
    end
  end
end

-- Parameters one solver reads and the others do not: giving them to another
-- solver is a mistake worth a message (epochs mean nothing to L-BFGS).
local SOLVER_ONLY = {
  logistic = { default = "lbfgs", sgd = { "batch_size", "epochs", "lr", "optimizer" },
    lbfgs = { "max_iter", "tol" } },
  linear = { default = "exact", sgd = { "batch_size", "epochs", "lr", "optimizer" } },
}

local function check_solver(kind, params)
  local rule = SOLVER_ONLY[kind]
  if not rule then return end
  local solver = params.solver or rule.default
  for other, keys in pairs(rule) do
    if other ~= "default" and other ~= solver then
      for _, k in ipairs(keys) do
        if params[k] ~= nil then
          error(("ml.train: parameter '%s' applies to solver '%s' only; pass solver = '%s'")
            :format(k, other, other), 3)
        end
      end
    end
  end
end

-- xgboost's own keys as sorted {key, "value"} pairs.
local function xgb_pairs(params)
  local pairs_ = {}
  for _, k in ipairs(sorted_keys(params)) do
    if XGB_KEYS[k] then
      local v = params[k]
      if math.type(v) == "integer" then v = ("%d"):format(v)
      elseif type(v) == "number" then v = ("%.17g"):format(v) end
      pairs_[#pairs_ + 1] = { k, v }
    end
  end
  return pairs_
end

local function infer_task(kind, f, label)
  if kind == "linear" then return "regression" end
  if kind == "logistic" then return "classification" end
  local col = f:col(label)
  local ty = col:type()
  if ty == "string" or ty == "bool" then return "classification" end
  if ty == "int64" and col:unique():nrow() <= 20 then return "classification" end
  return "regression"
end

--- Train a model on a frame.
---@param kind "logistic"|"linear"|"feedforward"|"xgboost"
---@param f userdata frame (numeric features; transform strings first)
---@param opts {label: string, features?: string[], task?: "classification"|"regression", params?: table, validation?: userdata}
---@return userdata model with :predict(frame), :save(), :history(), :info()
function M.train(kind, f, opts)
  if type(kind) ~= "string" or not PARAMS[kind] then
    error(check.message("ml.train", 1, "kind", "logistic, linear, feedforward or xgboost", kind,
      type(kind) == "string" and ("'" .. kind .. "'") or nil), 2)
  end
  check.args("ml.train", { { "kind", kind, "string" }, { "f", f, "frame" }, { "opts", opts, "table" } })
  local label = opts.label
  check.fields("ml.train", 3, "opts", { { "label", label, "string" },
    { "features", opts.features, "table?" }, { "params", opts.params, "table?" },
    { "validation", opts.validation, "frame?" } })
  local names = f:names()
  local has = {}
  for _, n in ipairs(names) do has[n] = true end
  if not has[label] then
    error(("ml.train: label column '%s' not found; columns are: %s%s"):format(label,
      table.concat(names, ", "), require("zenml.errors").did_you_mean(label, names)), 2)
  end
  local features = opts.features
  if features == nil then
    features = {}
    for _, n in ipairs(names) do if n ~= label then features[#features + 1] = n end end
  end
  local task = opts.task or infer_task(kind, f, label)
  if task ~= "classification" and task ~= "regression" then
    error(("ml.train: task must be 'classification' or 'regression', got %s"):format(tostring(task)), 2)
  end
  if (kind == "linear" and task ~= "regression") or (kind == "logistic" and task ~= "classification") then
    error(("ml.train: %s does %s only"):format(kind, kind == "linear" and "regression" or "classification"), 2)
  end
  local params = opts.params or {}
  check_params(kind, params)
  check_solver(kind, params)
  if opts.validation ~= nil then
    if kind ~= "feedforward" then
      error("ml.train: a validation frame is used by feedforward only (got kind " .. kind .. ")", 2)
    end
  end
  return cm.train(kind, f, features, label, task, params, opts.validation,
    kind == "xgboost" and xgb_pairs(params) or nil)
end

--- Load a model from the bytes of model:save(); it predicts on a frame alone.
---@param bytes string
---@return userdata model
function M.load_model(bytes)
  check.arg("ml.load_model", 1, "bytes", bytes, "string")
  return cm.load_model(bytes)
end

-- metrics ---------------------------------------------------------------------

-- predicted may be the frame model:predict returned: its prediction column
-- and, unless given, its p_<class> columns.
local function predicted_parts(fn, predicted, proba)
  check.arg(fn, 2, "predicted", predicted, "column|table|frame", 1)
  if frame.is_frame(predicted) then
    return predicted:col("prediction"), proba or predicted
  end
  return as_column(fn, 2, "predicted", predicted, 1), proba
end

--- Classification metrics: accuracy, per-class precision/recall/f1 (tables by
--- class name), their macro averages, confusion[true][predicted], classes;
--- with probabilities also log_loss, and roc_auc for two classes.
---@param truth userdata|any[] true labels (a column or an array)
---@param predicted userdata|any[] predicted labels, or the frame of model:predict
---@param probabilities? userdata frame with p_<class> columns
---@return table
function M.metrics_classification(truth, predicted, probabilities)
  local fn = "ml.metrics_classification"
  local t = as_column(fn, 1, "truth", truth)
  check.arg(fn, 3, "probabilities", probabilities, "frame?")
  local p, proba = predicted_parts(fn, predicted, probabilities)
  return cm.metrics_classification(t, p, proba)
end

--- Regression metrics: mse, rmse, mae, r2.
---@param truth userdata|any[]
---@param predicted userdata|any[] values, or the frame of model:predict
---@return table
function M.metrics_regression(truth, predicted)
  local fn = "ml.metrics_regression"
  local t = as_column(fn, 1, "truth", truth)
  local p = predicted_parts(fn, predicted)
  return cm.metrics_regression(t, p)
end

--- 1 when v is a model or transform userdata.
function M.is_model(v) return getmetatable(v) == cm.model_mt end
function M.is_transform(v) return getmetatable(v) == cm.transform_mt end

cm.model_mt.__name = "zenml.model"
cm.transform_mt.__name = "zenml.transform"
return M
