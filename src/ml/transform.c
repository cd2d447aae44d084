/* Fitting preprocessing transforms on a frame: resolve each spec against the
 * column's type, then gather the statistics its method and fill need. */
#include "ml/tf_internal.h"
#include "frame/rowsel.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/shardlog.h"
#include "core/workers.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const method_names[] = {"auto",   "no_transform", "z_score",    "min_max",
                                           "to_0_1", "log",          "bucketize",  "vocabulary",
                                           "one_hot", "hash_strings"};
static const char *const fill_names[] = {"auto", "mean",     "median", "min",
                                         "max",  "constant", "none"};

int zm_tf_method_parse(zm_tf_method *out, const char *name)
{
  for (size_t i = 0; i < sizeof method_names / sizeof *method_names; i++)
    if (strcmp(name, method_names[i]) == 0) {
      *out = (zm_tf_method)i;
      return 0;
    }
  return zm_error_set(ZM_EINVALID,
                      "unknown transform method '%s' (expected z_score, min_max, to_0_1, log, "
                      "bucketize, vocabulary, one_hot, hash_strings or no_transform)",
                      name);
}

const char *zm_tf_method_name(zm_tf_method m)
{
  return (unsigned)m < sizeof method_names / sizeof *method_names ? method_names[m] : "unknown";
}

int zm_tf_fill_parse(zm_tf_fill *out, const char *name)
{
  for (size_t i = 0; i < sizeof fill_names / sizeof *fill_names; i++)
    if (strcmp(name, fill_names[i]) == 0) {
      *out = (zm_tf_fill)i;
      return 0;
    }
  return zm_error_set(ZM_EINVALID,
                      "unknown fill '%s' (expected mean, median, min, max, constant or none)",
                      name);
}

int zm__tf_categorical(zm_tf_method m)
{
  return m == ZM_TF_VOCAB || m == ZM_TF_ONEHOT || m == ZM_TF_HASH;
}

const char *zm__tf_key(const zm_tf_col *tc, const zm_column *c, size_t i, char *buf, size_t *len)
{
  if (zm_column_is_null(c, i)) {
    *len = strlen(tc->fill_string);
    return tc->fill_string;
  }
  switch (c->type) {
  case ZM_TYPE_STR: return zm_column_str(c, i, len);
  case ZM_TYPE_BOOL:
    *len = ((const uint8_t *)c->data)[i] ? 4 : 5;
    return ((const uint8_t *)c->data)[i] ? "true" : "false";
  default:
    *len = (size_t)snprintf(buf, 32, "%" PRId64, ((const int64_t *)c->data)[i]);
    return buf;
  }
}

int zm__tf_in(zm_tf_in *in, zm_frame *f, size_t j)
{
  in->n = f->nrow;
  return zm_frame_col_rows(&in->c, &in->at, f, j);
}

static int missing_column(const zm_frame *f, const char *name)
{
  zm_buf b = ZM_BUF_INIT;
  for (size_t j = 0; j < f->ncol; j++)
    zm_buf_printf(&b, "%s%s", j ? ", " : "", f->cols[j].name);
  int rc = zm_error_set(ZM_ENOTFOUND, "column '%s' not found; columns are: %s", name,
                        b.data ? b.data : "(none)");
  zm_buf_free(&b);
  return rc;
}

