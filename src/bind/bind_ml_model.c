/* zenml._core.ml models and metrics: training from frames, model userdata
 * (predict, save, history, info), loading, and evaluation metrics. All Lua
 * values are read before any C memory is taken, so an error never leaks. */
#include "bind/bind_ml.h"
#include "core/bigmem.h"
#include "bind/bind_frame.h"
#include "core/error.h"
#include "core/workers.h"
#include "ml/bridge.h"
#include "ml/ffn.h"
#include "ml/linear.h"
#include "ml/metrics.h"
#include "ml/xgb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_MT "zenml.ml.buf"

typedef struct lmodel {
  zm_bind_box box;
  zm_bundle *b;
  zm_history h; /* from training; empty for a loaded model */
} lmodel;

/* Everything a training call reads from Lua, gathered up front. */
typedef struct train_args {
  zm_model_kind kind;
  int classify;
  const zm_frame *f, *val;
  zm_logreg_params logreg;
  zm_linreg_params linreg;
  zm_ffn_params ffn;
  zm_xgb_params xgb;
} train_args;

/* boxed byte buffers -------------------------------------------------------- */

typedef struct lbuf {
  zm_bind_box box;
  zm_buf buf;
} lbuf;

static void buf_release(zm_bind_box *b)
{
  zm_buf_free(&((lbuf *)b)->buf);
}

zm_buf *zm_bind_ml_buf(lua_State *L)
{
  lbuf *b = zm_bind_box_new(L, sizeof *b, BUF_MT, buf_release);
  b->buf = (zm_buf)ZM_BUF_INIT;
  return &b->buf;
}

/* model userdata ------------------------------------------------------------ */

static void model_release(zm_bind_box *b)
{
  lmodel *box = (lmodel *)b;
  zm_bundle_free(box->b);
  zm_history_free(&box->h);
  box->b = NULL;
  memset(&box->h, 0, sizeof box->h);
}

static lmodel *push_model(lua_State *L)
{
  return zm_bind_box_new(L, sizeof(lmodel), MODEL_MT, model_release);
}

static lmodel *check_model(lua_State *L)
{
  lmodel *box = luaL_checkudata(L, 1, MODEL_MT);
  if (!box->b)
    luaL_error(L, "model: attempt to use a closed model");
  return box;
}

/* reading parameters -------------------------------------------------------- */

static double num_param(lua_State *L, int t, const char *key, double def)
{
  lua_getfield(L, t, key);
  double v = lua_isnil(L, -1) ? def : luaL_checknumber(L, -1);
  lua_pop(L, 1);
  return v;
}

static size_t size_param(lua_State *L, int t, const char *key, size_t def)
{
  double v = num_param(L, t, key, (double)def);
  return v < 0 ? 0 : (size_t)v;
}

static const char *str_param(lua_State *L, int t, const char *key, const char *def)
{
  lua_getfield(L, t, key);
  const char *s = lua_isnil(L, -1) ? def : luaL_checkstring(L, -1);
  lua_pop(L, 1); /* the string stays alive inside the params table */
  return s;
}

static zm_optimizer optimizer_param(lua_State *L, int t)
{
  const char *s = str_param(L, t, "optimizer", "adam");
  if (strcmp(s, "adam") != 0 && strcmp(s, "sgd") != 0)
    luaL_error(L, "ml.train: optimizer must be 'adam' or 'sgd', got '%s'", s);
  return s[0] == 's' ? ZM_OPT_SGD : ZM_OPT_ADAM;
}

