/* Frame -> matrix, labels -> class ids or values. */
#include "ml/bridge.h"
#include "ml/tf_internal.h"
#include "core/bigmem.h"
#include "core/error.h"
#include "core/workers.h"
#include "frame/framefile.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 256

static int find_numeric(const zm_column **out, const zm_frame *f, const char *name,
                        const char *what)
{
  *out = NULL;
  long j = zm_frame_find(f, name);
  if (j < 0)
    return zm_error_set(ZM_ENOTFOUND, "%s column '%s' not found", what, name);
  if (f->cols[j].type == ZM_TYPE_STR)
    return zm_error_set(ZM_EINVALID,
                        "%s column '%s' is string; a model needs numbers (transform it first)",
                        what, name);
  *out = &f->cols[j];
  return 0;
}

static double value_at(const zm_column *c, size_t i)
{
  if (zm_column_is_null(c, i))
    return NAN;
  switch (c->type) {
  case ZM_TYPE_F64: return ((const double *)c->data)[i];
  case ZM_TYPE_I64: return (double)((const int64_t *)c->data)[i];
  default: return ((const uint8_t *)c->data)[i];
  }
}

static int first_null(const zm_column *c, const char *what, int allow_missing)
{
  for (size_t i = 0; !allow_missing && c->valid && i < c->len; i++)
    if (zm_column_is_null(c, i))
      return zm_error_set(ZM_EINVALID, "%s column '%s' has a null at row %zu", what, c->name,
                          i + 1);
  return 0;
}

/* The columns cols[d] of f, numeric and (unless allow_missing) null-free. */
static int find_features(const zm_column ***out, const zm_frame *f, const char *const *cols,
                         size_t d, int allow_missing)
{
  const zm_column **c = malloc((d ? d : 1) * sizeof *c);
  int rc = c ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t j = 0; rc == 0 && j < d; j++) {
    rc = find_numeric(&c[j], f, cols[j], "feature");
    if (rc == 0)
      rc = first_null(c[j], "feature", allow_missing);
  }
  if (rc) {
    free(c);
    return rc;
  }
  *out = c;
  return 0;
}

/* Rows [i0, i1) of columns c[d] into out, row-major; a column at a time,
 * so the strided writes stay inside a cache-sized block. */
static void fill_block(double *out, const zm_column **c, size_t d, size_t i0, size_t i1)
{
  for (size_t j = 0; j < d; j++) {
    if (c[j]->type == ZM_TYPE_F64 && !c[j]->valid) {
      const double *v = c[j]->data;
      for (size_t i = i0; i < i1; i++)
        out[(i - i0) * d + j] = v[i];
      continue;
    }
    if (c[j]->type == ZM_TYPE_BOOL && !c[j]->valid) { /* one-hot columns */
      const uint8_t *v = c[j]->data;
      for (size_t i = i0; i < i1; i++)
        out[(i - i0) * d + j] = v[i];
      continue;
    }
    for (size_t i = i0; i < i1; i++)
      out[(i - i0) * d + j] = value_at(c[j], i);
  }
}

/* The rows of a matrix being filled, taken MATRIX_CHUNK at a time by the
 * workers: each row is copied by one of them, so the matrix is the same
 * whatever their number. */
#define MATRIX_CHUNK ((size_t)16384)
#define MATRIX_THREAD_CELLS ((size_t)1 << 20) /* smaller: one thread */

typedef struct matrix_job {
  double *X;
  const zm_column **c;
  size_t d, nrow;
} matrix_job;

static int fill_chunk(void *arg, size_t k)
{
  matrix_job *j = arg;
  size_t first = k * MATRIX_CHUNK;
  size_t last = first + MATRIX_CHUNK < j->nrow ? first + MATRIX_CHUNK : j->nrow;
  for (size_t i0 = first; i0 < last; i0 += BLOCK)
    fill_block(j->X + i0 * j->d, j->c, j->d, i0, i0 + BLOCK < last ? i0 + BLOCK : last);
  return 0;
}

