-- zenml.modules and zenml.sources: which module required which, and source
-- pins: committed files by git blob, dirty ones by their bytes, and re-runs
-- loading the pinned bytes rather than the work tree's.
local zenml = require "zenml"
local t = require "tests.support"
local modules = require "zenml.modules"
local sources = require "zenml.sources"

local function blob(dir, rel)
  return (t.sh("git hash-object " .. t.q(rel), { cwd = dir })):gsub("%s+$", "")
end

-- Module names unique to this process: each spec loads its own.
local n = 0
local function names()
  n = n + 1
  return "srcspec_top" .. n, "srcspec_helper" .. n
end

describe("zenml.modules and zenml.sources", function()
  local dir, repo, saved_path
  before_each(function()
    dir = t.git_repo()
    local _, err, code = t.zenml_run("init", { cwd = dir })
    assert(code == 0, err)
    repo = assert(zenml.repo(dir))
    saved_path = package.path
    package.path = dir .. "/steps/?.lua;" .. package.path
    os.execute("mkdir -p " .. t.q(dir .. "/steps"))
  end)
  after_each(function()
    package.path = saved_path
    modules.set_pins(nil)
    repo:close()
    t.cleanup()
  end)

  local function write_pair(top, helper)
    t.write(("%s/steps/%s.lua"):format(dir, helper), "return { v = 1 }\n")
    t.write(("%s/steps/%s.lua"):format(dir, top), ("local h = require %q\n"
      .. "return { me = require('zenml.modules').current(), v = h.v }\n"):format(helper))
  end

  it("notes each module's file and the modules it requires", function()
    local top, helper = names()
    write_pair(top, helper)
    local m = require(top)
    assert.equal(top, m.me)
    assert.equal(dir .. "/steps/" .. top .. ".lua", modules.loaded[top].file)
    assert.is_true(modules.loaded[top].deps[helper])
    local closure = modules.closure(top)
    local set = {}
    for _, name in ipairs(closure) do set[name] = true end
    assert.is_true(set[top] and set[helper] and set["zenml.modules"])
    local sorted = { table.unpack(closure) }
    table.sort(sorted)
    assert.same(sorted, closure)
    assert.equal(closure, modules.closure(top)) -- the same list while nothing changes
  end)

  it("pins committed modules by git blob and dirty ones by their stored bytes", function()
    local top, helper = names()
    write_pair(top, helper)
    t.sh("git add -A && git commit -qm pair", { cwd = dir })
    require(top)
    local recs = sources.closure(repo, top, {})
    local by = {}
    for _, r in ipairs(recs) do by[r.module] = r end
    assert.equal(top .. "@" .. blob(dir, "steps/" .. top .. ".lua"), by[top].pin)
    assert.equal(helper .. "@" .. blob(dir, "steps/" .. helper .. ".lua"), by[helper].pin)
    assert.equal("steps/" .. helper .. ".lua", by[helper].path)
    assert.is_nil(by[top].dirty)
    assert.is_nil(by["zenml"]) -- built-ins are pinned by the runtime's version, not listed
    t.write(dir .. "/steps/" .. helper .. ".lua", "return { v = 2 }\n")
    local dirty = sources.pin(repo, helper)
    assert.is_true(dirty.dirty)
    assert.equal(helper .. "@" .. blob(dir, "steps/" .. helper .. ".lua"), dirty.pin)
    assert.equal("return { v = 2 }\n", repo:store():read(dirty.artifact))
    assert.equal("zenml.step@zenml-" .. zenml.version, sources.pin(repo, "zenml.step").pin)
  end)

  it("loads a pinned module from git even after the work tree changed", function()
    local top, helper = names()
    write_pair(top, helper)
    t.sh("git add -A && git commit -qm pair", { cwd = dir })
    local pin = helper .. "@" .. blob(dir, "steps/" .. helper .. ".lua")
    t.write(dir .. "/steps/" .. helper .. ".lua", "return { v = 99 }\n")
    sources.install_pins(repo, { [helper] = { pin = pin, path = "steps/" .. helper .. ".lua" } })
    assert.equal(1, require(top).v)
    sources.install_pins(repo, { gone = { pin = "gone@0123456789012345678901234567890123456789",
      path = "steps/gone.lua" } })
    local ok, err = pcall(require, "gone")
    assert.is_false(ok)
    assert.matches("cannot load pinned source of module 'gone' %(gone@0123", err)
  end)
end)
