/* The metadata schema: creation, migrations from every version (in place,
 * rolled back or resumed), and refusal of newer, garbage, truncated, empty
 * and read-only databases. */
#include "meta_fixture.h"

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
  CHECK_EQ_INT(schema_version(m), 6);
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
           "cannot migrate the metadata schema from version 1 to 6: %s: table metrics already "
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
           "cannot migrate the metadata schema from version 1 to 6: %s: Key column 'name' "
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

/* A version 5 store (as zenml 5 left it: no registry tables) gains the
 * registry in place, its runs kept, and models can be registered at once. */
static void test_migrate_v5_registry(void)
{
  zm_meta *m = fresh("meta-v5");
  if (!m)
    return;
  add_run(m, "run-5");
  zm_meta_close(m);
  const char *drop = "DROP TABLE model_alias_history;\nDROP TABLE model_aliases;\n"
                     "DROP TABLE model_tags;\nDROP TABLE model_versions;\nDROP TABLE models;\n";
  if (server) {
    CHECK_EQ_INT(raw_sql(drop), 0);
    CHECK_EQ_INT(raw_sql("UPDATE zenml_schema SET version = 5"), 0);
  } else {
    CHECK_EQ_INT(raw_exec(path, drop), SQLITE_OK);
    CHECK_EQ_INT(raw_exec(path, "PRAGMA user_version = 5"), SQLITE_OK);
  }
  CHECK_EQ_INT(zm_meta_open(&m, url, ZM_SQL_WRITE), 0);
  if (!m)
    return;
  CHECK_EQ_INT(schema_version(m), 6);
  CHECK_EQ_INT(query1(m, "SELECT count(*) FROM runs WHERE id = 'run-5'"), 1);
  CHECK_EQ_INT(zm_meta_artifact_record(m, "sha256:ab", "model", 1), 0);
  zm_meta_model_version v = {.model = "churn", .run_id = "run-5", .step = "trainer",
                             .model_artifact = "sha256:ab"};
  int64_t n = 0;
  CHECK_EQ_INT(zm_meta_model_register(&n, m, &v), 0);
  CHECK_EQ_INT(n, 1);
  zm_meta_close(m);
}

static void test_newer_version(void)
{
  zm_meta *m = fresh("meta-newer");
  zm_meta_close(m);
  if (server)
    CHECK_EQ_INT(raw_sql("UPDATE zenml_schema SET version = 7"), 0);
  else
    CHECK_EQ_INT(raw_exec(path, "PRAGMA user_version = 7"), SQLITE_OK);
  CHECK_EQ_INT(zm_meta_open(&m, url, ZM_SQL_CREATE), ZM_EVERSION);
  char expect[4500];
  snprintf(expect, sizeof expect,
           "%s: metadata schema version 7 is newer than this zenml supports (6); upgrade zenml",
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

int main(void)
{
  fixture_init();
  RUN(test_migrate_v1);
  RUN(test_migration_matches_fresh);
  SQLITE_ONLY(test_migration_rolls_back);
  if (server)
    RUN(test_migration_resumes);
  RUN(test_migrate_v5_registry);
  RUN(test_newer_version);
  SQLITE_ONLY(test_garbage_file);
  SQLITE_ONLY(test_truncated_file);
  SQLITE_ONLY(test_empty_or_missing_file);
  SQLITE_ONLY(test_read_only);
  return CHECK_DONE();
}
