--- Source pins: which bytes of code a step ran. A module from the repository
--- is pinned as `module@<git blob sha>` (the working copy's blob when it is
--- dirty, whose bytes then also go into the artifact store); a built-in as
--- `module@zenml-<version>`. Re-runs load pinned modules from git (or the
--- store), not from the work tree.
local core = require "zenml._core"
local modules = require "zenml.modules"

local M = {}

local function starts_with(s, prefix)
  return s:sub(1, #prefix) == prefix
end

--- The bytes of file `path`, or nil when it cannot be read.
local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

M.read_file = read_file

--- Pin one module. Returns a record {module, pin, path?, dirty?, artifact?}.
function M.pin(repo, name)
  local info = modules.loaded[name]
  local version = core.version
  local home = core.sys.home()
  local file = info and info.file
  if not file then
    return { module = name, pin = ("%s@zenml-%s"):format(name, version), builtin = true }
  end
  local real = core.sys.realpath(file) or file
  local real_home = core.sys.realpath(home) or home
  if starts_with(real, real_home .. "/") then
    return { module = name, pin = ("%s@zenml-%s"):format(name, version), builtin = true }
  end
  local root = core.sys.realpath(repo.root) or repo.root
  local rec = { module = name }
  if starts_with(real, root .. "/") then
    rec.path = real:sub(#root + 2)
    local git = repo:git()
    local status = git:status(rec.path)
    local sha
    if status == "clean" then
      sha = git:blob_sha(rec.path)
    end
    if not sha then
      sha = assert(git:workfile_sha(rec.path))
      rec.dirty = true
    end
    rec.pin = name .. "@" .. sha
  else
    rec.path = real
    rec.outside = true
    rec.dirty = true
  end
  if rec.dirty then
    local bytes = read_file(real) or ""
    rec.artifact = assert(repo:store():put(bytes))
    if rec.outside then rec.pin = name .. "@" .. rec.artifact end
  end
  return rec
end

--- Pins of a module and every module it requires (built-ins pinned by version).
---@return table[] records sorted by module name
function M.closure(repo, name, cache)
  -- modules.closure hands back the same list until the module graph changes,
  -- so the list itself keys the answer: a pipeline of 500 steps of one class
  -- walks the closure (every zenml module it requires) once, not 500 times.
  local names = modules.closure(name)
  if cache[names] then return cache[names] end
  local out = {}
  for _, m in ipairs(names) do
    cache[m] = cache[m] or M.pin(repo, m)
    if not cache[m].builtin or m == name then out[#out + 1] = cache[m] end
  end
  cache[names] = out
  return out
end

--- Serve the pinned modules of a YAML document's `sources` from git (or,
--- for dirty files, from the artifact store) when they are required.
function M.install_pins(repo, sources)
  modules.install()
  local map = {}
  for name, rec in pairs(sources or {}) do
    if type(rec) == "table" and rec.pin and not tostring(rec.pin):match("@zenml%-") then
      local sha = rec.pin:match("@([^@]+)$")
      map[name] = {
        chunkname = rec.path or name,
        file = rec.path and (rec.path:sub(1, 1) == "/" and rec.path or repo.root .. "/" .. rec.path),
        load = function()
          if rec.artifact and repo:store():exists(rec.artifact) then
            return repo:store():read(rec.artifact)
          end
          if sha:match("^sha256:") then
            return nil, ("source of module '%s' (%s) is not in the artifact store"):format(name, rec.pin)
          end
          local bytes, err = repo:git():read_blob(sha)
          if not bytes then
            return nil, ("cannot load pinned source of module '%s' (%s): %s"):format(name, rec.pin, err)
          end
          return bytes
        end,
      }
    end
  end
  modules.set_pins(map)
end

return M