int zm_frame_matrix(double **out, const zm_frame *f, const char *const *cols, size_t d,
                    int allow_missing)
{
  *out = NULL;
  const zm_column **c = NULL;
  int rc = find_features(&c, f, cols, d, allow_missing);
  if (rc)
    return rc;
  double *X = zm_big_malloc((f->nrow * d + 1) * sizeof *X);
  if (!X) {
    free(c);
    return zm_error_set(ZM_ENOMEM, "out of memory for a %zu x %zu matrix", f->nrow, d);
  }
  matrix_job job = {X, c, d, f->nrow};
  size_t chunks = (f->nrow + MATRIX_CHUNK - 1) / MATRIX_CHUNK;
  zm_jobs_run(chunks, f->nrow * d < MATRIX_THREAD_CELLS ? 1 : (size_t)zm_workers_get(2), fill_chunk,
              &job, NULL); /* copies only: cannot fail */
  free(c);
  *out = X;
  return 0;
}

/* Rows of a mapped frame already copied out are let go this many at a
 * time: the trainer's copy then replaces the frame in memory, not adds to it. */
#define FORGET_ROWS 65536

typedef struct frame_rows {
  const zm_frame *f;
  const zm_column **c;
  size_t d;
  size_t kept; /* first row not yet let go */
} frame_rows;

static int fill_rows(void *ctx, double *out, size_t first, size_t count)
{
  frame_rows *r = ctx;
  for (size_t i0 = first; i0 < first + count; i0 += BLOCK) {
    size_t i1 = i0 + BLOCK < first + count ? i0 + BLOCK : first + count;
    fill_block(out + (i0 - first) * r->d, r->c, r->d, i0, i1);
  }
  /* rows come in order; were they not, a row let go early is read again */
  size_t end = first + count;
  if (end > r->kept && (end - r->kept >= FORGET_ROWS || end == r->f->nrow)) {
    zm_frame_forget_rows(r->f, r->kept, end - r->kept);
    r->kept = end;
  }
  return 0;
}

/* fill_rows for several threads at once: it keeps no state. A call that
 * ends a chunk of ZM_ROWS_CHUNK rows (model.h) lets that chunk go, one
 * madvise a chunk; a row asked for again is only mapped in again. */
static int fill_rows_any(void *ctx, double *out, size_t first, size_t count)
{
  const frame_rows *r = ctx;
  for (size_t i0 = first; i0 < first + count; i0 += BLOCK) {
    size_t i1 = i0 + BLOCK < first + count ? i0 + BLOCK : first + count;
    fill_block(out + (i0 - first) * r->d, r->c, r->d, i0, i1);
  }
  size_t end = first + count;
  if (end % ZM_ROWS_CHUNK == 0 || end == r->f->nrow) {
    size_t chunk = (end - 1) / ZM_ROWS_CHUNK * ZM_ROWS_CHUNK;
    zm_frame_forget_rows(r->f, chunk, end - chunk);
  }
  return 0;
}

int zm_frame_rows(zm_rows *out, const zm_frame *f, const char *const *cols, size_t d,
                  int allow_missing)
{
  memset(out, 0, sizeof *out);
  frame_rows *r = calloc(1, sizeof *r);
  if (!r)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  int rc = find_features(&r->c, f, cols, d, allow_missing);
  if (rc) {
    free(r);
    return rc;
  }
  r->f = f;
  r->d = d;
  *out = (zm_rows){f->nrow, d, NULL, fill_rows, r, fill_rows_any};
  return 0;
}

void zm_frame_rows_free(zm_rows *r)
{
  if (!r || !r->ctx)
    return;
  frame_rows *fr = r->ctx;
  free(fr->c);
  free(fr);
  r->ctx = NULL;
}

