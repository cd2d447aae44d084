/* Unit tests for src/ml/metrics against values worked out by hand. */
#include "check.h"
#include "ml/metrics.h"
#include "core/error.h"

#include <math.h>

#define NEAR(a, b) CHECK(fabs((a) - (b)) < 1e-12)

static void test_classification_report(void)
{
  /* true:  0 0 0 1 1 2 ; pred: 0 1 0 1 2 2
   * class 0: tp 2, predicted 2, actual 3 -> p 1, r 2/3, f1 0.8
   * class 1: tp 1, predicted 2, actual 2 -> p 1/2, r 1/2, f1 1/2
   * class 2: tp 1, predicted 2, actual 1 -> p 1/2, r 1, f1 2/3 */
  int y[] = {0, 0, 0, 1, 1, 2}, pred[] = {0, 1, 0, 1, 2, 2};
  zm_class_report r;
  CHECK_EQ_INT(zm_metric_classification(&r, y, pred, 6, 3), 0);
  NEAR(r.accuracy, 4.0 / 6);
  NEAR(r.precision[0], 1.0);
  NEAR(r.recall[0], 2.0 / 3);
  NEAR(r.f1[0], 0.8);
  NEAR(r.precision[1], 0.5);
  NEAR(r.f1[1], 0.5);
  NEAR(r.recall[2], 1.0);
  NEAR(r.f1[2], 2.0 / 3);
  NEAR(r.macro_precision, (1.0 + 0.5 + 0.5) / 3);
  NEAR(r.macro_recall, (2.0 / 3 + 0.5 + 1.0) / 3);
  NEAR(r.macro_f1, (0.8 + 0.5 + 2.0 / 3) / 3);
  CHECK_EQ_INT(r.support[0], 3);
  CHECK_EQ_INT(r.confusion[0 * 3 + 1], 1); /* a true 0 predicted as 1 */
  CHECK_EQ_INT(r.confusion[1 * 3 + 2], 1);
  CHECK_EQ_INT(r.confusion[2 * 3 + 2], 1);
  zm_class_report_free(&r);
  zm_class_report_free(NULL);
}

static void test_never_predicted_class_scores_zero(void)
{
  int y[] = {0, 1, 1}, pred[] = {0, 0, 0};
  zm_class_report r;
  CHECK_EQ_INT(zm_metric_classification(&r, y, pred, 3, 2), 0);
  NEAR(r.precision[1], 0.0);
  NEAR(r.f1[1], 0.0);
  NEAR(r.precision[0], 1.0 / 3);
  zm_class_report_free(&r);
}

static void test_confusion_rejects_bad_ids(void)
{
  int y[] = {0, 3}, pred[] = {0, 0};
  size_t c[4];
  CHECK_EQ_INT(zm_metric_confusion(c, y, pred, 2, 2), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "class id at row 2 is outside 0..1");
}

static void test_roc_auc(void)
{
  /* Classic example: y 0 0 1 1, scores .1 .4 .35 .8 -> AUC 0.75. */
  int y[] = {0, 0, 1, 1};
  double s[] = {0.1, 0.4, 0.35, 0.8}, auc = 0;
  CHECK_EQ_INT(zm_metric_roc_auc(&auc, y, s, 4), 0);
  NEAR(auc, 0.75);
  /* Ties: all equal scores -> 0.5; one tie between a positive and a
   * negative counts half: pairs (p,n): (.5,.5) tie=.5, (.5,.2)=1, (.9,.5)=1,
   * (.9,.2)=1 -> 3.5 / 4. */
  double flat[] = {0.3, 0.3, 0.3, 0.3};
  CHECK_EQ_INT(zm_metric_roc_auc(&auc, y, flat, 4), 0);
  NEAR(auc, 0.5);
  double tie[] = {0.5, 0.2, 0.5, 0.9};
  CHECK_EQ_INT(zm_metric_roc_auc(&auc, y, tie, 4), 0);
  NEAR(auc, 3.5 / 4);
  int one[] = {1, 1};
  CHECK_EQ_INT(zm_metric_roc_auc(&auc, one, s, 2), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "ROC AUC needs both classes, got 2 positives in 2");
}

