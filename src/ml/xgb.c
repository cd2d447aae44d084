/* libxgboost behind the zm_model interface. The model's payload is xgboost's
 * own UBJSON (universal binary JSON) serialization of the booster. */
#include "ml/xgb.h"
#include "ml/internal.h"
#include "core/error.h"
#include "core/log.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ml/xgb_api.h"

typedef struct xgb {
  BoosterHandle booster;
} xgb;

void zm_xgb_params_default(zm_xgb_params *p)
{
  memset(p, 0, sizeof *p);
  p->num_boost_round = 100;
}

/* The XGBoost API (loaded by zm_xgb_train or xgb_load before anything else runs). */
static const zm_xgb_api *xa;

static const zm_xgb_api *api(void)
{
  return __atomic_load_n(&xa, __ATOMIC_ACQUIRE);
}

static int need_api(void)
{
  const zm_xgb_api *a = zm_xgb_api_get();
  if (!a)
    return ZM_ERROR;
  __atomic_store_n(&xa, a, __ATOMIC_RELEASE);
  return 0;
}

/* xgboost's last error, without the stack trace it appends to some. */
static int xgb_fail(const char *what)
{
  const char *msg = api()->XGBGetLastError(), *cut = strstr(msg, "\nStack trace");
  int len = cut ? (int)(cut - msg) : (int)strlen(msg);
  while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
    len--;
  return zm_error_set(ZM_ERROR, "%s: %.*s", what, len, msg);
}

static void xgb_release(void *impl)
{
  xgb *x = impl;
  if (x && x->booster)
    api()->XGBoosterFree(x->booster);
  free(x);
}

/* XGBoost's own warnings go to the running step's log, not the terminal. */
static void xgb_log(const char *msg)
{
  zm_log("xgboost: %s", msg);
}

static void register_logger(void)
{
  api()->XGBRegisterLogCallback(xgb_log);
}

/* A booster for m; `train` is the matrix it will learn from (NULL to load). */
static int xgb_attach(zm_model *m, DMatrixHandle train)
{
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, register_logger);
  xgb *x = calloc(1, sizeof *x);
  if (!x)
    return zm_error_set(ZM_ENOMEM, "out of memory for a booster");
  m->impl = x;
  if (api()->XGBoosterCreate(train ? &train : NULL, train ? 1 : 0, &x->booster) != 0)
    return xgb_fail("xgboost cannot create a booster");
  return 0;
}

/* A float copy of X (xgboost's element type) wrapped in a DMatrix. */
static int make_dmatrix(DMatrixHandle *out, const double *X, size_t n, size_t d)
{
  size_t cells = n * d;
  float *f = malloc((cells ? cells : 1) * sizeof *f);
  if (!f)
    return zm_error_set(ZM_ENOMEM, "out of memory converting %zu x %zu to float", n, d);
  for (size_t i = 0; i < n * d; i++)
    f[i] = (float)X[i];
  int rc = api()->XGDMatrixCreateFromMat(f, n, d, NAN, out) == 0 ? 0 : xgb_fail("xgboost cannot build a matrix");
  free(f);
  return rc;
}

static int set_labels(DMatrixHandle dm, const zm_target *y, size_t n)
{
  float *f = malloc((n ? n : 1) * sizeof *f);
  if (!f)
    return zm_error_set(ZM_ENOMEM, "out of memory for %zu labels", n);
  for (size_t i = 0; i < n; i++)
    f[i] = y->labels ? (float)y->labels[i] : (float)y->values[i];
  int rc = api()->XGDMatrixSetFloatInfo(dm, "label", f, n) == 0 ? 0 : xgb_fail("xgboost cannot set labels");
  free(f);
  return rc;
}

static int set_param(BoosterHandle b, const char *key, const char *value)
{
  if (api()->XGBoosterSetParam(b, key, value) != 0)
    return zm_error_set(ZM_EINVALID, "xgboost parameter %s=%s: %s", key, value,
                        api()->XGBGetLastError());
  return 0;
}

static int has_key(const zm_xgb_params *p, const char *key)
{
  for (size_t i = 0; i < p->n_params; i++)
    if (strcmp(p->keys[i], key) == 0)
      return 1;
  return 0;
}

/* Our defaults first, so the caller's own key/values override them. */
static int configure(BoosterHandle b, zm_task task, size_t k, const zm_xgb_params *p)
{
  static const char *objective[] = {"reg:squarederror", "binary:logistic", "multi:softprob"};
  char num[32];
  int rc = set_param(b, "nthread", "1");
  snprintf(num, sizeof num, "%llu", (unsigned long long)(p->seed & 0x7fffffff));
  if (!rc) rc = set_param(b, "seed", num);
  if (!rc && !has_key(p, "objective"))
    rc = set_param(b, "objective", objective[task]);
  snprintf(num, sizeof num, "%zu", k);
  if (!rc && task == ZM_TASK_MULTICLASS)
    rc = set_param(b, "num_class", num);
  for (size_t i = 0; rc == 0 && i < p->n_params; i++)
    rc = set_param(b, p->keys[i], p->values[i]);
  return rc;
}

