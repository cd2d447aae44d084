--- Hands on the trained model and fitted transform of an earlier run: a run
--- id (or a unique prefix of one), or "latest": the latest completed run that
--- has a model (of pipeline `pipeline` when given); or of a registered model
--- (`model = "churn@production"`, or NAME@VERSION). The choice is made when
--- the run is resolved and the run id is what the YAML records, so running
--- that YAML again uses the same model.
local zenml = require "zenml"

local ModelOf = zenml.Step:extend("ModelOf")
ModelOf.params = {
  run = { type = "string" },
  model = { type = "string" },
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

-- The registered version `ref` names, or an error naming `who`.
local function registered(db, ref, who)
  local v, err = require("zenml.registry").resolve(db, ref)
  if not v then error(("%s: %s"):format(who, err), 0) end
  if not v.transform_artifact then
    error(("%s: version %d of model '%s' has no transform (run %s)"):format(who, v.version,
      v.model, v.run), 0)
  end
  return v
end

-- A registered model: the alias resolves now to a version, which the YAML
-- records (model: NAME@N, with the run it came from), so a re-run keeps it.
local function prepare_registered(self, db, who)
  local p = self.params
  local v = registered(db, p.model, who)
  if v.alias then
    io.stderr:write(("%s: model %s is version %d\n"):format(who, p.model, v.version))
  end
  p.model = ("%s@%d"):format(v.model, v.version)
  p.run, p.model_step = v.run, v.step
end

--- Resolve "latest" and prefixes to the full run id, and a registered
--- model's alias to its version, before the YAML is written.
function ModelOf:prepare(repo)
  local p, db = self.params, repo:meta()
  local who = self._label or "ModelOf"
  if p.model then return prepare_registered(self, db, who) end
  if not p.run then error(("%s: give run = ID|\"latest\" or model = NAME@VERSION|ALIAS"):format(who), 0) end
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
  if p.model then
    local v = require("zenml.registry").resolve(repo:meta(), p.model)
    local what = ("the model and transform of registered model %s"):format(p.model)
    if not v then return { { what = what, problem = "which the model registry does not have" } } end
    return { { what = "the model of registered model " .. p.model, artifact = v.model_artifact },
      { what = "the transform of registered model " .. p.model, artifact = v.transform_artifact } }
  end
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
  if p.model then
    local v = registered(db, p.model, "ModelOf")
    return { model = ctx:existing(v.model_artifact), transform = ctx:existing(v.transform_artifact) }
  end
  local model = assert(output_of(db, p.run, p.model_step, "model"))
  local transform = assert(output_of(db, p.run, p.transform_step, "transform"))
  return { model = ctx:existing(model), transform = ctx:existing(transform) }
end

return ModelOf
