/* Applying a fitted transform: schema check, then each output column is
 * computed in cache-sized chunks (convert, fill, transform in place). */
#include "ml/tf_internal.h"
#include "core/shardlog.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/workers.h"
#include "frame/backed.h"
#include "frame/framefile.h"
#include "frame/rowsel.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CHUNK 2048
#define MAX_WORKERS 16        /* the most a processing backend may give */
#define DEFAULT_WORKERS 2     /* output is bound by memory bandwidth */
#define PARALLEL_ROWS 65536   /* below this, one thread */

static int numeric_type(zm_type t)
{
  return t == ZM_TYPE_F64 || t == ZM_TYPE_I64;
}

/* Every fitted column must be present with its type (float64 and int64 may
 * stand for each other under a numeric method); all differences are named. */
static int check_schema(const zm_transform *t, const zm_frame *f)
{
  zm_buf b = ZM_BUF_INIT;
  for (size_t j = 0; j < t->ncol; j++) {
    const zm_tf_col *tc = &t->cols[j];
    long k = zm_frame_find(f, tc->name);
    zm_type ty = k < 0 ? tc->type : f->cols[k].type;
    int same = ty == tc->type ||
               (!zm__tf_categorical(tc->method) && numeric_type(ty) && numeric_type(tc->type));
    if (k < 0)
      zm_buf_printf(&b, "%scolumn '%s' is missing", b.len ? "; " : "", tc->name);
    else if (!same)
      zm_buf_printf(&b, "%scolumn '%s' is %s, was %s when fitted", b.len ? "; " : "", tc->name,
                    zm_type_name(ty), zm_type_name(tc->type));
  }
  int rc = 0;
  if (b.len)
    rc = zm_error_set(ZM_EINVALID, "frame does not match the transform: %s", b.data);
  zm_buf_free(&b);
  return rc;
}

/* Values [i0, i0 + m) of in as doubles, nulls replaced by fill. */
static void load_chunk(double *dst, const zm_tf_in *in, size_t i0, size_t m, double fill)
{
  const zm_column *c = in->c;
  const uint64_t *at = in->at ? in->at + i0 : NULL;
  if (c->type == ZM_TYPE_F64 && !at) {
    memcpy(dst, (const double *)c->data + i0, m * sizeof *dst);
  } else if (c->type == ZM_TYPE_F64) {
    const double *s = c->data;
    for (size_t i = 0; i < m; i++)
      dst[i] = s[at[i]];
  } else if (c->type == ZM_TYPE_I64) {
    const int64_t *s = c->data;
    for (size_t i = 0; i < m; i++)
      dst[i] = (double)s[at ? at[i] : i0 + i];
  } else {
    const uint8_t *s = c->data;
    for (size_t i = 0; i < m; i++)
      dst[i] = s[at ? at[i] : i0 + i];
  }
  if (c->valid)
    for (size_t i = 0; i < m; i++)
      if (zm_column_is_null(c, zm__tf_row(in, i0 + i)))
        dst[i] = fill;
}

