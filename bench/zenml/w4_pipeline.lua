-- W4: 8 independent CPU-bound steps; run with -j 1 and -j 2.
local zenml = require "zenml"
local Busy = require "busy"
local N = tonumber(os.getenv("BENCH_W4_N")) or 125000000
local p = zenml.Pipeline { name = "parallel" }
for i = 1, 8 do p:add("busy" .. i, Busy { i = i, n = N }) end
p:run()
