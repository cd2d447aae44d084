/* The kind-independent side of models: the shared header of the byte format,
 * dispatch to each kind, the byte writer/reader and the optimizers. */
#include "ml/internal.h"
#include "core/bigmem.h"
#include "ml/blas_api.h"
#include "core/error.h"
#include "ml/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

zm_task zm_target_task(const zm_target *y)
{
  if (!y->labels)
    return ZM_TASK_REGRESSION;
  return y->k == 2 ? ZM_TASK_BINARY : ZM_TASK_MULTICLASS;
}

int zm_target_check(const zm_target *y, size_t n)
{
  if (!y || (!y->labels && !y->values))
    return zm_error_set(ZM_EINVALID, "no target: expected labels or values");
  if (!y->labels) {
    for (size_t i = 0; i < n; i++)
      if (!isfinite(y->values[i]))
        return zm_error_set(ZM_EINVALID, "target value at row %zu is not finite", i + 1);
    return 0;
  }
  if (y->k < 2)
    return zm_error_set(ZM_EINVALID, "expected at least 2 classes, got %zu", y->k);
  for (size_t i = 0; i < n; i++)
    if (y->labels[i] < 0 || (size_t)y->labels[i] >= y->k)
      return zm_error_set(ZM_EINVALID, "label %d at row %zu is outside 0..%zu",
                          y->labels[i], i + 1, y->k - 1);
  return 0;
}

int zm__check_finite(const double *X, size_t n, size_t d, size_t first_row)
{
  for (size_t i = 0; i < n * d; i++)
    if (!isfinite(X[i]))
      return zm_error_set(ZM_EINVALID, "feature %zu of row %zu is not finite (NaN or inf)",
                          i % d + 1, first_row + i / d + 1);
  return 0;
}

int zm__check_data(const double *X, size_t n, size_t d, const zm_target *y)
{
  if (!X || n == 0 || d == 0)
    return zm_error_set(ZM_EINVALID, "expected a non-empty matrix, got %zu x %zu", n, d);
  int rc = zm__check_finite(X, n, d, 0);
  return rc ? rc : zm_target_check(y, n);
}

void zm_history_free(zm_history *h)
{
  if (!h)
    return;
  free(h->train_loss);
  free(h->val_loss);
  memset(h, 0, sizeof *h);
}

int zm__model_new(zm_model **out, zm_model_kind kind, zm_task task, size_t d, size_t k)
{
  static const zm_model_ops *ops[] = {NULL, &zm_logreg_ops, &zm_linreg_ops,
                                      &zm_ffn_ops, &zm_xgb_ops};
  *out = NULL;
  zm_model *m = calloc(1, sizeof *m);
  if (!m)
    return zm_error_set(ZM_ENOMEM, "out of memory for a model");
  m->kind = kind;
  m->task = task;
  m->d = d;
  m->k = task == ZM_TASK_REGRESSION ? 0 : k;
  m->ops = ops[kind];
  *out = m;
  return 0;
}

zm_model_kind zm_model_kind_of(const zm_model *m) { return m->kind; }
zm_task zm_model_task(const zm_model *m) { return m->task; }
size_t zm_model_features(const zm_model *m) { return m->d; }

size_t zm_model_outputs(const zm_model *m)
{
  return m->task == ZM_TASK_REGRESSION ? 1 : m->k;
}

int zm_model_predict(double *out, const zm_model *m, const double *X, size_t n)
{
  return m->ops->predict(out, m, X, n);
}

int zm_model_predict_class(int *out, const zm_model *m, const double *X, size_t n)
{
  if (m->task == ZM_TASK_REGRESSION)
    return zm_error_set(ZM_EINVALID, "predict_class needs a classifier, got a regression model");
  size_t k = m->k;
  double *p = zm_big_malloc((n ? n : 1) * k * sizeof *p);
  if (!p)
    return zm_error_set(ZM_ENOMEM, "out of memory for %zu predictions", n);
  int rc = m->ops->predict(p, m, X, n);
  if (!rc)
    zm_metric_argmax(out, p, n, k);
  free(p);
  return rc;
}