int zm_frame_values(double **out, const zm_frame *f, const char *col)
{
  *out = NULL;
  const zm_column *c;
  int rc = find_numeric(&c, f, col, "label");
  if (rc == 0)
    rc = first_null(c, "label", 0);
  double *y = rc ? NULL : malloc((f->nrow ? f->nrow : 1) * sizeof *y);
  if (rc == 0 && !y)
    rc = zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t i = 0; rc == 0 && i < f->nrow; i++)
    if (isnan(y[i] = value_at(c, i)))
      rc = zm_error_set(ZM_EINVALID, "label column '%s' has NaN at row %zu", col, i + 1);
  if (rc) {
    free(y);
    return rc;
  }
  *out = y;
  return 0;
}

/* Decimal text of v into buf (at least 21 bytes), as printf prints it;
 * returns the length. Labels are formatted once per row, so snprintf
 * was most of the cost of mapping a million labels to classes. */
static size_t format_i64(char *buf, int64_t v)
{
  char tmp[24];
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  size_t n = 0, len = 0;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0)
    buf[len++] = '-';
  while (n)
    buf[len++] = tmp[--n];
  buf[len] = '\0';
  return len;
}

/* The text of row i's value: string bytes, shortest round-trip decimal for
 * numbers, true/false. NULL for a null or NaN. */
static const char *class_key(const zm_column *c, size_t i, char *buf, size_t *len)
{
  if (zm_column_is_null(c, i))
    return NULL;
  if (c->type == ZM_TYPE_STR)
    return zm_column_str(c, i, len);
  if (c->type == ZM_TYPE_BOOL) {
    *len = ((const uint8_t *)c->data)[i] ? 4 : 5;
    return ((const uint8_t *)c->data)[i] ? "true" : "false";
  }
  if (c->type == ZM_TYPE_I64) {
    *len = format_i64(buf, ((const int64_t *)c->data)[i]);
    return buf;
  }
  double v = ((const double *)c->data)[i];
  if (isnan(v))
    return NULL;
  *len = (size_t)snprintf(buf, 40, "%.15g", v);
  if (strtod(buf, NULL) != v)
    *len = (size_t)snprintf(buf, 40, "%.17g", v);
  return buf;
}

static int numeric(zm_type t)
{
  return t == ZM_TYPE_F64 || t == ZM_TYPE_I64;
}

static int cmp_class(const void *a, const void *b, void *arg)
{
  const zm_classes *cl = arg;
  const char *x = *(char *const *)a, *y = *(char *const *)b;
  if (numeric(cl->type)) {
    double u = strtod(x, NULL), v = strtod(y, NULL);
    return (u > v) - (u < v);
  }
  return strcmp(x, y); /* "false" < "true" too */
}

static int check_types(zm_type *out, const zm_column *const *cols, size_t n)
{
  *out = n ? cols[0]->type : ZM_TYPE_STR;
  for (size_t j = 1; j < n; j++) {
    zm_type t = cols[j]->type;
    if (numeric(t) && numeric(*out))
      *out = t == ZM_TYPE_F64 ? t : *out;
    else if (t != *out)
      return zm_error_set(ZM_EINVALID, "column '%s' is %s but column '%s' is %s", cols[0]->name,
                          zm_type_name(cols[0]->type), cols[j]->name, zm_type_name(t));
  }
  return 0;
}

/* The last few distinct cells of a fixed-width column (their bits) and
 * what they map to. Labels repeat a handful of values over millions of
 * rows, and making each row's class text (formatting a number) and looking
 * it up was most of a trainer's start: equal bits give equal text, so a
 * cell found here skips both. */
enum { RECENT = 8 };

typedef struct recent_cells {
  uint64_t bits[RECENT];
  long id[RECENT];
  size_t n, next;
} recent_cells;

