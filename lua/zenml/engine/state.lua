--- What one Lua state knows while it executes steps of a run: the outputs
--- of the steps it ran, the results the scheduler handed it, the artifact
--- ids wired to a step's inputs, and values it can hand on without reading
--- the store. Every path to "the outputs of step X" goes through
--- `outputs_of`.
local json = require "zenml.json"
local artifacts = require "zenml.artifacts"
local stepmod = require "zenml.step"
local classes = require "zenml.engine.classes"

local M = {}

local State = {}
State.__index = State

--- A step's result as the text that crosses between states: its status
--- ("completed" or "cached") and its outputs, name -> artifact id.
---@param status string
---@param outputs table<string, string>
---@return string
function M.encode(status, outputs)
  return status .. "\n" .. json.encode(outputs)
end

--- The status of an encoded result.
function M.status_of(text)
  return text and text:match("^([^\n]*)") or nil
end

--- The outputs of an encoded result.
function M.outputs_of_text(text)
  local outs = json.try_decode(text:match("\n(.*)$") or "{}")
  return type(outs) == "table" and outs or {}
end

--- A state for run document `doc` of `repo`.
function M.new(repo, doc)
  return setmetatable({ repo = repo, doc = doc, done = {}, handed = {}, values = {},
    sources_of = {}, classes = {}, types = {} }, State)
end

-- The status and outputs of step `src` from the metadata store: it ran in
-- another process (`zenml step exec` on a cluster node), which recorded
-- them; "skipped" when it was skipped for a caught failure upstream.
local function result_from_meta(st, src)
  local db, latest, skipped = st.repo:meta(), nil, false
  for _, e in ipairs(db:executions(st.doc.run_id)) do
    if e.step == src and (e.status == "completed" or e.status == "cached")
      and (not latest or e.id > latest) then
      latest = e.id
    end
    skipped = skipped or (e.step == src and e.status == "skipped")
  end
  if not latest and skipped then return "skipped", {} end
  if not latest then
    error(("step '%s' has not completed in run %s"):format(src, st.doc.run_id), 0)
  end
  return "completed", db:outputs(latest)
end

--- The status and outputs (name -> artifact id) of step `src`: run in this
--- state, handed over by the scheduler, or else recorded in the metadata store.
function State:result_of(src)
  local r = self.done[src]
  if r then return r.status, r.outputs or {} end
  local text = self.handed[src]
  if text then return M.status_of(text), M.outputs_of_text(text) end
  return result_from_meta(self, src)
end

--- The outputs (name -> artifact id) of step `src` (see result_of).
function State:outputs_of(src)
  local _, outs = self:result_of(src)
  return outs
end

-- Raise the error that skips a step: an upstream step did not run, or
-- failed with `catch = true` and the step does not take its error.
local function skip(why)
  local e = require("zenml.errors").new { message = why, where = false }
  e.skip = true
  error(e, 0)
end

--- The artifact type of each output of step `src`.
function State:output_types(src)
  local t = self.types[src]
  if not t then
    t = classes.output_types(self.doc, src)
    self.types[src] = t
  end
  return t
end

--- The artifact ids feeding each input of step `name`: "s.out" -> id, lists
--- -> lists, "s.*" -> map of that step's outputs of the input's type.
---@param spec table the step's input declaration
function State:input_ids(name, spec)
  local ids = {}
  for input, wire in pairs(self.doc.steps[name].inputs or {}) do
    local base, shape = stepmod.parse_type(spec[input])
    local function one(ref)
      local src, out = ref:match("^([^.]+)%.(.+)$")
      local status, outs = self:result_of(src)
      if status == "skipped" then skip(("step '%s' did not run"):format(src)) end
      if self.doc.steps[src].catch then
        -- its `error` when it failed (nil when it did not); nothing else then
        if out == "error" then return outs.error end
        if outs.error ~= nil then skip(("step '%s' failed (caught)"):format(src)) end
      end
      if out == "*" then
        local types, map = self:output_types(src), {}
        for k, v in pairs(outs) do
          if types[k] == nil or types[k] == base then map[k] = v end
        end
        return map
      end
      return outs[out] or error(("step '%s': output '%s' of step '%s' is missing"):format(
        name, out, src), 0)
    end
    if shape == "list" or type(wire) == "table" then
      local list = {}
      for i, ref in ipairs(type(wire) == "table" and wire or { wire }) do list[i] = one(ref) end
      ids[input] = list
    else
      ids[input] = one(wire)
    end
  end
  return ids
end

--- Values produced in this state are handed on without a trip through the store.
function State:remember(id, kind, v)
  if kind == "frame" then self.touched_frames = true end
  if kind ~= "frame" and kind ~= "tree" and kind ~= "file" then self.values[id] = v end
end

--- Load artifact `id` of type `kind` for an input.
function State:load(kind, id)
  if kind == "frame" then self.touched_frames = true end
  local v = self.values[id]
  if v ~= nil then return v end
  return artifacts.load(self.repo, kind, id)
end

return M
