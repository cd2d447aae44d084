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
  RUN(test_log_loss);
  RUN(test_regression_metrics);
  RUN(test_argmax);
  return CHECK_DONE();
}
