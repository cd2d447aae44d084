/* A feed-forward neural network: dense hidden layers with one activation,
 * and an output layer chosen by the task (softmax + cross-entropy for k > 2
 * classes, sigmoid + cross-entropy for two, linear + squared error for
 * regression). Layer products go through single-threaded cblas_dgemm. */
#ifndef ZM_ML_FFN_H
#define ZM_ML_FFN_H

#include "ml/model.h"

#define ZM_FFN_MAX_HIDDEN 16

typedef enum zm_activation {
  ZM_ACT_RELU = 0,
  ZM_ACT_TANH = 1,
  ZM_ACT_SIGMOID = 2,
} zm_activation;

typedef struct zm_ffn_params {
  size_t hidden[ZM_FFN_MAX_HIDDEN]; /* units per hidden layer; default {100} */
  size_t n_hidden;                  /* hidden layers in use (0..16); default 1 */
  zm_activation activation;         /* default ZM_ACT_RELU */
  zm_optimizer optimizer;           /* default ZM_OPT_ADAM */
  double lr;                        /* default 0.001 */
  size_t batch_size;                /* default 200 */
  size_t epochs;                    /* at most; default 200 */
  double l2;                        /* weight decay on weights; default 1e-4 */
  double dropout;                   /* drop rate on hidden units, [0, 1); default 0 */
  size_t patience;      /* stop after this many epochs without an improvement of
                           more than tol of the validation loss (training loss
                           without one) and keep the best weights; default 10;
                           0 trains all epochs */
  double tol;           /* default 1e-4 */
  double val_fraction;  /* hold out this fraction of rows as the validation set
                           when X_val is NULL; [0, 1), default 0 */
  const double *X_val;  /* optional validation rows (n_val x d) ... */
  size_t n_val;
  const zm_target *y_val; /* ... and their targets */
  uint64_t seed;        /* initial weights, shuffling, dropout, hold-out; default 0 */
} zm_ffn_params;

/* Fill params with the defaults above. */
void zm_ffn_params_default(zm_ffn_params *p);

/* Parse "relu", "tanh" or "sigmoid"; ZM_EINVALID otherwise. */
int zm_activation_parse(zm_activation *out, const char *name);

/* Train a network on n x d X and target y (params NULL for defaults);
 * history, when not NULL, receives the per-epoch losses (zm_history_free). */
int zm_ffn_train(zm_model **out, const double *X, size_t n, size_t d,
                 const zm_target *y, const zm_ffn_params *params, zm_history *history);

#endif
