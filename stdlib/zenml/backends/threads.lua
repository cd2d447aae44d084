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
-- workers default to this machine's cores; the YAML records the count a
-- run used, so a re-run elsewhere keeps it
Threads.params = {
  workers = { type = "integer", default = zenml.exec.ncores(),
    check = function(v) if v < 1 then return "expects an integer >= 1" end end },
}

function Threads:worker_count() return self.params.workers end

return Threads