/* Pick defaults by type and refuse a method or fill the type cannot take. */
static int resolve(zm_tf_col *tc, const zm_tf_spec *s, const zm_column *c)
{
  int str = c->type == ZM_TYPE_STR;
  tc->method = s->method;
  if (tc->method == ZM_TF_AUTO)
    tc->method = str ? ZM_TF_VOCAB : c->type == ZM_TYPE_BOOL ? ZM_TF_NONE : ZM_TF_ZSCORE;
  int cat = zm__tf_categorical(tc->method);
  if (str && !cat)
    return zm_error_set(ZM_EINVALID, "column '%s' is string; %s needs a number column", c->name,
                        zm_tf_method_name(tc->method));
  if (cat && c->type == ZM_TYPE_F64)
    return zm_error_set(ZM_EINVALID,
                        "column '%s' is float64; %s needs a string, int64 or bool column",
                        c->name, zm_tf_method_name(tc->method));
  tc->fill = s->fill;
  if (tc->fill == ZM_FILL_AUTO)
    tc->fill = cat ? ZM_FILL_CONSTANT : c->type == ZM_TYPE_BOOL ? ZM_FILL_CONSTANT : ZM_FILL_MEAN;
  if (cat && tc->fill != ZM_FILL_CONSTANT)
    return zm_error_set(ZM_EINVALID, "column '%s' is %s; fill '%s' needs a number column",
                        c->name, zm_type_name(c->type), fill_names[tc->fill]);
  tc->type = c->type;
  tc->lo = s->lo;
  tc->hi = s->hi;
  if (tc->method == ZM_TF_TO01 || (s->lo == 0 && s->hi == 0)) {
    tc->lo = 0;
    tc->hi = 1;
  }
  tc->n = s->n ? s->n : tc->method == ZM_TF_HASH ? 100 : 10;
  tc->top_k = s->top_k;
  tc->oov = s->oov_buckets;
  tc->fill_value = s->fill == ZM_FILL_AUTO ? 0 : s->fill_value;
  tc->fill_string = strdup(s->fill_string ? s->fill_string : "");
  tc->name = strdup(c->name);
  tc->nout = 1;
  if (!tc->fill_string || !tc->name)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  return 0;
}

