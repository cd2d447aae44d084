#include "ml/metrics.h"
#include "core/bigmem.h"
#include "core/error.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

double zm_metric_accuracy(const int *y, const int *pred, size_t n)
{
  size_t hit = 0;
  for (size_t i = 0; i < n; i++)
    hit += y[i] == pred[i];
  return n ? (double)hit / (double)n : 0.0;
}

int zm_metric_confusion(size_t *out, const int *y, const int *pred, size_t n, size_t k)
{
  memset(out, 0, k * k * sizeof *out);
  for (size_t i = 0; i < n; i++) {
    if (y[i] < 0 || (size_t)y[i] >= k || pred[i] < 0 || (size_t)pred[i] >= k)
      return zm_error_set(ZM_EINVALID, "class id at row %zu is outside 0..%zu", i + 1,
                          k ? k - 1 : 0);
    out[(size_t)y[i] * k + (size_t)pred[i]]++;
  }
  return 0;
}

void zm_class_report_free(zm_class_report *r)
{
  if (!r)
    return;
  free(r->precision);
  free(r->recall);
  free(r->f1);
  free(r->support);
  free(r->confusion);
  memset(r, 0, sizeof *r);
}

static double ratio(size_t a, size_t b)
{
  return b ? (double)a / (double)b : 0.0;
}

static void fill_scores(zm_class_report *r)
{
  size_t k = r->k;
  for (size_t c = 0; c < k; c++) {
    size_t tp = r->confusion[c * k + c], predicted = 0, actual = 0;
    for (size_t o = 0; o < k; o++) {
      predicted += r->confusion[o * k + c];
      actual += r->confusion[c * k + o];
    }
    r->support[c] = actual;
    r->precision[c] = ratio(tp, predicted);
    r->recall[c] = ratio(tp, actual);
    double s = r->precision[c] + r->recall[c];
    r->f1[c] = s > 0 ? 2.0 * r->precision[c] * r->recall[c] / s : 0.0;
    r->macro_precision += r->precision[c] / (double)k;
    r->macro_recall += r->recall[c] / (double)k;
    r->macro_f1 += r->f1[c] / (double)k;
  }
}

int zm_metric_classification(zm_class_report *out, const int *y, const int *pred, size_t n,
                             size_t k)
{
  memset(out, 0, sizeof *out);
  if (k == 0)
    return zm_error_set(ZM_EINVALID, "expected at least one class, got 0");
  out->k = k;
  out->precision = calloc(k, sizeof(double));
  out->recall = calloc(k, sizeof(double));
  out->f1 = calloc(k, sizeof(double));
  out->support = calloc(k, sizeof(size_t));
  out->confusion = calloc(k * k, sizeof(size_t));
  int rc = 0;
  if (!out->precision || !out->recall || !out->f1 || !out->support || !out->confusion)
    rc = zm_error_set(ZM_ENOMEM, "out of memory for a report of %zu classes", k);
  if (!rc) rc = zm_metric_confusion(out->confusion, y, pred, n, k);
  if (rc) {
    zm_class_report_free(out);
    return rc;
  }
  out->accuracy = zm_metric_accuracy(y, pred, n);
  fill_scores(out);
  return 0;
}

typedef struct scored {
  double s;
  int positive;
} scored;

static int by_score(const void *a, const void *b)
{
  double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
  return (x > y) - (x < y);
}

/* An unsigned key that orders as the double does (-0.0 as 0.0). */
static uint64_t order_key(double d)
{
  uint64_t u;
  d = d == 0.0 ? 0.0 : d;
  memcpy(&u, &d, sizeof u);
  return u >> 63 ? ~u : u | ((uint64_t)1 << 63);
}

/* Sort by score: LSD radix on the score's bits, 16 at a time (a quarter of
 * the passes of bytes, counters that fit in L2), an order of magnitude
 * faster than qsort on an evaluation split; qsort when a score is NaN,
 * which has no place in that order. */
