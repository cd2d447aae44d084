-- Inspecting and comparing runs: run show, run list's metric and parameter
-- columns, run compare in its four formats, zenml.compare and run:history(),
-- on a throwaway repository with three runs of different trainer epochs.
local t = require "tests.support"
local json = { decode = require("zenml.json").try_decode }

local PIPELINE = t.iris_pipeline {
  trainer = "train.FeedForward { seed = 1, epochs = tonumber(arg[1]) }",
}

local function zenml(dir, args) return t.zenml_run(args, { cwd = dir }) end

local function sql(dir, query)
  return (t.sh("sqlite3 -separator '|' .zenml/metadata.db " .. t.q(query), { cwd = dir }))
end

-- Three runs (epochs 3, 6, 9); their ids oldest first and accuracies.
local function three_runs()
  local dir = t.iris_repo { ["pipeline.lua"] = PIPELINE }
  for _, e in ipairs { "3", "6", "9" } do
    local _, err, code = zenml(dir, "run pipeline.lua -- " .. e)
    assert(code == 0, err)
  end
  -- the accuracies as JSON carries them (every digit), oldest run first
  local listed = json.decode((zenml(dir, "run list --metric accuracy --json")))
  local ids, acc = {}, {}
  for i = #listed, 1, -1 do
    ids[#ids + 1], acc[#acc + 1] = listed[i].id, listed[i].metrics.accuracy
  end
  assert(#ids == 3 and acc[3], "three runs with an accuracy")
  return dir, ids, acc
end

local function g6(v) return ("%.6g"):format(v) end

describe("comparing runs", function()
  after_each(t.cleanup)

  it("compares three runs: rows that differ, deltas, best marks, --json, --csv, --md", function()
    local dir, ids, acc = three_runs()
    local out, err, code = zenml(dir, "run compare latest~2 latest~1 latest")
    assert.equals(0, code, err)
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    local head = lines[1]
    assert.matches("^%s+" .. ids[1]:gsub("%-", "%%-") .. "%s+" .. ids[2]:gsub("%-", "%%-"), head)
    -- the parameter that differs, with deltas to the first run
    local epochs = out:match("\n(trainer%.epochs[^\n]*)")
    assert.equals("trainer.epochs 3 6 (+3) 9 (+6)", (epochs:gsub("%s+", " ")))
    -- parameters that are the same in every run are not rows
    assert.is_nil(out:find("\ntrainer.seed", 1, true))
    assert.is_nil(out:find("\ndatasource.version", 1, true))
    -- accuracy: deltas and the best mark on the highest value
    local best = 1
    for i = 2, 3 do if acc[i] > acc[best] then best = i end end
    local cells = {}
    for i = 1, 3 do
      local c = g6(acc[i])
      if i > 1 and acc[i] ~= acc[1] then
        local d = acc[i] - acc[1]
        c = c .. " (" .. (d > 0 and "+" or "") .. g6(d) .. ")"
      end
      if acc[i] == acc[best] and not (acc[1] == acc[2] and acc[2] == acc[3]) then c = c .. " *" end
      cells[i] = c
    end
    local row = out:match("\n(accuracy [^\n]*)")
    assert.equals("accuracy " .. table.concat(cells, " "), (row:gsub("%s+", " ")))
    assert.matches("\nseconds ", out, 1, true)
    assert.matches("(deltas to the first run; * the best value of a metric)\n", out, 1, true)

    -- --json: full ids, numbers as numbers, best by run id
    local js = assert(json.decode((zenml(dir, "run compare latest~2 latest~1 latest --json"))))
    assert.equals(ids[3], js.runs[3].id)
    local jrow
    for _, r in ipairs(js.rows) do if r.name == "accuracy" then jrow = r end end
    assert.equals("metric", jrow.section)
    assert.equals("higher", jrow.direction)
    assert.equals(acc[2], jrow.values[ids[2]])
    assert.equals("number", type(jrow.deltas[ids[3]]))
    assert.equals(ids[best], jrow.best[1])
    for _, r in ipairs(js.rows) do
      if r.name == "trainer.epochs" then assert.equals(6, r.values[ids[2]]) end
      if r.name == "log_loss" then assert.equals("lower", r.direction) end
    end

    -- --csv and --md
    local csv = zenml(dir, "run compare latest~2 latest~1 latest --csv")
    assert.matches("^section,name," .. ids[1]:gsub("%-", "%%-") .. ",", csv)
    assert.matches("\nparam,trainer.epochs,3,6,9\n", csv, 1, true)
    assert.matches("\nmetric,accuracy," .. g6(acc[1]) .. "," .. g6(acc[2]) .. "," .. g6(acc[3]) .. "\n", csv, 1, true)
    local md = zenml(dir, "run compare latest~2 latest~1 latest --md")
    assert.matches("^|  | " .. ids[1]:gsub("%-", "%%-") .. " | ", md)
    assert.matches("\n| --- | --- | --- | --- |\n", md, 1, true)
    assert.matches("\n| trainer.epochs | 3 | 6 (+3) | 9 (+6) |\n", md, 1, true)
    assert.matches("**" .. g6(acc[best]), md, 1, true)

    -- --pipeline NAME --last N: the same runs, oldest first
    local last = zenml(dir, "run compare --pipeline iris --last 3 --csv")
    assert.equals(csv, last)
    -- --all: rows that are the same too
    local all = zenml(dir, "run compare latest~1 latest --all")
    assert.matches("\ntrainer.seed%s+1%s+1\n", all)
    assert.matches("\ndatasource.version ", all, 1, true)
  end)

  it("lists runs with metric and parameter columns, sorted and filtered in the database", function()
    local dir, ids, acc = three_runs()
    local out, err, code = zenml(dir, "run list --metric accuracy --param trainer.epochs --sort trainer.epochs")
    assert.equals(0, code, err)
    local order = {}
    for id in out:gmatch("\n(%S+)") do order[#order + 1] = id end
    assert.same({ ids[1], ids[2], ids[3] }, order)
    assert.matches("%saccuracy%s+trainer%.epochs\n", out)
    -- descending by a metric; --where keeps runs whose metric compares true
    local js = json.decode((zenml(dir, "run list --sort -accuracy --json")))
    assert.equals(3, #js)
    assert.is_true(js[1].metrics.accuracy >= js[2].metrics.accuracy)
    assert.is_true(js[2].metrics.accuracy >= js[3].metrics.accuracy)
    assert.equals("number", type(js[1].steps))
    local cut = acc[1]
    js = json.decode((zenml(dir, ("run list --where 'accuracy>%.17g' --json"):format(cut))))
    local want = 0
    for i = 1, 3 do if acc[i] > cut then want = want + 1 end end
    assert.equals(want, #js)
    js = json.decode((zenml(dir, "run list --until 2000-01-01 --json")))
    assert.equals(0, #js)
    js = json.decode((zenml(dir, "run list --since 2000-01-01 --limit 2 --json")))
    assert.equals(2, #js)
    -- the default columns of a Training run with a classification evaluator
    assert.matches("GIT%s+accuracy%s+macro_f1\n", (zenml(dir, "run list")))
  end)

  it("shows a run's parameters, artifacts and the run a cached step reused", function()
    local dir = t.iris_repo { ["pipeline.lua"] = PIPELINE }
    zenml(dir, "run pipeline.lua -- 3")
    zenml(dir, "run pipeline.lua -- 3")
    local first = sql(dir, "SELECT id FROM runs ORDER BY started LIMIT 1"):match("%S+")
    local out, err, code = zenml(dir, "run show latest")
    assert.equals(0, code, err)
    assert.matches("\ndatasource  iris version %x+\n", out)
    assert.matches("\ntrainer (FeedForward): cached from run " .. first .. " step trainer, ", out,
      1, true)
    assert.matches("\n  params   epochs=3 seed=1\n", out, 1, true)
    assert.matches("\n  out      model        model      %x%x%x%x%x%x%x%x%x%x%x%x  [%d.]+ KiB\n", out)
    assert.is_nil(out:find("from #", 1, true))
    local all = zenml(dir, "run show latest --all")
    assert.matches("optimizer=adam", all, 1, true)
    local js = json.decode((zenml(dir, "run show latest --json")))
    local tr
    for _, s in ipairs(js.steps) do if s.step == "trainer" then tr = s end end
    assert.equals(first, tr.reused.run)
    assert.equals(3, tr.params.epochs)
    assert.matches("^sha256:%x+$", tr.outputs[1].id)
    assert.equals("number", type(tr.outputs[1].size))
  end)

  it("compares from Lua and reads the training curves as a frame", function()
    local dir = t.iris_repo { ["pipeline.lua"] = PIPELINE, ["explore.lua"] = [[
local zenml = require "zenml"
local c = zenml.compare { "latest~1", "latest" }
local text = tostring(c)
io.write(text:match("\n(trainer%.epochs[^\n]*)"), "\n")
local h = zenml.repo():run("latest"):history()
io.write(h:nrow(), " ", table.concat(h:names(), ","), "\n")
local ok, err = pcall(zenml.compare, {})
io.write(err, "\n")
]] }
    zenml(dir, "run pipeline.lua -- 3")
    zenml(dir, "run pipeline.lua -- 4")
    local out, err, code = zenml(dir, "run explore.lua")
    assert.equals(0, code, err)
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.equals("trainer.epochs 3 4 (+1)", (lines[1]:gsub("%s+", " ")))
    assert.equals("4 epoch,loss", lines[2])
    assert.matches("zenml.compare: expected at least one run, got none", lines[3], 1, true)
  end)
end)
