/* The SQLite metadata driver: WAL journal with synchronous=NORMAL (a commit
 * survives a process crash and costs no fsync; the fsync happens once per
 * checkpoint), a busy timeout so concurrent writers queue instead of failing,
 * foreign keys on, and a per-connection cache of prepared statements so hot
 * paths never re-parse SQL. */
#include "core/error.h"
#include "core/buf.h"
#include "meta/sql.h"

#include "meta/sqlite_schema.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 10000
#define MAX_CACHED 96

typedef struct sq_conn sq_conn;

typedef struct sq_stmt {
  zm_sql_stmt base;
  sq_conn *conn;
  sqlite3_stmt *st;
  char *sql; /* the cache key; NULL for a statement that is not cached */
  int in_use;
  struct sq_stmt *next; /* every statement of the connection */
} sq_stmt;

struct sq_conn {
  zm_sql_conn base;
  sqlite3 *db;
  char *path;
  sq_stmt *stmts;
  int ncached;
  int file_slot; /* this connection's entry in open_files, or -1 */
};

/* The database files this process has connections to. Closing any
 * descriptor of a file drops every POSIX lock the process holds on it, the
 * locks SQLite's connections rely on: so the header check (check_file),
 * which opens and closes the file itself, runs only when this process has
 * no connection to it yet, with the registry's mutex held until the new
 * connection is counted. */
#define MAX_OPEN_FILES 64
static pthread_mutex_t open_files_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
  dev_t dev;
  ino_t ino;
  int n;
} open_files[MAX_OPEN_FILES];

/* The slot of (dev, ino), or -1; with `add`, a new one counted from zero. */
static int open_file_slot(dev_t dev, ino_t ino, int add)
{
  int free_slot = -1;
  for (int i = 0; i < MAX_OPEN_FILES; i++) {
    if (open_files[i].n > 0 && open_files[i].dev == dev && open_files[i].ino == ino)
      return i;
    if (open_files[i].n == 0 && free_slot < 0)
      free_slot = i;
  }
  if (!add || free_slot < 0)
    return -1;
  open_files[free_slot].dev = dev;
  open_files[free_slot].ino = ino;
  return free_slot;
}

static int map_code(int rc)
{
  switch (rc & 0xff) {
  case SQLITE_NOMEM:
    return ZM_ENOMEM;
  case SQLITE_NOTADB:
  case SQLITE_CORRUPT:
  case SQLITE_MISMATCH:
  case SQLITE_RANGE:
    return ZM_EINVALID;
  case SQLITE_CONSTRAINT:
    return (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
               ? ZM_EEXISTS : ZM_EINVALID;
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
  case SQLITE_IOERR:
  case SQLITE_CANTOPEN:
  case SQLITE_READONLY:
  case SQLITE_FULL:
  case SQLITE_PERM:
    return ZM_EIO;
  default:
    return ZM_ERROR;
  }
}

/* Every error names the database file, as the user knows it. */
static int fail(sq_conn *c, int rc)
{
  return zm_error_set(map_code(rc), "%s: %s", c->path, sqlite3_errmsg(c->db));
}

static int sq_exec(zm_sql_conn *base, const char *sql)
{
  sq_conn *c = (sq_conn *)base;
  int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
  return rc == SQLITE_OK ? 0 : fail(c, rc);
}

static void free_stmt(sq_stmt *s)
{
  sqlite3_finalize(s->st);
  free(s->sql);
  free(s);
}

static void sq_close(zm_sql_conn *base)
{
  sq_conn *c = (sq_conn *)base;
  if (!c)
    return;
  for (sq_stmt *s = c->stmts, *next; s; s = next) {
    next = s->next;
    free_stmt(s);
  }
  if (c->db && !sqlite3_get_autocommit(c->db))
    sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close_v2(c->db);
  if (c->file_slot >= 0) {
    pthread_mutex_lock(&open_files_lock);
    open_files[c->file_slot].n--;
    pthread_mutex_unlock(&open_files_lock);
  }
  free(c->path);
  free(c);
}

static const zm_sql_driver *self(void);

static int is_blank_tail(const char *tail)
{
  while (*tail == ' ' || *tail == '\t' || *tail == '\n' || *tail == '\r' || *tail == ';')
    tail++;
  return *tail == '\0';
}

static sq_stmt *cache_find(sq_conn *c, const char *sql)
{
  for (sq_stmt *s = c->stmts; s; s = s->next)
    if (s->sql && !s->in_use && (s->sql == sql || strcmp(s->sql, sql) == 0))
      return s;
  return NULL;
}

static int sq_prepare(zm_sql_stmt **out, zm_sql_conn *base, const char *sql)
{
  sq_conn *c = (sq_conn *)base;
  *out = NULL;
  sq_stmt *s = cache_find(c, sql);
  if (s) {
    s->in_use = 1;
    *out = &s->base;
    return 0;
  }
  s = calloc(1, sizeof *s);
  if (!s)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  const char *tail = NULL;
  int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, &tail);
  if (rc != SQLITE_OK || !s->st) {
    rc = rc != SQLITE_OK ? fail(c, rc) : zm_error_set(ZM_EINVALID, "%s: empty SQL statement", c->path);
    free_stmt(s);
    return rc;
  }
  if (tail && !is_blank_tail(tail)) {
    free_stmt(s);
    return zm_error_set(ZM_EINVALID, "%s: one SQL statement at a time, found more after it", c->path);
  }
  if (c->ncached < MAX_CACHED && (s->sql = strdup(sql)) != NULL)
    c->ncached++;
  s->base.drv = self();
  s->conn = c;
  s->in_use = 1;
  s->next = c->stmts;
  c->stmts = s;
  *out = &s->base;
  return 0;
}

