/* Column statistics, distinct values and describe(). NaN counts as missing,
 * as in pandas. */
#include "frame/frame.h"
#include "frame/internal.h"
#include "core/error.h"
#include "core/shardlog.h"
#include "core/workers.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Row i as a double, or NaN when null (numbers and bools only). */
static double num_at(const zm_column *c, size_t i)
{
  if (zm_column_is_null(c, i))
    return NAN;
  switch (c->type) {
  case ZM_TYPE_F64: return ((const double *)c->data)[i];
  case ZM_TYPE_I64: return (double)((const int64_t *)c->data)[i];
  case ZM_TYPE_BOOL: return ((const uint8_t *)c->data)[i];
  default: return NAN;
  }
}

int zm_column_stats(zm_stats *out, const zm_column *c)
{
  zm_stats s = {0, 0, 0, NAN, NAN, NAN, NAN};
  if (c->type == ZM_TYPE_STR) {
    s.nulls = zm_column_nulls(c);
    s.count = c->len - s.nulls;
    s.sum = NAN;
    *out = s;
    return 0;
  }
  double sum = 0, min = INFINITY, max = -INFINITY;
  for (size_t i = 0; i < c->len; i++) {
    double v = num_at(c, i);
    if (isnan(v))
      continue;
    s.count++;
    sum += v;
    min = v < min ? v : min;
    max = v > max ? v : max;
  }
  s.nulls = c->len - s.count;
  s.sum = sum;
  if (s.count) {
    s.mean = sum / (double)s.count;
    s.min = min;
    s.max = max;
  }
  if (s.count > 1) {
    double ss = 0;
    for (size_t i = 0; i < c->len; i++) {
      double v = num_at(c, i);
      if (!isnan(v))
        ss += (v - s.mean) * (v - s.mean);
    }
    s.std = sqrt(ss / (double)(s.count - 1));
  }
  *out = s;
  return 0;
}

/* Open-addressing table of distinct values: first row and count each. */
typedef struct distinct {
  size_t cap, n;
  int64_t *slot;  /* first row of the value, or -1 */
  int64_t *count;
} distinct;

static uint64_t mix(uint64_t x)
{
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  return x ^ (x >> 33);
}

static uint64_t key_hash(const zm_column *c, size_t i)
{
  if (c->type == ZM_TYPE_STR) {
    size_t n;
    const char *s = zm_column_str(c, i, &n);
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t k = 0; k < n; k++)
      h = (h ^ (unsigned char)s[k]) * 0x100000001b3ull;
    return mix(h);
  }
  uint64_t bits = 0;
  if (c->type == ZM_TYPE_F64) {
    double v = ((const double *)c->data)[i];
    v = v == 0 ? 0.0 : v; /* -0.0 and 0.0 are one value */
    memcpy(&bits, &v, 8);
  } else if (c->type == ZM_TYPE_I64) {
    memcpy(&bits, (const int64_t *)c->data + i, 8);
  } else {
    bits = ((const uint8_t *)c->data)[i];
  }
  return mix(bits);
}

static int key_equal(const zm_column *c, size_t a, size_t b)
{
  switch (c->type) {
  case ZM_TYPE_F64: return ((const double *)c->data)[a] == ((const double *)c->data)[b];
  case ZM_TYPE_I64: return ((const int64_t *)c->data)[a] == ((const int64_t *)c->data)[b];
  case ZM_TYPE_BOOL: return ((const uint8_t *)c->data)[a] == ((const uint8_t *)c->data)[b];
  default: {
    size_t na, nb;
    const char *sa = zm_column_str(c, a, &na), *sb = zm_column_str(c, b, &nb);
    return na == nb && memcmp(sa, sb, na) == 0;
  }
  }
}

/* A table of cap slots (a power of two), empty. */
static int distinct_alloc(distinct *d, size_t cap)
{
  d->cap = cap;
  d->slot = malloc(cap * sizeof *d->slot);
  d->count = calloc(cap, sizeof *d->count);
  if (!d->slot || !d->count)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  memset(d->slot, 0xff, cap * sizeof *d->slot);
  return 0;
}