static int boost(zm_model *m, const double *X, size_t n, const zm_target *y,
                 const zm_xgb_params *p)
{
  DMatrixHandle dm = NULL;
  int rc = make_dmatrix(&dm, X, n, m->d);
  if (!rc) rc = set_labels(dm, y, n);
  if (!rc) rc = xgb_attach(m, dm);
  BoosterHandle b = rc ? NULL : ((xgb *)m->impl)->booster;
  if (!rc && api()->XGBoosterSetParam(b, "validate_parameters", "1") != 0)
    rc = xgb_fail("xgboost setup");
  if (!rc) rc = configure(b, m->task, m->k, p);
  for (size_t it = 0; rc == 0 && it < p->num_boost_round; it++)
    if (api()->XGBoosterUpdateOneIter(b, (int)it, dm) != 0)
      rc = xgb_fail("xgboost training");
  if (dm)
    api()->XGDMatrixFree(dm);
  return rc;
}

int zm_xgb_train(zm_model **out, const double *X, size_t n, size_t d,
                 const zm_target *y, const zm_xgb_params *params)
{
  zm_xgb_params p;
  zm_model *m = NULL;
  *out = NULL;
  if (params) p = *params; else zm_xgb_params_default(&p);
  int rc = 0;
  if (!X || n == 0 || d == 0)
    rc = zm_error_set(ZM_EINVALID, "expected a non-empty matrix, got %zu x %zu", n, d);
  if (!rc) rc = zm_target_check(y, n);
  if (!rc && p.num_boost_round == 0)
    rc = zm_error_set(ZM_EINVALID, "num_boost_round must be at least 1, got 0");
  if (rc)
    return zm_error_wrap(rc, "xgboost");
  if (!rc) rc = need_api();
  if (!rc) rc = zm__model_new(&m, ZM_MODEL_XGB, zm_target_task(y), d, y->k);
  if (!rc) rc = boost(m, X, n, y, &p);
  if (rc) {
    zm_model_free(m);
    return rc;
  }
  *out = m;
  return 0;
}

/* Copy xgboost's result into out: probabilities (k per row for multi:softprob,
 * one for binary), class ids for multi:softmax (made one-hot), or values. */
static int copy_prediction(double *out, const zm_model *m, const float *res, size_t len,
                           size_t n)
{
  size_t k = zm_model_outputs(m);
  if (m->task == ZM_TASK_MULTICLASS && len == n) {
    memset(out, 0, n * k * sizeof *out);
    for (size_t i = 0; i < n; i++)
      if (res[i] >= 0 && (size_t)res[i] < k)
        out[i * k + (size_t)res[i]] = 1.0;
    return 0;
  }
  size_t per_row = m->task == ZM_TASK_MULTICLASS ? k : 1;
  if (len != n * per_row)
    return zm_error_set(ZM_ERROR, "xgboost gave %zu predictions for %zu rows", len, n);
  for (size_t i = 0; i < n; i++) {
    if (m->task == ZM_TASK_BINARY) {
      out[2 * i + 1] = res[i];
      out[2 * i] = 1.0 - (double)res[i];
    } else {
      for (size_t c = 0; c < per_row; c++)
        out[i * per_row + c] = res[i * per_row + c];
    }
  }
  return 0;
}

static int xgb_predict(double *out, const zm_model *m, const double *X, size_t n)
{
  static const char *config = "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, "
                              "\"iteration_end\": 0, \"strict_shape\": false}";
  DMatrixHandle dm = NULL;
  const bst_ulong *shape;
  bst_ulong dim;
  const float *res;
  if (n == 0)
    return 0;
  int rc = make_dmatrix(&dm, X, n, m->d);
  if (!rc && api()->XGBoosterPredictFromDMatrix(((xgb *)m->impl)->booster, dm, config, &shape, &dim,
                                         &res) != 0)
    rc = xgb_fail("xgboost prediction");
  if (!rc) {
    size_t len = 1;
    for (bst_ulong i = 0; i < dim; i++)
      len *= shape[i];
    rc = copy_prediction(out, m, res, len, n);
  }
  if (dm)
    api()->XGDMatrixFree(dm);
  return rc;
}

/* Payload: u64 length, then xgboost's UBJSON model bytes. */
static int xgb_save(zm_buf *out, const zm_model *m)
{
  bst_ulong len;
  const char *bytes;
  if (api()->XGBoosterSaveModelToBuffer(((xgb *)m->impl)->booster, "{\"format\": \"ubj\"}", &len,
                                 &bytes) != 0)
    return xgb_fail("xgboost saving the model");
  int rc = zm__put_u64(out, len);
  return rc ? rc : zm_buf_put(out, bytes, len);
}

static int xgb_load(zm_model *m, zm_reader *r)
{
  size_t len;
  int rc = need_api();
  if (!rc) rc = zm__get_size(&len, r, r->len - r->pos);
  if (!rc) rc = xgb_attach(m, NULL);
  if (!rc && api()->XGBoosterLoadModelFromBuffer(((xgb *)m->impl)->booster, r->p + r->pos, len) != 0)
    rc = xgb_fail("xgboost loading the model");
  if (!rc)
    r->pos += len;
  return rc;
}

const zm_model_ops zm_xgb_ops = {xgb_predict, xgb_save, xgb_load, xgb_release};
