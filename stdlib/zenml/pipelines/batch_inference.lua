--- The BatchInference pipeline: a datasource and the model (and fitted
--- transform) of a training run -> an inferrer -> predictions.
---
---     BatchInference { name = "score", model_run = "latest" }     -- or a run id
---     BatchInference { name = "score", model_pipeline = "iris" }  -- its latest
---
--- "latest" is the latest completed run that has a model (a trainer and a
--- preprocesser output), not merely the latest run; the run id it resolves
--- to is recorded in the YAML, so re-running that YAML scores with the same
--- model.
local zenml = require "zenml"
local steps = require "zenml.steps"

local BatchInference = zenml.Pipeline:extend("BatchInference")

-- Take model_run and model_pipeline out of the pipeline's own options.
local function model_choice(args)
  if type(args) ~= "table" then return nil, nil end
  local run, pipeline = args.model_run, args.model_pipeline
  args.model_run, args.model_pipeline = nil, nil
  return run, pipeline
end

function BatchInference:init(args)
  local model_run, model_pipeline = model_choice(args)
  zenml.Pipeline.init(self, args)
  if model_pipeline ~= nil and type(model_pipeline) ~= "string" then
    error(("BatchInference: model_pipeline must be the name of a training pipeline, got %s"):format(
      type(model_pipeline)), 3)
  end
  if model_run == nil and model_pipeline then model_run = "latest" end
  if type(model_run) ~= "string" then
    error(("BatchInference: model_run must be the id of a training run or \"latest\", or give"
      .. " model_pipeline = NAME; got %s"):format(type(model_run)), 3)
  end
  if model_pipeline and model_run ~= "latest" then
    error("BatchInference: give model_run = ID or model_pipeline = NAME, not both", 3)
  end
  local ModelOf = require "zenml.steps.model_of"
  self:add("model", ModelOf { run = model_run, pipeline = model_pipeline }
    :serving(("BatchInference '%s'"):format(self.name)))
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
      require("zenml.errors").user("BatchInference pipeline '%s' needs %s %s: call p:add_%s(...)",
        self.name, need:find("^[aeiou]") and "an" or "a", need, need)
    end
  end
  return zenml.Pipeline.validate(self)
end

return BatchInference
