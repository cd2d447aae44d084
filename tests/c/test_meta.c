/* The metadata store: every domain function, schema creation and migration,
 * refusal of newer, garbage and truncated databases, two writers at once,
 * the stat cache and crash recovery; plus timings of the hot paths. */
#include "check.h"
#include "core/error.h"
#include "core/fs.h"
#include "hash/hash.h"
#include "meta/meta.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

static char url[8800];
static char path[4200];
/* ZM_TEST_META_URL (mysql://user@host:port/db) runs every test on that
 * server instead, each in a database of its own made from the URL's. */
static const char *server;

/* `server`'s URL with database `db` in place of its own. */
static void server_url(char *out, size_t cap, const char *db)
{
  const char *slash = strchr(strstr(server, "://") + 3, '/');
  const char *q = strchr(slash, '?');
  snprintf(out, cap, "%.*s/%s%s", (int)(slash - server), server, db, q ? q : "");
}

/* Run SQL on the store `url` names, bypassing zenml's schema handling. */
static int raw_sql(const char *sql)
{
  zm_sql_conn *c = NULL;
  int rc = zm_sql_open(&c, url, ZM_SQL_CREATE);
  if (rc == 0)
    rc = c->drv->exec(c, sql);
  if (rc < 0)
    fprintf(stderr, "raw_sql: %s\n", zm_error_last());
  zm_sql_close(c);
  return rc;
}

/* An empty store for one test: a file in a scratch folder, or a database of
 * its own on the server (dropped and made again). */
static void make_empty(const char *name)
{
  if (!server) {
    snprintf(path, sizeof path, "%s/metadata.db", check_tmpdir(name));
    snprintf(url, sizeof url, "sqlite:%s", path);
    return;
  }
  char db[80], sql[240];
  snprintf(db, sizeof db, "zenml_t_%s", name);
  for (char *p = db; *p; p++)
    *p = *p == '-' ? '_' : *p;
  snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s;\nCREATE DATABASE %s", db, db);
  snprintf(url, sizeof url, "%s", server);
  CHECK_EQ_INT(raw_sql(sql), 0);
  server_url(url, sizeof url, db);
  snprintf(path, sizeof path, "%.4000s", url);
}

/* A fresh store; `path` and `url` name it. */
static zm_meta *fresh(const char *name)
{
  make_empty(name);
  zm_meta *m = NULL;
  int rc = zm_meta_open(&m, url, ZM_SQL_CREATE);
  if (rc < 0)
    fprintf(stderr, "open: %s\n", zm_error_last());
  return m;
}

/* How errors name the store: its file, or its URL without options. */
static const char *store_name(void)
{
  static char name[4200];
  snprintf(name, sizeof name, "%.*s", (int)strcspn(path, "?"), path);
  return name;
}

/* Run SQL on a database file directly, bypassing the store. */
static int raw_exec(const char *file, const char *sql)
{
  sqlite3 *db = NULL;
  int rc = sqlite3_open(file, &db);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    fprintf(stderr, "raw_exec: %s\n", sqlite3_errmsg(db));
  sqlite3_close(db);
  return rc;
}

/* The first column of the first row of `sql` as an integer (-1 if none). */
static long long query1(zm_meta *m, const char *sql)
{
  zm_sql_conn *c = zm_meta_conn(m);
  zm_sql_stmt *s = NULL;
  long long v = -1;
  if (c->drv->prepare(&s, c, sql) < 0)
    return -2;
  if (c->drv->step(s) == ZM_SQL_ROW)
    v = c->drv->column_int64(s, 0);
  c->drv->finalize(s);
  return v;
}

/* The schema version where the driver keeps it. */
static int schema_version(zm_meta *m)
{
  zm_sql_conn *c = zm_meta_conn(m);
  int v = -1;
  return c->drv->get_version(c, &v) == 0 ? v : -2;
}

