-- W6 cache lookup: one Touch step, recorded once; every later run is a cache hit.
local zenml = require "zenml"
local Touch = require "touch"
local p = zenml.Pipeline { name = "cached" }
p:add("s1", Touch { i = 1 })
p:run()
