--- Which Lua modules were loaded from which files, and which module required
--- which: the raw material of source pins. Also loads modules from pinned git
--- blobs when a pipeline YAML is re-run, so a later edit of the work tree does
--- not change what the re-run executes.
local modules = {}

--- name -> { file = path, deps = { name = true } } for modules loaded from files
modules.loaded = {}

local stack = {}          -- modules being loaded right now, innermost last
local closures = {}       -- memo of modules.closure, dropped when the graph changes
local pins = nil          -- name -> { chunkname, load = function() -> bytes } when re-running
local original_require = require

--- The module currently being loaded (the one whose chunk is running), or nil.
function modules.current()
  return stack[#stack]
end

local function note_dependency(name)
  local parent = stack[#stack]
  if parent and modules.loaded[parent] and parent ~= name and
      not modules.loaded[parent].deps[name] then
    modules.loaded[parent].deps[name] = true
    closures = {}
  end
end

-- Wrap a module chunk so that modules it requires are recorded as its dependencies.
local function tracked(name, file, chunk)
  return function(...)
    modules.loaded[name] = modules.loaded[name] or { file = file, deps = {} }
    closures = {}
    stack[#stack + 1] = name
    -- captured here, so an error in the module's own code keeps its frames
    local results = table.pack(xpcall(chunk, require("zenml.errors").capture, ...))
    stack[#stack] = nil
    if not results[1] then error(results[2], 0) end
    return table.unpack(results, 2, results.n)
  end
end

local function pinned_searcher(name)
  local pin = pins and pins[name]
  if not pin then return nil end
  local bytes, err = pin.load()
  if not bytes then error(err, 0) end
  local chunk, lerr = load(bytes, "@" .. pin.chunkname, "t")
  if not chunk then error(("error loading pinned module '%s':\n\t%s"):format(name, lerr), 0) end
  return tracked(name, pin.file, chunk), pin.file
end

local function file_searcher(name)
  local path, err = package.searchpath(name, package.path)
  if not path then return err end
  local chunk, lerr = loadfile(path)
  if not chunk then
    error(("error loading module '%s' from file '%s':\n\t%s"):format(name, path, lerr), 0)
  end
  return tracked(name, path, chunk), path
end

local installed = false

--- Put the recording searchers in place (idempotent; done by `require "zenml"`).
function modules.install()
  if installed then return end
  installed = true
  -- preload stays first; then pinned sources; then files (replacing Lua's own).
  package.searchers[2] = file_searcher
  table.insert(package.searchers, 2, pinned_searcher)
  _G.require = function(name)
    note_dependency(name)
    return original_require(name)
  end
end

--- Serve these modules from pinned bytes instead of the work tree.
---@param map table<string, {chunkname: string, file: string, load: fun(): string?, string?}>
function modules.set_pins(map)
  pins = map
end

--- The transitive closure of a module's dependencies (itself included).
---@return string[] sorted module names
function modules.closure(name)
  if closures[name] then return closures[name] end
  local seen, out = {}, {}
  local function visit(n)
    if seen[n] then return end
    seen[n] = true
    out[#out + 1] = n
    local m = modules.loaded[n]
    if m then for d in pairs(m.deps) do visit(d) end end
  end
  visit(name)
  table.sort(out)
  closures[name] = out
  return out
end

return modules
