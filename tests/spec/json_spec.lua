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
end)
