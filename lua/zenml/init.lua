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
  backends = "zenml.backends",
  exec = "zenml.exec",
  stats = "zenml.stats",
  steplib = "zenml.steplib",
  json = "zenml.json",
  check = "zenml.check",
}

--- The Repository around `folder` (default: the current folder), or nil and
--- a message when there is none.
---@param folder? string
---@return table|nil repository
---@return string|nil message
function zenml.repo(folder)
  return require("zenml.repo").open(folder)
end

--- A registered model version of the current repository: "churn@production",
--- "churn@3" or "churn" (its newest version). The object has name, version,
--- alias (when reached through one), run (the run id), step, artifacts
--- {model, transform, schema}, metrics, tags, aliases, created, created_by,
--- deprecated, and `:predict(frame)`. Nil and a message for an unknown model,
--- alias or version.
---@param ref string
---@return table|nil version
---@return string|nil message
function zenml.model(ref)
  require("zenml.check").arg("zenml.model", 1, "ref", ref, "string")
  local repo, err = zenml.repo()
  if not repo then return nil, err end
  return require("zenml.registry").open(repo, ref)
end

-- Runs given as Run objects, ids or prefixes, as Run objects; `what` names
-- the function in messages.
local function runs_of(what, runs)
  if #runs == 0 then error(what .. ": expected at least one run, got none", 3) end
  local list, repo = {}, nil
  for i, r in ipairs(runs) do
    if type(r) == "string" then
      repo = repo or assert(zenml.repo())
      local run, err = repo:run(r)
      if not run then error(what .. ": " .. err, 3) end
      r = run
    elseif type(r) ~= "table" or type(r.metrics) ~= "function" then
      error(("%s: expected runs (Run objects or ids), got %s at %d"):format(what, type(r), i), 3)
    end
    list[i] = r
  end
  return list
end

--- Compare runs (Run objects, ids or prefixes of the current repository):
--- a table with the runs as columns and the parameters, datasource versions,
--- source pins, metrics and durations that differ as rows (`all`: every
--- row); deltas to the first run, the best value of each metric marked. It
--- prints as that table; `:record()`, `:csv()` and `:markdown()` give the rest.
---@param runs (table|string)[]
---@param opts? {all?: boolean}
---@return table comparison
function zenml.compare(runs, opts)
  require("zenml.check").args("zenml.compare", { { "runs", runs, "table" }, { "opts", opts, "table?" } })
  return require("zenml.compare").compare(runs_of("zenml.compare", runs), opts)
end

--- Write the runs (Run objects, ids or prefixes) as one self-contained HTML
--- page to `path`, as `zenml report` does. Returns true, or nil and a
--- message when the file cannot be written.
---@param runs (table|string)[]
---@param path string
---@return boolean|nil ok
---@return string? message
function zenml.report(runs, path)
  require("zenml.check").args("zenml.report", { { "runs", runs, "table" }, { "path", path, "string" } })
  return require("zenml.report").write(runs_of("zenml.report", runs), path)
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

local sorted = require("zenml.tables").sorted_keys

-- Every public name of the package, loaded or not (REPL completion, help).
local function names()
  local seen, out = {}, {}
  local function add(k)
    if type(k) == "string" and k:sub(1, 1) ~= "_" and not seen[k] then
      seen[k] = true
      out[#out + 1] = k
    end
  end
  for k in pairs(zenml) do add(k) end
  for k in pairs(lazy) do add(k) end
  for k in pairs(lazy_field) do add(k) end
  table.sort(out)
  return out
end

-- `print(zenml)` and the REPL: the version and what the package holds.
local function describe()
  local functions = {}
  for _, k in ipairs(sorted(zenml)) do
    if type(rawget(zenml, k)) == "function" and k:sub(1, 1) ~= "_" then
      functions[#functions + 1] = k
    end
  end
  return table.concat({
    ("zenml %s"):format(zenml.version),
    "  submodules: " .. table.concat(sorted(lazy), ", "),
    "  classes:    " .. table.concat(sorted(lazy_field), ", "),
    "  functions:  " .. table.concat(functions, ", "),
    "help(zenml.NAME) in the REPL describes one",
  }, "\n")
end

return setmetatable(zenml, {
  __tostring = describe,
  __name = "zenml",
  __keys = names,
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
