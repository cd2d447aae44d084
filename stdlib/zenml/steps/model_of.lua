--- Hands on the trained model and fitted transform of an earlier run (by run
--- id, or "latest" completed run of a pipeline given as "pipeline:latest").
local zenml = require "zenml"

local ModelOf = zenml.Step:extend("ModelOf")
ModelOf.params = {
  run = { type = "string", required = true },
  model_step = { type = "string", default = "trainer" },
  transform_step = { type = "string", default = "preprocesser" },
}
ModelOf.outputs = { model = "model", transform = "model" }

-- The artifact `output` of `step` in `run` (following a cached execution).
local function output_of(db, run, step, output)
  for _, e in ipairs(db:executions(run)) do
    if e.step == step and (e.status == "completed" or e.status == "cached") then
      local id = db:outputs(e.id)[output]
      if id then return id end
    end
  end
  error(("run %s has no completed step '%s' with an output '%s'"):format(run, step, output), 0)
end

--- Resolve "latest" and prefixes to the full run id before the YAML is written.
function ModelOf:prepare(repo)
  local run, err = repo:run(self.params.run)
  if not run then error(("ModelOf: %s"):format(err), 0) end
  self.params.run = run.id
end

function ModelOf:run(ctx)
  local db, p = ctx.repo:meta(), self.params
  return {
    model = ctx:existing(output_of(db, p.run, p.model_step, "model")),
    transform = ctx:existing(output_of(db, p.run, p.transform_step, "transform")),
  }
end

return ModelOf
