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
