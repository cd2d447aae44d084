--- Built-in evaluators, on zenml.steps.BaseEvaluatorStep. They read the
--- trainer's predictions frame (the true label first, then `prediction` and
--- the `p_<class>` probabilities), compute metrics in C (zenml.ml.metrics_*),
--- overall and per value of each slice column, and return them nested; the
--- number leaves go into the metadata store as `accuracy`,
--- `precision.setosa`, `slices.species.setosa.accuracy`, ...
---
---   Classification { slices = { "species" } }
---   Regression     { slices = { "region" } }
local zenml = require "zenml"
local steplib = require "zenml.steplib"

local BaseEvaluatorStep = zenml.steps.BaseEvaluatorStep
local M = {}

--- Most distinct values a slice column may have.
local MAX_SLICE_VALUES = 100

local function strings(v)
  for _, x in ipairs(v) do
    if type(x) ~= "string" then return "expects a list of column names" end
  end
end

local function fail(self, fmt, ...)
  require("zenml.errors").user("%s: " .. fmt, self:class_name(), ...)
end

local function has(frame, name)
  for _, n in ipairs(frame:names()) do if n == name then return true end end
  return false
end

--- The true label column of the predictions: the `label` parameter, else
--- the first column that is not a prediction.
local function label_of(self, predictions)
  local label = self.params.label
  if label then
    if not has(predictions, label) then
      fail(self, "label column '%s' not in the predictions; columns are: %s", label,
        table.concat(predictions:names(), ", "))
    end
    return label
  end
  for _, n in ipairs(predictions:names()) do
    if n ~= "prediction" and n:sub(1, 2) ~= "p_" then return n end
  end
  fail(self, "the predictions carry no label column; columns are: %s",
    table.concat(predictions:names(), ", "))
end

-- Text of a slice value, as it appears in metric names.
local function value_name(v)
  if math.type(v) == "integer" then return ("%d"):format(v) end
  return tostring(v)
end

--- The predictions split by the values of column `name` (taken from the
--- predictions when they hold it, else from the raw split): value -> frame.
local function slice_frames(self, predictions, raw, name)
  local source
  if has(predictions, name) then
    source = predictions
  elseif raw and has(raw, name) then
    source = steplib.hstack { raw:select { name }, predictions }
  else
    local cols = raw and raw:names() or predictions:names()
    fail(self, "slice column '%s' not found; columns are: %s%s", name, table.concat(cols, ", "),
      require("zenml.errors").did_you_mean(name, cols))
  end
  local col = source:col(name)
  if col:type() == "float64" then
    fail(self, "slice column '%s' is float64; slice by a string, integer or bool column", name)
  end
  local values = col:unique():col("value"):to_table()
  if #values > MAX_SLICE_VALUES then
    fail(self, "slice column '%s' has %d distinct values; at most %d can be sliced", name,
      #values, MAX_SLICE_VALUES)
  end
  local names, map = {}, {}
  for i, v in ipairs(values) do
    names[i] = value_name(v)
    map[v] = names[i]
  end
  if #names == 0 then return {} end
  return steplib.partition_values(source, name, names, map)
end

-- Metrics of every slice: { column = { value = metrics } }.
local function slice_metrics(self, predictions, raw, compute)
  local out = {}
  for _, name in ipairs(self.params.slices or {}) do
    out[name] = {}
    for value, f in pairs(slice_frames(self, predictions, raw, name)) do
      out[name][value] = compute(f)
    end
  end
  return next(out) and out or nil
end

-- Classification ---------------------------------------------------------------

local CLASSIFICATION = { "accuracy", "precision", "recall", "f1", "macro_precision",
  "macro_recall", "macro_f1", "roc_auc", "log_loss", "confusion" }

--- Accuracy, per-class and macro precision/recall/F1, ROC AUC (two classes),
--- log loss, the confusion matrix; per slice value: accuracy, macro
--- precision/recall/F1 and the row count.
local Classification = BaseEvaluatorStep:extend("Classification")
M.Classification = Classification
Classification.params = {
  label = { type = "string" },
  metrics = { type = "list", check = function(v)
    local known = {}
    for _, m in ipairs(CLASSIFICATION) do known[m] = true end
    for _, m in ipairs(v) do
      if not known[m] then
        return ("has unknown metric '%s'; metrics are: %s"):format(tostring(m),
          table.concat(CLASSIFICATION, ", "))
      end
    end
  end },
  slices = { type = "list", default = {}, check = strings },
}

local function slice_classification(label)
  return function(f)
    local r = zenml.ml.metrics_classification(f:col(label), f:col("prediction"))
    return { accuracy = r.accuracy, macro_precision = r.macro_precision,
      macro_recall = r.macro_recall, macro_f1 = r.macro_f1, count = f:nrow() }
  end
end

function Classification:evaluate(ctx, predictions, raw)
  local label = label_of(self, predictions)
  local all = zenml.ml.metrics_classification(predictions:col(label), predictions)
  local out = { count = predictions:nrow() }
  for _, m in ipairs(self.params.metrics or CLASSIFICATION) do out[m] = all[m] end
  out.classes = all.classes
  out.slices = slice_metrics(self, predictions, raw, slice_classification(label))
  ctx:log(("accuracy %.4f on %d rows"):format(all.accuracy, predictions:nrow()))
  return out
end

-- Regression ---------------------------------------------------------------------

--- MSE, RMSE, MAE and R², overall and per slice value.
local Regression = BaseEvaluatorStep:extend("Regression")
M.Regression = Regression
Regression.params = {
  label = { type = "string" },
  slices = { type = "list", default = {}, check = strings },
}

local function regression(label)
  return function(f)
    local r = zenml.ml.metrics_regression(f:col(label), f:col("prediction"))
    r.count = f:nrow()
    return r
  end
end

function Regression:evaluate(ctx, predictions, raw)
  local label = label_of(self, predictions)
  for _, n in ipairs { label, "prediction" } do
    local ty = predictions:col(n):type()
    if ty ~= "float64" and ty ~= "int64" then
      fail(self, "column '%s' of the predictions is %s; regression metrics need numbers (for classes, use Classification)",
        n, ty)
    end
  end
  local out = regression(label)(predictions)
  out.slices = slice_metrics(self, predictions, raw, regression(label))
  ctx:log(("r2 %.4f, rmse %.4g on %d rows"):format(out.r2, out.rmse, predictions:nrow()))
  return out
end

return M
