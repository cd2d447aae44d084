/* The MariaDB driver's prepared statements: server-side, cached per
 * connection, parameters copied when bound (as SQLite's SQLITE_TRANSIENT),
 * results buffered on the client (so statements interleave as on SQLite)
 * with integers and floats as such and everything else as bytes. */
#include "core/error.h"
#include "meta/mariadb_internal.h"

#include <ctype.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_CACHED 96
#define FIRST_BUF 256

/* Forget a statement's server handle (after a reconnection, or to close). */
void zm__my_stmt_unprepare(my_stmt *s)
{
  if (s->st)
    zm__my_settle(s->conn); /* closing talks to the server */
  if (s->meta)
    MY->mysql_free_result(s->meta);
  if (s->st)
    MY->mysql_stmt_close(s->st);
  s->meta = NULL;
  s->fields = NULL;
  s->st = NULL;
  s->executed = 0;
}

void zm__my_free_stmt(my_stmt *s)
{
  zm__my_stmt_unprepare(s);
  for (unsigned i = 0; i < s->nparams; i++)
    free(s->params[i].s);
  for (unsigned i = 0; i < s->ncols; i++)
    free(s->cols[i].buf);
  free(s->params);
  free(s->pbind);
  free(s->cols);
  free(s->rbind);
  free(s->sql);
  free(s);
}


static my_stmt *cache_find(my_conn *c, const char *sql)
{
  for (my_stmt *s = c->stmts; s; s = s->next)
    if (s->cached && !s->in_use && (s->sql == sql || strcmp(s->sql, sql) == 0))
      return s;
  return NULL;
}

/* The parameters (`?`) of `sql`, outside its literals, quoted identifiers
 * and comments. */
static unsigned count_params(const char *sql)
{
  unsigned n = 0;
  for (const char *p = sql; *p; p++) {
    if (*p == '\'' || *p == '"' || *p == '`') {
      char q = *p;
      for (p++; *p && *p != q; p++)
        if (*p == '\\' && q != '`' && p[1])
          p++;
      if (!*p)
        break;
    } else if ((*p == '-' && p[1] == '-') || *p == '#') {
      while (p[1] && p[1] != '\n')
        p++;
    } else if (*p == '/' && p[1] == '*') {
      const char *end = strstr(p + 2, "*/");
      if (!end)
        break;
      p = end + 1;
    } else if (*p == '?') {
      n++;
    }
  }
  return n;
}

/* Size the parameter array for `np` parameters. */
static int size_params(my_stmt *s, unsigned np)
{
  if (!s->params && np) {
    s->params = calloc(np, sizeof *s->params);
    s->pbind = calloc(np, sizeof *s->pbind);
    if (!s->params || !s->pbind)
      return zm_error_set(ZM_ENOMEM, "out of memory");
    for (unsigned i = 0; i < np; i++)
      s->params[i].null = 1;
  }
  s->nparams = np;
  return 0;
}

/* Size the column arrays and read the columns' metadata, once the server
 * has described the statement. */
static int size_columns(my_stmt *s)
{
  unsigned nc = MY->mysql_stmt_field_count(s->st);
  if (!s->cols && nc) {
    s->cols = calloc(nc, sizeof *s->cols);
    s->rbind = calloc(nc, sizeof *s->rbind);
    if (!s->cols || !s->rbind)
      return zm_error_set(ZM_ENOMEM, "out of memory");
    for (unsigned i = 0; i < nc; i++)
      s->cols[i].b = &s->rbind[i];
  }
  s->ncols = nc;
  if (nc && !s->meta) {
    s->meta = MY->mysql_stmt_result_metadata(s->st);
    if (!s->meta)
      return zm__my_fail_stmt(s);
    s->fields = MY->mysql_fetch_fields(s->meta);
  }
  return 0;
}

/* A statement's first execution on its connection: prepared and executed
 * in one round trip (MariaDB's execute-direct), where preparing first would
 * wait for the server twice. A failure forgets the server's handle, so a
 * retry starts afresh. */
