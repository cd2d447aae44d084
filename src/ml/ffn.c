/* The feed-forward network. All parameters live in one flat vector theta,
 * layer after layer: W (in x out, row-major) then b (out), so one optimizer
 * updates everything and serialization is a single array. */
#include "ml/ffn.h"
#include "ml/internal.h"
#include "core/error.h"
#include "core/rng.h"

#include "ml/blas_calls.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { PREDICT_CHUNK = 1024 };

typedef struct ffn {
  size_t layers;                          /* weight layers: hidden + 1 */
  size_t sizes[ZM_FFN_MAX_HIDDEN + 2];    /* d, hidden..., outputs */
  size_t offset[ZM_FFN_MAX_HIDDEN + 1];   /* where layer l's W starts in theta */
  zm_activation act;
  size_t n_params;
  double *theta;
} ffn;

/* Buffers for one batch of up to cap rows. */
typedef struct workspace {
  size_t cap;
  double *A[ZM_FFN_MAX_HIDDEN + 2];    /* layer inputs/outputs after dropout */
  double *H[ZM_FFN_MAX_HIDDEN + 2];    /* hidden activations before dropout */
  double *mask[ZM_FFN_MAX_HIDDEN + 2]; /* dropout scale per unit: 0 or 1/(1-p) */
  double *dz, *da;                     /* gradients flowing backwards */
  double *grad;
  double *best;                        /* theta at the best epoch */
} workspace;

/* The training state that stays fixed across batches. */
typedef struct trainer {
  ffn *net;
  zm_task task;
  const zm_ffn_params *p;
  zm_optim opt;
  zm_rng rng;
  workspace ws;
} trainer;

void zm_ffn_params_default(zm_ffn_params *p)
{
  memset(p, 0, sizeof *p);
  p->hidden[0] = 100;
  p->n_hidden = 1;
  p->activation = ZM_ACT_RELU;
  p->optimizer = ZM_OPT_ADAM;
  p->lr = 0.001;
  p->batch_size = 200;
  p->epochs = 200;
  p->l2 = 1e-4;
  p->patience = 10;
  p->tol = 1e-4;
}

int zm_activation_parse(zm_activation *out, const char *name)
{
  static const char *names[] = {"relu", "tanh", "sigmoid"};
  for (int i = 0; i < 3; i++)
    if (strcmp(name, names[i]) == 0) {
      *out = (zm_activation)i;
      return 0;
    }
  return zm_error_set(ZM_EINVALID, "activation must be relu, tanh or sigmoid, got '%s'", name);
}

static void ffn_release(void *impl)
{
  ffn *f = impl;
  if (f)
    free(f->theta);
  free(f);
}

static size_t out_units(zm_task task, size_t k)
{
  return task == ZM_TASK_MULTICLASS ? k : 1;
}

/* Lay out the layers of f (sizes[] and layers set) and allocate theta. */
static int ffn_layout(ffn *f)
{
  size_t at = 0;
  for (size_t l = 0; l < f->layers; l++) {
    f->offset[l] = at;
    at += f->sizes[l] * f->sizes[l + 1] + f->sizes[l + 1];
  }
  f->n_params = at;
  f->theta = zm__zalloc(at);
  return f->theta ? 0 : ZM_ENOMEM;
}

static int ffn_attach(zm_model *m, const size_t *hidden, size_t n_hidden, zm_activation act)
{
  ffn *f = calloc(1, sizeof *f);
  if (!f)
    return zm_error_set(ZM_ENOMEM, "out of memory for a network");
  f->layers = n_hidden + 1;
  f->act = act;
  f->sizes[0] = m->d;
  for (size_t l = 0; l < n_hidden; l++)
    f->sizes[l + 1] = hidden[l];
  f->sizes[f->layers] = out_units(m->task, m->k);
  m->impl = f;
  return ffn_layout(f);
}

