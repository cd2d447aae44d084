-- Repository, stores and their commands, driven as a user would: a
-- throwaway git repository, the real zenml binary, then the files and the
-- database checked.
local t = require "tests.support"

local function zenml(dir, args, opts)
  opts = opts or {}
  opts.cwd = opts.cwd or dir
  return t.zenml_run(args, opts)
end

describe("zenml init", function()
  after_each(t.cleanup)

  it("refuses outside git and creates nothing", function()
    local dir = t.tmpdir()
    local out, err, code = zenml(dir, "init", { cwd = dir })
    assert.equals(1, code)
    assert.equals("", out)
    assert.equals("zenml: not a git repository (or any parent): run 'git init' first\n", err)
    local listing = t.sh("ls -A", { cwd = dir })
    assert.equals("", listing)
  end)

  it("sets up .zenml, pipelines and steps in a repository with no commits", function()
    local dir = t.git_repo()
    local out, err, code = zenml(dir, "init")
    assert.equals(0, code, err)
    assert.matches("initialised zenml repository in ", out, 1, true)
    for _, p in ipairs { ".zenml/config.yaml", ".zenml/.gitignore", ".zenml/metadata.db" } do
      assert.is_true(t.sh("test -f " .. p, { cwd = dir }) ~= nil)
      local _, _, c = t.sh("test -f " .. p, { cwd = dir })
      assert.equals(0, c, p)
    end
    for _, p in ipairs { "pipelines", "steps", ".zenml/artifacts" } do
      local _, _, c = t.sh("test -d " .. p, { cwd = dir })
      assert.equals(0, c, p)
    end
    -- git sees the config but neither store
    local status = t.sh("git status --porcelain --untracked-files=all", { cwd = dir })
    assert.matches(".zenml/.gitignore", status, 1, true)
    assert.matches(".zenml/config.yaml", status, 1, true)
    assert.is_nil(status:match("metadata%.db"))
    assert.is_nil(status:match("artifacts/"))
  end)

  it("says so and changes nothing the second time, from a sub-folder too", function()
    local dir = t.git_repo()
    zenml(dir, "init")
    local before = t.sh("cat .zenml/config.yaml; ls -lR --time-style=full-iso .zenml/config.yaml pipelines steps", { cwd = dir })
    os.execute("mkdir -p " .. t.q(dir .. "/a/b"))
    local out, _, code = zenml(dir, "init", { cwd = dir .. "/a/b" })
    assert.equals(0, code)
    assert.matches("already initialised", out, 1, true)
    local after = t.sh("cat .zenml/config.yaml; ls -lR --time-style=full-iso .zenml/config.yaml pipelines steps", { cwd = dir })
    assert.equals(before, after)
  end)

  it("takes --artifact-store outside the repository and --metadata", function()
    local dir = t.git_repo()
    local shared = t.tmpdir()
    local _, err, code = zenml(dir, "init --artifact-store " .. t.q(shared .. "/store")
      .. " --metadata sqlite:.zenml/other.db")
    assert.equals(0, code, err)
    local out = zenml(dir, "config get stores.artifact")
    assert.equals(shared .. "/store\n", out)
    local _, _, c = t.sh("test -d " .. t.q(shared .. "/store/objects"))
    assert.equals(0, c)
    _, _, c = t.sh("test -f .zenml/other.db", { cwd = dir })
    assert.equals(0, c)
  end)

  it("rejects a metadata URL it does not know", function()
    local dir = t.git_repo()
    local _, err, code = zenml(dir, "init --metadata postgres://x")
    assert.equals(2, code)
    assert.equals("zenml: stores.metadata must be sqlite:PATH or mysql://..., got 'postgres://x'\n", err)
  end)
end)

describe("zenml config", function()
  after_each(t.cleanup)

  it("lists, gets and sets settings, and refuses unknown ones", function()
    local dir = t.git_repo()
    zenml(dir, "init")
    local out = zenml(dir, "config list --json")
    assert.matches('"key":"defaults.jobs","value":"1"', out, 1, true)
    local _, err, code = zenml(dir, "config set defaults.jobs 4")
    assert.equals(0, code, err)
    assert.equals("4\n", (zenml(dir, "config get defaults.jobs")))
    _, err, code = zenml(dir, "config set defaults.jobs many")
    assert.equals(2, code)
    assert.equals("zenml: defaults.jobs must be a whole number >= 1, got 'many'\n", err)
    _, err, code = zenml(dir, "config get nope")
    assert.equals(2, code)
    assert.matches("^zenml: unknown setting 'nope'; settings are: ", err)
  end)

  it("outside a zenml repository says to run zenml init", function()
    local dir = t.git_repo()
    local _, err, code = zenml(dir, "config list")
    assert.equals(1, code)
    assert.matches("is not a zenml repository: run 'zenml init' first\n$", err)
  end)
end)

