/* The MariaDB/MySQL metadata driver, on MariaDB Connector/C loaded with
 * dlopen (mariadb_api.c). Server-side prepared statements cached per
 * connection, results buffered on the client so statements interleave as
 * they do on SQLite. Writers queue on a named lock per database taken at
 * BEGIN, as SQLite's writers queue on its write lock: a read-then-write
 * transaction (the next pipeline version, a datasource's id) cannot race
 * another process's, and zenml's own writers never deadlock. A connection
 * lost between transactions is made again transparently; one lost in a
 * transaction (or a deadlock with another client) rolls it back and says so
 * through `retry`, and the metadata store runs the transaction again.
 *
 * URL: mysql://[user@]host[:port]/database[?option=value&...] (or
 * mariadb://). The password is never in the URL: it comes from
 * ZENML_MYSQL_PASSWORD or a MySQL option file (~/.my.cnf, or
 * ?defaults-file=PATH), so it is not stored in the repository's config. */
#include "core/buf.h"
#include "core/error.h"
#include "meta/mariadb_api.h"
#include "meta/mariadb_internal.h"
#include "meta/mariadb_schema.h"
#include "meta/sql.h"

#include <ctype.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOCK_TIMEOUT_S 60
#define CONNECT_TIMEOUT_S 10

/* --- connections --------------------------------------------------------- */

int zm__my_lost_code(unsigned e)
{
  return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == 4031 /* idle timeout */ ||
         e == ER_CONNECTION_KILLED;
}

static int map_code(unsigned e)
{
  switch (e) {
  case ER_DUP_ENTRY:
  case ER_DUP_KEY:
  case ER_TABLE_EXISTS_ERROR:
    return ZM_EEXISTS;
  case ER_BAD_DB_ERROR:
  case ER_NO_SUCH_TABLE:
    return ZM_ENOTFOUND;
  case ER_NO_REFERENCED_ROW_2:
  case ER_ROW_IS_REFERENCED_2:
  case ER_PARSE_ERROR:
  case ER_BAD_FIELD_ERROR:
  case ER_DATA_TOO_LONG:
  case ER_BAD_NULL_ERROR:
    return ZM_EINVALID;
  case CR_OUT_OF_MEMORY:
    return ZM_ENOMEM;
  default:
    return e >= 2000 && e < 3000 ? ZM_EIO : ZM_ERROR;
  }
}

/* Every error names the server (never the password: it is not in the URL,
 * and the server's messages say only whether one was used). */
int zm__my_fail_code(my_conn *c, unsigned e, const char *msg)
{
  if (c->in_tx && (zm__my_lost_code(e) || e == ER_LOCK_DEADLOCK || e == ER_LOCK_WAIT_TIMEOUT)) {
    c->retry = 1;
    return zm_error_set(ZM_EIO, "%s: %s (the transaction was rolled back)", c->p.display, msg);
  }
  return zm_error_set(map_code(e), "%s: %s", c->p.display, msg);
}

int zm__my_fail(my_conn *c)
{
  return zm__my_fail_code(c, MY->mysql_errno(c->my), MY->mysql_error(c->my));
}

int zm__my_fail_stmt(my_stmt *s)
{
  return zm__my_fail_code(s->conn, MY->mysql_stmt_errno(s->st), MY->mysql_stmt_error(s->st));
}

int zm__my_settle(my_conn *c)
{
  if (!c->sent)
    return 0;
  c->sent = 0;
  if (c->my && MY->mysql_read_query_result(c->my) != 0)
    return zm__my_fail(c);
  return 0;
}

/* Send `sql` and return; its result is read by the next use (zm__my_settle). */
static int send_query(my_conn *c, const char *sql)
{
  int rc = zm__my_settle(c);
  if (rc < 0)
    return rc;
  if (!c->my)
    return zm_error_set(ZM_EIO, "%s: not connected", c->p.display);
  if (MY->mysql_send_query(c->my, sql, strlen(sql)) != 0)
    return zm__my_fail(c);
  c->sent = 1;
  return 0;
}

