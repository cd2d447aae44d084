-- zenml.meta: the metadata store as Lua sees it.
local zenml = require "zenml"

local function tmpdir()
  local path = os.tmpname()
  os.remove(path)
  assert(os.execute("mkdir -p '" .. path .. "'"))
  return path
end

describe("zenml.meta", function()
  local dir, db

  before_each(function()
    dir = tmpdir()
    db = assert(zenml.meta.open("sqlite:" .. dir .. "/metadata.db"))
  end)

  after_each(function()
    db:close()
    os.execute("rm -rf '" .. dir .. "'")
  end)

  local function new_run(id)
    local v = db:pipeline_version("iris", "dag-1")
    db:run_begin { id = id, pipeline = "iris", pipeline_version = v, git_commit = "abc",
      git_dirty = true, backend = "local" }
  end

  it("opens a fresh store at the current schema version", function()
    assert.equal(6, zenml.meta.schema_version)
    assert.same({ { v = 6 } }, db:query("SELECT user_version AS v FROM pragma_user_version"))
  end)

  it("records runs and lists them with filters", function()
    new_run("r1")
    new_run("r2")
    assert.is_true(db:run_finish("r1", "completed"))
    local r = db:run("r1")
    assert.equal("completed", r.status)
    assert.equal("iris", r.pipeline)
    assert.equal(1, r.pipeline_version)
    assert.is_true(r.git_dirty)
    assert.is_number(r.ended)
    assert.equal(2, #db:runs())
    assert.equal(1, #db:runs { status = "running" })
    assert.equal("r2", db:runs { status = "running" }[1].id)
    assert.equal(1, #db:runs { limit = 1 })
    assert.equal(0, #db:runs { pipeline = "other" })
    local none, err = db:run("nope")
    assert.is_nil(none)
    assert.equal("no run with id 'nope'", err)
    assert.equal(0, db:recover())
  end)

  it("answers cache lookups given the artifact store only when the outputs are in it", function()
    local store = assert(require("zenml.store").open(dir .. "/objects"))
    local kept = assert(store:put("kept"))
    local lost = "sha256:" .. ("0"):rep(64)
    new_run("r1")
    for i, id in ipairs { kept, lost } do
      db:artifact_record(id, "file", 4)
      local e = db:execution_begin("r1", "s" .. i, "Step", nil, "key-" .. i)
      db:event_add(e, id, "output", "out")
      db:execution_finish(e, "completed")
    end
    assert.same({ out = kept }, db:cache_lookup("Step", "key-1", store).outputs)
    local none, err, code = db:cache_lookup("Step", "key-2", store)
    assert.is_nil(none)
    assert.equal("no cached execution for key key-2", err)
    assert.equal("notfound", code)
    assert.same({ out = lost }, db:cache_lookup("Step", "key-2").outputs)
    store:close()
    assert.has_error(function() db:cache_lookup("Step", "key-1", store) end,
      "attempt to use a closed store")
  end)

  it("records executions, lineage and answers cache lookups", function()
    new_run("r1")
    db:artifact_record("sha256:in", "frame", 10)
    db:artifact_record("sha256:out", "frame", 20)
    local e = db:execution_begin("r1", "split", "RandomSplit", "split@zenml-0.1", "key-1")
    db:event_add(e, "sha256:in", "input", "data")
    db:event_add(e, "sha256:out", "output", "train")
    assert.is_nil(db:cache_lookup("RandomSplit", "key-1"))
    assert.is_true(db:execution_finish(e, "completed"))
    local hit = db:cache_lookup("RandomSplit", "key-1")
    assert.same({ execution = e, outputs = { train = "sha256:out" } }, hit)
    assert.has_error(function() db:cache_lookup("RandomSplit", "key-1", {}) end,
      "cache_lookup: argument 3 (store): expected store, got table")

    local e2 = assert(db:execution_reuse { run = "r1", step = "split-again",
      class = "RandomSplit", from = e })
    assert.same({ train = "sha256:out" }, db:outputs(e2))
    local list = db:executions("r1")
    assert.equal(2, #list)
    assert.equal("cached", list[2].status)
    assert.equal(e, list[2].cached_from)
    assert.equal("split@zenml-0.1", db:execution(e).source)
    assert.same({ "sha256:in", "sha256:out" }, db:artifact_refs())
  end)

  it("stores metrics and typed properties", function()
    new_run("r1")
    local e = db:execution_begin("r1", "eval", "Eval")
    db:metric_set("r1", nil, "accuracy", 0.9)
    db:metric_set("r1", e, "loss", 0.25)
    db:metric_set("r1", e, "loss", 0.125)
    assert.same({
      { run = "r1", name = "accuracy", value = 0.9 },
      { run = "r1", execution = e, name = "loss", value = 0.125 },
    }, db:metrics("r1"))
    db:property_set("run", "r1", "seed", 42)
    db:property_set("run", "r1", "ratio", 0.5)
    db:property_set("run", "r1", "note", "hello")
    assert.equal(42, db:property_get("run", "r1", "seed"))
    assert.is_true(math.type(db:property_get("run", "r1", "seed")) == "integer")
    assert.equal(0.5, db:property_get("run", "r1", "ratio"))
    assert.equal("hello", db:property_get("run", "r1", "note"))
    local v, err = db:property_get("run", "r1", "nope")
    assert.is_nil(v)
    assert.equal("run 'r1' has no property 'nope'", err)
  end)

  it("keeps datasources and their versions", function()
    assert.equal("integer", math.type(db:datasource_register("iris", "csv", '{"path":"iris.csv"}')))
    assert.equal("csv", db:datasource("iris").type)
    assert.same({ "iris" }, db:datasources())
    db:artifact_record("sha256:snap", "frame", 4551)
    db:version_add("iris", { id = "v1", artifact = "sha256:snap", rows = 150, columns = 5,
      bytes = 4551 })
    local v = db:version_latest("iris")
    assert.equal("v1", v.id)
    assert.equal(150, v.rows)
    assert.equal(1, #db:versions("iris"))
    local none, err = db:version_latest("nope")
    assert.is_nil(none)
    assert.equal("datasource 'nope' has no versions", err)
  end)

  it("hashes files through the stat cache", function()
    local path = dir .. "/data.csv"
    local f = assert(io.open(path, "w"))
    f:write("a,b\n1,2\n")
    f:close()
    assert.equal(zenml.hash.file(path), db:hash_file(path))
    local none, err = db:hash_file(dir .. "/missing")
    assert.is_nil(none)
    assert.equal("cannot read " .. dir .. "/missing: No such file or directory", err)
  end)

  it("hashes a file on a thread, then from the stat cache", function()
    local path = dir .. "/old.csv"
    local f = assert(io.open(path, "w"))
    f:write(string.rep("x,y\n", 100000))
    f:close()
    os.execute("touch -d '2020-01-01' '" .. path .. "'") -- older than the racy window
    local job = assert(db:hash_begin(path))
    assert.is_true(job:pending())
    assert.equal(zenml.hash.file(path), db:hash_end(job))
    assert.has_error(function() db:hash_end(job) end)
    job = assert(db:hash_begin(path))
    assert.is_false(job:pending()) -- remembered
    assert.equal(zenml.hash.file(path), db:hash_end(job))
    local none, err = db:hash_begin(dir .. "/missing")
    assert.is_nil(none)
    assert.equal("cannot read " .. dir .. "/missing: No such file or directory", err)
  end)

  it("probes a file's hash and hashes it only when started", function()
    local path = dir .. "/probed.csv"
    local f = assert(io.open(path, "w"))
    f:write(string.rep("a,b\n", 50000))
    f:close()
    os.execute("touch -d '2020-01-01' '" .. path .. "'")
    local job = assert(db:hash_probe(path))
    assert.is_true(job:pending())   -- not cached: to come
    job:start()
    job:start()                     -- started already: nothing more
    assert.equal(zenml.hash.file(path), db:hash_end(job))
    job = assert(db:hash_probe(path))
    assert.is_false(job:pending())  -- remembered by the first
    assert.equal(zenml.hash.file(path), db:hash_end(job))
    os.execute("touch -d '2020-01-02' '" .. path .. "'")
    job = assert(db:hash_probe(path))
    assert.is_true(job:pending())
    assert.equal(zenml.hash.file(path), db:hash_end(job)) -- never started: hashed here
    local none, err = db:hash_probe(dir .. "/missing")
    assert.is_nil(none)
    assert.equal("cannot read " .. dir .. "/missing: No such file or directory", err)
  end)

  it("answers the catalogue: pipelines, artifacts by id and prefix, lineage", function()
    db:pipeline_version("idle", "dag-1")
    new_run("r1")
    db:artifact_record("sha256:ab12", "frame", 5)
    db:artifact_record("sha256:ab34", "model", 6)
    local e = db:execution_begin("r1", "split", "Step", nil, "key-1")
    db:event_add(e, "sha256:ab12", "output", "train")
    db:execution_finish(e, "completed")
    local p = db:pipelines()
    assert.equal(2, #p)
    assert.same({ name = "idle", versions = 1, runs = 0 }, p[1])
    assert.equal("iris", p[2].name)
    assert.equal(1, p[2].runs)
    assert.equal("number", type(p[2].last_run))
    assert.is_true(db:pipeline_exists("idle"))
    assert.is_false(db:pipeline_exists("r1"))
    local a = db:artifact("sha256:ab34")
    assert.same({ "sha256:ab34", "model", 6 }, { a.id, a.type, a.size })
    assert.is_nil(db:artifact("sha256:ab"))
    local rows = db:artifacts_with_prefix("sha256:ab", 5)
    assert.same({ "sha256:ab12", "sha256:ab34" }, { rows[1].id, rows[2].id })
    assert.equal(1, #db:artifacts_with_prefix("sha256:ab", 1))
    assert.same({ { execution = e, run = "r1", step = "split", kind = "output", name = "train",
      status = "completed" } }, db:artifact_events("sha256:ab12"))
    assert.same({}, db:artifact_events("sha256:ab34"))
    assert.has_error(function() db:artifact_events(1) end,
      "artifact_events: argument 1 (id): expected string, got number")
  end)

  it("query runs SELECT with parameters and refuses anything else", function()
    new_run("r1")
    assert.same({ { id = "r1", n = 1 } },
      db:query("SELECT id, ? AS n FROM runs WHERE id = ?", 1, "r1"))
    assert.has_error(function() db:query("DELETE FROM runs") end,
      "query: only SELECT statements are allowed")
    assert.has_error(function() db:query("WITH x AS (SELECT 1) DELETE FROM runs") end,
      "query: only SELECT statements are allowed")
    assert.equal(1, #db:runs())
  end)

  it("rolls back a transaction", function()
    db:begin()
    new_run("gone")
    db:rollback()
    assert.is_nil(db:run("gone"))
  end)

  it("validates arguments with messages that say what was expected", function()
    assert.has_error(function() zenml.meta.open(42) end,
      "zenml.meta.open: argument 1 (url): expected string, got number")
    assert.has_error(function() db:run(nil) end, "run: argument 1 (id): expected string, got nil")
    assert.has_error(function() db:execution_finish("x", "completed") end,
      "execution_finish: argument 1 (id): expected integer, got string")
    assert.has_error(function() db:run_finish("r", "done") end)
    assert.has_error(function() db:run_begin { id = "x" } end)
  end)

  it("refuses a store it cannot read, naming the file", function()
    local bad = dir .. "/garbage.db"
    local f = assert(io.open(bad, "w"))
    f:write(string.rep("this is not a database ", 100))
    f:close()
    local none, err = zenml.meta.open("sqlite:" .. bad)
    assert.is_nil(none)
    assert.equal(bad .. ": not an SQLite database; restore it from a backup; remove it and "
      .. "run 'zenml init' to start an empty one (the artifact store is kept)", err)
    local m, e = zenml.meta.open("mysql://u:p@localhost/zenml")
    assert.is_nil(m)
    assert.equal("malformed metadata URL 'mysql://u:****@localhost/zenml': a password does not "
      .. "belong in the URL (it would be stored in the repository's config); set "
      .. "ZENML_MYSQL_PASSWORD or use an option file", e)
  end)

  it("registers model versions and moves aliases, failing with nil, message, code", function()
    new_run("r1")
    db:artifact_record("sha256:m1", "model", 1)
    assert.equals(1, db:model_register { model = "churn", run = "r1", step = "trainer",
      model_artifact = "sha256:m1", created_by = "a@b" })
    assert.equals(2, db:model_register { model = "churn", run = "r1", step = "trainer",
      model_artifact = "sha256:m1" })
    assert.same({ "churn", 2, 2 }, { db:models()[1].name, db:models()[1].versions,
      db:models()[1].latest })
    assert.same({ nil, "no model 'x'", "notfound" }, { db:model_version("x", 1) })
    assert.same({ nil, "model 'churn' has no version 3", "notfound" }, { db:model_version("churn", 3) })
    assert.equals(0, db:model_alias_set { model = "churn", alias = "production", to = 1, reason = "go" })
    assert.equals(1, db:model_alias_set { model = "churn", alias = "production", to = 2 })
    assert.same({ nil, "alias 'production' of model 'churn' already points at version 2", "exists" },
      { db:model_alias_set { model = "churn", alias = "production", to = 2 } })
    assert(db:model_deprecate("churn", 1))
    local _, _, code = db:model_alias_set { model = "churn", alias = "staging", to = 1 }
    assert.equals("invalid", code)
    assert.same({ { version = 2, alias = "production" } }, db:model_aliases("churn"))
    local h = db:model_alias_history("churn", "production")
    assert.same({ 2, "go", 1, 2 }, { #h, h[1].reason, h[2].from, h[2].to })
    assert(db:model_tag_set("churn", 2, "team", "ml"))
    assert.same({ { version = 2, key = "team", value = "ml" } }, db:model_tags("churn"))
    assert.equals(2, #db:model_versions_of_run("r1"))
    assert.has_error(function() db:model_version("churn", "1") end)
  end)

  it("raises on use after close", function()
    local other = assert(zenml.meta.open("sqlite:" .. dir .. "/metadata.db"))
    other:close()
    other:close()
    assert.has_error(function() other:runs() end, "metadata store is closed")
  end)
end)
