-- The bad-input catalogue (tests/bad_input/): every case gets its exit code
-- and the exact first line of stderr, never a traceback or a signal.
local t = require "tests.support"
local cases = dofile(t.src .. "/tests/bad_input/cases.lua")

-- A Lua pattern for an expected line: literal text, `...` for anything.
local function line_pattern(line)
  local parts = {}
  for piece in (line .. "..."):gmatch("(.-)%.%.%.") do
    parts[#parts + 1] = piece:gsub("%p", "%%%0")
  end
  return "^" .. table.concat(parts, ".-") .. "$"
end

-- Template repositories, made once and copied for each case.
local templates = {}
local function template(kind)
  if templates[kind] then return templates[kind] end
  local dir
  if kind == "none" then
    dir = t.tmpdir()
  else
    dir = t.git_repo()
    local _, err, code = t.zenml_run("init", { cwd = dir })
    assert(code == 0, err)
    if kind == "iris" then
      t.sh("mkdir -p data && cp " .. t.q(t.src .. "/tests/data/iris.csv") .. " data/", { cwd = dir })
      t.write(dir .. "/pipeline.lua", cases.iris_pipeline)
      t.sh("git add -A && git commit -qm iris", { cwd = dir })
      _, err, code = t.zenml_run("run pipeline.lua", { cwd = dir })
      assert(code == 0, err)
    end
  end
  templates[kind] = dir
  return dir
end

describe("bad input", function()
  teardown(t.cleanup)

  for _, c in ipairs(cases) do
    -- `awaits`: a defect being fixed on a branch (temporary; see the commit log)
    local test = c.awaits and pending or it
    test(c[1] .. (c.awaits and (" (awaits " .. c.awaits .. ")") or ""), function()
      local dir = t.tmpdir()
      t.sh("cp -a " .. t.q(template(c.repo or "iris")) .. "/. " .. t.q(dir))
      for path, text in pairs(c.files or {}) do
        t.sh("mkdir -p " .. t.q((dir .. "/" .. path):match("^(.*)/")))
        t.write(dir .. "/" .. path, text)
      end
      if c.yaml then
        -- the iris run's recorded YAML, edited, as x.yaml
        local yaml = require "zenml.yaml"
        local recorded = t.sh("ls pipelines/iris_*.yaml", { cwd = dir }):match("[^\n]+")
        local doc = assert(yaml.read(dir .. "/" .. recorded))
        c.yaml(doc)
        t.write(dir .. "/x.yaml", yaml.encode(doc))
      end
      if c.setup then
        local _, serr, scode = t.sh("(export ZENML=" .. t.q(t.zenml) .. "; " .. c.setup .. ")", { cwd = dir })
        assert(scode == 0, serr)
      end
      local out, err, code = t.sh("export ZENML=" .. t.q(t.zenml) .. "; " .. t.q(t.zenml) .. " " .. c.cmd, { cwd = dir })
      local first = err:match("^([^\n]*)") or ""
      if c.frames then
        -- the user's own frames only: zenml's are hidden
        for frame in err:gmatch("\n\t([^\n]*)") do
          assert(frame:match("^[%w_./-]+%.lua:%d+: ") and not frame:find("zenml/", 1, true)
            or frame:match("^%(zenml's own frames hidden"), "not a frame of the user's:\n" .. err)
        end
      else
        assert(not err:find("stack traceback", 1, true), "a traceback:\n" .. err)
      end
      assert(code < 128, ("killed by signal %d:\n%s"):format(code - 128, err))
      assert(first:match(line_pattern(c.first)),
        ("first line of stderr\n  %s\ndoes not match\n  %s\n(stdout: %s)"):format(first, c.first, out))
      assert.equals(c.code, code)
    end)
  end

  it("has at least 100 cases", function()
    assert.is_true(#cases >= 100, ("%d cases"):format(#cases))
  end)
end)