static int stmt_execute_direct(my_stmt *s)
{
  my_conn *c = s->conn;
  s->st = MY->mysql_stmt_init(c->my);
  if (!s->st)
    return zm__my_fail(c);
  unsigned np = s->nparams;
  int rc = 0;
  if (MY->mysql_stmt_attr_set(s->st, STMT_ATTR_PREBIND_PARAMS, &np) != 0 ||
      (np && MY->mysql_stmt_bind_param(s->st, s->pbind) != 0) ||
      MY->mariadb_stmt_execute_direct(s->st, s->sql, strlen(s->sql)) != 0)
    rc = zm__my_fail_stmt(s);
  else if (MY->mysql_stmt_param_count(s->st) != np)
    rc = zm_error_set(ZM_EINVALID, "%s: the statement has %lu parameters, not %u", c->p.display,
                      MY->mysql_stmt_param_count(s->st), np);
  if (rc < 0) {
    MY->mysql_stmt_close(s->st);
    s->st = NULL;
    return rc;
  }
  return size_columns(s);
}

int zm__my_prepare(zm_sql_stmt **out, zm_sql_conn *base, const char *sql)
{
  my_conn *c = (my_conn *)base;
  *out = NULL;
  my_stmt *s = cache_find(c, sql);
  if (s) {
    s->in_use = 1;
    *out = &s->base;
    return 0;
  }
  s = calloc(1, sizeof *s);
  if (!s || !(s->sql = strdup(sql))) {
    free(s);
    return zm_error_set(ZM_ENOMEM, "out of memory");
  }
  s->base.drv = zm__my_self();
  s->conn = c;
  /* the server sees it with its first execution (stmt_execute_direct) */
  int rc = size_params(s, count_params(sql));
  if (rc < 0) {
    zm__my_free_stmt(s);
    return rc;
  }
  s->cached = c->ncached < MAX_CACHED;
  c->ncached += s->cached;
  s->in_use = 1;
  s->next = c->stmts;
  c->stmts = s;
  *out = &s->base;
  return 0;
}

static void stmt_clear(my_stmt *s)
{
  if (s->st && s->executed)
    MY->mysql_stmt_free_result(s->st);
  s->executed = 0;
}

void zm__my_finalize(zm_sql_stmt *base)
{
  my_stmt *s = (my_stmt *)base;
  if (!s)
    return;
  stmt_clear(s);
  for (unsigned i = 0; i < s->nparams; i++) {
    free(s->params[i].s);
    s->params[i] = (my_param){.null = 1};
  }
  if (s->cached) {
    s->in_use = 0;
    return;
  }
  for (my_stmt **p = &s->conn->stmts; *p; p = &(*p)->next)
    if (*p == s) {
      *p = s->next;
      break;
    }
  zm__my_free_stmt(s);
}

static my_param *param(my_stmt *s, int i, int *rc)
{
  if (i < 1 || (unsigned)i > s->nparams) {
    *rc = zm_error_set(ZM_EINVALID, "%s: no parameter %d in the statement", s->conn->p.display, i);
    return NULL;
  }
  my_param *p = &s->params[i - 1];
  free(p->s);
  *p = (my_param){0};
  return p;
}

int zm__my_bind_int64(zm_sql_stmt *b, int i, int64_t v)
{
  int rc = 0;
  my_param *p = param((my_stmt *)b, i, &rc);
  if (p)
    p->i = v;
  return rc;
}

int zm__my_bind_double(zm_sql_stmt *b, int i, double v)
{
  int rc = 0;
  my_param *p = param((my_stmt *)b, i, &rc);
  if (p) {
    p->d = v;
    p->len = 1; /* marks a double */
  }
  return rc;
}

