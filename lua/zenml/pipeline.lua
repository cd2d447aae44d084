--- Pipelines: a DAG of named steps wired output-to-input. `Pipeline` wires
--- any DAG; the standard pipelines in stdlib/ are thin subclasses of it.
local class = require "zenml.class"
local stepmod = require "zenml.step"
local errors = require "zenml.errors"
local names = require "zenml.names"
local backend = require "zenml.backend"
local docs = require "zenml.engine.doc"
local runner = require "zenml.runner"

local M = {}

local Pipeline = class.Object:extend("Pipeline")
M.Pipeline = Pipeline

local function fail(self, fmt, ...)
  errors.user("pipeline '%s': " .. fmt, self.name, ...)
end

-- The pipeline's options besides its name.
local OPTIONS = { "backend", "enable_cache", "jobs", "keep_going", "name", "on_failure", "on_success" }
local is_option = {}
for _, k in ipairs(OPTIONS) do is_option[k] = true end

--- A pipeline: `Pipeline { name = "x", enable_cache = true, backend = "local", jobs = 1 }`;
--- `backend` is a name ("local", "parallel", "slurm", a repository backend)
--- or an orchestrator object (`zenml.backends.Slurm { partition = "debug" }`);
--- `keep_going = false` stops the run at its first failure; `on_failure`
--- and `on_success` are hooks (docs/pipelines.md, "Retries, timeouts, hooks").
function Pipeline:init(args)
  require("zenml.git").warm_up() -- running it will need git: start libgit2 meanwhile
  if type(args) ~= "table" then
    error(("%s: expected a table { name = ... }, got %s"):format(self:class_name(), type(args)), 3)
  end
  local bad = names.check("pipeline", args.name)
  if bad then error(("%s: %s"):format(self:class_name(), bad), 3) end
  for k in pairs(args) do
    if not is_option[k] then
      errors.user("%s: unknown option '%s'; options are: %s%s", self:class_name(), tostring(k),
        table.concat(OPTIONS, ", "), errors.did_you_mean(tostring(k), OPTIONS))
    end
  end
  self.name = args.name
  if args.jobs ~= nil and (math.type(args.jobs) ~= "integer" or args.jobs < 1) then
    error(("pipeline '%s': jobs must be a positive integer, got %s"):format(self.name,
      type(args.jobs) == "string" and ("%q"):format(args.jobs) or tostring(args.jobs)), 3)
  end
  if args.backend ~= nil then
    backend.check(args.backend, "orchestrator", ("pipeline '%s'"):format(self.name))
  end
  if args.enable_cache ~= nil and type(args.enable_cache) ~= "boolean" then
    error(("pipeline '%s': enable_cache must be true or false, got %s"):format(self.name,
      tostring(args.enable_cache)), 3)
  end
  if args.keep_going ~= nil and type(args.keep_going) ~= "boolean" then
    errors.user("pipeline '%s': keep_going must be true or false, got %s", self.name,
      require("zenml.params").describe(args.keep_going))
  end
  for _, hook in ipairs(require("zenml.engine.hooks").names) do
    local bad = args[hook] ~= nil and require("zenml.engine.hooks").check(args[hook])
    if bad then
      errors.user("pipeline '%s': %s expects %s, got %s", self.name, hook, bad,
        require("zenml.params").describe(args[hook]))
    end
    self[hook] = args[hook]
  end
  self.keep_going = args.keep_going ~= false
  self.enable_cache = args.enable_cache ~= false
  self.backend = args.backend
  self.jobs = args.jobs
  self.steps = {}
  self.by_name = {}
end

