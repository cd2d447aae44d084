--- The base step classes (docs/steps.md). Each does its data movement in C
--- (frames, partitions, transforms, models are C objects) and calls a few Lua
--- hooks that a subclass overrides. Built-in steps in stdlib/ derive from
--- these exactly as a user's steps/ do.
local step = require "zenml.step"
local errors = require "zenml.errors"

local Step = step.Step
local M = {}

local function class_name(self) return getmetatable(self).__name end

local function must(self, hook)
  errors.user("%s must implement %s", class_name(self), hook)
end

local sorted = require("zenml.tables").sorted_keys

-- The frame outputs of upstream steps (for steps whose outputs follow them).
local function frame_outputs(upstream)
  local names = {}
  for _, up in ipairs(upstream) do
    for name, kind in pairs(up:output_spec()) do
      if step.parse_type(kind) == "frame" then names[#names + 1] = name end
    end
  end
  table.sort(names)
  return names
end

-- Frames and models are C memory behind small userdata, so Lua's collector
-- does not feel their weight: the frames an earlier step returned (already
-- stored) can stay mapped for several steps. A full collection costs about
-- a millisecond on a step's small Lua heap; each base does one first.
local function release_garbage() collectgarbage("collect") end

-- Split ----------------------------------------------------------------------

local BaseSplitStep = Step:extend("BaseSplitStep")
M.BaseSplitStep = BaseSplitStep
-- no `shards`: a split of a stored frame stores its parts as row selections
-- of it (frame/rowsel.h), one pass over the assignment and nothing copied,
-- so the step runs whole
BaseSplitStep.inputs = { data = { type = "frame", required = true } }

--- Rows handed to `partition` at a time.
BaseSplitStep.chunk_rows = 65536

--- The names of the splits, in order (e.g. { "train", "eval" }).
function BaseSplitStep:split_names() must(self, "split_names()") end

--- Vectorized hook: given a chunk of rows (a frame), return for each row the
--- split it goes to: a split name or number (1-based), or nil to drop it, as a
--- Lua array or a column.
function BaseSplitStep:partition(frame) must(self, "partition(frame)") end

--- A short description of the rule, named when a split comes out empty.
function BaseSplitStep:rule()
  return require("zenml.json").encode(self.params)
end

function BaseSplitStep:output_spec()
  if self._outputs then return self._outputs end
  local out = {}
  for _, n in ipairs(self:split_names()) do out[n] = "frame" end
  return out
end

--- The split number (1-based, 0 = drop) of every row, calling `partition`
--- once per chunk of `chunk_rows` rows.
function BaseSplitStep:assign(ctx, data)
  local names = self:split_names()
  local index = {}
  for i, n in ipairs(names) do index[n] = i end
  local n, assign = data:nrow(), {}
  local chunk = self.chunk_rows
  for first = 1, n, chunk do
    local last = math.min(n, first + chunk - 1)
    local part = self:partition(data:slice(first, last))
    local len = type(part) == "table" and #part or (part and #part or 0)
    if len ~= last - first + 1 then
      errors.user("%s:partition returned %d values for a chunk of %d rows", class_name(self),
        len, last - first + 1)
    end
    for i = 1, len do
      local v = part[i]
      local k = v == nil and 0 or index[v] or (math.type(v) == "integer" and v >= 1 and
        v <= #names and v) or errors.user("%s:partition: row %d: unknown split %s; splits are: %s%s",
          class_name(self), first + i - 1, tostring(v), table.concat(names, ", "),
          errors.did_you_mean(tostring(v), names))
      assign[first + i - 1] = k
    end
    ctx:progress(last, n)
  end
  return assign
end

--- The frames of the splits by name. By default the rows go where
--- `partition` sends them; a split whose rule a C kernel computes
--- (zenml.ml.split_random, zenml.steplib.partition_values/partition_cuts)
--- overrides this instead and never walks rows in Lua.
function BaseSplitStep:parts(ctx, data)
  return require("zenml.ml").partition(data, self:assign(ctx, data), self:split_names())
end

function BaseSplitStep:run(ctx, inputs)
  release_garbage()
  local names = self:split_names()
  local parts = self:parts(ctx, inputs.data)
  for _, name in ipairs(names) do
    if parts[name]:nrow() == 0 then
      errors.user("split '%s' is empty (%s %s)", name, class_name(self), self:rule())
    end
  end
  return parts
end

-- Preprocesser -------------------------------------------------------------------

local BasePreprocesserStep = Step:extend("BasePreprocesserStep")
M.BasePreprocesserStep = BasePreprocesserStep
BasePreprocesserStep.shards = "columns" -- its kernels' columns go to the processing workers
BasePreprocesserStep.inputs = { splits = { type = "frame{}", required = true } }

function BasePreprocesserStep:connect(input, upstream)
  if input == "splits" then self._split_names = frame_outputs(upstream) end
end

function BasePreprocesserStep:output_spec()
  if self._outputs then return self._outputs end
  local out = { transform = "model" }
  for _, n in ipairs(self._split_names or {}) do out[n] = "frame" end
  return out
end

--- Fit on the training split; return the fitted transform: an object with
--- `apply(frame)` -> frame and `save()` -> bytes.
function BasePreprocesserStep:fit(ctx, train) must(self, "fit(ctx, train)") end

--- Apply the fitted transform to one split.
function BasePreprocesserStep:transform(ctx, fitted, frame)
  return fitted:apply(frame)
end

--- Apply the fitted transform (its bytes are the step's input `fitted`)
--- to one block of rows: under a processing backend that shards rows but
--- not columns (SlurmArray), each split is transformed in blocks of
--- `shard_rows` rows, stacked in order: the frame of transforming it whole.
function BasePreprocesserStep:row_map(ctx, chunk)
  local bytes = ctx:input_bytes("fitted")
  if self._fitted_bytes ~= bytes then
    self._fitted, self._fitted_bytes = require("zenml.ml").load_transform(bytes), bytes
  end
  return self:transform(ctx, self._fitted, chunk)
end

function BasePreprocesserStep:run(ctx, inputs)
  release_garbage()
  local splits = inputs.splits
  local train = splits.train
  if not train then
    errors.user("%s needs a split named 'train' to fit on; splits are: %s", class_name(self),
      table.concat(sorted(splits), ", "))
  end
  local fitted = self:fit(ctx, train)
  local out = { transform = fitted:save() }
  local by_rows = ctx.processing and self:shards_by(ctx.processing.backend) == "rows" and ctx.yaml
  -- the array's tasks read the fitted transform from the store
  local ids = by_rows and { fitted = ctx.repo:store():put(out.transform) }
  for _, name in ipairs(sorted(splits)) do
    if by_rows then
      out[name] = require("zenml.shards").map_frame(self, ctx, splits[name], "splits", name, ids)
    else
      out[name] = self:transform(ctx, fitted, splits[name])
    end
  end
  return out
end

-- Trainer ----------------------------------------------------------------------

local BaseTrainerStep = Step:extend("BaseTrainerStep")
M.BaseTrainerStep = BaseTrainerStep
BaseTrainerStep.inputs = { splits = { type = "frame{}", required = true }, transform = "model" }
BaseTrainerStep.outputs = { model = "model", predictions = "frame", history = "value",
  metrics = "metrics" }

--- The label column(s): the `label` parameter when the step has one, else
--- the labels of the fitted transform (the preprocesser's `labels`).
---@return string[]
function BaseTrainerStep:labels(ctx, inputs)
  local label = self.params.label
  if type(label) == "string" then return { label } end
  if type(label) == "table" and #label > 0 then return label end
  if inputs.transform then
    local ml, t = require("zenml.ml"), inputs.transform
    local labels = (ml.is_transform(t) and t or ml.load_transform(t)):labels()
    if #labels > 0 then return labels end
  end
  errors.user("%s: no label column: give the preprocesser labels = { ... } or the trainer label = ...",
    class_name(self))
end

--- Train on `train` (with `eval` for early stopping, may be nil); return the
--- model (an object with `save()` -> bytes and `predict(frame)` -> frame) and
--- optionally a history table.
function BaseTrainerStep:fit(ctx, train, eval) must(self, "fit(ctx, train, eval)") end

--- Predictions of `model` on `frame`: a frame holding the label column(s) and
--- the predictions, which the evaluator reads.
function BaseTrainerStep:predict(ctx, model, frame)
  return model:predict(frame)
end

--- The split handed to `fit` for early stopping: "eval" when there is one;
--- without it, the first that is not "train" unless there is a held-out
--- "test" split (which training never sees).
local function eval_split(splits)
  if splits.eval then return "eval" end
  if splits.test then return nil end
  for _, name in ipairs(sorted(splits)) do
    if name ~= "train" then return name end
  end
end
function BaseTrainerStep:eval_split(splits) return eval_split(splits) end

--- The split predicted on and evaluated: the held-out "test" split when
--- there is one, else the eval split (else "train").
local function predict_split(splits)
  if splits.test then return "test" end
  return eval_split(splits) or "train"
end
function BaseTrainerStep:predict_split(splits) return predict_split(splits) end

--- The label columns of the run in progress (what `labels` returned), for
--- subclasses' `fit` and `predict`.
---@return string[]
function BaseTrainerStep:label_columns() return self._labels end

-- The predictions with the true label columns in front when they lack them
-- (the evaluator reads both from one frame).
local function with_labels(predictions, frame, labels)
  local have, present, missing = {}, {}, {}
  for _, n in ipairs(predictions:names()) do have[n] = true end
  for _, n in ipairs(frame:names()) do present[n] = true end
  for _, l in ipairs(labels) do
    if not have[l] and present[l] then missing[#missing + 1] = l end
  end
  if #missing == 0 then return predictions end
  return require("zenml.steplib").hstack { frame:select(missing), predictions }
end

function BaseTrainerStep:run(ctx, inputs)
  release_garbage()
  local splits = inputs.splits
  if not splits.train then
    errors.user("%s needs a split named 'train'; splits are: %s", class_name(self),
      table.concat(sorted(splits), ", "))
  end
  self._labels = self:labels(ctx, inputs)
  local eval_name, target_name = self:eval_split(splits), self:predict_split(splits)
  self.evaluated = eval_name
  local eval = eval_name and splits[eval_name]
  local model, history = self:fit(ctx, splits.train, eval)
  local target = splits[target_name]
  ctx:log(("predictions on split '%s' (%d rows)"):format(target_name, target:nrow()))
  local predictions = with_labels(self:predict(ctx, model, target), target, self._labels)
  local out = { model = model, predictions = predictions, history = history or {} }
  -- a step rebuilt from an older run's YAML declares no metrics output
  if self:output_spec().metrics then out.metrics = self:training_metrics(ctx, history or {}) end
  return out
end

--- The trainer's own metrics, from the history `fit` returned: `iterations`
--- (epochs, or iterations of a full-batch solver) and `converged` (1 when a
--- tolerance stopped training, 0 when it ran to its limit) when it has them.
function BaseTrainerStep:training_metrics(ctx, history)
  local out = {}
  if math.type(history.iterations) == "integer" then out.iterations = history.iterations end
  if type(history.converged) == "boolean" then
    out.converged = history.converged and 1 or 0
    ctx:log(("%s after %d iterations"):format(history.converged and "converged"
      or "did not converge", history.iterations or 0))
  end
  return out
end

--- For an error that names a row ("... at row 23"): the input and part that
--- row belongs to, so the run can name its source line (zenml.origin). The
--- training split, or the evaluated one for the validation frame.
---@param message string
---@return string|nil input
---@return string|nil part
function BaseTrainerStep:row_source(message)
  if message:find("validation frame", 1, true) then return "splits", self.evaluated end
  return "splits", "train"
end

-- Evaluator ----------------------------------------------------------------------

local BaseEvaluatorStep = Step:extend("BaseEvaluatorStep")
M.BaseEvaluatorStep = BaseEvaluatorStep
BaseEvaluatorStep.inputs = {
  predictions = { type = "frame", required = true },
  splits = "frame{}",
}
BaseEvaluatorStep.outputs = { metrics = "metrics" }

--- Compute metrics from a predictions frame: a table whose number leaves are
--- recorded in the metadata store (nested names joined with '.'). `raw` is
--- the untransformed split the predictions were made on, row for row (for
--- slicing by raw values), when the pipeline wires the splits in.
function BaseEvaluatorStep:evaluate(ctx, predictions, raw)
  must(self, "evaluate(ctx, predictions, raw)")
end

--- The raw split matching the predictions and its name: the one the
--- trainer predicted on (BaseTrainerStep:predict_split: "test" when there
--- is one, else "eval"), if its row count agrees.
function BaseEvaluatorStep:raw_split(splits, predictions)
  if not splits then return nil end
  local name = predict_split(splits)
  local raw = splits[name]
  if raw and raw:nrow() == predictions:nrow() then return raw, name end
end

--- For an error that names a row: it is a row of the predictions.
function BaseEvaluatorStep:row_source()
  return "predictions", nil
end

function BaseEvaluatorStep:run(ctx, inputs)
  release_garbage()
  local raw, name = self:raw_split(inputs.splits, inputs.predictions)
  local metrics = self:evaluate(ctx, inputs.predictions, raw)
  -- which split the numbers are about: recorded with the execution and
  -- printed with the run's metrics
  if name and type(metrics) == "table" and metrics.split == nil then
    metrics.split = name
    ctx:log(("evaluated on split '%s' (%d rows)"):format(name, inputs.predictions:nrow()))
  end
  return { metrics = metrics }
end

-- Inferrer ----------------------------------------------------------------------

local BaseInferrerStep = Step:extend("BaseInferrerStep")
M.BaseInferrerStep = BaseInferrerStep
BaseInferrerStep.shards = "columns" -- its kernels' columns go to the processing workers
BaseInferrerStep.inputs = {
  data = { type = "frame", required = true },
  model = { type = "model", required = true },
  transform = "model",
}
BaseInferrerStep.outputs = { predictions = "frame" }

--- Predict on `data` with the model bytes (and the fitted transform bytes, if any).
function BaseInferrerStep:infer(ctx, model, transform, data) must(self, "infer(ctx, model, transform, data)") end

-- A model input handed on in the same Lua state by a step that returned
-- ctx:existing(id) arrives as that reference; hooks always get bytes.
local function bytes_of(ctx, v)
  if getmetatable(v) == require("zenml.context").Existing then
    return assert(ctx.repo:store():read(v.id))
  end
  return v
end

--- One block of rows of `data` predicted on its own: under a processing
--- backend that shards rows but not columns (SlurmArray), the step's `data`
--- goes in blocks of `shard_rows` rows and the blocks' predictions are
--- stacked in order, the same frame as predicting it whole.
BaseInferrerStep.shard_input = "data"
function BaseInferrerStep:row_map(ctx, chunk)
  return self:infer(ctx, ctx:input_bytes("model"), ctx:input_bytes("transform"), chunk)
end

function BaseInferrerStep:run(ctx, inputs)
  release_garbage()
  if ctx.processing and self:shards_by(ctx.processing.backend) == "rows" then
    return require("zenml.shards").run(self, ctx, inputs)
  end
  return { predictions = self:infer(ctx, bytes_of(ctx, inputs.model),
    bytes_of(ctx, inputs.transform), inputs.data) }
end

-- Deployer ----------------------------------------------------------------------

local BaseDeployerStep = Step:extend("BaseDeployerStep")
M.BaseDeployerStep = BaseDeployerStep
BaseDeployerStep.inputs = {
  model = { type = "model", required = true },
  transform = "model",
  schema = "schema",
}
BaseDeployerStep.outputs = { bundle = "file" }

--- Package the inputs into a deployable bundle; return its bytes.
function BaseDeployerStep:deploy(ctx, inputs) must(self, "deploy(ctx, inputs)") end

function BaseDeployerStep:run(ctx, inputs)
  release_garbage()
  inputs.model, inputs.transform = bytes_of(ctx, inputs.model), bytes_of(ctx, inputs.transform)
  return { bundle = self:deploy(ctx, inputs) }
end

return M