static int bind_bytes(zm_sql_stmt *b, int i, const void *v, size_t len, int blob)
{
  int rc = 0;
  my_param *p = param((my_stmt *)b, i, &rc);
  if (!p)
    return rc;
  p->s = malloc(len + 1);
  if (!p->s)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  memcpy(p->s, v, len);
  p->s[len] = '\0';
  p->len = (unsigned long)len;
  p->i = blob;
  return 0;
}

int zm__my_bind_text(zm_sql_stmt *b, int i, const char *v, size_t len)
{
  return bind_bytes(b, i, v, len, 0);
}

int zm__my_bind_blob(zm_sql_stmt *b, int i, const void *v, size_t len)
{
  return bind_bytes(b, i, v, len, 1);
}

int zm__my_bind_null(zm_sql_stmt *b, int i)
{
  int rc = 0;
  my_param *p = param((my_stmt *)b, i, &rc);
  if (p)
    p->null = 1;
  return rc;
}

static void fill_param_binds(my_stmt *s)
{
  for (unsigned i = 0; i < s->nparams; i++) {
    my_param *p = &s->params[i];
    MYSQL_BIND *b = &s->pbind[i];
    memset(b, 0, sizeof *b);
    if (p->null) {
      b->buffer_type = MYSQL_TYPE_NULL;
    } else if (p->s) {
      b->buffer_type = p->i ? MYSQL_TYPE_BLOB : MYSQL_TYPE_STRING;
      b->buffer = p->s;
      b->buffer_length = p->len;
      b->length = &p->len;
    } else if (p->len == 1) {
      b->buffer_type = MYSQL_TYPE_DOUBLE;
      b->buffer = &p->d;
    } else {
      b->buffer_type = MYSQL_TYPE_LONGLONG;
      b->buffer = &p->i;
    }
  }
}

static int is_int_type(enum enum_field_types t)
{
  return t == MYSQL_TYPE_TINY || t == MYSQL_TYPE_SHORT || t == MYSQL_TYPE_LONG ||
         t == MYSQL_TYPE_INT24 || t == MYSQL_TYPE_LONGLONG || t == MYSQL_TYPE_YEAR ||
         t == MYSQL_TYPE_BIT;
}

static int is_float_type(enum enum_field_types t)
{
  return t == MYSQL_TYPE_FLOAT || t == MYSQL_TYPE_DOUBLE;
}

/* Integers and floats come back as such; everything else as bytes, in a
 * buffer grown when a row's value does not fit. */
static int bind_results(my_stmt *s)
{
  for (unsigned i = 0; i < s->ncols; i++) {
    my_col *col = &s->cols[i];
    enum enum_field_types t = s->fields[i].type;
    memset(col->b, 0, sizeof *col->b);
    col->b->length = &col->len;
    col->b->is_null = &col->null;
    col->b->error = &col->error;
    if (is_int_type(t)) {
      col->b->buffer_type = MYSQL_TYPE_LONGLONG;
      col->b->buffer = &col->i;
    } else if (is_float_type(t)) {
      col->b->buffer_type = MYSQL_TYPE_DOUBLE;
      col->b->buffer = &col->d;
    } else {
      if (!col->buf) {
        if (!(col->buf = malloc(FIRST_BUF)))
          return zm_error_set(ZM_ENOMEM, "out of memory");
        col->cap = FIRST_BUF;
      }
      col->b->buffer_type = MYSQL_TYPE_BLOB;
      col->b->buffer = col->buf;
      col->b->buffer_length = (unsigned long)col->cap - 1; /* room for a NUL */
    }
  }
  if (s->ncols && MY->mysql_stmt_bind_result(s->st, s->rbind) != 0)
    return zm__my_fail_stmt(s);
  return 0;
}

