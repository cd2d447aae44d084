--- zenml.pipelines: the generic Pipeline and the standard pipelines.
local pipeline = require "zenml.pipeline"

local modules = { Training = "training", Data = "data", BatchInference = "batch_inference" }

return setmetatable({ Pipeline = pipeline.Pipeline }, {
  -- the names __index can give (REPL completion, "did you mean" in zenml.errors)
  __keys = function() return { "BatchInference", "Data", "Pipeline", "Training" } end,
  __index = function(t, k)
    local m = modules[k]
    if not m then return nil end
    local v = require("zenml.pipelines." .. m)
    rawset(t, k, v)
    return v
  end,
})