static void read_logreg(lua_State *L, int t, zm_logreg_params *p)
{
  zm_logreg_params_default(p);
  const char *solver = str_param(L, t, "solver", "lbfgs");
  if (strcmp(solver, "lbfgs") != 0 && strcmp(solver, "sgd") != 0)
    luaL_error(L, "ml.train: solver must be 'lbfgs' or 'sgd', got '%s'", solver);
  p->solver = solver[0] == 's' ? ZM_LOGREG_SGD : ZM_LOGREG_LBFGS;
  p->max_iter = size_param(L, t, "max_iter", p->max_iter);
  p->tol = num_param(L, t, "tol", p->tol);
  p->epochs = size_param(L, t, "epochs", p->epochs);
  p->batch_size = size_param(L, t, "batch_size", p->batch_size);
  p->lr = num_param(L, t, "lr", p->lr);
  p->l2 = num_param(L, t, "l2", p->l2);
  p->optimizer = optimizer_param(L, t);
  p->seed = (uint64_t)num_param(L, t, "seed", 0);
  lua_getfield(L, t, "mix");
  p->mix = lua_toboolean(L, -1);
  lua_pop(L, 1);
  /* the blocks of a mixed fit run on the processing backend's workers */
  p->threads = (size_t)zm_workers_get(2);
}

static void read_linreg(lua_State *L, int t, zm_linreg_params *p)
{
  zm_linreg_params_default(p);
  const char *solver = str_param(L, t, "solver", "exact");
  if (strcmp(solver, "exact") != 0 && strcmp(solver, "sgd") != 0)
    luaL_error(L, "ml.train: solver must be 'exact' or 'sgd', got '%s'", solver);
  p->solver = solver[0] == 's' ? ZM_LINREG_SGD : ZM_LINREG_EXACT;
  p->l2 = num_param(L, t, "l2", p->l2);
  p->epochs = size_param(L, t, "epochs", p->epochs);
  p->batch_size = size_param(L, t, "batch_size", p->batch_size);
  p->lr = num_param(L, t, "lr", p->lr);
  p->optimizer = optimizer_param(L, t);
  p->seed = (uint64_t)num_param(L, t, "seed", 0);
}

static void read_ffn(lua_State *L, int t, zm_ffn_params *p)
{
  zm_ffn_params_default(p);
  lua_getfield(L, t, "hidden");
  if (lua_istable(L, -1)) {
    p->n_hidden = lua_rawlen(L, -1);
    if (p->n_hidden > ZM_FFN_MAX_HIDDEN)
      luaL_error(L, "ml.train: at most %d hidden layers, got %d", ZM_FFN_MAX_HIDDEN,
                 (int)p->n_hidden);
    for (size_t i = 0; i < p->n_hidden; i++) {
      lua_rawgeti(L, -1, (lua_Integer)i + 1);
      p->hidden[i] = (size_t)luaL_checkinteger(L, -1);
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  const char *act = str_param(L, t, "activation", "relu");
  if (zm_activation_parse(&p->activation, act) != 0)
    luaL_error(L, "ml.train: %s", zm_error_last());
  p->optimizer = optimizer_param(L, t);
  p->lr = num_param(L, t, "lr", p->lr);
  p->batch_size = size_param(L, t, "batch_size", p->batch_size);
  p->epochs = size_param(L, t, "epochs", p->epochs);
  p->l2 = num_param(L, t, "l2", p->l2);
  p->dropout = num_param(L, t, "dropout", p->dropout);
  p->patience = size_param(L, t, "patience", p->patience);
  p->tol = num_param(L, t, "tol", p->tol);
  p->val_fraction = num_param(L, t, "val_fraction", p->val_fraction);
  p->seed = (uint64_t)num_param(L, t, "seed", 0);
}

/* xgboost: num_boost_round and seed, and the other keys as sorted string pairs
 * (argument pairs: {{key, value}, ...}, already sorted and stringified). */
static void read_xgb(lua_State *L, int t, int pairs, zm_xgb_params *p)
{
  zm_xgb_params_default(p);
  p->num_boost_round = size_param(L, t, "num_boost_round", p->num_boost_round);
  p->seed = (uint64_t)num_param(L, t, "seed", 0);
  size_t n = lua_istable(L, pairs) ? lua_rawlen(L, pairs) : 0;
  const char **kv = lua_newuserdatauv(L, (2 * n + 1) * sizeof *kv, 0);
  lua_replace(L, 1); /* anchor it in an argument slot no longer needed */
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, pairs, (lua_Integer)i + 1);
    lua_rawgeti(L, -1, 1);
    lua_rawgeti(L, -2, 2);
    kv[i] = luaL_checkstring(L, -2);
    kv[n + i] = luaL_checkstring(L, -1);
    lua_pop(L, 3); /* the pair tables keep the strings alive */
  }
  p->keys = kv;
  p->values = kv + n;
  p->n_params = n;
}