/* Cell i's bits, or 0 when it has none to compare (strings, nulls, NaN). */
static int cell_bits(uint64_t *out, const zm_column *c, size_t i)
{
  if (c->type == ZM_TYPE_STR || zm_column_is_null(c, i))
    return 0;
  if (c->type == ZM_TYPE_BOOL) {
    *out = ((const uint8_t *)c->data)[i];
    return 1;
  }
  memcpy(out, (const char *)c->data + i * 8, 8);
  return c->type != ZM_TYPE_F64 || !isnan(((const double *)c->data)[i]);
}

static long *recent_find(recent_cells *r, uint64_t bits)
{
  for (size_t k = 0; k < r->n; k++)
    if (r->bits[k] == bits)
      return &r->id[k];
  return NULL;
}

static void recent_put(recent_cells *r, uint64_t bits, long id)
{
  size_t k = r->n < RECENT ? r->n++ : r->next++ % RECENT;
  r->bits[k] = bits;
  r->id[k] = id;
}

int zm_classes_fit(zm_classes *out, const zm_column *const *cols, size_t n)
{
  memset(out, 0, sizeof *out);
  zm_strtab t = {0};
  char buf[40];
  int rc = check_types(&out->type, cols, n);
  for (size_t j = 0; rc == 0 && j < n; j++) {
    recent_cells seen = {0};
    for (size_t i = 0; rc == 0 && i < cols[j]->len; i++) {
      uint64_t bits = 0;
      int fixed = cell_bits(&bits, cols[j], i);
      if (fixed && recent_find(&seen, bits))
        continue;
      size_t len = 0;
      const char *k = class_key(cols[j], i, buf, &len);
      if (k)
        rc = zm__strtab_add(&t, k, len, NULL);
      if (fixed)
        recent_put(&seen, bits, 0);
    }
  }
  if (rc == 0 && !(out->names = calloc(t.n ? t.n : 1, sizeof *out->names)))
    rc = zm_error_set(ZM_ENOMEM, "out of memory");
  if (rc == 0) {
    if (t.n) /* take the keys over (none: t.keys is NULL) */
      memcpy(out->names, t.keys, t.n * sizeof *t.keys);
    out->k = t.n;
    t.n = 0;
    qsort_r(out->names, out->k, sizeof *out->names, cmp_class, out);
  }
  zm__strtab_free(&t);
  if (rc)
    zm_classes_free(out);
  return rc;
}

int zm_classes_ids(int *out, const zm_classes *cl, const zm_column *c)
{
  zm_strtab t = {0};
  char buf[40];
  int rc = 0;
  for (size_t k = 0; rc == 0 && k < cl->k; k++)
    rc = zm__strtab_add(&t, cl->names[k], strlen(cl->names[k]), NULL);
  recent_cells seen = {0};
  for (size_t i = 0; rc == 0 && i < c->len; i++) {
    uint64_t bits = 0;
    int fixed = cell_bits(&bits, c, i);
    long *known = fixed ? recent_find(&seen, bits) : NULL;
    if (known) {
      out[i] = (int)*known;
      continue;
    }
    size_t len = 0;
    const char *k = class_key(c, i, buf, &len);
    long id = k ? zm__strtab_find(&t, k, len) : -1;
    if (fixed && id >= 0)
      recent_put(&seen, bits, id);
    if (!k)
      rc = zm_error_set(ZM_EINVALID, "label column '%s' has %s at row %zu", c->name,
                        zm_column_is_null(c, i) ? "a null" : "NaN", i + 1);
    else if (id < 0)
      rc = zm_error_set(ZM_EINVALID, "label column '%s' row %zu: '%.*s' is not a known class",
                        c->name, i + 1, (int)len, k);
    else
      out[i] = (int)id;
  }
  zm__strtab_free(&t);
  return rc;
}

void zm_classes_free(zm_classes *cl)
{
  if (!cl)
    return;
  for (size_t k = 0; k < cl->k; k++)
    free(cl->names[k]);
  free(cl->names);
  cl->names = NULL;
  cl->k = 0;
}
