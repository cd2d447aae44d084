/* The metadata store: every domain function, transactions, executions and
 * the cache, two writers at once, the stat cache, crash recovery, copying
 * between stores, a lost server connection; plus timings of the hot paths.
 * Queries are in test_meta_query.c, schemas and damaged files in
 * test_meta_schema.c. */
#include "meta_fixture.h"

static void test_open_fresh(void)
{
  zm_meta *m = fresh("meta-open");
  CHECK(m != NULL);
  if (!m)
    return;
  CHECK_EQ_INT(schema_version(m), 6);
  if (server) {
    CHECK_EQ_INT(query1(m, "SELECT @@foreign_key_checks"), 1);
    CHECK_EQ_INT(query1(m, "SELECT count(*) FROM information_schema.tables WHERE table_schema"
                           " = DATABASE() AND engine = 'InnoDB'"), 17); /* 16 and zenml_schema */
  } else {
    CHECK_EQ_INT(query1(m, "PRAGMA foreign_keys"), 1);
    CHECK_EQ_INT(query1(m, "PRAGMA synchronous"), 1); /* NORMAL */
    zm_sql_conn *c = zm_meta_conn(m);
    zm_sql_stmt *s = NULL;
    CHECK_EQ_INT(c->drv->prepare(&s, c, "PRAGMA journal_mode"), 0);
    CHECK_EQ_INT(c->drv->step(s), ZM_SQL_ROW);
    CHECK_EQ_STR(c->drv->column_text(s, 0), "wal");
    c->drv->finalize(s);
  }
  zm_meta_close(m);
  /* Opening again finds the schema in place. */
  CHECK_EQ_INT(zm_meta_open(&m, url, ZM_SQL_CREATE), 0);
  zm_meta_close(m);
  zm_meta_close(NULL);
}