/* He-normal for ReLU layers, Glorot-uniform otherwise; zero biases. */
static void ffn_init(ffn *f, zm_rng *rng)
{
  for (size_t l = 0; l < f->layers; l++) {
    size_t in = f->sizes[l], out = f->sizes[l + 1];
    double *W = f->theta + f->offset[l];
    int he = f->act == ZM_ACT_RELU && l + 1 < f->layers;
    double scale = he ? sqrt(2.0 / (double)in) : sqrt(6.0 / (double)(in + out));
    for (size_t i = 0; i < in * out; i++)
      W[i] = he ? scale * zm_rng_normal(rng) : scale * (2.0 * zm_rng_uniform(rng) - 1.0);
  }
}

static void activate(double *a, size_t n, zm_activation act)
{
  for (size_t i = 0; i < n; i++) {
    if (act == ZM_ACT_RELU)
      a[i] = a[i] > 0 ? a[i] : 0.0;
    else if (act == ZM_ACT_TANH)
      a[i] = tanh(a[i]);
    else
      a[i] = zm__sigmoid(a[i]);
  }
}

/* dz *= f'(z), written with the activation's output h = f(z). */
static void activate_grad(double *dz, const double *h, size_t n, zm_activation act)
{
  for (size_t i = 0; i < n; i++) {
    if (act == ZM_ACT_RELU)
      dz[i] = h[i] > 0 ? dz[i] : 0.0;
    else if (act == ZM_ACT_TANH)
      dz[i] *= 1.0 - h[i] * h[i];
    else
      dz[i] *= h[i] * (1.0 - h[i]);
  }
}

/* out (rows x o) = in (rows x i) W + b */
static void dense(double *out, const double *in, const double *W, size_t rows, size_t i,
                  size_t o)
{
  const double *b = W + i * o;
  for (size_t r = 0; r < rows; r++)
    memcpy(out + r * o, b, o * sizeof *out);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)o, (int)i, 1.0, in,
              (int)i, W, (int)o, 1.0, out, (int)o);
}

static void dropout_apply(workspace *w, size_t l, size_t n, double rate, zm_rng *rng)
{
  double keep = 1.0 / (1.0 - rate);
  for (size_t i = 0; i < n; i++) {
    w->mask[l][i] = zm_rng_uniform(rng) < rate ? 0.0 : keep;
    w->A[l][i] = w->H[l][i] * w->mask[l][i];
  }
}

/* Forward rows already in w->A[0]; leaves the output layer's logits in
 * w->A[layers]. Dropout only when rng is given. */
static void forward(const ffn *f, workspace *w, size_t rows, double dropout, zm_rng *rng)
{
  for (size_t l = 0; l < f->layers; l++) {
    size_t o = f->sizes[l + 1];
    int hidden = l + 1 < f->layers;
    int drop = hidden && rng && dropout > 0;
    double *dst = drop ? w->H[l + 1] : w->A[l + 1];
    dense(dst, w->A[l], f->theta + f->offset[l], rows, f->sizes[l], o);
    if (hidden)
      activate(dst, rows * o, f->act);
    if (drop)
      dropout_apply(w, l + 1, rows * o, dropout, rng);
  }
}

/* Loss of one row from its logits z; turns z into dLoss/dz (unscaled). */
static double output_loss(double *z, size_t k, zm_task task, const zm_target *y, size_t i)
{
  if (task == ZM_TASK_REGRESSION) {
    double r = z[0] - y->values[i];
    z[0] = r;
    return r * r;
  }
  if (task == ZM_TASK_BINARY) {
    double t = y->labels[i] == 1 ? 1.0 : 0.0;
    double l = zm__softplus(z[0]) - t * z[0];
    z[0] = zm__sigmoid(z[0]) - t;
    return l;
  }
  zm__softmax_rows(z, 1, k);
  int c = y->labels[i];
  double l = -log(fmax(z[c], 1e-300));
  z[c] -= 1.0;
  return l;
}

