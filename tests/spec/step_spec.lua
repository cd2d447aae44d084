-- Steps, artifacts by type, and the base classes' hooks, inside the zenml host.
local zenml = require "zenml"
local t = require "tests.support"

describe("zenml.Step", function()
  local S = zenml.Step:extend("S")
  S.params = {
    n = { type = "integer", required = true },
    rate = { type = "number", default = 0.5 },
    mode = { type = "string", default = "a", values = { "a", "b" } },
    tags = { type = "table" },
  }

  it("fills defaults and keeps given parameters", function()
    local s = S { n = 3 }
    assert.same({ n = 3, rate = 0.5, mode = "a" }, s.params)
    assert.is_true(s:cacheable())
    assert.is_false(S { n = 1, cache = false }:cacheable())
  end)

  it("names the class, the parameter, what was expected and what was given", function()
    assert.has_error(function() S { n = "x" } end, "S: parameter 'n' expects an integer, got string \"x\"")
    assert.has_error(function() S { n = 1.5 } end, "S: parameter 'n' expects an integer, got number 1.5")
    assert.has_error(function() S {} end, "S: parameter 'n' is required")
    assert.has_error(function() S { n = 1, mode = "c" } end, "S: parameter 'mode' expects one of a, b, got string \"c\"")
    assert.has_error(function() S { n = 1, bogus = 1 } end,
      "S: unknown parameter 'bogus'; parameters are: mode, n, rate, tags")
    assert.has_error(function() S { n = 1, cache = "no" } end, "S: option 'cache' expects a boolean, got string \"no\"")
    assert.has_error(function() S(5) end, "S: expected a table of parameters, got number 5")
  end)

  it("copies table parameters so later changes by the caller do not leak in", function()
    local tags = { "x" }
    local s = S { n = 1, tags = tags }
    tags[1] = "changed"
    assert.equals("x", s.params.tags[1])
  end)

  it("inherits the parent's parameters when a subclass declares its own", function()
    local Standard = require("zenml.steps.preprocesser").Standard
    local LogSkewed = Standard:extend("LogSkewed")
    LogSkewed.params = { skew = { type = "number", default = 1.0 },
      one_hot_max = { default = 8 } }
    local s = LogSkewed { labels = { "y" }, skew = 2.5 }
    assert.same({ "y" }, s.params.labels)
    assert.equals(2.5, s.params.skew)
    assert.equals(8, s.params.one_hot_max)
    assert.equals(32, Standard {}.params.one_hot_max)
    assert.has_error(function() LogSkewed { one_hot_max = "x" } end,
      "LogSkewed: parameter 'one_hot_max' expects an integer, got string \"x\"")
    assert.has_error(function() LogSkewed { bogus = 1 } end,
      "LogSkewed: unknown parameter 'bogus'; parameters are: features, labels, one_hot_max, overwrite, skew")
    -- a default given by the subclass makes a required parameter optional
    local T = S:extend("T")
    T.params = { n = { default = 7 } }
    assert.equals(7, T {}.params.n)
    assert.has_error(function() T { n = 1.5 } end, "T: parameter 'n' expects an integer, got number 1.5")
  end)

  it("parses artifact type declarations", function()
    local step = require "zenml.step"
    assert.same({ "frame", "one" }, { step.parse_type("frame") })
    assert.same({ "value", "list" }, { step.parse_type("value[]") })
    assert.same({ "frame", "map" }, { step.parse_type({ type = "frame{}", required = true }) })
  end)
end)

describe("zenml.Pipeline validation", function()
  local A = zenml.Step:extend("A")
  A.inputs = { x = "value" }
  A.outputs = { y = "value" }

  it("rejects bad names and non-steps", function()
    assert.has_error(function() zenml.Pipeline { name = "bad name" } end,
      'Pipeline: name must be a string of letters, digits, \'_\', \'.\', \'-\', starting with a '
        .. 'letter or digit (at most 100 characters), got "bad name"')
    assert.has_error(function() zenml.Pipeline { name = "../../ESCAPED" } end,
      'Pipeline: name must be a string of letters, digits, \'_\', \'.\', \'-\', starting with a '
        .. 'letter or digit (at most 100 characters), got "../../ESCAPED"')
    assert.has_error(function() zenml.Pipeline { name = "p", jobs = "many" } end,
      "pipeline 'p': jobs must be a positive integer, got \"many\"")
    assert.has_error(function() zenml.Pipeline { name = "p", backend = "k8s" } end,
      "pipeline 'p': unknown backend 'k8s'; backends are: local, parallel, slurm, slurm_array, threads")
    assert.has_error(function() zenml.Pipeline { name = "p" }:add("../../split", A {}) end,
      "pipeline 'p': add: step name must be a string of letters, digits, '_', '-', starting with a "
        .. "letter or '_' (at most 100 characters), got \"../../split\"")
    local p = zenml.Pipeline { name = "p" }
    assert.has_error(function() p:add("s", {}) end,
      "pipeline 'p': add: step 's' must be a Step instance (e.g. MyStep { ... }), got table")
    assert.has_error(function() p:validate() end, "pipeline 'p': has no steps")
  end)

  it("orders steps topologically and finds required inputs", function()
    local R = zenml.Step:extend("R")
    R.inputs = { x = { type = "value", required = true } }
    R.outputs = { y = "value" }
    local p = zenml.Pipeline { name = "p" }
    p:add("b", A {}, { x = "a.y" })
    p:add("a", A {})
    local deps = p:validate()
    assert.same({ "a", "b" }, require("zenml.pipeline").topological(p.steps, deps))
    p:add("r", R {})
    assert.has_error(function() p:validate() end,
      "pipeline 'p': step 'r' (R): input 'x' is required but not wired")
  end)
end)

describe("artifacts by type", function()
  local dir, repo
  setup(function()
    dir = t.git_repo()
    t.zenml_run("init", { cwd = dir })
    repo = assert(zenml.repo(dir))
  end)
  teardown(function()
    repo:close()
    t.cleanup()
  end)

  local artifacts = require "zenml.artifacts"

  it("round-trips values, metrics, model bytes and frames", function()
    local v = { a = 1, b = { 2.5, "x" }, c = true }
    local id = artifacts.put(repo, "value", v, "test")
    assert.same(v, artifacts.load(repo, "value", id))
    local again = artifacts.put(repo, "value", { c = true, b = { 2.5, "x" }, a = 1 }, "test")
    assert.equals(id, again)
    local mid = artifacts.put(repo, "model", "\0binary\1", "test")
    assert.equals("\0binary\1", artifacts.load(repo, "model", mid))
    local f = zenml.frame.from_table({ x = { 1.5, 2.5 }, s = { "a", "b" } }, { columns = { "x", "s" } })
    local fid = artifacts.put(repo, "frame", f, "test")
    local g = artifacts.load(repo, "frame", fid)
    assert.equals(2, g:nrow())
    assert.equals(2.5, g:col("x")[2])
    assert.equals("b", g:col("s")[2])
    -- the stored bytes are exactly the frame file format, so the id is their hash
    local path = dir .. "/f.zmf"
    assert.is_true(f:write(path))
    assert.equals(fid, "sha256:" .. zenml.hash.file(path))
  end)

  it("says what was expected for a wrong output value", function()
    assert.has_error(function() artifacts.put(repo, "frame", {}, "step 's' output 'o'") end,
      "step 's' output 'o': expected a frame, got table")
    assert.has_error(function() artifacts.put(repo, "model", 42, "step 's' output 'm'") end,
      "step 's' output 'm': expected bytes (a string) for a model output, got number")
  end)
end)