/* The slot of row i's value: where it is, or the empty one it would take. */
static size_t distinct_find(const distinct *d, const zm_column *c, size_t i)
{
  size_t h = (size_t)key_hash(c, i) & (d->cap - 1);
  while (d->slot[h] >= 0 && !key_equal(c, (size_t)d->slot[h], i))
    h = (h + 1) & (d->cap - 1);
  return h;
}

/* Twice the slots, every value moved over with its count. */
static int distinct_grow(distinct *d, const zm_column *c)
{
  distinct bigger = {0};
  int rc = distinct_alloc(&bigger, d->cap * 2);
  for (size_t h = 0; rc == 0 && h < d->cap; h++)
    if (d->slot[h] >= 0) {
      size_t to = distinct_find(&bigger, c, (size_t)d->slot[h]);
      bigger.slot[to] = d->slot[h];
      bigger.count[to] = d->count[h];
    }
  bigger.n = d->n;
  free(d->slot);
  free(d->count);
  *d = bigger;
  return rc;
}

/* The table grows with the distinct values (kept at most half full), not
 * with the rows: a million-row label of two classes takes a few slots. */
static int count_distinct(distinct *d, const zm_column *c)
{
  int rc = distinct_alloc(d, 16);
  for (size_t i = 0; rc == 0 && i < c->len; i++) {
    if (zm_column_is_null(c, i) || (c->type == ZM_TYPE_F64 && isnan(((double *)c->data)[i])))
      continue;
    size_t h = distinct_find(d, c, i);
    if (d->slot[h] < 0) {
      if (2 * (d->n + 1) > d->cap) {
        if ((rc = distinct_grow(d, c)) != 0)
          break;
        h = distinct_find(d, c, i);
      }
      d->slot[h] = (int64_t)i;
      d->n++;
    }
    d->count[h]++;
  }
  return rc;
}

typedef struct {
  int64_t row, count;
} value_count;

static int by_count(const void *a, const void *b)
{
  const value_count *x = a, *y = b;
  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  return (x->row > y->row) - (x->row < y->row);
}

/* Distinct values as (first row, count), most frequent first. */
static int value_counts(value_count **out, size_t *n, const zm_column *c)
{
  distinct d = {0};
  int rc = count_distinct(&d, c);
  value_count *vc = rc ? NULL : malloc((d.n ? d.n : 1) * sizeof *vc);
  if (rc == 0 && !vc)
    rc = zm_error_set(ZM_ENOMEM, "out of memory");
  if (rc == 0) {
    size_t k = 0;
    for (size_t h = 0; h < d.cap; h++)
      if (d.slot[h] >= 0)
        vc[k++] = (value_count){d.slot[h], d.count[h]};
    qsort(vc, d.n, sizeof *vc, by_count);
    *out = vc;
    *n = d.n;
  }
  free(d.slot);
  free(d.count);
  return rc;
}

int zm_column_unique(zm_frame **out, const zm_column *c)
{
  value_count *vc = NULL;
  size_t n = 0;
  zm_frame *f = NULL;
  int64_t *rows = NULL;
  zm_column *cnt;
  int rc = value_counts(&vc, &n, c);
  if (rc == 0 && !(rows = malloc((n ? n : 1) * sizeof *rows)))
    rc = zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t k = 0; rc == 0 && k < n; k++)
    rows[k] = vc[k].row;
  if (rc == 0 && (rc = zm_frame_new(&f, n)) == 0 &&
      (rc = zm__column_gather(f, c, rows, 0, n)) == 0) {
    free(f->cols[0].name);
    f->cols[0].name = strdup("value");
    rc = f->cols[0].name ? zm_frame_add(&cnt, f, "count", ZM_TYPE_I64)
                         : zm_error_set(ZM_ENOMEM, "out of memory");
  }
  for (size_t k = 0; rc == 0 && k < n; k++)
    ((int64_t *)cnt->data)[k] = vc[k].count;
  free(vc);
  free(rows);
  if (rc) {
    zm_frame_free(f);
    return rc;
  }
  *out = f;
  return 0;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Linear interpolation between order statistics, as pandas does. */