static void sq_finalize(zm_sql_stmt *base)
{
  sq_stmt *s = (sq_stmt *)base;
  if (!s)
    return;
  if (s->sql) {
    sqlite3_reset(s->st);
    sqlite3_clear_bindings(s->st);
    s->in_use = 0;
    return;
  }
  for (sq_stmt **p = &s->conn->stmts; *p; p = &(*p)->next)
    if (*p == s) {
      *p = s->next;
      break;
    }
  free_stmt(s);
}

static int bind_rc(sq_stmt *s, int rc)
{
  return rc == SQLITE_OK ? 0 : fail(s->conn, rc);
}

static int sq_bind_int64(zm_sql_stmt *b, int i, int64_t v)
{
  sq_stmt *s = (sq_stmt *)b;
  return bind_rc(s, sqlite3_bind_int64(s->st, i, v));
}

static int sq_bind_double(zm_sql_stmt *b, int i, double v)
{
  sq_stmt *s = (sq_stmt *)b;
  return bind_rc(s, sqlite3_bind_double(s->st, i, v));
}

static int sq_bind_text(zm_sql_stmt *b, int i, const char *v, size_t len)
{
  sq_stmt *s = (sq_stmt *)b;
  return bind_rc(s, sqlite3_bind_text64(s->st, i, v, len, SQLITE_TRANSIENT, SQLITE_UTF8));
}

static int sq_bind_blob(zm_sql_stmt *b, int i, const void *v, size_t len)
{
  sq_stmt *s = (sq_stmt *)b;
  return bind_rc(s, sqlite3_bind_blob64(s->st, i, v, len, SQLITE_TRANSIENT));
}

static int sq_bind_null(zm_sql_stmt *b, int i)
{
  sq_stmt *s = (sq_stmt *)b;
  return bind_rc(s, sqlite3_bind_null(s->st, i));
}

static int sq_step(zm_sql_stmt *b)
{
  sq_stmt *s = (sq_stmt *)b;
  int rc = sqlite3_step(s->st);
  if (rc == SQLITE_ROW)
    return ZM_SQL_ROW;
  if (rc == SQLITE_DONE)
    return ZM_SQL_DONE;
  rc = fail(s->conn, rc);
  sqlite3_reset(s->st);
  return rc;
}

static int sq_column_count(zm_sql_stmt *b)
{
  return sqlite3_column_count(((sq_stmt *)b)->st);
}

static const char *sq_column_name(zm_sql_stmt *b, int col)
{
  return sqlite3_column_name(((sq_stmt *)b)->st, col);
}

static int sq_column_type(zm_sql_stmt *b, int col)
{
  switch (sqlite3_column_type(((sq_stmt *)b)->st, col)) {
  case SQLITE_INTEGER:
    return ZM_SQL_INT;
  case SQLITE_FLOAT:
    return ZM_SQL_DOUBLE;
  case SQLITE_TEXT:
    return ZM_SQL_TEXT;
  case SQLITE_BLOB:
    return ZM_SQL_BLOB;
  default:
    return ZM_SQL_NULL;
  }
}

static int64_t sq_column_int64(zm_sql_stmt *b, int col)
{
  return sqlite3_column_int64(((sq_stmt *)b)->st, col);
}

static double sq_column_double(zm_sql_stmt *b, int col)
{
  return sqlite3_column_double(((sq_stmt *)b)->st, col);
}

