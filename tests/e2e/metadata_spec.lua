-- zenml metadata info | migrate on SQLite (the MariaDB round trip is in
-- tests/mariadb/mariadb_spec.lua).
local t = require "tests.support"

local STEP = [[
local zenml = require "zenml"
local Touch = zenml.Step:extend("Touch")
Touch.inputs = { prev = "value" }
Touch.outputs = { out = "value" }
Touch.params = { i = { type = "integer", required = true } }
function Touch:run(ctx, inputs) return { out = { i = self.params.i, prev = inputs.prev or false } } end
return Touch
]]

local PIPELINE = [[
local zenml = require "zenml"
local Touch = require "touch"
local p = zenml.Pipeline { name = "chain" }
p:add("s1", Touch { i = 1 })
p:add("s2", Touch { i = 2 }, { prev = "s1.out" })
io.write("status=", p:run().status, "\n")
]]

local function repo_with_runs()
  local dir = t.git_repo()
  local _, err, code = t.zenml_run("init", { cwd = dir })
  assert(code == 0, err)
  t.write(dir .. "/steps/touch.lua", STEP)
  t.write(dir .. "/pipeline.lua", PIPELINE)
  t.sh("git add -A && git commit -qm init", { cwd = dir })
  for _ = 1, 2 do
    local _, rerr, rc = t.zenml_run("run pipeline.lua", { cwd = dir })
    assert(rc == 0, rerr)
  end
  return dir
end

describe("zenml metadata", function()
  after_each(t.cleanup)

  it("info shows the driver, URL, schema version, size and rows per table", function()
    local dir = repo_with_runs()
    local out, err, code = t.zenml_run("metadata info", { cwd = dir })
    assert.equals(0, code, err)
    assert.matches("^driver  sqlite\nurl     sqlite:%.zenml/metadata%.db\nschema  6\nsize    %d", out)
    assert.matches("\nruns                 2\n", out, 1, true)
    assert.matches("\nexecutions           4\n", out, 1, true)
    local js = t.zenml_run("metadata info --json", { cwd = dir })
    assert.matches('"driver":"sqlite"', js, 1, true)
    assert.matches('{"name":"runs","rows":2}', js, 1, true)
  end)

  it("migrate copies every row to a new store and switches the config", function()
    local dir = repo_with_runs()
    local before = t.sql(dir, "SELECT id || ' ' || status || ' ' || started FROM runs ORDER BY id")
    local out, err, code = t.zenml_run("metadata migrate --to sqlite:.zenml/copy.db", { cwd = dir })
    assert.equals(0, code, err)
    assert.equals("copied the metadata to sqlite:.zenml/copy.db (datasources 0, artifacts 2, "
      .. "pipelines 1, runs 2, datasource_versions 0, executions 4, events 3, metrics 0, "
      .. "properties 2, stat_cache 0, config 0, models 0, model_versions 0, model_tags 0, "
      .. "model_aliases 0, model_alias_history 0); stores.metadata is now sqlite:.zenml/copy.db\n", out)
    assert.equals("sqlite:.zenml/copy.db\n", t.zenml_run("config get stores.metadata", { cwd = dir }))
    assert.equals(before, t.sql(dir, "SELECT id || ' ' || status || ' ' || started FROM runs ORDER BY id"))
    local rout = t.zenml_run("run pipeline.lua", { cwd = dir })
    assert.matches("0 ran, 2 cached", rout, 1, true)
  end)

  it("migrate refuses a store with rows, the store in use, and bad URLs, changing nothing", function()
    local dir = repo_with_runs()
    local cfg = t.slurp(dir .. "/.zenml/config.yaml")
    t.zenml_run("metadata migrate --to sqlite:.zenml/copy.db", { cwd = dir })
    t.zenml_run("config set stores.metadata sqlite:.zenml/metadata.db", { cwd = dir })
    local out, err, code = t.zenml_run("metadata migrate --to sqlite:.zenml/copy.db", { cwd = dir })
    assert.equals(1, code)
    assert.equals("", out)
    assert.equals("zenml: metadata migrate: the destination store is not empty (artifacts has 2 "
      .. "rows): migrate into an empty database\n", err)
    assert.equals(cfg, t.slurp(dir .. "/.zenml/config.yaml"))
    out, err, code = t.zenml_run("metadata migrate --to sqlite:.zenml/metadata.db", { cwd = dir })
    assert.equals(1, code)
    assert.equals("zenml: metadata migrate: sqlite:.zenml/metadata.db is the store in use\n", err)
    out, err, code = t.zenml_run("metadata migrate --to postgres://x/y", { cwd = dir })
    assert.equals(2, code)
    assert.equals("zenml: stores.metadata must be sqlite:PATH or mysql://..., got 'postgres://x/y'\n", err)
    out, err, code = t.zenml_run("metadata migrate --to sqlite:/nonexistent/dir/m.db", { cwd = dir })
    assert.equals(1, code)
    assert.equals("zenml: /nonexistent/dir/m.db: unable to open database file\n", err)
    assert.equals(cfg, t.slurp(dir .. "/.zenml/config.yaml"))
    out, err, code = t.zenml_run("metadata migrate", { cwd = dir })
    assert.equals(2, code)
    assert.matches("^zenml: metadata migrate needs %-%-to URL\n", err)
  end)
end)
