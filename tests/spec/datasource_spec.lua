-- Datasources and their snapshots, in-process, in throwaway git repositories.
local zenml = require "zenml"
local t = require "tests.support"
local stats = require "zenml.stats"

local D = zenml.datasources

local function repo_at(dir)
  local _, err, code = t.zenml_run("init", { cwd = dir })
  assert(code == 0, err)
  return assert(zenml.repo(dir))
end

local function objects(dir)
  local out = t.sh("find .zenml/artifacts/objects -type f | wc -l", { cwd = dir })
  return tonumber(out)
end

local function py(dir, code)
  local _, err, rc = t.sh("python3 -c " .. t.q(code), { cwd = dir })
  assert(rc == 0, err)
end

local function err_of(fn, ...)
  local ok, e = pcall(fn, ...)
  assert(not ok, "expected an error")
  return e
end

describe("datasources in a repository", function()
  local dir, repo

  before_each(function()
    dir = t.git_repo()
    repo = repo_at(dir)
    os.execute("mkdir -p " .. t.q(dir .. "/data"))
    t.write(dir .. "/data/a.csv", "x,y\n1,a\n2,b\n3,c\n")
  end)

  after_each(function()
    if repo then repo:close() end
    t.cleanup()
  end)

  it("registers on construction and takes the first snapshot", function()
    local ds = D.CSV { name = "a", path = "data/a.csv", repo = repo }
    assert.equals("csv", ds.type)
    assert.same({ path = "data/a.csv" }, ds:config())
    local v = ds.version
    assert.equals(16, #v.id)
    assert.equals(3, v.rows)
    assert.equals(2, v.columns)
    assert.matches("^sha256:", v.artifact)
    assert.equals(v.id, repo:meta():version_latest("a").id)
    assert.equals(3, zenml.frame.read(repo:store():path(v.artifact)):nrow())
  end)

  it("gives the same version for the same bytes and stores nothing again", function()
    local v1 = D.CSV { name = "a", path = "data/a.csv", repo = repo }.version
    local n = objects(dir)
    local v2 = D.CSV { name = "a", path = "data/a.csv", repo = repo }.version
    assert.equals(v1.id, v2.id)
    assert.is_true(v2.existed)
    assert.equals(n, objects(dir))
    assert.equals(1, #repo:meta():versions("a"))
  end)

  it("takes a new version when the source changes", function()
    local ds = D.CSV { name = "a", path = "data/a.csv", repo = repo }
    t.write(dir .. "/data/a.csv", "x,y\n1,a\n2,b\n3,c\n4,d\n")
    local v = ds:commit()
    assert.are_not.equal(ds.version.id, v.id)
    assert.equals(4, v.rows)
    assert.equals(2, #repo:meta():versions("a"))
  end)

  it("refuses other arguments under the same name unless replace = true", function()
    D.CSV { name = "a", path = "data/a.csv", repo = repo }
    t.write(dir .. "/data/b.csv", "x,y\n9,z\n")
    assert.equals("datasource 'a' exists with other arguments (path = data/a.csv); "
      .. "pass replace = true to change it",
      err_of(D.CSV, { name = "a", path = "data/b.csv", repo = repo }))
    local ds = D.CSV { name = "a", path = "data/b.csv", repo = repo, replace = true }
    assert.equals(1, ds.version.rows)
    assert.equals('{"path":"data/b.csv"}', repo:meta():datasource("a").config)
  end)

  it("stores absolute paths inside the repository relative to its root", function()
    local ds = D.CSV { name = "a", path = dir .. "/data/a.csv", repo = repo }
    assert.equals("data/a.csv", ds:config().path)
  end)

  it("rebuilds a registered datasource by name", function()
    D.CSV { name = "a", path = "data/a.csv", repo = repo }
    local ds = assert(D.load(repo, "a"))
    assert.equals("csv", ds.type)
    assert.equals(3, ds:read():nrow())
    local none, err = D.load(repo, "b")
    assert.is_nil(none)
    assert.equals("no datasource 'b'", err)
  end)

  it("reads a folder of CSV files in sorted order", function()
    os.execute("mkdir -p " .. t.q(dir .. "/data/parts"))
    t.write(dir .. "/data/parts/2.csv", "x,y\n3,c\n")
    t.write(dir .. "/data/parts/1.csv", "x,y\n1,a\n2,b\n")
    local f = D.CSV { name = "p", path = "data/parts", repo = repo }:read()
    assert.same({ 1, 2, 3 }, f:col("x"):to_table())
    t.write(dir .. "/data/parts/3.csv", "x,z\n4,d\n")
    assert.equals("data/parts/3.csv: header (x,z) differs from (x,y) in data/parts/1.csv",
      err_of(D.CSV, { name = "q", path = "data/parts", repo = repo }))
  end)

  it("names the file, row and column for bad CSV input", function()
    local cases = {
      { "missing.csv", nil, "data/missing.csv: no such file or folder" },
      { "ragged.csv", "x,y\n1,2\n3\n", "data/ragged.csv:3: expected 2 fields, found 1" },
      { "utf8.csv", "x,y\n1,a\xff\n", "data/utf8.csv:2: invalid UTF-8 in column 'y'" },
      { "empty.csv", "", "data/empty.csv: empty file" },
      { "header.csv", "x,y\n", "data/header.csv: has a header but no rows" },
    }
    for i, c in ipairs(cases) do
      if c[2] then t.write(dir .. "/data/" .. c[1], c[2]) end
      assert.equals(c[3], err_of(D.CSV, { name = "bad" .. i, path = "data/" .. c[1], repo = repo }))
    end
    -- the state is still usable
    assert.equals(3, D.CSV { name = "a", path = "data/a.csv", repo = repo }.version.rows)
  end)

  it("reads a column of mixed types as strings and keeps the note", function()
    t.write(dir .. "/data/m.csv", "x,y\n1,2\nz,3\n")
    local ds = D.CSV { name = "m", path = "data/m.csv", repo = repo }
    local note = "data/m.csv: column 'x' has values of mixed types; read as string (numbers, and 'z' "
      .. "in 1 cell, first at line 3: too many to read as nulls unless listed in null_values)"
    assert.equals(note, ds.version.note)
    assert.equals(note, D.CSV { name = "m", path = "data/m.csv", repo = repo }.version.note)
  end)

  it("checks the CSV options null_values and schema", function()
    assert.equals("CSV: expected null_values = a list of strings, got number at 2",
      err_of(D.CSV, { name = "o1", path = "data/a.csv", repo = repo, null_values = { "?", 1 } }))
    assert.equals('CSV: expected schema = { column = "float64" | "int64" | "bool" | "string" }, got x = "floot"',
      err_of(D.CSV, { name = "o2", path = "data/a.csv", repo = repo, schema = { x = "floot" } }))
    assert.equals("data/a.csv: the schema names column 'zz', which is not in the header; columns are: x, y",
      err_of(D.CSV, { name = "o3", path = "data/a.csv", repo = repo, schema = { zz = "string" } }))
  end)

  it("reads JSON lines with inferred types and names file:line on errors", function()
    t.write(dir .. "/data/j.jsonl", '{"a":1,"b":"x","c":1.5}\n\n{"a":2,"b":null,"d":[1,2]}\n')
    local ds = D.JSONLines { name = "j", path = "data/j.jsonl", repo = repo }
    local f = ds:read()
    assert.same({ "a", "b", "c", "d" }, f:names())
    assert.same({ "int64", "string", "float64", "string" }, f:types())
    assert.same({ "x" }, f:col("b"):to_table())
    assert.equals("[1,2]", f:col("d")[2])
    assert.equals(2, ds.version.rows)
    t.write(dir .. "/data/bad.jsonl", '{"a":1}\n{"a":}\n')
    assert.equals("data/bad.jsonl:2: unexpected '}' at column 6",
      err_of(D.JSONLines, { name = "jb", path = "data/bad.jsonl", repo = repo }))
    t.write(dir .. "/data/arr.jsonl", '[1]\n')
    assert.equals("data/arr.jsonl:1: expected a JSON object, got an array",
      err_of(D.JSONLines, { name = "ja", path = "data/arr.jsonl", repo = repo }))
    t.write(dir .. "/data/mix.jsonl", '{"a":1}\n{"a":"q"}\n')
    local mix = D.JSONLines { name = "jm", path = "data/mix.jsonl", repo = repo }
    assert.same({ "1", "q" }, mix:read():col("a"):to_table())
    assert.equals("column 'a' has values of mixed types; read as string", mix.version.note)
  end)

  it("snapshots a read-only SQLite query; the query is part of the version", function()
    local _, err, rc = t.sh("sqlite3 data/db.sqlite " .. t.q(
      "create table t(a int, b text, c real); insert into t values (1,'x',1.5),(2,null,null),(3,'y',2);"),
      { cwd = dir })
    assert(rc == 0, err)
    local s1 = D.SQLite { name = "s", path = "data/db.sqlite", query = "select * from t", repo = repo }
    local f = s1:read()
    assert.same({ "int64", "string", "float64" }, f:types())
    assert.equals(3, s1.version.rows)
    local s2 = D.SQLite { name = "s", path = "data/db.sqlite", query = "select a from t", repo = repo,
      replace = true }
    assert.are_not.equal(s1.version.id, s2.version.id)
    assert.equals("data/db.sqlite: the query must be one read-only SELECT",
      err_of(D.SQLite, { name = "s3", path = "data/db.sqlite", query = "delete from t", repo = repo }))
  end)

  describe("Files", function()
    before_each(function()
      os.execute("mkdir -p " .. t.q(dir .. "/imgs/cat") .. " " .. t.q(dir .. "/imgs/dog"))
      t.write(dir .. "/imgs/cat/1.txt", "meow")
      t.write(dir .. "/imgs/dog/2.txt", "woof!")
    end)

    it("gives files directly in the folder an empty label", function()
      os.execute("mkdir -p " .. t.q(dir .. "/flat"))
      t.write(dir .. "/flat/a.bin", "a")
      t.write(dir .. "/flat/b.bin", "bb")
      local ds = D.Files { name = "flat", path = "flat", repo = repo }
      local f = ds:read()
      assert.same({ "a.bin", "b.bin" }, f:col("path"):to_table())
      assert.same({ "", "" }, f:col("label"):to_table())
    end)

    it("gives the same rows and tree from a folder, a tar.gz and a zip", function()
      local _, err, rc = t.sh("tar czf data/imgs.tar.gz -C imgs . && cd imgs && python3 -m zipfile -c ../data/imgs.zip cat dog", { cwd = dir })
      assert(rc == 0, err)
      local trees = {}
      for _, p in ipairs { "imgs", "data/imgs.tar.gz", "data/imgs.zip" } do
        local ds = D.Files { name = p:gsub("%W", "_"), path = p, repo = repo }
        local f = ds:read()
        assert.same({ "path", "size", "bytes", "label" }, f:names())
        assert.same({ "cat/1.txt", "dog/2.txt" }, f:col("path"):to_table())
        assert.same({ 4, 5 }, f:col("size"):to_table())
        assert.same({ "meow", "woof!" }, f:col("bytes"):to_table())
        assert.same({ "cat", "dog" }, f:col("label"):to_table())
        trees[#trees + 1] = ds.version.tree
      end
      assert.equals(trees[1], trees[2])
      assert.equals(trees[1], trees[3])
      assert.is_true(repo:store():is_tree(trees[1]))
      assert.equals("", t.sh("ls -A .zenml/artifacts/tmp", { cwd = dir }))
    end)

    it("skips entries that leave the archive and writes nothing outside the store", function()
      py(dir, [[
import tarfile, io
with tarfile.open("data/evil.tar.gz", "w:gz") as t:
    for name, data in [("ok/a.txt", b"fine"), ("../escaped.txt", b"bad"), ("/tmp/abs.txt", b"bad")]:
        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
    l = tarfile.TarInfo("ok/link"); l.type = tarfile.SYMTYPE; l.linkname = "../../etc/passwd"; t.addfile(l)
]])
      local ds = D.Files { name = "evil", path = "data/evil.tar.gz", repo = repo }
      assert.same({ "ok/a.txt" }, ds:read():col("path"):to_table())
      assert.same({
        { what = "../escaped.txt", problem = "path leaves the archive (..); skipped" },
        { what = "/tmp/abs.txt", problem = "absolute path; skipped" },
        { what = "ok/link", problem = "symbolic link to '../../etc/passwd' points outside the archive; skipped" },
      }, ds.problems)
      local _, _, rc = t.sh("test -e " .. t.q(dir .. "/../escaped.txt") .. " || test -e /tmp/abs.txt")
      assert.are_not.equal(0, rc)
    end)

    it("stops an archive bomb with a clear error", function()
      py(dir, [[
import tarfile, io
with tarfile.open("data/bomb.tar.gz", "w:gz") as t:
    data = bytes(80 << 20)
    i = tarfile.TarInfo("zeros.bin"); i.size = len(data); t.addfile(i, io.BytesIO(data))
]])
      local size = tonumber((t.sh("stat -c %s data/bomb.tar.gz", { cwd = dir })))
      local e = err_of(D.Files, { name = "bomb", path = "data/bomb.tar.gz", repo = repo })
      assert.matches("^data/bomb%.tar%.gz: expands more than 200 times its size %(64%.%d MiB from "
        .. ("%.1f KiB"):format(size / 1024):gsub("%.", "%%.") .. "%) at entry 'zeros%.bin'; "
        .. "stopped: this looks like an archive bomb$", e)
      assert.equals("", t.sh("ls -A .zenml/artifacts/tmp", { cwd = dir }))
    end)

    it("reports a link out of a folder and skips it", function()
      os.execute("ln -s /etc/hostname " .. t.q(dir .. "/imgs/cat/out"))
      local ds = D.Files { name = "f", path = "imgs", repo = repo }
      assert.same({ "cat/1.txt", "dog/2.txt" }, ds:read():col("path"):to_table())
      assert.same({ { what = "cat/out",
        problem = "symbolic link to '/etc/hostname' points outside the folder; skipped" } }, ds.problems)
      assert.is_true(repo:store():is_tree(ds.version.tree))
    end)
  end)
end)

describe("datasources outside a repository", function()
  after_each(t.cleanup)

  it("read without a snapshot", function()
    local dir = t.tmpdir()
    t.write(dir .. "/a.csv", "x\n1\n2\n")
    local ds = D.CSV { name = "a", path = dir .. "/a.csv", repo = false }
    assert.is_nil(ds.version)
    assert.equals(2, ds:read():nrow())
    assert.equals(dir .. "/a.csv", ds:config().path)
  end)

  it("validate their arguments", function()
    assert.equals("CSV: expected name = a non-empty string, got nil", err_of(D.CSV, { path = "x" }))
    assert.equals("CSV: expected path = a path string, got number", err_of(D.CSV, { name = "a", path = 1 }))
    assert.equals("CSV: unknown argument 'pth'; arguments are: name, null_values, path, processing, replace, repo, schema, snapshot; did you mean path?",
      err_of(D.CSV, { name = "a", pth = "x" }))
  end)

  it("can be subclassed with read()", function()
    local Squares = D.BaseDatasource:extend("Squares")
    Squares.arguments = { n = "integer" }
    function Squares:read()
      local v = {}
      for i = 1, self:config().n do v[i] = i * i end
      return zenml.frame.from_table { sq = v }
    end
    local ds = Squares { name = "sq", n = 4, repo = false }
    assert.equals("Squares", ds.type)
    assert.same({ 1, 4, 9, 16 }, ds:read():col("sq"):to_table())
  end)
end)

describe("zenml.stats", function()
  local f = zenml.frame.from_table({ x = { 1.0, nil, 2.0, 3.0, 4.0 }, s = { "a", "b", "a", "a", "c" } },
    { columns = { "x", "s" } })

  it("computes per-column statistics", function()
    local s = stats.compute(f)
    assert.equals(5, s.rows)
    local x, c = s.columns[1], s.columns[2]
    assert.equals(4, x.count)
    assert.equals(1, x.nulls)
    assert.equals(2.5, x.mean)
    assert.equals(1.0, x.min)
    assert.equals(4.0, x.max)
    assert.equals(10, #x.histogram.counts)
    local total = 0
    for _, n in ipairs(x.histogram.counts) do total = total + n end
    assert.equals(4, total)
    assert.same({ value = "a", count = 3 }, c.top[1])
    assert.matches("column%s+type", stats.format(s))
  end)

  it("infers a schema and checks frames against it", function()
    local schema = stats.infer_schema(f)
    assert.same({ name = "s", type = "string", nullable = false, values = { "a", "b", "c" } },
      schema.columns[2])
    assert.same({}, stats.check(schema, f))
    local g = zenml.frame.from_table({ x = { 0.0, 9.0 }, s = { "a", "z" }, extra = { 1, 2 } })
    assert.same({
      "column 'x' has values outside [1, 4]: min 0, max 9",
      "column 's' has 1 value not in the schema: 'z'",
      "column 'extra' is not in the schema",
    }, stats.check(schema, g))
    local h = zenml.frame.from_table({ x = { "1" } })
    assert.same({ "column 'x' is string, expected float64", "missing column 's'" }, stats.check(schema, h))
    assert.matches("s%s+string%s+no%s+{a, b, c}", stats.format_schema(schema))
  end)
end)
