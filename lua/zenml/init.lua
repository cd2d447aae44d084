--- The zenml package: the public Lua API.
--- Submodules load on first use, so `require "zenml"` stays cheap.
---@class zenml
local core = require "zenml._core"
require("zenml.modules").install()

local zenml = {
  version = core.version,
}

-- name -> module path, loaded when first read (zenml.hash, zenml.repo, ...)
local lazy = {
  class = "zenml.class",
  pretty = "zenml.pretty",
  cli = "zenml.cli",
  frame = "zenml.frame",
  meta = "zenml.meta",
  git = "zenml.git",
  yaml = "zenml.yaml",
  hash = "zenml.hash",
  store = "zenml.store",
  datasources = "zenml.datasources",
  ml = "zenml.ml",
  steps = "zenml.steps",
  pipelines = "zenml.pipelines",
  exec = "zenml.exec",
}

--- The Repository around `folder` (default: the current folder), or nil and
--- a message when there is none.
---@param folder? string
---@return table|nil repository
---@return string|nil message
function zenml.repo(folder)
  return require("zenml.repo").open(folder)
end

-- name -> { module, field } for classes reached as zenml.Step, zenml.Pipeline
local lazy_field = {
  Step = { "zenml.step", "Step" },
  Pipeline = { "zenml.pipeline", "Pipeline" },
}

--- Register a lazily loaded field of `zenml` (used by zenml's own modules).
---@param name string field of the zenml table
---@param module string module that provides it
function zenml._lazy(name, module)
  lazy[name] = module
end

return setmetatable(zenml, {
  __index = function(t, k)
    local f = lazy_field[k]
    if f then
      local v = require(f[1])[f[2]]
      rawset(t, k, v)
      return v
    end
    local m = lazy[k]
    if m == nil then return nil end
    local v = require(m)
    rawset(t, k, v)
    return v
  end,
})
