-- zenml.yaml: typed decoding, deterministic encoding, key order, exact errors.
local zenml = require "zenml"
local yaml = zenml.yaml

local function same_bits(a, b)
  return string.pack("<d", a) == string.pack("<d", b)
end

describe("zenml.yaml", function()
  it("types plain scalars by the YAML 1.2 core schema", function()
    local v = assert(yaml.decode([[
int: 42
neg: -7
hex: 0x1F
float: 2.5
exp: 1e3
inf: -.inf
yes: true
no: FALSE
nothing: ~
quoted: "42"
single: 'true'
text: hello world
]]))
    assert.equal(42, v.int)
    assert.equal("integer", math.type(v.int))
    assert.equal(-7, v.neg)
    assert.equal(31, v.hex)
    assert.equal("float", math.type(v.float))
    assert.equal(1000.0, v.exp)
    assert.equal("float", math.type(v.exp))
    assert.equal(-math.huge, v.inf)
    assert.is_true(v.yes)
    assert.is_false(v.no)
    assert.equal(yaml.null, v.nothing)
    assert.equal("null", tostring(v.nothing))
    assert.equal("42", v.quoted)
    assert.equal("true", v.single)
    assert.equal("hello world", v.text)
    local nan = yaml.decode(".nan")
    assert.is_true(nan ~= nan)
  end)

  it("round-trips tricky values", function()
    local strings = { "true", "False", "1", "-1", "1.5", "0x10", "null", "~", "", " lead",
      "trail ", "a: b", "#c", "- d", "yes", "off", "12:30", "1_000", "[x]", "{y}", "*z",
      "&w", "!t", "%p", "@a", "`b", "multi\nline\n", "no newline\nat end", "tab\there",
      "é ✓", "nul\0byte", "\n", "'", '"' }
    local floats = { 0.1, 1.0, -0.0, 1e300, 5e-324, 1e20, 2 / 3, math.huge, -math.huge,
      123456789.125 }
    local v = { strings = strings, floats = floats, ints = { math.maxinteger, math.mininteger, 0 },
      bools = { true, false }, nested = { a = { b = { c = { "deep" } } }, [7] = "seven" },
      empty = {} }
    local back = assert(yaml.decode(yaml.encode(v)))
    assert.same(strings, back.strings)
    for i, f in ipairs(floats) do
      assert.equal("float", math.type(back.floats[i]))
      assert.is_true(same_bits(f, back.floats[i]), tostring(f))
    end
    assert.same(v.ints, back.ints)
    assert.equal("integer", math.type(back.ints[1]))
    assert.same(v.bools, back.bools)
    assert.same(v.nested, back.nested)
    assert.same({}, back.empty)
  end)

  it("writes deterministic, minimally quoted block YAML", function()
    local v = { name = "iris", seed = 42, ratio = 0.7, flag = "true", tags = { "a", "1" },
      notes = "line one\nline two\n", none = yaml.null, empty = {} }
    local text = yaml.encode(v)
    assert.equal([[
empty: {}
flag: "true"
name: iris
none: null
notes: |
  line one
  line two
ratio: 0.7
seed: 42
tags:
- a
- "1"
]], text)
    for _ = 1, 5 do assert.equal(text, yaml.encode(v)) end
  end)

  it("keeps key order from decode and from ordered()", function()
    local src = "zeta: 1\nalpha:\n  y: 2\n  x: 3\nmid: [1, 2]\n"
    assert.equal("zeta: 1\nalpha:\n  y: 2\n  x: 3\nmid:\n- 1\n- 2\n",
      yaml.encode(yaml.decode(src)))
    local t = yaml.ordered({ version = 1, name = "p", steps = {}, extra = true, another = 0 },
      { "version", "name", "missing", "steps" })
    assert.equal("version: 1\nname: p\nsteps: {}\nanother: 0\nextra: true\n", yaml.encode(t))
  end)

  it("reports a broken document as name:line:column", function()
    local v, err = yaml.decode("name: x\nsteps:\n  a: [1, 2\n  b: 3\n", "pipelines/x.yaml")
    assert.is_nil(v)
    assert.equal("pipelines/x.yaml:4:4: did not find expected ',' or ']' " ..
      "(while parsing a flow sequence at line 3, column 6)", err)
    assert.same({ nil, "<string>:1:5: mapping values are not allowed in this context", "invalid" },
      { yaml.decode("a: b: c") })
    assert.same({ nil, "d.yaml:2:1: duplicate key 'a'", "invalid" }, { yaml.decode("a: 1\na: 2\n", "d.yaml") })
  end)

  it("refuses anchors, aliases and deep nesting", function()
    assert.same({ nil, "a.yaml:1:4: anchor &x is not supported (zenml never writes anchors or aliases)",
      "invalid" },
      { yaml.decode("a: &x [1]\nb: *x\n", "a.yaml") })
    local deep = string.rep("[", 500) .. string.rep("]", 500)
    assert.same({ nil, "deep.yaml:1:201: nesting deeper than 200 levels", "invalid" },
      { yaml.decode(deep, "deep.yaml") })
    local t = {}
    local cur = t
    for _ = 1, 300 do cur.x = {} cur = cur.x end
    assert.has_error(function() yaml.encode(t) end)
  end)

  it("reads files and says which line of which file is wrong", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write("ok: 1\nbad: [\n")
    f:close()
    local v, err = yaml.read(path)
    assert.is_nil(v)
    assert.equal(path .. ":3:1: did not find expected node content " ..
      "(while parsing a flow node at line 3, column 1)", err)
    os.remove(path)
    assert.same({ nil, "cannot open /nonexistent/x.yaml: No such file or directory",
      "notfound" },
      { yaml.read("/nonexistent/x.yaml") })
  end)

  it("raises, naming the place, for values YAML cannot hold", function()
    assert.has_error(function() yaml.encode({ steps = { split = { fn = print } } }) end,
      "cannot encode a function value as YAML (at steps.split.fn)")
    local c = {}
    c.self = { c }
    assert.has_error(function() yaml.encode(c) end,
      "cannot encode a table that contains itself as YAML (at self[1])")
    assert.has_error(function() yaml.encode({ "ok", "bad\255" }) end,
      "cannot write YAML: a string that is not valid UTF-8 at [2]")
    assert.has_error(function() yaml.decode(nil) end,
      "zenml.yaml.decode: argument 1 (text): expected string, got nil")
    assert.equal("still: usable\n", yaml.encode({ still = "usable" }))
  end)
end)
