--- The BatchInference pipeline: a datasource and the model (and fitted
--- transform) of a training run -> an inferrer -> predictions.
---
---     BatchInference { name = "score", model_run = "latest" }     -- or a run id
---     BatchInference { name = "score", model_pipeline = "iris" }  -- its latest
---     BatchInference { name = "score", model = "churn@production" }  -- registered
---
--- "latest" is the latest completed run that has a model (a trainer and a
--- preprocesser output), not merely the latest run; the run id it resolves
--- to is recorded in the YAML, so re-running that YAML scores with the same
--- model. So is the version an alias of a registered model resolves to: a
--- re-run keeps that version after the alias moved.
local zenml = require "zenml"
local steps = require "zenml.steps"

local BatchInference = zenml.Pipeline:extend("BatchInference")

-- Take model, model_run and model_pipeline out of the pipeline's own options.
local function model_choice(args)
  if type(args) ~= "table" then return nil, nil, nil end
  local run, pipeline, model = args.model_run, args.model_pipeline, args.model
  args.model_run, args.model_pipeline, args.model = nil, nil, nil
  return run, pipeline, model
end

-- A registered model: NAME@VERSION or NAME@ALIAS, resolved to a version
-- when the run is prepared.
local function add_registered(self, model, model_run, model_pipeline)
  if model_run ~= nil or model_pipeline ~= nil then
    error("BatchInference: give model = NAME@VERSION|ALIAS, model_run = ID or model_pipeline = "
      .. "NAME, not more than one", 4)
  end
  local _, err = require("zenml.registry").parse(model)
  if type(model) ~= "string" or not model:find("@", 1, true) then
    err = ("model must be NAME@VERSION or NAME@ALIAS (a registered model), got %s"):format(
      type(model) == "string" and ("'%s'"):format(model) or type(model))
  end
  if err then require("zenml.errors").user("BatchInference '%s': %s", self.name, err) end
  local ModelOf = require "zenml.steps.model_of"
  self:add("model", ModelOf { model = model }:serving(("BatchInference '%s'"):format(self.name)))
end

function BatchInference:init(args)
  local model_run, model_pipeline, model = model_choice(args)
  zenml.Pipeline.init(self, args)
  if model ~= nil then return add_registered(self, model, model_run, model_pipeline) end
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
