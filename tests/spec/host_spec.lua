-- The Lua side of the host: the class helper, the pretty printer, the
-- command table. Runs inside the zenml binary.
local zenml = require "zenml"

describe("zenml._core", function()
  it("is loaded from C with the version", function()
    local core = require "zenml._core"
    assert.equals(zenml.version, core.version)
    assert.is_function(core.sys.time)
  end)
end)

describe("zenml.class", function()
  local Object = zenml.class.Object

  it("builds classes with extend, construction by call, is_a and super", function()
    local Animal = Object:extend("Animal")
    function Animal:init(name) self.name = name end
    function Animal:speak() return self.name .. " makes a sound" end
    local Dog = Animal:extend("Dog")
    function Dog:speak() return Dog.super.speak(self) .. ": woof" end
    local d = Dog("rex")
    assert.equals("rex makes a sound: woof", d:speak())
    assert.is_true(d:is_a(Dog))
    assert.is_true(d:is_a(Animal))
    assert.is_true(d:is_a(Object))
    assert.is_false(Animal("x"):is_a(Dog))
    assert.equals("Dog", d:class_name())
  end)

  it("knows the file each class was defined in", function()
    local C = Object:extend("C")
    assert.matches("host_spec.lua$", C.__file)
  end)

  it("rejects a missing class name", function()
    assert.has_error(function() Object:extend() end,
      "extend: expected a class name (string), got nil")
  end)
end)

describe("zenml.pretty", function()
  local fmt = zenml.pretty.format

  it("indents nested tables and lists arrays first", function()
    assert.equals('{\n  1,\n  "two",\n  a = {\n    b = true,\n  },\n}',
      fmt { 1, "two", a = { b = true } })
  end)

  it("marks cycles", function()
    local t = {}
    t.self = t
    assert.matches("self = <cycle: table 0x%x+>", fmt(t))
  end)

  it("prints userdata and objects through __tostring", function()
    local obj = setmetatable({}, { __tostring = function() return "<run 42>" end })
    assert.equals("{\n  x = <run 42>,\n}", fmt { x = obj })
    assert.equals("{}", fmt {})
  end)
end)

describe("zenml.cli", function()
  local cli = zenml.cli

  it("parses flags, options and positionals", function()
    local opts, pos = cli.parse({ "--json", "a", "--limit", "5", "--name=x", "b" },
      { flags = { json = true }, options = { limit = true, name = true } }, "usage")
    assert.same({ json = true, limit = "5", name = "x" }, opts)
    assert.same({ "a", "b" }, pos)
  end)

  it("fails on an unknown option with the usage", function()
    local ok, err = pcall(cli.parse, { "--nope" }, {}, "usage: zenml x")
    assert.is_false(ok)
    assert.equals("unknown option '--nope'\nusage: zenml x", tostring(err))
    assert.equals(2, err.code)
  end)

  it("returns 2 for an unknown command", function()
    assert.equals(2, cli.main { "no-such-command" })
  end)
end)

-- The host is the `lua` command with zenml loaded: where the official Lua 5.4
-- test suite would notice a difference, there is none.
describe("the Lua host", function()
  local support = require "tests.support"

  it("collects garbage in generational mode from the start, as lua5.4 does", function()
    -- collectgarbage returns the mode in effect before the switch
    assert.equals("generational", collectgarbage("generational"))
    -- in a fresh host too: with -e code, and with a script (here on stdin)
    local probe = 'print(collectgarbage("incremental"))'
    for _, args in ipairs({ "-e " .. support.q(probe), "-" }) do
      local out, err, code = support.zenml_run(args, { stdin = probe })
      assert.equals(0, code, err)
      assert.equals("generational\n", out)
    end
  end)

  it("gives every worker state of zenml.exec the generational collector", function()
    local res, ok = zenml.exec.run {
      nodes = { { name = "a" }, { name = "b" } }, jobs = 2, task = "tests.spec.exec_tasks.gc_mode",
    }
    assert.is_true(ok)
    assert.equals("generational", res.a.result)
    assert.equals("generational", res.b.result)
  end)
end)

