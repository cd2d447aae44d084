--- zenml.backends: the backend bases and the built-in backends (Local,
--- Parallel, Slurm, SlurmArray, Threads). A repository's own backends live in its backends/
--- folder, one class per module (docs/backends.md).
local backend = require "zenml.backend"

local modules = { Local = "local", Parallel = "parallel", Slurm = "slurm", SlurmArray = "slurm_array",
  Threads = "threads" }

return setmetatable({
  BaseOrchestrator = backend.BaseOrchestrator,
  BaseProcessingBackend = backend.BaseProcessingBackend,
  BaseTrainingBackend = backend.BaseTrainingBackend,
}, {
  -- the names __index can give (REPL completion, "did you mean" in zenml.errors)
  __keys = function()
    return { "BaseOrchestrator", "BaseProcessingBackend", "BaseTrainingBackend", "Local",
      "Parallel", "Slurm", "SlurmArray", "Threads" }
  end,
  __index = function(t, k)
    local m = modules[k]
    if not m then return nil end
    local v = require("zenml.backends." .. m)
    rawset(t, k, v)
    return v
  end,
})
