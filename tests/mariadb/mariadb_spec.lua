-- What only a MariaDB metadata store has: reaching the server (URL forms,
-- the password from the environment or an option file), every way of
-- getting that wrong, and the password kept out of everything zenml writes.
-- Run by ctest as mariadb/mariadb_spec@mariadb, against the server
-- tests/mariadb/server.sh started (tests/mariadb/with_server.sh).
local t = require "tests.support"

local PASSWORD = os.getenv("ZENML_MYSQL_PASSWORD")
local PORT = os.getenv("ZM_MARIADB_PORT")
local SOCKET = os.getenv("ZM_MARIADB_SOCKET")

local STEP = [[
local zenml = require "zenml"
local Touch = zenml.Step:extend("Touch")
Touch.inputs = { prev = "value" }
Touch.outputs = { out = "value" }
Touch.params = { i = { type = "integer", required = true } }
function Touch:run(ctx, inputs)
  print("touch " .. self.params.i)
  return { out = { i = self.params.i, prev = inputs.prev or false } }
end
return Touch
]]

local PIPELINE = [[
local zenml = require "zenml"
local Touch = require "touch"
local p = zenml.Pipeline { name = "chain" }
p:add("s1", Touch { i = 1 })
p:add("s2", Touch { i = 2 }, { prev = "s1.out" })
p:add("s3", Touch { i = 3 }, { prev = "s2.out" })
io.write("status=", p:run().status, "\n")
]]

local function url(db, user, opts)
  return ("mysql://%s@127.0.0.1:%s/%s%s"):format(user or "zenml", PORT, db, opts or "")
end

local function project(dir)
  t.write(dir .. "/steps/touch.lua", STEP)
  t.write(dir .. "/pipeline.lua", PIPELINE)
  t.sh("git add -A && git commit -qm init", { cwd = dir })
end

-- `zenml init --metadata URL` fails with exactly `message`, exit 1, and
-- leaves the folder as it was (nothing but .git).
local function init_fails(u, message, env)
  local dir = t.git_repo()
  local out, err, code = t.zenml_run("init --metadata " .. t.q(u), { cwd = dir, env = env })
  assert.equals(1, code)
  assert.equals("", out)
  assert.equals("zenml: " .. message .. "\n", err)
  assert.equals(".git\n", t.sh("ls -A", { cwd = dir }))
  assert.is_nil(err:find(PASSWORD, 1, true))
end