describe("require in the host", function()
  local support = require "tests.support"
  local saved = {}

  before_each(function()
    saved.path, saved.cpath = package.path, package.cpath
  end)

  after_each(function()
    package.path, package.cpath = saved.path, saved.cpath
    support.cleanup()
  end)

  -- a folder of modules: { name = source } -> the folder
  local function folder(files)
    local dir = support.tmpdir()
    for name, text in pairs(files) do support.write(dir .. "/" .. name .. ".lua", text) end
    return dir
  end

  it("is Lua's own function", function()
    assert.equals("C", debug.getinfo(require).what)
    assert.equals(require, package.loaded._G.require)
    local out, err, code = support.zenml_run("-e " .. support.q("print(debug.getinfo(require).what)"))
    assert.equals(0, code, err)
    assert.equals("C\n", out)
  end)

  it("says 'package.path' must be a string when it is not", function()
    package.path = {}
    local ok, err = pcall(require, "zm_no_such_module")
    assert.is_false(ok)
    assert.equals("'package.path' must be a string", err)
    package.path = saved.path
    assert.equals(zenml.version, require("zenml").version) -- still usable
  end)

  it("lists exactly the entries of the user's package.path for a missing module", function()
    package.path = "/nowhere/?.lua;/elsewhere/?/init.lua"
    package.cpath = "/nowhere/?.so"
    local ok, err = pcall(require, "zm_missing")
    assert.is_false(ok)
    assert.equals("module 'zm_missing' not found:\n"
      .. "\tno field package.preload['zm_missing']\n"
      .. "\tno file '/nowhere/zm_missing.lua'\n"
      .. "\tno file '/elsewhere/zm_missing/init.lua'\n"
      .. "\tno file '/nowhere/zm_missing.so'", err)
  end)

  it("finds zenml's own modules through entries of package.path, which a message lists", function()
    local home = require("zenml._core").sys.home()
    local probe = "print(package.path); print(package.cpath); print(select(2, pcall(require, 'zm_missing')))"
    local out, err, code = support.zenml_run("-e " .. support.q(probe), { cwd = support.tmpdir() })
    assert.equals(0, code, err)
    local path, cpath, message = out:match("^(.-)\n(.-)\n(.*)\n$")
    local entries = {}
    for e in path:gmatch("[^;]+") do entries[#entries + 1] = e end
    assert.same({ home .. "/lua/?.lua", home .. "/lua/?/init.lua",
      home .. "/stdlib/?.lua", home .. "/stdlib/?/init.lua" }, { table.unpack(entries, 1, 4) })
    local expected = { "module 'zm_missing' not found:", "\tno field package.preload['zm_missing']" }
    for e in (path .. ";" .. cpath):gmatch("[^;]+") do
      expected[#expected + 1] = "\tno file '" .. e:gsub("%?", "zm_missing") .. "'"
    end
    assert.equals(table.concat(expected, "\n"), message)
  end)

  it("notes a module's file and every module it requires, loaded before or not", function()
    local dir = folder {
      zm_dep = "return { n = 1 }",
      zm_first = "return { dep = require 'zm_dep' }",
      zm_second = "local m = require 'zm_dep'\nreturn { dep = m }",
    }
    package.path = dir .. "/?.lua;" .. saved.path
    local modules = require "zenml.modules"
    require "zm_first"
    require "zm_second" -- zm_dep is loaded already: no searcher sees this require
    assert.equals(dir .. "/zm_second.lua", modules.loaded.zm_second.file)
    assert.same({ zm_dep = true }, modules.loaded.zm_second.deps)
    assert.same({ "zm_dep", "zm_second" }, modules.closure("zm_second"))
    assert.is_nil(modules.current())
  end)

  it("keeps a debug hook set before a module loads, and its events", function()
    local dir = folder { zm_hooked = "local function f() return 1 end\nf()\nf()\nreturn true" }
    package.path = dir .. "/?.lua;" .. saved.path
    local calls = 0
    local function hook()
      if debug.getinfo(2, "S").source == "@" .. dir .. "/zm_hooked.lua" then calls = calls + 1 end
    end
    debug.sethook(hook, "c")
    require "zm_hooked"
    local now = debug.gethook()
    debug.sethook()
    assert.equals(hook, now)
    assert.equals(3, calls) -- the chunk and f twice
  end)

  it("passes a module's error through as Lua does", function()
    local dir = folder { zm_broken = "local x = 1\nerror('broken at load')" }
    package.path = dir .. "/?.lua;" .. saved.path
    local ok, err = pcall(require, "zm_broken")
    assert.is_false(ok)
    assert.equals(dir .. "/zm_broken.lua:2: broken at load", err)
    assert.is_nil(require("zenml.modules").current())
    assert.is_nil(package.loaded.zm_broken)
  end)
end)
