--- The `local` backend: every step in the calling process, one at a time,
--- in the plan's order. As a training or processing backend it runs the
--- step where the orchestrator runs it.
local zenml = require "zenml"

local Local = zenml.backends.BaseOrchestrator:extend("Local")
Local.roles = { orchestrator = true, processing = true, training = true }
Local.params = {}

function Local:run(plan)
  -- what the steps recorded is committed whatever happens
  local _ <close> = setmetatable({}, { __close = function() plan:close() end })
  return zenml.exec.run {
    nodes = plan:nodes(),
    task = function(name, _, _, deps) return plan:run_step(name, deps) end,
    on_event = plan:events(),
  }
end

return Local