-- A repository with two recorded artifacts, put through the Lua API.
local function seeded_repo()
  local dir = t.git_repo()
  zenml(dir, "init")
  t.write(dir .. "/seed.lua", [[
    local r = assert(zenml.repo())
    local db, store = r:meta(), r:store()
    local a = store:put("hello artifact\n")
    local b = store:put(string.rep("x", 5000))
    db:artifact_record(a, "file", 15)
    db:artifact_record(b, "file", 5000)
    db:pipeline_version("p", "dag1")
    db:run_begin { id = "run1", pipeline = "p", pipeline_version = 1 }
    local e = db:execution_begin("run1", "s", "S", nil, "k")
    db:event_add(e, a, "output", "out")
    db:event_add(e, b, "output", "big")
    db:execution_finish(e, "completed")
    db:run_finish("run1", "completed")
    io.write(a, "\n", b, "\n")
  ]])
  local out, err, code = zenml(dir, "-e " .. t.q("dofile('seed.lua')"))
  assert.equals(0, code, err)
  local a, b = out:match("^(%S+)\n(%S+)\n$")
  return dir, a, b
end

describe("zenml verify, gc and artifact", function()
  after_each(t.cleanup)

  it("verify passes on a clean store and names a flipped byte", function()
    local dir, a = seeded_repo()
    local out, _, code = zenml(dir, "verify")
    assert.equals(0, code)
    assert.equals("artifact store and metadata are consistent\n", out)
    local path = zenml(dir, "-e " .. t.q("io.write(zenml.repo():store():path('" .. a .. "'))"))
    os.execute("chmod u+w " .. t.q(path) .. " && printf 'J' | dd of=" .. t.q(path)
      .. " bs=1 seek=0 conv=notrunc 2>/dev/null")
    local err
    out, err, code = zenml(dir, "verify")
    assert.equals(1, code)
    assert.matches(a, out, 1, true)
    assert.matches("1 problem found", err, 1, true)
  end)

  it("verify names an artifact the metadata references but the store lost", function()
    local dir, _, b = seeded_repo()
    local path = zenml(dir, "-e " .. t.q("io.write(zenml.repo():store():path('" .. b .. "'))"))
    os.remove(path)
    local out, _, code = zenml(dir, "verify --json")
    assert.equals(1, code)
    assert.matches('"ok":false', out, 1, true)
    assert.matches(b, out, 1, true)
  end)

  it("gc keeps referenced objects and removes the rest", function()
    local dir, a, b = seeded_repo()
    local stray = zenml(dir, "-e " .. t.q("io.write(zenml.repo():store():put('stray'))"))
    local out, _, code = zenml(dir, "gc --dry-run")
    assert.equals(0, code)
    assert.matches("would remove 1 object and 0 temporary files", out, 1, true)
    out = zenml(dir, "gc")
    assert.matches("^removed 1 object and 0 temporary files, 5 B", out)
    local check = zenml(dir, "-e " .. t.q(("local s = zenml.repo():store(); io.write(tostring(s:exists('%s')), tostring(s:exists('%s')), tostring(s:exists('%s')))"):format(a, b, stray)))
    assert.equals("truetruefalse", check)
  end)

  it("artifact show and export", function()
    local dir, a = seeded_repo()
    local out, err, code = zenml(dir, "artifact show " .. a)
    assert.equals(0, code, err)
    assert.matches("type%s+file", out)
    assert.matches("output out of step s in run run1", out, 1, true)
    out = zenml(dir, "artifact show --json " .. a)
    assert.matches('"type":"file"', out, 1, true)
    _, err, code = zenml(dir, "artifact export " .. a .. " out.txt")
    assert.equals(0, code, err)
    assert.equals("hello artifact\n", t.slurp(dir .. "/out.txt"))
  end)

  it("rejects malformed artifact ids and ids that try to leave the store", function()
    local dir = seeded_repo()
    for _, id in ipairs { "../../etc/passwd", "/etc/passwd", "sha256:XYZ", "sha256:../x" } do
      local _, err, code = zenml(dir, "artifact show " .. t.q(id))
      assert.equals(1, code)
      assert.equals("zenml: invalid artifact id '" .. id .. "': expected sha256: and 64 hex digits, or a unique prefix of at least 4 hex digits\n", err)
    end
  end)

  it("gives a clear error for a broken metadata database", function()
    local dir = seeded_repo()
    os.execute("cd " .. t.q(dir) .. " && rm -f .zenml/metadata.db-* && head -c 1000 .zenml/metadata.db > x && mv x .zenml/metadata.db")
    local _, err, code = zenml(dir, "verify")
    assert.equals(1, code)
    assert.matches("^zenml: .*%.zenml/metadata%.db: ", err)
    t.write(dir .. "/.zenml/metadata.db", "this is not sqlite at all, not even close......................................................................................")
    _, err, code = zenml(dir, "gc")
    assert.equals(1, code)
    assert.matches("metadata.db: not an SQLite database; restore it from a backup", err, 1, true)
  end)

  -- A zero-length database used to be taken for a new one: run list showed
  -- nothing, verify passed, and gc after one new run would have removed the
  -- artifacts of every earlier run whose YAML was still in pipelines/.
  it("refuses an empty or missing metadata database instead of starting a new one", function()
    local dir = seeded_repo()
    local before = t.sh("ls .zenml/artifacts/objects | wc -l", { cwd = dir })
    os.execute("cd " .. t.q(dir) .. " && rm -f .zenml/metadata.db-* && : > .zenml/metadata.db")
    for _, cmd in ipairs { "run list", "verify", "gc", "datasource list" } do
      local out, err, code = zenml(dir, cmd)
      assert.equals(1, code, cmd .. ": " .. out .. err)
      assert.matches("^zenml: .*%.zenml/metadata%.db: the metadata database is empty %(0 bytes%); "
        .. "restore it from a backup", err)
    end
    assert.equals(0, #t.slurp(dir .. "/.zenml/metadata.db"))
    assert.equals(before, (t.sh("ls .zenml/artifacts/objects | wc -l", { cwd = dir })))
    os.remove(dir .. "/.zenml/metadata.db")
    local _, err, code = zenml(dir, "run list")
    assert.equals(1, code)
    assert.matches("metadata.db: no metadata database (it is made by 'zenml init')", err, 1, true)
    assert.is_nil(io.open(dir .. "/.zenml/metadata.db"))
  end)

  -- Another user's repository (or a read-only mount): the commands that only
  -- read work, and leave the files as they were.
  it("inspects a repository it may not write", function()
    local dir = seeded_repo()
    local run_id = (zenml(dir, "run list --json")):match('"id":%s*"([^"]+)"')
    os.execute("chmod -R a+rX " .. t.q(dir) .. " && chmod a+rx " .. t.q(dir:match("^(.*)/")))
    local as_other = "setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/tmp "
    local sum = "cd " .. t.q(dir) .. " && sha256sum .zenml/metadata.db*"
    local before = t.sh(sum)
    for _, cmd in ipairs { "run list", "run show " .. run_id, "verify", "pipeline list",
      "datasource list" } do
      local out, err, code = t.sh(as_other .. t.q(t.zenml) .. " " .. cmd, { cwd = dir })
      assert.equals(0, code, cmd .. ": " .. out .. err)
      assert.equals("", err, cmd)
    end
    assert.equals(before, (t.sh(sum)))
  end)
end)

describe("exploring from Lua", function()
  after_each(t.cleanup)

  it("lists pipelines, runs, executions, artifacts and reads an artifact", function()
    local dir, a = seeded_repo()
    t.write(dir .. "/explore.lua", [[
      local zenml = require "zenml"
      local r = zenml.repo()
      local p = r:pipelines()
      assert(#p == 1 and p[1].name == "p" and p[1].runs == 1, "pipelines")
      local runs = r:runs { pipeline = "p", status = "completed", limit = 20 }
      assert(#runs == 1 and runs[1].id == "run1", "runs")
      assert(#r:runs { status = "failed" } == 0, "failed runs")
      local run = assert(r:run("run"))
      assert(tostring(run):match("^<Run run1 completed"), tostring(run))
      local ex = run:executions()
      assert(#ex == 1 and ex[1].step == "s" and ex[1].status == "completed", "executions")
      local arts = run:artifacts()
      assert(#arts == 2, "artifacts")
      local out
      for _, x in ipairs(arts) do if x.name == "out" then out = x end end
      io.write(r:artifact(out.id):read() == "hello artifact\n" and "ok" or "bad")
    ]])
    local out, err, code = zenml(dir, "explore.lua")
    assert.equals(0, code, err)
    assert.equals("ok", out)
  end)
end)
