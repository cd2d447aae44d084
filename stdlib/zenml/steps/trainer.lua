--- Built-in trainers, on zenml.steps.BaseTrainerStep. The C side
--- (zenml.ml.train) turns the transformed splits into dense matrices, maps
--- labels to classes, seeds every random choice and fixes the order of every
--- floating-point sum, so the same data and seed give the same model bytes.
--- Their defaults follow scikit-learn's (LogisticRegression, MLPClassifier,
--- LinearRegression) and XGBoost's own, so passing nothing gives a model
--- fitted as those would fit it.
---
---   Logistic    { }                       -- L-BFGS to convergence, l2 = 1 (C = 1)
---   Logistic    { solver = "sgd", epochs = 5 }   -- mini-batches, for big data
---                 (on the Threads backend: blocks of rows on the workers,
---                 parameter mixing; docs/backends.md)
---   FeedForward { hidden_layers = { 16 }, seed = 1 }
---   Linear      { }                       -- exact least squares
---   XGBoost     { max_depth = 3, eta = 0.1, num_boost_round = 100 }
---
--- The label is the preprocesser's (`labels = { ... }`) unless `label` is
--- given; every other column is a feature.
local zenml = require "zenml"

local BaseTrainerStep = zenml.steps.BaseTrainerStep
local M = {}

local function positive(v) if v <= 0 then return "expects a number > 0" end end
local function non_negative(v) if v < 0 then return "expects a number >= 0" end end

-- Parameters of a gradient-trained model, with their defaults.
local function common(defaults)
  return {
    label = { type = "string" },
    epochs = { type = "integer", default = defaults.epochs, check = positive },
    batch_size = { type = "integer", default = defaults.batch_size, check = positive },
    lr = { type = "number", default = defaults.lr, check = positive },
    l2 = { type = "number", default = defaults.l2, check = non_negative },
    optimizer = { type = "string", default = "adam", values = { "adam", "sgd" } },
    seed = { type = "integer", default = 0 },
  }
end

-- Parameters only the "sgd" solver reads (no default here: the C side's
-- apply when the solver is sgd, and giving one to another solver is an error).
local SGD_ONLY = { "batch_size", "epochs", "lr", "optimizer" }

local function with_solver(params, default)
  params.solver = { type = "string", default = default, values = { default, "sgd" } }
  for _, k in ipairs(SGD_ONLY) do params[k].default = nil end
  return params
end

-- Refuse a parameter the chosen solver does not read: one line that names it.
local function check_solver(self, only, other_only)
  local p, name = self.params, self:class_name()
  if p.solver ~= "sgd" then
    for _, k in ipairs(SGD_ONLY) do
      if p[k] ~= nil then
        error(("%s: parameter '%s' applies to solver = \"sgd\" only; pass solver = \"sgd\" "
          .. "to train by epochs (the default solver, \"%s\", %s)"):format(name, k, p.solver,
          only), 0)
      end
    end
  else
    for _, k in ipairs(other_only or {}) do
      if p[k] ~= nil then
        error(("%s: parameter '%s' does not apply to solver = \"sgd\""):format(name, k), 0)
      end
    end
  end
end

local function names_of(frame)
  local set = {}
  for _, n in ipairs(frame:names()) do set[n] = true end
  return set
end

