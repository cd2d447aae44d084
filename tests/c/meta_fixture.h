/* Shared by the metadata C tests (test_meta*.c): a fresh store named by
 * `path` and `url`, on SQLite or, with ZM_TEST_META_URL set, on a server;
 * raw SQL beside the store; small queries. Static so each test program
 * has its own copy. */
#ifndef ZM_TEST_META_FIXTURE_H
#define ZM_TEST_META_FIXTURE_H

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
static inline void server_url(char *out, size_t cap, const char *db)
{
  const char *slash = strchr(strstr(server, "://") + 3, '/');
  const char *q = strchr(slash, '?');
  snprintf(out, cap, "%.*s/%s%s", (int)(slash - server), server, db, q ? q : "");
}

/* Run SQL on the store `url` names, bypassing zenml's schema handling. */
static inline int raw_sql(const char *sql)
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
static inline void make_empty(const char *name)
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
static inline zm_meta *fresh(const char *name)
{
  make_empty(name);
  zm_meta *m = NULL;
  int rc = zm_meta_open(&m, url, ZM_SQL_CREATE);
  if (rc < 0)
    fprintf(stderr, "open: %s\n", zm_error_last());
  return m;
}

/* How errors name the store: its file, or its URL without options. */
static inline const char *store_name(void)
{
  static char name[4200];
  snprintf(name, sizeof name, "%.*s", (int)strcspn(path, "?"), path);
  return name;
}

/* Run SQL on a database file directly, bypassing the store. */
static inline int raw_exec(const char *file, const char *sql)
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
static inline long long query1(zm_meta *m, const char *sql)
{
  zm_sql_conn *c = zm_meta_conn(m);
  zm_sql_stmt *s = NULL;
  long long v = -1;
  if (zm_sql_prepare(&s, c, sql) < 0)
    return -2;
  if (c->drv->step(s) == ZM_SQL_ROW)
    v = c->drv->column_int64(s, 0);
  c->drv->finalize(s);
  return v;
}

/* The schema version where the driver keeps it. */
static inline int schema_version(zm_meta *m)
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

static inline double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A pipeline and a run to hang executions on. */
static inline void add_run(zm_meta *m, const char *id)
{
  int64_t version = 0;
  CHECK_EQ_INT(zm_meta_pipeline_version(&version, m, "p", "dag-1"), 0);
  zm_meta_run r = {.id = (char *)id, .pipeline = "p", .pipeline_version = version};
  CHECK_EQ_INT(zm_meta_run_begin(m, &r), 0);
}

/* Which server the tests run on (ZM_TEST_META_URL), or NULL for SQLite. */
static inline void fixture_init(void)
{
  server = getenv("ZM_TEST_META_URL");
  if (server && !*server)
    server = NULL;
  if (server)
    printf("metadata tests on %s\n", server);
}

#endif
