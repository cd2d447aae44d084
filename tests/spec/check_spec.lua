-- zenml.check: the one argument check of zenml's public Lua functions.
local check = require "zenml.check"

local function err(f, ...)
  local ok, e = pcall(f, ...)
  assert.is_false(ok)
  return (tostring(e):gsub("^[^\n]-:%d+: ", "", 1))
end

describe("zenml.check", function()
  local function put(data, opts)
    check.args("store:put", { { "data", data, "string" }, { "opts", opts, "table?" } })
    return true
  end

  it("passes good arguments, optional ones absent", function()
    assert.is_true(put("x"))
    assert.is_true(put("x", {}))
  end)

  it("says which argument, what was expected and what was given", function()
    assert.equal("store:put: argument 1 (data): expected string, got number", err(put, 42))
    assert.equal("store:put: argument 1 (data): expected string, got nil", err(put))
    assert.equal("store:put: argument 2 (opts): expected table, got boolean", err(put, "x", true))
  end)

  it("points at the line that called the checked function", function()
    local ok, e = pcall(function() put(1) end)
    assert.is_false(ok)
    assert.truthy(e:find("check_spec.lua:%d+: store:put: argument 1"))
  end)

  it("knows integers, alternatives, callables and named kinds", function()
    assert.is_true(check.is(3, "integer"))
    assert.is_false(check.is(3.5, "integer"))
    assert.is_true(check.is("a", "number|string"))
    assert.is_false(check.is({}, "number|string"))
    assert.is_true(check.is(nil, "number?"))
    assert.is_true(check.is(print, "callable"))
    assert.is_true(check.is(setmetatable({}, { __call = function() end }), "callable"))
    local Thing = {}
    check.type("spec_thing", function(v) return getmetatable(v) == Thing end)
    local thing = setmetatable({}, Thing)
    assert.is_true(check.is(thing, "spec_thing"))
    local function use(t) check.arg("use", 1, "t", t, "spec_thing|string") end
    assert.equal("use: argument 1 (t): expected spec_thing or string, got table", err(use, {}))
    local function take(s) check.arg("take", 1, "s", s, "string") end
    assert.equal("take: argument 1 (s): expected string, got spec_thing", err(take, thing))
  end)

  it("names fields of an options table", function()
    local function read(path, opts)
      check.args("frame.read_csv", { { "path", path, "string" }, { "opts", opts, "table?" } })
      check.fields("frame.read_csv", 2, "opts", { { "threads", (opts or {}).threads, "integer?" } })
    end
    assert.equal("frame.read_csv: argument 2 (opts.threads): expected integer, got number",
      err(read, "a.csv", { threads = 1.5 }))
  end)

  it("is what the public modules use", function()
    local zenml = require "zenml"
    assert.equal("zenml.hash.file: argument 1 (path): expected string, got nil",
      err(zenml.hash.file))
    assert.equal("frame.read: argument 1 (path): expected string, got number",
      err(zenml.frame.read, 1))
    local f = zenml.frame.from_table { x = { 1, 2 } }
    assert.equal("ml.split_random: argument 2 (fractions): expected table, got nil",
      err(zenml.ml.split_random, f))
    assert.equal("ml.split_random: argument 1 (f): expected frame, got table",
      err(zenml.ml.split_random, {}, {}))
    assert.equal("ml.metrics_regression: argument 2 (predicted): expected column or table or frame, got string",
      err(zenml.ml.metrics_regression, { 1 }, "x"))
  end)
end)
