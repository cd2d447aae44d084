--- Hands on the trained model and fitted transform of an earlier run: a run
--- id (or a unique prefix of one), or "latest": the latest completed run that
--- has a model (of pipeline `pipeline` when given). The choice is made when
--- the run is resolved and the run id is what the YAML records, so running
--- that YAML again uses the same model.
local zenml = require "zenml"

local ModelOf = zenml.Step:extend("ModelOf")
ModelOf.params = {
  run = { type = "string", required = true },
  pipeline = { type = "string" },
  model_step = { type = "string", default = "trainer" },
  transform_step = { type = "string", default = "preprocesser" },
}
ModelOf.outputs = { model = "model", transform = "model" }

-- {step, output} pairs a run must have produced to have a model.
local function wanted(p)
  return { { p.model_step, "model" }, { p.transform_step, "transform" } }
end

local function describe(p)
  return ("a step '%s' with an output 'model' and a step '%s' with an output 'transform'"):format(
    p.model_step, p.transform_step)
end

-- The artifact `output` of `step` in `run` (following a cached execution).
local function output_of(db, run, step, output)
  for _, e in ipairs(db:executions(run)) do
    if e.step == step and (e.status == "completed" or e.status == "cached") then
      local id = db:outputs(e.id)[output]
      if id then return id end
    end
  end
  return nil, ("run %s has no completed step '%s' with an output '%s'"):format(run, step, output)
end

--- Name the pipeline this step serves in its errors ("BatchInference 'score'").
function ModelOf:serving(label)
  self._label = label
  return self
end

--- Resolve "latest" and prefixes to the full run id before the YAML is written.
function ModelOf:prepare(repo)
  local p, db = self.params, repo:meta()
  local who = self._label or "ModelOf"
  if p.run == "latest" then
    local id = db:latest_run_with(wanted(p), { pipeline = p.pipeline })
    if not id then
      error(("%s: no completed run%s has a model (%s)"):format(who,
        p.pipeline and (" of pipeline '%s'"):format(p.pipeline) or "", describe(p)), 0)
    end
    p.run = id
    return
  end
  local run, err = repo:run(p.run)
  if not run then error(("%s: %s"):format(who, err), 0) end
  if not db:latest_run_with(wanted(p), { run = run.id }) then
    error(("%s: run %s (%s, %s) has no model (%s)"):format(who, run.id, run.pipeline, run.status,
      describe(p)), 0)
  end
  p.run = run.id
end

--- What a recorded run of this step needs (zenml gc keeps it, zenml verify
--- checks it): the model and transform of the run it names.
function ModelOf.needs(params, repo)
  local p = {}
  for k, spec in pairs(ModelOf.params) do
    if params[k] == nil then p[k] = spec.default else p[k] = params[k] end
  end
  local out = {}
  for _, w in ipairs(wanted(p)) do
    local what = ("output '%s' of step '%s' of run %s"):format(w[2], w[1], tostring(p.run))
    local id = type(p.run) == "string" and output_of(repo:meta(), p.run, w[1], w[2])
    out[#out + 1] = id and { what = what, artifact = id }
      or { what = what, problem = "which the metadata store does not have" }
  end
  return out
end

function ModelOf:run(ctx)
  local db, p = ctx.repo:meta(), self.params
  local model = assert(output_of(db, p.run, p.model_step, "model"))
  local transform = assert(output_of(db, p.run, p.transform_step, "transform"))
  return { model = ctx:existing(model), transform = ctx:existing(transform) }
end

return ModelOf