/* Copy the listed rows of X (all rows from `first` when rows is NULL). */
static void gather(double *dst, const double *X, size_t d, const size_t *rows, size_t first,
                   size_t nb)
{
  for (size_t r = 0; r < nb; r++) {
    size_t i = rows ? rows[r] : first + r;
    memcpy(dst + r * d, X + i * d, d * sizeof *dst);
  }
}

static void backward(trainer *t, size_t nb, const double *dz_out)
{
  const ffn *f = t->net;
  workspace *w = &t->ws;
  const double *dz = dz_out;
  for (size_t l = f->layers; l-- > 0;) {
    size_t i = f->sizes[l], o = f->sizes[l + 1];
    const double *W = f->theta + f->offset[l];
    double *gW = w->grad + f->offset[l], *gb = gW + i * o;
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)i, (int)o, (int)nb, 1.0,
                w->A[l], (int)i, dz, (int)o, 0.0, gW, (int)o);
    memset(gb, 0, o * sizeof *gb);
    for (size_t r = 0; r < nb; r++)
      for (size_t c = 0; c < o; c++)
        gb[c] += dz[r * o + c];
    for (size_t j = 0; j < i * o; j++)
      gW[j] += t->p->l2 * W[j];
    if (l == 0)
      break;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)i, (int)o, 1.0, dz,
                (int)o, W, (int)o, 0.0, w->da, (int)i);
    int drop = t->p->dropout > 0;
    for (size_t j = 0; drop && j < nb * i; j++)
      w->da[j] *= w->mask[l][j];
    activate_grad(w->da, drop ? w->H[l] : w->A[l], nb * i, f->act);
    memcpy(w->dz, w->da, nb * i * sizeof *w->dz);
    dz = w->dz;
  }
}

/* One mini-batch step over the listed rows; returns their summed loss. */
static double train_batch(trainer *t, const double *X, const zm_target *y, const size_t *rows,
                          size_t nb)
{
  ffn *f = t->net;
  workspace *w = &t->ws;
  size_t k = f->sizes[f->layers];
  double *z = w->A[f->layers], total = 0.0;
  gather(w->A[0], X, f->sizes[0], rows, 0, nb);
  forward(f, w, nb, t->p->dropout, &t->rng);
  for (size_t r = 0; r < nb; r++) {
    total += output_loss(z + r * k, k, t->task, y, rows[r]);
    for (size_t c = 0; c < k; c++)
      z[r * k + c] /= (double)nb;
  }
  backward(t, nb, z);
  zm__optim_step(&t->opt, f->theta, w->grad);
  return total;
}

/* Mean loss over rows of X (the listed ones, or all n), no dropout. */
static double eval_loss(trainer *t, const double *X, const zm_target *y, const size_t *rows,
                        size_t n)
{
  ffn *f = t->net;
  size_t k = f->sizes[f->layers];
  double total = 0.0, *z = t->ws.A[f->layers];
  for (size_t at = 0; at < n; at += t->ws.cap) {
    size_t nb = n - at < t->ws.cap ? n - at : t->ws.cap;
    gather(t->ws.A[0], X, f->sizes[0], rows ? rows + at : NULL, at, nb);
    forward(f, &t->ws, nb, 0.0, NULL);
    for (size_t r = 0; r < nb; r++)
      total += output_loss(z + r * k, k, t->task, y, rows ? rows[at + r] : at + r);
  }
  return total / (double)n;
}

static void workspace_free(workspace *w)
{
  for (size_t l = 0; l < ZM_FFN_MAX_HIDDEN + 2; l++) {
    free(w->A[l]);
    free(w->H[l]);
    free(w->mask[l]);
  }
  free(w->dz);
  free(w->da);
  free(w->grad);
  free(w->best);
  memset(w, 0, sizeof *w);
}

