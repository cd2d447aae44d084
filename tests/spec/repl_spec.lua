-- zenml.repl: the completions the line editor offers and what help(x) says.
local repl = require "zenml.repl"
local zenml = require "zenml"
local pretty = require "zenml.pretty"

describe("REPL completion", function()
  local env = setmetatable({ zenml = zenml, alpha = 1, alpine = 2, _hidden = 3 }, { __index = _G })

  it("completes globals and keywords", function()
    assert.same({ "alpha", "alpine" }, repl.complete("alp", env))
    local words = {}
    for _, w in ipairs(repl.complete("re", env)) do words[w] = true end
    assert.is_true(words["return"] and words["repeat"] and words["require"])
    assert.same({}, repl.complete("_h", { alpha = 1 }))
    assert.same({ "_hidden" }, repl.complete("_h", env))
  end)

  it("completes fields the package loads on demand", function()
    assert.same({ "zenml.meta" }, repl.complete("zenml.me", env))
    local subs = repl.complete("zenml.st", env)
    assert.same({ "zenml.stats", "zenml.steplib", "zenml.steps", "zenml.store" }, subs)
    assert.same({ "zenml.steps.BaseSplitStep" }, repl.complete("zenml.steps.BaseS", env))
  end)

  it("completes methods through the class chain and userdata metatables, only after ':'", function()
    local step = zenml.Step {}
    local e = { s = step, f = zenml.frame.from_table { a = { 1 } }, word = "x" }
    assert.same({ "s:output_spec" }, repl.complete("s:output_", e))
    assert.same({ "s:is_a" }, repl.complete("s:is_", e))
    assert.same({}, repl.complete("s:params", e)) -- a field, not a method
    assert.same({ "s.params" }, repl.complete("s.para", e))
    assert.same({ "f:to_csv", "f:to_json" }, repl.complete("f:to_", e))
    assert.same({ "word:upper" }, repl.complete("word:up", e))
  end)

  it("offers nothing for what it cannot resolve, without raising", function()
    local e = { bad = setmetatable({}, { __index = function() error("boom") end }) }
    assert.same({}, repl.complete("bad.x.y", e))
    assert.same({}, repl.complete("nosuch.x", e))
    assert.same({}, repl.complete("a..b", e))
    assert.same({}, repl.complete("1 +", e))
    assert.equals("tostring", repl.complete_lines("tostr"))
  end)
end)

describe("help(x)", function()
  local Scale = zenml.Step:extend("Scale")
  Scale.inputs = { data = { type = "frame", required = true } }
  Scale.outputs = { out = "value" }
  Scale.params = {
    factor = { type = "number", default = 1.0 },
    mode = { type = "string", values = { "sum", "mean" }, default = "sum" },
  }

  it("describes a step class: its parameters, inputs, outputs and methods", function()
    local text = repl.help_text(Scale)
    assert.matches("^class Scale < Step < Object", text)
    assert.matches("\nparameters:\n  factor  number  default 1.0\n  mode    string  default \"sum\"; one of sum, mean\n",
      text, 1, true)
    assert.matches("\ninputs:  data (frame, required)\noutputs: out (value)\n", text, 1, true)
    assert.matches("\n  :output_spec%(%) +The declared outputs: name %-> type%.\n", text)
    assert.not_matches(":extend%(", text)
  end)

  it("shows a step's own parameter values", function()
    local text = repl.help_text(Scale { factor = 2.5 })
    assert.matches("\n  factor  number  = 2.5  (default 1.0)\n", text, 1, true)
  end)

  it("describes functions and modules from their doc comments", function()
    assert.matches("^function%(path, opts%) defined at .*frame%.lua:%d+\n  Read a CSV file with a header row%.",
      repl.help_text(zenml.frame.read_csv))
    local text = repl.help_text(zenml.frame)
    assert.matches("^zenml%.frame: typed columnar tables", text)
    assert.matches("\n  read_csv%(path, opts%) +Read a CSV file with a header row%.\n?", text)
    assert.equals(tostring(zenml), repl.help_text(zenml))
    assert.matches("^help%(x%) describes x", repl.help_text(nil))
  end)

  it("installs help as a global only when asked", function()
    local had = rawget(_G, "help")
    rawset(_G, "help", nil)
    repl.install()
    assert.equals(repl.help, rawget(_G, "help"))
    rawset(_G, "help", had)
  end)
end)

describe("the pretty printer", function()
  it("shows the metadata's times as ISO 8601 dates", function()
    assert.equals("{\n  ended = 2025-12-02T14:00:01.000Z,\n  id = 3,\n  started = 2025-12-02T14:00:00.250Z,\n}",
      pretty.format { started = 1764684000.25, ended = 1764684001, id = 3 })
    assert.equals("{\n  other = 1764684000.25,\n}", pretty.format { other = 1764684000.25 })
  end)
end)