/* AUC by counting, per positive, the negatives below it (ties half): the
 * definition, in O(n log n) through a sorted copy of the negatives. */
static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double auc_by_counting(const int *y, const double *s, size_t n)
{
  double *neg = malloc(n * sizeof *neg);
  size_t nn = 0, np = 0;
  for (size_t i = 0; i < n; i++)
    if (y[i] != 1)
      neg[nn++] = s[i];
  qsort(neg, nn, sizeof *neg, cmp_double);
  double wins = 0;
  for (size_t i = 0; i < n; i++) {
    if (y[i] != 1)
      continue;
    np++;
    size_t lo = 0, hi = nn; /* first negative >= s[i] */
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (neg[mid] < s[i]) lo = mid + 1; else hi = mid;
    }
    size_t eq = lo;
    while (eq < nn && neg[eq] == s[i])
      eq++;
    wins += (double)lo + 0.5 * (double)(eq - lo);
  }
  free(neg);
  return wins / ((double)np * (double)nn);
}

/* Large inputs take the radix sort: the same AUC as the definition, with
 * ties, negative scores, -0.0 beside 0.0 and huge magnitudes. */
static void test_roc_auc_large(void)
{
  enum { N = 50000 };
  static int y[N];
  static double s[N];
  unsigned x = 7;
  for (size_t i = 0; i < N; i++) {
    x = x * 1103515245u + 12345u;
    double v = (double)((x >> 8) % 2001) / 1000.0 - 1.0; /* 2,001 values: many ties */
    if (i % 97 == 0)
      v = i % 2 ? -0.0 : 0.0;
    if (i % 1013 == 0)
      v = i % 2 ? -1e300 : 1e300;
    s[i] = v;
    y[i] = ((x >> 4) % 100) < (unsigned)(50 + 40 * v) ? 1 : 0;
  }
  double auc = 0;
  CHECK_EQ_INT(zm_metric_roc_auc(&auc, y, s, N), 0);
  NEAR(auc, auc_by_counting(y, s, N));
  CHECK(auc > 0.6 && auc < 1.0);
}

static void test_log_loss(void)
{
  int y[] = {1, 0};
  double p[] = {0.2, 0.8, 0.6, 0.4}; /* true-class probabilities 0.8 and 0.6 */
  NEAR(zm_metric_log_loss(y, p, 2, 2, 0), -(log(0.8) + log(0.6)) / 2);
  double zero[] = {1.0, 0.0}; /* clipped at 1e-15, not infinite */
  int one[] = {1};
  NEAR(zm_metric_log_loss(one, zero, 1, 2, 0), -log(1e-15));
}

static void test_regression_metrics(void)
{
  double y[] = {3, -0.5, 2, 7}, p[] = {2.5, 0.0, 2, 8};
  /* residuals .5 -.5 0 -1: mse (0.25+0.25+0+1)/4 = 0.375, mae 2/4 = 0.5;
   * mean 2.875, ss_tot 29.1875 -> r2 = 1 - 1.5/29.1875 */
  NEAR(zm_metric_mse(y, p, 4), 0.375);
  NEAR(zm_metric_rmse(y, p, 4), sqrt(0.375));
  NEAR(zm_metric_mae(y, p, 4), 0.5);
  NEAR(zm_metric_r2(y, p, 4), 1.0 - 1.5 / 29.1875);
  double c[] = {1, 1};
  NEAR(zm_metric_r2(c, c, 2), 1.0);
}

static void test_argmax(void)
{
  double p[] = {0.1, 0.7, 0.2, 0.5, 0.5, 0.0};
  int out[2];
  zm_metric_argmax(out, p, 2, 3);
  CHECK_EQ_INT(out[0], 1);
  CHECK_EQ_INT(out[1], 0); /* ties go to the lower class id */
}

int main(void)
{
  RUN(test_classification_report);
  RUN(test_never_predicted_class_scores_zero);
  RUN(test_confusion_rejects_bad_ids);
  RUN(test_roc_auc);
  RUN(test_roc_auc_large);
  RUN(test_log_loss);
  RUN(test_regression_metrics);
  RUN(test_argmax);
  return CHECK_DONE();
}
