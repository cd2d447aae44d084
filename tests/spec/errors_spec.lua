-- zenml.errors: suggestions for mistyped names.
local errors = require "zenml.errors"

describe("errors.distance", function()
  it("counts insertions, deletions, substitutions and adjacent swaps as one edit", function()
    assert.equals(0, errors.distance("run", "run"))
    assert.equals(1, errors.distance("rn", "run"))
    assert.equals(1, errors.distance("runs", "run"))
    assert.equals(1, errors.distance("ran", "run"))
    assert.equals(1, errors.distance("stauts", "status"))
    assert.equals(2, errors.distance("FeedFoward", "FeedForwrad"))
    assert.equals(3, errors.distance("abc", ""))
  end)

  it("stops at the limit", function()
    assert.equals(3, errors.distance("completely", "different", 2))
  end)
end)

describe("errors.suggest", function()
  local trainers = { "FeedForward", "Logistic", "Linear", "XGBoost" }

  it("finds a name two edits away", function()
    assert.same({ "FeedForward" }, errors.suggest("FeedFoward", trainers))
    assert.same({ "FeedForward" }, errors.suggest("FedFoward", trainers))
    assert.same({ "Logistic" }, errors.suggest("logistic", trainers))
  end)

  it("allows one edit only for short names", function()
    assert.same({ "run" }, errors.suggest("rn", { "help", "init", "run", "step" }))
    assert.same({}, errors.suggest("xy", { "run" }))
    assert.same({}, errors.suggest("abcd", { "abxy" }))
    assert.same({ "abcde" }, errors.suggest("abxye", { "abcde" }))
  end)

  it("gives at most two, closest first, and nothing for a known name", function()
    assert.same({ "seed", "sheds" }, errors.suggest("seeds", { "lr", "seed", "sheds", "speed" }))
    assert.same({}, errors.suggest("l", { "lr", "l2" }))      -- one letter says too little
    assert.same({ "epochs" }, errors.suggest("epoch", { "epochs", "lr", "seed" }))
    assert.same({}, errors.suggest("epochs", { "epochs", "epoch" }))
    assert.same({}, errors.suggest("zzzzzz", trainers))
  end)

  it("takes the keys of a table as the names", function()
    assert.same({ "labels" }, errors.suggest("label", { labels = {}, features = {} }))
  end)

  it("words the suggestion for the end of a message", function()
    assert.equals("; did you mean completed?", errors.did_you_mean("complete",
      { "running", "completed", "failed" }))
    assert.equals("; did you mean lr or l2?", errors.did_you_mean("lx", { "lr", "l2" }))
    assert.equals("", errors.did_you_mean("bogus", { "running", "completed", "failed" }))
  end)
end)

describe("suggestions at the call sites", function()
  it("names a close column when frame:col is given an unknown one", function()
    local f = require("zenml.frame").from_table { species = { "a" }, petal = { 1.0 } }
    assert.has_error(function() f:col("specie") end,
      "frame:col: no column named 'specie'; did you mean species?")
    assert.has_error(function() f:col("zzz") end, "frame:col: no column named 'zzz'")
  end)

  it("names a close parameter and parameter value of a step", function()
    local S = require("zenml.step").Step:extend("S")
    S.params = { epochs = { type = "integer", default = 1 },
      solver = { type = "string", default = "exact", values = { "exact", "sgd" } } }
    assert.has_error(function() S { epoch = 2 } end,
      "S: unknown parameter 'epoch'; parameters are: epochs, solver; did you mean epochs?")
    assert.has_error(function() S { solver = "exakt" } end,
      "S: parameter 'solver' expects one of exact, sgd, got string \"exakt\"; did you mean exact?")
  end)

  it("raises errors about the user's input as values that print as their message", function()
    local errors = require "zenml.errors"
    local ok, e = pcall(errors.user, "bad %s", "thing")
    assert.is_false(ok)
    assert.is_true(errors.is_user(e))
    assert.equals("bad thing", tostring(e))
    assert.equals("x: bad thing", "x: " .. e)
  end)
end)