static double num_at(const zm_column *c, size_t i)
{
  switch (c->type) {
  case ZM_TYPE_F64: return ((const double *)c->data)[i];
  case ZM_TYPE_I64: return (double)((const int64_t *)c->data)[i];
  default: return ((const uint8_t *)c->data)[i];
  }
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The q-quantile of sorted s[m] with linear interpolation (numpy's default). */
static double quantile(const double *s, size_t m, double q)
{
  double pos = q * (double)(m - 1);
  size_t i = (size_t)pos;
  if (i + 1 >= m)
    return s[m - 1];
  return s[i] + (pos - (double)i) * (s[i + 1] - s[i]);
}

/* Median and quantile boundaries: only methods that need them sort. */
static int fit_quantiles(zm_tf_col *tc, const zm_tf_in *in, size_t count)
{
  double *s = malloc((count ? count : 1) * sizeof *s);
  if (!s)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  size_t m = 0;
  for (size_t i = 0; i < in->n; i++) {
    size_t r = zm__tf_row(in, i);
    if (!zm_column_is_null(in->c, r) && !isnan(num_at(in->c, r)))
      s[m++] = num_at(in->c, r);
  }
  qsort(s, m, sizeof *s, cmp_double);
  if (tc->fill == ZM_FILL_MEDIAN)
    tc->fill_value = m ? quantile(s, m, 0.5) : 0;
  if (tc->method == ZM_TF_BUCKETIZE) {
    tc->nbounds = (size_t)tc->n - 1;
    tc->bounds = malloc((tc->nbounds ? tc->nbounds : 1) * sizeof *tc->bounds);
    for (size_t b = 0; tc->bounds && b < tc->nbounds; b++)
      tc->bounds[b] = m ? quantile(s, m, (double)(b + 1) / (double)tc->n) : 0;
  }
  free(s);
  if (tc->method == ZM_TF_BUCKETIZE && !tc->bounds)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  return 0;
}

/* count, mean, population std, min and max of the non-null, non-NaN values
 * in one pass, shifted by the first value to keep the variance accurate. */
static size_t fit_moments(zm_tf_col *tc, const zm_tf_in *in)
{
  size_t count = 0;
  double shift = 0, s1 = 0, s2 = 0, lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < in->n; i++) {
    size_t r = zm__tf_row(in, i);
    if (zm_column_is_null(in->c, r))
      continue;
    double x = num_at(in->c, r);
    if (isnan(x))
      continue;
    if (count++ == 0)
      shift = x;
    s1 += x - shift;
    s2 += (x - shift) * (x - shift);
    lo = x < lo ? x : lo;
    hi = x > hi ? x : hi;
  }
  double n = (double)count, var = count ? (s2 - s1 * s1 / n) / n : 0;
  tc->mean = count ? shift + s1 / n : 0;
  tc->std = var > 0 ? sqrt(var) : 0;
  tc->min = count ? lo : 0;
  tc->max = count ? hi : 0;
  return count;
}

static int fit_numeric(zm_tf_col *tc, const zm_tf_in *in)
{
  size_t count = fit_moments(tc, in);
  switch (tc->fill) {
  case ZM_FILL_MEAN: tc->fill_value = tc->mean; break;
  case ZM_FILL_MIN: tc->fill_value = tc->min; break;
  case ZM_FILL_MAX: tc->fill_value = tc->max; break;
  case ZM_FILL_NONE: tc->fill_value = NAN; break;
  default: break;
  }
  if (tc->fill == ZM_FILL_MEDIAN || tc->method == ZM_TF_BUCKETIZE)
    return fit_quantiles(tc, in, count);
  return 0;
}

/* Orders categories: by count (descending) for a vocabulary, then by value
 * (numerically for int64 columns, bytewise otherwise). */
typedef struct cat_order {
  const zm_strtab *t;
  int by_count;
  int numeric;
} cat_order;

static int cmp_cat(const void *a, const void *b, void *arg)
{
  const cat_order *o = arg;
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  if (o->by_count && o->t->counts[i] != o->t->counts[j])
    return o->t->counts[i] > o->t->counts[j] ? -1 : 1;
  if (o->numeric) {
    long long x = strtoll(o->t->keys[i], NULL, 10), y = strtoll(o->t->keys[j], NULL, 10);
    if (x != y)
      return x < y ? -1 : 1;
  }
  size_t n = o->t->lens[i] < o->t->lens[j] ? o->t->lens[i] : o->t->lens[j];
  int c = memcmp(o->t->keys[i], o->t->keys[j], n);
  return c ? c : (o->t->lens[i] > o->t->lens[j]) - (o->t->lens[i] < o->t->lens[j]);
}

/* Replace t by its first `keep` keys in the order `cat_order` gives. */
static int reorder(zm_strtab *t, int by_count, int numeric, size_t keep)
{
  size_t *idx = malloc((t->n ? t->n : 1) * sizeof *idx);
  if (!idx)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t i = 0; i < t->n; i++)
    idx[i] = i;
  cat_order o = {t, by_count, numeric};
  qsort_r(idx, t->n, sizeof *idx, cmp_cat, &o);
  zm_strtab sorted = {0};
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < t->n && (keep == 0 || i < keep); i++) {
    size_t k;
    rc = zm__strtab_add(&sorted, t->keys[idx[i]], t->lens[idx[i]], &k);
    if (rc == 0)
      sorted.counts[k] = t->counts[idx[i]];
  }
  free(idx);
  if (rc) {
    zm__strtab_free(&sorted);
    return rc;
  }
  zm__strtab_free(t);
  *t = sorted;
  return 0;
}

static int fit_categories(zm_tf_col *tc, const zm_tf_in *in)
{
  char buf[32];
  int rc = 0;
  if (tc->method == ZM_TF_HASH)
    return 0;
  for (size_t i = 0; rc == 0 && i < in->n; i++) {
    size_t len;
    const char *k = zm__tf_key(tc, in->c, zm__tf_row(in, i), buf, &len);
    rc = zm__strtab_add(&tc->cats, k, len, NULL);
  }
  if (rc == 0)
    rc = reorder(&tc->cats, tc->method == ZM_TF_VOCAB, in->c->type == ZM_TYPE_I64,
                 tc->method == ZM_TF_VOCAB ? (size_t)tc->top_k : 0);
  if (tc->method == ZM_TF_ONEHOT)
    tc->nout = tc->cats.n;
  return rc;
}