static int sort_scores(scored *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (isnan(v[i].s)) {
      qsort(v, n, sizeof *v, by_score);
      return 0;
    }
  if (n < 4096) {
    qsort(v, n, sizeof *v, by_score);
    return 0;
  }
  scored *tmp = zm_big_malloc(n * sizeof *tmp);
  size_t *count = malloc(65536 * sizeof *count);
  if (!tmp || !count) {
    free(tmp);
    free(count);
    return zm_error_set(ZM_ENOMEM, "out of memory for %zu scores", n);
  }
  scored *from = v, *to = tmp;
  for (int shift = 0; shift < 64; shift += 16) {
    memset(count, 0, 65536 * sizeof *count);
    for (size_t i = 0; i < n; i++)
      count[(order_key(from[i].s) >> shift) & 0xffff]++;
    size_t at = 0;
    for (size_t b = 0; b < 65536; b++) {
      size_t c = count[b];
      count[b] = at;
      at += c;
    }
    for (size_t i = 0; i < n; i++)
      to[count[(order_key(from[i].s) >> shift) & 0xffff]++] = from[i];
    scored *swap = from;
    from = to;
    to = swap;
  }
  /* four passes: the sorted run is back in v */
  free(tmp);
  free(count);
  return 0;
}

int zm_metric_roc_auc(double *out, const int *y, const double *score, size_t n)
{
  scored *v = zm_big_malloc(n * sizeof *v);
  if (!v)
    return zm_error_set(ZM_ENOMEM, "out of memory for %zu scores", n);
  size_t pos = 0;
  for (size_t i = 0; i < n; i++) {
    v[i] = (scored){score[i], y[i] == 1};
    pos += v[i].positive;
  }
  if (pos == 0 || pos == n) {
    free(v);
    return zm_error_set(ZM_EINVALID, "ROC AUC needs both classes, got %zu positives in %zu",
                        pos, n);
  }
  int rc = sort_scores(v, n);
  if (rc) {
    free(v);
    return rc;
  }
  double rank_sum = 0.0; /* ranks of the positives, 1-based, ties averaged */
  for (size_t i = 0; i < n;) {
    size_t j = i, tied_pos = 0;
    while (j < n && v[j].s == v[i].s)
      tied_pos += v[j++].positive;
    rank_sum += (double)tied_pos * ((double)(i + 1) + (double)j) / 2.0;
    i = j;
  }
  double p = (double)pos, q = (double)(n - pos);
  *out = (rank_sum - p * (p + 1.0) / 2.0) / (p * q);
  free(v);
  return 0;
}

double zm_metric_log_loss(const int *y, const double *proba, size_t n, size_t k, double eps)
{
  if (eps <= 0)
    eps = 1e-15;
  double total = 0.0;
  for (size_t i = 0; i < n; i++) {
    double p = proba[i * k + (size_t)y[i]];
    p = p < eps ? eps : p > 1.0 - eps ? 1.0 - eps : p;
    total -= log(p);
  }
  return n ? total / (double)n : 0.0;
}

double zm_metric_mse(const double *y, const double *pred, size_t n)
{
  double s = 0.0;
  for (size_t i = 0; i < n; i++)
    s += (y[i] - pred[i]) * (y[i] - pred[i]);
  return n ? s / (double)n : 0.0;
}

double zm_metric_rmse(const double *y, const double *pred, size_t n)
{
  return sqrt(zm_metric_mse(y, pred, n));
}

double zm_metric_mae(const double *y, const double *pred, size_t n)
{
  double s = 0.0;
  for (size_t i = 0; i < n; i++)
    s += fabs(y[i] - pred[i]);
  return n ? s / (double)n : 0.0;
}

double zm_metric_r2(const double *y, const double *pred, size_t n)
{
  double mean = 0.0, res = 0.0, tot = 0.0;
  for (size_t i = 0; i < n; i++)
    mean += y[i];
  mean = n ? mean / (double)n : 0.0;
  for (size_t i = 0; i < n; i++) {
    res += (y[i] - pred[i]) * (y[i] - pred[i]);
    tot += (y[i] - mean) * (y[i] - mean);
  }
  if (tot == 0.0) /* constant y: perfect when the fit is exact, else as sklearn */
    return res == 0.0 ? 1.0 : 0.0;
  return 1.0 - res / tot;
}

void zm_metric_argmax(int *out, const double *proba, size_t n, size_t k)
{
  for (size_t i = 0; i < n; i++) {
    size_t best = 0;
    for (size_t c = 1; c < k; c++)
      if (proba[i * k + c] > proba[i * k + best])
        best = c;
    out[i] = (int)best;
  }
}