/* Fetch the values that did not fit into grown buffers. */
static int fetch_truncated(my_stmt *s)
{
  int rebind = 0;
  for (unsigned i = 0; i < s->ncols; i++) {
    my_col *col = &s->cols[i];
    if (col->b->buffer_type != MYSQL_TYPE_BLOB || col->null || col->len < col->cap)
      continue;
    size_t cap = (size_t)col->len + 1;
    char *grown = realloc(col->buf, cap);
    if (!grown)
      return zm_error_set(ZM_ENOMEM, "out of memory");
    col->buf = grown;
    col->cap = cap;
    col->b->buffer = grown;
    col->b->buffer_length = (unsigned long)cap - 1;
    if (MY->mysql_stmt_fetch_column(s->st, col->b, i, 0) != 0)
      return zm__my_fail_stmt(s);
    rebind = 1;
  }
  if (rebind && MY->mysql_stmt_bind_result(s->st, s->rbind) != 0)
    return zm__my_fail_stmt(s);
  return 0;
}

static int execute_once(my_stmt *s)
{
  int settled = zm__my_settle(s->conn);
  if (settled < 0)
    return settled;
  fill_param_binds(s);
  if (!s->st) {
    int rc = stmt_execute_direct(s);
    if (rc < 0)
      return rc;
  } else {
    if (s->nparams && MY->mysql_stmt_bind_param(s->st, s->pbind) != 0)
      return zm__my_fail_stmt(s);
    if (MY->mysql_stmt_execute(s->st) != 0)
      return zm__my_fail_stmt(s);
  }
  int64_t id = (int64_t)MY->mysql_stmt_insert_id(s->st);
  if (id > 0)
    s->conn->last_id = id;
  if (s->ncols == 0)
    return 0;
  if (MY->mysql_stmt_store_result(s->st) != 0)
    return zm__my_fail_stmt(s);
  s->executed = 1;
  return bind_results(s);
}

/* Outside a transaction a statement is run again on a new connection when
 * the old one was lost (a server restart, an idle timeout during a long
 * step); inside one the whole transaction must be run again. */
static int execute(my_stmt *s)
{
  my_conn *c = s->conn;
  int rc = execute_once(s);
  if (rc < 0 && !c->in_tx && !c->retry) {
    unsigned e = s->st ? MY->mysql_stmt_errno(s->st) : MY->mysql_errno(c->my);
    if (zm__my_lost_code(e) || (c->my && zm__my_lost_code(MY->mysql_errno(c->my)))) {
      rc = zm__my_reconnect(c);
      if (rc == 0)
        rc = execute_once(s);
    } else if (e == ER_LOCK_DEADLOCK) {
      rc = execute_once(s); /* the server rolled back this one statement */
    }
  }
  return rc;
}

int zm__my_step(zm_sql_stmt *b)
{
  my_stmt *s = (my_stmt *)b;
  if (!s->executed) {
    int rc = execute(s);
    if (rc < 0)
      return rc;
    if (s->ncols == 0)
      return ZM_SQL_DONE;
  }
  int r = MY->mysql_stmt_fetch(s->st);
  if (r == MYSQL_NO_DATA)
    return ZM_SQL_DONE;
  if (r == MYSQL_DATA_TRUNCATED)
    r = fetch_truncated(s);
  if (r != 0)
    return r < 0 ? r : zm__my_fail_stmt(s);
  for (unsigned i = 0; i < s->ncols; i++) {
    my_col *col = &s->cols[i];
    if (col->b->buffer_type == MYSQL_TYPE_BLOB && !col->null)
      col->buf[col->len < col->cap ? col->len : col->cap - 1] = '\0';
  }
  return ZM_SQL_ROW;
}

int zm__my_column_count(zm_sql_stmt *b)
{
  return (int)((my_stmt *)b)->ncols;
}

const char *zm__my_column_name(zm_sql_stmt *b, int col)
{
  my_stmt *s = (my_stmt *)b;
  return s->fields && (unsigned)col < s->ncols ? s->fields[col].name : NULL;
}

static my_col *column(zm_sql_stmt *b, int col)
{
  my_stmt *s = (my_stmt *)b;
  return (unsigned)col < s->ncols && !s->cols[col].null ? &s->cols[col] : NULL;
}