int zm__tf_outnames(zm_transform *t)
{
  t->nout = 0;
  for (size_t j = 0; j < t->ncol; j++)
    t->nout += t->cols[j].nout;
  t->outnames = calloc(t->nout ? t->nout : 1, sizeof *t->outnames);
  if (!t->outnames)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  size_t o = 0;
  for (size_t j = 0; j < t->ncol; j++) {
    const zm_tf_col *tc = &t->cols[j];
    for (size_t c = 0; c < tc->nout; c++) {
      char *s = tc->method == ZM_TF_ONEHOT ? NULL : strdup(tc->name);
      if (tc->method == ZM_TF_ONEHOT && asprintf(&s, "%s=%s", tc->name, tc->cats.keys[c]) < 0)
        s = NULL;
      if (!s)
        return zm_error_set(ZM_ENOMEM, "out of memory");
      t->outnames[o++] = s;
    }
  }
  return 0;
}

static int check_names(const zm_tf_spec *specs, size_t n, const char *const *labels,
                       size_t n_labels, const zm_frame *f)
{
  for (size_t j = 0; j < n; j++) {
    if (zm_frame_find(f, specs[j].column) < 0)
      return missing_column(f, specs[j].column);
    for (size_t i = 0; i < j; i++)
      if (strcmp(specs[i].column, specs[j].column) == 0)
        return zm_error_set(ZM_EINVALID, "column '%s' is listed twice", specs[j].column);
    for (size_t i = 0; i < n_labels; i++)
      if (strcmp(labels[i], specs[j].column) == 0)
        return zm_error_set(ZM_EINVALID, "column '%s' is both a feature and a label", labels[i]);
  }
  for (size_t i = 0; i < n_labels; i++)
    if (zm_frame_find(f, labels[i]) < 0)
      return missing_column(f, labels[i]);
  return 0;
}

static int fit_labels(zm_transform *t, const char *const *labels, size_t n_labels)
{
  t->labels = calloc(n_labels ? n_labels : 1, sizeof *t->labels);
  if (!t->labels)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t i = 0; i < n_labels; i++, t->nlabels++)
    if (!(t->labels[i] = strdup(labels[i])))
      return zm_error_set(ZM_ENOMEM, "out of memory");
  return 0;
}

/* The columns of one fit, taken from a shared counter by the workers a
 * processing backend gives (one by default): each column's statistics are
 * gathered whole by one thread, so the transform holds the same bytes with
 * any number of workers. A failing worker keeps its column's message (error
 * messages are thread-local); the lowest failing column's is reported. */
#define MAX_FIT_WORKERS 16
#define FIT_PARALLEL_ROWS 65536   /* below this, one thread */

typedef struct fit_job {
  zm_transform *t;
  const zm_frame *f;
  const zm_tf_spec *specs;
  size_t next;                    /* next column to take (atomic) */
  int *rc;                        /* per column */
  char **msg;                     /* per column, the failure's message */
  zm_shardlog *log;               /* the step's, for run show (core/shardlog.h) */
  int seq;
} fit_job;

static void *fit_worker(void *arg)
{
  fit_job *job = arg;
  zm_shard_timer timer;
  zm_shard_timer_start(&timer, job->log, "fit", &job->seq);
  for (;; timer.items++) {
    size_t j = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED);
    if (j >= job->t->ncol) {
      zm_shard_timer_stop(&timer);
      return NULL;
    }
    zm_tf_col *tc = &job->t->cols[j];
    zm_frame *f = (zm_frame *)job->f;
    size_t k = (size_t)zm_frame_find(f, job->specs[j].column);
    zm_tf_in in;
    int rc = zm__tf_in(&in, f, k);
    if (rc == 0)
      rc = zm__tf_categorical(tc->method) ? fit_categories(tc, &in) : fit_numeric(tc, &in);
    if (f->sel)
      zm_frame_col_done(f, k); /* a selection's base pages go; read again to apply */
    if (rc != 0) {
      job->rc[j] = rc;
      job->msg[j] = zm_error_last() ? strdup(zm_error_last()) : NULL;
    }
  }
}

