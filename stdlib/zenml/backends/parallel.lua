--- The `parallel` orchestrator: independent steps at once on `jobs` worker
--- threads of this process, each with its own Lua state. Cache hits are
--- settled first, so workers start only for steps that must run.
local zenml = require "zenml"

local Parallel = zenml.backends.BaseOrchestrator:extend("Parallel")
Parallel.roles = { orchestrator = true }
Parallel.params = {
  jobs = { type = "integer", default = 2,
    check = function(v) if v < 1 then return "expects an integer >= 1" end end },
}

function Parallel:run(plan)
  local settled = plan:settle()
  if plan:pending() == 0 then return plan:results_of(settled) end
  return zenml.exec.run {
    nodes = plan:nodes(), jobs = self.params.jobs, task = plan.task, args = plan:args(),
    on_event = plan:events(),
  }
end

return Parallel
