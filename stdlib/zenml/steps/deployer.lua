--- Built-in deployers, on zenml.steps.BaseDeployerStep.
---
---   Export { path = "model.tar.gz" }
---
--- Export writes a self-contained bundle: a .tar.gz (zenml.steplib.pack,
--- libarchive) holding manifest.yaml, transform.bin, model.bin and
--- schema.yaml. `zenml predict BUNDLE data.csv` needs nothing else: no
--- repository, no metadata. The same inputs give the same bytes.
local zenml = require "zenml"
local yaml = require "zenml.yaml"
local steplib = require "zenml.steplib"

local M = {}

M.FORMAT = "zenml-bundle"
M.VERSION = 1

--- The manifest: what the bundle holds and how to use it.
function M.manifest(model, transform)
  local info = zenml.ml.load_model(model):info()
  local man = yaml.ordered({
    format = M.FORMAT, version = M.VERSION, zenml = require("zenml._core").version,
    kind = info.kind, task = info.task, label = info.label, features = info.features,
    classes = info.classes, transform = transform ~= nil,
    inputs = transform and zenml.ml.load_transform(transform):outputs() or nil,
  }, { "format", "version", "zenml", "kind", "task", "label", "classes", "transform",
    "features", "inputs" })
  return man
end

-- Bytes of a model or transform input (an object when it was made in this
-- Lua state, bytes when it was loaded from the store).
local function bytes_of(v)
  if v == nil or type(v) == "string" then return v end
  return v:save()
end
M.bytes_of = bytes_of

--- The bundle's bytes.
---@param model string model bytes
---@param transform? string transform bytes
---@param schema? table the raw training schema (zenml.stats.infer_schema)
---@return string
function M.bundle(model, transform, schema)
  model, transform = bytes_of(model), bytes_of(transform)
  local entries = { { "manifest.yaml", yaml.encode(M.manifest(model, transform)) } }
  if transform then entries[#entries + 1] = { "transform.bin", transform } end
  entries[#entries + 1] = { "model.bin", model }
  if schema then entries[#entries + 1] = { "schema.yaml", yaml.encode(schema) } end
  return steplib.pack(entries)
end

--- Read a bundle file: { manifest, model, transform?, schema? }, or nil, message.
---@param path string
function M.read(path)
  local files, err = steplib.unpack(path)
  if not files then return nil, err end
  local text = files["manifest.yaml"]
  local man = text and yaml.decode(text, path .. ":manifest.yaml")
  if type(man) ~= "table" or man.format ~= M.FORMAT then
    return nil, ("%s is not a zenml model bundle (no manifest.yaml of format %s)"):format(path,
      M.FORMAT)
  end
  if man.version ~= M.VERSION then
    return nil, ("%s is a bundle of version %s; this zenml reads version %d"):format(path,
      tostring(man.version), M.VERSION)
  end
  if not files["model.bin"] then return nil, path .. ": the bundle has no model.bin" end
  local schema = files["schema.yaml"] and yaml.decode(files["schema.yaml"], path .. ":schema.yaml")
  return { manifest = man, model = files["model.bin"], transform = files["transform.bin"],
    schema = schema }
end

--- Export the model, transform and schema as a bundle artifact (a file),
--- and also to `path` (relative to the repository root) when given.
local Export = zenml.steps.BaseDeployerStep:extend("Export")
M.Export = Export
Export.params = { path = { type = "string" } }

function Export:deploy(ctx, inputs)
  local bytes = M.bundle(inputs.model, inputs.transform, inputs.schema)
  local path = self.params.path
  if path then
    if path:sub(1, 1) ~= "/" then path = ctx.repo.root .. "/" .. path end
    local tmp = path .. ".tmp"
    local f, err = io.open(tmp, "wb")
    if not f then error(("Export: cannot write %s: %s"):format(path, err), 0) end
    f:write(bytes)
    f:close()
    assert(os.rename(tmp, path))
    ctx:log(("bundle written to %s (%d bytes)"):format(self.params.path, #bytes))
  end
  return bytes
end

return M