static int fit_columns(zm_transform *t, const zm_frame *f, const zm_tf_spec *specs)
{
  size_t n = t->ncol ? t->ncol : 1;
  fit_job job = {t, f, specs, 0, calloc(n, sizeof(int)), calloc(n, sizeof(char *)),
                 zm_shardlog_current(), 0};
  int rc = 0;
  if (!job.rc || !job.msg) {
    rc = zm_error_set(ZM_ENOMEM, "out of memory");
    goto done;
  }
  pthread_t tid[MAX_FIT_WORKERS];
  size_t started = 0, want = f->nrow < FIT_PARALLEL_ROWS ? 1 : (size_t)zm_workers_get(1);
  want = want > MAX_FIT_WORKERS ? MAX_FIT_WORKERS : want;
  for (; started + 1 < want && started + 1 < t->ncol; started++)
    if (pthread_create(&tid[started], NULL, fit_worker, &job) != 0)
      break;
  fit_worker(&job);
  for (size_t i = 0; i < started; i++)
    pthread_join(tid[i], NULL);
  for (size_t j = 0; rc == 0 && j < t->ncol; j++)
    if (job.rc[j])
      rc = zm_error_set(job.rc[j], "%s", job.msg[j] ? job.msg[j] : "out of memory");
done:
  for (size_t j = 0; job.msg && j < t->ncol; j++)
    free(job.msg[j]);
  free(job.msg);
  free(job.rc);
  return rc;
}

int zm_transform_fit(zm_transform **out, const zm_tf_spec *specs, size_t n,
                     const char *const *labels, size_t n_labels, const zm_frame *f)
{
  *out = NULL;
  int rc = check_names(specs, n, labels, n_labels, f);
  if (rc)
    return rc;
  zm_transform *t = calloc(1, sizeof *t);
  if (!t || !(t->cols = calloc(n ? n : 1, sizeof *t->cols))) {
    free(t);
    return zm_error_set(ZM_ENOMEM, "out of memory");
  }
  for (size_t j = 0; rc == 0 && j < n; j++, t->ncol++)
    rc = resolve(&t->cols[j], &specs[j], &f->cols[zm_frame_find(f, specs[j].column)]);
  if (rc == 0)
    rc = fit_columns(t, f, specs);
  if (rc == 0)
    rc = fit_labels(t, labels, n_labels);
  if (rc == 0)
    rc = zm__tf_outnames(t);
  if (rc) {
    zm_transform_free(t);
    return rc;
  }
  *out = t;
  return 0;
}

size_t zm_transform_outputs(const zm_transform *t, const char *const **names)
{
  *names = (const char *const *)t->outnames;
  return t->nout;
}

size_t zm_transform_labels(const zm_transform *t, const char *const **names)
{
  *names = (const char *const *)t->labels;
  return t->nlabels;
}

void zm_transform_free(zm_transform *t)
{
  if (!t)
    return;
  for (size_t j = 0; j < t->ncol; j++) {
    zm_tf_col *tc = &t->cols[j];
    free(tc->name);
    free(tc->fill_string);
    free(tc->bounds);
    zm__strtab_free(&tc->cats);
  }
  for (size_t i = 0; i < t->nlabels; i++)
    free(t->labels[i]);
  for (size_t i = 0; t->outnames && i < t->nout; i++)
    free(t->outnames[i]);
  free(t->cols);
  free(t->labels);
  free(t->outnames);
  free(t);
}