function Pipeline:__tostring()
  return ("<%s %s: %d steps>"):format(self:class_name(), self.name, #self.steps)
end

local function is_step(v)
  return type(v) == "table" and type(v.is_a) == "function" and v:is_a(stepmod.Step)
end

--- Add a step. `inputs` maps each input to "step.output", a list of them,
--- or "step.*" (every output of that step, as a map).
---@param name string
---@param step table a Step instance
---@param inputs? table<string, string|string[]>
---@return table self
function Pipeline:add(name, step, inputs)
  local bad = names.check("step", name)
  if bad then error(("pipeline '%s': add: step %s"):format(self.name, bad), 2) end
  if not is_step(step) then
    error(("pipeline '%s': add: step '%s' must be a Step instance (e.g. MyStep { ... }), got %s"):format(
      self.name, name, type(step)), 2)
  end
  if inputs ~= nil and type(inputs) ~= "table" then
    error(("pipeline '%s': add: inputs of step '%s' must be a table, got %s"):format(
      self.name, name, type(inputs)), 2)
  end
  if self.by_name[name] then
    error(("pipeline '%s': duplicate step name '%s'"):format(self.name, name), 2)
  end
  local entry = { name = name, step = step, inputs = inputs or {} }
  self.steps[#self.steps + 1] = entry
  self.by_name[name] = entry
  return self
end

--- Add the pipeline's datasource as the step named "datasource" (output `data`).
---@param ds table a datasource (zenml.datasources.CSV { ... } etc.)
function Pipeline:add_datasource(ds, opts)
  if type(ds) ~= "table" or type(ds.commit) ~= "function" then
    error(("pipeline '%s': add_datasource expects a datasource (e.g. zenml.datasources.CSV "
      .. "{ name = ..., path = ... }), got %s"):format(self.name, type(ds)), 2)
  end
  local Datasource = require "zenml.steps.datasource"
  local step = Datasource { name = ds.name }:attach(ds)
  -- step options (`{ processing = zenml.backends.Threads {} }`: parse on
  -- threads); without one, the datasource's own `processing`, which its
  -- snapshot at construction used
  if ds._processing ~= nil and (opts == nil or opts.processing == nil) then
    local with = { processing = ds._processing }
    for k, v in pairs(opts or {}) do with[k] = v end
    opts = with
  end
  if opts ~= nil then step:with(opts) end
  return self:add("datasource", step)
end

local LUA_VALUES = { value = true, metrics = true, statistics = true, schema = true }

-- The references of one wired input, as a list of "step.output" strings.
local function refs_of(wire)
  if type(wire) == "string" then return { wire } end
  return wire
end

local function check_ref(self, entry, input, ref)
  if type(ref) ~= "string" then
    fail(self, "step '%s' input '%s': expected \"step.output\", got %s", entry.name, input, type(ref))
  end
  local src, out = ref:match("^([^.]+)%.(.+)$")
  if not src then
    fail(self, "step '%s' input '%s': expected \"step.output\", got %q", entry.name, input, ref)
  end
  local up = self.by_name[src]
  if not up then
    fail(self, "step '%s' input '%s': no step '%s' in the pipeline%s", entry.name, input, src,
      errors.did_you_mean(src, self.by_name))
  end
  local caught = out == "error" and up.step:catches()
  if caught and stepmod.parse_type(entry.step:input_spec()[input]) ~= "error" then
    fail(self, "step '%s' input '%s' takes a %s, but %s is the error of a step with catch = true;"
      .. " only an input of type error takes it", entry.name, input,
      stepmod.parse_type(entry.step:input_spec()[input]), ref)
  end
  if out ~= "*" and not caught and not up.step:output_spec()[out] then
    local names = stepmod.sorted_names(up.step:output_spec())
    fail(self, "step '%s' input '%s': step '%s' has no output '%s'; outputs are: %s%s",
      entry.name, input, src, out, table.concat(names, ", "), errors.did_you_mean(out, names))
  end
  if out ~= "*" and not caught then
    -- an input takes outputs of its own type; a Lua value (value, metrics,
    -- statistics, schema) may go where a value is expected
    local want = stepmod.parse_type(entry.step:input_spec()[input])
    local have = stepmod.parse_type(up.step:output_spec()[out])
    if want ~= have and not (want == "value" and LUA_VALUES[have]) then
      fail(self, "step '%s' input '%s' takes a %s, but %s is a %s", entry.name, input, want, ref, have)
    end
  end
  return src
end

-- Check the wiring of every step; returns name -> list of upstream names.
local function wiring(self)
  local deps = {}
  for _, e in ipairs(self.steps) do
    local spec, ups, seen = e.step:input_spec(), {}, {}
    local bad = stepmod.check_spec(e.step:class_name(), "input", spec)
      or stepmod.check_spec(e.step:class_name(), "output", e.step:output_spec())
    if bad then fail(self, "step '%s': %s", e.name, bad) end
    for input, wire in pairs(e.inputs) do
      if not spec[input] then
        local names = stepmod.sorted_names(spec)
        fail(self, "step '%s' (%s) has no input '%s'; inputs are: %s%s", e.name,
          e.step:class_name(), tostring(input), #names > 0 and table.concat(names, ", ") or "(none)",
          errors.did_you_mean(tostring(input), names))
      end
      local upstream = {}
      for _, ref in ipairs(refs_of(wire)) do
        local src = self.by_name[tostring(ref):match("^([^.]+)%.") or ""]
        if src then upstream[#upstream + 1] = src.step end
      end
      e.step:connect(input, upstream)
      for _, ref in ipairs(refs_of(wire)) do
        local src = check_ref(self, e, input, ref)
        if not seen[src] then
          seen[src] = true
          ups[#ups + 1] = src
        end
      end
    end
    for input, s in pairs(spec) do
      if stepmod.is_required(s) and e.inputs[input] == nil then
        fail(self, "step '%s' (%s): input '%s' is required but not wired", e.name,
          e.step:class_name(), input)
      end
    end
    table.sort(ups)
    deps[e.name] = ups
  end
  return deps
end

-- Depth-first search for a cycle; error naming the steps in it.
local function check_cycles(self, deps)
  local state, path = {}, {}
  local function visit(n)
    if state[n] == "done" then return end
    if state[n] == "active" then
      local start
      for i, p in ipairs(path) do if p == n then start = i end end
      local cyc = { table.unpack(path, start) }
      cyc[#cyc + 1] = n
      fail(self, "cycle: %s", table.concat(cyc, " -> "))
    end
    state[n] = "active"
    path[#path + 1] = n
    for _, d in ipairs(deps[n]) do visit(d) end
    path[#path] = nil
    state[n] = "done"
  end
  for _, e in ipairs(self.steps) do visit(e.name) end
end

--- Check the pipeline before anything runs: wiring, required inputs, cycles.
---@return table deps step name -> upstream step names
function Pipeline:validate()
  if #self.steps == 0 then fail(self, "has no steps") end
  local deps = wiring(self)
  check_cycles(self, deps)
  return deps
end

--- Steps in a topological order (ties in the order they were added).
M.topological = docs.topological

--- Resolve and run the pipeline: write its immutable YAML, record the run,
--- execute the steps. Options: backend, jobs, cache (false = --no-cache).
---@param opts? {backend?: string|table, jobs?: integer, cache?: boolean}
---@return table run the Run (status, executions(), metrics(), ...)
function Pipeline:run(opts)
  if opts ~= nil and type(opts) ~= "table" then
    error(("pipeline '%s': run expects a table of options, got %s"):format(self.name, type(opts)), 2)
  end
  local known = { "backend", "cache", "jobs", "no_cache" }
  for k, v in pairs(opts or {}) do
    if k ~= "backend" and k ~= "cache" and k ~= "jobs" and k ~= "no_cache" then
      error(("pipeline '%s': run: unknown option '%s'; options are: %s%s"):format(self.name, tostring(k),
        table.concat(known, ", "), errors.did_you_mean(tostring(k), known)), 2)
    elseif k == "jobs" and (math.type(v) ~= "integer" or v < 1) then
      error(("pipeline '%s': run: jobs must be a positive integer, got %s"):format(self.name,
        type(v) == "string" and ("%q"):format(v) or tostring(v)), 2)
    elseif (k == "cache" or k == "no_cache") and type(v) ~= "boolean" then
      error(("pipeline '%s': run: %s must be true or false, got %s"):format(self.name, k, tostring(v)), 2)
    elseif k == "backend" then
      backend.check(v, "orchestrator", ("pipeline '%s': run"):format(self.name))
    end
  end
  return runner.run_pipeline(self, opts or {})
end

return M
