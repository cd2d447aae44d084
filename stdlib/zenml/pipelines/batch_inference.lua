--- The BatchInference pipeline: a datasource and the model (and fitted
--- transform) of a named training run -> an inferrer -> predictions.
local zenml = require "zenml"
local steps = require "zenml.steps"

local BatchInference = zenml.Pipeline:extend("BatchInference")

function BatchInference:init(args)
  local model_run = type(args) == "table" and args.model_run or nil
  if type(args) == "table" then args.model_run = nil end
  zenml.Pipeline.init(self, args)
  if type(model_run) ~= "string" then
    error(("BatchInference: model_run must be the id of a training run, got %s"):format(
      type(model_run)), 3)
  end
  local ModelOf = require "zenml.steps.model_of"
  self:add("model", ModelOf { run = model_run })
end

function BatchInference:add_inferrer(step)
  if type(step) ~= "table" or not step.is_a or not step:is_a(steps.BaseInferrerStep) then
    error(("BatchInference pipeline '%s': add_inferrer expects a BaseInferrerStep"):format(
      self.name), 2)
  end
  return self:add("inferrer", step, { data = "datasource.data", model = "model.model",
    transform = "model.transform" })
end

function BatchInference:validate()
  for _, need in ipairs { "datasource", "inferrer" } do
    if not self.by_name[need] then
      error(("BatchInference pipeline '%s' needs a %s: call p:add_%s(...)"):format(self.name,
        need, need), 0)
    end
  end
  return zenml.Pipeline.validate(self)
end

return BatchInference
