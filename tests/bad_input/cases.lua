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

-- Commit what the case wrote (a step module's uncommitted changes are a warning).
local COMMIT = "git add -A && git commit -qm case"

-- A custom step module (steps/<name>.lua) whose run is `body`.
local function step_module(class, body, extra)
  return ('local zenml = require "zenml"\nlocal S = zenml.Step:extend(%q)\n'
    .. 'S.inputs = { data = { type = "frame", required = true } }\nS.outputs = { out = "value" }\n%s'
    .. 'function S:run(ctx, inputs)\n%s\nend\nreturn S\n'):format(class, extra or "", body)
end

-- A pipeline of the datasource and one custom step from steps/s.lua, wired as `wiring`.
local function custom_pipeline(wiring, add)
  return 'local zenml = require "zenml"\nlocal S = require "s"\n'
    .. 'local p = zenml.Pipeline { name = "custom" }\n'
    .. 'p:add_datasource(zenml.datasources.CSV { name = "iris", path = "data/iris.csv" })\n'
    .. (add or ('p:add("s", S {}, %s)\n'):format(wiring or '{ data = "datasource.data" }'))
    .. 'p:run()\n'
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

  -- archives and folders for Files ---------------------------------------------
  { "a corrupt zip", repo = "iris", files = { ["data/a.zip"] = "PK\3\4" .. ("\0"):rep(40) .. "garbage",
      ["p.lua"] = snapshot("Files", "data/a.zip") },
    cmd = "p.lua", code = 1, first = "zenml: data/a.zip: cannot read archive: damaged or not an archive" },
  { "a zip with a '../' entry", repo = "iris", files = { ["x/ok.txt"] = "ok\n", ["p.lua"] = snapshot("Files", "data/a.zip") },
    setup = "mkdir -p data/in && cd x && zip -q ../data/a.zip ok.txt ../p.lua",
    cmd = "p.lua", code = 0, first = "zenml: data/a.zip: '../p.lua': path leaves the archive (..); skipped" },
  { "a tar with an absolute path entry", repo = "iris", files = { ["x/ok.txt"] = "ok\n", ["p.lua"] = snapshot("Files", "data/a.tar") },
    setup = "tar -cPf data/a.tar \"$PWD/x/ok.txt\" p.lua",
    cmd = "p.lua", code = 0, first = "zenml: data/a.tar: '/...x/ok.txt': absolute path; skipped" },
  { "a tar with a symbolic link out of it", repo = "iris", files = { ["x/ok.txt"] = "ok\n", ["p.lua"] = snapshot("Files", "data/a.tar") },
    setup = "ln -s /etc/hostname x/out && tar -cf data/a.tar x",
    cmd = "p.lua", code = 0, first = "zenml: data/a.tar: 'x/out': symbolic link to '/etc/hostname' points outside the archive; skipped" },
  { "a folder with a symbolic link out of it", repo = "iris", files = { ["x/ok.txt"] = "ok\n", ["p.lua"] = snapshot("Files", "x") },
    setup = "ln -s ../data/iris.csv x/out",
    cmd = "p.lua", code = 0, first = "zenml: x: 'out': symbolic link to '../data/iris.csv' points outside the folder; skipped" },
  { "an empty zip", repo = "iris", files = { ["data/a.zip"] = "PK\5\6" .. ("\0"):rep(18),
      ["p.lua"] = snapshot("Files", "data/a.zip") },
    cmd = "p.lua", code = 1, first = "zenml: data/a.zip: no files" },
  { "an empty tar", repo = "iris", files = { ["data/a.tar"] = ("\0"):rep(10240),
      ["p.lua"] = snapshot("Files", "data/a.tar") },
    cmd = "p.lua", code = 1, first = "zenml: data/a.tar: no files" },
  { "a tar.gz that is really text", repo = "iris", files = { ["data/a.tar.gz"] = "just some text\n",
      ["p.lua"] = snapshot("Files", "data/a.tar.gz") },
    cmd = "p.lua", code = 1, first = "zenml: data/a.tar.gz: cannot read archive: Unrecognized archive format" },
  { "a truncated tar.gz", repo = "iris", files = { ["p.lua"] = snapshot("Files", "data/a.tar.gz") },
    setup = "mkdir x && seq 1 100000 > x/n.txt && tar -czf t.tgz x && head -c 20000 t.tgz > data/a.tar.gz",
    cmd = "p.lua", code = 1, first = "zenml: data/a.tar.gz: cannot read archive: Unrecognized archive format" },
  { "an empty folder", repo = "iris", files = { ["p.lua"] = snapshot("Files", "data/empty") },
    setup = "mkdir -p data/empty", cmd = "p.lua", code = 1, first = "zenml: data/empty: no files" },
  { "a Files path that does not exist", repo = "iris", files = { ["p.lua"] = snapshot("Files", "data/imgs.zip") },
    cmd = "p.lua", code = 1, first = "zenml: data/imgs.zip: no such file or folder" },
  { "a file that is not an archive", repo = "iris", files = { ["p.lua"] = snapshot("Files", "data/iris.csv") },
    cmd = "p.lua", code = 1, first = "zenml: data/iris.csv: expected a folder or an archive (.tar, .tar.gz, .tar.zst, .zip), got a file" },

  -- Lua pipelines and custom steps -----------------------------------------------
  { "a syntax error in a step module", repo = "iris", frames = true,
    files = { ["steps/s.lua"] = "local S = \nfunction", ["p.lua"] = custom_pipeline() }, setup = COMMIT,
    cmd = "run p.lua", code = 1, first = "zenml: steps/s.lua:2: '(' expected near <eof> (loading module 's')" },
  { "a runtime error in a step's run", repo = "iris",
    files = { ["steps/s.lua"] = step_module("S", "  local t = nil\n  return { out = t.x }"), ["p.lua"] = custom_pipeline() }, setup = COMMIT,
    cmd = "run p.lua", code = 1, first = "zenml: step 's' failed: steps/s.lua:7: attempt to index a nil value (local 't')" },
  { "an error() in a step's run", repo = "iris",
    files = { ["steps/s.lua"] = step_module("S", '  error("no good")'), ["p.lua"] = custom_pipeline() }, setup = COMMIT,
    cmd = "run p.lua", code = 1, first = "zenml: step 's' failed: steps/s.lua:6: no good" },
  { "an error with a table value in a step's run", repo = "iris",
    files = { ["steps/s.lua"] = step_module("S", '  error({ code = 1 })'), ["p.lua"] = custom_pipeline() }, setup = COMMIT,
    cmd = "run p.lua", code = 1, first = "zenml: step 's' failed: steps/s.lua:6: (error object is a table value)" },
  { "a step that returns nothing", repo = "iris",
    files = { ["steps/s.lua"] = step_module("S", "  return nil"), ["p.lua"] = custom_pipeline() }, setup = COMMIT,
    cmd = "run p.lua", code = 1, first = "zenml: step 's' returned nil; run must return a table of outputs" },
  { "a step that returns a number instead of its outputs", repo = "iris",
    files = { ["steps/s.lua"] = step_module("S", "  return 3"), ["p.lua"] = custom_pipeline() }, setup = COMMIT,
    cmd = "run p.lua", code = 1, first = "zenml: step 's' returned number; run must return a table of outputs" },
  { "a step missing an output", repo = "iris",
    files = { ["steps/s.lua"] = step_module("S", "  return {}"), ["p.lua"] = custom_pipeline() }, setup = COMMIT,
    cmd = "run p.lua", code = 1, first = "zenml: step 's' did not return its output 'out'" },
  { "a step returning an output it does not declare", repo = "iris",
    files = { ["steps/s.lua"] = step_module("S", "  return { out = 1, extra = 2 }"), ["p.lua"] = custom_pipeline() }, setup = COMMIT,
    cmd = "run p.lua", code = 1, first = "zenml: step 's' returned an undeclared output 'extra'" },
  { "a frame output that is not a frame", repo = "iris",
    files = { ["steps/s.lua"] = step_module("S", '  return { out = "text" }'):gsub('out = "value"', 'out = "frame"'),
      ["p.lua"] = custom_pipeline() }, setup = COMMIT,
    cmd = "run p.lua", code = 1, first = "zenml: step 's' output 'out': expected a frame, got string" },
  { "a value output that is a function", repo = "iris",
    files = { ["steps/s.lua"] = step_module("S", '  return { out = print }'), ["p.lua"] = custom_pipeline() }, setup = COMMIT,
    cmd = "run p.lua", code = 1, first = "zenml: step 's' output 'out': cannot encode a function value as YAML" },
  { "a step class with a misspelt base", repo = "iris", frames = true,
    files = { ["steps/s.lua"] = step_module("S", "  return { out = 1 }"):gsub("zenml.Step:extend", "zenml.Stp:extend"),
      ["p.lua"] = custom_pipeline() }, setup = COMMIT,
    cmd = "run p.lua", code = 1, first = "zenml: steps/s.lua:2: attempt to index a nil value (field 'Stp'); did you mean Step?" },
  { "a step module that returns nothing", repo = "iris",
    files = { ["steps/s.lua"] = "local x = 1\n", ["p.lua"] = custom_pipeline() }, setup = COMMIT,
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:5: attempt to call a boolean value (local 'S')" },
  { "a step with an unknown output type", repo = "iris",
    files = { ["steps/s.lua"] = step_module("S", "  return { out = 1 }"):gsub('out = "value"', 'out = "valeu"'),
      ["p.lua"] = custom_pipeline() }, setup = COMMIT,
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:6: pipeline 'custom': step 's': S: output 'out' has type 'valeu'; types are: file, frame, metrics, model, schema, statistics, tree, value (a list: type[], a map: type{})" },
  { "wiring from an unknown step", repo = "iris",
    files = { ["steps/s.lua"] = step_module("S", "  return { out = 1 }"), ["p.lua"] = custom_pipeline('{ data = "datasorce.data" }') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:6: pipeline 'custom': step 's' input 'data': no step 'datasorce' in the pipeline; did you mean datasource?" },
  { "wiring from an unknown output", repo = "iris",
    files = { ["steps/s.lua"] = step_module("S", "  return { out = 1 }"), ["p.lua"] = custom_pipeline('{ data = "datasource.dat" }') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:6: pipeline 'custom': step 's' input 'data': step 'datasource' has no output 'dat'; outputs are: data; did you mean data?" },
  { "wiring to an unknown input", repo = "iris",
    files = { ["steps/s.lua"] = step_module("S", "  return { out = 1 }"), ["p.lua"] = custom_pipeline('{ dta = "datasource.data" }') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:6: pipeline 'custom': step 's' (S) has no input 'dta'; inputs are: data; did you mean data?" },
  { "a required input left unwired", repo = "iris",
    files = { ["steps/s.lua"] = step_module("S", "  return { out = 1 }"), ["p.lua"] = custom_pipeline('{}') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:6: pipeline 'custom': step 's' (S): input 'data' is required but not wired" },
  { "wiring that is not step.output", repo = "iris",
    files = { ["steps/s.lua"] = step_module("S", "  return { out = 1 }"), ["p.lua"] = custom_pipeline('{ data = "datasource" }') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:6: pipeline 'custom': step 's' input 'data': expected \"step.output\", got \"datasource\"" },
  { "a value wired to a frame input", repo = "iris",
    files = { ["steps/s.lua"] = step_module("S", "  return { out = 1 }"),
      ["p.lua"] = custom_pipeline(nil, 'p:add("a", S {}, { data = "datasource.data" })\np:add("b", S {}, { data = "a.out" })\n') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:7: pipeline 'custom': step 'b' input 'data' takes a frame, but a.out is a value" },
  { "a cycle", repo = "iris",
    files = { ["steps/s.lua"] = step_module("S", "  return { out = 1 }"):gsub('type = "frame"', 'type = "value"'),
      ["p.lua"] = custom_pipeline(nil, 'p:add("a", S {}, { data = "b.out" })\np:add("b", S {}, { data = "a.out" })\n') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:7: pipeline 'custom': cycle: a -> b -> a" },
  { "a step wired to itself", repo = "iris",
    files = { ["steps/s.lua"] = step_module("S", "  return { out = 1 }"):gsub('type = "frame"', 'type = "value"'),
      ["p.lua"] = custom_pipeline(nil, 'p:add("a", S {}, { data = "a.out" })\n') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:6: pipeline 'custom': cycle: a -> a" },
  { "two steps of the same name", repo = "iris",
    files = { ["steps/s.lua"] = step_module("S", "  return { out = 1 }"),
      ["p.lua"] = custom_pipeline(nil, 'p:add("a", S {}, { data = "datasource.data" })\np:add("a", S {}, { data = "datasource.data" })\n') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:6: pipeline 'custom': duplicate step name 'a'" },
  { "a step name with a slash", repo = "iris",
    files = { ["steps/s.lua"] = step_module("S", "  return { out = 1 }"),
      ["p.lua"] = custom_pipeline(nil, 'p:add("../a", S {}, { data = "datasource.data" })\n') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:5: pipeline 'custom': add: step name must be a string of letters, digits, '_', '-', starting with a letter or '_' (at most 100 characters), got \"../a\"" },
  { "a step class defined in the script", repo = "iris",
    files = { ["p.lua"] = custom_pipeline(nil, 'local T = zenml.Step:extend("T")\nT.outputs = { out = "value" }\nfunction T:run() return { out = 1 } end\np:add("t", T {}, {})\n'):gsub('local S = require "s"\n', "") },
    cmd = "run p.lua", code = 1, first = "zenml: step 't': class T is not defined in a module (it was defined in p.lua); move it to steps/<name>.lua and require it, so runs can load it again" },
  { "add of something that is not a step", repo = "iris",
    files = { ["p.lua"] = custom_pipeline(nil, 'p:add("t", {}, {})\n'):gsub('local S = require "s"\n', "") },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:4: pipeline 'custom': add: step 't' must be a Step instance (e.g. MyStep { ... }), got table" },
  { "a step module that does not exist", repo = "iris",
    files = { ["p.lua"] = custom_pipeline() }, setup = COMMIT,
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:2: module 's' not found:" },
  { "a list parameter given a number", repo = "iris",
    files = { ["p.lua"] = iris_with('labels = { "species" }', 'labels = 3') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:9: Standard: parameter 'labels' expects a list, got number 3" },
  { "a map parameter given a list", repo = "iris",
    files = { ["p.lua"] = iris_with("split_map = { train = 0.7, eval = 0.3 }", "split_map = { 0.7, 0.3 }") },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:8: Random: parameter 'split_map' expects split names as keys" },
  { "a number parameter given a string", repo = "iris",
    files = { ["p.lua"] = iris_with("train.Logistic {}", 'train.Logistic { l2 = "big" }') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:10: Logistic: parameter 'l2' expects a number, got string \"big\"" },
  { "an integer parameter given a fraction", repo = "iris",
    files = { ["p.lua"] = iris_with("seed = 1 }", "seed = 1.5 }") },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:8: Random: parameter 'seed' expects an integer, got number 1.5" },
  { "an integer parameter given a word", repo = "iris",
    files = { ["p.lua"] = iris_with("train.Logistic {}", 'train.FeedForward { early_stopping = "yes" }') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:10: FeedForward: parameter 'early_stopping' expects an integer, got string \"yes\"" },
  { "a parameter outside its values", repo = "iris",
    files = { ["p.lua"] = iris_with("train.Logistic {}", 'train.Logistic { solver = "adam" }') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:10: Logistic: parameter 'solver' expects one of lbfgs, sgd, got string \"adam\"" },
  { "a required parameter missing", repo = "iris",
    files = { ["p.lua"] = iris_with("split.Random { split_map = { train = 0.7, eval = 0.3 }, seed = 1 }", "split.Random { seed = 1 }") },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:8: Random: parameter 'split_map' is required" },
  { "a negative split fraction", repo = "iris",
    files = { ["p.lua"] = iris_with("train = 0.7, eval = 0.3", "train = 0.7, eval = -0.3") },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:8: Random: parameter 'split_map' expects a fraction >= 0 for split 'eval', got -0.3" },
  { "a split with an empty part", repo = "iris",
    files = { ["p.lua"] = iris_with("train = 0.7, eval = 0.3", "train = 0.999, eval = 0.001") },
    cmd = "run p.lua", code = 1, first = "zenml: step 'split' failed: split 'eval' is empty (Random fractions eval = 0.001, train = 0.999, seed 1)" },
  { "an unknown preprocesser overwrite method", repo = "iris",
    files = { ["p.lua"] = iris_with('labels = { "species" }', 'labels = { "species" }, overwrite = { sepal_length = { method = "zscore" } }') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:9: Standard: parameter 'overwrite' for column 'sepal_length': unknown method 'zscore'; methods are: bucketize, hash_strings, log, no_transform, one_hot, scale_by_min_max, scale_to_0_1, scale_to_z_score, vocabulary" },
  { "an overwrite of a column that does not exist", repo = "iris",
    files = { ["p.lua"] = iris_with('labels = { "species" }', 'labels = { "species" }, overwrite = { sepal = { method = "z_score" } }') },
    cmd = "run p.lua", code = 1, first = "zenml: step 'preprocesser' failed: Standard: overwrite names column 'sepal', which is not a feature" },
  { "a step built with a non-table", repo = "iris",
    files = { ["p.lua"] = iris_with("train.Logistic {}", 'train.Logistic "fast"') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:10: Logistic: expected a table of parameters, got string \"fast\"" },
  { "an unknown Training slot", repo = "iris",
    files = { ["p.lua"] = iris_with("p:add_trainer(", "p:add_trainr(") },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:10: attempt to call a nil value (method 'add_trainr'); did you mean add_trainer?" },
  { "two evaluators", repo = "iris",
    files = { ["p.lua"] = iris_with("p:add_evaluator(eval.Classification {})",
      "p:add_evaluator(eval.Classification {})\np:add_evaluator(eval.Regression {})") },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:12: pipeline 'iris': duplicate step name 'evaluator'" },
  { "a Training pipeline without a trainer", repo = "iris",
    files = { ["p.lua"] = iris_with("p:add_trainer(train.Logistic {})\n", "") },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:11: Training pipeline 'iris' needs a trainer: call p:add_trainer(...)" },
  { "a Training pipeline without a datasource", repo = "iris",
    files = { ["p.lua"] = iris_with('p:add_datasource(zenml.datasources.CSV { name = "iris", path = "data/iris.csv" })\n', "") },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:11: Training pipeline 'iris' needs a datasource: call p:add_datasource(...)" },
  { "a trainer in the split slot", repo = "iris",
    files = { ["p.lua"] = iris_with("p:add_split(split.Random { split_map = { train = 0.7, eval = 0.3 }, seed = 1 })", "p:add_split(train.Logistic {})") },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:8: Training pipeline 'iris': add_split expects a BaseSplitStep, got <Logistic step>" },
  { "BatchInference with a model run that does not exist", repo = "iris",
    files = { ["p.lua"] = 'local zenml = require "zenml"\nlocal p = zenml.pipelines.BatchInference { name = "bi", model_run = "nosuch" }\n'
      .. 'p:add_datasource(zenml.datasources.CSV { name = "iris", path = "data/iris.csv" })\n'
      .. 'p:add_inferrer(require("zenml.steps.inferrer").Predict {})\np:run()\n' },
    cmd = "run p.lua", code = 1, first = "zenml: BatchInference 'bi': no run 'nosuch'" },
  { "BatchInference without model_run", repo = "iris",
    files = { ["p.lua"] = 'local zenml = require "zenml"\nlocal p = zenml.pipelines.BatchInference { name = "bi" }\np:add_datasource(zenml.datasources.CSV { name = "iris", path = "data/iris.csv" })\np:run()\n' },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:2: BatchInference: model_run must be the id of a training run or \"latest\", or give model_pipeline = NAME; got nil" },
  { "run options of the wrong type", repo = "iris",
    files = { ["p.lua"] = iris_with("p:run()", 'p:run { jobs = 0 }') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:12: pipeline 'iris': run: jobs must be a positive integer, got 0" },
  { "an unknown run option", repo = "iris",
    files = { ["p.lua"] = iris_with("p:run()", 'p:run { job = 2 }') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:12: pipeline 'iris': run: unknown option 'job'; options are: backend, cache, jobs, no_cache; did you mean jobs?" },
  { "a pipeline without a name", repo = "iris",
    files = { ["p.lua"] = iris_with('Training { name = "iris" }', 'Training {}') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:6: Training: name must be a string of letters, digits, '_', '.', '-', starting with a letter or digit (at most 100 characters), got nil" },
  { "a trainer added twice", repo = "iris",
    files = { ["p.lua"] = iris_with("p:run()", 'p:run()\np:add_trainer(train.Logistic {})') },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:13: pipeline 'iris': duplicate step name 'trainer'" },
  { "a script that errors with a table", repo = "iris",
    files = { ["p.lua"] = "error({})\n" },
    cmd = "run p.lua", code = 1, first = "zenml: p.lua:1: (error object is a table value)" },
  { "a script that calls os.exit(3)", repo = "iris",
    files = { ["p.lua"] = "os.exit(3)\n" },
    cmd = "run p.lua", code = 3, first = "" },
}