static int query(my_conn *c, const char *sql)
{
  int rc = zm__my_settle(c);
  if (rc < 0)
    return rc;
  if (MY->mysql_real_query(c->my, sql, strlen(sql)) != 0)
    return zm__my_fail(c);
  MYSQL_RES *r = MY->mysql_store_result(c->my);
  if (r)
    MY->mysql_free_result(r);
  else if (MY->mysql_field_count(c->my) != 0)
    return zm__my_fail(c);
  return 0;
}

/* The first column of the one row `sql` returns, as an integer (-1 for NULL). */
static int query_int(long long *out, my_conn *c, const char *sql)
{
  *out = -1;
  int rc = zm__my_settle(c);
  if (rc < 0)
    return rc;
  if (MY->mysql_real_query(c->my, sql, strlen(sql)) != 0)
    return zm__my_fail(c);
  MYSQL_RES *r = MY->mysql_store_result(c->my);
  if (!r)
    return zm__my_fail(c);
  MYSQL_ROW row = MY->mysql_fetch_row(r);
  if (row && row[0])
    *out = strtoll(row[0], NULL, 10);
  MY->mysql_free_result(r);
  return 0;
}

/* Session settings every connection gets: strict types (a value too long
 * for a column is an error, not a silently cut value), standard SQL's ||
 * and "identifiers" (as SQLite reads a query typed into db:query), and
 * read-committed reads outside the writers' lock. */
