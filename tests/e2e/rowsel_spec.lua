-- Row selections end to end (docs/formats.md, "Row selections"): the
-- Training pipeline's split stores its parts as selections of the
-- datasource's frame; they export as exactly their rows, gc keeps their
-- base, a lost base is named by verify and by a read, and the ids do not
-- depend on the repository.
local t = require "tests.support"

local function zenml(dir, args) return t.zenml_run(args, { cwd = dir }) end

local function repo() return t.iris_repo { ["pipeline.lua"] = t.iris_pipeline() } end

local function run(dir, args)
  local out, err, code = zenml(dir, "run pipeline.lua" .. (args or ""))
  assert.equals(0, code, out .. err)
end

-- The latest run's outputs: "step.name" -> artifact id.
local function outputs(dir)
  local ids = {}
  for artifact, name, step in t.sql(dir, [[SELECT x.step AS step, e.name AS name,
      e.artifact AS artifact FROM events e JOIN executions x ON x.id = e.execution_id
      WHERE e.kind = 'output' AND x.run_id = (SELECT id FROM runs ORDER BY started DESC LIMIT 1)]])
      :gmatch("([^|\n]+)|([^|\n]+)|([^|\n]+)\n") do
    ids[step .. "." .. name] = artifact
  end
  return ids
end

local function object(dir, id)
  local hex = assert(id:match("^sha256:(%x+)$"), id)
  return dir .. "/.zenml/artifacts/objects/" .. hex:sub(1, 2) .. "/" .. hex:sub(3)
end

