/* What the files of the MariaDB driver share: its parsed URL, its
 * connection and statement types and the functions between them. */
#ifndef ZM_META_MARIADB_INTERNAL_H
#define ZM_META_MARIADB_INTERNAL_H

typedef struct my_params {
  char *user, *host, *db, *socket, *defaults_file;
  unsigned port;
  char *ssl_key, *ssl_cert, *ssl_ca, *ssl_capath, *ssl_cipher, *ssl_crl;
  int ssl, ssl_verify; /* -1 unset, 0 off, 1 on */
  char *display;       /* scheme://user@host:port/db, how errors name the server */
} my_params;

/* Parse mysql://[user@]host[:port]/db[?name=value&...] into `p` (zeroed
 * first); a password in the URL is refused. Free with zm__my_params_free. */
int zm__my_parse_url(my_params *p, const char *url);

/* Free what zm__my_parse_url allocated (the struct itself is the caller's). */
void zm__my_params_free(my_params *p);

/* --- connections and statements (mariadb.c, mariadb_stmt.c) ------------ */

#include "meta/mariadb_api.h"
#include "meta/sql.h"

#define MY (zm_my())

typedef struct my_conn my_conn;

typedef struct my_col {
  MYSQL_BIND *b; /* its entry in the statement's rbind array */
  unsigned long len;
  my_bool null, error;
  int64_t i;
  double d;
  char *buf;
  size_t cap;
  char num[40];
} my_col;

typedef struct my_param {
  int64_t i;
  double d;
  char *s;
  unsigned long len;
  my_bool null;
} my_param;

typedef struct my_stmt {
  zm_sql_stmt base;
  my_conn *conn;
  MYSQL_STMT *st; /* NULL until first executed, again after a reconnection */
  char *sql;
  int cached, in_use, executed;
  unsigned nparams, ncols;
  MYSQL_BIND *pbind;
  my_param *params;
  my_col *cols;
  MYSQL_BIND *rbind; /* one per column, contiguous as libmariadb wants */
  MYSQL_RES *meta;
  MYSQL_FIELD *fields;
  struct my_stmt *next;
} my_stmt;

struct my_conn {
  zm_sql_conn base;
  MYSQL *my;
  my_params p;
  my_stmt *stmts;
  int ncached;
  int in_tx;       /* between begin and commit/rollback */
  int locked;      /* holds the writers' named lock */
  int retry;       /* the last error rolled the transaction back; run it again */
  int sent;        /* a statement was sent (my_send) whose result is not read yet */
  int64_t last_id;
  char lock_name[80];
  const char *password; /* from the environment; NULL: option files */
  /* tables made by DDL since begin, dropped again on rollback (MariaDB
   * commits before DDL, so a failed fresh schema would otherwise stay) */
  char **created;
  size_t ncreated;
};

/* The driver table (mariadb.c). */
const zm_sql_driver *zm__my_self(void);

/* Whether a client error number means the connection is gone. */
int zm__my_lost_code(unsigned e);

/* Set the error for server error `e` (message `msg`), naming the server; in
 * a transaction, a deadlock or lost connection also marks it to be retried. */
int zm__my_fail_code(my_conn *c, unsigned e, const char *msg);

/* zm__my_fail_code with the connection's or the statement's last error. */
int zm__my_fail(my_conn *c);
int zm__my_fail_stmt(my_stmt *s);

/* Read the result of the statement my_send sent, if any: every use of the
 * connection does this first. Its error, or 0. */
int zm__my_settle(my_conn *c);

/* Connect again, every statement to be prepared again on its next use. */
int zm__my_reconnect(my_conn *c);

/* Forget a statement's server handle; free a statement (mariadb_stmt.c). */
void zm__my_stmt_unprepare(my_stmt *s);
void zm__my_free_stmt(my_stmt *s);

/* The statement half of the driver table (mariadb_stmt.c). */
int zm__my_prepare(zm_sql_stmt **out, zm_sql_conn *base, const char *sql);
void zm__my_finalize(zm_sql_stmt *base);
int zm__my_bind_int64(zm_sql_stmt *b, int i, int64_t v);
int zm__my_bind_double(zm_sql_stmt *b, int i, double v);
int zm__my_bind_text(zm_sql_stmt *b, int i, const char *v, size_t len);
int zm__my_bind_blob(zm_sql_stmt *b, int i, const void *v, size_t len);
int zm__my_bind_null(zm_sql_stmt *b, int i);
int zm__my_step(zm_sql_stmt *b);
int zm__my_column_count(zm_sql_stmt *b);
const char *zm__my_column_name(zm_sql_stmt *b, int col);
int zm__my_column_type(zm_sql_stmt *b, int col);
int64_t zm__my_column_int64(zm_sql_stmt *b, int col);
double zm__my_column_double(zm_sql_stmt *b, int col);
const char *zm__my_column_text(zm_sql_stmt *b, int col);
const void *zm__my_column_blob(zm_sql_stmt *b, int col, size_t *len);
int zm__my_readonly(zm_sql_stmt *b);
int zm__my_reset(zm_sql_stmt *b);

#endif
