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

-- A pipeline reading `path` as datasource `name` with the trainer `trainer`.
local function iris_on_with(name, path, from, to)
  local i, j = IRIS_PIPELINE:find('CSV { name = "iris", path = "data/iris.csv" }', 1, true)
  local text = IRIS_PIPELINE:sub(1, i - 1) .. ('CSV { name = %q, path = %q }'):format(name, path)
    .. IRIS_PIPELINE:sub(j + 1)
  i, j = text:find(from, 1, true)
  assert(i, from)
  return text:sub(1, i - 1) .. to .. text:sub(j + 1)
end

-- Ten CSV rows from `fmt`: I is the row's number, C its class (x or y, alternating).
local function rows(fmt)
  local out = {}
  for i = 1, 10 do
    out[i] = (fmt:gsub("I", tostring(i)):gsub("C", i % 2 == 0 and "x" or "y"))
  end
  return table.concat(out, "\n") .. "\n"
end

-- A script that only snapshots `path` as a datasource of `type` (CSV, Files, ...).
local function snapshot(type, path, extra)
  return ('local zenml = require "zenml"\nzenml.datasources.%s { name = "d", path = %q%s }\n')
    :format(type, path, extra and (", " .. extra) or "")
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

  -- CSV, more ----------------------------------------------------------------
  { "a CSV that has only newlines", repo = "iris",
    files = { ["data/n.csv"] = "\n\n\n", ["p.lua"] = iris_on("n", "data/n.csv") },
    cmd = "run p.lua", code = 1, first = "zenml: data/n.csv: empty file" },
  { "a CSV row with too few fields", repo = "iris",
    files = { ["data/r.csv"] = "a,b,species\n1,2,x\n3,y\n", ["p.lua"] = iris_on("r", "data/r.csv") },
    cmd = "run p.lua", code = 1, first = "zenml: data/r.csv:3: expected 3 fields, found 2" },
  { "a CSV with an unterminated quote", repo = "iris",
    files = { ["data/q.csv"] = 'a,species\n1,"x\n2,y\n', ["p.lua"] = iris_on("q", "data/q.csv") },
    cmd = "run p.lua", code = 1, first = "zenml: data/q.csv:2: unterminated quoted field" },
  { "a CSV with a NUL byte in a field", repo = "iris",
    files = { ["data/z.csv"] = "a,species\n" .. rows("I,C") .. "11,x\0y\n", ["p.lua"] = iris_on("z", "data/z.csv") },
    cmd = "run p.lua", code = 1, first = "zenml: data/z.csv:12: a NUL byte in column 'species' (zenml reads UTF-8 CSV; is the file UTF-16?)" },
  { "a CSV with a NUL byte in the header", repo = "iris",
    files = { ["data/z.csv"] = "a\0b,species\n1,x\n2,y\n", ["p.lua"] = iris_on("z", "data/z.csv") },
    cmd = "run p.lua", code = 1, first = "zenml: data/z.csv:1: a NUL byte in the header (zenml reads UTF-8 CSV; is the file UTF-16?)" },
  { "a CSV with invalid UTF-8 in a field", repo = "iris",
    files = { ["data/u.csv"] = "a,species\n1,x\n2,\xff\xfe\n", ["p.lua"] = iris_on("u", "data/u.csv") },
    cmd = "run p.lua", code = 1, first = "zenml: data/u.csv:3: invalid UTF-8 in column 'species'" },
  { "a CSV with invalid UTF-8 in the header", repo = "iris",
    files = { ["data/u.csv"] = "a\xc3,species\n1,x\n2,y\n", ["p.lua"] = iris_on("u", "data/u.csv") },
    cmd = "run p.lua", code = 1, first = "zenml: data/u.csv:1: invalid UTF-8 in the header" },
  { "a CSV with a BOM and a label column that is not there", repo = "iris",
    files = { ["data/b.csv"] = "\xef\xbb\xbfspecie,a\nx,1\ny,2\n", ["p.lua"] = iris_on("b", "data/b.csv") },
    cmd = "run p.lua", code = 1, first = "zenml: step 'preprocesser' failed: Standard: column 'species' not found; columns are: specie, a; did you mean specie?" },
  { "a CSV with CRLF line ends and a ragged row", repo = "iris",
    files = { ["data/c.csv"] = "a,species\r\n1,x\r\n2\r\n", ["p.lua"] = iris_on("c", "data/c.csv") },
    cmd = "run p.lua", code = 1, first = "zenml: data/c.csv:3: expected 2 fields, found 1" },
  { "a CSV with a column name twice", repo = "iris",
    files = { ["data/d.csv"] = "a,a,species\n" .. rows("I,I,C"), ["p.lua"] = iris_on("d", "data/d.csv") },
    cmd = "run p.lua", code = 0, first = "zenml: warning: data/d.csv: column 'a' appears again in the header as column 2; read as 'a.1'" },
  { "a CSV with an empty column name", repo = "iris",
    files = { ["data/d.csv"] = "a,,species\n" .. rows("I,I,C"), ["p.lua"] = iris_on("d", "data/d.csv") },
    cmd = "run p.lua", code = 0, first = "zenml: warning: data/d.csv: column 2 has no name in the header; read as 'column_2'" },
  { "a CSV with a huge field before a ragged row", repo = "iris",
    files = { ["data/h.csv"] = "a,species\n1," .. ("x"):rep(3 * 1024 * 1024) .. "\n2\n",
      ["p.lua"] = iris_on("h", "data/h.csv") },
    cmd = "run p.lua", code = 1, first = "zenml: data/h.csv:3: expected 2 fields, found 1" },
  { "a label column with one class", repo = "iris",
    files = { ["data/o.csv"] = "a,species\n1,x\n2,x\n3,x\n4,x\n5,x\n6,x\n7,x\n8,x\n9,x\n10,x\n",
      ["p.lua"] = iris_on("o", "data/o.csv") },
    cmd = "run p.lua", code = 1, first = "zenml: step 'trainer' failed: Logistic: label column 'species' has 1 class in the training rows; classification needs 2 or more" },
  { "a feature column that is all nulls, scaled", repo = "iris",
    files = { ["data/o.csv"] = "a,b,species\n" .. rows("I,,C"),
      ["p.lua"] = iris_on_with("o", "data/o.csv", 'labels = { "species" }',
        'labels = { "species" }, overwrite = { b = { method = "z_score" } }') },
    cmd = "run p.lua", code = 1, first = "zenml: step 'preprocesser' failed: Standard: feature 'b' has no values in the training split (every cell is null); z_score needs numbers" },
  { "a text label for Linear", repo = "iris",
    files = { ["p.lua"] = iris_with("train.Logistic {}", "train.Linear {}") },
    cmd = "run p.lua", code = 1, first = "zenml: step 'trainer' failed: Linear: label column 'species' is string; a model needs numbers (transform it first)" },
  { "a label column that is all nulls", repo = "iris",
    files = { ["data/o.csv"] = "a,species\n" .. rows("I,"), ["p.lua"] = iris_on("o", "data/o.csv") },
    cmd = "run p.lua", code = 1, first = "zenml: step 'trainer' failed: Logistic: label column 'species' has 0 classes in the training rows; classification needs 2 or more" },
  { "a CSV delimiter argument", repo = "iris",
    files = { ["p.lua"] = iris_on_with("iris", "data/iris.csv", 'path = "data/iris.csv"', 'path = "data/iris.csv", delimiter = ";"') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:7: CSV: unknown argument 'delimiter'; arguments are: name, null_values, path, replace, repo, schema, snapshot" },
  { "null_values that is a string", repo = "iris",
    files = { ["p.lua"] = snapshot("CSV", "data/iris.csv", 'null_values = "?"') },
    cmd = "p.lua", code = 1, first = "zenml: p.lua:2: CSV: expected null_values = a table, got string" },
  { "null_values with a number in it", repo = "iris",
    files = { ["p.lua"] = snapshot("CSV", "data/iris.csv", 'null_values = { "?", 3 }') },
    cmd = "p.lua", code = 1, first = "zenml: p.lua:2: CSV: expected null_values = a list of strings, got number at 2" },
  { "a schema with an unknown type name", repo = "iris",
    files = { ["p.lua"] = snapshot("CSV", "data/iris.csv", 'schema = { sepal_length = "float" }') },
    cmd = "p.lua", code = 1, first = "zenml: p.lua:2: CSV: expected schema = { column = \"float64\" | \"int64\" | \"bool\" | \"string\" }, got sepal_length = \"float\"" },
  { "a schema naming a column that does not exist", repo = "iris",
    files = { ["p.lua"] = snapshot("CSV", "data/iris.csv", 'schema = { sepal_lenght = "float64" }') },
    cmd = "p.lua", code = 1, first = "zenml: data/iris.csv: the schema names column 'sepal_lenght', which is not in the header" },
  { "a schema value that does not parse", repo = "iris",
    files = { ["p.lua"] = snapshot("CSV", "data/iris.csv", 'schema = { species = "int64" }') },
    cmd = "p.lua", code = 1, first = "zenml: data/iris.csv:2: column 'species': cannot read \"setosa\" as int64" },
  { "a schema that is a list", repo = "iris",
    files = { ["p.lua"] = snapshot("CSV", "data/iris.csv", 'schema = { "float64" }') },
    cmd = "p.lua", code = 1, first = "zenml: p.lua:2: CSV: expected schema = { column = \"float64\" | \"int64\" | \"bool\" | \"string\" }, got 1 = \"float64\"" },
  { "an integer beyond int64 declared int64", repo = "iris",
    files = { ["data/i.csv"] = "id,y\n1,a\n99999999999999999999,b\n", ["p.lua"] = snapshot("CSV", "data/i.csv", 'schema = { id = "int64" }') },
    cmd = "p.lua", code = 1, first = "zenml: data/i.csv:3: column 'id': cannot read \"99999999999999999999\" as int64" },
  { "a datasource without a name", repo = "iris",
    files = { ["p.lua"] = 'local zenml = require "zenml"\nzenml.datasources.CSV { path = "data/iris.csv" }\n' },
    cmd = "p.lua", code = 1, first = "zenml: p.lua:2: CSV: expected name = a non-empty string, got nil" },
  { "a datasource path that is a number", repo = "iris",
    files = { ["p.lua"] = 'local zenml = require "zenml"\nzenml.datasources.CSV { name = "d", path = 3 }\n' },
    cmd = "p.lua", code = 1, first = "zenml: p.lua:2: CSV: expected path = a path string, got number" },
  { "a CSV on a FIFO", repo = "iris", setup = "mkfifo data/f.csv",
    files = { ["p.lua"] = snapshot("CSV", "data/f.csv") },
    cmd = "p.lua", code = 1, first = "zenml: data/f.csv: not a regular file" },
  { "a datasource name taken with other arguments", repo = "iris",
    files = { ["data/j.csv"] = "a,species\n1,x\n2,y\n", ["p.lua"] = snapshot("CSV", "data/j.csv"):gsub('"d"', '"iris"') },
    cmd = "p.lua", code = 1, first = "zenml: datasource 'iris' exists with other arguments (path = data/iris.csv); pass replace = true to change it" },
}
