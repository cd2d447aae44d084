/* Trained models, whatever their kind: predict, serialize, load, free.
 * Each kind's header (ml/linear.h, ml/ffn.h, ml/xgb.h) has its params and
 * train function; all of them hand back a zm_model.
 *
 * Inputs are dense row-major matrices (X[i * d + j]) of n rows and d
 * features. Training is deterministic: the same data, params and seed give a
 * model whose serialized bytes are identical on every run. */
#ifndef ZM_ML_MODEL_H
#define ZM_ML_MODEL_H

#include "core/buf.h"

#include <stddef.h>
#include <stdint.h>

typedef enum zm_model_kind {
  ZM_MODEL_LOGREG = 1, /* logistic regression (binary or multinomial) */
  ZM_MODEL_LINREG = 2, /* linear least squares */
  ZM_MODEL_FFN = 3,    /* feed-forward neural network */
  ZM_MODEL_XGB = 4,    /* gradient-boosted trees through libxgboost */
} zm_model_kind;

typedef enum zm_task {
  ZM_TASK_REGRESSION = 0, /* one real output */
  ZM_TASK_BINARY = 1,     /* two classes: probabilities of class 0 and 1 */
  ZM_TASK_MULTICLASS = 2, /* k > 2 classes: one probability per class */
} zm_task;

typedef enum zm_optimizer {
  ZM_OPT_ADAM = 0, /* Adam (beta1 0.9, beta2 0.999, eps 1e-8) */
  ZM_OPT_SGD = 1,  /* plain mini-batch gradient descent */
} zm_optimizer;

/* What to learn: class ids for classification, or real values. */
typedef struct zm_target {
  const int *labels;    /* class ids 0..k-1, or NULL for regression */
  const double *values; /* regression targets, used when labels is NULL */
  size_t k;             /* number of classes (>= 2) when labels is set */
} zm_target;

/* The n x d training rows, whole (X, row-major) or produced on demand:
 * with X NULL, fill(ctx, out, first, count) writes rows [first, first +
 * count) row-major into out and returns 0 or an error code. A trainer that
 * reorders rows anyway then copies them once, and no whole X need exist.
 * fill is called with rows in order, from one thread; fill_any (NULL when
 * the source has none) does the same from several threads at once, in any
 * order, for trainers that copy the rows on several threads: they take the
 * rows in chunks of ZM_ROWS_CHUNK (each chunk in order, on one thread), so
 * a source may let a chunk's rows go once its last row has been asked for. */
#define ZM_ROWS_CHUNK 32768
typedef struct zm_rows {
  size_t n, d;
  const double *X;
  int (*fill)(void *ctx, double *out, size_t first, size_t count);
  void *ctx;
  int (*fill_any)(void *ctx, double *out, size_t first, size_t count);
} zm_rows;

/* Per-epoch (or per-iteration) losses of an iterative trainer, for the
 * caller to record; `epochs` counts the iterations of a full-batch solver. */
typedef struct zm_history {
  size_t epochs;      /* epochs run (early stopping may cut them short) */
  double *train_loss; /* mean training loss of each epoch */
  double *val_loss;   /* validation loss of each epoch, or NULL without one */
  size_t best_epoch;  /* 0-based epoch whose weights were kept */
  int converged;      /* 1: a tolerance stopped training; 0: it ran to its limit;
                         -1: the trainer has no tolerance (a fixed number of epochs) */
} zm_history;

typedef struct zm_model zm_model;

/* The task a zm_target describes (binary when k == 2). */
zm_task zm_target_task(const zm_target *y);

/* Check a target: labels within 0..k-1 and k >= 2, or values finite. */
int zm_target_check(const zm_target *y, size_t n);

/* Release a history's arrays (the struct itself is the caller's); NULL ok. */
void zm_history_free(zm_history *h);

/* The model's kind. */
zm_model_kind zm_model_kind_of(const zm_model *m);

/* The model's task. */
zm_task zm_model_task(const zm_model *m);

/* Number of input features the model expects. */
size_t zm_model_features(const zm_model *m);

/* Values predict writes per row: k class probabilities, or 1. */
size_t zm_model_outputs(const zm_model *m);

/* Predict n rows of X into out[n * zm_model_outputs(m)]. */
int zm_model_predict(double *out, const zm_model *m, const double *X, size_t n);

/* Predict class ids (argmax of the probabilities) into out[n]. */
int zm_model_predict_class(int *out, const zm_model *m, const double *X, size_t n);

/* Append the model's serialized bytes (docs/models.md) to out. */
int zm_model_save(zm_buf *out, const zm_model *m);

/* Load a model from bytes written by zm_model_save. */
int zm_model_load(zm_model **out, const void *data, size_t len);

/* Release a model; NULL is fine. */
void zm_model_free(zm_model *m);

#endif