int zm_model_save(zm_buf *out, const zm_model *m)
{
  int rc = zm_buf_put(out, ZM_MODEL_MAGIC, 4);
  if (!rc) rc = zm__put_u32(out, ZM_MODEL_FORMAT);
  if (!rc) rc = zm__put_u32(out, (uint32_t)m->kind);
  if (!rc) rc = zm__put_u32(out, (uint32_t)m->task);
  if (!rc) rc = zm__put_u64(out, m->d);
  if (!rc) rc = zm__put_u64(out, m->k);
  if (!rc) rc = m->ops->save(out, m);
  return rc;
}

static int read_header(zm_model **out, zm_reader *r)
{
  uint32_t version = 0, kind = 0, task = 0;
  size_t d = 0, k = 0;
  if (r->len < 4 || memcmp(r->p, ZM_MODEL_MAGIC, 4) != 0)
    return zm_error_set(ZM_EINVALID, "not a zenml model (bad magic)");
  r->pos = 4;
  int rc = zm__get_u32(&version, r);
  if (!rc && version != ZM_MODEL_FORMAT)
    return zm_error_set(ZM_EVERSION, "model format %u is not supported (expected %u)",
                        version, ZM_MODEL_FORMAT);
  if (!rc) rc = zm__get_u32(&kind, r);
  if (!rc) rc = zm__get_u32(&task, r);
  if (!rc) rc = zm__get_size(&d, r, (size_t)1 << 32);
  if (!rc) rc = zm__get_size(&k, r, (size_t)1 << 32);
  if (rc)
    return rc;
  if (kind < ZM_MODEL_LOGREG || kind > ZM_MODEL_XGB || task > ZM_TASK_MULTICLASS ||
      (task != ZM_TASK_REGRESSION && k < 2))
    return zm_error_set(ZM_EINVALID, "corrupt model header (kind %u, task %u, k %zu)",
                        kind, task, k);
  return zm__model_new(out, (zm_model_kind)kind, (zm_task)task, d, k);
}

int zm_model_load(zm_model **out, const void *data, size_t len)
{
  zm_reader r = {data, len, 0};
  zm_model *m = NULL;
  *out = NULL;
  int rc = read_header(&m, &r);
  if (!rc)
    rc = m->ops->load(m, &r);
  if (!rc && r.pos != r.len)
    rc = zm_error_set(ZM_EINVALID, "%zu stray bytes after the model", r.len - r.pos);
  if (rc) {
    zm_model_free(m);
    return zm_error_wrap(rc, "loading model");
  }
  *out = m;
  return 0;
}

void zm_model_free(zm_model *m)
{
  if (!m)
    return;
  if (m->impl)
    m->ops->release(m->impl);
  free(m);
}

/* --- little-endian bytes, independent of the host's byte order --- */

int zm__put_u32(zm_buf *b, uint32_t v)
{
  unsigned char c[4];
  for (int i = 0; i < 4; i++)
    c[i] = (unsigned char)(v >> (8 * i));
  return zm_buf_put(b, c, 4);
}

int zm__put_u64(zm_buf *b, uint64_t v)
{
  unsigned char c[8];
  for (int i = 0; i < 8; i++)
    c[i] = (unsigned char)(v >> (8 * i));
  return zm_buf_put(b, c, 8);
}

int zm__put_f64s(zm_buf *b, const double *v, size_t n)
{
  int rc = zm_buf_grow(b, n * 8);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    uint64_t u;
    memcpy(&u, &v[i], 8);
    rc = zm__put_u64(b, u);
  }
  return rc;
}

static int need(zm_reader *r, size_t n)
{
  if (r->len - r->pos < n)
    return zm_error_set(ZM_EINVALID, "model bytes end early (at byte %zu of %zu)",
                        r->pos, r->len);
  return 0;
}

