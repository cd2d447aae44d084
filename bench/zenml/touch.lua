-- W1 step: a trivial step writing a small value artifact (optionally reading the previous one).
local zenml = require "zenml"
local Touch = zenml.Step:extend("Touch")
Touch.inputs = { prev = "value" }        -- optional input
Touch.outputs = { out = "value" }
Touch.params = { i = { type = "integer", required = true } }
function Touch:run(ctx, inputs)
  return { out = { i = self.params.i, prev = inputs.prev and inputs.prev.i or 0 } }
end
return Touch