static double quantile(const double *sorted, size_t n, double q)
{
  if (n == 0)
    return NAN;
  double pos = q * (double)(n - 1);
  size_t lo = (size_t)pos;
  if (lo + 1 >= n)
    return sorted[n - 1];
  return sorted[lo] + (sorted[lo + 1] - sorted[lo]) * (pos - (double)lo);
}

enum { D_COUNT, D_NULLS, D_MEAN, D_STD, D_MIN, D_Q25, D_Q50, D_Q75, D_MAX, D_UNIQUE, D_FREQ,
       D_TOP, D_NFIELDS };

static const char *const d_names[] = {"count", "nulls", "mean", "std", "min", "25%", "50%",
                                      "75%", "max", "unique", "freq", "top"};

/* Fill describe row j from column c into the numeric cells and *top. */
static int describe_one(double *cells, char **top, const zm_column *c)
{
  zm_stats s;
  zm_column_stats(&s, c);
  for (int k = 0; k < D_TOP; k++)
    cells[k] = NAN;
  cells[D_COUNT] = (double)s.count;
  cells[D_NULLS] = (double)s.nulls;
  *top = NULL;
  if (c->type == ZM_TYPE_F64 || c->type == ZM_TYPE_I64) {
    double *v = malloc((s.count ? s.count : 1) * sizeof *v);
    if (!v)
      return zm_error_set(ZM_ENOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < c->len; i++)
      if (!isnan(num_at(c, i)))
        v[n++] = num_at(c, i);
    qsort(v, n, sizeof *v, cmp_double);
    double q[] = {s.mean, s.std, s.min, quantile(v, n, 0.25), quantile(v, n, 0.5),
                  quantile(v, n, 0.75), s.max};
    memcpy(&cells[D_MEAN], q, sizeof q);
    free(v);
    return 0;
  }
  value_count *vc;
  size_t n;
  int rc = value_counts(&vc, &n, c);
  if (rc)
    return rc;
  cells[D_UNIQUE] = (double)n;
  if (n) {
    cells[D_FREQ] = (double)vc[0].count;
    size_t len = 5;
    const char *s = c->type == ZM_TYPE_STR ? zm_column_str(c, (size_t)vc[0].row, &len)
                    : ((const uint8_t *)c->data)[vc[0].row] ? "true" : "false";
    if (c->type == ZM_TYPE_BOOL)
      len = strlen(s);
    *top = strndup(s, len);
    if (!*top)
      rc = zm_error_set(ZM_ENOMEM, "out of memory");
  }
  free(vc);
  return rc;
}

/* Build the describe frame from per-column cells and tops. */
static int describe_frame(zm_frame *d, const zm_frame *f, const double *cells, char **tops)
{
  const char **names = malloc((f->ncol + 1) * sizeof *names);
  const char **types = malloc((f->ncol + 1) * sizeof *types);
  int rc = names && types ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t j = 0; rc == 0 && j < f->ncol; j++) {
    names[j] = f->cols[j].name;
    types[j] = zm_type_name(f->cols[j].type);
  }
  if (rc == 0)
    rc = zm_frame_add_strings(d, "column", names, NULL);
  if (rc == 0)
    rc = zm_frame_add_strings(d, "type", types, NULL);
  for (int k = 0; rc == 0 && k < D_TOP; k++) {
    int is_int = k == D_COUNT || k == D_NULLS || k == D_UNIQUE || k == D_FREQ;
    zm_column *c;
    rc = zm_frame_add(&c, d, d_names[k], is_int ? ZM_TYPE_I64 : ZM_TYPE_F64);
    for (size_t j = 0; rc == 0 && j < f->ncol; j++) {
      double v = cells[j * D_NFIELDS + k];
      if (is_int)
        ((int64_t *)c->data)[j] = isnan(v) ? 0 : (int64_t)v;
      else
        ((double *)c->data)[j] = v;
      if (isnan(v))
        rc = zm_column_set_null(c, j);
    }
  }
  if (rc == 0)
    rc = zm_frame_add_strings(d, "top", (const char *const *)tops, NULL);
  free(names);
  free(types);
  return rc;
}

