/* Evaluation metrics for classifiers (class ids 0..k-1, probabilities) and
 * regressors. Sums run in row order, so results are the same on every run. */
#ifndef ZM_ML_METRICS_H
#define ZM_ML_METRICS_H

#include <stddef.h>

/* Per-class and averaged scores of a classifier; arrays hold k entries. */
typedef struct zm_class_report {
  size_t k;
  double accuracy;
  double *precision; /* 0 for a class never predicted */
  double *recall;    /* 0 for a class never present */
  double *f1;        /* 0 when precision + recall is 0 */
  size_t *support;   /* true rows of each class */
  size_t *confusion; /* k x k, row = true class, column = predicted class */
  double macro_precision, macro_recall, macro_f1;
} zm_class_report;

/* Fraction of rows where pred equals y; 0 for n == 0. */
double zm_metric_accuracy(const int *y, const int *pred, size_t n);

/* Count rows into out[k * k] (row = true, column = predicted); ZM_EINVALID
 * for a class id outside 0..k-1. */
int zm_metric_confusion(size_t *out, const int *y, const int *pred, size_t n, size_t k);

/* Accuracy, confusion matrix, per-class precision/recall/F1 and macro averages. */
int zm_metric_classification(zm_class_report *out, const int *y, const int *pred, size_t n,
                             size_t k);

/* Release a report's arrays (the struct is the caller's); NULL is fine. */
void zm_class_report_free(zm_class_report *r);

/* ROC AUC of scores for the positive class (y == 1), by ranks with ties
 * sharing their average rank; ZM_EINVALID when only one class is present. */
int zm_metric_roc_auc(double *out, const int *y, const double *score, size_t n);

/* Mean negative log-probability of the true class from proba[n * k],
 * probabilities clipped to [eps, 1 - eps] (eps <= 0 means 1e-15). */
double zm_metric_log_loss(const int *y, const double *proba, size_t n, size_t k, double eps);

/* Mean squared error. */
double zm_metric_mse(const double *y, const double *pred, size_t n);

/* Square root of the mean squared error. */
double zm_metric_rmse(const double *y, const double *pred, size_t n);

/* Mean absolute error. */
double zm_metric_mae(const double *y, const double *pred, size_t n);

/* Coefficient of determination 1 - SS_res / SS_tot; for a constant y, 1 when
 * the predictions are exact and 0 otherwise (as scikit-learn). */
double zm_metric_r2(const double *y, const double *pred, size_t n);

/* The index of each row's largest probability in proba[n * k] into out[n]. */
void zm_metric_argmax(int *out, const double *proba, size_t n, size_t k);

#endif
