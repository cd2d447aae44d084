--- The `threads` processing backend: a step's data work on `workers`
--- threads of the process that runs the step. The built-in steps' kernels
--- (CSV parsing, split, transform fit and apply, frame checksums) split their
--- columns or byte ranges over the workers; a step with `map`/`reduce` hooks
--- runs its row blocks in worker Lua states (docs/steps.md). Shards are cut
--- and combined in an order that does not depend on `workers`, so 1, 2 or 7
--- workers give the same artifact ids.
local zenml = require "zenml"

local Threads = zenml.backends.BaseProcessingBackend:extend("Threads")
Threads.roles = { processing = true }
Threads.params = {
  workers = { type = "integer",
    check = function(v) if v < 1 then return "expects an integer >= 1" end end },
}

--- Workers default to the machine's cores; set here so the YAML records
--- the count the run used (a re-run elsewhere keeps it).
function Threads:configure()
  if self.params.workers == nil then self.params.workers = zenml.exec.ncores() end
end

function Threads:worker_count() return self.params.workers end

return Threads
