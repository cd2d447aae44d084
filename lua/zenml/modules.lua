--- Which Lua modules were loaded from which files, and which module required
--- which: the raw material of source pins. Also loads modules from pinned git
--- blobs when a pipeline YAML is re-run, so a later edit of the work tree does
--- not change what the re-run executes.
---
--- `require` stays Lua's own and `package.path` is the one list of folders
--- (zenml's are entries of it): zenml only adds a searcher for pinned sources
--- and wraps Lua's file searcher, so that every module loaded from a file
--- notes its file; while a module loads, zenml._core.modules.watch reports
--- the modules it requires, loaded already or not.
local core = require "zenml._core"

local modules = {}

--- name -> { file = path, deps = { name = true } } for modules loaded from files
modules.loaded = {}

local stack = {}          -- modules being loaded right now, innermost last
local closures = {}       -- memo of modules.closure, dropped when the graph changes
local pins = nil          -- name -> { chunkname, load = function() -> bytes } when re-running

--- The module currently being loaded (the one whose chunk is running), or nil.
function modules.current()
  return stack[#stack]
end

-- Called (through the watch) at every `require` while a module loads.
local function note_dependency(name)
  local parent = stack[#stack]
  if parent and modules.loaded[parent] and parent ~= name and
      not modules.loaded[parent].deps[name] then
    modules.loaded[parent].deps[name] = true
    closures = {}
  end
end

-- A to-be-closed value that ends a module's loading, normally or by error:
-- pops the stack and ends the watch this loading started.
local function leave(watching)
  return setmetatable({}, { __close = function()
    stack[#stack] = nil
    if watching then core.modules.unwatch() end
  end })
end

-- Wrap a module's loader so that modules it requires are recorded as its
-- dependencies. An error passes through untouched (with its traceback).
local function tracked(name, file, loader)
  return function(...)
    modules.loaded[name] = modules.loaded[name] or { file = file, deps = {} }
    closures = {}
    stack[#stack + 1] = name
    local _ <close> = leave(core.modules.watch(note_dependency))
    return loader(...)
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

-- Lua's own searcher of package.path, its answer kept as is (its message
-- when nothing is found, its error when package.path is not a string), the
-- loader it finds wrapped to note the file. Called through pcall so that its
-- error, as under plain Lua, names no position (it is raised from C).
local function recording(lua_searcher)
  return function(name)
    local ok, loader, file = pcall(lua_searcher, name)
    if not ok then error(loader, 0) end
    if type(loader) ~= "function" then return loader, file end
    return tracked(name, file, loader), file
  end
end

local installed = false

--- Put the searchers in place (idempotent; done by `require "zenml"`):
--- preload stays first, then pinned sources, then Lua's file searcher
--- (recording), then the C searchers.
function modules.install()
  if installed then return end
  installed = true
  package.searchers[2] = recording(package.searchers[2])
  table.insert(package.searchers, 2, pinned_searcher)
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
