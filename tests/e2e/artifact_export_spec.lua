-- `zenml artifact export ID DEST`: tables written as CSV, TSV, JSON records
-- or the native frame file by DEST's extension or --format; values as YAML
-- or JSON; and artifact ids given by unique prefixes everywhere.
local t = require "tests.support"
local json = require "zenml.json"

local MAKE = [[
local zenml = require "zenml"
local Make = zenml.Step:extend("Make")
Make.outputs = { table = "frame", info = "value", blob = "file" }
function Make:run(ctx, inputs)
  local f = zenml.frame.from_table({ id = { 1, 2, 3 }, name = { "a,b", nil, "say \"hi\"" },
    score = { 0.5, 1.25, 2 } }, { columns = { "id", "name", "score" } })
  return { table = f, info = { rows = 3, tags = { "x", "y" } }, blob = "raw bytes\n" }
end
return Make
]]

local PIPELINE = [[
local zenml = require "zenml"
local p = zenml.Pipeline { name = "make" }
p:add("make", require("make") {})
p:run()
]]

local function setup()
  local dir = t.git_repo()
  local _, err, code = t.zenml_run("init", { cwd = dir })
  assert(code == 0, err)
  t.write(dir .. "/steps/make.lua", MAKE)
  t.write(dir .. "/pipeline.lua", PIPELINE)
  t.sh("git add -A && git commit -qm init", { cwd = dir })
  _, err, code = t.zenml_run("run pipeline.lua", { cwd = dir })
  assert(code == 0, err)
  return dir
end

local function zenml(dir, args) return t.zenml_run(args, { cwd = dir }) end

-- name -> artifact id of the outputs of the latest run
local function outputs(dir)
  local out = zenml(dir, "-e " .. t.q([[
for _, a in ipairs(zenml.repo():run("latest"):artifacts()) do io.write(a.name, " ", a.id, "\n") end]]))
  local ids = {}
  for name, id in out:gmatch("(%S+) (%S+)\n") do ids[name] = id end
  return ids
end

local CSV = 'id,name,score\n1,"a,b",0.5\n2,,1.25\n3,"say ""hi""",2.0\n'