static const char *sq_column_text(zm_sql_stmt *b, int col)
{
  return (const char *)sqlite3_column_text(((sq_stmt *)b)->st, col);
}

static const void *sq_column_blob(zm_sql_stmt *b, int col, size_t *len)
{
  sq_stmt *s = (sq_stmt *)b;
  const void *p = sqlite3_column_blob(s->st, col);
  *len = (size_t)sqlite3_column_bytes(s->st, col);
  return p;
}

static int sq_readonly(zm_sql_stmt *b)
{
  return sqlite3_stmt_readonly(((sq_stmt *)b)->st);
}

static int sq_reset(zm_sql_stmt *b)
{
  sq_stmt *s = (sq_stmt *)b;
  sqlite3_reset(s->st);
  return 0;
}

static int run_cached(sq_conn *c, const char *sql)
{
  zm_sql_stmt *s = NULL;
  int rc = sq_prepare(&s, &c->base, sql);
  if (rc < 0)
    return rc;
  rc = sq_step(s);
  sq_finalize(s);
  return rc < 0 ? rc : 0;
}

/* IMMEDIATE takes the write lock up front: a deferred transaction that reads
 * and then writes can fail with SQLITE_BUSY without the busy handler being
 * able to help, where an immediate one simply waits its turn. */
static int sq_begin(zm_sql_conn *b)
{
  return run_cached((sq_conn *)b, "BEGIN IMMEDIATE");
}

static int sq_commit(zm_sql_conn *b)
{
  return run_cached((sq_conn *)b, "COMMIT");
}

static int sq_rollback(zm_sql_conn *b)
{
  sq_conn *c = (sq_conn *)b;
  if (sqlite3_get_autocommit(c->db))
    return 0; /* SQLite already rolled back after the error */
  return run_cached(c, "ROLLBACK");
}

static int64_t sq_last_insert_id(zm_sql_conn *b)
{
  return sqlite3_last_insert_rowid(((sq_conn *)b)->db);
}

static int sq_get_version(zm_sql_conn *b, int *out)
{
  zm_sql_stmt *s = NULL;
  int rc = sq_prepare(&s, b, "PRAGMA user_version");
  if (rc < 0)
    return rc;
  rc = sq_step(s);
  if (rc == ZM_SQL_ROW)
    *out = (int)sq_column_int64(s, 0);
  sq_finalize(s);
  return rc < 0 ? rc : 0;
}

static int sq_set_version(zm_sql_conn *b, int version)
{
  char sql[64];
  snprintf(sql, sizeof sql, "PRAGMA user_version = %d", version);
  return sq_exec(b, sql);
}

static int sq_size(zm_sql_conn *b, int64_t *out)
{
  zm_sql_stmt *s = NULL;
  *out = 0;
  int rc = sq_prepare(&s, b, "SELECT page_count * page_size FROM pragma_page_count(),"
                             " pragma_page_size()");
  if (rc < 0)
    return rc;
  rc = sq_step(s);
  if (rc == ZM_SQL_ROW)
    *out = sq_column_int64(s, 0);
  sq_finalize(s);
  return rc < 0 ? rc : 0;
}

static int column_list(zm_buf *out, const char *const *cols, int ncols, const char *prefix)
{
  int rc = 0;
  for (int i = 0; i < ncols && rc == 0; i++)
    rc = zm_buf_printf(out, "%s%s%s", i ? ", " : "", prefix, cols[i]);
  return rc;
}

static int insert_head(zm_buf *out, const char *verb, const char *table,
                       const char *const *cols, int ncols)
{
  int rc = zm_buf_printf(out, "%s INTO %s (", verb, table);
  if (rc == 0)
    rc = column_list(out, cols, ncols, "");
  if (rc == 0)
    rc = zm_buf_puts(out, ") VALUES (");
  for (int i = 0; i < ncols && rc == 0; i++)
    rc = zm_buf_puts(out, i ? ", ?" : "?");
  return rc == 0 ? zm_buf_puts(out, ")") : rc;
}

static int sq_insert_ignore(zm_buf *out, const char *table, const char *const *cols, int ncols)
{
  return insert_head(out, "INSERT OR IGNORE", table, cols, ncols);
}

static int sq_upsert(zm_buf *out, const char *table, const char *const *cols, int ncols,
                     int nkeys)
{
  int rc = insert_head(out, "INSERT", table, cols, ncols);
  if (rc == 0)
    rc = zm_buf_puts(out, " ON CONFLICT (");
  if (rc == 0)
    rc = column_list(out, cols, nkeys, "");
  if (rc == 0)
    rc = zm_buf_puts(out, nkeys < ncols ? ") DO UPDATE SET " : ") DO NOTHING");
  for (int i = nkeys; i < ncols && rc == 0; i++)
    rc = zm_buf_printf(out, "%s%s = excluded.%s", i > nkeys ? ", " : "", cols[i], cols[i]);
  return rc;
}

