--- A run's YAML document as the engine reads it: loaded and checked for
--- shape, each step's upstream steps, and an order to run them in.
local yaml = require "zenml.yaml"

local M = {}

--- Load a run's YAML document and check its shape.
---@param path string
---@return table doc
function M.load(path)
  local doc, err = yaml.read(path)
  if doc == nil then error(err, 0) end
  if type(doc) ~= "table" or (doc.steps == nil and doc.name == nil) or doc[1] ~= nil then
    error(("%s: not a zenml pipeline file (expected name and steps)"):format(path), 0)
  end
  if type(doc.name) ~= "string" then
    error(("%s: name must be a string, got %s"):format(path, doc.name == nil and "nothing"
      or (type(doc.name) .. " " .. tostring(doc.name))), 0)
  end
  if type(doc.steps) ~= "table" or doc.steps[1] ~= nil then
    error(("%s: steps must be a map of step name: {class, module, params, inputs, outputs}, got %s"):format(
      path, doc.steps == nil and "nothing" or doc.steps[1] ~= nil and "a list" or type(doc.steps)), 0)
  end
  if doc.version ~= 1 then
    error(("%s: pipeline file version %s is not supported by this zenml"):format(path,
      tostring(doc.version)), 0)
  end
  for name, s in pairs(doc.steps) do
    if type(s) ~= "table" or s[1] ~= nil then
      error(("%s: step '%s' must be a map (class, module, params, inputs, outputs), got %s"):format(path,
        tostring(name), type(s) == "table" and "a list" or type(s)), 0)
    end
    for _, field in ipairs { "params", "inputs", "outputs" } do
      if s[field] ~= nil and (type(s[field]) ~= "table" or s[field][1] ~= nil) then
        error(("%s: step '%s': %s must be a map, got %s"):format(path, tostring(name), field,
          type(s[field]) == "table" and "a list" or type(s[field])), 0)
      end
    end
    if type(s.class) ~= "string" or type(s.module) ~= "string" then
      error(("%s: step '%s' needs a class and a module"):format(path, tostring(name)), 0)
    end
  end
  return doc
end

--- Dependencies of each step of a document: name -> upstream names, sorted.
function M.deps(doc)
  local deps = {}
  for name, s in pairs(doc.steps) do
    local ups, seen = {}, {}
    for _, wire in pairs(s.inputs or {}) do
      for _, ref in ipairs(type(wire) == "string" and { wire } or wire) do
        local src = tostring(ref):match("^([^.]+)%.")
        if src and not seen[src] then
          seen[src] = true
          ups[#ups + 1] = src
        end
      end
    end
    table.sort(ups)
    deps[name] = ups
  end
  return deps
end

--- Steps ({name = ...} entries) in a topological order, ties in list order.
---@return string[] names
function M.topological(steps, deps)
  local order, done = {}, {}
  local remaining = #steps
  while remaining > 0 do
    local progressed = false
    for _, e in ipairs(steps) do
      if not done[e.name] then
        local ready = true
        for _, d in ipairs(deps[e.name]) do
          if not done[d] then ready = false break end
        end
        if ready then
          done[e.name] = true
          order[#order + 1] = e.name
          remaining = remaining - 1
          progressed = true
        end
      end
    end
    assert(progressed, "cycle")
  end
  return order
end

--- The step order of a document: its key order, made topological.
function M.order(doc, deps)
  local steps = {}
  for _, k in ipairs(yaml.keys(doc.steps)) do steps[#steps + 1] = { name = k } end
  return M.topological(steps, deps)
end

return M