describe("zenml artifact export", function()
  after_each(t.cleanup)

  it("writes a table in the format its extension names", function()
    local dir = setup()
    local id = outputs(dir).table
    local short = id:sub(8, 19)
    local out, err, code = zenml(dir, "artifact export " .. short .. " out.csv")
    assert.equals(0, code, err)
    assert.equals("exported " .. id .. " to out.csv\n", out)
    assert.equals(CSV, t.slurp(dir .. "/out.csv"))
    _, err, code = zenml(dir, "artifact export " .. short .. " out.tsv")
    assert.equals(0, code, err)
    assert.equals('id\tname\tscore\n1\ta,b\t0.5\n2\t\t1.25\n3\t"say ""hi"""\t2.0\n',
      t.slurp(dir .. "/out.tsv"))
    _, err, code = zenml(dir, "artifact export " .. short .. " out.json")
    assert.equals(0, code, err)
    local records = assert(json.try_decode(t.slurp(dir .. "/out.json")))
    assert.equals(3, #records)
    assert.equals("say \"hi\"", records[3].name)
    assert.equals(1.25, records[2].score)
    assert.equals(3, records[3].id)
    assert.equals(json.null, records[2].name)
    _, err, code = zenml(dir, "artifact export " .. short .. " out.zfr")
    assert.equals(0, code, err)
    assert.equals(t.slurp(dir .. "/.zenml/artifacts/objects/" .. id:sub(8, 9) .. "/" .. id:sub(10)),
      t.slurp(dir .. "/out.zfr"))
    local back = zenml(dir, "-e " .. t.q("io.write(zenml.frame.read('out.zfr'):nrow())"))
    assert.equals("3", back)
  end)

  it("takes --format over the extension, and refuses an unknown one in one line", function()
    local dir = setup()
    local id = outputs(dir).table
    local _, err, code = zenml(dir, "artifact export " .. id .. " table.txt --format csv")
    assert.equals(0, code, err)
    assert.equals(CSV, t.slurp(dir .. "/table.txt"))
    _, err, code = zenml(dir, "artifact export " .. id .. " table.xlsx")
    assert.equals(2, code)
    assert.equals("zenml: cannot tell the format of 'table.xlsx' from its extension; a table (frame) "
      .. "is exported as: csv, tsv, json (records), zfr (native frame file) (name one with --format)\n", err)
    _, err, code = zenml(dir, "artifact export " .. id .. " table.csv --format parquet")
    assert.equals(2, code)
    assert.equals("zenml: unknown format 'parquet' for a table (frame); formats are: csv, tsv, "
      .. "json (records), zfr (native frame file)\n", err)
    assert.is_nil(io.open(dir .. "/table.xlsx"))
  end)

  it("writes values as YAML or JSON and files as they are", function()
    local dir = setup()
    local ids = outputs(dir)
    local _, err, code = zenml(dir, "artifact export " .. ids.info:sub(8, 15) .. " info.json")
    assert.equals(0, code, err)
    assert.equals('{"rows":3,"tags":["x","y"]}\n', t.slurp(dir .. "/info.json"))
    _, err, code = zenml(dir, "artifact export " .. ids.info:sub(8, 15) .. " info.yaml")
    assert.equals(0, code, err)
    assert.equals("rows: 3\ntags:\n- x\n- y\n", t.slurp(dir .. "/info.yaml"))
    _, err, code = zenml(dir, "artifact export " .. ids.blob:sub(8, 15) .. " blob.anything")
    assert.equals(0, code, err)
    assert.equals("raw bytes\n", t.slurp(dir .. "/blob.anything"))
  end)
end)

describe("artifact id prefixes", function()
  after_each(t.cleanup)

  it("are accepted with and without sha256: by show, export and repo:artifact", function()
    local dir = setup()
    local id = outputs(dir).table
    for _, given in ipairs { id:sub(8, 11), "sha256:" .. id:sub(8, 11), id:sub(8, 30):upper() } do
      local out, err, code = zenml(dir, "artifact show " .. given)
      assert.equals(0, code, err)
      assert.matches("id%s+" .. id, out)
    end
    local out = zenml(dir, "-e " .. t.q("io.write(zenml.repo():artifact('" .. id:sub(8, 13) .. "').id)"))
    assert.equals(id, out)
  end)

  it("are refused when too short, not hex, unknown or ambiguous, in one line", function()
    local dir = setup()
    local _, err, code = zenml(dir, "artifact show abc")
    assert.equals(1, code)
    assert.equals("zenml: invalid artifact id 'abc': expected sha256: and 64 hex digits, or a unique "
      .. "prefix of at least 4 hex digits\n", err)
    local ids = outputs(dir)
    local unknown = "0000"
    for _, id in pairs(ids) do
      if id:sub(8, 11) == unknown then unknown = "ffff" end
    end
    _, err, code = zenml(dir, "artifact export " .. unknown .. " x.csv")
    assert.equals(1, code)
    assert.equals("zenml: no artifact '" .. unknown .. "'\n", err)
    -- record values until two ids share their first 4 hex digits
    local found = zenml(dir, "-e " .. t.q([[
local repo = zenml.repo()
local seen = {}
for i = 1, 100000 do
  local id = repo:store():put("v" .. i)
  repo:meta():artifact_record(id, "value", #("v" .. i))
  local p = id:sub(8, 11)
  if seen[p] then
    local a, b = seen[p], id
    if b < a then a, b = b, a end
    io.write(p, " ", a, " ", b)
    break
  end
  seen[p] = id
end]]))
    local prefix, a, b = found:match("^(%x+) (%S+) (%S+)$")
    assert.is_truthy(prefix, found)
    _, err, code = zenml(dir, "artifact export " .. prefix .. " x.yaml")
    assert.equals(1, code)
    assert.equals(("zenml: artifact id '%s' is ambiguous: %s (value), %s (value)\n"):format(prefix,
      a:sub(1, 23), b:sub(1, 23)), err)
    local out
    out, err, code = zenml(dir, "artifact show " .. a:sub(8, 20))
    assert.equals(0, code, err)
    assert.matches(a, out, 1, true)
  end)
end)