describe("a MariaDB metadata store", function()
  after_each(t.cleanup)

  it("runs pipelines, caches and keeps the password out of everything it writes", function()
    local dir = t.git_repo()
    local u = t.new_database(dir)
    local out, err, code = t.zenml_run("init --metadata " .. t.q(u), { cwd = dir })
    assert.equals(0, code, err)
    project(dir)
    local first, err1, c1 = t.zenml_run("run pipeline.lua", { cwd = dir })
    assert.equals(0, c1, err1)
    assert.matches("3 ran, 0 cached", first, 1, true)
    local second, err2, c2 = t.zenml_run("run pipeline.lua", { cwd = dir })
    assert.equals(0, c2, err2)
    assert.matches("0 ran, 3 cached", second, 1, true)
    assert.equals("s1=cached\ns2=cached\ns3=cached\n", t.sql(dir,
      "SELECT step || '=' || status FROM executions WHERE run_id = (SELECT id FROM runs"
      .. " ORDER BY started DESC LIMIT 1) ORDER BY step"))
    local list, lerr, lc = t.zenml_run("run list", { cwd = dir })
    assert.equals(0, lc, lerr)
    -- the password is nowhere: config, YAML, artifacts and logs, output, the database
    local _, _, found = t.sh("grep -rqF " .. t.q(PASSWORD) .. " .zenml pipelines", { cwd = dir })
    assert.equals(1, found)
    for _, text in ipairs { out, err, first, err1, second, err2, list, lerr,
      t.slurp(dir .. "/.zenml/config.yaml") } do
      assert.is_nil(text:find(PASSWORD, 1, true))
    end
    local dump, derr, dc = t.sh("MYSQL_PWD=\"$ZENML_MYSQL_PASSWORD\" mariadb-dump --no-defaults"
      .. " -h 127.0.0.1 -P \"$ZM_MARIADB_PORT\" -u zenml " .. u:match("/([%w_]+)$"))
    assert.equals(0, dc, derr)
    assert.matches("INSERT INTO `executions`", dump, 1, true)
    assert.is_nil(dump:find(PASSWORD, 1, true))
    assert.matches("metadata: " .. u, t.slurp(dir .. "/.zenml/config.yaml"), 1, true)
  end)

  it("reaches the server over its socket, and takes the password from an option file", function()
    local dir = t.git_repo()
    local db = t.new_database(dir):match("/([%w_]+)$")
    local cnf = dir .. "/my.cnf"
    t.write(cnf, "[client]\npassword=" .. PASSWORD .. "\n")
    local u = ("mariadb://zenml@localhost/%s?socket=%s&defaults-file=%s"):format(db, SOCKET, cnf)
    local _, err, code = t.zenml_run("init --metadata " .. t.q(u),
      { cwd = dir, env = { ZENML_MYSQL_PASSWORD = "" } })
    assert.equals(0, code, err)
    project(dir)
    local out, rerr, rc = t.zenml_run("run pipeline.lua", { cwd = dir, env = { ZENML_MYSQL_PASSWORD = "" } })
    assert.equals(0, rc, rerr)
    assert.matches("status=completed", out, 1, true)
    assert.equals("3\n", t.sql(dir, "SELECT count(*) FROM executions"))
  end)

  it("refuses a wrong password, naming the server, and writes nothing", function()
    init_fails(url("zenml_test"), "mysql://zenml@127.0.0.1:" .. PORT .. "/zenml_test: Access "
      .. "denied for user 'zenml'@'127.0.0.1' (using password: YES)",
      { ZENML_MYSQL_PASSWORD = "not-" .. PASSWORD })
  end)

  it("refuses an unreachable server", function()
    init_fails("mysql://zenml@127.0.0.1:1/zenml_test", "mysql://zenml@127.0.0.1:1/zenml_test: "
      .. "cannot connect to the server (is it running, and listening on that host and port?)")
    init_fails("mysql://zenml@localhost/zenml_test?socket=/nonexistent/mysqld.sock",
      "mysql://zenml@localhost/zenml_test: cannot connect to the server (is it running, and "
      .. "listening on that socket?)")
  end)

  it("refuses a missing database", function()
    init_fails(url("zenml_nowhere"), "mysql://zenml@127.0.0.1:" .. PORT .. "/zenml_nowhere: no "
      .. "database 'zenml_nowhere' on the server (create it, or ask its administrator to)")
  end)

  it("refuses a user without privileges", function()
    init_fails(url("zenml_test", "nopriv"), "mysql://nopriv@127.0.0.1:" .. PORT .. "/zenml_test: "
      .. "Access denied for user 'nopriv'@'%' to database 'zenml_test'")
  end)

  it("refuses malformed URLs, never echoing a password", function()
    init_fails("mysql://zenml:" .. PASSWORD .. "@127.0.0.1:" .. PORT .. "/zenml_test",
      "malformed metadata URL 'mysql://zenml:****@127.0.0.1:" .. PORT .. "/zenml_test': a "
      .. "password does not belong in the URL (it would be stored in the repository's config); "
      .. "set ZENML_MYSQL_PASSWORD or use an option file")
    init_fails("mysql://zenml@127.0.0.1:" .. PORT,
      "malformed metadata URL 'mysql://zenml@127.0.0.1:" .. PORT .. "': no database (expected "
      .. "mysql://[user@]host[:port]/database)")
    init_fails("mysql://zenml@127.0.0.1:http/db", "malformed metadata URL "
      .. "'mysql://zenml@127.0.0.1:http/db': the port is not a number from 1 to 65535")
    init_fails(url("zenml_test", nil, "?ssl-ca"), "malformed metadata URL 'mysql://zenml@"
      .. "127.0.0.1:" .. PORT .. "/zenml_test?ssl-ca': an option is not name=value")
  end)

  it("refuses a database with a newer schema, and changes nothing in it", function()
    local dir = t.git_repo()
    local u = t.new_database(dir)
    local db = u:match("/([%w_]+)$")
    local _, err, code = t.zenml_run("init --metadata " .. t.q(u), { cwd = dir })
    assert.equals(0, code, err)
    t.server_sql("UPDATE " .. db .. ".zenml_schema SET version = 99")
    local out, rerr, rc = t.zenml_run("run list", { cwd = dir })
    assert.equals(1, rc)
    assert.equals("", out)
    assert.equals("zenml: " .. u .. ": metadata schema version 99 is newer than this zenml "
      .. "supports (6); upgrade zenml\n", rerr)
    assert.equals("99\n", t.server_sql("SELECT version FROM " .. db .. ".zenml_schema"))
    -- a second repository cannot be initialised on it either
    init_fails(u, u .. ": metadata schema version 99 is newer than this zenml supports (6); "
      .. "upgrade zenml")
  end)

  it("is switched to with config set, which checks the server first", function()
    local dir = t.git_repo()
    local _, err, code = t.zenml_run("init", { cwd = dir })
    assert.equals(0, code, err)
    local before = t.slurp(dir .. "/.zenml/config.yaml")
    local out, serr, sc = t.zenml_run("config set stores.metadata " .. t.q(url("zenml_nowhere")),
      { cwd = dir })
    assert.equals(1, sc)
    assert.equals("", out)
    assert.equals("zenml: mysql://zenml@127.0.0.1:" .. PORT .. "/zenml_nowhere: no database "
      .. "'zenml_nowhere' on the server (create it, or ask its administrator to)\n", serr)
    assert.equals(before, t.slurp(dir .. "/.zenml/config.yaml"))
    local u = t.new_database(dir)
    _, serr, sc = t.zenml_run("config set stores.metadata " .. t.q(u), { cwd = dir })
    assert.equals(0, sc, serr)
    assert.equals(u .. "\n", t.zenml_run("config get stores.metadata", { cwd = dir }))
    project(dir)
    local rout, rerr, rc = t.zenml_run("run pipeline.lua", { cwd = dir })
    assert.equals(0, rc, rerr)
    assert.matches("status=completed", rout, 1, true)
    assert.equals("1\n", t.server_sql("SELECT count(*) FROM " .. u:match("/([%w_]+)$") .. ".runs"))
  end)

  it("takes a repository's SQLite metadata with metadata migrate, and gives it back", function()
    local dir = t.git_repo()
    local _, err, code = t.zenml_run("init", { cwd = dir })
    assert.equals(0, code, err)
    project(dir)
    for _ = 1, 2 do
      local _, rerr, rc = t.zenml_run("run pipeline.lua", { cwd = dir })
      assert.equals(0, rc, rerr)
    end
    local listed = t.zenml_run("run list", { cwd = dir })
    local runs = t.sql(dir, "SELECT id, started, status FROM runs ORDER BY id")
    local u = t.new_database(dir)
    local out, merr, mc = t.zenml_run("metadata migrate --to " .. t.q(u), { cwd = dir })
    assert.equals(0, mc, merr)
    assert.equals("copied the metadata to " .. u .. " (datasources 0, artifacts 6, pipelines 1, "
      .. "runs 2, datasource_versions 0, executions 6, events 5, metrics 0, properties 3, "
      .. "stat_cache 0, config 0, models 0, model_versions 0, model_tags 0, model_aliases 0, "
      .. "model_alias_history 0); stores.metadata is now " .. u .. "\n", out)
    assert.equals(listed, t.zenml_run("run list", { cwd = dir }))
    assert.equals(runs, t.sql(dir, "SELECT id, started, status FROM runs ORDER BY id"))
    local info = t.zenml_run("metadata info", { cwd = dir })
    assert.matches("^driver  mysql\nurl     " .. u:gsub("%p", "%%%0") .. "\nschema  6\n", info)
    local rout, rerr, rc = t.zenml_run("run pipeline.lua", { cwd = dir })
    assert.equals(0, rc, rerr)
    assert.matches("0 ran, 3 cached", rout, 1, true)
    -- a database with rows is refused
    local dir2 = t.git_repo()
    t.zenml_run("init", { cwd = dir2 })
    local _, e2, c2 = t.zenml_run("metadata migrate --to " .. t.q(u), { cwd = dir2 })
    assert.equals(1, c2)
    assert.equals("zenml: metadata migrate: the destination store is not empty (artifacts has 6 "
      .. "rows): migrate into an empty database\n", e2)
    -- and back to a file
    out, merr, mc = t.zenml_run("metadata migrate --to sqlite:.zenml/back.db", { cwd = dir })
    assert.equals(0, mc, merr)
    assert.matches("stores.metadata is now sqlite:.zenml/back.db\n$", out)
    assert.equals(3, select(2, t.zenml_run("run list", { cwd = dir }):gsub("\n", "")) - 1)
  end)

  it("runs a transaction of the caller's again once when the connection is lost in it", function()
    local dir = t.git_repo()
    local u = t.new_database(dir)
    local script = dir .. "/tx.lua"
    t.write(script, [[
local db = assert(require("zenml.meta").open(..., "create"))
local attempts = 0
db:transaction(function()
  attempts = attempts + 1
  db:pipeline_version("p", "dag-" .. attempts)
  if attempts == 1 then
    local id = db:query("SELECT CONNECTION_ID() AS id")[1].id
    assert(os.execute("MYSQL_PWD=\"$ZENML_MYSQL_PASSWORD\" mariadb --no-defaults -h 127.0.0.1"
      .. " -P \"$ZM_MARIADB_PORT\" -u zenml -e 'KILL CONNECTION " .. id .. "'"))
  end
  db:pipeline_version("q", "dag")
end)
local names = {}
for _, r in ipairs(db:query("SELECT name, dag_hash FROM pipelines ORDER BY name")) do
  names[#names + 1] = r.name .. "=" .. r.dag_hash
end
print(attempts, table.concat(names, " "))
]])
    local out, err, code = t.zenml_run(t.q(script) .. " " .. t.q(u), { cwd = dir })
    assert.equals(0, code, err)
    assert.equals("2\tp=dag-2 q=dag\n", out)
  end)

  it("says so when the server goes away and does not come back", function()
    -- a server of this test's own, stopped under a store that is open
    local dir = t.git_repo()
    local server = dir .. "/server"
    local sh = t.q(t.src .. "/tests/mariadb/server.sh")
    local _, serr, sc = t.sh(sh .. " start " .. t.q(server))
    assert.equals(0, sc, serr)
    local port = t.slurp(server .. "/port")
    local u = "mysql://zenml@127.0.0.1:" .. port .. "/zenml_test"
    local script = dir .. "/gone.lua"
    t.write(script, [[
local url, stop = ...
local db = assert(require("zenml.meta").open(url, "create"))
db:pipeline_version("p", "dag")
assert(os.execute(stop))
local ok, err = pcall(db.pipeline_version, db, "q", "dag")
print(ok, err)
]])
    local out, err, code = t.zenml_run(t.q(script) .. " " .. t.q(u) .. " " .. t.q(sh .. " stop "
      .. t.q(server)), { cwd = dir, env = { ZENML_MYSQL_PASSWORD = t.slurp(server .. "/password") } })
    t.sh(sh .. " stop " .. t.q(server))
    assert.equals(0, code, err)
    assert.equals("false\tlost the connection to the metadata server and could not make it "
      .. "again: " .. u .. ": cannot connect to the server (is it running, and listening on "
      .. "that host and port?)\n", out)
  end)
end)