int zm__get_u32(uint32_t *out, zm_reader *r)
{
  *out = 0;
  int rc = need(r, 4);
  if (rc)
    return rc;
  uint32_t v = 0;
  for (int i = 0; i < 4; i++)
    v |= (uint32_t)r->p[r->pos + i] << (8 * i);
  r->pos += 4;
  *out = v;
  return 0;
}

int zm__get_u64(uint64_t *out, zm_reader *r)
{
  *out = 0;
  int rc = need(r, 8);
  if (rc)
    return rc;
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v |= (uint64_t)r->p[r->pos + i] << (8 * i);
  r->pos += 8;
  *out = v;
  return 0;
}

int zm__get_size(size_t *out, zm_reader *r, size_t max)
{
  *out = 0;
  uint64_t v;
  int rc = zm__get_u64(&v, r);
  if (rc)
    return rc;
  if (v > max)
    return zm_error_set(ZM_EINVALID, "corrupt model: size %llu exceeds %zu",
                        (unsigned long long)v, max);
  *out = (size_t)v;
  return 0;
}

int zm__get_f64s(double *out, zm_reader *r, size_t n)
{
  if (n > (r->len - r->pos) / 8)
    return need(r, r->len - r->pos + 1);
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    uint64_t u;
    rc = zm__get_u64(&u, r);
    memcpy(&out[i], &u, 8);
  }
  return rc;
}

/* --- optimizers --- */

int zm__optim_init(zm_optim *o, zm_optimizer kind, double lr, size_t n)
{
  memset(o, 0, sizeof *o);
  o->kind = kind;
  o->lr = lr;
  o->beta1 = 0.9;
  o->beta2 = 0.999;
  o->eps = 1e-8;
  o->b1t = 1.0;
  o->b2t = 1.0;
  o->n = n;
  if (kind != ZM_OPT_ADAM)
    return 0;
  o->m = zm__zalloc(n);
  o->v = zm__zalloc(n);
  if (!o->m || !o->v) {
    zm__optim_free(o);
    return ZM_ENOMEM;
  }
  return 0;
}

void zm__optim_step(zm_optim *o, double *params, const double *grad)
{
  size_t n = o->n;
  if (o->kind == ZM_OPT_SGD) {
    for (size_t i = 0; i < n; i++)
      params[i] -= o->lr * grad[i];
    return;
  }
  o->b1t *= o->beta1;
  o->b2t *= o->beta2;
  double a = o->lr * sqrt(1.0 - o->b2t) / (1.0 - o->b1t);
  double b1 = o->beta1, b2 = o->beta2, eps = o->eps;
  for (size_t i = 0; i < n; i++) {
    double g = grad[i];
    o->m[i] = b1 * o->m[i] + (1.0 - b1) * g;
    o->v[i] = b2 * o->v[i] + (1.0 - b2) * g * g;
    params[i] -= a * o->m[i] / (sqrt(o->v[i]) + eps);
  }
}

void zm__optim_free(zm_optim *o)
{
  free(o->m);
  free(o->v);
  o->m = o->v = NULL;
}

/* --- small numeric helpers --- */

double zm__sigmoid(double x)
{
  if (x >= 0)
    return 1.0 / (1.0 + exp(-x));
  double e = exp(x);
  return e / (1.0 + e);
}

double zm__softplus(double x)
{
  return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

void zm__softmax_rows(double *z, size_t n, size_t k)
{
  for (size_t i = 0; i < n; i++) {
    double *r = z + i * k, mx = r[0], s = 0.0;
    for (size_t c = 1; c < k; c++)
      if (r[c] > mx)
        mx = r[c];
    for (size_t c = 0; c < k; c++)
      s += (r[c] = exp(r[c] - mx));
    for (size_t c = 0; c < k; c++)
      r[c] /= s;
  }
}

int zm__blas_single_thread(void)
{
  return zm_blas_load();
}

double *zm__zalloc(size_t n)
{
  double *p = zm_big_calloc(n ? n : 1, sizeof *p);
  if (!p)
    zm_error_set(ZM_ENOMEM, "out of memory for %zu numbers", n);
  return p;
}
