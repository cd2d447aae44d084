-- The bad-input catalogue (README.md here): each case is what a person can get
-- wrong and the one line zenml must answer with.
local IRIS_PIPELINE = [[
local zenml = require "zenml"
local split = require "zenml.steps.split"
local pre   = require "zenml.steps.preprocesser"
local train = require "zenml.steps.trainer"
local eval  = require "zenml.steps.evaluator"
local p = zenml.pipelines.Training { name = "iris" }
p:add_datasource(zenml.datasources.CSV { name = "iris", path = "data/iris.csv" })
p:add_split(split.Random { split_map = { train = 0.7, eval = 0.3 }, seed = 1 })
p:add_preprocesser(pre.Standard { labels = { "species" } })
p:add_trainer(train.Logistic {})
p:add_evaluator(eval.Classification {})
p:run()
]]

-- The iris pipeline with `from` replaced by `to` (plain text, first match).
local function iris_with(from, to)
  local i, j = IRIS_PIPELINE:find(from, 1, true)
  assert(i, from)
  return IRIS_PIPELINE:sub(1, i - 1) .. to .. IRIS_PIPELINE:sub(j + 1)
end

-- The iris pipeline reading `path` as datasource `name` instead.
local function iris_on(name, path)
  return iris_with('CSV { name = "iris", path = "data/iris.csv" }',
    ('CSV { name = %q, path = %q }'):format(name, path))
end

