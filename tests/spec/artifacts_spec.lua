-- zenml.artifacts and zenml.context: step outputs becoming artifacts and
-- back, and what a running step sees besides its inputs.
local zenml = require "zenml"
local t = require "tests.support"
local artifacts = require "zenml.artifacts"
local context = require "zenml.context"

local function fresh_repo()
  local dir = t.git_repo()
  local _, err, code = t.zenml_run("init", { cwd = dir })
  assert(code == 0, err)
  return assert(zenml.repo(dir)), dir
end

local function err_of(f, ...)
  local ok, e = pcall(f, ...)
  assert(not ok, "expected an error")
  return e
end

describe("zenml.artifacts", function()
  local repo
  before_each(function() repo = fresh_repo() end)
  after_each(function() repo:close(); t.cleanup() end)

  it("stores equal values under one id, whatever the key order, and loads them back", function()
    local id1, size = artifacts.put(repo, "value", { b = 2, a = { 1, 2 } }, "v")
    local id2 = artifacts.put(repo, "metrics", { a = { 1, 2 }, b = 2 }, "v")
    assert.equal(id1, id2)
    assert.equal(#repo:store():read(id1), size)
    assert.same({ a = { 1, 2 }, b = 2 }, artifacts.load(repo, "value", id1))
    local nil_id = artifacts.put(repo, "value", nil, "v")
    assert.is_nil(artifacts.load(repo, "value", nil_id))
  end)

  it("stores frames, bytes and objects that save themselves", function()
    local f = zenml.frame.from_table({ x = { 1, 2, 3 } })
    local id = artifacts.put(repo, "frame", f, "f")
    assert.equal(3, artifacts.load(repo, "frame", id):nrow())
    local model = setmetatable({}, { __index = { save = function() return "weights" end } })
    local mid = artifacts.put(repo, "model", model, "m")
    assert.equal("weights", artifacts.load(repo, "model", mid))
    assert.equal(mid, (artifacts.put(repo, "file", "weights", "f")))
    assert.equal("weights", artifacts.load(repo, "file", mid):read())
  end)

  it("refuses values of the wrong kind, naming the output", function()
    assert.equal("step 's' output 'o': expected a frame, got string",
      err_of(artifacts.put, repo, "frame", "text", "step 's' output 'o'"))
    assert.equal("step 's' output 'o': expected a folder path for a tree output, got number",
      err_of(artifacts.put, repo, "tree", 3, "step 's' output 'o'"))
    assert.equal("step 's' output 'o': expected bytes (a string) for a model output, got table",
      err_of(artifacts.put, repo, "model", {}, "step 's' output 'o'"))
  end)
end)

describe("zenml.context", function()
  local repo
  before_each(function() repo = fresh_repo() end)
  after_each(function() repo:close(); t.cleanup() end)

  it("captures what the step prints into its log and restores print", function()
    local saved = print
    local ctx = context.new(repo, "run-1", "s", nil)
    assert.equal("s", ctx.step_name)
    assert.equal("run-1", ctx.run_id)
    ctx:capture()
    print("a", 1, nil)
    io.write("b\n")
    ctx:log("c", true)
    ctx:progress(1, 2) -- no terminal: draws nothing
    assert.equal("a\t1\tnil\nb\nc\ttrue\n", ctx:finish())
    assert.equal(saved, print)
    assert.equal("", context.new(repo, "run-1", "s"):finish())
  end)

  it("hands out scratch folders and removes them when the step ends", function()
    local ctx = context.new(repo, "run-1", "s")
    local d1, d2 = ctx:tmpdir(), ctx:tmpdir()
    assert.not_equal(d1, d2)
    t.write(d1 .. "/f", "x")
    assert.equal(0, select(3, t.sh("test -f " .. t.q(d1 .. "/f"))))
    ctx:finish()
    assert.not_equal(0, select(3, t.sh("test -e " .. t.q(d1))))
    assert.not_equal(0, select(3, t.sh("test -e " .. t.q(d2))))
  end)

  it("marks an already stored artifact for reuse as an output", function()
    local ctx = context.new(repo, "run-1", "s")
    local e = ctx:existing("sha256:abc")
    assert.equal(context.Existing, getmetatable(e))
    assert.equal("sha256:abc", e.id)
  end)
end)
