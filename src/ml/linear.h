/* Linear models: logistic regression (sigmoid for two classes, softmax for
 * more) fitted to convergence by full-batch L-BFGS, or by mini-batch SGD or
 * Adam for data that does not fit in memory; linear regression by exact
 * least squares (Cholesky on the ridge-regularized normal equations) or SGD. */
#ifndef ZM_ML_LINEAR_H
#define ZM_ML_LINEAR_H

#include "ml/model.h"

typedef enum zm_logreg_solver {
  ZM_LOGREG_LBFGS = 0, /* full batch, to a gradient tolerance (scikit-learn's default) */
  ZM_LOGREG_SGD = 1,   /* mini-batch gradient descent (optimizer), a fixed number of epochs */
} zm_logreg_solver;

/* Both solvers minimise the mean log loss + l2 / (2 n) * |W|^2 (no penalty
 * on the biases): scikit-learn's objective, sum of losses + |W|^2 / (2 C),
 * divided by n, with l2 = 1 / C. */
typedef struct zm_logreg_params {
  zm_logreg_solver solver; /* default ZM_LOGREG_LBFGS */
  double l2;               /* L2 penalty on the summed loss (1 / C); default 1.0 */
  size_t max_iter;         /* L-BFGS only: iterations at most; default 100 */
  double tol;              /* L-BFGS only: stop when max |gradient| <= tol; default 1e-4 */
  size_t epochs;           /* SGD only: passes over the data; default 20 */
  size_t batch_size;       /* SGD only: rows per gradient step; default 32 */
  double lr;               /* SGD only: step size; default 0.01 (Adam) */
  zm_optimizer optimizer;  /* SGD only: default ZM_OPT_ADAM */
  uint64_t seed;           /* SGD only: shuffles the rows each epoch; default 0 */
  int mix;                 /* SGD only: 1 = parameter mixing (below); default 0 */
  size_t threads;          /* SGD only: threads the rows are dealt on (mix: and the
                              blocks run on); the model is the same for any; default 1 */
} zm_logreg_params;

/* Parameter mixing (mix = 1): the rows are dealt once into
 * zm_logreg_mix_blocks(n) blocks, each a random sample of the rows. Every
 * epoch, SGD runs on each block from the same weights and optimizer state,
 * the blocks on `threads` threads, and the blocks' weights and state are
 * then averaged in block order. The blocks are fixed by n and the random
 * draws by seed, so the model is the same bytes for every thread count;
 * it differs from the sequential pass's (mix = 0). */
size_t zm_logreg_mix_blocks(size_t n);

typedef enum zm_linreg_solver {
  ZM_LINREG_EXACT = 0, /* normal equations + Cholesky, centred data */
  ZM_LINREG_SGD = 1,   /* mini-batch gradient descent on the squared error */
} zm_linreg_solver;

typedef struct zm_linreg_params {
  zm_linreg_solver solver; /* default ZM_LINREG_EXACT */
  double l2;               /* ridge penalty; default 1e-8 (keeps X'X positive) */
  size_t epochs;           /* SGD only; default 50 */
  size_t batch_size;       /* SGD only; default 32 */
  double lr;               /* SGD only; default 0.01 */
  zm_optimizer optimizer;  /* SGD only; default ZM_OPT_ADAM */
  uint64_t seed;           /* SGD only; default 0 */
} zm_linreg_params;

/* Fill params with the defaults above. */
void zm_logreg_params_default(zm_logreg_params *p);

/* Fill params with the defaults above. */
void zm_linreg_params_default(zm_linreg_params *p);

/* Train logistic regression on n x d X and class labels y (params NULL for
 * defaults); history, when not NULL, receives the loss of each epoch (SGD)
 * or the objective after each iteration (L-BFGS), and whether L-BFGS
 * converged. */
int zm_logreg_train(zm_model **out, const double *X, size_t n, size_t d,
                    const zm_target *y, const zm_logreg_params *params,
                    zm_history *history);

/* Train logistic regression as zm_logreg_train does, on rows from a
 * source: they are copied once (for SGD straight into the training order)
 * and checked finite on the way (the same model as from the whole X). */
int zm_logreg_train_rows(zm_model **out, const zm_rows *rows, const zm_target *y,
                         const zm_logreg_params *params, zm_history *history);

/* Train linear regression on n x d X and real values y (params NULL for
 * defaults); history as above, for the SGD solver only. */
int zm_linreg_train(zm_model **out, const double *X, size_t n, size_t d,
                    const zm_target *y, const zm_linreg_params *params,
                    zm_history *history);

/* The fitted coefficients: w[d * m] row-major (m = outputs of the linear
 * map: 1, or k for multinomial) and b[m]; pointers into the model. */
int zm_linear_coef(const double **w, const double **b, size_t *m, const zm_model *model);

#endif
