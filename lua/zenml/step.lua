--- Steps: the generic `Step` class that every built-in and custom step
--- derives from. A step declares typed inputs, outputs and parameters;
--- `run(ctx, inputs)` returns its outputs.
local class = require "zenml.class"
local errors = require "zenml.errors"

local M = {}

--- Artifact types a step may declare for its inputs and outputs.
M.artifact_types = {
  frame = true, model = true, metrics = true, statistics = true, schema = true,
  file = true, tree = true, value = true,
  -- the failure of a step with `catch = true`: {message, step, kind, attempts}
  error = true,
}

local params = require "zenml.params"
M.param_types = params.types

local Step = class.Object:extend("Step")
M.Step = Step

Step.inputs = {}
Step.outputs = {}
Step.params = {}

-- What a backend option holds: a name or a backend object.
local function backend_value(v)
  if type(v) == "string" or (type(v) == "table" and type(v.can) == "function") then return nil end
  return "a backend name or object (zenml.backends.X { ... })"
end

--- Keys of a step's constructor table that are options, not parameters:
--- `training` and `processing` choose where the step runs (docs/backends.md);
--- `backend` is what run YAMLs of earlier releases say ("local"); `retries`,
--- `retry_on`, `retry_delay`, `timeout`, `on_failure`, `on_success` and
--- `catch` (docs/pipelines.md, "Retries, timeouts, hooks").
local options = { cache = "boolean", backend = "string", training = backend_value,
  processing = backend_value }
for k, check in pairs(require("zenml.engine.retry").options) do options[k] = check end
for _, k in ipairs(require("zenml.engine.hooks").names) do options[k] = require("zenml.engine.hooks").check end
options.catch = "boolean"
M.options = options

local sorted_names = require("zenml.tables").sorted_keys
M.sorted_names = sorted_names

--- Parse a declared artifact type: "frame", "value[]" (a list), "frame{}" (a map).
---@return string base, string shape "one"|"list"|"map"
local parsed = {}          -- type string -> { base, shape }: steps share a few types

function M.parse_type(spec)
  local t = tostring(type(spec) == "table" and spec.type or spec)
  local p = parsed[t]
  if not p then
    local base, suffix = t:match("^(%a+)(.-)%??$")
    p = { base, suffix == "[]" and "list" or suffix == "{}" and "map" or "one" }
    parsed[t] = p
  end
  return p[1], p[2]
end

--- Check a declared input or output map (`kind` "input" or "output"):
--- names to types such as "frame", "value[]", "model{}" or { type = ... }.
--- Returns nil or a message.
-- Declarations already found valid (a class's table is checked once, not
-- for every step built from it).
local valid_specs = setmetatable({}, { __mode = "k" })

function M.check_spec(class_name, kind, spec)
  if type(spec) ~= "table" then
    return ("%s: %ss must be a table of name = type, got %s"):format(class_name, kind, type(spec))
  end
  if valid_specs[spec] then return nil end
  for name, t in pairs(spec) do
    local ty = type(t) == "table" and t.type or t
    local base, suffix = tostring(ty):match("^(%a+)(.-)%??$")
    if type(name) ~= "string" or type(ty) ~= "string" or not M.artifact_types[base]
        or (suffix ~= "" and suffix ~= "[]" and suffix ~= "{}") then
      return ("%s: %s '%s' has type %s; types are: %s (a list: type[], a map: type{})"):format(
        class_name, kind, tostring(name), type(ty) == "string" and ("'" .. ty .. "'") or type(ty),
        table.concat(sorted_names(M.artifact_types), ", "))
    end
  end
  valid_specs[spec] = true
  return nil
end

--- Whether a declared input must be wired.
function M.is_required(spec)
  return type(spec) == "table" and spec.required == true
end

--- The parameters a class accepts: its own `params` laid over those of its
--- parents (zenml.params.spec).
M.param_spec = params.spec

--- Build a step from its parameters (and the options `cache`, `backend`).
--- Validates every parameter against the class's `params` spec.
function Step:init(args)
  local cls = getmetatable(self)
  local opts
  self.params, opts = params.build(cls, args, options)
  self:set_options(opts)
  self:configure()
end