/* A test of SQLite's files only, said so when running on a server. */
#define SQLITE_ONLY(test)                                               \
  do {                                                                  \
    if (server)                                                         \
      printf("n/a  %s (SQLite files only)\n", #test);                   \
    else                                                                \
      RUN(test);                                                        \
  } while (0)

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A pipeline and a run to hang executions on. */
static void add_run(zm_meta *m, const char *id)
{
  int64_t version = 0;
  CHECK_EQ_INT(zm_meta_pipeline_version(&version, m, "p", "dag-1"), 0);
  zm_meta_run r = {.id = (char *)id, .pipeline = "p", .pipeline_version = version};
  CHECK_EQ_INT(zm_meta_run_begin(m, &r), 0);
}

static void test_open_fresh(void)
{
  zm_meta *m = fresh("meta-open");
  CHECK(m != NULL);
  if (!m)
    return;
  CHECK_EQ_INT(schema_version(m), 4);
  if (server) {
    CHECK_EQ_INT(query1(m, "SELECT @@foreign_key_checks"), 1);
    CHECK_EQ_INT(query1(m, "SELECT count(*) FROM information_schema.tables WHERE table_schema"
                           " = DATABASE() AND engine = 'InnoDB'"), 12); /* 11 and zenml_schema */
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

/* A run of pipeline `pipeline` started at `started`. */
static void add_run_of(zm_meta *m, const char *id, const char *pipeline, double started)
{
  int64_t version = 0;
  CHECK_EQ_INT(zm_meta_pipeline_version(&version, m, pipeline, "dag"), 0);
  zm_meta_run r = {.id = (char *)id, .pipeline = (char *)pipeline, .pipeline_version = version,
                   .started = started};
  CHECK_EQ_INT(zm_meta_run_begin(m, &r), 0);
}

/* A completed execution of `step` in `run` with one output. */
static int64_t add_exec(zm_meta *m, const char *run, const char *step, const char *output,
                        const char *artifact)
{
  int64_t e = 0;
  CHECK_EQ_INT(zm_meta_execution_begin(&e, m, run, step, "C", NULL, "k"), 0);
  zm_meta_artifact_record(m, artifact, "model", 1);
  CHECK_EQ_INT(zm_meta_event_add(m, e, artifact, ZM_META_OUTPUT, output), 0);
  CHECK_EQ_INT(zm_meta_execution_finish(m, e, ZM_META_COMPLETED, NULL, NULL), 0);
  return e;
}

static void test_lineage_queries(void)
{
  zm_meta *m = fresh("meta-lineage");
  const zm_meta_step_output model[] = {{"trainer", "model"}, {"preprocesser", "transform"}};
  char *id = NULL;
  CHECK_EQ_INT(zm_meta_run_latest_with(&id, m, model, 2, NULL, NULL), ZM_ENOTFOUND);
  CHECK_EQ_INT(zm_meta_run_latest_with(&id, m, model, 0, NULL, NULL), ZM_EINVALID);
  add_run_of(m, "t1", "train", 100);
  int64_t t1_trainer = add_exec(m, "t1", "trainer", "model", "sha256:m1");
  int64_t t1_pre = add_exec(m, "t1", "preprocesser", "transform", "sha256:x1");
  /* running: not a candidate yet */
  CHECK_EQ_INT(zm_meta_run_latest_with(&id, m, model, 2, NULL, NULL), ZM_ENOTFOUND);
  CHECK_EQ_INT(zm_meta_run_finish(m, "t1", ZM_META_COMPLETED), 0);
  add_run_of(m, "s1", "score", 200); /* a later run without a model */
  add_exec(m, "s1", "model", "model", "sha256:m1");
  CHECK_EQ_INT(zm_meta_run_finish(m, "s1", ZM_META_COMPLETED), 0);
  CHECK_EQ_INT(zm_meta_run_latest_with(&id, m, model, 2, NULL, NULL), 0);
  CHECK_EQ_STR(id, "t1");
  free(id);
  /* a training run whose steps were cache hits has the model too */
  add_run_of(m, "t2", "train", 300);
  int64_t hit = 0;
  zm_meta_reuse r = {.run_id = "t2", .step = "trainer", .class_name = "C", .from = t1_trainer};
  CHECK_EQ_INT(zm_meta_execution_reuse(&hit, m, &r), 0);
  int64_t trainer_hit = hit;
  /* only the trainer so far: not a model */
  CHECK_EQ_INT(zm_meta_run_finish(m, "t2", ZM_META_COMPLETED), 0);
  CHECK_EQ_INT(zm_meta_run_latest_with(&id, m, model, 2, NULL, NULL), 0);
  CHECK_EQ_STR(id, "t1");
  free(id);
  CHECK_EQ_INT(zm_meta_run_latest_with(&id, m, model, 1, NULL, NULL), 0);
  CHECK_EQ_STR(id, "t2");
  free(id);
  r.step = "preprocesser";
  r.from = t1_pre;
  CHECK_EQ_INT(zm_meta_execution_reuse(&hit, m, &r), 0);
  CHECK_EQ_INT(zm_meta_run_latest_with(&id, m, model, 2, NULL, NULL), 0);
  CHECK_EQ_STR(id, "t2");
  free(id);
  CHECK_EQ_INT(zm_meta_run_latest_with(&id, m, model, 2, "train", "t1"), 0);
  CHECK_EQ_STR(id, "t1");
  free(id);
  CHECK_EQ_INT(zm_meta_run_latest_with(&id, m, model, 2, "score", NULL), ZM_ENOTFOUND);
  CHECK_EQ_INT(zm_meta_run_latest_with(&id, m, model, 2, NULL, "s1"), ZM_ENOTFOUND);
  CHECK(id == NULL);

  /* the previous execution of a step: cache hits count, its own pipeline first */
  add_run_of(m, "s2", "score", 400);
  int64_t other = add_exec(m, "s2", "trainer", "model", "sha256:m2");
  add_run_of(m, "t3", "train", 500);
  int64_t now = add_exec(m, "t3", "trainer", "model", "sha256:m3");
  int64_t prev = 0;
  CHECK_EQ_INT(zm_meta_execution_previous(&prev, m, "train", "trainer", "C", now), 0);
  CHECK_EQ_INT(prev, trainer_hit); /* t2's trainer hit, not the newer one of pipeline score */
  CHECK_EQ_INT(zm_meta_execution_previous(&prev, m, "score", "trainer", "C", now), 0);
  CHECK_EQ_INT(prev, other);
  CHECK_EQ_INT(zm_meta_execution_previous(&prev, m, "nope", "trainer", "C", now), 0);
  CHECK_EQ_INT(prev, other);
  CHECK_EQ_INT(zm_meta_execution_previous(&prev, m, "train", "trainer", "C", t1_trainer),
               ZM_ENOTFOUND);
  CHECK_EQ_INT(zm_meta_execution_previous(&prev, m, "train", "trainer", "D", now), ZM_ENOTFOUND);
  zm_meta_close(m);
}

/* The catalogue: pipelines with run counts, artifacts by id and prefix,
 * an artifact's lineage through cache hits. */
static void test_catalog(void)
{
  zm_meta *m = fresh("meta-catalog");
  zm_meta_pipeline_infos *pl = NULL;
  CHECK_EQ_INT(zm_meta_pipeline_list(&pl, m), 0);
  CHECK_EQ_INT(pl->len, 0);
  zm_meta_pipeline_infos_free(pl);
  int64_t v = 0;
  CHECK_EQ_INT(zm_meta_pipeline_version(&v, m, "idle", "h1"), 0); /* never ran */
  add_run_of(m, "c1", "train", 100);
  int64_t e1 = add_exec(m, "c1", "trainer", "model", "sha256:ab12");
  CHECK_EQ_INT(zm_meta_run_finish(m, "c1", ZM_META_COMPLETED), 0);
  CHECK_EQ_INT(zm_meta_pipeline_version(&v, m, "train", "dag-2"), 0);
  zm_meta_run r2 = {.id = "c2", .pipeline = "train", .pipeline_version = v, .started = 300};
  CHECK_EQ_INT(zm_meta_run_begin(m, &r2), 0);
  int64_t hit = 0;
  zm_meta_reuse reuse = {.run_id = "c2", .step = "trainer", .class_name = "C", .from = e1};
  CHECK_EQ_INT(zm_meta_execution_reuse(&hit, m, &reuse), 0);
  int64_t e2 = 0;
  CHECK_EQ_INT(zm_meta_execution_begin(&e2, m, "c2", "scorer", "C", NULL, "k2"), 0);
  CHECK_EQ_INT(zm_meta_event_add(m, e2, "sha256:ab12", ZM_META_INPUT, "model"), 0);
  CHECK_EQ_INT(zm_meta_execution_finish(m, e2, ZM_META_FAILED, "boom", NULL), 0);
  CHECK_EQ_INT(zm_meta_artifact_record(m, "sha256:ab34", "frame", 7), 0);
  CHECK_EQ_INT(zm_meta_artifact_record(m, "sha256:ac00", "frame", 9), 0);

  CHECK_EQ_INT(zm_meta_pipeline_list(&pl, m), 0);
  CHECK_EQ_INT(pl->len, 2);
  CHECK_EQ_STR(pl->items[0].name, "idle");
  CHECK_EQ_INT(pl->items[0].runs, 0);
  CHECK(!pl->items[0].has_last_run);
  CHECK_EQ_STR(pl->items[1].name, "train");
  CHECK_EQ_INT(pl->items[1].versions, 2);
  CHECK_EQ_INT(pl->items[1].runs, 2);
  CHECK(pl->items[1].has_last_run && pl->items[1].last_run == 300);
  zm_meta_pipeline_infos_free(pl);
  int found = -1;
  CHECK_EQ_INT(zm_meta_pipeline_exists(&found, m, "idle"), 0);
  CHECK_EQ_INT(found, 1);
  CHECK_EQ_INT(zm_meta_pipeline_exists(&found, m, "c1"), 0);
  CHECK_EQ_INT(found, 0);

  zm_meta_artifact a;
  CHECK_EQ_INT(zm_meta_artifact_get(&a, m, "sha256:ab34"), 0);
  CHECK_EQ_STR(a.id, "sha256:ab34");
  CHECK_EQ_STR(a.type, "frame");
  CHECK_EQ_INT(a.size, 7);
  CHECK(a.created > 0);
  zm_meta_artifact_clear(&a);
  CHECK_EQ_INT(zm_meta_artifact_get(&a, m, "sha256:ab"), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "no artifact 'sha256:ab'");
  CHECK(a.id == NULL);

  zm_meta_artifacts *al = NULL;
  CHECK_EQ_INT(zm_meta_artifacts_with_prefix(&al, m, "sha256:ab", 0), 0);
  CHECK_EQ_INT(al->len, 2); /* not sha256:ac00, which sorts after them */
  CHECK_EQ_STR(al->items[0].id, "sha256:ab12");
  CHECK_EQ_STR(al->items[0].type, "model");
  CHECK_EQ_STR(al->items[1].id, "sha256:ab34");
  zm_meta_artifacts_free(al);
  CHECK_EQ_INT(zm_meta_artifacts_with_prefix(&al, m, "sha256:a", 2), 0);
  CHECK_EQ_INT(al->len, 2);
  zm_meta_artifacts_free(al);
  CHECK_EQ_INT(zm_meta_artifacts_with_prefix(&al, m, "sha256:b", 5), 0);
  CHECK_EQ_INT(al->len, 0);
  zm_meta_artifacts_free(al);

  /* written by c1's trainer, reused by c2's cache hit, read by c2's scorer */
  zm_meta_artifact_events *ev = NULL;
  CHECK_EQ_INT(zm_meta_artifact_lineage(&ev, m, "sha256:ab12"), 0);
  CHECK_EQ_INT(ev->len, 3);
  CHECK_EQ_INT(ev->items[0].execution, e1);
  CHECK_EQ_STR(ev->items[0].run_id, "c1");
  CHECK_EQ_INT(ev->items[0].kind, ZM_META_OUTPUT);
  CHECK_EQ_STR(ev->items[0].name, "model");
  CHECK_EQ_INT(ev->items[0].status, ZM_META_COMPLETED);
  CHECK_EQ_INT(ev->items[1].execution, hit);
  CHECK_EQ_STR(ev->items[1].run_id, "c2");
  CHECK_EQ_STR(ev->items[1].step, "trainer");
  CHECK_EQ_INT(ev->items[1].status, ZM_META_CACHED);
  CHECK_EQ_INT(ev->items[2].execution, e2);
  CHECK_EQ_STR(ev->items[2].step, "scorer");
  CHECK_EQ_INT(ev->items[2].kind, ZM_META_INPUT);
  CHECK_EQ_INT(ev->items[2].status, ZM_META_FAILED);
  zm_meta_artifact_events_free(ev);
  CHECK_EQ_INT(zm_meta_artifact_lineage(&ev, m, "sha256:ac00"), 0);
  CHECK_EQ_INT(ev->len, 0);
  zm_meta_artifact_events_free(ev);
  zm_meta_close(m);
}

static void test_run_summaries(void)
{
  zm_meta *m = fresh("meta-summaries");
  add_run_of(m, "a1", "train", 100);
  int64_t ea = add_exec(m, "a1", "trainer", "model", "sha256:m1");
  zm_meta_metric_set(m, "a1", ea, "accuracy", 0.9);
  zm_meta_metric_set(m, "a1", 0, "loss", 0.5);
  CHECK_EQ_INT(zm_meta_run_finish(m, "a1", ZM_META_COMPLETED), 0);
  add_run_of(m, "a2", "train", 200);
  int64_t hit = 0;
  zm_meta_reuse r = {.run_id = "a2", .step = "trainer", .class_name = "C", .from = ea};
  CHECK_EQ_INT(zm_meta_execution_reuse(&hit, m, &r), 0); /* copies accuracy 0.9 */
  zm_meta_metric_set(m, "a2", 0, "accuracy", 0.1);        /* the step's value wins */
  add_run_of(m, "b1", "score", 300);                       /* running, no metrics */
  add_run_of(m, "a3", "train", 400);
  int64_t e3 = add_exec(m, "a3", "trainer", "model", "sha256:m3");
  zm_meta_metric_set(m, "a3", e3, "accuracy", 0.95);
  CHECK_EQ_INT(zm_meta_run_finish(m, "a3", ZM_META_FAILED), 0);

  const char *names[] = {"accuracy", "loss"};
  zm_meta_summary_query q = {.status = -1, .metrics = names, .n_metrics = 2};
  zm_meta_summaries *l = NULL;
  CHECK_EQ_INT(zm_meta_run_summaries(&l, m, &q), 0);
  CHECK_EQ_INT(l->len, 4);
  CHECK_EQ_STR(l->items[0].run.id, "a3"); /* newest first */
  CHECK_EQ_STR(l->items[2].run.id, "a2");
  CHECK_EQ_INT(l->items[2].steps, 1);
  CHECK_EQ_INT(l->items[2].cached, 1);
  CHECK(l->items[2].has[0] && l->items[2].values[0] == 0.9);
  CHECK(!l->items[2].has[1]);
  CHECK(!l->items[1].has[0]); /* b1 */
  CHECK(l->items[3].has[1] && l->items[3].values[1] == 0.5);
  zm_meta_summaries_free(l);

  /* sorted by a metric, highest first, ties newest first, runs without it last */
  q.sort = "accuracy", q.sort_metric = 1, q.descending = 1;
  CHECK_EQ_INT(zm_meta_run_summaries(&l, m, &q), 0);
  CHECK_EQ_STR(l->items[0].run.id, "a3");
  CHECK_EQ_STR(l->items[1].run.id, "a2");
  CHECK_EQ_STR(l->items[2].run.id, "a1");
  CHECK_EQ_STR(l->items[3].run.id, "b1");
  zm_meta_summaries_free(l);
  q.descending = 0;
  CHECK_EQ_INT(zm_meta_run_summaries(&l, m, &q), 0);
  CHECK_EQ_STR(l->items[0].run.id, "a2");
  CHECK_EQ_STR(l->items[2].run.id, "a3");
  CHECK_EQ_STR(l->items[3].run.id, "b1");
  zm_meta_summaries_free(l);

  /* conditions, pipeline, status, dates, limit */
  zm_meta_metric_cond cond = {"accuracy", ZM_META_GT, 0.85};
  q.where = &cond, q.n_where = 1, q.sort = NULL, q.sort_metric = 0;
  CHECK_EQ_INT(zm_meta_run_summaries(&l, m, &q), 0);
  CHECK_EQ_INT(l->len, 3);
  CHECK_EQ_STR(l->items[0].run.id, "a3");
  zm_meta_summaries_free(l);
  CHECK_EQ_INT(zm_meta_cmp_parse(&cond.op, "!="), 0);
  cond.value = 0.9;
  CHECK_EQ_INT(zm_meta_run_summaries(&l, m, &q), 0);
  CHECK_EQ_INT(l->len, 1); /* b1 has no accuracy: never matches */
  CHECK_EQ_STR(l->items[0].run.id, "a3");
  zm_meta_summaries_free(l);
  zm_meta_summary_query q2 = {.pipeline = "train", .status = ZM_META_COMPLETED, .since = 150,
                              .until = 500, .limit = 5};
  CHECK_EQ_INT(zm_meta_run_summaries(&l, m, &q2), 0);
  CHECK_EQ_INT(l->len, 0); /* a2 is still running */
  zm_meta_summaries_free(l);
  q2.status = -1, q2.limit = 1, q2.sort = "started";
  CHECK_EQ_INT(zm_meta_run_summaries(&l, m, &q2), 0);
  CHECK_EQ_INT(l->len, 1);
  CHECK_EQ_STR(l->items[0].run.id, "a2");
  zm_meta_summaries_free(l);
  q2.sort = "colour";
  CHECK_EQ_INT(zm_meta_run_summaries(&l, m, &q2), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "cannot sort runs by 'colour'");
  CHECK(l == NULL);
  CHECK_EQ_INT(zm_meta_cmp_parse(&cond.op, "=>"), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "unknown comparison '=>': expected >, >=, <, <=, = or !=");

  /* a run's artifacts: a cached step's are those it reused */
  zm_meta_step_artifacts *arts = NULL;
  CHECK_EQ_INT(zm_meta_run_artifacts(&arts, m, "a2"), 0);
  CHECK_EQ_INT(arts->len, 1);
  CHECK_EQ_STR(arts->items[0].step, "trainer");
  CHECK_EQ_INT(arts->items[0].execution, hit);
  CHECK_EQ_STR(arts->items[0].artifact, "sha256:m1");
  CHECK_EQ_STR(arts->items[0].type, "model");
  CHECK_EQ_INT(arts->items[0].kind, ZM_META_OUTPUT);
  zm_meta_step_artifacts_free(arts);

  zm_meta_strings *ids = NULL;
  CHECK_EQ_INT(zm_meta_run_ids_with_prefix(&ids, m, "a", 0), 0);
  CHECK_EQ_INT(ids->len, 3);
  CHECK_EQ_STR(ids->items[0], "a3");
  zm_meta_strings_free(ids);
  CHECK_EQ_INT(zm_meta_run_ids_with_prefix(&ids, m, "a", 2), 0);
  CHECK_EQ_INT(ids->len, 2);
  zm_meta_strings_free(ids);
  /* a range of ids: not "b1" right after it, nor "a" itself as a bound */
  CHECK_EQ_INT(zm_meta_run_ids_with_prefix(&ids, m, "a2", 0), 0);
  CHECK_EQ_INT(ids->len, 1);
  CHECK_EQ_STR(ids->items[0], "a2");
  zm_meta_strings_free(ids);
  CHECK_EQ_INT(zm_meta_run_ids_with_prefix(&ids, m, "a3x", 0), 0);
  CHECK_EQ_INT(ids->len, 0);
  zm_meta_strings_free(ids);
  CHECK_EQ_INT(zm_meta_run_ids_with_prefix(&ids, m, "", 0), 0);
  CHECK_EQ_INT(ids->len, 4);
  zm_meta_strings_free(ids);
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

/* Load the v1 fixture into a fresh store and return its path (its URL on a
 * server, where the fixture's rows go into the driver's own v1 schema). */
static const char *load_fixture(const char *name)
{
  static char file[4300];
  char fixture[4300];
  char *sql = NULL;
  const char *src = getenv("ZM_SOURCE_DIR");
  snprintf(fixture, sizeof fixture, "%s/tests/fixtures/meta-v1.sql", src ? src : ".");
  CHECK_EQ_INT(zm_fs_read(&sql, NULL, fixture), 0);
  if (server) {
    make_empty(name);
    zm_sql_conn *c = NULL;
    const char *rows = sql ? strstr(sql, "INSERT INTO") : NULL;
    char *end = rows ? strstr(rows, "PRAGMA") : NULL;
    if (end)
      *end = '\0';
    CHECK_EQ_INT(zm_sql_open(&c, url, ZM_SQL_CREATE), 0);
    if (c) {
      CHECK_EQ_INT(c->drv->exec(c, c->drv->schema(1)), 0);
      CHECK_EQ_INT(c->drv->set_version(c, 1), 0);
      CHECK_EQ_INT(c->drv->exec(c, rows ? rows : ""), 0);
    }
    zm_sql_close(c);
    free(sql);
    return path;
  }
  snprintf(file, sizeof file, "%s/metadata.db", check_tmpdir(name));
  CHECK_EQ_INT(raw_exec(file, sql ? sql : ""), SQLITE_OK);
  free(sql);
  snprintf(url, sizeof url, "sqlite:%s", file);
  snprintf(path, sizeof path, "%.4100s", file);
  return file;
}

static void test_migrate_v1(void)
{
  load_fixture("meta-v1");
  zm_meta *m = NULL;
  CHECK_EQ_INT(zm_meta_open(&m, url, ZM_SQL_CREATE), 0);
  if (!m) {
    fprintf(stderr, "%s\n", zm_error_last());
    return;
  }
  CHECK_EQ_INT(schema_version(m), 4);
  zm_meta_run *r = NULL;
  CHECK_EQ_INT(zm_meta_run_get(&r, m, "run-1"), 0);
  CHECK_EQ_STR(r->git_commit, "abc123");
  CHECK_EQ_INT(r->git_dirty, 1);
  CHECK_EQ_INT(r->status, ZM_META_COMPLETED);
  CHECK_EQ_STR(r->yaml_path, "pipelines/iris-ffn_run-1.yaml");
  CHECK(r->host == NULL);
  zm_meta_run_free(r);
  CHECK_EQ_INT(zm_meta_run_get(&r, m, "run-2"), 0);
  CHECK_EQ_STR(r->git_commit, "def456");
  CHECK_EQ_INT(r->git_dirty, 0);
  CHECK_EQ_INT(r->status, ZM_META_FAILED);
  zm_meta_run_free(r);
  zm_meta_dsversion *v = NULL;
  CHECK_EQ_INT(zm_meta_dsversion_latest(&v, m, "iris"), 0);
  CHECK_EQ_INT(v->rows, 150);
  CHECK_EQ_INT(v->bytes, 0);
  zm_meta_dsversion_free(v);
  zm_meta_cache_hit *h = NULL;
  CHECK_EQ_INT(zm_meta_cache_lookup(&h, m, "RandomSplit", "key-split", NULL, NULL), 0);
  CHECK_EQ_INT(h ? h->len : 0, 2);
  if (h)
    CHECK_EQ_STR(h->outputs[0].name, "eval");
  zm_meta_cache_hit_free(h);
  /* Version 2 features work on the migrated store, and new versions number on. */
  CHECK_EQ_INT(zm_meta_metric_set(m, "run-1", 1, "accuracy", 0.97), 0);
  int64_t pv = 0;
  CHECK_EQ_INT(zm_meta_pipeline_version(&pv, m, "iris-ffn", "dag-bbbb"), 0);
  CHECK_EQ_INT(pv, 2);
  zm_meta_close(m);
}

/* Every table's columns and every index, as one string. */
/* The same from the server's information_schema (for the store at `u`). */
static char *describe_server(const char *u)
{
  zm_sql_conn *c = NULL;
  zm_sql_stmt *st = NULL;
  zm_buf b = ZM_BUF_INIT;
  if (zm_sql_open(&c, u, ZM_SQL_WRITE) < 0 ||
      c->drv->prepare(&st, c,
                      "SELECT 'table', table_name, column_name, column_type, is_nullable,"
                      " coalesce(column_default, ''), column_key, ordinal_position"
                      " FROM information_schema.columns WHERE table_schema = DATABASE()"
                      " UNION ALL SELECT 'index', table_name, index_name, column_name,"
                      " non_unique, '', '', seq_in_index FROM information_schema.statistics"
                      " WHERE table_schema = DATABASE()"
                      " UNION ALL SELECT 'fk', table_name, constraint_name, referenced_table_name,"
                      " '', '', '', 0 FROM information_schema.referential_constraints"
                      " WHERE constraint_schema = DATABASE() ORDER BY 1, 2, 3, 8, 4") < 0) {
    zm_sql_close(c);
    return NULL;
  }
  while (c->drv->step(st) == ZM_SQL_ROW)
    for (int i = 0; i < 8; i++)
      zm_buf_printf(&b, "%s%c", c->drv->column_text(st, i), i == 7 ? '\n' : '|');
  c->drv->finalize(st);
  zm_sql_close(c);
  return zm_buf_detach(&b);
}

static char *describe(const char *file)
{
  if (server)
    return describe_server(file);
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  zm_buf b = ZM_BUF_INIT;
  sqlite3_open(file, &db);
  sqlite3_prepare_v2(db,
                     "SELECT m.type, m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk"
                     " FROM sqlite_master m JOIN pragma_table_info(m.name) p"
                     " WHERE m.type = 'table' UNION ALL"
                     " SELECT 'index', name, sql, '', 0, '', 0 FROM sqlite_master"
                     " WHERE type = 'index' AND sql IS NOT NULL ORDER BY 1, 2",
                     -1, &st, NULL);
  while (sqlite3_step(st) == SQLITE_ROW)
    for (int i = 0; i < 7; i++)
      zm_buf_printf(&b, "%s%c", (const char *)sqlite3_column_text(st, i), i == 6 ? '\n' : '|');
  sqlite3_finalize(st);
  sqlite3_close(db);
  return zm_buf_detach(&b);
}

static void test_migration_matches_fresh(void)
{
  const char *old = load_fixture("meta-v1b");
  zm_meta *m = NULL;
  CHECK_EQ_INT(zm_meta_open(&m, url, ZM_SQL_CREATE), 0);
  zm_meta_close(m);
  char *migrated = describe(server ? url : old);
  m = fresh("meta-v2");
  zm_meta_close(m);
  char *created = describe(server ? url : path);
  CHECK(migrated && created && strlen(created) > 500);
  CHECK_EQ_STR(migrated, created);
  free(migrated);
  free(created);
}

static void test_migration_rolls_back(void)
{
  const char *file = load_fixture("meta-v1c");
  /* A stray table makes the migration's CREATE TABLE metrics fail halfway. */
  CHECK_EQ_INT(raw_exec(file, "CREATE TABLE metrics (x INTEGER)"), SQLITE_OK);
  zm_meta *m = NULL;
  CHECK_EQ_INT(zm_meta_open(&m, url, ZM_SQL_CREATE), ZM_ERROR);
  char expect[4500];
  snprintf(expect, sizeof expect,
           "cannot migrate the metadata schema from version 1 to 4: %s: table metrics already "
           "exists",
           file);
  CHECK_EQ_STR(zm_error_last(), expect);
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  sqlite3_open(file, &db);
  sqlite3_prepare_v2(db, "SELECT (SELECT user_version FROM pragma_user_version),"
                         " (SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'git_dirty'),"
                         " (SELECT git_commit FROM runs WHERE id = 'run-1')",
                     -1, &st, NULL);
  CHECK_EQ_INT(sqlite3_step(st), SQLITE_ROW);
  CHECK_EQ_INT(sqlite3_column_int(st, 0), 1);
  CHECK_EQ_INT(sqlite3_column_int(st, 1), 0);
  CHECK_EQ_STR((const char *)sqlite3_column_text(st, 2), "abc123-dirty");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

/* On a server DDL commits as it goes: a migration that fails half-way
 * leaves the old version number, and the next open finishes it once the
 * cause is gone. */
static void test_migration_resumes(void)
{
  load_fixture("meta-v1c");
  /* A stray table without a `name` column makes the migration fail. */
  CHECK_EQ_INT(raw_sql("CREATE TABLE metrics (x INTEGER)"), 0);
  zm_meta *m = NULL;
  CHECK(zm_meta_open(&m, url, ZM_SQL_CREATE) < 0);
  char expect[4500];
  snprintf(expect, sizeof expect,
           "cannot migrate the metadata schema from version 1 to 4: %s: Key column 'name' "
           "doesn't exist in table", store_name());
  CHECK_EQ_STR(zm_error_last(), expect);
  zm_sql_conn *c = NULL;
  CHECK_EQ_INT(zm_sql_open(&c, url, ZM_SQL_WRITE), 0);
  int v = -1;
  CHECK_EQ_INT(c->drv->get_version(c, &v), 0);
  CHECK_EQ_INT(v, 1);
  zm_sql_close(c);
  CHECK_EQ_INT(raw_sql("DROP TABLE metrics"), 0);
  CHECK_EQ_INT(zm_meta_open(&m, url, ZM_SQL_CREATE), 0);
  zm_meta_run *r = NULL;
  CHECK_EQ_INT(zm_meta_run_get(&r, m, "run-1"), 0);
  CHECK_EQ_STR(r ? r->git_commit : NULL, "abc123");
  CHECK_EQ_INT(r ? r->git_dirty : -1, 1);
  zm_meta_run_free(r);
  zm_meta_close(m);
}

static void test_newer_version(void)
{
  zm_meta *m = fresh("meta-newer");
  zm_meta_close(m);
  if (server)
    CHECK_EQ_INT(raw_sql("UPDATE zenml_schema SET version = 5"), 0);
  else
    CHECK_EQ_INT(raw_exec(path, "PRAGMA user_version = 5"), SQLITE_OK);
  CHECK_EQ_INT(zm_meta_open(&m, url, ZM_SQL_CREATE), ZM_EVERSION);
  char expect[4500];
  snprintf(expect, sizeof expect,
           "%s: metadata schema version 5 is newer than this zenml supports (4); upgrade zenml",
           store_name());
  CHECK_EQ_STR(zm_error_last(), expect);
  CHECK(m == NULL);
}

static void test_garbage_file(void)
{
  snprintf(path, sizeof path, "%s/metadata.db", check_tmpdir("meta-garbage"));
  char junk[4096];
  for (size_t i = 0; i < sizeof junk; i++)
    junk[i] = (char)('a' + i % 26);
  CHECK_EQ_INT(zm_fs_write_atomic(path, junk, sizeof junk, 0644), 0);
  snprintf(url, sizeof url, "sqlite:%s", path);
  zm_meta *m = NULL;
  CHECK_EQ_INT(zm_meta_open(&m, url, ZM_SQL_CREATE), ZM_EINVALID);
  char expect[4500];
  snprintf(expect, sizeof expect,
           "%s: not an SQLite database; restore it from a backup; remove it and run 'zenml "
           "init' to start an empty one (the artifact store is kept)", path);
  CHECK_EQ_STR(zm_error_last(), expect);
  CHECK(m == NULL);
}

static void test_truncated_file(void)
{
  zm_meta *m = fresh("meta-trunc");
  add_run(m, "r0");
  char id[64];
  for (int i = 0; i < 300; i++) {
    int64_t e = 0;
    snprintf(id, sizeof id, "step-%d-with-a-longer-name-to-fill-pages", i);
    zm_meta_execution_begin(&e, m, "r0", id, "Class", NULL, id);
  }
  zm_meta_close(m); /* checkpoints the WAL into the main file */
  struct stat st;
  CHECK_EQ_INT(stat(path, &st), 0);
  CHECK(st.st_size > 8 * 4096);
  CHECK_EQ_INT(truncate(path, st.st_size / 2), 0);
  CHECK_EQ_INT(zm_meta_open(&m, url, ZM_SQL_CREATE), ZM_EINVALID);
  char expect[4500];
  snprintf(expect, sizeof expect,
           "%s: the metadata database is truncated (%lld of %lld bytes); restore it from a "
           "backup; remove it and run 'zenml init' to start an empty one (the artifact store is "
           "kept)", path, (long long)(st.st_size / 2), (long long)st.st_size);
  CHECK_EQ_STR(zm_error_last(), expect);
  CHECK(m == NULL);
}

/* A zero-length file is not taken for a new database (that would forget every
 * run while their YAMLs and artifacts stay), nor is a missing one re-created
 * except by ZM_SQL_CREATE (zenml init). */
static void test_empty_or_missing_file(void)
{
  zm_meta *m = NULL;
  snprintf(path, sizeof path, "%s/metadata.db", check_tmpdir("meta-empty"));
  snprintf(url, sizeof url, "sqlite:%s", path);
  CHECK_EQ_INT(zm_meta_open(&m, url, ZM_SQL_WRITE), ZM_ENOTFOUND);
  char expect[4500];
  snprintf(expect, sizeof expect, "%s: no metadata database (it is made by 'zenml init')", path);
  CHECK_EQ_STR(zm_error_last(), expect);
  CHECK_EQ_INT(zm_meta_open(&m, url, ZM_SQL_READ), ZM_ENOTFOUND);
  CHECK_EQ_INT(zm_fs_write_atomic(path, "", 0, 0644), 0);
  for (int mode = ZM_SQL_WRITE; mode <= ZM_SQL_READ; mode++) {
    CHECK_EQ_INT(zm_meta_open(&m, url, (zm_sql_mode)mode), ZM_EINVALID);
    snprintf(expect, sizeof expect,
             "%s: the metadata database is empty (0 bytes); restore it from a backup; remove it "
             "and run 'zenml init' to start an empty one (the artifact store is kept)", path);
    CHECK_EQ_STR(zm_error_last(), expect);
    CHECK(m == NULL);
  }
  /* a valid SQLite file without zenml's tables is refused unless creating */
  unlink(path);
  CHECK_EQ_INT(raw_exec(path, "CREATE TABLE other (x INTEGER)"), SQLITE_OK);
  CHECK_EQ_INT(zm_meta_open(&m, url, ZM_SQL_WRITE), ZM_EINVALID);
  snprintf(expect, sizeof expect,
           "%s: a database without zenml's tables; restore the metadata database from a backup, "
           "or remove it and run 'zenml init' to start an empty one", path);
  CHECK_EQ_STR(zm_error_last(), expect);
}

/* Read-only: a current store opens and reads, refuses writes, and is left
 * exactly as it was. */
static void test_read_only(void)
{
  zm_meta *m = fresh("meta-ro");
  add_run(m, "r0");
  zm_meta_close(m);
  struct stat before, after;
  CHECK_EQ_INT(stat(path, &before), 0);
  CHECK_EQ_INT(zm_meta_open(&m, url, ZM_SQL_READ), 0);
  zm_meta_run *r = NULL;
  CHECK_EQ_INT(zm_meta_run_get(&r, m, "r0"), 0);
  CHECK(r != NULL);
  zm_meta_run_free(r);
  CHECK(zm_meta_run_finish(m, "r0", ZM_META_COMPLETED) < 0);
  zm_meta_close(m);
  CHECK_EQ_INT(stat(path, &after), 0);
  CHECK(before.st_mtime == after.st_mtime && before.st_size == after.st_size);
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
  server = getenv("ZM_TEST_META_URL");
  if (server && !*server)
    server = NULL;
  if (server)
    printf("metadata tests on %s\n", server);
  RUN(test_open_fresh);
  RUN(test_urls);
  RUN(test_status_names);
  RUN(test_datasources);
  RUN(test_pipelines);
  RUN(test_runs);
  RUN(test_transactions);
  RUN(test_executions_and_cache);
  RUN(test_lineage_queries);
  RUN(test_metrics_properties);
  RUN(test_run_summaries);
  RUN(test_catalog);
  RUN(test_migrate_v1);
  RUN(test_migration_matches_fresh);
  SQLITE_ONLY(test_migration_rolls_back);
  if (server)
    RUN(test_migration_resumes);
  RUN(test_newer_version);
  SQLITE_ONLY(test_garbage_file);
  SQLITE_ONLY(test_truncated_file);
  SQLITE_ONLY(test_empty_or_missing_file);
  SQLITE_ONLY(test_read_only);
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
