--- Built-in inference, on zenml.steps.BaseInferrerStep: the fitted transform
--- and model of a training run applied to new data. `M.predict` is the one
--- function the BatchInference pipeline, `zenml predict RUN` and
--- `zenml predict BUNDLE` all go through, so they cannot disagree.
---
---   p = zenml.pipelines.BatchInference { name = "score", model_run = "latest" }
---   p:add_datasource(new_data)
---   p:add_inferrer(require("zenml.steps.inferrer").Predict {})
local zenml = require "zenml"

local M = {}

--- Predictions of the model (bytes) on `data`, after the fitted transform
--- (bytes, or nil when the model reads raw columns): the input columns (with
--- `keep`), then `prediction` and one `p_<class>` per class.
---@param model string model bytes (a trainer's `model` artifact)
---@param transform? string transform bytes (a preprocesser's `transform` artifact)
---@param data userdata frame
---@param keep? boolean keep the input columns (default true)
---@return userdata frame
function M.predict(model, transform, data, keep)
  local m = zenml.ml.is_model(model) and model or zenml.ml.load_model(model)
  local x = data
  if transform then
    local t = zenml.ml.is_transform(transform) and transform or zenml.ml.load_transform(transform)
    local ok, out = pcall(t.apply, t, data)
    if not ok then
      local why = tostring(out):match("frame does not match the transform: (.*)$")
      if why then error("the data does not match the training schema: " .. why, 0) end
      error(out, 0)
    end
    x = out
  end
  local ok, pred = pcall(m.predict, m, x)
  if not ok then error(tostring(pred):gsub("^model:predict: ", ""), 0) end
  if keep == false then return pred end
  return require("zenml.steplib").hstack { data, pred }
end

--- Predict with the model and transform wired in (BatchInference).
local Predict = zenml.steps.BaseInferrerStep:extend("Predict")
M.Predict = Predict
Predict.params = { keep_columns = { type = "boolean", default = true } }

function Predict:infer(ctx, model, transform, data)
  local out = M.predict(model, transform, data, self.params.keep_columns)
  ctx:log(("%d predictions"):format(out:nrow()))
  return out
end

return M