static int workspace_init(workspace *w, const ffn *f, size_t cap, int dropout)
{
  size_t widest = 0;
  int ok = 1;
  memset(w, 0, sizeof *w);
  w->cap = cap;
  for (size_t l = 0; l <= f->layers; l++) {
    size_t n = cap * f->sizes[l];
    widest = f->sizes[l] > widest ? f->sizes[l] : widest;
    ok = ok && (w->A[l] = zm__zalloc(n));
    if (dropout && l > 0 && l < f->layers)
      ok = ok && (w->H[l] = zm__zalloc(n)) && (w->mask[l] = zm__zalloc(n));
  }
  ok = ok && (w->dz = zm__zalloc(cap * widest)) && (w->da = zm__zalloc(cap * widest));
  ok = ok && (w->grad = zm__zalloc(f->n_params)) && (w->best = zm__zalloc(f->n_params));
  if (!ok)
    workspace_free(w);
  return ok ? 0 : ZM_ENOMEM;
}

/* The rows to train on and the held-out ones, from the seeded rng. */
typedef struct split {
  size_t *perm;       /* train rows first (n_train), then held-out rows */
  size_t n_train, n_held;
} split;

static int make_split(split *s, zm_rng *rng, size_t n, double fraction)
{
  int rc = zm_rng_permutation(&s->perm, rng, n);
  s->n_held = rc ? 0 : (size_t)floor(fraction * (double)n);
  if (!rc && fraction > 0 && (s->n_held == 0 || s->n_held >= n))
    rc = zm_error_set(ZM_EINVALID, "val_fraction %g of %zu rows leaves an empty set",
                      fraction, n);
  s->n_train = n - s->n_held;
  return rc;
}

typedef struct data {
  const double *X;
  size_t n;
  const zm_target *y;
  const size_t *rows; /* the rows of X to use, or NULL for all n */
} data;

/* The epoch loop; `val` holds the validation rows when there are any. */
static int fit(trainer *t, const data *train, split *s, const data *val, zm_history *h)
{
  const zm_ffn_params *p = t->p;
  double best = INFINITY;
  size_t since_best = 0, nparams = t->net->n_params;
  for (size_t e = 0; e < p->epochs; e++) {
    double total = 0.0;
    zm_rng_shuffle(&t->rng, s->perm, s->n_train);
    for (size_t at = 0; at < s->n_train; at += p->batch_size) {
      size_t nb = s->n_train - at < p->batch_size ? s->n_train - at : p->batch_size;
      total += train_batch(t, train->X, train->y, s->perm + at, nb);
    }
    double loss = total / (double)s->n_train, watch = loss;
    if (!isfinite(loss))
      return zm_error_set(ZM_EINVALID, "training diverged at epoch %zu (loss %g); lower lr",
                          e + 1, loss);
    h->train_loss[e] = loss;
    if (val->X)
      watch = h->val_loss[e] = eval_loss(t, val->X, val->y, val->rows, val->n);
    h->epochs = e + 1;
    if (p->patience == 0) {
      h->best_epoch = e;
      continue;
    }
    /* scikit-learn's rule: an epoch counts as progress only when it beats
     * the best loss by more than tol; the best weights are kept */
    since_best = watch < best - p->tol ? 0 : since_best + 1;
    if (watch < best) {
      best = watch;
      h->best_epoch = e;
      memcpy(t->ws.best, t->net->theta, nparams * sizeof(double));
    }
    if (since_best >= p->patience) {
      h->converged = 1;
      break;
    }
  }
  if (p->patience > 0)
    memcpy(t->net->theta, t->ws.best, nparams * sizeof(double));
  return 0;
}