-- The base rows (0-based) a selection file sets.
local function selected(bytes)
  local base_nrow = string.unpack("<I8", bytes, 25)
  local rows = {}
  for i = 0, base_nrow - 1 do
    if (bytes:byte(129 + i // 8) >> (i % 8)) & 1 == 1 then rows[#rows + 1] = i end
  end
  return rows, base_nrow
end

local function export(dir, id, dest)
  local out, err, code = zenml(dir, "artifact export " .. id .. " " .. t.q(dest))
  assert.equals(0, code, out .. err)
  return t.slurp(dest)
end

-- Lua run by the zenml host in the repository: the datasource frame read
-- with no id (so no origin: its split copies), split as split.Random
-- splits it; each part's frame file and CSV written beside `out`.
local COPYING_SPLIT = [[
local zenml = require "zenml"
local frame = require "zenml.frame"
local ds, out = ...
local data = assert(frame.read(zenml.repo():store():path(ds)))
for name, part in pairs(zenml.ml.split_random(data, { train = 0.7, eval = 0.3 }, 42)) do
  assert(part:write(out .. "." .. name .. ".zfr"))
  assert(part:to_csv(out .. "." .. name .. ".csv"))
end
]]

-- The frame file of a stored frame read as a step reads it.
local WRITE = [[
local zenml = require "zenml"
local store = zenml.repo():store()
local id, out = ...
assert(assert(require("zenml.frame").read(store:path(id), { store = store })):write(out))
]]

-- Read a stored frame as a step would (with the store) and through the
-- path-derived resolver (without); print nrow or the message.
local READ = [[
local zenml = require "zenml"
local frame = require "zenml.frame"
local store = zenml.repo():store()
local id = ...
for _, opts in ipairs { { store = store }, {} } do
  local f, err = frame.read(store:path(id), opts)
  print(f and ("rows " .. f:nrow() .. " species " .. #f:col("species"):to_table()) or err)
end
]]

local function script(dir, name, text, args)
  t.write(dir .. "/" .. name, text)
  local out, err, code = zenml(dir, t.q(name) .. " " .. args)
  assert.equals(0, code, out .. err)
  return out
end

describe("row selections", function()
  after_each(t.cleanup)

  it("store the split's parts as bitmaps that export as exactly their rows", function()
    local dir = repo()
    run(dir)
    local ids = outputs(dir)
    local ds, train, eval = ids["datasource.data"], ids["split.train"], ids["split.eval"]
    assert.is_truthy(ds and train and eval)
    local base = t.slurp(object(dir, ds))
    -- run show says what a 147-byte frame is
    local show = zenml(dir, "run show latest")
    local short = ds:gsub("^sha256:", ""):sub(1, 12)
    assert.matches("out      train        frame      %x+  147 B  %(105 rows of " .. short .. "%)\n", show)
    assert.matches("out      eval         frame      %x+  147 B  %(45 rows of " .. short .. "%)\n", show)
    local lines = {}
    for line in t.slurp(dir .. "/data/iris.csv"):gmatch("[^\n]+") do lines[#lines + 1] = line end
    local seen = {}
    for name, id in pairs { train = train, eval = eval } do
      local bytes = t.slurp(object(dir, id))
      assert.equals("ZMROWS\0\0", bytes:sub(1, 8))
      assert.equals(128 + 19, #bytes) -- 150 rows: 19 bytes of bitmap
      assert.is_true(#bytes * 10 < #base, #bytes .. " vs " .. #base)
      assert.equals(ds, bytes:sub(49, 119))
      local rows, base_nrow = selected(bytes)
      assert.equals(150, base_nrow)
      assert.equals(name == "train" and 105 or 45, #rows)
      assert.equals(#rows, string.unpack("<I8", bytes, 17))
      -- the CSV export: iris.csv's header and the selected lines, in order
      local want = { lines[1] }
      for _, i in ipairs(rows) do
        assert.is_nil(seen[i], "row " .. i .. " is in both parts")
        seen[i] = true
        want[#want + 1] = lines[i + 2]
      end
      assert.equals(table.concat(want, "\n") .. "\n", export(dir, id, dir .. "/" .. name .. ".csv"))
    end
    local n = 0
    for _ in pairs(seen) do n = n + 1 end
    assert.equals(150, n)
    -- byte for byte the frame file and CSV a copying split of the same rows makes
    script(dir, "copy.lua", COPYING_SPLIT, ds .. " " .. t.q(dir .. "/copy"))
    for name, id in pairs { train = train, eval = eval } do
      script(dir, "write.lua", WRITE, id .. " " .. t.q(dir .. "/" .. name .. ".zfr"))
      assert.is_true(t.slurp(dir .. "/" .. name .. ".zfr") == t.slurp(dir .. "/copy." .. name .. ".zfr"),
        name .. ": the selection's frame file differs from the copying split's")
      assert.equals(t.slurp(dir .. "/copy." .. name .. ".csv"), t.slurp(dir .. "/" .. name .. ".csv"))
      -- exported as a frame file: the frame of its rows, not the selection
      assert.is_true(export(dir, id, dir .. "/export." .. name .. ".zfr")
        == t.slurp(dir .. "/copy." .. name .. ".zfr"), name .. ": zfr export is not the frame file")
    end
    assert.equals("rows 105 species 105\nrows 105 species 105\n", script(dir, "read.lua", READ, train))
  end)

  it("keep their base through gc, and every frame artifact still reads", function()
    local dir = repo()
    run(dir)
    local ids = outputs(dir)
    local before = export(dir, ids["split.train"], dir .. "/before.csv")
    local out, err, code = zenml(dir, "gc")
    assert.equals(0, code, out .. err)
    assert.equals(0, select(3, t.sh("test -f " .. t.q(object(dir, ids["datasource.data"])))))
    for id in t.sql(dir, "SELECT id FROM artifacts WHERE type = 'frame' ORDER BY id"):gmatch("%S+") do
      export(dir, id, dir .. "/out.csv")
    end
    assert.equals(before, export(dir, ids["split.train"], dir .. "/after.csv"))
    out, err, code = zenml(dir, "verify")
    assert.equals(0, code, out .. err)
    assert.equals("artifact store and metadata are consistent\n", out)
  end)

  it("name a lost base in verify and in a read", function()
    local dir = repo()
    run(dir)
    local ids = outputs(dir)
    local ds, train = ids["datasource.data"], ids["split.train"]
    local base = object(dir, ds)
    t.sh("chmod u+w " .. t.q(base:match("^(.*)/")) .. " && rm -f " .. t.q(base))
    local out, err, code = zenml(dir, "verify")
    assert.equals(1, code, out .. err)
    for _, id in ipairs { train, ids["split.eval"] } do
      assert.matches("\n" .. ds .. ": missing (the base of row selection " .. id .. ")\n",
        "\n" .. out, 1, true)
    end
    local message = object(dir, train) .. ": a row selection of " .. ds
      .. ", which is not in the artifact store"
    assert.equals(message .. "\n" .. message .. "\n", script(dir, "read.lua", READ, train))
    out, err, code = zenml(dir, "artifact export " .. train .. " " .. t.q(dir .. "/x.csv"))
    assert.equals(1, code, out .. err)
    assert.matches(message .. "\n", err, 1, true)
    assert.equals(1, select(2, err:gsub("\n", "")), err)
    -- repair invalidates the datasource's execution; the next run makes the
    -- same base again and the selections read as before
    out, err = zenml(dir, "verify --repair")
    assert.matches("repaired: " .. ds .. ": lost", out, 1, true)
    run(dir)
    out, err, code = zenml(dir, "verify")
    assert.equals(0, code, out .. err)
    assert.equals("rows 105 species 105\nrows 105 species 105\n", script(dir, "read.lua", READ, train))
  end)

  it("get the same ids on a fresh repository with --no-cache", function()
    local a, b = repo(), repo()
    run(a)
    run(b, " --no-cache")
    local ia, ib = outputs(a), outputs(b)
    for _, key in ipairs { "datasource.data", "split.train", "split.eval", "preprocesser.train",
      "preprocesser.eval", "trainer.model" } do
      assert.is_truthy(ia[key], key)
      assert.equals(ia[key], ib[key], key)
    end
    run(a, " --no-cache")
    assert.same(ia, outputs(a))
  end)
end)
