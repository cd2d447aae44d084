-- W1 fan-out: the final step, reading every Touch output.
local zenml = require "zenml"
local Gather = zenml.Step:extend("Gather")
Gather.inputs = { items = "value[]" }
Gather.outputs = { out = "value" }
function Gather:run(ctx, inputs)
  local sum = 0
  for _, v in ipairs(inputs.items) do sum = sum + v.i end
  return { out = { n = #inputs.items, sum = sum } }
end
return Gather