static int check_params(const zm_ffn_params *p)
{
  if (p->n_hidden > ZM_FFN_MAX_HIDDEN)
    return zm_error_set(ZM_EINVALID, "at most %d hidden layers, got %zu", ZM_FFN_MAX_HIDDEN,
                        p->n_hidden);
  for (size_t l = 0; l < p->n_hidden; l++)
    if (p->hidden[l] == 0 || p->hidden[l] > 100000)
      return zm_error_set(ZM_EINVALID, "hidden layer %zu must have 1..100000 units, got %zu",
                          l + 1, p->hidden[l]);
  if (p->batch_size == 0 || p->epochs == 0 || !(p->lr > 0) || !(p->l2 >= 0) || !(p->tol >= 0))
    return zm_error_set(ZM_EINVALID, "expected batch_size >= 1, epochs >= 1, lr > 0, "
                        "l2 >= 0, tol >= 0; got %zu, %zu, %g, %g, %g", p->batch_size, p->epochs,
                        p->lr, p->l2, p->tol);
  if (!(p->dropout >= 0 && p->dropout < 1) || !(p->val_fraction >= 0 && p->val_fraction < 1))
    return zm_error_set(ZM_EINVALID, "dropout and val_fraction must be in [0, 1), got %g, %g",
                        p->dropout, p->val_fraction);
  if ((unsigned)p->activation > ZM_ACT_SIGMOID)
    return zm_error_set(ZM_EINVALID, "unknown activation %d", (int)p->activation);
  if (p->X_val && (!p->y_val || p->n_val == 0))
    return zm_error_set(ZM_EINVALID, "X_val needs n_val > 0 and y_val");
  return 0;
}

static int validate(const double *X, size_t n, size_t d, const zm_target *y,
                    const zm_ffn_params *p)
{
  int rc = check_params(p);
  if (!rc) rc = zm__check_data(X, n, d, y);
  if (!rc && p->X_val) {
    rc = zm__check_data(p->X_val, p->n_val, d, p->y_val);
    if (!rc && (!p->y_val->labels != !y->labels || p->y_val->k != y->k))
      rc = zm_error_set(ZM_EINVALID, "y_val is not the same kind of target as y");
    if (rc)
      zm_error_wrap(rc, "validation set");
  }
  return rc;
}

static int run(zm_model *m, const double *X, size_t n, const zm_target *y,
               const zm_ffn_params *p, zm_history *h)
{
  trainer t = {m->impl, m->task, p, {0}, {{0}, 0, 0}, {0}};
  split s = {0};
  data train = {X, n, y, NULL}, val = {p->X_val, p->n_val, p->y_val, NULL};
  zm_rng_seed(&t.rng, p->seed);
  ffn_init(t.net, &t.rng);
  int rc = make_split(&s, &t.rng, n, p->X_val ? 0.0 : p->val_fraction);
  if (!rc && !p->X_val && s.n_held > 0)
    val = (data){X, s.n_held, y, s.perm + s.n_train};
  size_t cap = p->batch_size > PREDICT_CHUNK ? p->batch_size : PREDICT_CHUNK;
  if (!rc) rc = workspace_init(&t.ws, t.net, cap, p->dropout > 0);
  if (!rc) rc = zm__optim_init(&t.opt, p->optimizer, p->lr, t.net->n_params);
  if (!rc) {
    h->converged = p->patience > 0 ? 0 : -1;
    h->train_loss = zm__zalloc(p->epochs);
    h->val_loss = val.X ? zm__zalloc(p->epochs) : NULL;
    rc = h->train_loss && (!val.X || h->val_loss) ? 0 : ZM_ENOMEM;
  }
  if (!rc) rc = fit(&t, &train, &s, &val, h);
  zm__optim_free(&t.opt);
  workspace_free(&t.ws);
  free(s.perm);
  return rc;
}

