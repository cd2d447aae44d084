/* SQLite query results into a frame: rows are gathered as typed cells,
 * then each column takes the narrowest type that holds all its values. */
#include "archive/query.h"
#include "core/buf.h"
#include "core/error.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cell {
  int type; /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB, SQLITE_NULL */
  int64_t i;
  double d;
  uint64_t off, len; /* text bytes in the blob buffer */
} cell;

typedef struct result {
  int ncol;
  size_t nrow, cap;
  cell *cells; /* row-major */
  zm_buf text;
} result;

static int gather_row(result *r, sqlite3_stmt *st)
{
  if (r->nrow == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 256;
    cell *cells = realloc(r->cells, cap * (size_t)r->ncol * sizeof *cells);
    if (!cells)
      return zm_error_set(ZM_ENOMEM, "out of memory");
    r->cells = cells;
    r->cap = cap;
  }
  cell *row = r->cells + r->nrow * (size_t)r->ncol;
  for (int j = 0; j < r->ncol; j++) {
    cell *c = &row[j];
    *c = (cell){.type = sqlite3_column_type(st, j)};
    if (c->type == SQLITE_INTEGER) {
      c->i = sqlite3_column_int64(st, j);
    } else if (c->type == SQLITE_FLOAT) {
      c->d = sqlite3_column_double(st, j);
    } else if (c->type != SQLITE_NULL) {
      const void *p = c->type == SQLITE_TEXT ? (const void *)sqlite3_column_text(st, j)
                                             : sqlite3_column_blob(st, j);
      c->len = (uint64_t)sqlite3_column_bytes(st, j);
      c->off = r->text.len;
      if (zm_buf_put(&r->text, p ? p : "", c->len) != 0)
        return ZM_ENOMEM;
    }
  }
  r->nrow++;
  return 0;
}

/* The column's type: strings win over numbers, floats over ints. */
static zm_type column_type(const result *r, int j, int *mixed)
{
  int ints = 0, floats = 0, texts = 0;
  for (size_t i = 0; i < r->nrow; i++) {
    int t = r->cells[i * (size_t)r->ncol + (size_t)j].type;
    ints |= t == SQLITE_INTEGER;
    floats |= t == SQLITE_FLOAT;
    texts |= t == SQLITE_TEXT || t == SQLITE_BLOB;
  }
  *mixed = texts && (ints || floats);
  if (texts || (!ints && !floats))
    return ZM_TYPE_STR;
  return floats ? ZM_TYPE_F64 : ZM_TYPE_I64;
}

static int add_numbers(zm_frame *f, const result *r, int j, const char *name, zm_type type)
{
  zm_column *col;
  int rc = zm_frame_add(&col, f, name, type);
  for (size_t i = 0; rc == 0 && i < r->nrow; i++) {
    const cell *c = &r->cells[i * (size_t)r->ncol + (size_t)j];
    if (c->type == SQLITE_NULL) {
      if (type == ZM_TYPE_F64)
        ((double *)col->data)[i] = NAN;
      rc = zm_column_set_null(col, i);
    } else if (type == ZM_TYPE_F64) {
      ((double *)col->data)[i] = c->type == SQLITE_FLOAT ? c->d : (double)c->i;
    } else {
      ((int64_t *)col->data)[i] = c->i;
    }
  }
  return rc;
}

static int add_strings(zm_frame *f, const result *r, int j, const char *name)
{
  const char **v = calloc(r->nrow ? r->nrow : 1, sizeof *v);
  size_t *len = calloc(r->nrow ? r->nrow : 1, sizeof *len);
  zm_buf nums = ZM_BUF_INIT;
  int rc = v && len ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
  /* numbers first, into their own buffer, so its moves cannot stale the pointers */
  for (size_t i = 0; rc == 0 && i < r->nrow; i++) {
    const cell *c = &r->cells[i * (size_t)r->ncol + (size_t)j];
    if (c->type == SQLITE_INTEGER || c->type == SQLITE_FLOAT) {
      size_t at = nums.len;
      rc = c->type == SQLITE_INTEGER ? zm_buf_printf(&nums, "%lld", (long long)c->i)
                                     : zm_buf_printf(&nums, "%.17g", c->d);
      len[i] = nums.len - at;
      v[i] = (const char *)(uintptr_t)at;
    }
  }
  for (size_t i = 0; rc == 0 && i < r->nrow; i++) {
    const cell *c = &r->cells[i * (size_t)r->ncol + (size_t)j];
    if (c->type == SQLITE_INTEGER || c->type == SQLITE_FLOAT)
      v[i] = nums.data + (uintptr_t)v[i];
    else if (c->type != SQLITE_NULL) {
      v[i] = r->text.data ? r->text.data + c->off : "";
      len[i] = c->len;
    }
  }
  if (rc == 0)
    rc = zm_frame_add_strings(f, name, v, len);
  free(v);
  free(len);
  zm_buf_free(&nums);
  return rc;
}

static int note_mixed(zm_frame *f, const char *name)
{
  char *old = f->note, *note;
  if (asprintf(&note, "%s%scolumn '%s' has values of mixed types; read as string",
               old ? old : "", old ? "; " : "", name) < 0)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  free(old);
  f->note = note;
  return 0;
}

static int build(zm_frame **out, const result *r, sqlite3_stmt *st)
{
  int rc = zm_frame_new(out, r->nrow);
  for (int j = 0; rc == 0 && j < r->ncol; j++) {
    int mixed;
    const char *name = sqlite3_column_name(st, j);
    zm_type t = column_type(r, j, &mixed);
    rc = t == ZM_TYPE_STR ? add_strings(*out, r, j, name) : add_numbers(*out, r, j, name, t);
    if (rc == 0 && mixed)
      rc = note_mixed(*out, name);
  }
  return rc;
}

int zm_query_sqlite(zm_frame **out, const char *path, const char *sql)
{
  *out = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  result r = {0};
  int rc = 0, s;
  FILE *probe = fopen(path, "rb");
  if (!probe)
    return zm_error_sys(ZM_ENOTFOUND, "cannot open %s", path);
  fclose(probe);
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    rc = zm_error_set(ZM_EINVALID, "%s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
    goto done;
  }
  if (!st || !sqlite3_stmt_readonly(st)) {
    rc = zm_error_set(ZM_EINVALID, "%s: the query must be one read-only SELECT", path);
    goto done;
  }
  r.ncol = sqlite3_column_count(st);
  while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW)
    rc = gather_row(&r, st);
  if (rc == 0 && s != SQLITE_DONE)
    rc = zm_error_set(ZM_EINVALID, "%s: %s", path, sqlite3_errmsg(db));
  if (rc == 0 && (rc = build(out, &r, st)) != 0) {
    zm_frame_free(*out);
    *out = NULL;
  }
done:
  free(r.cells);
  zm_buf_free(&r.text);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rc;
}