/* The columns of one describe, taken from a shared counter by the workers a
 * processing backend gives (one by default; core/workers.h): each column is
 * described whole by one thread, so the result is the same with any count.
 * Messages are thread-local: a failing worker keeps its column's. */
#define MAX_DESCRIBE_WORKERS 16
#define DESCRIBE_PARALLEL_ROWS 65536

typedef struct describe_job {
  const zm_frame *f;
  double *cells;
  char **tops;
  int *rc;
  char **msg;
  size_t next; /* atomic */
  zm_shardlog *log; /* the step's, for run show (core/shardlog.h) */
  int seq;
} describe_job;

static void *describe_worker(void *arg)
{
  describe_job *job = arg;
  zm_shard_timer timer;
  zm_shard_timer_start(&timer, job->log, "describe", &job->seq);
  for (;; timer.items++) {
    size_t j = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED);
    if (j >= job->f->ncol) {
      zm_shard_timer_stop(&timer);
      return NULL;
    }
    int rc = describe_one(&job->cells[j * D_NFIELDS], &job->tops[j], &job->f->cols[j]);
    if (rc != 0) {
      job->rc[j] = rc;
      job->msg[j] = zm_error_last() ? strdup(zm_error_last()) : NULL;
    }
  }
}

static int describe_columns(const zm_frame *f, double *cells, char **tops)
{
  size_t n = f->ncol + 1;
  describe_job job = {f, cells, tops, calloc(n, sizeof(int)), calloc(n, sizeof(char *)), 0,
                      zm_shardlog_current(), 0};
  int rc = 0;
  if (!job.rc || !job.msg) {
    rc = zm_error_set(ZM_ENOMEM, "out of memory");
    goto done;
  }
  pthread_t tid[MAX_DESCRIBE_WORKERS];
  size_t started = 0, want = f->nrow < DESCRIBE_PARALLEL_ROWS ? 1 : (size_t)zm_workers_get(1);
  want = want > MAX_DESCRIBE_WORKERS ? MAX_DESCRIBE_WORKERS : want;
  for (; started + 1 < want && started + 1 < f->ncol; started++)
    if (pthread_create(&tid[started], NULL, describe_worker, &job) != 0)
      break;
  describe_worker(&job);
  for (size_t i = 0; i < started; i++)
    pthread_join(tid[i], NULL);
  for (size_t j = 0; rc == 0 && j < f->ncol; j++)
    if (job.rc[j])
      rc = zm_error_set(job.rc[j], "%s", job.msg[j] ? job.msg[j] : "out of memory");
done:
  for (size_t j = 0; job.msg && j < f->ncol; j++)
    free(job.msg[j]);
  free(job.msg);
  free(job.rc);
  return rc;
}

int zm_frame_describe(zm_frame **out, const zm_frame *f)
{
  double *cells = malloc((f->ncol + 1) * D_NFIELDS * sizeof *cells);
  char **tops = calloc(f->ncol + 1, sizeof *tops);
  zm_frame *d = NULL;
  int rc = cells && tops ? zm_frame_new(&d, f->ncol) : zm_error_set(ZM_ENOMEM, "out of memory");
  if (rc == 0)
    rc = describe_columns(f, cells, tops);
  if (rc == 0)
    rc = describe_frame(d, f, cells, tops);
  for (size_t j = 0; tops && j < f->ncol; j++)
    free(tops[j]);
  free(tops);
  free(cells);
  if (rc) {
    zm_frame_free(d);
    return rc;
  }
  *out = d;
  return 0;
}
