/* Limited-memory BFGS: unconstrained minimisation of a smooth function
 * from its value and gradient, for full-batch training of convex models
 * (logistic regression) that fit in memory. Plain C, deterministic: the
 * same function and start give the same iterates on every run. */
#ifndef ZM_ML_LBFGS_H
#define ZM_ML_LBFGS_H

#include <stddef.h>

/* f(x) with its gradient written to grad[n]; ctx is the caller's. */
typedef double (*zm_lbfgs_fn)(void *ctx, const double *x, double *grad);

typedef struct zm_lbfgs_params {
  size_t memory;   /* correction pairs kept; default 10 (scipy's maxcor) */
  size_t max_iter; /* iterations (line searches) at most; default 100 */
  double tol;      /* converged when max |grad_i| <= tol; default 1e-4 */
  /* called after each iteration with its number (1-based) and f; may be NULL */
  void (*iterate)(void *ctx, size_t iteration, double f);
} zm_lbfgs_params;

typedef struct zm_lbfgs_result {
  size_t iterations; /* iterations run */
  int converged;     /* 1: the gradient (or the relative decrease of f) met the tolerance */
  double f;          /* f at the returned x */
  double grad_max;   /* max |grad_i| at the returned x */
} zm_lbfgs_result;

/* Fill params with the defaults above. */
void zm_lbfgs_params_default(zm_lbfgs_params *p);

/* Minimise fn from x[n] (overwritten with the minimiser); ZM_ENOMEM, or
 * ZM_EINVALID when f or its gradient is not finite at the start. Stopping at
 * max_iter, or when no step along the search direction lowers f, is not an
 * error: out->converged says whether the tolerance was met. */
int zm_lbfgs_minimize(zm_lbfgs_result *out, double *x, size_t n, zm_lbfgs_fn fn, void *ctx,
                      const zm_lbfgs_params *params);

#endif