-- Check the label and return it with the feature columns (all the others).
local function columns(self, train)
  local labels, have = self:label_columns(), names_of(train)
  for _, l in ipairs(labels) do
    if not have[l] then
      require("zenml.errors").user("%s: label column '%s' not found; columns are: %s%s",
        self:class_name(), l, table.concat(train:names(), ", "), require("zenml.errors").did_you_mean(l, train:names()))
    end
  end
  if #labels > 1 then
    error(("%s trains on one label; got %s"):format(self:class_name(),
      table.concat(labels, ", ")), 0)
  end
  local is_label, features = {}, {}
  for _, l in ipairs(labels) do is_label[l] = true end
  for _, n in ipairs(train:names()) do
    if not is_label[n] then features[#features + 1] = n end
  end
  return labels[1], features
end

-- The subset of self.params that zenml.ml.train takes for `kind`.
local function train_params(self, keys)
  local out = {}
  for _, k in ipairs(keys) do out[k] = self.params[k] end
  return out
end

-- Parameter mixing (docs/backends.md, Threads) is a mode of the C trainer
-- that zenml.ml.train's checked parameters do not offer: its parameters
-- were checked by the step's own declarations, so they go straight to it.
local function train_mixed(kind, train, opts)
  local params = {}
  for k, v in pairs(opts.params) do params[k] = v end
  params.mix = true
  return require("zenml._core").ml.train(kind, train, opts.features, opts.label,
    "classification", params, nil, nil)
end

--- Shared fit: zenml.ml.train with the step's kind, task and parameters.
local function fit(self, kind, train, opts)
  local label, features = columns(self, train)
  opts.label, opts.features = label, features
  local ok, model = pcall(opts.mix and train_mixed or zenml.ml.train, kind, train, opts)
  if not ok then
    error(("%s: %s"):format(self:class_name(), tostring(model):gsub("^.-ml%.train: ", "")), 0)
  end
  return model, model:history()
end

-- FeedForward ------------------------------------------------------------------

--- A dense network in C on OpenBLAS. The output layer follows the label:
--- softmax for classes, one sigmoid unit for two, linear for numbers.
local FeedForward = BaseTrainerStep:extend("FeedForward")
M.FeedForward = FeedForward
-- scikit-learn's MLPClassifier: 100 relu units, Adam at 0.001, batches of
-- min(200, n), at most 200 epochs, stopping once the loss has not improved by
-- tol for n_iter_no_change epochs, a small L2 penalty
FeedForward.params = common { epochs = 200, lr = 0.001, batch_size = 200, l2 = 1e-4 }
FeedForward.params.hidden_layers = { type = "list", default = { 100 }, check = function(v)
  for _, n in ipairs(v) do
    if math.type(n) ~= "integer" or n < 1 then return "expects a list of layer widths (integers >= 1)" end
  end
end }
FeedForward.params.activation = { type = "string", default = "relu",
  values = { "relu", "tanh", "sigmoid" } }
FeedForward.params.loss = { type = "string", default = "auto",
  values = { "auto", "cross_entropy", "mse" } }
FeedForward.params.tol = { type = "number", default = 1e-4, check = non_negative }
FeedForward.params.n_iter_no_change = { type = "integer", default = 10, check = function(v)
  if v < 0 then return "expects a number of epochs >= 0 (0 = train every epoch)" end
end }
FeedForward.params.early_stopping = { type = "integer", default = 0, check = function(v)
  if v < 0 then return "expects the patience in epochs (0 = off)" end
end }
FeedForward.params.dropout = { type = "number", default = 0, check = function(v)
  if v < 0 or v >= 1 then return "expects a number in [0, 1)" end
end }

function FeedForward:fit(ctx, train, eval)
  local p = self.params
  local params = train_params(self, { "epochs", "batch_size", "lr", "l2", "optimizer", "seed",
    "activation", "dropout", "tol" })
  params.hidden = p.hidden_layers
  -- early stopping watches the eval split's loss; otherwise the training loss
  params.patience = p.early_stopping > 0 and p.early_stopping or p.n_iter_no_change
  local task = p.loss == "cross_entropy" and "classification" or p.loss == "mse" and "regression"
    or nil
  return fit(self, "feedforward", train, { task = task, params = params,
    validation = p.early_stopping > 0 and eval or nil })
end

-- Logistic / Linear ----------------------------------------------------------------

--- Logistic regression (sigmoid for two classes, softmax for more). By
--- default full-batch L-BFGS on the mean log loss + l2 / (2 n) |W|^2 until
--- the gradient is within tol (scikit-learn's LogisticRegression: lbfgs,
--- C = 1 / l2, tol, max_iter); `solver = "sgd"` trains by mini-batches for
--- `epochs` instead, for data too big for full passes.
local Logistic = BaseTrainerStep:extend("Logistic")
M.Logistic = Logistic
Logistic.params = with_solver(common { l2 = 1.0 }, "lbfgs")
Logistic.params.max_iter = { type = "integer", check = positive }
Logistic.params.tol = { type = "number", check = non_negative }

function Logistic:configure()
  check_solver(self, "fits to convergence; see max_iter and tol", { "max_iter", "tol" })
end

-- Under the Threads processing backend, SGD trains by parameter mixing:
-- fixed blocks of rows (by the row count, never the workers) on the
-- workers, averaged in block order after each epoch. Elsewhere it is one
-- sequential pass, as without a backend.
local function mixes(self, backend_name)
  return self.params.solver == "sgd" and backend_name == "threads"
end

function Logistic:shards_by(b)
  if mixes(self, b and b:backend_name() or "threads") then return "row blocks" end
end

function Logistic:fit(ctx, train, eval)
  return fit(self, "logistic", train, { params = train_params(self,
    { "solver", "max_iter", "tol", "epochs", "batch_size", "lr", "l2", "optimizer", "seed" }),
    mix = mixes(self, ctx.processing and ctx.processing.name) or nil })
end

--- Linear regression: exact least squares (ridge `l2`), or by SGD.
local Linear = BaseTrainerStep:extend("Linear")
M.Linear = Linear
Linear.params = with_solver(common { l2 = 1e-8 }, "exact")

function Linear:configure()
  check_solver(self, "solves least squares exactly")
end

function Linear:fit(ctx, train, eval)
  return fit(self, "linear", train, { params = train_params(self,
    { "solver", "epochs", "batch_size", "lr", "l2", "optimizer", "seed" }) })
end

-- XGBoost ---------------------------------------------------------------------------

--- Gradient-boosted trees through libxgboost's C API. Its own parameters
--- pass through unchanged (they override ours: nthread 1, the objective
--- from the label).
local XGBoost = BaseTrainerStep:extend("XGBoost")
M.XGBoost = XGBoost
XGBoost.params = {
  label = { type = "string" },
  num_boost_round = { type = "integer", default = 100, check = positive },
  seed = { type = "integer", default = 0 },
}
local XGB_PARAMS = {
  max_depth = "integer", eta = "number", learning_rate = "number", gamma = "number",
  min_child_weight = "number", subsample = "number", colsample_bytree = "number",
  colsample_bylevel = "number", colsample_bynode = "number", lambda = "number",
  alpha = "number", objective = "string", eval_metric = "string", tree_method = "string",
  max_bin = "integer", scale_pos_weight = "number", nthread = "integer",
  max_delta_step = "number", grow_policy = "string", max_leaves = "integer",
  base_score = "number",
}
for k, t in pairs(XGB_PARAMS) do XGBoost.params[k] = { type = t } end

function XGBoost:fit(ctx, train, eval)
  local params = {}
  for k, v in pairs(self.params) do if k ~= "label" then params[k] = v end end
  return fit(self, "xgboost", train, { params = params })
end

return M