static size_t bucket_of(const double *bounds, size_t nb, double x)
{
  size_t lo = 0, hi = nb; /* count of bounds <= x */
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (bounds[mid] <= x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Transform x[m] in place; a log of a value <= -1 fails naming the row. */
static int transform_chunk(double *x, size_t m, const zm_tf_col *tc, size_t i0)
{
  double scale, shift;
  switch (tc->method) {
  case ZM_TF_ZSCORE:
    scale = tc->std > 0 ? 1 / tc->std : 1;
    for (size_t i = 0; i < m; i++)
      x[i] = (x[i] - tc->mean) * scale;
    break;
  case ZM_TF_MINMAX:
  case ZM_TF_TO01:
    scale = tc->max > tc->min ? (tc->hi - tc->lo) / (tc->max - tc->min) : 0;
    shift = tc->lo;
    for (size_t i = 0; i < m; i++)
      x[i] = (x[i] - tc->min) * scale + shift;
    break;
  case ZM_TF_LOG:
    for (size_t i = 0; i < m; i++) {
      if (x[i] <= -1)
        return zm_error_set(ZM_EINVALID, "column '%s' row %zu: log needs values > -1, got %g",
                            tc->name, i0 + i + 1, x[i]);
      x[i] = log1p(x[i]);
    }
    break;
  case ZM_TF_BUCKETIZE:
    for (size_t i = 0; i < m; i++)
      if (!isnan(x[i]))
        x[i] = (double)bucket_of(tc->bounds, tc->nbounds, x[i]);
    break;
  default: break;
  }
  return 0;
}

static int apply_numeric(double *out, const zm_tf_col *tc, const zm_tf_in *in)
{
  for (size_t i0 = 0; i0 < in->n; i0 += CHUNK) {
    size_t m = in->n - i0 < CHUNK ? in->n - i0 : CHUNK;
    load_chunk(out + i0, in, i0, m, tc->fill_value);
    int rc = transform_chunk(out + i0, m, tc, i0);
    if (rc)
      return rc;
  }
  return 0;
}

/* Category index of value i (vocabulary: with oov buckets; -1 when unseen). */
static long category_id(const zm_tf_col *tc, const zm_tf_in *in, size_t i)
{
  char buf[32];
  size_t len;
  const char *k = zm__tf_key(tc, in->c, zm__tf_row(in, i), buf, &len);
  if (tc->method == ZM_TF_HASH)
    return (long)(zm__fnv1a(k, len) % tc->n);
  long id = zm__strtab_find(&tc->cats, k, len);
  if (id < 0 && tc->method == ZM_TF_VOCAB && tc->oov > 0)
    id = (long)(tc->cats.n + zm__fnv1a(k, len) % tc->oov);
  return id;
}

static void category_ids(double *out, const zm_tf_col *tc, const zm_tf_in *in)
{
  for (size_t i = 0; i < in->n; i++)
    out[i] = (double)category_id(tc, in, i);
}

/* One bool column per category: all false, then each row's own set. */
static void apply_onehot(zm_column *cols, const zm_tf_col *tc, const zm_tf_in *in)
{
  for (size_t k = 0; k < tc->nout; k++)
    memset(cols[k].data, 0, in->n);
  for (size_t i = 0; i < in->n; i++) {
    long id = category_id(tc, in, i);
    if (id >= 0 && (size_t)id < tc->nout)
      ((uint8_t *)cols[id].data)[i] = 1;
  }
}

static int fill_column(zm_column *cols, const zm_tf_col *tc, const zm_tf_in *in)
{
  if (tc->method == ZM_TF_ONEHOT) {
    apply_onehot(cols, tc, in);
    return 0;
  }
  if (zm__tf_categorical(tc->method)) {
    category_ids(cols[0].data, tc, in);
    return 0;
  }
  return apply_numeric(cols[0].data, tc, in);
}

/* The columns of one apply, computed by up to MAX_WORKERS threads taking
 * input columns from a shared counter. Error messages are thread-local, so
 * a worker only records which column failed; the caller computes that column
 * again on its own thread to get the message. */
typedef struct apply_job {
  const zm_transform *t;
  const zm_frame *f;
  zm_frame *g;
  size_t *first;      /* first output column of each input column */
  size_t next;        /* next input column to take (atomic) */
  size_t failed;      /* lowest failing input column, or t->ncol */
  pthread_mutex_t lock;
  zm_shardlog *log;   /* the step's, for run show (core/shardlog.h) */
  int seq;
} apply_job;

/* Input column j's outputs (a selection's rows read in place from its
 * base); then its memory goes (a mapped frame's or base's pages): the
 * output takes its place. */
static int fill_one(apply_job *job, size_t j)
{
  const zm_tf_col *tc = &job->t->cols[j];
  zm_frame *f = (zm_frame *)job->f;
  size_t k = (size_t)zm_frame_find(f, tc->name);
  zm_tf_in in;
  int rc = zm__tf_in(&in, f, k);
  if (rc == 0)
    rc = fill_column(&job->g->cols[job->first[j]], tc, &in);
  zm_frame_col_done(f, k);
  return rc;
}

static void *worker(void *arg)
{
  apply_job *job = arg;
  zm_shard_timer timer;
  zm_shard_timer_start(&timer, job->log, "apply", &job->seq);
  for (;; timer.items++) {
    size_t j = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED);
    if (j >= job->t->ncol) {
      zm_shard_timer_stop(&timer);
      return NULL;
    }
    int rc = fill_one(job, j);
    if (rc == 0)
      zm_frame_backing_kick(job->g, job->first[j], job->t->cols[j].nout);
    if (rc != 0) {
      pthread_mutex_lock(&job->lock);
      job->failed = j < job->failed ? j : job->failed;
      pthread_mutex_unlock(&job->lock);
    }
  }
}

static int run_workers(apply_job *job)
{
  pthread_t tid[MAX_WORKERS];
  size_t started = 0, want = job->f->nrow < PARALLEL_ROWS ? 1 : (size_t)zm_workers_get(DEFAULT_WORKERS);
  if (want > MAX_WORKERS)
    want = MAX_WORKERS;
  for (; started + 1 < want; started++)
    if (pthread_create(&tid[started], NULL, worker, job) != 0)
      break;
  worker(job);
  for (size_t i = 0; i < started; i++)
    pthread_join(tid[i], NULL);
  if (job->failed == job->t->ncol)
    return 0;
  return fill_one(job, job->failed); /* again here: error messages are per thread */
}

/* Fill g's feature columns (made beforehand: allocation is not thread-safe). */
static int apply_columns(zm_frame *g, const zm_transform *t, const zm_frame *f)
{
  apply_job job = {t, f, g, malloc((t->ncol + 1) * sizeof(size_t)), 0, t->ncol,
                   PTHREAD_MUTEX_INITIALIZER, zm_shardlog_current(), 0};
  if (!job.first)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t j = 0, o = 0; j < t->ncol; o += t->cols[j].nout, j++)
    job.first[j] = o;
  int rc = run_workers(&job);
  free(job.first);
  return rc;
}