static zm_model_kind parse_kind(lua_State *L, const char *kind)
{
  static const char *const names[] = {"logistic", "linear", "feedforward", "xgboost"};
  for (int i = 0; i < 4; i++)
    if (strcmp(kind, names[i]) == 0)
      return (zm_model_kind)(i + 1);
  luaL_error(L, "ml.train: unknown model kind '%s' (expected logistic, linear, feedforward or "
                "xgboost)", kind);
  return ZM_MODEL_LOGREG;
}

/* training ------------------------------------------------------------------- */

/* The target of frame f for the bundle's label: class ids or values. */
static int make_target(zm_target *y, int **ids, double **values, const zm_bundle *b,
                       const zm_frame *f)
{
  if (b->classes.k == 0) {
    *y = (zm_target){NULL, NULL, 0};
    int rc = zm_frame_values(values, f, b->label);
    y->values = *values;
    return rc;
  }
  long j = zm_frame_find(f, b->label);
  if (j < 0)
    return zm_error_set(ZM_ENOTFOUND, "label column '%s' not found", b->label);
  if (!(*ids = zm_big_malloc(f->nrow * sizeof **ids)))
    return zm_error_set(ZM_ENOMEM, "out of memory");
  *y = (zm_target){*ids, NULL, b->classes.k};
  return zm_classes_ids(*ids, &b->classes, &f->cols[j]);
}

static int fit_model(lmodel *box, train_args *a, const double *X, const zm_target *y,
                     const double *Xv, const zm_target *yv)
{
  zm_bundle *b = box->b;
  size_t n = a->f->nrow;
  switch (a->kind) {
  case ZM_MODEL_LOGREG: return zm_logreg_train(&b->model, X, n, b->d, y, &a->logreg, &box->h);
  case ZM_MODEL_LINREG: return zm_linreg_train(&b->model, X, n, b->d, y, &a->linreg, &box->h);
  case ZM_MODEL_FFN:
    if (Xv) {
      a->ffn.X_val = Xv;
      a->ffn.n_val = a->val->nrow;
      a->ffn.y_val = yv;
    }
    return zm_ffn_train(&b->model, X, n, b->d, y, &a->ffn, &box->h);
  default: return zm_xgb_train(&b->model, X, n, b->d, y, &a->xgb);
  }
}

/* Logistic regression deals the rows into its training order anyway: it
 * takes them straight from the frame, so no whole matrix is built too. */
static int fit_logreg(lmodel *box, train_args *a, const zm_target *y)
{
  zm_bundle *b = box->b;
  zm_rows rows;
  int rc = zm_frame_rows(&rows, a->f, (const char *const *)b->features, b->d, 0);
  if (rc == 0)
    rc = zm_logreg_train_rows(&b->model, &rows, y, &a->logreg, &box->h);
  zm_frame_rows_free(&rows);
  return rc;
}