return {
  iris_pipeline = IRIS_PIPELINE,

  -- the command line -------------------------------------------------------
  { "an unknown command", repo = "none", cmd = "frobnicate", code = 2,
    first = "zenml: unknown command 'frobnicate'" },
  { "a script that does not exist", repo = "none", cmd = "nope.lua", code = 1,
    first = "zenml: cannot open nope.lua..." },
  { "run of a file that does not exist", repo = "init", cmd = "run nope.lua", code = 1,
    first = "zenml: cannot open nope.lua..." },
  { "run outside a repository", repo = "none", files = { ["p.lua"] = IRIS_PIPELINE },
    cmd = "run p.lua", code = 1, first = "zenml: running a pipeline needs a zenml repository: not a git repository (or any parent): run 'git init' first" },
  { "run list with an unknown status", repo = "init", cmd = "run list --status bogus", code = 2,
    first = "zenml: ...bogus..." },
  { "run show of an empty id", repo = "iris", cmd = "run show ''", code = 1,
    first = "zenml: a run id must not be empty" },
  { "run show of an unknown run", repo = "iris", cmd = "run show nosuch", code = 1,
    first = "zenml: no run 'nosuch'" },
  { "artifact with no action", repo = "iris", cmd = "artifact", code = 2,
    first = "zenml: artifact needs an action: show or export" },
  { "artifact export with no arguments", repo = "iris", cmd = "artifact export", code = 2,
    first = "zenml: artifact export needs an artifact id and a DEST" },
  { "artifact show of a malformed id", repo = "iris", cmd = "artifact show xyz", code = 1,
    first = "zenml: ...xyz..." },
  { "verify with an argument", repo = "iris", cmd = "verify extra", code = 2,
    first = "zenml: verify takes no arguments, got 'extra'" },
  { "an unknown option", repo = "iris", cmd = "run list --bogus", code = 2,
    first = "zenml: unknown option '--bogus'..." },
  { "an option without its value", repo = "iris", cmd = "run list --limit", code = 2,
    first = "zenml: option --limit needs a value" },
  { "predict with a bundle that does not exist", repo = "iris",
    cmd = "predict nosuch.tar.gz data/iris.csv", code = 1, first = "zenml: nosuch.tar.gz: no such file" },

  -- pipelines written in Lua -------------------------------------------------
  { "a pipeline name with a slash", repo = "iris",
    files = { ["p.lua"] = iris_with('name = "iris" }', 'name = "../x" }') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:...: Training: name must be a string of letters..." },
  { "a misspelt trainer class", repo = "iris",
    files = { ["p.lua"] = iris_with("train.Logistic {}", "train.Logistc {}") },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:...Logistc...did you mean Logistic?..." },
  { "an unknown parameter", repo = "iris",
    files = { ["p.lua"] = iris_with("seed = 1 }", "seed = 1, sead = 2 }") },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:...: Random: unknown parameter 'sead'..." },
  { "a parameter of the wrong type", repo = "iris",
    files = { ["p.lua"] = iris_with("seed = 1 }", 'seed = "one" }') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:...: Random: parameter 'seed' expects an integer, got string \"one\"" },
  { "jobs that are not a number", repo = "iris",
    files = { ["p.lua"] = iris_with('name = "iris" }', 'name = "iris", jobs = "many" }') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:...: pipeline 'iris': jobs must be a positive integer, got \"many\"" },
  { "an unknown backend", repo = "iris",
    files = { ["p.lua"] = iris_with('name = "iris" }', 'name = "iris", backend = "k8s" }') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:...unknown backend 'k8s'; backends are: local, parallel" },
  { "a label column that does not exist", repo = "iris",
    files = { ["p.lua"] = iris_with('labels = { "species" }', 'labels = { "specie" }') },
    cmd = "run p.lua", code = 1, first = "zenml: ...'specie'..." },
  { "a datasource path that does not exist", repo = "iris",
    files = { ["p.lua"] = iris_on("typo", "data/iris.cvs") },
    cmd = "run p.lua", code = 1, first = "zenml: ...data/iris.cvs..." },
  { "a syntax error in the pipeline", repo = "iris", files = { ["p.lua"] = "local x = = 1\n" },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:1: ..." },
  { "a runtime error in the pipeline", repo = "iris", files = { ["p.lua"] = "local x = nil; x.y = 1\n" },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:1: attempt to index a nil value (local 'x')" },

  -- CSV ------------------------------------------------------------------------
  { "a CSV that is empty", repo = "iris",
    files = { ["data/e.csv"] = "", ["p.lua"] = iris_on("e", "data/e.csv") },
    cmd = "run p.lua", code = 1, first = "zenml: ...data/e.csv..." },
  { "a CSV with only a header", repo = "iris",
    files = { ["data/h.csv"] = "a,b,species\n", ["p.lua"] = iris_on("h", "data/h.csv") },
    cmd = "run p.lua", code = 1, first = "zenml: data/h.csv: has a header but no rows" },
  { "a CSV row with too many fields", repo = "iris",
    files = { ["data/r.csv"] = "a,species\n1,x\n2,y,3\n", ["p.lua"] = iris_on("r", "data/r.csv") },
    cmd = "run p.lua", code = 1, first = "zenml: ...data/r.csv:3..." },
  { "a CSV that is a folder", repo = "iris",
    files = { ["data/d.csv/x"] = "a\n1\n", ["p.lua"] = iris_on("d", "data/d.csv") },
    cmd = "run p.lua", code = 1, first = "zenml: ...data/d.csv..." },
  { "a CSV on /dev/zero", repo = "iris",
    files = { ["p.lua"] = iris_on("z", "/dev/zero") },
    cmd = "run p.lua", code = 1, first = "zenml: .../dev/zero: not a regular file..." },

  -- recorded YAMLs -------------------------------------------------------------
  { "a YAML that is not YAML", repo = "iris", files = { ["x.yaml"] = "name: [unclosed\n" },
    cmd = "run x.yaml", code = 1, first = "zenml: x.yaml:..." },
  { "a YAML that is not a pipeline", repo = "iris", files = { ["x.yaml"] = "a: 1\n" },
    cmd = "run x.yaml", code = 1, first = "zenml: x.yaml: not a zenml pipeline file (expected name and steps)" },
  { "a YAML of a newer version", repo = "iris", files = { ["x.yaml"] = "version: 9\nname: x\nsteps: {}\n" },
    cmd = "run x.yaml", code = 1, first = "zenml: x.yaml: pipeline file version 9 is not supported by this zenml" },
}