int zm_ffn_train(zm_model **out, const double *X, size_t n, size_t d,
                 const zm_target *y, const zm_ffn_params *params, zm_history *history)
{
  zm_ffn_params p;
  zm_history h = {0};
  zm_model *m = NULL;
  *out = NULL;
  if (params) p = *params; else zm_ffn_params_default(&p);
  int rc = validate(X, n, d, y, &p);
  if (rc)
    return zm_error_wrap(rc, "feed-forward network");
  if ((rc = zm__blas_single_thread()))
    return rc;
  rc = zm__model_new(&m, ZM_MODEL_FFN, zm_target_task(y), d, y->k);
  if (!rc) rc = ffn_attach(m, p.hidden, p.n_hidden, p.activation);
  if (!rc) rc = run(m, X, n, y, &p, &h);
  if (rc) {
    zm_history_free(&h);
    zm_model_free(m);
    return zm_error_wrap(rc, "feed-forward network");
  }
  if (history)
    *history = h;
  else
    zm_history_free(&h);
  *out = m;
  return 0;
}

static int ffn_predict(double *out, const zm_model *m, const double *X, size_t n)
{
  const ffn *f = m->impl;
  workspace w;
  size_t k = zm_model_outputs(m), units = f->sizes[f->layers];
  int rc = zm__blas_single_thread();
  if (rc)
    return rc;
  rc = workspace_init(&w, f, n < PREDICT_CHUNK ? (n ? n : 1) : PREDICT_CHUNK, 0);
  if (rc)
    return rc;
  for (size_t at = 0; at < n; at += w.cap) {
    size_t nb = n - at < w.cap ? n - at : w.cap;
    gather(w.A[0], X, f->sizes[0], NULL, at, nb);
    forward(f, &w, nb, 0.0, NULL);
    for (size_t r = 0; r < nb; r++) {
      double *z = w.A[f->layers] + r * units, *o = out + (at + r) * k;
      if (m->task == ZM_TASK_BINARY) {
        o[1] = zm__sigmoid(z[0]);
        o[0] = 1.0 - o[1];
      } else {
        memcpy(o, z, units * sizeof *o);
        if (m->task == ZM_TASK_MULTICLASS)
          zm__softmax_rows(o, 1, k);
      }
    }
  }
  workspace_free(&w);
  return 0;
}

/* Payload: u32 activation, u64 hidden-layer count, u64 size of each hidden
 * layer, u64 parameter count, then the parameters as f64. */
static int ffn_save(zm_buf *out, const zm_model *m)
{
  const ffn *f = m->impl;
  int rc = zm__put_u32(out, (uint32_t)f->act);
  if (!rc) rc = zm__put_u64(out, f->layers - 1);
  for (size_t l = 1; rc == 0 && l < f->layers; l++)
    rc = zm__put_u64(out, f->sizes[l]);
  if (!rc) rc = zm__put_u64(out, f->n_params);
  if (!rc) rc = zm__put_f64s(out, f->theta, f->n_params);
  return rc;
}

static int ffn_load(zm_model *m, zm_reader *r)
{
  uint32_t act;
  size_t n_hidden, hidden[ZM_FFN_MAX_HIDDEN], n_params;
  int rc = zm__get_u32(&act, r);
  if (!rc) rc = zm__get_size(&n_hidden, r, ZM_FFN_MAX_HIDDEN);
  for (size_t l = 0; rc == 0 && l < n_hidden; l++)
    rc = zm__get_size(&hidden[l], r, 100000);
  if (!rc) rc = zm__get_size(&n_params, r, (r->len - r->pos) / 8);
  if (!rc && act > ZM_ACT_SIGMOID)
    rc = zm_error_set(ZM_EINVALID, "corrupt network: activation %u", act);
  if (!rc) rc = ffn_attach(m, hidden, n_hidden, (zm_activation)act);
  if (!rc && ((ffn *)m->impl)->n_params != n_params)
    rc = zm_error_set(ZM_EINVALID, "corrupt network: %zu parameters for its layers", n_params);
  if (!rc) rc = zm__get_f64s(((ffn *)m->impl)->theta, r, n_params);
  return rc;
}

const zm_model_ops zm_ffn_ops = {ffn_predict, ffn_save, ffn_load, ffn_release};