static int train_bundle(lmodel *box, train_args *a)
{
  zm_bundle *b = box->b;
  double *X = NULL, *Xv = NULL, *vals = NULL, *vvals = NULL;
  int *ids = NULL, *vids = NULL;
  zm_target y, yv;
  int missing = a->kind == ZM_MODEL_XGB, rc = 0;
  const zm_column *lc = &a->f->cols[zm_frame_find(a->f, b->label)];
  if (a->classify)
    rc = zm_classes_fit(&b->classes, &lc, 1);
  if (rc == 0 && a->classify && b->classes.k < 2)
    rc = zm_error_set(ZM_EINVALID, "label column '%s' has %zu class%s in the training rows; classification needs 2 or more",
                      b->label, b->classes.k, b->classes.k == 1 ? "" : "es");
  if (rc == 0) rc = make_target(&y, &ids, &vals, b, a->f);
  if (rc == 0 && a->kind == ZM_MODEL_LOGREG) {
    rc = fit_logreg(box, a, &y);
    goto done;
  }
  if (rc == 0) rc = zm_frame_matrix(&X, a->f, (const char *const *)b->features, b->d, missing);
  if (rc == 0 && a->val) {
    rc = zm_frame_matrix(&Xv, a->val, (const char *const *)b->features, b->d, missing);
    if (rc == 0)
      rc = make_target(&yv, &vids, &vvals, b, a->val);
    if (rc)
      zm_error_wrap(rc, "validation frame");
  }
  if (rc == 0)
    rc = fit_model(box, a, X, &y, Xv, &yv);
done:
  free(X);
  free(Xv);
  free(vals);
  free(vvals);
  free(ids);
  free(vids);
  return rc;
}

/* Copy the feature and label names into the bundle (C memory owned by the box). */
static int name_bundle(zm_bundle *b, lua_State *L, int features, const char *label)
{
  b->d = lua_rawlen(L, features);
  if (!(b->features = calloc(b->d ? b->d : 1, sizeof *b->features)) || !(b->label = strdup(label)))
    return zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t j = 0; j < b->d; j++) {
    lua_rawgeti(L, features, (lua_Integer)j + 1);
    const char *s = lua_tostring(L, -1);
    b->features[j] = strdup(s ? s : "");
    lua_pop(L, 1);
    if (!b->features[j])
      return zm_error_set(ZM_ENOMEM, "out of memory");
  }
  return 0;
}

/* core.ml.train(kind, frame, features, label, task, params, validation, xgb_pairs) */
static int m_train(lua_State *L)
{
  train_args a;
  memset(&a, 0, sizeof a);
  a.kind = parse_kind(L, luaL_checkstring(L, 1));
  a.f = zm_lframe_check(L, 2);
  luaL_checktype(L, 3, LUA_TTABLE);
  const char *label = luaL_checkstring(L, 4);
  a.classify = strcmp(luaL_checkstring(L, 5), "classification") == 0;
  luaL_checktype(L, 6, LUA_TTABLE);
  a.val = lua_isnil(L, 7) ? NULL : zm_lframe_check(L, 7);
  for (size_t j = 0; j < lua_rawlen(L, 3); j++) {
    int ty = lua_rawgeti(L, 3, (lua_Integer)j + 1);
    lua_pop(L, 1);
    if (ty != LUA_TSTRING)
      return luaL_error(L, "ml.train: feature names must be strings");
  }
  if (zm_frame_find(a.f, label) < 0)
    return luaL_error(L, "ml.train: label column '%s' not found", label);
  if (a.kind == ZM_MODEL_LOGREG) read_logreg(L, 6, &a.logreg);
  if (a.kind == ZM_MODEL_LINREG) read_linreg(L, 6, &a.linreg);
  if (a.kind == ZM_MODEL_FFN) read_ffn(L, 6, &a.ffn);
  if (a.kind == ZM_MODEL_XGB) read_xgb(L, 6, 8, &a.xgb);
  lmodel *box = push_model(L);
  if (!(box->b = calloc(1, sizeof *box->b)))
    return luaL_error(L, "ml.train: out of memory");
  int rc = name_bundle(box->b, L, 3, label);
  if (rc == 0)
    rc = train_bundle(box, &a);
  if (rc != 0)
    return zm_bind_ml_fail(L, rc, "ml.train");
  return 1;
}

