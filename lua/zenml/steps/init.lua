--- zenml.steps: the base step classes a custom step derives from.
local step = require "zenml.step"
local bases = require "zenml.steps.bases"

return {
  Step = step.Step,
  BaseSplitStep = bases.BaseSplitStep,
  BasePreprocesserStep = bases.BasePreprocesserStep,
  BaseTrainerStep = bases.BaseTrainerStep,
  BaseEvaluatorStep = bases.BaseEvaluatorStep,
  BaseInferrerStep = bases.BaseInferrerStep,
  BaseDeployerStep = bases.BaseDeployerStep,
}
