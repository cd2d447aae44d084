-- zenml.json: the deterministic encoder and the decoder.
local json = require "zenml.json"

describe("zenml.json", function()
  it("encodes deterministically with sorted keys", function()
    assert.equals('{"a":[1,2.5,"x"],"b":{"c":true},"d":{}}', json.encode { d = {}, b = { c = true }, a = { 1, 2.5, "x" } })
    assert.equals('"tab\\tquote\\""', json.encode("tab\tquote\""))
    assert.equals("null", json.encode(0 / 0))
  end)

  it("decodes what it encodes, keeping key order when asked", function()
    local order = {}
    local v = json.try_decode('{"z": 1, "a": [true, null, "\\u00e9"], "n": -2.5e1}', order)
    assert.same({ "z", "a", "n" }, order)
    assert.equals(1, v.z)
    assert.equals(json.null, v.a[2])
    assert.equals("é", v.a[3])
    assert.equals(-25.0, v.n)
  end)

  it("says where bad JSON goes wrong", function()
    assert.same({ nil, "expected ',' or '}' at column 9" }, { json.try_decode('{"a": 1 "b": 2}') })
    assert.same({ nil, "unexpected text after the value at column 5" }, { json.try_decode("[1] 2") })
  end)

  it("the C encoder writes the bytes of the Lua encoder on generated values", function()
    math.randomseed(20261126)
    local function rstring()
      local n, b = math.random(0, 12), {}
      for i = 1, n do
        local r = math.random()
        b[i] = r < 0.3 and math.random(0, 31) or r < 0.4 and ({ 34, 92, 127, 0 })[math.random(4)]
          or r < 0.6 and math.random(128, 255) or math.random(32, 126)
      end
      return string.char(table.unpack(b))
    end
    local function rfloat()
      local r = math.random(7)
      if r == 1 then return (string.unpack("<d", string.pack("<i8", math.random(math.mininteger, math.maxinteger)))) end
      if r == 2 then return ({ 0 / 0, -(0 / 0), math.huge, -math.huge, -0.0, 0.0, 1.0, 2.0 ^ 53,
        2.0 ^ 63, -2.0 ^ 63, 1e300, 5e-324, 0.1, 1 / 3 })[math.random(14)] end
      if r == 3 then return math.random(-1000, 1000) + 0.0 end
      return (math.random() - 0.5) * 10.0 ^ math.random(-20, 20)
    end
    local function rint()
      return ({ 0, 1, -1, math.maxinteger, math.mininteger, math.random(-1e9, 1e9),
        math.random(math.mininteger, math.maxinteger) })[math.random(7)]
    end
    local function rkey()
      local r = math.random(8)
      if r <= 4 then return rstring() end
      if r == 5 then return math.random(-3, 12) end
      if r == 6 then return rfloat() == rfloat() and 1.5 or math.random(1, 3) + 0.25 end
      if r == 7 then return math.random(2) == 1 end
      return ({ "1", "10", "9", "a\0b", "a\0", "a", "é", "Z" })[math.random(8)]
    end
    local gen
    local function rtable(depth)
      local t, r = {}, math.random(6)
      if r == 1 then return t end
      if r <= 3 then                       -- an array, sometimes with holes
        for i = 1, math.random(0, 6) do t[i] = gen(depth + 1) end
        if math.random(3) == 1 then t[math.random(1, 6)] = nil end
        return t
      end
      for _ = 1, math.random(0, 6) do
        local k = rkey()
        if k == k then t[k] = gen(depth + 1) end
      end
      if r == 6 then t[1], t[2] = gen(depth + 1), gen(depth + 1) end
      return t
    end
    local hooks = {
      function(v)
        local s = rstring()
        return setmetatable(v, { __json = function() return { wrapped = s, n = 1.25 } end })
      end,
      function(v) return setmetatable(v, { __json = function(self) return #self end }) end,
      function(v) return setmetatable(v, { __metatable = "locked" }) end,
      function(v) return setmetatable(v, { __metatable = { __json = function() return "hidden" end } }) end,
      function(v) return setmetatable(v, { __index = function(_, k) return "idx:" .. tostring(k) end }) end,
      function(v) return setmetatable(v, { __len = function() return 2 end }) end,
      function(v) return setmetatable(v, { __pairs = function(t) return next, t, nil end }) end,
      function(v) return setmetatable(v, { __name = "Thing" }) end,
    }
    function gen(depth)
      local r = math.random(depth > 4 and 6 or 10)
      if r == 1 then return rstring() end
      if r == 2 then return rint() end
      if r == 3 then return rfloat() end
      if r == 4 then return math.random(2) == 1 end
      if r == 5 then return nil end
      if r == 6 then return ({ print, io.stdout, coroutine.create(print) })[math.random(3)] end
      local t = rtable(depth)
      if r == 10 then t = hooks[math.random(#hooks)](t) end
      return t
    end
    local n = 0
    for i = 1, 6000 do
      local v = gen(0)
      local want, got = json.encode_lua(v), json.encode(v)
      if want ~= got then
        error(("value %d: Lua %q, C %q"):format(i, want, got))
      end
      n = n + #want
    end
    assert.is_true(n > 100000)
  end)

  it("the C encoder matches on deep nesting, cycles and failing hooks", function()
    for _, depth in ipairs { 1, 63, 64, 65, 200 } do
      local v = {}
      local inner = v
      for _ = 1, depth do
        inner.x = { 1, {} }
        inner = inner.x[2]
      end
      assert.equals(json.encode_lua(v), json.encode(v))
    end
    local cyc = { a = { 1 } }
    cyc.a[2] = cyc
    local msg = "json: cannot encode a table that contains itself"
    assert.same({ false, msg }, { pcall(json.encode_lua, cyc) })
    assert.same({ false, msg }, { pcall(json.encode, cyc) })
    local shared = { 1 }
    assert.equals("[[1],[1]]", json.encode { shared, shared })
    local bad = setmetatable({}, { __json = function() error({ code = 7 }) end })
    local ok, e = pcall(json.encode, { x = bad })
    assert.is_false(ok)
    assert.same({ code = 7 }, e)
    -- __json hooks that hand back hooked values, 150 deep
    local function hooked(n)
      if n == 0 then return { leaf = true } end
      return setmetatable({}, { __json = function() return hooked(n - 1) end })
    end
    assert.equals(json.encode_lua(hooked(150)), json.encode(hooked(150)))
    -- the process is still usable, and big output grows the buffer
    local big = {}
    for i = 1, 5000 do big["k" .. i] = { i, i + 0.5, ("s"):rep(i % 7) } end
    assert.equals(json.encode_lua(big), json.encode(big))
  end)

  it("writes the exact bytes cache keys are made of, in C and in Lua", function()
    local function check(want, v)
      assert.equals(want, json.encode_lua(v))
      assert.equals(want, json.encode(v))
    end
    check('{"1":"one","2":"two","k":[1,-0,1e+100,0.10000000000000001,9223372036854775807]}',
      { [1] = "one", [2] = "two", k = { 1, -0.0, 1e100, 0.1, math.maxinteger } })
    check('{"1":1,"3":3}', { 1, nil, 3 })
    check('{"3":"c","a":{}}', { [3] = "c", a = {} })
    check('"\\u0000\\u001f\\u007f\\b\\\\\\"\128"', "\0\31\127\b\\\"\128")
    -- a key that is neither text nor a number reads back as nothing
    check('{"1.5":true,"false":null,"true":null}', { [1.5] = true, [true] = 0, [false] = 1 })
    check('{"prev":"sha256:ab"}', { prev = "sha256:ab" })
  end)
end)