/* Force a read of the header and the schema now, so a file that is not a
 * database (or is truncated) fails at open with its name, not later. */
static int sq_setup(sq_conn *c, zm_sql_mode mode)
{
  sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
  sqlite3_extended_result_codes(c->db, 1);
  int rc = sq_exec(&c->base, "PRAGMA foreign_keys = ON");
  if (rc == 0 && mode != ZM_SQL_READ) /* a read-only reader keeps the file's journal mode */
    rc = sq_exec(&c->base, "PRAGMA journal_mode = WAL");
  if (rc == 0)
    rc = sq_exec(&c->base, "PRAGMA synchronous = NORMAL");
  if (rc == 0)
    rc = sq_exec(&c->base, "SELECT count(*) FROM sqlite_master");
  return rc;
}

static uint32_t be32(const unsigned char *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Refuse a file SQLite would take for a new, empty database (zero bytes) or
 * read until it hits the damage: empty, not SQLite, or shorter than its header
 * says. Cheap: one stat and 100 bytes, whatever the database's size. */
static int check_file(const char *path, const struct stat *st)
{
  static const char damaged[] = "restore it from a backup; remove it and run 'zenml init' to "
                                "start an empty one (the artifact store is kept)";
  unsigned char h[100];
  if (!S_ISREG(st->st_mode))
    return zm_error_set(ZM_EINVALID, "%s: the metadata database is not a regular file", path);
  if (st->st_size == 0) {
    char wal[4200];
    struct stat ws;
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (stat(wal, &ws) == 0 && ws.st_size > 0)
      return 0; /* a new database whose pages are all still in the WAL */
    return zm_error_set(ZM_EINVALID, "%s: the metadata database is empty (0 bytes); %s", path,
                        damaged);
  }
  FILE *f = fopen(path, "rb");
  size_t n = f ? fread(h, 1, sizeof h, f) : 0;
  if (f)
    fclose(f);
  if (!f)
    return zm_error_set(ZM_EIO, "%s: %s", path, strerror(errno));
  if (n < sizeof h || memcmp(h, "SQLite format 3", 16) != 0)
    return zm_error_set(ZM_EINVALID, "%s: not an SQLite database; %s", path, damaged);
  uint64_t page = (uint64_t)h[16] << 8 | h[17];
  page = page == 1 ? 65536 : page;
  uint64_t pages = be32(h + 28), want = page * pages;
  /* With frames in a -wal, a checkpoint may have written the header's new
   * size before the pages that extend the file: the size proves nothing. */
  char wal[4200];
  struct stat ws;
  snprintf(wal, sizeof wal, "%s-wal", path);
  int wal_frames = stat(wal, &ws) == 0 && ws.st_size > 0;
  if (!wal_frames && be32(h + 24) == be32(h + 92) && pages && (uint64_t)st->st_size < want)
    return zm_error_set(ZM_EINVALID, "%s: the metadata database is truncated (%llu of %llu bytes); %s",
                        path, (unsigned long long)st->st_size, (unsigned long long)want, damaged);
  return 0;
}

/* Check the file at `path` (unless this process has it open already, see
 * open_files); *slot is its registry slot, or -1 for a file not made yet.
 * Called with open_files_lock held. */
static int check_path(int *slot, const char *path, zm_sql_mode mode)
{
  struct stat st;
  *slot = -1;
  if (strcmp(path, ":memory:") == 0)
    return 0;
  if (stat(path, &st) == 0) {
    int known = open_file_slot(st.st_dev, st.st_ino, 0);
    if (known >= 0) {
      *slot = known;
      return 0;
    }
    *slot = open_file_slot(st.st_dev, st.st_ino, 1);
    return check_file(path, &st);
  }
  if (errno != ENOENT)
    return zm_error_set(ZM_EIO, "%s: %s", path, strerror(errno));
  if (mode == ZM_SQL_CREATE)
    return 0;
  return zm_error_set(ZM_ENOTFOUND, "%s: no metadata database (it is made by 'zenml init')", path);
}

/* Whether this process may make files in the database's folder. */
static int writable_dir(const char *path)
{
  char dir[4200];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash)
    *(slash == dir ? slash + 1 : slash) = '\0';
  return access(slash ? dir : ".", W_OK) == 0;
}

