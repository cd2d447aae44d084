/* Gradient-boosted trees through libxgboost's C API. Parameters are passed
 * through as key/value strings; the objective follows the task unless given.
 * nthread defaults to 1 so the trees, and the saved bytes, never depend on
 * thread timing. */
#ifndef ZM_ML_XGB_H
#define ZM_ML_XGB_H

#include "ml/model.h"

typedef struct zm_xgb_params {
  const char *const *keys;   /* xgboost parameter names (e.g. "max_depth") ... */
  const char *const *values; /* ... and their values, as strings */
  size_t n_params;
  size_t num_boost_round;    /* boosting rounds; default 100 */
  uint64_t seed;             /* xgboost's "seed" (taken modulo 2^31); default 0 */
} zm_xgb_params;

/* Fill params with the defaults above (no extra key/values). */
void zm_xgb_params_default(zm_xgb_params *p);

/* Train boosted trees on n x d X (NaN means missing) and target y. Without
 * an "objective" key: binary:logistic, multi:softprob (num_class k) or
 * reg:squarederror from the target. */
int zm_xgb_train(zm_model **out, const double *X, size_t n, size_t d,
                 const zm_target *y, const zm_xgb_params *params);

#endif
