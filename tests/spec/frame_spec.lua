-- zenml.frame: the Lua face of the C frames, run inside the zenml host.
local zenml = require "zenml"
local F = zenml.frame

local function err(fn, ...)
  local ok, msg = pcall(fn, ...)
  assert.is_false(ok)
  return (tostring(msg):gsub("^[^:]+:%d+: ", ""))
end

local function tmpfile(suffix)
  local p = os.tmpname()
  os.remove(p)
  return p .. suffix
end

describe("zenml.frame", function()
  local people
  before_each(function()
    people = assert(F.read_csv("tests/data/people.csv"))
  end)

  it("reads a CSV with types, quotes and nulls", function()
    assert.equal(4, people:nrow())
    assert.equal(4, people:ncol())
    assert.same({ "id", "name", "score", "passed" }, people:names())
    assert.same({ "int64", "string", "float64", "bool" }, people:types())
    local name = people:col("name")
    assert.equal("Smith, Bob", name[2])
    assert.equal('say "hi"', name[3])
    assert.equal("multi\nline", name[4])
    assert.is_nil(people:col("score")[3])
    assert.equal(4, #name)
  end)

  it("returns nil and a message for bad files", function()
    local f, msg = F.read_csv("tests/data/ragged.csv")
    assert.is_nil(f)
    assert.equal("tests/data/ragged.csv:3: expected 3 fields, found 2", msg)
    f, msg = F.read_csv("tests/data/missing.csv")
    assert.is_nil(f)
    assert.equal("cannot open tests/data/missing.csv: No such file or directory", msg)
  end)

  it("detects the delimiter and honours a schema", function()
    local f = assert(F.read_csv("tests/data/semicolon.csv"))
    assert.same({ "x", "y" }, f:names())
    f = assert(F.read_csv("tests/data/people.csv", { schema = { id = "float64", score = "string" } }))
    assert.same({ "float64", "string", "string", "bool" }, f:types())
  end)

  it("computes column statistics", function()
    local score = people:col("score")
    assert.equal(2, score:count())
    assert.equal(7.75, score:sum())
    assert.equal(3.875, score:mean())
    assert.equal(3.5, score:min())
    assert.equal(4.25, score:max())
    assert.near(0.53033, score:std(), 1e-5)
    assert.equal(10, people:col("id"):sum())
    assert.equal("float64", score:type())
    assert.same({ 1, 2, 3, 4 }, people:col("id"):to_table())
    local u = people:col("passed"):unique()
    assert.same({ true, false }, u:col("value"):to_table())
    assert.same({ 2, 2 }, u:col("count"):to_table())
  end)

  it("maps a column into a new one", function()
    local doubled = people:col("id"):map(function(v) return v * 2 end)
    assert.same({ 2, 4, 6, 8 }, doubled:to_table())
    assert.equal("int64", doubled:type())
    local big = people:col("score"):map(function(v) return v and v > 4 end)
    assert.equal("bool", big:type())
    assert.equal(1, people:filter(big):nrow())
  end)

  it("selects, filters, takes and heads", function()
    assert.same({ "score", "id" }, people:select { "score", "id" }:names())
    local f = people:filter { true, false, true, false }
    assert.same({ 1, 3 }, f:col("id"):to_table())
    assert.same({ 4, 1, 4 }, people:take { 4, 1, 4 }:col("id"):to_table())
    assert.equal(2, people:head(2):nrow())
    assert.equal(4, people:head():nrow())
    assert.same({ 2, 3 }, people:slice(2, 3):col("id"):to_table())
  end)

  it("describes a frame as a frame", function()
    local d = people:describe()
    assert.same({ "id", "name", "score", "passed" }, d:col("column"):to_table())
    assert.equal(2.5, d:col("mean")[1])
    assert.equal("true", d:col("top")[4])
  end)

  it("builds frames from tables in a given order", function()
    local f = F.from_table({ a = { 1, 2, 3 }, b = { "x", nil, "z" }, c = { 1.5, 2, 3 } },
      { columns = { "c", "b", "a" } })
    assert.same({ "c", "b", "a" }, f:names())
    assert.same({ "float64", "string", "int64" }, f:types())
    assert.is_nil(f:col("b")[2])
    assert.same({ "a", "b" }, F.from_table { b = { 1 }, a = { 2 } }:names())
  end)

  it("round-trips through CSV and the frame format", function()
    local csv, bin = tmpfile(".csv"), tmpfile(".zmf")
    assert.is_true(people:to_csv(csv))
    local again = assert(F.read_csv(csv))
    assert.same(people:col("name"):to_table(), again:col("name"):to_table())
    assert.is_true(people:write(bin))
    local mapped = assert(F.read(bin))
    assert.same(people:types(), mapped:types())
    assert.same(people:col("passed"):to_table(), mapped:col("passed"):to_table())
    mapped:append(people)
    assert.equal(8, mapped:nrow())
    local f, msg = F.read(csv)
    assert.is_nil(f)
    assert.equal(csv .. ": not a frame file (bad magic)", msg)
    os.remove(csv)
    os.remove(bin)
  end)

  it("prints an aligned table", function()
    local s = tostring(people:select { "id", "score" })
    assert.equal(table.concat({
      "        id      score",
      "   <int64>  <float64>",
      "1        1        3.5",
      "2        2       4.25",
      "3        3       null",
      "4        4       null",
      "4 rows x 2 columns" }, "\n"), s)
    local long = F.from_table { x = (function() local t = {} for i = 1, 30 do t[i] = i end return t end)() }
    assert.truthy(tostring(long):find("\n...      ...\n", 1, true))
    assert.truthy(tostring(long:col("x")):find("30 rows$"))
  end)

  it("names the method, the expectation and the value in argument errors", function()
    assert.equal("frame:col: expected a column name (string), got number", err(people.col, people, 1))
    assert.equal("frame:col: no column named 'nope'", err(people.col, people, "nope"))
    assert.equal("frame:head: expected a non-negative integer, got string", err(people.head, people, "x"))
    assert.equal("frame:head: expected a non-negative integer, got -1", err(people.head, people, -1))
    assert.equal("frame:select: no column named 'zz'", err(people.select, people, { "zz" }))
    assert.equal("frame:filter: mask has 1 values, frame has 4 rows", err(people.filter, people, { true }))
    assert.equal("frame:filter: expected a bool column, got int64 column 'id'",
      err(people.filter, people, people:col("id")))
    assert.equal("frame:take: row 5 out of range (frame has 4 rows)", err(people.take, people, { 5 }))
    assert.equal("column:map: expected a function, got no value", err(people:col("id").map, people:col("id")))
    assert.equal("column:sum: expected a numeric column, got string column 'name'",
      err(people:col("name").sum, people:col("name")))
    assert.equal("frame.read_csv: argument 1 (path): expected string, got number", err(F.read_csv, 42))
    assert.equal('frame.read_csv: argument 2 (opts.delimiter): expected one character, got ";;"',
      err(F.read_csv, "x.csv", { delimiter = ";;" }))
    assert.equal("frame.read_csv: unknown column type 'decimal' (expected float64, int64, bool or string)",
      err(F.read_csv, "tests/data/people.csv", { schema = { id = "decimal" } }))
    assert.equal("frame.from_table: expected values of one type, got number at row 1 and string at row 2",
      err(F.from_table, { a = { 1, "x" } }))
    assert.equal("frame.from_table: columns differ in length: 'a' has 1 values, 'b' has 2",
      err(F.from_table, { a = { 1 }, b = { 1, 2 } }))
    -- still usable afterwards
    assert.equal(4, people:nrow())
  end)

  it("reports errors from map functions with the user's traceback", function()
    local msg = err(people:col("id").map, people:col("id"), function() error("boom") end)
    assert.truthy(msg:find("boom", 1, true))
    assert.truthy(msg:find("stack traceback", 1, true))
  end)

  it("gives the code of a failure it raises to zenml.errors.code", function()
    local errors = require "zenml.errors"
    local f = F.from_table { x = { 1 } }
    local ok, e = pcall(f.select, f, { "nope" })
    assert.is_false(ok)
    assert.equal("frame:select: no column named 'nope'", e)
    assert.equal("notfound", errors.code(e))
    ok, e = pcall(require("zenml").ml.load_model, "garbage")
    assert.is_false(ok)
    assert.equal("invalid", errors.code(e))
  end)
end)
