-- `zenml datasource list | show | commit`, driven as a user would: a
-- throwaway git repository, a script that constructs datasources, then the CLI.
local t = require "tests.support"
local json_decode = require("zenml.datasource").decode_json

local function zenml(dir, args)
  return t.zenml_run(args, { cwd = dir })
end

local function setup()
  local dir = t.git_repo()
  local _, err, code = zenml(dir, "init")
  assert(code == 0, err)
  os.execute("mkdir -p " .. t.q(dir .. "/data"))
  t.write(dir .. "/data/a.csv", "x,y\n1,a\n2,b\n")
  t.write(dir .. "/make.lua", [[
local zenml = require "zenml"
local ds = zenml.datasources.CSV { name = "a", path = "data/a.csv" }
print(ds.version.id)
]])
  local out, serr, scode = zenml(dir, "make.lua")
  assert(scode == 0, serr)
  return dir, out:match("%x+")
end

describe("zenml datasource", function()
  after_each(t.cleanup)

  it("lists registered datasources, as a table and as JSON", function()
    local dir, id = setup()
    local out, err, code = zenml(dir, "datasource list")
    assert.equals(0, code, err)
    assert.matches("^NAME%s+TYPE%s+VERSIONS%s+LATEST%s+ROWS%s+CREATED\n", out)
    assert.matches("\na%s+csv%s+1%s+" .. id .. "%s+2%s+%d%d%d%d%-", out)
    out = zenml(dir, "datasource list --json")
    local rows = json_decode(out)
    assert.equals(1, #rows)
    assert.equals("a", rows[1].name)
    assert.equals(id, rows[1].latest)
    assert.equals(2, rows[1].rows)
  end)

  it("shows a datasource's config and versions", function()
    local dir, id = setup()
    local out, err, code = zenml(dir, "datasource show a")
    assert.equals(0, code, err)
    assert.matches("name     a\ntype     csv\n", out, 1, true)
    assert.matches("path     data/a.csv\n", out, 1, true)
    assert.matches("\n" .. id .. "%s+2%s+2%s+%d+", out)
    local rec = json_decode((zenml(dir, "datasource show a --json")))
    assert.equals("data/a.csv", rec.config.path)
    assert.equals(id, rec.versions[1].id)
    local _, err2, code2 = zenml(dir, "datasource show b")
    assert.equals(1, code2)
    assert.equals("zenml: no datasource 'b'\n", err2)
  end)

  it("commits: unchanged gives the same version and stores nothing, changed a new one", function()
    local dir, id = setup()
    local before = t.sh("find .zenml/artifacts/objects -type f | wc -l", { cwd = dir })
    local out, err, code = zenml(dir, "datasource commit a")
    assert.equals(0, code, err)
    assert.matches("^a: version " .. id .. ", 2 rows x 2 columns, .* %(unchanged, [%d.]+ ms%)\n$", out)
    print("\n  unchanged commit: " .. out:match("%(unchanged, ([%d.]+ ms)"))
    assert.equals(before, t.sh("find .zenml/artifacts/objects -type f | wc -l", { cwd = dir }))
    t.write(dir .. "/data/a.csv", "x,y\n1,a\n2,b\n3,c\n")
    out = zenml(dir, "datasource commit a")
    assert.matches("3 rows x 2 columns, .* %(stored, ", out)
    local v = json_decode((zenml(dir, "datasource commit a --json")))
    assert.equals(3, v.rows)
    assert.is_true(v.existed)
    local rec = json_decode((zenml(dir, "datasource show a --json")))
    assert.equals(2, #rec.versions)
  end)

  it("reports a failing commit without a traceback", function()
    local dir = setup()
    os.remove(dir .. "/data/a.csv")
    local out, err, code = zenml(dir, "datasource commit a")
    assert.equals(1, code)
    assert.equals("", out)
    assert.equals("zenml: data/a.csv: no such file or folder\n", err)
  end)

  it("registers nothing when the first snapshot fails, so the fixed script runs", function()
    local dir = setup()
    local script = [[
local zenml = require "zenml"
local p = zenml.pipelines.Data { name = "typo" }
p:add_datasource(zenml.datasources.CSV { name = "b", path = "%s" })
p:run()
]]
    t.write(dir .. "/p.lua", script:format("data/aa.csv"))
    local out, err, code = zenml(dir, "run p.lua")
    assert.equals(1, code)
    assert.equals("", out)
    assert.equals("zenml: data/aa.csv: no such file or folder\n", err)
    local rows = json_decode((zenml(dir, "datasource list --json")))
    assert.equals(1, #rows)
    assert.equals("a", rows[1].name)
    t.write(dir .. "/p.lua", script:format("data/a.csv"))
    out, err, code = zenml(dir, "run p.lua")
    assert.equals(0, code, err)
    assert.matches("completed: 3 steps", out, 1, true)
    local rec = json_decode((zenml(dir, "datasource show b --json")))
    assert.equals("data/a.csv", rec.config.path)
    assert.equals(1, #rec.versions)
  end)

  it("replaces a datasource that has no version without asking", function()
    local dir = setup()
    -- as an earlier zenml left it: registered, but its first snapshot failed
    local _, err, code = t.sh("sqlite3 .zenml/metadata.db " .. t.q(
      "INSERT INTO datasources (name, type, config, created) VALUES ('c', 'csv', '{\"path\":\"data/x.csv\"}', 0)"),
      { cwd = dir })
    assert(code == 0, err)
    t.write(dir .. "/c.lua", 'require("zenml").datasources.CSV { name = "c", path = "data/a.csv" }\n')
    local _, err2, code2 = zenml(dir, "c.lua")
    assert.equals(0, code2, err2)
    local rec = json_decode((zenml(dir, "datasource show c --json")))
    assert.equals("data/a.csv", rec.config.path)
    assert.equals(1, #rec.versions)
    -- one with a version is still protected
    t.write(dir .. "/c.lua", 'require("zenml").datasources.CSV { name = "c", path = "data/b.csv" }\n')
    local _, err3, code3 = zenml(dir, "c.lua")
    assert.equals(1, code3)
    assert.matches("datasource 'c' exists with other arguments (path = data/a.csv); pass replace = true",
      err3, 1, true)
  end)

  it("shows and commits a datasource type defined in the repository", function()
    local dir = setup()
    os.execute("mkdir -p " .. t.q(dir .. "/datasources") .. " " .. t.q(dir .. "/sub"))
    t.write(dir .. "/datasources/squares.lua", [[
local zenml = require "zenml"
local Squares = zenml.datasources.BaseDatasource:extend("Squares")
Squares.arguments = { n = "integer", columns = "table" }
function Squares:read()
  local cols = {}
  for _, c in ipairs(self:config().columns) do
    cols[c] = {}
    for i = 1, self:config().n do cols[c][i] = i * i end
  end
  return zenml.frame.from_table(cols)
end
return Squares
]])
    t.write(dir .. "/p.lua", [[
local zenml = require "zenml"
local Squares = require "datasources.squares"
local p = zenml.pipelines.Data { name = "sq" }
p:add_datasource(Squares { name = "sq", n = 4, columns = { "a", "b" } })
p:run()
]])
    local _, err, code = zenml(dir, "run p.lua")
    assert.equals(0, code, err)
    local out, err2, code2 = zenml(dir, "datasource show sq")
    assert.equals(0, code2, err2)
    assert.matches("name     sq\ntype     Squares\n", out, 1, true)
    assert.matches("\ncolumns  [\"a\",\"b\"]\nn        4\n", out, 1, true)
    -- commit loads the class from its module, also from a subfolder
    out, err2, code2 = zenml(dir .. "/sub", "datasource commit sq")
    assert.equals(0, code2, err2)
    assert.matches("^sq: version %x+, 4 rows x 2 columns, .* %(unchanged, ", out)
    t.write(dir .. "/datasources/squares.lua", (t.slurp(dir .. "/datasources/squares.lua")
      :gsub("i %* i", "i * i * i")))
    out, err2, code2 = zenml(dir, "datasource commit sq")
    assert.equals(0, code2, err2)
    assert.matches("4 rows x 2 columns, .* %(stored, ", out)
    -- a class defined in a script cannot be loaded; the message says what to do
    t.write(dir .. "/inline.lua", [[
local zenml = require "zenml"
local Cubes = zenml.datasources.BaseDatasource:extend("Cubes")
Cubes.arguments = { n = "integer" }
function Cubes:read() return zenml.frame.from_table { c = { self:config().n } } end
Cubes { name = "cu", n = 3 }
]])
    _, err, code = zenml(dir, "inline.lua")
    assert.equals(0, code, err)
    _, err, code = zenml(dir, "datasource commit cu")
    assert.equals(1, code)
    assert.equals("zenml: datasource 'cu' has type 'Cubes', defined in inline.lua outside a module: "
      .. "move the class to a module (e.g. datasources/cubes.lua, returning it) and require that, "
      .. "so commands can load it\n", err)
  end)

  it("reads a few '?' in a numeric column as nulls, with a warning in the run's log and in show", function()
    local dir = setup()
    local rows = { "age,score,city" }
    for i = 1, 40 do
      rows[#rows + 1] = ("%s,%d.5,%s"):format((i == 6 or i == 31) and "?" or tostring(20 + i), i,
        ({ "oslo", "rome", "10" })[i % 3 + 1])
    end
    t.write(dir .. "/data/people.csv", table.concat(rows, "\n") .. "\n")
    t.write(dir .. "/p.lua", [[
local zenml = require "zenml"
local ds = zenml.datasources.CSV { name = "people", path = "data/people.csv" }
local p = zenml.pipelines.Data { name = "people" }
p:add_datasource(ds)
p:run()
local f = ds:read()
print(table.concat(f:types(), ","), f:col("age"):nulls())
]])
    local warning = "data/people.csv: column 'age' is numbers but for '?' in 2 cells, first at line 7: "
      .. "read as nulls"
    local out, err, code = zenml(dir, "run p.lua")
    assert.equals(0, code, err)
    assert.matches("int64,float64,string\t2\n", out, 1, true)
    assert.matches("zenml: warning: " .. warning .. "\n", err, 1, true)
    -- a column that is really text stays text and says so
    assert.matches("column 'city' has values of mixed types; read as string", err, 1, true)
    local log = zenml(dir, "run logs latest datasource")
    assert.matches("warning: " .. warning .. "\n", log, 1, true)
    local shown = zenml(dir, "datasource show people")
    assert.matches("\nwarnings of version %x+:\n  " .. warning:gsub("%p", "%%%0") .. "\n", shown)
    -- declared null tokens and a schema: no warning; a value the schema cannot read is an error
    t.write(dir .. "/q.lua", [[
local zenml = require "zenml"
local ds = zenml.datasources.CSV { name = "people2", path = "data/people.csv",
  null_values = { "?" }, schema = { age = "float64", city = "string" } }
print(table.concat(ds:read():types(), ","), ds.version.note)
local ok, e = pcall(zenml.datasources.CSV, { name = "people3", path = "data/people.csv",
  schema = { age = "int64" } })
print(e)
]])
    out, err, code = zenml(dir, "q.lua")
    assert.equals(0, code, err)
    assert.equals("", err)
    assert.equals("float64,float64,string\tnil\n"
      .. "data/people.csv:7: column 'age': cannot read \"?\" as int64\n", out)
  end)

  it("names the CSV line of a row whose label or feature is missing, in the trainer and the evaluator", function()
    local dir = setup()
    -- a quoted field over two lines and blank lines: line numbers are not row + 1
    local rows = { "a,x,note,label", '1,0.5,"two\nlines",yes', "" }
    for i = 1, 60 do
      rows[#rows + 1] = ("%d,%.2f,n%d,%s"):format(i % 7, i / 60, i, i == 40 and "" or (i % 2 == 0 and "yes" or "no"))
      if i == 20 then rows[#rows + 1] = "" end
    end
    t.write(dir .. "/data/m.csv", table.concat(rows, "\n") .. "\n")
    local script = [[
local zenml = require "zenml"
local split = require "zenml.steps.split"
local pre = require "zenml.steps.preprocesser"
local train = require "zenml.steps.trainer"
local eval = require "zenml.steps.evaluator"
local p = zenml.pipelines.Training { name = "m" }
p:add_datasource(zenml.datasources.CSV { name = "m", path = "data/m.csv" })
p:add_split(split.Random { split_map = { train = 0.7, eval = 0.3 }, seed = %d })
p:add_preprocesser(pre.Standard { features = { "a", "x" }, labels = { "label" } })
p:add_trainer(train.Logistic { seed = 1 })
p:add_evaluator(eval.Classification {})
p:run()
]]
    -- the row with the empty label is CSV line 45 (row 41 of the file)
    t.write(dir .. "/p.lua", script:format(42))
    local _, err, code = zenml(dir, "run p.lua")
    assert.equals(1, code)
    assert.equals("zenml: step 'trainer' failed: Logistic: data/m.csv:45: label column 'label' has a null "
      .. "(row 29 of split 'train')", err:match("^[^\n]*"))
    t.write(dir .. "/p.lua", script:format(3))
    _, err, code = zenml(dir, "run p.lua")
    assert.equals(1, code)
    assert.matches("ml.metrics_classification: data/m.csv:45: label column 'label' has a null "
      .. "(row 14 of split 'eval')\n", err, 1, true)
    -- with a test split, the predictions are the test split's rows
    t.write(dir .. "/p.lua", (script:format(2):gsub("eval = 0%.3 }", "eval = 0.1, test = 0.4 }")
      :gsub("train = 0%.7", "train = 0.5")))
    _, err, code = zenml(dir, "run p.lua")
    assert.equals(1, code)
    assert.matches("ml.metrics_classification: data/m.csv:45: label column 'label' has a null "
      .. "(row 14 of split 'test')\n", err, 1, true)
    -- a feature null reaching a trainer (no preprocesser fills it) likewise
    t.write(dir .. "/f.lua", [[
local zenml = require "zenml"
local split = require "zenml.steps.split"
local train = require "zenml.steps.trainer"
local p = zenml.Pipeline { name = "feat" }
p:add_datasource(zenml.datasources.CSV { name = "feat", path = "data/feat.csv" })
p:add("split", split.Random { split_map = { train = 0.7, eval = 0.3 }, seed = 42 }, { data = "datasource.data" })
p:add("trainer", train.Logistic { label = "label" }, { splits = "split.*" })
p:run()
]])
    local feat = { "a,x,label" }
    for k = 1, 60 do
      feat[#feat + 1] = ("%s,%.2f,%s"):format(k == 33 and "" or tostring(k % 7), k / 60, k % 2 == 0 and "yes" or "no")
    end
    t.write(dir .. "/data/feat.csv", table.concat(feat, "\n") .. "\n")
    _, err, code = zenml(dir, "run f.lua")
    assert.equals(1, code)
    assert.equals("zenml: step 'trainer' failed: Logistic: data/feat.csv:34: feature column 'a' has a null "
      .. "(row 25 of split 'train')", err:match("^[^\n]*"))
    -- the file changed since the snapshot: no line is named, the row still is
    t.write(dir .. "/data/m.csv", "\n" .. t.slurp(dir .. "/data/m.csv"))
    t.write(dir .. "/p.lua", ([[
local zenml = require "zenml"
local repo = zenml.repo()
local run = assert(repo:run("latest"))
local ctx = { repo = repo, run_id = run.id, step_name = "evaluator" }
print(require("zenml.origin").label_error(ctx, "predictions", nil,
  "label column 'label' has a null at row 14"))
]]))
    local out
    out, err, code = zenml(dir, "p.lua")
    assert.equals(0, code, err)
    assert.equals("label column 'label' has a null at row 14\n", out)
  end)

  it("refuses a device or a FIFO as a CSV file in one line, without waiting", function()
    local dir = setup()
    local script = [[
local zenml = require "zenml"
local p = zenml.pipelines.Data { name = "dev" }
p:add_datasource(zenml.datasources.CSV { name = "%s", path = "%s" })
p:run()
]]
    t.write(dir .. "/p.lua", script:format("z", "/dev/zero"))
    local out, err, code = zenml(dir, "run p.lua")
    assert.equals(1, code)
    assert.equals("", out)
    assert.equals("zenml: /dev/zero: not a regular file\n", err)
    assert(os.execute("mkfifo " .. t.q(dir .. "/data/fifo.csv")))
    t.write(dir .. "/p.lua", script:format("f", "data/fifo.csv"))
    out, err, code = t.sh("timeout 20 " .. t.q(t.zenml) .. " run p.lua", { cwd = dir })
    assert.equals(1, code)
    assert.equals("zenml: data/fifo.csv: not a regular file\n", err)
    -- a registered datasource whose file became a FIFO
    os.remove(dir .. "/data/a.csv")
    assert(os.execute("mkfifo " .. t.q(dir .. "/data/a.csv")))
    out, err, code = t.sh("timeout 20 " .. t.q(t.zenml) .. " datasource commit a", { cwd = dir })
    assert.equals(1, code)
    assert.equals("zenml: data/a.csv: not a regular file\n", err)
    local got = t.sh(t.q(t.zenml) .. [[ -e 'print(require("zenml").frame.read_csv("data/fifo.csv"))']],
      { cwd = dir })
    assert.equals("nil\tdata/fifo.csv: not a regular file\tinvalid\n", got)
  end)

  it("reads an integer beyond int64 as float64 and warns; a declared int64 refuses it", function()
    local dir = setup()
    t.write(dir .. "/data/ids.csv", "id,x\n1,1\n18446744073709551617,2\n3,3\n")
    t.write(dir .. "/p.lua", [[
local zenml = require "zenml"
local ds = zenml.datasources.CSV { name = "ids", path = "data/ids.csv" }
print(table.concat(ds:read():types(), ","))
]])
    local out, err, code = zenml(dir, "p.lua")
    assert.equals(0, code, err)
    assert.equals("float64,int64\n", out)
    local _, cerr = zenml(dir, "datasource commit ids")
    assert.equals("zenml: warning: data/ids.csv: column 'id': 18446744073709551617 at line 3 does not fit "
      .. "in int64; the column is read as float64 (integers beyond 2^53 lose precision)\n", cerr)
    t.write(dir .. "/p.lua", [[
local zenml = require "zenml"
print(select(2, pcall(zenml.datasources.CSV, { name = "ids2", path = "data/ids.csv", schema = { id = "int64" } })))
]])
    out = zenml(dir, "p.lua")
    assert.equals("data/ids.csv:3: column 'id': cannot read \"18446744073709551617\" as int64\n", out)
  end)

  it("answers --help and refuses an unknown action", function()
    local dir = setup()
    local out = zenml(dir, "datasource --help")
    assert.matches("^usage: zenml datasource list", out)
    local _, err, code = zenml(dir, "datasource frob x")
    assert.equals(2, code)
    assert.matches("^zenml: unknown action 'frob'", err)
  end)

  it("takes its snapshot on the threads of its own processing backend, which the step keeps", function()
    local dir = setup()
    os.execute("mkdir -p " .. t.q(dir .. "/datasources"))
    -- a datasource that reports the data-kernel threads its read may use
    t.write(dir .. "/datasources/probe.lua", [[
local zenml = require "zenml"
local core = require "zenml._core"
local Probe = zenml.datasources.BaseDatasource:extend("Probe")
Probe.arguments = { n = "integer" }
function Probe:read()
  local w = core.sys.workers(0)
  core.sys.workers(w)
  io.stderr:write("read on ", w, " threads\n")
  return zenml.frame.from_table({ a = { self:config().n } })
end
return Probe
]])
    t.write(dir .. "/p.lua", [[
local zenml = require "zenml"
local Probe = require "datasources.probe"
local T = zenml.backends.Threads { workers = 3 }
local p = zenml.pipelines.Data { name = "pr" }
p:add_datasource(Probe { name = "pr", n = tonumber(os.getenv("N")), processing = T })
p:run()
]])
    local out, err, code = t.zenml_run("run p.lua", { cwd = dir, env = { N = "1" } })
    assert.equals(0, code, err .. out)
    assert.matches("read on 3 threads", err, 1, true)
    local yaml = t.sh("cat pipelines/pr_*.yaml", { cwd = dir })
    assert.matches("processing:%s+name: threads.-params:%s+workers: 3", yaml)
    -- an unknown backend name is one line naming the datasource
    t.write(dir .. "/bad.lua", [[
local zenml = require "zenml"
zenml.datasources.CSV { name = "a", path = "data/a.csv", processing = "warp" }
]])
    local _, err2, code2 = t.zenml_run("bad.lua", { cwd = dir })
    assert.equals(1, code2)
    assert.equals("zenml: bad.lua:2: unknown backend 'warp'; backends are: local, parallel, slurm, "
      .. "slurm_array, threads\n", err2)
  end)
end)