static void test_urls(void)
{
  zm_meta *m = NULL;
  CHECK_EQ_INT(zm_meta_open(&m, "mysql://u:p@localhost:3306/zenml", ZM_SQL_CREATE), ZM_EINVALID);
#ifdef ZM_HAVE_MARIADB
  CHECK_EQ_STR(zm_error_last(),
               "malformed metadata URL 'mysql://u:****@localhost:3306/zenml': a password does not "
               "belong in the URL (it would be stored in the repository's config); set "
               "ZENML_MYSQL_PASSWORD or use an option file");
  static const char *const bad[][2] = {
      {"mysql://localhost", "no database (expected mysql://[user@]host[:port]/database)"},
      {"mysql://u@localhost/", "no database (expected mysql://[user@]host[:port]/database)"},
      {"mysql://u@/db", "no host (expected mysql://[user@]host[:port]/database)"},
      {"mysql://u@h:99999/db", "the port is not a number from 1 to 65535"},
      {"mysql://u@h:x/db", "the port is not a number from 1 to 65535"},
      {"mariadb://u@h/db?sslca=x", "unknown option 'sslca' (expected socket, defaults-file, ssl, "
                                   "ssl-ca, ssl-capath, ssl-cert, ssl-key, ssl-cipher, ssl-crl "
                                   "or ssl-verify-server-cert)"},
      {"mysql://u@h/db?ssl=maybe", "a yes/no option takes 1, 0, true, false, on or off"},
      {"mysql://u@h/db?socket", "an option is not name=value"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char expect[400];
    CHECK(zm_meta_open(&m, bad[i][0], ZM_SQL_CREATE) == ZM_EINVALID);
    snprintf(expect, sizeof expect, "malformed metadata URL '%s': %s", bad[i][0], bad[i][1]);
    CHECK_EQ_STR(zm_error_last(), expect);
  }
#else
  CHECK_EQ_STR(zm_error_last(), "metadata driver 'mysql' is not available in this build");
#endif
  CHECK(m == NULL);
  CHECK_EQ_INT(zm_meta_open(&m, "", ZM_SQL_CREATE), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "empty metadata store URL");
  CHECK_EQ_INT(zm_meta_open(&m, "sqlite:", ZM_SQL_CREATE), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "metadata store URL 'sqlite:' names no database");
  CHECK(zm_meta_open(&m, "sqlite:/nonexistent-dir/x/metadata.db", ZM_SQL_CREATE) < 0);
  CHECK_EQ_STR(zm_error_last(), "/nonexistent-dir/x/metadata.db: unable to open database file");
}

static void test_datasources(void)
{
  zm_meta *m = fresh("meta-ds");
  int64_t id = 0, id2 = 0;
  CHECK_EQ_INT(zm_meta_datasource_register(&id, m, "iris", "csv", "{\"path\":\"a.csv\"}"), 0);
  CHECK(id > 0);
  CHECK_EQ_INT(zm_meta_datasource_register(&id2, m, "iris", "csv", "{\"path\":\"b.csv\"}"), 0);
  CHECK_EQ_INT(id2, id);
  CHECK_EQ_INT(zm_meta_datasource_register(NULL, m, "wine", "sqlite", NULL), 0);
  zm_meta_datasource *d = NULL;
  CHECK_EQ_INT(zm_meta_datasource_get(&d, m, "iris"), 0);
  CHECK_EQ_STR(d->config, "{\"path\":\"b.csv\"}");
  CHECK_EQ_STR(d->type, "csv");
  CHECK(d->created > 1e9);
  zm_meta_datasource_free(d);
  CHECK_EQ_INT(zm_meta_datasource_get(&d, m, "nope"), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "no datasource named 'nope'");
  zm_meta_strings *names = NULL;
  CHECK_EQ_INT(zm_meta_datasource_list(&names, m), 0);
  CHECK_EQ_INT(names->len, 2);
  CHECK_EQ_STR(names->items[1], "wine");
  zm_meta_strings_free(names);

  zm_meta_dsversion *v = NULL;
  CHECK_EQ_INT(zm_meta_dsversion_latest(&v, m, "iris"), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "datasource 'iris' has no versions");
  CHECK_EQ_INT(zm_meta_artifact_record(m, "sha256:aa", "frame", 10), 0);
  CHECK_EQ_INT(zm_meta_artifact_record(m, "sha256:bb", "frame", 20), 0);
  zm_meta_dsversion a = {.id = "v1", .artifact = "sha256:aa", .rows = 150, .columns = 5,
                         .bytes = 4551, .created = 100};
  zm_meta_dsversion b = {.id = "v2", .artifact = "sha256:bb", .rows = 151, .columns = 5,
                         .bytes = 4600, .created = 200};
  CHECK_EQ_INT(zm_meta_dsversion_add(m, "iris", &a), 0);
  CHECK_EQ_INT(zm_meta_dsversion_add(m, "iris", &b), 0);
  CHECK_EQ_INT(zm_meta_dsversion_add(m, "iris", &a), 0); /* same content: no-op */
  CHECK_EQ_INT(zm_meta_dsversion_add(m, "nope", &a), ZM_ENOTFOUND);
  CHECK_EQ_INT(zm_meta_dsversion_latest(&v, m, "iris"), 0);
  CHECK_EQ_STR(v->id, "v2");
  CHECK_EQ_STR(v->datasource, "iris");
  CHECK_EQ_STR(v->artifact, "sha256:bb");
  CHECK_EQ_INT(v->rows, 151);
  CHECK_EQ_INT(v->bytes, 4600);
  zm_meta_dsversion_free(v);
  zm_meta_dsversions *l = NULL;
  CHECK_EQ_INT(zm_meta_dsversion_list(&l, m, "iris"), 0);
  CHECK_EQ_INT(l->len, 2);
  CHECK_EQ_STR(l->items[1].id, "v1");
  zm_meta_dsversions_free(l);
  /* A version needs its artifact recorded first (foreign key). */
  zm_meta_dsversion c = {.id = "v3", .artifact = "sha256:missing"};
  CHECK_EQ_INT(zm_meta_dsversion_add(m, "iris", &c), ZM_EINVALID);
  zm_meta_close(m);
}

static void test_pipelines(void)
{
  zm_meta *m = fresh("meta-pipe");
  int64_t v = 0;
  CHECK_EQ_INT(zm_meta_pipeline_version(&v, m, "iris", "h1"), 0);
  CHECK_EQ_INT(v, 1);
  CHECK_EQ_INT(zm_meta_pipeline_version(&v, m, "iris", "h1"), 0);
  CHECK_EQ_INT(v, 1);
  CHECK_EQ_INT(zm_meta_pipeline_version(&v, m, "iris", "h2"), 0);
  CHECK_EQ_INT(v, 2);
  CHECK_EQ_INT(zm_meta_pipeline_version(&v, m, "wine", "h1"), 0);
  CHECK_EQ_INT(v, 1);
  CHECK_EQ_INT(zm_meta_pipeline_version(&v, m, "iris", "h1"), 0);
  CHECK_EQ_INT(v, 1);
  zm_meta_close(m);
}

static void test_runs(void)
{
  zm_meta *m = fresh("meta-runs");
  int64_t v = 0;
  zm_meta_pipeline_version(&v, m, "iris", "h1");
  zm_meta_pipeline_version(&v, m, "wine", "h1");
  zm_meta_run r = {.id = "r1", .pipeline = "iris", .pipeline_version = 1,
                   .yaml_path = "pipelines/iris_r1.yaml", .yaml_hash = "yh", .git_commit = "abc",
                   .git_branch = "main", .git_dirty = 1, .backend = "local", .started = 100};
  CHECK_EQ_INT(zm_meta_run_begin(m, &r), 0);
  CHECK_EQ_INT(zm_meta_run_begin(m, &r), ZM_EEXISTS);
  CHECK_EQ_STR(zm_error_last(), "a run with id 'r1' exists already");
  r.id = "r2", r.started = 200;
  CHECK_EQ_INT(zm_meta_run_begin(m, &r), 0);
  zm_meta_run w = {.id = "w1", .pipeline = "wine", .pipeline_version = 1, .started = 300};
  CHECK_EQ_INT(zm_meta_run_begin(m, &w), 0);
  zm_meta_run bad = {.id = "x", .pipeline = "iris", .pipeline_version = 7};
  CHECK_EQ_INT(zm_meta_run_begin(m, &bad), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "no pipeline 'iris' version 7");

  CHECK_EQ_INT(zm_meta_run_finish(m, "r1", ZM_META_COMPLETED), 0);
  CHECK_EQ_INT(zm_meta_run_finish(m, "r2", ZM_META_FAILED), 0);
  CHECK_EQ_INT(zm_meta_run_finish(m, "zz", ZM_META_FAILED), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "no run with id 'zz'");

  zm_meta_run *got = NULL;
  CHECK_EQ_INT(zm_meta_run_get(&got, m, "r1"), 0);
  CHECK_EQ_STR(got->pipeline, "iris");
  CHECK_EQ_INT(got->pipeline_version, 1);
  CHECK_EQ_STR(got->yaml_path, "pipelines/iris_r1.yaml");
  CHECK_EQ_STR(got->git_commit, "abc");
  CHECK_EQ_INT(got->git_dirty, 1);
  CHECK_EQ_INT(got->status, ZM_META_COMPLETED);
  CHECK_EQ_INT(got->pid, getpid());
  CHECK(got->host && *got->host);
  CHECK(got->ended >= got->started);
  CHECK_EQ_STR(got->backend, "local");
  zm_meta_run_free(got);

  zm_meta_runs *l = NULL;
  CHECK_EQ_INT(zm_meta_run_list(&l, m, NULL), 0);
  CHECK_EQ_INT(l->len, 3);
  CHECK_EQ_STR(l->items[0].id, "w1"); /* newest first */
  CHECK_EQ_INT(l->items[0].status, ZM_META_RUNNING);
  CHECK(l->items[0].ended == 0);
  zm_meta_runs_free(l);
  zm_meta_run_filter f = {.pipeline = "iris", .status = -1};
  CHECK_EQ_INT(zm_meta_run_list(&l, m, &f), 0);
  CHECK_EQ_INT(l->len, 2);
  zm_meta_runs_free(l);
  f.status = ZM_META_FAILED;
  CHECK_EQ_INT(zm_meta_run_list(&l, m, &f), 0);
  CHECK_EQ_INT(l->len, 1);
  CHECK_EQ_STR(l->items[0].id, "r2");
  zm_meta_runs_free(l);
  zm_meta_run_filter lim = {.status = -1, .limit = 1};
  CHECK_EQ_INT(zm_meta_run_list(&l, m, &lim), 0);
  CHECK_EQ_INT(l->len, 1);
  zm_meta_runs_free(l);
  zm_meta_close(m);
}

static void test_status_names(void)
{
  zm_meta_status s;
  CHECK_EQ_INT(zm_meta_status_parse(&s, "cached"), 0);
  CHECK_EQ_INT(s, ZM_META_CACHED);
  CHECK_EQ_STR(zm_meta_status_name(ZM_META_SKIPPED), "skipped");
  CHECK_EQ_INT(zm_meta_status_parse(&s, "done"), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(),
               "unknown status 'done' (expected running, completed, failed, cached or skipped)");
}

static void test_transactions(void)
{
  zm_meta *m = fresh("meta-tx");
  CHECK_EQ_INT(zm_meta_begin(m), 0);
  add_run(m, "gone");
  CHECK_EQ_INT(zm_meta_rollback(m), 0);
  zm_meta_run *r = NULL;
  CHECK_EQ_INT(zm_meta_run_get(&r, m, "gone"), ZM_ENOTFOUND);
  CHECK_EQ_INT(zm_meta_begin(m), 0);
  CHECK_EQ_INT(zm_meta_begin(m), 0);
  add_run(m, "kept");
  CHECK_EQ_INT(zm_meta_commit(m), 0);
  CHECK_EQ_INT(zm_meta_commit(m), 0);
  CHECK_EQ_INT(zm_meta_run_get(&r, m, "kept"), 0);
  zm_meta_run_free(r);
  CHECK_EQ_INT(zm_meta_commit(m), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "commit without a matching begin");
  zm_meta_close(m);
}

/* A statement's parameters are the `?` outside its literals and comments (MariaDB: counted before the server sees the statement, which
 * prepares and runs it in one round trip), and a bad statement's error comes
 * by its first step at the latest, on both drivers. */
static void test_statement_parameters(void)
{
  zm_meta *m = fresh("meta-params");
  zm_sql_conn *c = zm_meta_conn(m);
  zm_sql_stmt *s = NULL;
  CHECK_EQ_INT(zm_sql_prepare_bind(&s, c,
                                   "SELECT '?' || ? || 'it''s ?' /* ? */ || ? AS v"
                                   " -- ?\n",
                                   "ss", "a", "b"),
               0);
  CHECK_EQ_INT(c->drv->step(s), ZM_SQL_ROW);
  CHECK_EQ_INT(c->drv->column_count(s), 1);
  CHECK_EQ_STR(c->drv->column_name(s, 0), "v");
  CHECK_EQ_STR(c->drv->column_text(s, 0), "?ait's ?b");
  CHECK_EQ_INT(c->drv->step(s), ZM_SQL_DONE);
  c->drv->finalize(s);
  s = NULL;
  int rc = zm_sql_prepare(&s, c, "SELECT nope FROM runs");
  if (rc == 0)
    rc = c->drv->step(s);
  CHECK(rc < 0);
  CHECK(strstr(zm_error_last(), "nope") != NULL);
  if (s)
    c->drv->finalize(s);
  zm_meta_close(m);
}

static int exists_except(void *ctx, const char *id)
{
  return strcmp(id, (const char *)ctx) != 0;
}

static void test_executions_and_cache(void)
{
  zm_meta *m = fresh("meta-exec");
  add_run(m, "r1");
  int64_t e1 = 0, e2 = 0, e3 = 0;
  CHECK_EQ_INT(zm_meta_execution_begin(&e1, m, "r1", "split", "RandomSplit", "split@zenml-0.1",
                                       "key"), 0);
  CHECK_EQ_INT(zm_meta_execution_begin(&e2, m, "r1", "split2", "RandomSplit", NULL, "key"), 0);
  CHECK(e2 > e1);
  CHECK_EQ_INT(zm_meta_execution_begin(&e3, m, "nope", "s", "C", NULL, NULL), ZM_EINVALID);
  zm_meta_artifact_record(m, "sha256:in", "frame", 1);
  zm_meta_artifact_record(m, "sha256:old", "frame", 1);
  zm_meta_artifact_record(m, "sha256:new", "frame", 1);
  zm_meta_artifact_record(m, "sha256:new", "other", 99); /* ignored */
  zm_meta_artifact_record(m, "sha256:log", "log", 1);
  CHECK_EQ_INT(zm_meta_event_add(m, e1, "sha256:in", ZM_META_INPUT, "data"), 0);
  CHECK_EQ_INT(zm_meta_event_add(m, e1, "sha256:old", ZM_META_OUTPUT, "train"), 0);
  CHECK_EQ_INT(zm_meta_event_add(m, e2, "sha256:new", ZM_META_OUTPUT, "train"), 0);
  CHECK_EQ_INT(zm_meta_event_add(m, e2, "sha256:missing", ZM_META_OUTPUT, "x"), ZM_EINVALID);

  zm_meta_cache_hit *h = NULL;
  CHECK_EQ_INT(zm_meta_cache_lookup(&h, m, "RandomSplit", "key", NULL, NULL), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "no cached execution for key key");
  CHECK_EQ_INT(zm_meta_execution_finish(m, e1, ZM_META_COMPLETED, NULL, "sha256:log"), 0);
  CHECK_EQ_INT(zm_meta_execution_finish(m, e2, ZM_META_COMPLETED, NULL, NULL), 0);
  CHECK_EQ_INT(zm_meta_execution_finish(m, 999, ZM_META_COMPLETED, NULL, NULL), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "no execution with id 999");

  CHECK_EQ_INT(zm_meta_cache_lookup(&h, m, "RandomSplit", "key", NULL, NULL), 0);
  CHECK_EQ_INT(h->execution, e2); /* the latest */
  CHECK_EQ_INT(h->len, 1);
  CHECK_EQ_STR(h->outputs[0].artifact, "sha256:new");
  zm_meta_cache_hit_free(h);
  /* The newest one's output was collected: fall back to the older one. */
  CHECK_EQ_INT(zm_meta_cache_lookup(&h, m, "RandomSplit", "key", exists_except, "sha256:new"), 0);
  CHECK_EQ_INT(h->execution, e1);
  CHECK_EQ_STR(h->outputs[0].name, "train");
  CHECK_EQ_STR(h->outputs[0].artifact, "sha256:old");
  zm_meta_cache_hit_free(h);
  CHECK_EQ_INT(zm_meta_cache_lookup(&h, m, "OtherClass", "key", NULL, NULL), ZM_ENOTFOUND);

  /* A cached execution points at its source and carries its outputs. */
  add_run(m, "r2");
  int64_t e4 = 0;
  zm_meta_reuse reuse = {.run_id = "r2", .step = "split", .class_name = "RandomSplit",
                         .cache_key = "key", .from = e2};
  CHECK_EQ_INT(zm_meta_metric_set(m, "r1", e2, "rows", 42), 0);
  CHECK_EQ_INT(zm_meta_execution_reuse(&e4, m, &reuse), 0);
  reuse.from = 999;
  int64_t none = 0;
  CHECK_EQ_INT(zm_meta_execution_reuse(&none, m, &reuse), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "no execution with id 999");
  zm_meta_execution *e = NULL;
  CHECK_EQ_INT(zm_meta_execution_get(&e, m, e4), 0);
  CHECK_EQ_INT(e->status, ZM_META_CACHED);
  CHECK_EQ_INT(e->cached_from, e2);
  CHECK_EQ_STR(e->run_id, "r2");
  zm_meta_execution_free(e);
  CHECK_EQ_INT(zm_meta_outputs(&h, m, e4), 0);
  CHECK_EQ_INT(h->len, 1);
  CHECK_EQ_STR(h->outputs[0].artifact, "sha256:new");
  zm_meta_cache_hit_free(h);
  zm_meta_metrics *ml = NULL;
  CHECK_EQ_INT(zm_meta_metric_list(&ml, m, "r2"), 0);
  CHECK(ml && ml->len == 1 && ml->items[0].execution == e4 && ml->items[0].value == 42);
  zm_meta_metrics_free(ml);
  /* Still e2: a cached execution is not itself a cache source. */
  CHECK_EQ_INT(zm_meta_cache_lookup(&h, m, "RandomSplit", "key", NULL, NULL), 0);
  CHECK_EQ_INT(h->execution, e2);
  zm_meta_cache_hit_free(h);

  CHECK_EQ_INT(zm_meta_execution_finish(m, e1, ZM_META_FAILED, "boom", NULL), 0);
  zm_meta_executions *l = NULL;
  CHECK_EQ_INT(zm_meta_execution_list(&l, m, "r1"), 0);
  CHECK_EQ_INT(l->len, 2);
  CHECK_EQ_STR(l->items[0].step, "split");
  CHECK_EQ_STR(l->items[0].class_name, "RandomSplit");
  CHECK_EQ_STR(l->items[0].source, "split@zenml-0.1");
  CHECK_EQ_STR(l->items[0].error, "boom");
  CHECK_EQ_INT(l->items[0].status, ZM_META_FAILED);
  CHECK(l->items[1].source == NULL);
  zm_meta_executions_free(l);

  zm_meta_strings *refs = NULL;
  CHECK_EQ_INT(zm_meta_artifact_refs(&refs, m), 0);
  /* e1 failed: what it read and wrote is no longer needed; sha256:log is
   * recorded but named by no event, so it stays */
  CHECK_EQ_INT(refs->len, 2);
  CHECK_EQ_STR(refs->items[0], "sha256:log");
  CHECK_EQ_STR(refs->items[1], "sha256:new");
  zm_meta_strings_free(refs);

  /* sha256:new is lost: e2 made it and e4 reused e2, both become invalid,
   * the cache has nothing for the key, and the metadata no longer needs it */
  int64_t changed = 0;
  CHECK_EQ_INT(zm_meta_artifact_lost(&changed, m, "sha256:new", "lost in a test"), 0);
  CHECK_EQ_INT(changed, 2);
  CHECK_EQ_INT(zm_meta_execution_get(&e, m, e4), 0);
  CHECK_EQ_INT(e->status, ZM_META_INVALID);
  CHECK_EQ_STR(e->error, "lost in a test");
  zm_meta_execution_free(e);
  h = NULL;
  CHECK_EQ_INT(zm_meta_cache_lookup(&h, m, "RandomSplit", "key", NULL, NULL), ZM_ENOTFOUND);
  zm_meta_cache_hit_free(h);
  CHECK_EQ_INT(zm_meta_artifact_lost(&changed, m, "sha256:new", "again"), 0);
  CHECK_EQ_INT(changed, 0);
  CHECK_EQ_INT(zm_meta_artifact_refs(&refs, m), 0);
  CHECK_EQ_INT(refs->len, 1);
  CHECK_EQ_STR(refs->items[0], "sha256:log");
  zm_meta_strings_free(refs);
  zm_meta_close(m);
}


static void test_metrics_properties(void)
{
  zm_meta *m = fresh("meta-metrics");
  add_run(m, "r1");
  int64_t e = 0;
  zm_meta_execution_begin(&e, m, "r1", "eval", "Eval", NULL, NULL);
  CHECK_EQ_INT(zm_meta_metric_set(m, "r1", 0, "accuracy", 0.5), 0);
  CHECK_EQ_INT(zm_meta_metric_set(m, "r1", 0, "accuracy", 0.9), 0);
  CHECK_EQ_INT(zm_meta_metric_set(m, "r1", e, "accuracy", 0.8), 0);
  CHECK_EQ_INT(zm_meta_metric_set(m, "r1", e, "loss", 0.1), 0);
  CHECK_EQ_INT(zm_meta_metric_set(m, "r1", e, "loss", 0.2), 0);
  CHECK_EQ_INT(zm_meta_metric_set(m, "nope", 0, "loss", 0.2), ZM_EINVALID);
  zm_meta_metrics *l = NULL;
  CHECK_EQ_INT(zm_meta_metric_list(&l, m, "r1"), 0);
  CHECK_EQ_INT(l->len, 3);
  CHECK_EQ_STR(l->items[0].name, "accuracy");
  CHECK_EQ_INT(l->items[0].execution, 0);
  CHECK(l->items[0].value == 0.9);
  CHECK_EQ_INT(l->items[1].execution, e);
  CHECK(l->items[2].value == 0.2);
  zm_meta_metrics_free(l);

  zm_meta_value v = {.type = ZM_META_INT, .i = 42};
  CHECK_EQ_INT(zm_meta_property_set(m, "run", "r1", "seed", &v), 0);
  v = (zm_meta_value){.type = ZM_META_DOUBLE, .d = 0.7};
  CHECK_EQ_INT(zm_meta_property_set(m, "run", "r1", "ratio", &v), 0);
  v = (zm_meta_value){.type = ZM_META_TEXT, .s = "hello"};
  CHECK_EQ_INT(zm_meta_property_set(m, "artifact", "sha256:x", "note", &v), 0);
  v = (zm_meta_value){.type = ZM_META_TEXT, .s = "changed"};
  CHECK_EQ_INT(zm_meta_property_set(m, "artifact", "sha256:x", "note", &v), 0);
  zm_meta_value got;
  CHECK_EQ_INT(zm_meta_property_get(&got, m, "run", "r1", "seed"), 0);
  CHECK_EQ_INT(got.type, ZM_META_INT);
  CHECK_EQ_INT(got.i, 42);
  CHECK_EQ_INT(zm_meta_property_get(&got, m, "run", "r1", "ratio"), 0);
  CHECK_EQ_INT(got.type, ZM_META_DOUBLE);
  CHECK(got.d == 0.7);
  CHECK_EQ_INT(zm_meta_property_get(&got, m, "artifact", "sha256:x", "note"), 0);
  CHECK_EQ_INT(got.type, ZM_META_TEXT);
  CHECK_EQ_STR(got.s, "changed");
  zm_meta_value_clear(&got);
  CHECK_EQ_INT(zm_meta_property_get(&got, m, "run", "r1", "nope"), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "run 'r1' has no property 'nope'");
  zm_meta_close(m);
}

/* Two processes insert runs at once; both finish and no insert is lost. */
static void test_two_writers(void)
{
  enum { N = 200 };
  zm_meta *m = fresh("meta-conc");
  int64_t v = 0;
  zm_meta_pipeline_version(&v, m, "p", "h");
  zm_meta_close(m);
  pid_t kids[2];
  for (int k = 0; k < 2; k++) {
    kids[k] = fork();
    if (kids[k] == 0) {
      zm_meta *c = NULL;
      int rc = zm_meta_open(&c, url, ZM_SQL_CREATE);
      for (int i = 0; rc == 0 && i < N; i++) {
        char id[32];
        snprintf(id, sizeof id, "k%d-%d", k, i);
        zm_meta_run r = {.id = id, .pipeline = "p", .pipeline_version = 1};
        rc = zm_meta_run_begin(c, &r);
        int64_t e = 0;
        if (rc == 0)
          rc = zm_meta_execution_begin(&e, c, id, "s", "C", NULL, NULL);
      }
      if (rc < 0)
        fprintf(stderr, "writer %d: %s\n", k, zm_error_last());
      zm_meta_close(c);
      _exit(rc < 0 ? 1 : 0);
    }
  }
  for (int k = 0; k < 2; k++) {
    int status = 0;
    waitpid(kids[k], &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  CHECK_EQ_INT(zm_meta_open(&m, url, ZM_SQL_CREATE), 0);
  CHECK_EQ_INT(query1(m, "SELECT count(*) FROM runs"), 2 * N);
  CHECK_EQ_INT(query1(m, "SELECT count(*) FROM executions"), 2 * N);
  zm_meta_close(m);
}

/* The POSIX locks this process holds on the file with inode `ino` (from /proc/locks). */
static int own_locks(ino_t ino)
{
  FILE *f = fopen("/proc/locks", "r");
  char line[256];
  int n = 0;
  while (f && fgets(line, sizeof line, f)) {
    long pid;
    unsigned long long inode;
    if (sscanf(line, "%*s POSIX %*s %*s %ld %*x:%*x:%llu", &pid, &inode) == 2 &&
        pid == (long)getpid() && inode == (unsigned long long)ino)
      n++;
  }
  if (f)
    fclose(f);
  return n;
}

/* A second connection in the process must not drop the first one's locks:
 * closing any descriptor of a file drops every POSIX lock the process holds
 * on it, and opening checks the file's header. Were the shared lock each
 * open connection holds on the database dropped, another process closing its
 * connection would take itself for the last one and delete the -wal and -shm
 * files under everyone else ("disk I/O error", "file is not a database"). */
static void test_second_connection_keeps_locks(void)
{
  zm_meta *a = fresh("meta-locks"), *b = NULL;
  int64_t v = 0;
  CHECK_EQ_INT(zm_meta_pipeline_version(&v, a, "p", "h"), 0);
  struct stat st;
  CHECK_EQ_INT(stat(path, &st), 0);
  int held = own_locks(st.st_ino);
  CHECK(held > 0);
  CHECK_EQ_INT(zm_meta_open(&b, url, ZM_SQL_WRITE), 0);
  CHECK_EQ_INT(own_locks(st.st_ino), held);
  zm_meta_close(b);
  CHECK_EQ_INT(own_locks(st.st_ino), held);
  zm_meta_close(a);
}

static void set_mtime(const char *file, time_t sec, long nsec)
{
  struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};
  CHECK_EQ_INT(utimensat(AT_FDCWD, file, ts, 0), 0);
}

static void test_stat_cache(void)
{
  zm_meta *m = fresh("meta-stat");
  char file[4300], h1[65], h2[65], h3[65], direct[65];
  if (server)
    snprintf(file, sizeof file, "%s/file.data", check_tmpdir("meta-stat-file"));
  else
    snprintf(file, sizeof file, "%s.data", path);
  CHECK_EQ_INT(zm_fs_write_atomic(file, "first content", 13, 0644), 0);
  time_t past = time(NULL) - 100;
  set_mtime(file, past, 123456789);
  CHECK_EQ_INT(zm_meta_hash_file(h1, m, file), 0);
  CHECK_EQ_INT(zm_hash_file(direct, file), 0);
  CHECK_EQ_STR(h1, direct);
  /* Same size, same mtime, same inode, other bytes: the cache answers,
   * which proves the file was not read. */
  int fd = open(file, O_WRONLY);
  CHECK(fd >= 0);
  CHECK_EQ_INT(pwrite(fd, "FIRST", 5, 0), 5);
  close(fd);
  set_mtime(file, past, 123456789);
  CHECK_EQ_INT(zm_meta_hash_file(h2, m, file), 0);
  CHECK_EQ_STR(h2, h1);
  /* A new mtime forces a re-hash. */
  set_mtime(file, past, 987654321);
  CHECK_EQ_INT(zm_meta_hash_file(h3, m, file), 0);
  CHECK_EQ_INT(zm_hash_file(direct, file), 0);
  CHECK_EQ_STR(h3, direct);
  CHECK(strcmp(h3, h1) != 0);
  /* A file modified just now is hashed but not remembered. */
  struct stat st;
  CHECK_EQ_INT(zm_fs_write_atomic(file, "racy", 4, 0644), 0);
  CHECK_EQ_INT(zm_meta_hash_file(h1, m, file), 0);
  stat(file, &st);
  CHECK_EQ_INT(zm_meta_stat_get(h2, m, (int64_t)st.st_dev, (int64_t)st.st_ino, st.st_size,
                                (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec),
               ZM_ENOTFOUND);
  CHECK_EQ_INT(zm_meta_hash_file(h1, m, "/nonexistent/file"), ZM_EIO);
  CHECK_EQ_STR(zm_error_last(), "cannot read /nonexistent/file: No such file or directory");
  /* a device would never end: refused before reading */
  CHECK_EQ_INT(zm_meta_hash_file(h1, m, "/dev/zero"), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "/dev/zero: not a regular file");
  zm_meta_close(m);
}

static void test_recover(void)
{
  zm_meta *m = fresh("meta-recover");
  pid_t dead = fork();
  if (dead == 0)
    _exit(0);
  waitpid(dead, NULL, 0);
  int64_t v = 0;
  zm_meta_pipeline_version(&v, m, "p", "h");
  zm_meta_run crashed = {.id = "crashed", .pipeline = "p", .pipeline_version = 1, .pid = dead};
  zm_meta_run alive = {.id = "alive", .pipeline = "p", .pipeline_version = 1};
  zm_meta_run other = {.id = "elsewhere", .pipeline = "p", .pipeline_version = 1, .pid = dead,
                       .host = "some-other-host"};
  CHECK_EQ_INT(zm_meta_run_begin(m, &crashed), 0);
  CHECK_EQ_INT(zm_meta_run_begin(m, &alive), 0);
  CHECK_EQ_INT(zm_meta_run_begin(m, &other), 0);
  int64_t e = 0;
  zm_meta_execution_begin(&e, m, "crashed", "train", "Trainer", NULL, NULL);
  int n = -1;
  CHECK_EQ_INT(zm_meta_recover(&n, m), 0);
  CHECK_EQ_INT(n, 1);
  zm_meta_run *r = NULL;
  CHECK_EQ_INT(zm_meta_run_get(&r, m, "crashed"), 0);
  CHECK_EQ_INT(r->status, ZM_META_FAILED);
  CHECK(r->ended > 0);
  zm_meta_run_free(r);
  zm_meta_run_get(&r, m, "alive");
  CHECK_EQ_INT(r->status, ZM_META_RUNNING);
  zm_meta_run_free(r);
  zm_meta_run_get(&r, m, "elsewhere");
  CHECK_EQ_INT(r->status, ZM_META_RUNNING);
  zm_meta_run_free(r);
  zm_meta_execution *x = NULL;
  CHECK_EQ_INT(zm_meta_execution_get(&x, m, e), 0);
  CHECK_EQ_INT(x->status, ZM_META_FAILED);
  char expect[128];
  snprintf(expect, sizeof expect, "the run's process (pid %d) died", (int)dead);
  CHECK_EQ_STR(x->error, expect);
  zm_meta_execution_free(x);
  CHECK_EQ_INT(zm_meta_recover(&n, m), 0);
  CHECK_EQ_INT(n, 0);
  zm_meta_close(m);
}

/* --- on a server only: lost connections -------------------------------- */

/* The first column of the one row `sql` gives on a connection of its own. */
static long long server_query1(const char *u, const char *sql)
{
  zm_sql_conn *c = NULL;
  zm_sql_stmt *s = NULL;
  long long v = -1;
  if (zm_sql_open(&c, u, ZM_SQL_WRITE) == 0 && c->drv->prepare(&s, c, sql) == 0) {
    if (c->drv->step(s) == ZM_SQL_ROW)
      v = c->drv->column_int64(s, 0);
    c->drv->finalize(s);
  }
  zm_sql_close(c);
  return v;
}

/* Kill the server connection (not `skip`) running a statement that starts
 * with `info`, waiting up to 10 s for one to show; its id, or 0. */
static long long kill_running(const char *info, long long skip)
{
  char sql[300];
  snprintf(sql, sizeof sql, "SELECT id FROM information_schema.processlist WHERE info LIKE '%s%%'"
                            " AND id <> CONNECTION_ID() AND id <> %lld", info, skip);
  for (int i = 0; i < 1000; i++) {
    long long id = server_query1(url, sql);
    if (id > 0) {
      char kill[64];
      snprintf(kill, sizeof kill, "KILL CONNECTION %lld", id);
      return raw_sql(kill) == 0 ? id : 0;
    }
    usleep(10000);
  }
  return 0;
}

static char thread_error[600];

static void *finish_run(void *arg)
{
  intptr_t rc = zm_meta_run_finish(arg, "r1", ZM_META_COMPLETED);
  snprintf(thread_error, sizeof thread_error, "%s", rc < 0 ? zm_error_last() : "");
  return (void *)rc;
}

static void kill_own(zm_meta *m)
{
  char sql[64];
  snprintf(sql, sizeof sql, "KILL CONNECTION %lld", query1(m, "SELECT CONNECTION_ID()"));
  CHECK_EQ_INT(raw_sql(sql), 0);
}

/* A connection killed between transactions is made again unnoticed; one
 * killed inside a transaction of the store's own runs the transaction again
 * on a new connection (once); one inside a caller's transaction fails it,
 * saying it was rolled back. */
static void test_lost_connection(void)
{
  zm_meta *m = fresh("meta-lost");
  add_run(m, "r1");
  add_run(m, "r2");
  kill_own(m);
  zm_meta_run *r = NULL;
  CHECK_EQ_INT(zm_meta_run_get(&r, m, "r1"), 0); /* a read outside a transaction */
  zm_meta_run_free(r);
  kill_own(m);
  CHECK_EQ_INT(zm_meta_run_finish(m, "r2", ZM_META_FAILED), 0); /* begin reconnects */

  /* Another client holds r1's row, so the store's UPDATE waits inside its
   * transaction, where it is killed. */
  zm_sql_conn *other = NULL;
  CHECK_EQ_INT(zm_sql_open(&other, url, ZM_SQL_WRITE), 0);
  if (!other)
    return;
  CHECK_EQ_INT(other->drv->exec(other, "START TRANSACTION;\n"
                                       "SELECT * FROM runs WHERE id = 'r1' FOR UPDATE"), 0);
  pthread_t t;
  void *res = NULL;
  /* killed in both attempts: no third, and the error says what happened */
  pthread_create(&t, NULL, finish_run, m);
  long long first = kill_running("UPDATE runs SET status", 0);
  CHECK(first > 0);
  CHECK(kill_running("UPDATE runs SET status", first) > 0);
  pthread_join(t, &res);
  CHECK((intptr_t)res < 0);
  const char *tail = "(the transaction was rolled back)";
  CHECK(strlen(thread_error) > strlen(tail) &&
        strcmp(thread_error + strlen(thread_error) - strlen(tail), tail) == 0);
  /* killed once: the second attempt goes through when the row is free */
  pthread_create(&t, NULL, finish_run, m);
  CHECK(kill_running("UPDATE runs SET status", 0) > 0);
  usleep(200000);
  CHECK_EQ_INT(other->drv->exec(other, "COMMIT"), 0);
  pthread_join(t, &res);
  CHECK_EQ_INT((intptr_t)res, 0);
  CHECK_EQ_INT(zm_meta_run_get(&r, m, "r1"), 0);
  CHECK_EQ_INT(r ? (int)r->status : -1, ZM_META_COMPLETED);
  zm_meta_run_free(r);
  zm_sql_close(other);

  /* inside the caller's transaction: reported, not run again */
  CHECK_EQ_INT(zm_meta_begin(m), 0);
  CHECK_EQ_INT(zm_meta_metric_set(m, "r1", 0, "loss", 0.5), 0);
  kill_own(m);
  CHECK_EQ_INT(zm_meta_tx_lost(m), 0);
  CHECK(zm_meta_metric_set(m, "r1", 0, "acc", 0.9) < 0);
  CHECK(strstr(zm_error_last(), "(the transaction was rolled back)") != NULL);
  CHECK_EQ_INT(zm_meta_tx_lost(m), 1); /* the caller may run it again */
  zm_meta_rollback(m);
  CHECK_EQ_INT(zm_meta_begin(m), 0);
  CHECK_EQ_INT(zm_meta_tx_lost(m), 0);
  CHECK_EQ_INT(zm_meta_commit(m), 0);
  zm_meta_metrics *l = NULL;
  CHECK_EQ_INT(zm_meta_metric_list(&l, m, "r1"), 0);
  CHECK_EQ_INT(l ? (long long)l->len : -1, 0);
  zm_meta_metrics_free(l);
  zm_meta_close(m);
}

/* Every row into an empty store, ids and all: the copy answers as its
 * source did. A store with rows is refused, and keeps what it had. */
static void test_copy(void)
{
  zm_meta *src = fresh("meta-copy-src");
  add_run(src, "r1");
  int64_t e = 0, e2 = 0;
  CHECK_EQ_INT(zm_meta_artifact_record(src, "sha256:a", "frame", 10), 0);
  CHECK_EQ_INT(zm_meta_execution_begin(&e, src, "r1", "s", "C", "src@1", "k1"), 0);
  CHECK_EQ_INT(zm_meta_event_add(src, e, "sha256:a", ZM_META_OUTPUT, "out"), 0);
  CHECK_EQ_INT(zm_meta_execution_finish(src, e, ZM_META_COMPLETED, NULL, NULL), 0);
  zm_meta_reuse reuse = {.run_id = "r1", .step = "t", .class_name = "C", .cache_key = "k1",
                         .from = e};
  CHECK_EQ_INT(zm_meta_execution_reuse(&e2, src, &reuse), 0);
  CHECK_EQ_INT(zm_meta_metric_set(src, "r1", e, "loss", 0.25), 0);
  zm_meta_value v = {.type = ZM_META_TEXT, .s = "t\xc3\xa9xt"};
  CHECK_EQ_INT(zm_meta_property_set(src, "run", "r1", "note", &v), 0);
  CHECK_EQ_INT(zm_meta_datasource_register(NULL, src, "iris", "csv", "{}"), 0);
  zm_meta_dsversion dv = {.id = "v1", .artifact = "sha256:a", .rows = 3, .columns = 2};
  CHECK_EQ_INT(zm_meta_dsversion_add(src, "iris", &dv), 0);
  char src_url[8800];
  snprintf(src_url, sizeof src_url, "%s", url);
  zm_meta *dst = fresh("meta-copy-dst");
  CHECK_EQ_INT(zm_meta_copy(dst, src), 0);
  zm_meta_info a, b;
  CHECK_EQ_INT(zm_meta_info_get(&a, src), 0);
  CHECK_EQ_INT(zm_meta_info_get(&b, dst), 0);
  for (int i = 0; i < ZM_META_TABLES; i++)
    CHECK_EQ_INT(b.tables[i].rows, a.tables[i].rows);
  CHECK_EQ_INT(a.tables[5].rows, 2); /* executions */
  zm_meta_cache_hit *h = NULL;
  CHECK_EQ_INT(zm_meta_outputs(&h, dst, e2), 0);
  CHECK_EQ_INT(h ? (long long)h->len : -1, 1);
  if (h && h->len)
    CHECK_EQ_STR(h->outputs[0].artifact, "sha256:a");
  zm_meta_cache_hit_free(h);
  zm_meta_value got = {0};
  CHECK_EQ_INT(zm_meta_property_get(&got, dst, "run", "r1", "note"), 0);
  CHECK_EQ_STR(got.s, "t\xc3\xa9xt");
  zm_meta_value_clear(&got);
  /* new rows number on after the copied ids */
  int64_t e3 = 0;
  CHECK_EQ_INT(zm_meta_execution_begin(&e3, dst, "r1", "u", "C", NULL, NULL), 0);
  CHECK(e3 > e2);
  /* into a store with rows: refused, nothing added */
  CHECK_EQ_INT(zm_meta_copy(dst, src), ZM_EEXISTS);
  CHECK_EQ_STR(zm_error_last(), "the destination store is not empty (datasources has 1 rows): "
                                "migrate into an empty database");
  CHECK_EQ_INT(zm_meta_info_get(&b, dst), 0);
  CHECK_EQ_INT(b.tables[5].rows, 3);
  CHECK_EQ_STR(zm_meta_driver(dst), server ? "mysql" : "sqlite");
  zm_meta_close(dst);
  zm_meta_close(src);
  (void)src_url;
}

/* The scheduler's hot paths, each begin and finish its own transaction. */
static void test_timings(void)
{
  zm_meta *m = fresh("meta-bench");
  add_run(m, "r");
  zm_meta_artifact_record(m, "sha256:out", "frame", 1);
  char key[32];
  static int64_t ids[500];
  double t0 = now_s();
  for (int i = 0; i < 500; i++) {
    snprintf(key, sizeof key, "key-%d", i);
    CHECK_EQ_INT(zm_meta_execution_begin(&ids[i], m, "r", "step", "Step", NULL, key), 0);
    CHECK_EQ_INT(zm_meta_execution_finish(m, ids[i], ZM_META_COMPLETED, NULL, NULL), 0);
  }
  double t1 = now_s();
  for (int i = 0; i < 500; i++)
    zm_meta_event_add(m, ids[i], "sha256:out", ZM_META_OUTPUT, "out");
  double t1b = now_s();
  int hits = 0;
  for (int i = 0; i < 500; i++) {
    zm_meta_cache_hit *h = NULL;
    snprintf(key, sizeof key, "key-%d", i);
    hits += zm_meta_cache_lookup(&h, m, "Step", key, NULL, NULL) == 0 && h->len == 1;
    zm_meta_cache_hit_free(h);
  }
  double t2 = now_s();
  CHECK_EQ_INT(hits, 500);
  printf("timing: 500 execution begin+finish pairs (a transaction each): %.1f ms\n",
         (t1 - t0) * 1e3);
  printf("timing: 500 output events (a transaction each): %.1f ms\n", (t1b - t1) * 1e3);
  printf("timing: 500 cache lookups (one output each): %.1f ms\n", (t2 - t1b) * 1e3);
  zm_meta_close(m);
}

int main(void)
{
  fixture_init();
  RUN(test_open_fresh);
  RUN(test_urls);
  RUN(test_status_names);
  RUN(test_datasources);
  RUN(test_pipelines);
  RUN(test_runs);
  RUN(test_transactions);
  RUN(test_statement_parameters);
  RUN(test_executions_and_cache);
  RUN(test_metrics_properties);
  RUN(test_two_writers);
  SQLITE_ONLY(test_second_connection_keeps_locks);
  RUN(test_stat_cache);
  RUN(test_recover);
  RUN(test_copy);
  if (server)
    RUN(test_lost_connection);
  RUN(test_timings);
  return CHECK_DONE();
}
