--- How step outputs become artifacts in the store and artifacts become step
--- inputs again, by declared artifact type.
local yaml = require "zenml.yaml"

local M = {}

local structured = { value = true, metrics = true, statistics = true, schema = true, error = true }

--- Store `value` as an artifact of type `kind`; returns id, size.
---@param repo table the Repository
---@param kind string artifact type
---@param value any
---@param what string names the output in error messages
function M.put(repo, kind, value, what)
  local store = repo:store()
  if kind == "frame" then
    local frame = require "zenml.frame"
    if not frame.is_frame(value) then
      error(("%s: expected a frame, got %s"):format(what, type(value)), 0)
    end
    local id, err = store:put_frame(value)
    if not id then error(("%s: %s"):format(what, err), 0) end
    return id, store:size(id)
  elseif structured[kind] then
    local ok, text = pcall(yaml.encode, value)
    if not ok then error(("%s: %s"):format(what, tostring(text):gsub("^yaml%.encode: ", "")), 0) end
    return assert(store:put(text)), #text
  elseif kind == "tree" then
    if type(value) ~= "string" then
      error(("%s: expected a folder path for a tree output, got %s"):format(what, type(value)), 0)
    end
    local id, err = store:put_tree(value)
    if not id then error(("%s: %s"):format(what, err), 0) end
    return id, store:size(id)
  end
  -- model and file: bytes, or an object that can save itself
  if type(value) == "table" or type(value) == "userdata" then
    local mt = getmetatable(value)
    if mt and (value.save or (type(mt.__index) == "table" and mt.__index.save)) then
      value = value:save()
    end
  end
  if type(value) ~= "string" then
    error(("%s: expected bytes (a string) for a %s output, got %s"):format(what, kind, type(value)), 0)
  end
  return assert(store:put(value)), #value
end

--- Load the artifact `id` of type `kind` for a step's input.
function M.load(repo, kind, id)
  local store = repo:store()
  if kind == "frame" then
    local f, err = require("zenml.frame").read(store:read_path(id),
      { trusted = store:wrote(id), id = id, store = store })
    if not f then error(err, 0) end
    return f
  elseif structured[kind] then
    local text = assert(store:read(id))
    local v, err = yaml.decode(text, id)
    if v == nil then error(err, 0) end
    if v == yaml.null then return nil end
    return v
  elseif kind == "tree" or kind == "file" then
    return repo:artifact(id)
  end
  return assert(store:read(id))
end

return M
