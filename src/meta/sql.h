/* A generic SQL connection behind a table of function pointers, so the
 * metadata store runs on SQLite now and MySQL/MariaDB later without its
 * callers seeing either library's types. Statements use `?` placeholders;
 * everything that differs between dialects (column types, autoincrement,
 * upsert syntax, where the schema version lives) stays inside a driver. */
#ifndef ZM_META_SQL_H
#define ZM_META_SQL_H

#include "core/buf.h"

#include <stddef.h>
#include <stdint.h>

/* How a database is opened. Only ZM_SQL_CREATE makes one that is missing:
 * a store that vanished must not silently come back empty. */
typedef enum zm_sql_mode {
  ZM_SQL_WRITE = 0,  /* an existing database, read-write */
  ZM_SQL_CREATE = 1, /* read-write, created when missing */
  ZM_SQL_READ = 2,   /* an existing database, read-only */
} zm_sql_mode;

typedef struct zm_sql_driver zm_sql_driver;

/* A connection; each driver embeds this as the first member of its own. */
typedef struct zm_sql_conn {
  const zm_sql_driver *drv;
  int read_only; /* opened ZM_SQL_READ, or ZM_SQL_WRITE on a store we may not write */
  /* Called (then cleared) before zm_sql_prepare prepares a statement: the
   * metadata store writes the rows it holds back for one batched statement
   * first (meta_cache.c). NULL when nothing is held back. */
  int (*before)(void *ctx);
  void *before_ctx;
} zm_sql_conn;

/* A prepared statement; each driver embeds this as its first member. */
typedef struct zm_sql_stmt {
  const zm_sql_driver *drv;
} zm_sql_stmt;

/* What zm_sql_step returns besides a negative error code. */
enum { ZM_SQL_DONE = 0, ZM_SQL_ROW = 1 };

/* Column value types. */
enum { ZM_SQL_NULL, ZM_SQL_INT, ZM_SQL_DOUBLE, ZM_SQL_TEXT, ZM_SQL_BLOB };

struct zm_sql_driver {
  const char *name;
  /* `target` is the URL after "sqlite:" (a path) for SQLite, the whole URL
   * for a server. */
  int (*open)(zm_sql_conn **out, const char *target, zm_sql_mode mode);
  void (*close)(zm_sql_conn *c);
  /* Run statements without parameters (DDL, pragmas). */
  int (*exec)(zm_sql_conn *c, const char *sql);
  /* A write transaction: taken before the first read so writers queue. */
  int (*begin)(zm_sql_conn *c);
  int (*commit)(zm_sql_conn *c);
  int (*rollback)(zm_sql_conn *c);
  /* 1 when the last error rolled the transaction back but running it again
   * may succeed (a deadlock, a lost connection: the next begin reconnects);
   * clears the flag. NULL when that never happens (SQLite). */
  int (*retry)(zm_sql_conn *c);
  /* Prepared statements are cached per connection; finalize returns them. */
  int (*prepare)(zm_sql_stmt **out, zm_sql_conn *c, const char *sql);
  int (*bind_int64)(zm_sql_stmt *s, int idx, int64_t v);
  int (*bind_double)(zm_sql_stmt *s, int idx, double v);
  int (*bind_text)(zm_sql_stmt *s, int idx, const char *v, size_t len);
  int (*bind_blob)(zm_sql_stmt *s, int idx, const void *v, size_t len);
  int (*bind_null)(zm_sql_stmt *s, int idx);
  int (*step)(zm_sql_stmt *s);
  int (*column_count)(zm_sql_stmt *s);
  const char *(*column_name)(zm_sql_stmt *s, int col);
  int (*column_type)(zm_sql_stmt *s, int col);
  int64_t (*column_int64)(zm_sql_stmt *s, int col);
  double (*column_double)(zm_sql_stmt *s, int col);
  const char *(*column_text)(zm_sql_stmt *s, int col);
  const void *(*column_blob)(zm_sql_stmt *s, int col, size_t *len);
  /* 1 when the statement cannot change the database. */
  int (*readonly)(zm_sql_stmt *s);
  int (*reset)(zm_sql_stmt *s);
  void (*finalize)(zm_sql_stmt *s);
  int64_t (*last_insert_id)(zm_sql_conn *c);
  /* Where the store keeps its schema version (PRAGMA user_version in SQLite). */
  int (*get_version)(zm_sql_conn *c, int *out);
  int (*set_version)(zm_sql_conn *c, int version);
  /* Bytes the database takes (tables and indexes). */
  int (*size)(zm_sql_conn *c, int64_t *out);
  /* DDL creating the whole schema at `version`, NULL if unknown. */
  const char *(*schema)(int version);
  /* DDL upgrading from `from` to from + 1, NULL if there is no such step. */
  const char *(*migration)(int from);
  /* Append "INSERT ... that does nothing when a unique key exists". */
  int (*insert_ignore)(zm_buf *out, const char *table, const char *const *cols, int ncols);
  /* Append an insert that updates the non-key columns when the first `nkeys`
   * columns (a unique key) already exist. */
  int (*upsert)(zm_buf *out, const char *table, const char *const *cols, int ncols, int nkeys);
  /* Send a statement that returns no rows and return at once; its result,
   * an error included, is read before the connection's next statement (so
   * that error is the next statement's). NULL when statements only run to
   * completion (SQLite: there is no server to work meanwhile). */
  int (*send)(zm_sql_conn *c, const char *sql);
  /* Append `v` as a string literal (for `send`'s statements). */
  int (*quote)(zm_sql_conn *c, zm_buf *out, const char *v);
};

/* Open a connection from a URL: `sqlite:PATH` (or a bare path), or
 * `mysql://user@host:port/db` (also mariadb://; docs/metadata.md). An
 * existing database that is empty or damaged is refused in every mode. */
int zm_sql_open(zm_sql_conn **out, const char *url, zm_sql_mode mode);

/* Close a connection, finalizing its statements. Accepts NULL. */
void zm_sql_close(zm_sql_conn *c);

/* The driver for a scheme name ("sqlite"), NULL when not in this build. */
const zm_sql_driver *zm_sql_driver_find(const char *scheme);

/* Prepare a statement, after running the connection's `before` hook. Every
 * statement outside the drivers goes through here (or the two below). */
int zm_sql_prepare(zm_sql_stmt **out, zm_sql_conn *c, const char *sql);

/* Prepare and bind in one call: `types` has one letter per `?` — i int64,
 * d double, s text (NULL pointer binds NULL), n null — followed by values. */
int zm_sql_prepare_bind(zm_sql_stmt **out, zm_sql_conn *c, const char *sql,
                        const char *types, ...);

/* Prepare, bind as above, step to the end and finalize (a write). */
int zm_sql_run(zm_sql_conn *c, const char *sql, const char *types, ...);

/* The SQLite driver table (the default). */
extern const zm_sql_driver zm_sql_sqlite;

#ifdef ZM_HAVE_MARIADB
/* The MariaDB/MySQL driver table (libmariadb loaded on first use). */
extern const zm_sql_driver zm_sql_mariadb;
#endif

#endif