static int session_setup(my_conn *c)
{
  int rc = query(c, "SET SESSION sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,"
                     "NO_ENGINE_SUBSTITUTION,PIPES_AS_CONCAT,ANSI_QUOTES'");
  if (rc == 0)
    rc = query(c, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
  if (rc == 0 && c->base.read_only) /* the server refuses this session's writes */
    rc = query(c, "SET SESSION TRANSACTION READ ONLY");
  return rc;
}

static void set_opt(MYSQL *my, enum mysql_option o, const char *v)
{
  if (v)
    MY->mysql_options(my, o, v);
}

static int connect_server(my_conn *c)
{
  const my_params *p = &c->p;
  MYSQL *my = MY->mysql_init(NULL);
  if (!my)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  unsigned timeout = CONNECT_TIMEOUT_S;
  my_bool no = 0;
  MY->mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  MY->mysql_options(my, MYSQL_OPT_LOCAL_INFILE, &no);
  MY->mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  /* the [client] group of the option files: ~/.my.cnf, or the one named */
  set_opt(my, MYSQL_READ_DEFAULT_FILE, p->defaults_file);
  MY->mysql_options(my, MYSQL_READ_DEFAULT_GROUP, "client");
  set_opt(my, MYSQL_OPT_SSL_KEY, p->ssl_key);
  set_opt(my, MYSQL_OPT_SSL_CERT, p->ssl_cert);
  set_opt(my, MYSQL_OPT_SSL_CA, p->ssl_ca);
  set_opt(my, MYSQL_OPT_SSL_CAPATH, p->ssl_capath);
  set_opt(my, MYSQL_OPT_SSL_CIPHER, p->ssl_cipher);
  set_opt(my, MYSQL_OPT_SSL_CRL, p->ssl_crl);
  if (p->ssl >= 0) {
    my_bool v = (my_bool)p->ssl;
    MY->mysql_options(my, MYSQL_OPT_SSL_ENFORCE, &v);
  }
  if (p->ssl_verify >= 0) {
    my_bool v = (my_bool)p->ssl_verify;
    MY->mysql_options(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &v);
  }
  c->my = my;
  if (!MY->mysql_real_connect(my, *p->host ? p->host : NULL, p->user, c->password, p->db,
                              p->port, p->socket, 0)) {
    unsigned e = MY->mysql_errno(my);
    int rc = zm_error_set(map_code(e), "%s: %s", p->display, MY->mysql_error(my));
    if (e == CR_CONNECTION_ERROR || e == CR_CONN_HOST_ERROR)
      rc = zm_error_set(ZM_EIO, "%s: cannot connect to the server (is it running, and listening "
                                "on that %s?)", p->display, p->socket ? "socket" : "host and port");
    else if (e == CR_UNKNOWN_HOST)
      rc = zm_error_set(ZM_EIO, "%s: unknown host '%s'", p->display, p->host);
    else if (e == ER_BAD_DB_ERROR)
      rc = zm_error_set(ZM_ENOTFOUND, "%s: no database '%s' on the server (create it, or "
                                      "ask its administrator to)", p->display, p->db);
    MY->mysql_close(my);
    c->my = NULL;
    return rc;
  }
  return session_setup(c);
}

/* Connect again after the server went away: every prepared statement is
 * prepared again on its next use. */
int zm__my_reconnect(my_conn *c)
{
  c->sent = 0; /* gone with the connection (and its transaction) */
  for (my_stmt *s = c->stmts; s; s = s->next)
    zm__my_stmt_unprepare(s);
  if (c->my)
    MY->mysql_close(c->my);
  c->my = NULL;
  c->locked = 0;
  int rc = connect_server(c);
  if (rc < 0)
    return zm_error_wrap(rc, "lost the connection to the metadata server and could not make "
                             "it again");
  return 0;
}

static void my_close(zm_sql_conn *base)
{
  my_conn *c = (my_conn *)base;
  if (!c)
    return;
  zm__my_settle(c);
  for (my_stmt *s = c->stmts, *next; s; s = next) {
    next = s->next;
    zm__my_free_stmt(s);
  }
  if (c->my)
    MY->mysql_close(c->my); /* the server rolls back and drops the named lock */
  for (size_t i = 0; i < c->ncreated; i++)
    free(c->created[i]);
  free(c->created);
  zm__my_params_free(&c->p);
  free(c);
}

/* "CREATE TABLE IF NOT EXISTS name (" -> remember name, to drop on rollback
 * when it did not exist before. */
static int note_created(my_conn *c, const char *sql, size_t n)
{
  static const char head[] = "CREATE TABLE IF NOT EXISTS ";
  if (!c->in_tx || n < sizeof head || strncmp(sql, head, sizeof head - 1) != 0)
    return 0;
  const char *name = sql + sizeof head - 1;
  size_t len = strcspn(name, " (");
  char q[200];
  long long exists = 0;
  snprintf(q, sizeof q, "SELECT count(*) FROM information_schema.tables WHERE "
                        "table_schema = DATABASE() AND table_name = '%.*s'", (int)len, name);
  int rc = query_int(&exists, c, q);
  if (rc < 0 || exists > 0)
    return rc;
  char **grown = realloc(c->created, (c->ncreated + 1) * sizeof *grown);
  if (!grown)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  c->created = grown;
  if (!(c->created[c->ncreated] = strndup(name, len)))
    return zm_error_set(ZM_ENOMEM, "out of memory");
  c->ncreated++;
  return 0;
}

/* Statements separated by ";\n" (the schema's own text: no semicolons
 * inside literals), run one by one. */
static int my_exec(zm_sql_conn *base, const char *sql)
{
  my_conn *c = (my_conn *)base;
  int settled = zm__my_settle(c);
  if (settled < 0)
    return settled;
  while (*sql) {
    while (*sql == ' ' || *sql == '\n' || *sql == '\t')
      sql++;
    if (!*sql)
      break;
    const char *end = strstr(sql, ";\n");
    size_t n = end ? (size_t)(end - sql) : strlen(sql);
    while (n && (sql[n - 1] == ';' || sql[n - 1] == ' '))
      n--;
    int rc = note_created(c, sql, n);
    if (rc < 0)
      return rc;
    if (MY->mysql_real_query(c->my, sql, n) != 0)
      return zm__my_fail(c);
    MYSQL_RES *r = MY->mysql_store_result(c->my);
    if (r)
      MY->mysql_free_result(r);
    sql = end ? end + 2 : sql + n;
  }
  return 0;
}

/* Run a statement on a failure path: its own error must not replace the
 * one being reported. The server's error number, or 0. */
static unsigned quiet(my_conn *c, const char *sql)
{
  if (!c->my)
    return CR_SERVER_GONE_ERROR;
  if (c->sent) {
    c->sent = 0;
    MY->mysql_read_query_result(c->my);
  }
  if (MY->mysql_real_query(c->my, sql, strlen(sql)) != 0)
    return MY->mysql_errno(c->my);
  MYSQL_RES *r = MY->mysql_store_result(c->my);
  if (r)
    MY->mysql_free_result(r);
  return 0;
}

static void unlock_quietly(my_conn *c)
{
  char sql[160];
  snprintf(sql, sizeof sql, "DO RELEASE_LOCK('%s')", c->lock_name);
  if (c->locked)
    quiet(c, sql);
  c->locked = 0;
}

static int release_lock(my_conn *c)
{
  if (!c->locked)
    return 0;
  c->locked = 0;
  char sql[160];
  snprintf(sql, sizeof sql, "DO RELEASE_LOCK('%s')", c->lock_name);
  return send_query(c, sql); /* nothing waits for it: read with the next statement */
}

static int take_lock(my_conn *c)
{
  char sql[160];
  long long got = 0;
  snprintf(sql, sizeof sql, "SELECT GET_LOCK('%s', %d)", c->lock_name, LOCK_TIMEOUT_S);
  int rc = query_int(&got, c, sql);
  if (rc < 0)
    return rc;
  if (got != 1)
    return zm_error_set(ZM_EIO, "%s: another zenml process has been writing the metadata for "
                                "%d seconds; try again later", c->p.display, LOCK_TIMEOUT_S);
  c->locked = 1;
  return 0;
}

static int begin_once(my_conn *c)
{
  int rc = c->my ? take_lock(c) : zm_error_set(ZM_EIO, "%s: not connected", c->p.display);
  if (rc == 0) /* read with the transaction's first statement */
    rc = send_query(c, "START TRANSACTION");
  return rc;
}

/* Forget the tables DDL made since begin (kept: committed, or dropped). */
static void forget_created(my_conn *c)
{
  for (size_t i = 0; i < c->ncreated; i++)
    free(c->created[i]);
  c->ncreated = 0;
}

/* A connection lost since the last statement is made again here, where no
 * transaction's work can be lost with it. */
static int my_begin(zm_sql_conn *b)
{
  my_conn *c = (my_conn *)b;
  c->retry = 0;
  forget_created(c);
  int rc = begin_once(c);
  if (rc < 0 && (!c->my || zm__my_lost_code(MY->mysql_errno(c->my)))) {
    rc = zm__my_reconnect(c);
    if (rc == 0)
      rc = begin_once(c);
  }
  if (rc < 0) {
    unlock_quietly(c);
    return rc;
  }
  c->in_tx = 1;
  return 0;
}

/* A connection lost during COMMIT leaves the outcome unknown: that error
 * is not one to run the transaction again on (in_tx is cleared first). */
static int my_commit(zm_sql_conn *b)
{
  my_conn *c = (my_conn *)b;
  c->in_tx = 0;
  int rc = query(c, "COMMIT");
  forget_created(c);
  if (rc == 0)
    rc = release_lock(c);
  return rc;
}

/* DDL committed on its own: a failed fresh schema's tables are dropped. */
static void drop_created(my_conn *c)
{
  if (!c->ncreated)
    return;
  quiet(c, "SET SESSION foreign_key_checks = 0");
  for (size_t i = c->ncreated; i-- > 0;) {
    char sql[320];
    snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS `%s`", c->created[i]);
    quiet(c, sql);
    free(c->created[i]);
  }
  c->ncreated = 0;
  quiet(c, "SET SESSION foreign_key_checks = 1");
}

/* Called after a failure, whose message it leaves as it is. A connection
 * that is gone took its transaction and the named lock with it. */
static int my_rollback(zm_sql_conn *b)
{
  my_conn *c = (my_conn *)b;
  int was = c->in_tx;
  c->in_tx = 0;
  unsigned e = was ? quiet(c, "ROLLBACK") : 0;
  if (was && !e)
    drop_created(c);
  if (!zm__my_lost_code(e))
    unlock_quietly(c);
  c->locked = 0;
  return 0;
}

/* The statement goes out now and the server runs it while the caller goes
 * on; its result (an error included) is read before the connection's next
 * statement. For writes whose rows nothing reads back at once: the cache
 * hits held back by the metadata store (meta_cache.c), which overlap the
 * server's work on them with the next steps of the run. */
static int my_send(zm_sql_conn *b, const char *sql)
{
  return send_query((my_conn *)b, sql);
}

/* A string literal: quoted and escaped for this connection's character set
 * (backslash escapes are on: the session's sql_mode does not turn them off). */
static int my_quote(zm_sql_conn *b, zm_buf *out, const char *v)
{
  my_conn *c = (my_conn *)b;
  size_t n = strlen(v);
  char *esc = malloc(2 * n + 1);
  if (!esc)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  unsigned long len = MY->mysql_real_escape_string(c->my, esc, v, (unsigned long)n);
  int rc = zm_buf_printf(out, "'%.*s'", (int)len, esc);
  free(esc);
  return rc;
}

static int my_retry(zm_sql_conn *b)
{
  my_conn *c = (my_conn *)b;
  int r = c->retry;
  c->retry = 0;
  return r;
}

static int64_t my_last_insert_id(zm_sql_conn *b)
{
  return ((my_conn *)b)->last_id;
}

/* The version lives in a one-row table of its own. A database without it
 * but with tables named as zenml's is someone else's: refused, not taken. */
static int my_get_version(zm_sql_conn *b, int *out)
{
  my_conn *c = (my_conn *)b;
  long long v = 0, n = 0;
  *out = 0;
  /* the table itself first: information_schema costs more than a command's
   * other statements together (1.4 ms) */
  int rc = query_int(&v, c, "SELECT max(version) FROM zenml_schema");
  if (rc == 0) {
    *out = v > 0 ? (int)v : 0;
    return 0;
  }
  if (!c->my || MY->mysql_errno(c->my) != ER_NO_SUCH_TABLE)
    return rc;
  rc = query_int(&n, c, "SELECT count(*) FROM information_schema.tables"
                        " WHERE table_schema = DATABASE() AND table_name IN ('runs',"
                        " 'executions', 'artifacts', 'pipelines', 'events', 'datasources')");
  if (rc == 0 && n > 0)
    rc = zm_error_set(ZM_EINVALID, "%s: the database has tables named as zenml's but is not a "
                                   "zenml metadata store; use an empty database",
                      c->p.display);
  return rc;
}

static int my_set_version(zm_sql_conn *b, int version)
{
  my_conn *c = (my_conn *)b;
  char sql[96];
  int rc = query(c, "CREATE TABLE IF NOT EXISTS zenml_schema (version INT NOT NULL)"
                    " ENGINE=InnoDB");
  if (rc == 0)
    rc = query(c, "DELETE FROM zenml_schema");
  snprintf(sql, sizeof sql, "INSERT INTO zenml_schema (version) VALUES (%d)", version);
  return rc == 0 ? query(c, sql) : rc;
}

static int my_size(zm_sql_conn *b, int64_t *out)
{
  long long n = 0;
  int rc = query_int(&n, (my_conn *)b, "SELECT coalesce(sum(data_length + index_length), 0)"
                                       " FROM information_schema.tables"
                                       " WHERE table_schema = DATABASE()");
  *out = n > 0 ? n : 0;
  return rc;
}

static int column_list(zm_buf *out, const char *const *cols, int ncols)
{
  int rc = 0;
  for (int i = 0; i < ncols && rc == 0; i++)
    rc = zm_buf_printf(out, "%s%s", i ? ", " : "", cols[i]);
  return rc;
}

static int insert_head(zm_buf *out, const char *table, const char *const *cols, int ncols)
{
  int rc = zm_buf_printf(out, "INSERT INTO %s (", table);
  if (rc == 0)
    rc = column_list(out, cols, ncols);
  if (rc == 0)
    rc = zm_buf_puts(out, ") VALUES (");
  for (int i = 0; i < ncols && rc == 0; i++)
    rc = zm_buf_puts(out, i ? ", ?" : "?");
  return rc == 0 ? zm_buf_puts(out, ")") : rc;
}

/* Not INSERT IGNORE: that also turns other errors (a foreign key, a value
 * too long) into warnings. This ignores a duplicate key only. */
static int my_insert_ignore(zm_buf *out, const char *table, const char *const *cols, int ncols)
{
  int rc = insert_head(out, table, cols, ncols);
  return rc == 0 ? zm_buf_printf(out, " ON DUPLICATE KEY UPDATE %s = %s", cols[0], cols[0]) : rc;
}

static int my_upsert(zm_buf *out, const char *table, const char *const *cols, int ncols,
                     int nkeys)
{
  if (nkeys >= ncols)
    return my_insert_ignore(out, table, cols, ncols);
  int rc = insert_head(out, table, cols, ncols);
  if (rc == 0)
    rc = zm_buf_puts(out, " ON DUPLICATE KEY UPDATE ");
  for (int i = nkeys; i < ncols && rc == 0; i++)
    rc = zm_buf_printf(out, "%s%s = VALUES(%s)", i > nkeys ? ", " : "", cols[i], cols[i]);
  return rc;
}

static int my_open(zm_sql_conn **out, const char *url, zm_sql_mode mode)
{
  *out = NULL;
  my_conn *c = calloc(1, sizeof *c);
  if (!c)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  c->base.drv = zm__my_self();
  c->base.read_only = mode == ZM_SQL_READ;
  int rc = zm__my_parse_url(&c->p, url);
  if (rc == 0)
    rc = zm_my_load();
  if (rc == 0) {
    const char *pw = getenv("ZENML_MYSQL_PASSWORD");
    c->password = pw && *pw ? pw : NULL;
    snprintf(c->lock_name, sizeof c->lock_name, "zenml:%s", c->p.db);
    for (char *q = c->lock_name; *q; q++)
      if (*q == '\'' || *q == '\\')
        *q = '_';
    rc = connect_server(c);
  }
  if (rc < 0) {
    my_close(&c->base);
    return rc;
  }
  *out = &c->base;
  return 0;
}

const zm_sql_driver zm_sql_mariadb = {
    .name = "mysql",
    .open = my_open,
    .close = my_close,
    .exec = my_exec,
    .begin = my_begin,
    .commit = my_commit,
    .rollback = my_rollback,
    .retry = my_retry,
    .prepare = zm__my_prepare,
    .bind_int64 = zm__my_bind_int64,
    .bind_double = zm__my_bind_double,
    .bind_text = zm__my_bind_text,
    .bind_blob = zm__my_bind_blob,
    .bind_null = zm__my_bind_null,
    .step = zm__my_step,
    .column_count = zm__my_column_count,
    .column_name = zm__my_column_name,
    .column_type = zm__my_column_type,
    .column_int64 = zm__my_column_int64,
    .column_double = zm__my_column_double,
    .column_text = zm__my_column_text,
    .column_blob = zm__my_column_blob,
    .readonly = zm__my_readonly,
    .reset = zm__my_reset,
    .finalize = zm__my_finalize,
    .last_insert_id = my_last_insert_id,
    .get_version = my_get_version,
    .set_version = my_set_version,
    .size = my_size,
    .schema = zm_sql_mariadb_schema,
    .migration = zm_sql_mariadb_migration,
    .insert_ignore = my_insert_ignore,
    .upsert = my_upsert,
    .send = my_send,
    .quote = my_quote,
};

const zm_sql_driver *zm__my_self(void)
{
  return &zm_sql_mariadb;
}