/* The output's columns: every feature output (float64; one_hot: bool),
 * then f's label columns that are present, as they are in f. */
static int output_shape(zm_column **out, size_t *n, const zm_transform *t, const zm_frame *f)
{
  zm_column *cols = calloc(t->nout + t->nlabels + 1, sizeof *cols);
  if (!cols)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  size_t k = 0;
  for (size_t j = 0, o = 0; j < t->ncol; j++) {
    zm_type type = t->cols[j].method == ZM_TF_ONEHOT ? ZM_TYPE_BOOL : ZM_TYPE_F64;
    for (size_t c = 0; c < t->cols[j].nout; c++)
      cols[k++] = (zm_column){.name = t->outnames[o++], .type = type};
  }
  for (size_t i = 0; i < t->nlabels; i++) {
    int at = zm_frame_find(f, t->labels[i]);
    if (at < 0)
      continue;
    const zm_column *src = &f->cols[at];
    cols[k++] = (zm_column){.name = src->name, .type = src->type, .valid = src->valid,
                            .blob_len = src->blob_len};
  }
  *out = cols;
  *n = k;
  return 0;
}

/* Copy f's label columns into the last columns of g (made with their shape). */
static void copy_labels(zm_frame *g, const zm_transform *t, const zm_frame *f)
{
  size_t k = t->nout;
  for (size_t i = 0; i < t->nlabels; i++) {
    int at = zm_frame_find(f, t->labels[i]);
    if (at < 0)
      continue;
    const zm_column *src = &f->cols[at];
    zm_column *dst = &g->cols[k++];
    size_t cells = src->type == ZM_TYPE_STR ? f->nrow + 1 : f->nrow;
    memcpy(dst->data, src->data, cells * (src->type == ZM_TYPE_BOOL ? 1 : 8));
    if (src->valid)
      memcpy(dst->valid, src->valid, (f->nrow + 7) / 8);
    if (src->type == ZM_TYPE_STR && src->blob_len)
      memcpy(dst->blob, src->blob, src->blob_len);
  }
}

/* Outputs at least this big are built in place in a store file when the
 * store registered one (frame/backed.h): storing them then copies nothing. */
#define SPILL_MIN_BYTES ((size_t)16 << 20)

/* A selection's label columns gathered (the output's shape follows their
 * nulls), or the whole selection when two of the transform's columns name
 * the same input (the workers gather and let go of one column each). */
static int selection_ready(const zm_transform *t, zm_frame *f)
{
  if (!f->sel)
    return 0;
  for (size_t j = 0; j < t->ncol; j++)
    for (size_t i = 0; i < j + t->nlabels; i++)
      if (strcmp(i < j ? t->cols[i].name : t->labels[i - j], t->cols[j].name) == 0)
        return zm_frame_materialize(f);
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < t->nlabels; i++) {
    long at = zm_frame_find(f, t->labels[i]);
    if (at >= 0)
      rc = zm_frame_col_ready(f, (size_t)at);
  }
  return rc;
}

int zm_transform_apply(zm_frame **out, const zm_transform *t, const zm_frame *f)
{
  *out = NULL;
  int rc = check_schema(t, f);
  if (rc == 0)
    rc = selection_ready(t, (zm_frame *)f);
  zm_frame *g = NULL;
  zm_column *shape = NULL;
  size_t n = 0;
  if (rc == 0 && (rc = output_shape(&shape, &n, t, f)) == 0)
    rc = zm_frame_new_shaped(&g, f->nrow, shape, n, SPILL_MIN_BYTES);
  free(shape);
  if (rc == 0 && (rc = apply_columns(g, t, f)) == 0)
    copy_labels(g, t, f);
  if (rc) {
    zm_frame_free(g);
    return rc;
  }
  *out = g;
  return 0;
}
