-- W5 chain: 20 Touch steps, step i reading step i-1's output (run with --backend slurm).
local zenml = require "zenml"
local Touch = require "touch"
local p = zenml.Pipeline { name = "chain" }
p:add("s1", Touch { i = 1 })
for i = 2, 20 do p:add("s" .. i, Touch { i = i }, { prev = "s" .. (i - 1) .. ".out" }) end
p:run()
