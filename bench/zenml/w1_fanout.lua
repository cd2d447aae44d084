-- W1 fan-out: 500 independent Touch steps into one Gather step.
local zenml = require "zenml"
local Touch = require "touch"
local Gather = require "gather"
local p = zenml.Pipeline { name = "fanout" }
local items = {}
for i = 1, 500 do
  p:add("s" .. i, Touch { i = i })
  items[i] = "s" .. i .. ".out"
end
p:add("gather", Gather {}, { items = items })
p:run()
