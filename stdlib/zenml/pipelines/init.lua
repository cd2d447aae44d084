--- zenml.pipelines: the generic Pipeline and the standard pipelines.
local pipeline = require "zenml.pipeline"

return setmetatable({ Pipeline = pipeline.Pipeline }, {
  __index = function(t, k)
    local modules = { Training = "training", Data = "data", BatchInference = "batch_inference" }
    local m = modules[k]
    if not m then return nil end
    local v = require("zenml.pipelines." .. m)
    rawset(t, k, v)
    return v
  end,
})
