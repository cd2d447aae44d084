--- The Training pipeline: datasource -> split -> preprocesser -> trainer ->
--- evaluator [-> deployer], each added through its slot; `register = NAME`
--- registers the model of every completed run (docs/registry.md).
local zenml = require "zenml"
local steps = require "zenml.steps"

local Training = zenml.Pipeline:extend("Training")

--- Training { name = ..., register = "churn" }: each completed run
--- registers its trainer's model as the next version of model "churn"
--- (the YAML records it, so a re-run of that YAML registers too).
function Training:init(args)
  local register = type(args) == "table" and args.register or nil
  if register ~= nil then
    args.register = nil
    local bad = require("zenml.registry").check_name(register)
    if bad then
      require("zenml.errors").user("Training pipeline '%s': register: %s", tostring(args.name), bad)
    end
    self.register = register
  end
  -- a tail call, so Pipeline.init's errors point at the user's line
  return zenml.Pipeline.init(self, args)
end

local function slot(self, name, step, base, inputs)
  if type(step) ~= "table" or type(step.is_a) ~= "function" or not step:is_a(base) then
    require("zenml.errors").user("%s pipeline '%s': add_%s expects a %s, got %s", self:class_name(),
      self.name, name, base.__name, type(step) == "table" and tostring(step) or type(step))
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
  return slot(self, "trainer", step, steps.BaseTrainerStep,
    { splits = "preprocesser.*", transform = "preprocesser.transform" })
end

function Training:add_evaluator(step)
  -- the raw splits too, so slices can use untransformed values
  return slot(self, "evaluator", step, steps.BaseEvaluatorStep,
    { predictions = "trainer.predictions", splits = "split.*" })
end

function Training:add_deployer(step)
  -- the deployer gets the schema of the raw training split (bundles check
  -- the data they predict on against it)
  if not self.by_name.schema then
    self:add("schema", require("zenml.steps.statistics").Schema {}, { data = "split.train" })
  end
  return slot(self, "deployer", step, steps.BaseDeployerStep,
    { model = "trainer.model", transform = "preprocesser.transform", schema = "schema.schema" })
end

function Training:validate()
  for _, need in ipairs { "datasource", "split", "preprocesser", "trainer" } do
    if not self.by_name[need] then
      require("zenml.errors").user("Training pipeline '%s' needs %s %s: call p:add_%s(...)", self.name,
        need:find("^[aeiou]") and "an" or "a", need, need)
    end
  end
  return zenml.Pipeline.validate(self)
end

return Training
