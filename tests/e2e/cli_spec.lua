-- The zenml command line as a user meets it: scripts, -e, stdin, errors,
-- commands. Each case runs the real binary.
local t = require "tests.support"

describe("zenml command line", function()
  local dir
  before_each(function() dir = t.tmpdir() end)
  after_each(t.cleanup)

  it("prints its version", function()
    local out, _, code = t.zenml_run("--version")
    assert.equals(0, code)
    assert.matches("^zenml %d+%.%d+%.%d+\n$", out)
  end)

  it("prints help with the list of commands", function()
    local out, _, code = t.zenml_run("--help")
    assert.equals(0, code)
    assert.matches("usage: zenml", out, 1, true)
    assert.matches("Commands:", out, 1, true)
    assert.matches("version", out, 1, true)
  end)

  it("runs a script with arg as in lua", function()
    t.write(dir .. "/s.lua", "print(arg[0], arg[1], arg[2], #arg, select('#', ...))")
    local out, err, code = t.zenml_run("s.lua one two", { cwd = dir })
    assert.equals(0, code, err)
    assert.equals("s.lua\tone\ttwo\t2\t2\n", out)
  end)

  it("lets scripts require zenml and reach its version", function()
    t.write(dir .. "/s.lua", "local zenml = require 'zenml'; io.write(zenml.version)")
    local out, err, code = t.zenml_run("s.lua", { cwd = dir })
    assert.equals(0, code, err)
    assert.matches("^%d+%.%d+%.%d+$", out)
  end)

  it("runs -e code with zenml preloaded", function()
    local out, _, code = t.zenml_run("-e " .. t.q("io.write(type(zenml), ' ', 6 * 7)"))
    assert.equals(0, code)
    assert.equals("table 42", out)
  end)

  it("runs standard input as a script when it is a pipe", function()
    local out, _, code = t.zenml_run("", { stdin = "io.write(tostring(require('zenml').version ~= nil))" })
    assert.equals(0, code)
    assert.equals("true", out)
  end)

  it("reports a missing script", function()
    local _, err, code = t.zenml_run("foo.lua", { cwd = dir })
    assert.equals(1, code)
    assert.equals("zenml: cannot open foo.lua: No such file or directory\n", err)
  end)

  it("reports a syntax error with file and line", function()
    t.write(dir .. "/foo.lua", "local x = 1\n\nlocal y = = 2\n")
    local _, err, code = t.zenml_run("foo.lua", { cwd = dir })
    assert.equals(1, code)
    assert.equals("zenml: foo.lua:3: unexpected symbol near '='\n", err)
  end)

  it("reports a runtime error with file, line and the script's own frames", function()
    t.write(dir .. "/boom.lua", "local function f()\n  error('boom')\nend\nf()\n")
    local _, err, code = t.zenml_run("boom.lua", { cwd = dir })
    assert.equals(1, code)
    assert.equals("zenml: boom.lua:2: boom\nstack traceback:\n\tboom.lua:2: in local 'f'\n"
      .. "\tboom.lua:4: in main chunk\n", err)
    -- an error at the line of the only frame is one line
    t.write(dir .. "/one.lua", "local x = nil\nlocal y = x.field\n")
    _, err, code = t.zenml_run("one.lua", { cwd = dir })
    assert.equals(1, code)
    assert.equals("zenml: one.lua:2: attempt to index a nil value (local 'x')\n", err)
  end)

  it("reports error({}) and error(nil) readably without crashing", function()
    t.write(dir .. "/t.lua", "error({})")
    local _, err, code = t.zenml_run("t.lua", { cwd = dir })
    assert.equals(1, code)
    assert.equals("zenml: t.lua:1: (error object is a table value)\n", err)
    t.write(dir .. "/n.lua", "error(nil)")
    _, err, code = t.zenml_run("n.lua", { cwd = dir })
    assert.equals(1, code)
    assert.equals("zenml: n.lua:1: (error object is a nil value)\n", err)
  end)

  it("uses __tostring of an error object", function()
    t.write(dir .. "/o.lua", "error(setmetatable({}, {__tostring = function() return 'custom' end}))")
    local _, err, code = t.zenml_run("o.lua", { cwd = dir })
    assert.equals(1, code)
    assert.equals("zenml: o.lua:1: custom\n", err)
  end)

  it("lists the commands and exits 2 on an unknown command", function()
    local out, err, code = t.zenml_run("frobnicate")
    assert.equals(2, code)
    assert.equals("", out)
    assert.matches("^zenml: unknown command 'frobnicate'\nCommands:\n", err)
  end)

  it("shows a command's help", function()
    local out, _, code = t.zenml_run("version --help")
    assert.equals(0, code)
    assert.matches("^usage: zenml version", out)
  end)

  it("survives hostile Lua without crashing", function()
    local cases = {
      "string.rep('x', 1 << 40)",
      "local t = setmetatable({}, {__index = function(t, k) return t[k] end}); return t.x",
      "local function f() return f() + 1 end; f()",
      "coroutine.wrap(function() error({}) end)()",
      "collectgarbage('step'); return require('zenml._core').sys.isatty('x')",
    }
    for _, code in ipairs(cases) do
      t.write(dir .. "/h.lua", code)
      local _, err, status = t.zenml_run("h.lua", { cwd = dir })
      assert.equals(1, status, code .. "\n" .. err)
      assert.is_nil(err:match("Segmentation") or err:match("Aborted"), err)
    end
  end)

  it("finds the repository's steps/ folder on the module path", function()
    os.execute("mkdir -p " .. t.q(dir .. "/.zenml") .. " " .. t.q(dir .. "/steps") .. " " .. t.q(dir .. "/sub"))
    t.write(dir .. "/steps/mystep.lua", "return { name = 'mine' }")
    t.write(dir .. "/sub/s.lua", "io.write(require('mystep').name)")
    local out, err, code = t.zenml_run("s.lua", { cwd = dir .. "/sub" })
    assert.equals(0, code, err)
    assert.equals("mine", out)
  end)
end)