/* Whether this process may write the database and make its -wal and -shm
 * files beside it (not so for another user's repository or a read-only mount). */
static int writable(const char *path)
{
  return access(path, W_OK) == 0 && writable_dir(path);
}

/* Read-only, a WAL database needs its -shm file, which SQLite cannot make in a
 * folder it may not write. With no -wal beside it no writer has the database
 * open, so it is opened as immutable instead: no locks, no shared memory. */
static int open_read_only(sq_conn *c)
{
  char wal[4200];
  snprintf(wal, sizeof wal, "%s-wal", c->path);
  int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
  if (writable_dir(c->path) || access(wal, F_OK) == 0)
    return sqlite3_open_v2(c->path, &c->db, flags, NULL);
  zm_buf uri = ZM_BUF_INIT;
  int rc = zm_buf_puts(&uri, "file:");
  for (const char *p = c->path; rc == 0 && *p; p++)
    rc = strchr("%?#", *p) ? zm_buf_printf(&uri, "%%%02X", (unsigned char)*p)
                           : zm_buf_put(&uri, p, 1);
  if (rc == 0)
    rc = zm_buf_puts(&uri, "?immutable=1");
  if (rc == 0)
    rc = sqlite3_open_v2(uri.data, &c->db, flags | SQLITE_OPEN_URI, NULL);
  else
    rc = SQLITE_NOMEM;
  zm_buf_free(&uri);
  return rc;
}

static int sq_open(zm_sql_conn **out, const char *path, zm_sql_mode mode)
{
  *out = NULL;
  int slot;
  pthread_mutex_lock(&open_files_lock);
  int rc = check_path(&slot, path, mode);
  if (rc == 0 && slot >= 0)
    open_files[slot].n++; /* counted before SQLite opens it: no check closes it meanwhile */
  pthread_mutex_unlock(&open_files_lock);
  if (rc < 0)
    return rc;
  if (mode == ZM_SQL_WRITE && !writable(path))
    mode = ZM_SQL_READ;
  sq_conn *c = calloc(1, sizeof *c);
  if (!c || !(c->path = strdup(path))) {
    free(c);
    if (slot >= 0) {
      pthread_mutex_lock(&open_files_lock);
      open_files[slot].n--;
      pthread_mutex_unlock(&open_files_lock);
    }
    return zm_error_set(ZM_ENOMEM, "out of memory");
  }
  c->file_slot = slot;
  c->base.drv = self();
  c->base.read_only = mode == ZM_SQL_READ;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  flags |= mode == ZM_SQL_CREATE ? SQLITE_OPEN_CREATE : 0;
  rc = mode == ZM_SQL_READ ? open_read_only(c) : sqlite3_open_v2(path, &c->db, flags, NULL);
  rc = rc == SQLITE_OK ? sq_setup(c, mode) : fail(c, rc);
  if (rc < 0) {
    sq_close(&c->base);
    return rc;
  }
  struct stat st;
  if (c->file_slot < 0 && strcmp(path, ":memory:") != 0 && stat(path, &st) == 0) {
    /* a database this connection created: count it too */
    pthread_mutex_lock(&open_files_lock);
    c->file_slot = open_file_slot(st.st_dev, st.st_ino, 1);
    if (c->file_slot >= 0)
      open_files[c->file_slot].n++;
    pthread_mutex_unlock(&open_files_lock);
  }
  *out = &c->base;
  return 0;
}

const zm_sql_driver zm_sql_sqlite = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .exec = sq_exec,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .prepare = sq_prepare,
    .bind_int64 = sq_bind_int64,
    .bind_double = sq_bind_double,
    .bind_text = sq_bind_text,
    .bind_blob = sq_bind_blob,
    .bind_null = sq_bind_null,
    .step = sq_step,
    .column_count = sq_column_count,
    .column_name = sq_column_name,
    .column_type = sq_column_type,
    .column_int64 = sq_column_int64,
    .column_double = sq_column_double,
    .column_text = sq_column_text,
    .column_blob = sq_column_blob,
    .readonly = sq_readonly,
    .reset = sq_reset,
    .finalize = sq_finalize,
    .last_insert_id = sq_last_insert_id,
    .get_version = sq_get_version,
    .set_version = sq_set_version,
    .size = sq_size,
    .schema = zm_sql_sqlite_schema,
    .migration = zm_sql_sqlite_migration,
    .insert_ignore = sq_insert_ignore,
    .upsert = sq_upsert,
};

static const zm_sql_driver *self(void)
{
  return &zm_sql_sqlite;
}