-- Check and keep the options of a step (constructor or `with`).
function Step:set_options(opts)
  local name = getmetatable(self).__name
  for k, v in pairs(opts) do
    if k == "backend" and v ~= "local" then
      errors.user("%s: option 'backend' is 'local' or absent, got %q; choose where a step runs"
        .. " with training = or processing = (docs/backends.md)", name, v)
    elseif k == "training" or k == "processing" then
      require("zenml.backend").check(v, k, ("%s: option '%s'"):format(name, k))
    end
    self["_" .. k] = v
  end
end

--- Options set after construction: `step:with { training = zenml.backends.Slurm
--- { gres = "gpu:1" } }`, `{ cache = false }`. Returns the step.
function Step:with(opts)
  local name = getmetatable(self).__name
  if type(opts) ~= "table" then
    errors.user("%s: with expects a table of options (training, processing, cache, retries, ...), got %s", name,
      type(opts))
  end
  local checked = {}
  for k, v in pairs(opts) do
    local want = options[k]
    if not want or k == "backend" then
      local known = {}
      for o in pairs(options) do if o ~= "backend" then known[#known + 1] = o end end
      table.sort(known)
      errors.user("%s: with: unknown option '%s'; options are: %s%s", name, tostring(k),
        table.concat(known, ", "), errors.did_you_mean(tostring(k), known))
    end
    local bad = type(want) == "function" and want(v) or (type(want) == "string" and type(v) ~= want
      and "a " .. want)
    if bad then
      errors.user("%s: option '%s' expects %s, got %s", name, k, bad, params.describe(v))
    end
    checked[k] = v
  end
  self:set_options(checked)
  return self
end

--- Hook called after parameters are validated (subclasses may derive state).
function Step:configure() end

--- The declared inputs: name -> type. Subclasses may compute them.
function Step:input_spec() return getmetatable(self).inputs or {} end

--- The declared outputs: name -> type. Subclasses may compute them (split
--- names); a step rebuilt from a run's YAML gets them from there.
function Step:output_spec() return self._outputs or getmetatable(self).outputs or {} end

--- Whether the step's failure is recorded as data (`catch = true`): an
--- output `error` that downstream inputs of type `error` may take.
function Step:catches() return self._catch == true end

--- Hook called when the pipeline is validated, for each wired input with the
--- upstream steps it reads (a step whose outputs follow its inputs uses it).
---@param input string
---@param upstream table[] the upstream Step objects
function Step:connect(input, upstream) end

--- Whether this step may reuse cached results (the `cache = false` option).
function Step:cacheable()
  if self._cache ~= nil then return self._cache end
  return getmetatable(self).cache ~= false
end

--- The step's own work; subclasses override it. A subclass that defines
--- `map(ctx, chunk)` (and optionally `reduce(ctx, parts)`) instead gets this
--- run: its frame input cut into blocks of `shard_rows` rows, map on each
--- block (on the processing backend's workers), reduce over the parts in
--- block order (docs/steps.md, "Sharding: map and reduce").
---@param ctx table the step context (logging, progress, run information)
---@param inputs table name -> loaded input
---@return table outputs name -> value
function Step:run(ctx, inputs)
  if self.map then return require("zenml.shards").run(self, ctx, inputs) end
  errors.user("%s does not implement run(ctx, inputs)", getmetatable(self).__name)
end

--- What of this step's work processing backend `b` can shard: "rows" for a
--- step with `map` (or with `row_map` under a backend that shards rows
--- only), else its class's `shards` ("columns", "byte ranges"), or nil when
--- it runs whole.
function Step:shards_by(b)
  if self.map then return "rows" end
  local by = getmetatable(self).shards
  -- a step whose rows can also go in blocks (row_map: batch inference) takes
  -- that way under a backend that shards rows but not its kernels' way
  if b and self.row_map and not b:can_shard(by) and b:can_shard("rows") then return "rows" end
  return by
end

--- The YAML's `shards` entry of this step under processing backend `b`:
--- what shards and on how many workers, or `by: whole` on one.
function Step:shard_entry(b)
  local by = self:shards_by(b)
  local yaml = require "zenml.yaml"
  if not b:can_shard(by) then return yaml.ordered({ by = "whole", workers = 1 }, { "by", "workers" }) end
  return yaml.ordered({ by = by, workers = b:worker_count(),
    block_rows = by == "rows" and (self.shard_rows or require("zenml.shards").DEFAULT_ROWS) or nil },
    { "by", "workers", "block_rows" })
end

function Step:__tostring()
  return ("<%s step>"):format(getmetatable(self).__name)
end

return M
