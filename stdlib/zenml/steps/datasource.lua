--- The `datasource` step of a pipeline: it pins the datasource version the
--- run reads (taking a new snapshot first when the source changed) and hands
--- on that version's frame artifact without copying it.
local zenml = require "zenml"
local yaml = require "zenml.yaml"

local Datasource = zenml.Step:extend("Datasource")
Datasource.params = {
  name = { type = "string", required = true },
  version = { type = "string" },
}
Datasource.outputs = { data = "frame" }

--- A CSV snapshot taken for the run is parsed in byte ranges (cut on line
--- boundaries) over the processing backend's workers, a folder of files is
--- read a file per worker at a time; other datasource types read whole.
function Datasource:shards_by()
  local ds = self._ds
  if ds and ds.type == "files" and ds.reads_folder and ds:reads_folder() then return "files" end
  if ds and ds.type ~= "csv" then return nil end
  return "byte ranges"
end

--- Use this datasource object (instead of loading it by name).
function Datasource:attach(ds)
  self._ds = ds
  return self
end

--- At resolve time: snapshot the source (a no-op when unchanged) and pin the version.
function Datasource:prepare(repo)
  local ds, err = self._ds, nil
  if not ds then
    ds, err = zenml.datasources.load(repo, self.params.name)
    if not ds then error(err, 0) end
    self._ds = ds
  end
  local v = ds:commit_on(repo, self._processing, "step 'datasource': processing")
  for _, line in ipairs(require("zenml.datasource").warnings(v.note)) do
    io.stderr:write("zenml: warning: ", line, "\n")
  end
  self.params.version = v.id
  self._info = yaml.ordered({ name = ds.name, type = ds.type, version = v.id },
    { "name", "type", "version" })
end

function Datasource:datasource_info() return self._info end

--- What a recorded run of this step needs (zenml gc keeps it, zenml verify
--- checks it): the snapshot of the pinned version (its frame, and the tree
--- of the original files when the datasource keeps one).
function Datasource.needs(params, repo)
  local what = ("version %s of datasource '%s'"):format(tostring(params.version), tostring(params.name))
  local ds = type(params.name) == "string" and zenml.datasources.show(repo, params.name)
  for _, v in ipairs(ds and ds.versions or {}) do
    if v.id == params.version then
      local out = { { what = what, artifact = v.artifact } }
      if v.tree then out[2] = { what = "the files of " .. what, artifact = v.tree } end
      return out
    end
  end
  return { { what = what, problem = "which the metadata store does not have" } }
end

function Datasource:run(ctx)
  local name, version = self.params.name, self.params.version
  for _, v in ipairs(ctx.repo:meta():versions(name)) do
    if v.id == version then
      -- the snapshot's warnings go into this step's log (zenml run logs)
      local note = ctx.repo:meta():property_get("datasource_version", name .. "@" .. version, "note")
      for _, line in ipairs(require("zenml.datasource").warnings(note)) do
        ctx:log("warning: " .. line)
      end
      if not ctx.repo:store():exists(v.artifact) then
        error(("the snapshot of version %s of datasource '%s' (%s) is missing from the artifact "
          .. "store; take it again with 'zenml datasource commit %s' (the sources must still hold "
          .. "that data), or restore .zenml/artifacts from a backup"):format(version, name,
          v.artifact, name), 0)
      end
      return { data = ctx:existing(v.artifact) }
    end
  end
  local known = ctx.repo:meta():datasources()
  local registered = false
  for _, n in ipairs(known) do registered = registered or n == name end
  if not registered then
    error(("no datasource '%s' in this repository; datasources are: %s%s"):format(name,
      #known > 0 and table.concat(known, ", ") or "(none)", require("zenml.errors").did_you_mean(name, known)), 0)
  end
  error(("datasource '%s' has no version '%s' in this repository"):format(name,
    tostring(version)), 0)
end

return Datasource