/* model methods ------------------------------------------------------------- */

static int md_predict(lua_State *L)
{
  lmodel *m = check_model(L);
  zm_frame *src = zm_lframe_test(L, 2);
  if (!src)
    return luaL_error(L, "model:predict: expected a frame, got %s", luaL_typename(L, 2));
  lframe *box = zm_lframe_push(L);
  int rc = zm_bundle_predict(&box->f, m->b, src);
  if (rc != 0)
    return zm_bind_ml_fail(L, rc, "model:predict");
  return 1;
}

static int md_save(lua_State *L)
{
  lmodel *m = check_model(L);
  zm_buf *b = zm_bind_ml_buf(L);
  int rc = zm_bundle_save(b, m->b);
  if (rc != 0)
    return zm_bind_ml_fail(L, rc, "model:save");
  lua_pushlstring(L, b->data, b->len);
  zm_buf_free(b);
  return 1;
}

static void push_doubles(lua_State *L, const double *v, size_t n)
{
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; v && i < n; i++) {
    lua_pushnumber(L, v[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static int md_history(lua_State *L)
{
  lmodel *m = check_model(L);
  lua_createtable(L, 0, 3);
  push_doubles(L, m->h.train_loss, m->h.epochs);
  lua_setfield(L, -2, "train_loss");
  push_doubles(L, m->h.val_loss, m->h.epochs);
  lua_setfield(L, -2, "val_loss");
  if (m->h.epochs) {
    lua_pushinteger(L, (lua_Integer)m->h.best_epoch + 1);
    lua_setfield(L, -2, "best_epoch");
    lua_pushinteger(L, (lua_Integer)m->h.epochs);
    lua_setfield(L, -2, "iterations");
  }
  if (m->h.epochs && m->h.converged >= 0) {
    lua_pushboolean(L, m->h.converged);
    lua_setfield(L, -2, "converged");
  }
  return 1;
}

static int md_info(lua_State *L)
{
  static const char *const kinds[] = {"", "logistic", "linear", "feedforward", "xgboost"};
  static const char *const tasks[] = {"regression", "classification", "classification"};
  zm_bundle *b = check_model(L)->b;
  lua_createtable(L, 0, 6);
  lua_pushstring(L, kinds[zm_model_kind_of(b->model)]);
  lua_setfield(L, -2, "kind");
  lua_pushstring(L, tasks[zm_model_task(b->model)]);
  lua_setfield(L, -2, "task");
  zm_bind_push_strings(L, b->features, b->d);
  lua_setfield(L, -2, "features");
  lua_pushstring(L, b->label);
  lua_setfield(L, -2, "label");
  if (b->classes.k) {
    zm_bind_push_strings(L, b->classes.names, b->classes.k);
    lua_setfield(L, -2, "classes");
    lua_pushstring(L, zm_type_name(b->classes.type));
    lua_setfield(L, -2, "label_type");
  }
  return 1;
}

static int m_load_model(lua_State *L)
{
  size_t len;
  const char *bytes = luaL_checklstring(L, 1, &len);
  lmodel *box = push_model(L);
  int rc = zm_bundle_load(&box->b, bytes, len);
  if (rc != 0)
    return zm_bind_ml_fail(L, rc, "ml.load_model");
  return 1;
}

/* metrics -------------------------------------------------------------------- */

static zm_column *check_col(lua_State *L, int idx, const char *fn)
{
  zm_column *c = zm_lcolumn_test(L, idx);
  if (!c)
    luaL_error(L, "%s: expected a column, got %s", fn, luaL_typename(L, idx));
  return c;
}

static void set_per_class(lua_State *L, const char *key, const zm_classes *cl, const double *v)
{
  lua_createtable(L, 0, (int)cl->k);
  for (size_t k = 0; k < cl->k; k++) {
    lua_pushnumber(L, v[k]);
    lua_setfield(L, -2, cl->names[k]);
  }
  lua_setfield(L, -2, key);
}

/* confusion[true][predicted] = count, keyed by class names. */
static void set_confusion(lua_State *L, const zm_classes *cl, const size_t *m)
{
  lua_createtable(L, 0, (int)cl->k);
  for (size_t i = 0; i < cl->k; i++) {
    lua_createtable(L, 0, (int)cl->k);
    for (size_t j = 0; j < cl->k; j++) {
      lua_pushinteger(L, (lua_Integer)m[i * cl->k + j]);
      lua_setfield(L, -2, cl->names[j]);
    }
    lua_setfield(L, -2, cl->names[i]);
  }
  lua_setfield(L, -2, "confusion");
}

/* Scores in P[n * k] from the p_<class> columns of frame pf; 0 when one is missing. */
static int gather_proba(double *P, const zm_frame *pf, const zm_classes *cl, size_t n)
{
  for (size_t k = 0; k < cl->k; k++) {
    char name[512];
    snprintf(name, sizeof name, "p_%s", cl->names[k]);
    long j = zm_frame_find(pf, name);
    if (j < 0 || pf->cols[j].type != ZM_TYPE_F64 || pf->nrow != n)
      return 0;
    for (size_t i = 0; i < n; i++)
      P[i * cl->k + k] = ((const double *)pf->cols[j].data)[i];
  }
  return 1;
}

typedef struct class_scores {
  zm_classes cl;
  zm_class_report r;
  int *y, *p;
  double *P;
  int has_proba;
  double log_loss, auc;
  int has_auc;
} class_scores;

static void scores_free(class_scores *s)
{
  zm_classes_free(&s->cl);
  zm_class_report_free(&s->r);
  free(s->y);
  free(s->p);
  free(s->P);
}

static int score(class_scores *s, const zm_column *t, const zm_column *pc, const zm_frame *pf)
{
  const zm_column *cols[] = {t, pc};
  size_t n = t->len;
  int rc = zm_classes_fit(&s->cl, cols, 2);
  if (rc == 0 && s->cl.k < 1)
    rc = zm_error_set(ZM_EINVALID, "no classes in the truth or the predictions");
  if (rc == 0 && (!(s->y = zm_big_malloc((n + 1) * sizeof *s->y)) ||
                  !(s->p = zm_big_malloc((n + 1) * sizeof *s->p)) ||
                  !(s->P = zm_big_malloc((n * s->cl.k + 1) * sizeof *s->P))))
    rc = zm_error_set(ZM_ENOMEM, "out of memory");
  if (rc == 0) rc = zm_classes_ids(s->y, &s->cl, t);
  if (rc == 0) rc = zm_classes_ids(s->p, &s->cl, pc);
  if (rc == 0) rc = zm_metric_classification(&s->r, s->y, s->p, n, s->cl.k);
  if (rc == 0 && pf && (s->has_proba = gather_proba(s->P, pf, &s->cl, n))) {
    s->log_loss = zm_metric_log_loss(s->y, s->P, n, s->cl.k, 0);
    if (s->cl.k == 2) {
      for (size_t i = 0; i < n; i++)
        s->P[i] = s->P[i * 2 + 1];
      s->has_auc = zm_metric_roc_auc(&s->auc, s->y, s->P, n) == 0;
    }
  }
  return rc;
}

/* Fill the table on the stack top. */
static void push_scores(lua_State *L, const class_scores *s)
{
  zm_bind_set_num(L, "accuracy", s->r.accuracy);
  set_per_class(L, "precision", &s->cl, s->r.precision);
  set_per_class(L, "recall", &s->cl, s->r.recall);
  set_per_class(L, "f1", &s->cl, s->r.f1);
  zm_bind_set_num(L, "macro_precision", s->r.macro_precision);
  zm_bind_set_num(L, "macro_recall", s->r.macro_recall);
  zm_bind_set_num(L, "macro_f1", s->r.macro_f1);
  set_confusion(L, &s->cl, s->r.confusion);
  zm_bind_push_strings(L, s->cl.names, s->cl.k);
  lua_setfield(L, -2, "classes");
  if (s->has_proba)
    zm_bind_set_num(L, "log_loss", s->log_loss);
  if (s->has_auc)
    zm_bind_set_num(L, "roc_auc", s->auc);
}

/* core.ml.metrics_classification(truth_column, predicted_column, proba_frame?) */
static int m_metrics_classification(lua_State *L)
{
  const char *fn = "ml.metrics_classification";
  zm_column *t = check_col(L, 1, fn), *pc = check_col(L, 2, fn);
  zm_frame *pf = zm_lframe_test(L, 3);
  if (t->len != pc->len)
    return luaL_error(L, "%s: truth has %d rows, predictions %d", fn, (int)t->len, (int)pc->len);
  lua_settop(L, 3);
  lua_createtable(L, 0, 12); /* made before C memory is taken: filling it cannot fail */
  class_scores s;
  memset(&s, 0, sizeof s);
  int rc = score(&s, t, pc, pf);
  if (rc != 0) {
    scores_free(&s);
    return zm_bind_ml_fail(L, rc, fn);
  }
  push_scores(L, &s); /* table pushes can only fail on OOM: accepted here */
  scores_free(&s);
  return 1;
}

/* core.ml.metrics_regression(truth_column, predicted_column) */
static int m_metrics_regression(lua_State *L)
{
  const char *fn = "ml.metrics_regression";
  zm_column *t = check_col(L, 1, fn), *pc = check_col(L, 2, fn);
  if (t->len != pc->len)
    return luaL_error(L, "%s: truth has %d rows, predictions %d", fn, (int)t->len, (int)pc->len);
  size_t n = t->len;
  double *y = lua_newuserdatauv(L, (n + 1) * sizeof *y, 0);
  double *p = lua_newuserdatauv(L, (n + 1) * sizeof *p, 0);
  for (size_t i = 0; i < n; i++) {
    if (zm_column_is_null(t, i) || zm_column_is_null(pc, i) || t->type == ZM_TYPE_STR ||
        pc->type == ZM_TYPE_STR)
      return luaL_error(L, "%s: expected numbers, got %s at row %d", fn,
                        zm_column_is_null(t, i) || zm_column_is_null(pc, i) ? "a null" : "a string",
                        (int)i + 1);
    y[i] = t->type == ZM_TYPE_F64 ? ((double *)t->data)[i]
           : t->type == ZM_TYPE_I64 ? (double)((int64_t *)t->data)[i] : ((uint8_t *)t->data)[i];
    p[i] = pc->type == ZM_TYPE_F64 ? ((double *)pc->data)[i]
           : pc->type == ZM_TYPE_I64 ? (double)((int64_t *)pc->data)[i] : ((uint8_t *)pc->data)[i];
  }
  lua_createtable(L, 0, 4);
  zm_bind_set_num(L, "mse", zm_metric_mse(y, p, n));
  zm_bind_set_num(L, "rmse", zm_metric_rmse(y, p, n));
  zm_bind_set_num(L, "mae", zm_metric_mae(y, p, n));
  zm_bind_set_num(L, "r2", zm_metric_r2(y, p, n));
  return 1;
}

void zm_bind_ml_model_init(lua_State *L)
{
  static const luaL_Reg methods[] = {{"predict", md_predict}, {"save", md_save},
                                     {"history", md_history}, {"info", md_info},
                                     {"close", zm_bind_release}, {NULL, NULL}};
  static const luaL_Reg fns[] = {{"train", m_train},
                                 {"load_model", m_load_model},
                                 {"metrics_classification", m_metrics_classification},
                                 {"metrics_regression", m_metrics_regression},
                                 {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
  zm_bind_box_type(L, MODEL_MT, methods);
  lua_setfield(L, -2, "model_mt");
}
