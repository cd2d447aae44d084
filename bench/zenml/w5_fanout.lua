-- W5 fan-out: 50 independent Touch steps into one Gather step (run with --backend slurm).
local zenml = require "zenml"
local Touch = require "touch"
local Gather = require "gather"
local p = zenml.Pipeline { name = "fanout" }
local items = {}
for i = 1, 50 do
  p:add("s" .. i, Touch { i = i })
  items[i] = "s" .. i .. ".out"
end
p:add("gather", Gather {}, { items = items })
p:run()