int zm__my_column_type(zm_sql_stmt *b, int col)
{
  my_stmt *s = (my_stmt *)b;
  my_col *c = column(b, col);
  if (!c)
    return ZM_SQL_NULL;
  const MYSQL_FIELD *f = &s->fields[col];
  if (c->b->buffer_type == MYSQL_TYPE_LONGLONG)
    return ZM_SQL_INT;
  if (c->b->buffer_type == MYSQL_TYPE_DOUBLE)
    return ZM_SQL_DOUBLE;
  if (f->type == MYSQL_TYPE_NEWDECIMAL || f->type == MYSQL_TYPE_DECIMAL)
    return f->decimals == 0 ? ZM_SQL_INT : ZM_SQL_DOUBLE; /* sum() of integers */
  return f->charsetnr == 63 ? ZM_SQL_BLOB : ZM_SQL_TEXT;
}

int64_t zm__my_column_int64(zm_sql_stmt *b, int col)
{
  my_col *c = column(b, col);
  if (!c)
    return 0;
  if (c->b->buffer_type == MYSQL_TYPE_LONGLONG)
    return c->i;
  if (c->b->buffer_type == MYSQL_TYPE_DOUBLE)
    return (int64_t)c->d;
  return strtoll(c->buf, NULL, 10);
}

double zm__my_column_double(zm_sql_stmt *b, int col)
{
  my_col *c = column(b, col);
  if (!c)
    return 0;
  if (c->b->buffer_type == MYSQL_TYPE_LONGLONG)
    return (double)c->i;
  if (c->b->buffer_type == MYSQL_TYPE_DOUBLE)
    return c->d;
  return strtod(c->buf, NULL);
}

const char *zm__my_column_text(zm_sql_stmt *b, int col)
{
  my_col *c = column(b, col);
  if (!c)
    return NULL;
  if (c->b->buffer_type == MYSQL_TYPE_LONGLONG)
    snprintf(c->num, sizeof c->num, "%lld", (long long)c->i);
  else if (c->b->buffer_type == MYSQL_TYPE_DOUBLE)
    snprintf(c->num, sizeof c->num, "%.17g", c->d);
  else
    return c->buf;
  return c->num;
}

const void *zm__my_column_blob(zm_sql_stmt *b, int col, size_t *len)
{
  my_col *c = column(b, col);
  const char *t = zm__my_column_text(b, col);
  *len = !c ? 0 : c->b->buffer_type == MYSQL_TYPE_BLOB ? (size_t)c->len : strlen(t);
  return t;
}

/* A statement that reads only: SELECT or WITH, with no INTO (a file or
 * variables) and no locking clause. Literals are skipped. */
int zm__my_readonly(zm_sql_stmt *b)
{
  const char *sql = ((my_stmt *)b)->sql;
  while (isspace((unsigned char)*sql) || *sql == '(')
    sql++;
  if (strncasecmp(sql, "select", 6) != 0 && strncasecmp(sql, "with", 4) != 0)
    return 0;
  char prev = ' ';
  for (const char *p = sql; *p; p++) {
    if (*p == '\'' || *p == '"' || *p == '`') {
      const char *close = strchr(p + 1, *p);
      if (!close)
        return 0;
      p = close;
      prev = ' ';
      continue;
    }
    if (!isalnum((unsigned char)prev) && prev != '_' &&
        (strncasecmp(p, "into", 4) == 0 || strncasecmp(p, "for update", 10) == 0 ||
         strncasecmp(p, "lock in", 7) == 0) &&
        !isalnum((unsigned char)p[strncasecmp(p, "into", 4) == 0 ? 4 : 3]))
      return 0;
    prev = *p;
  }
  return 1;
}

int zm__my_reset(zm_sql_stmt *b)
{
  stmt_clear((my_stmt *)b);
  return 0;
}

/* --- transactions -------------------------------------------------------- */
