-- W4 step: about one second of one core in a Lua loop (n = 125e6 on a Zen 3 EPYC).
local zenml = require "zenml"
local Busy = zenml.Step:extend("Busy")
Busy.outputs = { out = "value" }
Busy.params = {
  i = { type = "integer", required = true },
  n = { type = "integer", required = true },
}
function Busy:run(ctx, inputs)
  local x = self.params.i
  for k = 1, self.params.n do x = x + k % 7 end
  return { out = { i = self.params.i, x = x } }
end
return Busy
