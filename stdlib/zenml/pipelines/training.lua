--- The Training pipeline: datasource -> split -> preprocesser -> trainer ->
--- evaluator [-> deployer], each added through its slot.
local zenml = require "zenml"
local steps = require "zenml.steps"

local Training = zenml.Pipeline:extend("Training")

local function slot(self, name, step, base, inputs)
  if type(step) ~= "table" or type(step.is_a) ~= "function" or not step:is_a(base) then
    error(("%s pipeline '%s': add_%s expects a %s, got %s"):format(self:class_name(), self.name,
      name, base.__name, type(step) == "table" and tostring(step) or type(step)), 3)
  end
  return self:add(name, step, inputs)
end

function Training:add_split(step)
  return slot(self, "split", step, steps.BaseSplitStep, { data = "datasource.data" })
end

function Training:add_preprocesser(step)
  return slot(self, "preprocesser", step, steps.BasePreprocesserStep, { splits = "split.*" })
end

function Training:add_trainer(step)
  return slot(self, "trainer", step, steps.BaseTrainerStep, { splits = "preprocesser.*" })
end

function Training:add_evaluator(step)
  return slot(self, "evaluator", step, steps.BaseEvaluatorStep,
    { predictions = "trainer.predictions" })
end

function Training:add_deployer(step)
  return slot(self, "deployer", step, steps.BaseDeployerStep,
    { model = "trainer.model", transform = "preprocesser.transform" })
end

function Training:validate()
  for _, need in ipairs { "datasource", "split", "preprocesser", "trainer" } do
    if not self.by_name[need] then
      error(("Training pipeline '%s' needs a %s: call p:add_%s(...)"):format(self.name, need,
        need), 0)
    end
  end
  return zenml.Pipeline.validate(self)
end

return Training
