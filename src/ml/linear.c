/* Logistic and linear regression. Both keep one flat parameter vector
 * theta = [W (d x m, row-major), b (m)] so one optimizer serves all. The
 * training loops are plain C with a fixed summation order: with d in the
 * tens, BLAS calls per mini-batch would cost more than they save. */
#include "ml/linear.h"
#include "core/bigmem.h"
#include "ml/internal.h"
#include "ml/lbfgs.h"
#include "core/error.h"
#include "core/workers.h"
#include "core/rng.h"

#include "ml/blas_calls.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct linear {
  size_t m;      /* outputs of the linear map */
  double *theta; /* d * m weights, then m biases */
} linear;

typedef enum loss_kind { LOSS_SIGMOID, LOSS_SOFTMAX, LOSS_SQUARED } loss_kind;

/* What one SGD run needs besides the data. */
typedef struct sgd_setup {
  loss_kind loss;
  int want_loss; /* only a history needs the loss itself */
  size_t epochs, batch_size;
  double lr, l2;
  zm_optimizer optimizer;
  uint64_t seed;
  size_t threads; /* the rows are dealt on these; the epochs run on one */
} sgd_setup;

void zm_logreg_params_default(zm_logreg_params *p)
{
  memset(p, 0, sizeof *p);
  p->solver = ZM_LOGREG_LBFGS;
  p->l2 = 1.0;
  p->max_iter = 100;
  p->tol = 1e-4;
  p->epochs = 20;
  p->batch_size = 32;
  p->lr = 0.01;
  p->optimizer = ZM_OPT_ADAM;
  p->threads = 1;
}

void zm_linreg_params_default(zm_linreg_params *p)
{
  memset(p, 0, sizeof *p);
  p->solver = ZM_LINREG_EXACT;
  p->l2 = 1e-8;
  p->epochs = 50;
  p->batch_size = 32;
  p->lr = 0.01;
  p->optimizer = ZM_OPT_ADAM;
}

static void linear_release(void *impl)
{
  linear *l = impl;
  if (l)
    free(l->theta);
  free(l);
}

static int linear_attach(zm_model *m, size_t outputs)
{
  linear *l = calloc(1, sizeof *l);
  if (!l)
    return zm_error_set(ZM_ENOMEM, "out of memory for a linear model");
  l->m = outputs;
  l->theta = zm__zalloc(m->d * outputs + outputs);
  if (!l->theta) {
    free(l);
    return ZM_ENOMEM;
  }
  m->impl = l;
  return 0;
}

/* Two doubles in one SSE2 register (baseline x86-64; other targets split
 * it): each lane does exactly the scalar operations, in the same order, so
 * the results are the same bits as plain C, just about twice as fast. */
typedef double v2d __attribute__((vector_size(16)));

static inline v2d load2(const double *p)
{
  v2d v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* Four partial sums in a fixed order (lanes s0 s1 | s2 s3): fast, and the
 * same on every run. */
static double dot(const double *a, const double *b, size_t n)
{
  v2d lo = {0, 0}, hi = {0, 0};
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    lo += load2(a + j) * load2(b + j);
    hi += load2(a + j + 2) * load2(b + j + 2);
  }
  double s0 = lo[0];
  for (; j < n; j++)
    s0 += a[j] * b[j];
  return (s0 + lo[1]) + (hi[0] + hi[1]);
}

/* z[c] = b[c] + x . W[:, c] for one row. */
static void linear_row(double *z, const double *theta, size_t d, size_t m, const double *x)
{
  const double *b = theta + d * m;
  if (m == 1) {
    z[0] = b[0] + dot(x, theta, d);
    return;
  }
  memcpy(z, b, m * sizeof *z);
  for (size_t j = 0; j < d; j++)
    for (size_t c = 0; c < m; c++)
      z[c] += x[j] * theta[j * m + c];
}

/* Turn the linear outputs of one row into the loss gradient g (in place)
 * and return the row's loss. A sigmoid row's loss is max(v, 0) - t v +
 * log(1 + e): the log term is left in *odds as a factor (1 + e, at most 2),
 * so a batch takes one log instead of a log1p per row. */
static double row_loss(double *z, size_t m, const sgd_setup *s, const zm_target *y, size_t i,
                       double *odds)
{
  loss_kind loss = s->loss;
  if (loss == LOSS_SQUARED) {
    double r = z[0] - y->values[i];
    z[0] = r;
    return r * r;
  }
  if (loss == LOSS_SIGMOID) {
    /* exp(-|v|) serves both the sigmoid (the same bits as zm__sigmoid) and
     * the loss's log(1 + exp(-|v|)) */
    double t = y->labels[i] == 1 ? 1.0 : 0.0, v = z[0], e = exp(-fabs(v)), l = 0.0;
    if (s->want_loss) {
      l = (v > 0 ? v : 0.0) - t * v;
      *odds *= 1.0 + e;
      if (*odds > 0x1p500) { /* big batches: keep the product finite */
        l += log(*odds);
        *odds = 1.0;
      }
    }
    z[0] = (v >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e)) - t;
    return l;
  }
  zm__softmax_rows(z, 1, m);
  int c = y->labels[i];
  double l = -log(fmax(z[c], 1e-300));
  z[c] -= 1.0;
  return l;
}

/* Add one row's gradient (g over outputs) into grad. */
static void accumulate(double *grad, const double *g, size_t d, size_t m, const double *x)
{
  if (m == 1) {
    v2d g2 = {g[0], g[0]};
    size_t j = 0;
    for (; j + 2 <= d; j += 2) {
      v2d s = load2(grad + j) + g2 * load2(x + j);
      memcpy(grad + j, &s, sizeof s);
    }
    for (; j < d; j++)
      grad[j] += g[0] * x[j];
  } else {
    for (size_t j = 0; j < d; j++)
      for (size_t c = 0; c < m; c++)
        grad[j * m + c] += g[c] * x[j];
  }
  for (size_t c = 0; c < m; c++)
    grad[d * m + c] += g[c];
}

/* Shuffled rows are scattered over memory: ask for a row's cache lines a
 * few rows before it is used, so the loads overlap with the arithmetic. */
enum { PREFETCH = 8 };

static void prefetch_row(const float *x, size_t d)
{
  for (size_t j = 0; j < d; j += 16)
    __builtin_prefetch(x + j);
  __builtin_prefetch(x + d - 1);
}

/* An epoch row (float32) as the float64 the kernels take. */
static void widen(double *to, const float *x, size_t d)
{
  for (size_t j = 0; j < d; j++)
    to[j] = x[j];
}

/* dot(x[k], w, n) for four rows at once: each row's sums in dot's order
 * (the same bits), the four chains interleaved so they overlap in the
 * pipeline instead of each waiting on its own adds. */
static void dot4(double out[4], const double *const x[4], const double *w, size_t n)
{
  v2d lo[4] = {{0, 0}, {0, 0}, {0, 0}, {0, 0}}, hi[4] = {{0, 0}, {0, 0}, {0, 0}, {0, 0}};
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    v2d wl = load2(w + j), wh = load2(w + j + 2);
    for (int k = 0; k < 4; k++) {
      lo[k] += load2(x[k] + j) * wl;
      hi[k] += load2(x[k] + j + 2) * wh;
    }
  }
  for (int k = 0; k < 4; k++) {
    double s0 = lo[k][0];
    for (size_t i = j; i < n; i++)
      s0 += x[k][i] * w[i];
    out[k] = (s0 + lo[k][1]) + (hi[k][0] + hi[k][1]);
  }
}

/* accumulate() of four one-output rows in row order: every grad[j] gets
 * the same adds in the same order, with one load and store for four. */
static void accumulate4(double *grad, const double g[4], const double *const x[4], size_t d)
{
  v2d g0 = {g[0], g[0]}, g1 = {g[1], g[1]}, g2 = {g[2], g[2]}, g3 = {g[3], g[3]};
  size_t j = 0;
  for (; j + 2 <= d; j += 2) {
    v2d s = load2(grad + j);
    s += g0 * load2(x[0] + j);
    s += g1 * load2(x[1] + j);
    s += g2 * load2(x[2] + j);
    s += g3 * load2(x[3] + j);
    memcpy(grad + j, &s, sizeof s);
  }
  for (; j < d; j++)
    for (int k = 0; k < 4; k++)
      grad[j] += g[k] * x[k][j];
  for (int k = 0; k < 4; k++)
    grad[d] += g[k];
}

/* sgd_batch's rows for one output, four at a time (widened into xs, 4 d
 * doubles); returns how many it took (a multiple of four) and adds their
 * losses to *total in row order. */
static size_t batch_rows4(double *grad, double *total, double *odds, const double *theta,
                          const zm_epoch *ep, const size_t *pos, size_t nb, const sgd_setup *s,
                          double *xs)
{
  size_t d = ep->d, r = 0;
  const float *base = zm__epoch_base(ep);
  const double *x[4] = {xs, xs + d, xs + 2 * d, xs + 3 * d};
  for (; r + 4 <= nb; r += 4) {
    for (size_t k = r + PREFETCH; k < r + PREFETCH + 4 && k < nb; k++)
      prefetch_row(base + pos[k] * d, d);
    for (size_t k = 0; k < 4; k++)
      widen(xs + k * d, base + pos[r + k] * d, d);
    double z[4];
    dot4(z, x, theta, d);
    for (int k = 0; k < 4; k++) {
      z[k] = theta[d] + z[k];
      *total += row_loss(&z[k], 1, s, zm__epoch_target(ep), pos[r + (size_t)k], odds);
    }
    accumulate4(grad, z, x, d);
  }
  return r;
}

/* One mini-batch over the rows pos[0..nb) of the epoch's order: gradient of
 * the mean loss + l2 on the weights, then a step. Returns the summed loss.
 * xs: room for 4 d doubles (rows widened from the epoch's float32). */
static double sgd_batch(linear *l, zm_optim *opt, double *grad, double *z, double *xs,
                        const zm_epoch *ep, const size_t *pos, size_t nb, const sgd_setup *s)
{
  size_t m = l->m, d = ep->d, np = d * m + m;
  const float *base = zm__epoch_base(ep);
  double total = 0.0, odds = 1.0;
  memset(grad, 0, np * sizeof *grad);
  size_t r = m == 1 ? batch_rows4(grad, &total, &odds, l->theta, ep, pos, nb, s, xs) : 0;
  for (; r < nb; r++) {
    if (r + PREFETCH < nb)
      prefetch_row(base + pos[r + PREFETCH] * d, d);
    const double *x = xs;
    widen(xs, base + pos[r] * d, d);
    linear_row(z, l->theta, d, m, x);
    total += row_loss(z, m, s, zm__epoch_target(ep), pos[r], &odds);
    accumulate(grad, z, d, m, x);
  }
  if (odds != 1.0)
    total += log(odds);
  double inv = 1.0 / (double)nb;
  for (size_t j = 0; j < np; j++)
    grad[j] *= inv;
  for (size_t j = 0; j < d * m; j++)
    grad[j] += s->l2 * l->theta[j];
  zm__optim_step(opt, l->theta, grad);
  return total;
}

static int history_alloc(zm_history *h, size_t epochs, int with_val)
{
  memset(h, 0, sizeof *h);
  h->converged = -1;
  h->train_loss = zm__zalloc(epochs);
  if (with_val)
    h->val_loss = zm__zalloc(epochs);
  if (!h->train_loss || (with_val && !h->val_loss)) {
    zm_history_free(h);
    return ZM_ENOMEM;
  }
  return 0;
}

static int sgd_fit(linear *l, const zm_rows *rows, const zm_target *y, const sgd_setup *s,
                   zm_history *history)
{
  size_t n = rows->n, np = rows->d * l->m + l->m;
  double *grad = zm__zalloc(np), *z = zm__zalloc(l->m), *xs = zm__zalloc(4 * rows->d);
  zm_optim opt = {0};
  zm_epoch ep = {0};
  zm_rng rng;
  zm_rng_seed(&rng, s->seed);
  int rc = grad && z && xs ? 0 : ZM_ENOMEM;
  if (!rc) rc = zm__optim_init(&opt, s->optimizer, s->lr, np);
  if (!rc) rc = zm__epoch_init(&ep, rows, y, &rng, s->threads);
  if (!rc && history) rc = history_alloc(history, s->epochs, 0);
  for (size_t e = 0; rc == 0 && e < s->epochs; e++) {
    double total = 0.0;
    zm__epoch_next(&ep, &rng);
    for (size_t at = 0; at < n; at += s->batch_size) {
      size_t nb = n - at < s->batch_size ? n - at : s->batch_size;
      zm__epoch_warm(&ep, at + nb);
      total += sgd_batch(l, &opt, grad, z, xs, &ep, ep.order + at, nb, s);
    }
    if (history) {
      history->train_loss[e] = total / (double)n;
      history->epochs = e + 1;
      history->best_epoch = e;
    }
  }
  zm__optim_free(&opt);
  zm__epoch_free(&ep);
  free(grad);
  free(z);
  free(xs);
  return rc;
}

/* Parameter mixing (linear.h): blocks of at least MIX_BLOCK_ROWS rows, at
 * most MIX_MAX_BLOCKS (it divides evenly among 1, 2, 4, 8 or 16 threads). */
enum { MIX_BLOCK_ROWS = 32768, MIX_MAX_BLOCKS = 16 };

size_t zm_logreg_mix_blocks(size_t n)
{
  size_t b = n / MIX_BLOCK_ROWS;
  return b < 1 ? 1 : b > MIX_MAX_BLOCKS ? MIX_MAX_BLOCKS : b;
}

/* One block's epoch: its own copy of the weights and optimizer state. */
typedef struct mix_block {
  zm_epoch view; /* the block's buckets of the dealt rows */
  linear l;
  zm_optim opt;
  double *grad, *z, *xs;
  uint64_t seed; /* this epoch's visit order */
  double total;  /* this epoch's summed loss */
} mix_block;

typedef struct mix_run {
  const linear *l; /* the weights every block starts the epoch from */
  const zm_optim *opt;
  const sgd_setup *s;
  mix_block *blocks;
  size_t np;
} mix_run;

static void optim_copy(zm_optim *to, const zm_optim *from)
{
  to->b1t = from->b1t;
  to->b2t = from->b2t;
  if (from->m) {
    memcpy(to->m, from->m, from->n * sizeof *to->m);
    memcpy(to->v, from->v, from->n * sizeof *to->v);
  }
}

static int block_epoch(void *arg, size_t k)
{
  mix_run *r = arg;
  mix_block *b = &r->blocks[k];
  size_t n = b->view.n, batch = r->s->batch_size;
  zm_rng rng;
  zm_rng_seed(&rng, b->seed);
  memcpy(b->l.theta, r->l->theta, r->np * sizeof *b->l.theta);
  optim_copy(&b->opt, r->opt);
  zm__epoch_next(&b->view, &rng);
  b->total = 0.0;
  for (size_t at = 0; at < n; at += batch) {
    size_t nb = n - at < batch ? n - at : batch;
    zm__epoch_warm(&b->view, at + nb);
    b->total += sgd_batch(&b->l, &b->opt, b->grad, b->z, b->xs, &b->view, b->view.order + at, nb,
                          r->s);
  }
  return 0;
}

/* to[j] = the mean of from[0..blocks)[j], summed in block order. */
static void mean_into(double *to, const double *const *from, size_t blocks, size_t n)
{
  for (size_t j = 0; j < n; j++) {
    double sum = 0.0;
    for (size_t k = 0; k < blocks; k++)
      sum += from[k][j];
    to[j] = sum / (double)blocks;
  }
}

/* The epoch's start becomes the blocks' average; Adam's bias correction
 * follows block 0 (the blocks' step counts differ by a few at most). */
static void mix_average(linear *l, zm_optim *opt, mix_block *blocks, size_t nblocks,
                        const double **tmp, size_t np)
{
  for (size_t k = 0; k < nblocks; k++)
    tmp[k] = blocks[k].l.theta;
  mean_into(l->theta, tmp, nblocks, np);
  if (opt->m) {
    for (size_t k = 0; k < nblocks; k++)
      tmp[k] = blocks[k].opt.m;
    mean_into(opt->m, tmp, nblocks, np);
    for (size_t k = 0; k < nblocks; k++)
      tmp[k] = blocks[k].opt.v;
    mean_into(opt->v, tmp, nblocks, np);
  }
  opt->b1t = blocks[0].opt.b1t;
  opt->b2t = blocks[0].opt.b2t;
}

static int mix_blocks_init(mix_block *blocks, size_t nblocks, const zm_epoch *ep,
                           const sgd_setup *s, size_t m, size_t np)
{
  int rc = 0;
  for (size_t k = 0; rc == 0 && k < nblocks; k++) {
    mix_block *b = &blocks[k];
    b->l.m = m;
    b->l.theta = zm__zalloc(np);
    b->grad = zm__zalloc(np);
    b->z = zm__zalloc(m);
    b->xs = zm__zalloc(4 * ep->d);
    rc = b->l.theta && b->grad && b->z && b->xs ? 0 : ZM_ENOMEM;
    if (!rc) rc = zm__optim_init(&b->opt, s->optimizer, s->lr, np);
    /* block k: buckets [k B / K, (k + 1) B / K) */
    if (!rc) rc = zm__epoch_view(&b->view, ep, k * ep->buckets / nblocks,
                                 (k + 1) * ep->buckets / nblocks);
  }
  return rc;
}

static void mix_blocks_free(mix_block *blocks, size_t nblocks)
{
  for (size_t k = 0; blocks && k < nblocks; k++) {
    free(blocks[k].l.theta);
    free(blocks[k].grad);
    free(blocks[k].z);
    free(blocks[k].xs);
    zm__optim_free(&blocks[k].opt);
    zm__epoch_view_free(&blocks[k].view);
  }
  free(blocks);
}

static int mix_fit(linear *l, const zm_rows *rows, const zm_target *y, const sgd_setup *s,
                   size_t threads, zm_history *history)
{
  size_t n = rows->n, np = rows->d * l->m + l->m, nblocks = zm_logreg_mix_blocks(n);
  mix_block *blocks = calloc(nblocks, sizeof *blocks);
  const double **tmp = calloc(nblocks, sizeof *tmp);
  zm_optim opt = {0};
  zm_epoch ep = {0};
  zm_rng rng;
  zm_rng_seed(&rng, s->seed);
  int rc = blocks && tmp ? 0 : zm_error_set(ZM_ENOMEM, "out of memory for %zu blocks", nblocks);
  if (!rc) rc = zm__optim_init(&opt, s->optimizer, s->lr, np);
  if (!rc) rc = zm__epoch_init_chunked(&ep, rows, y, &rng, nblocks, threads);
  if (!rc) rc = mix_blocks_init(blocks, nblocks, &ep, s, l->m, np);
  if (!rc && history) rc = history_alloc(history, s->epochs, 0);
  mix_run run = {l, &opt, s, blocks, np};
  for (size_t e = 0; rc == 0 && e < s->epochs; e++) {
    for (size_t k = 0; k < nblocks; k++)
      blocks[k].seed = zm_rng_next(&rng);
    rc = zm_jobs_run(nblocks, threads, block_epoch, &run, NULL);
    if (rc)
      break;
    mix_average(l, &opt, blocks, nblocks, tmp, np);
    double total = 0.0;
    for (size_t k = 0; k < nblocks; k++)
      total += blocks[k].total;
    if (history) {
      history->train_loss[e] = total / (double)n;
      history->epochs = e + 1;
      history->best_epoch = e;
    }
  }
  mix_blocks_free(blocks, nblocks);
  free(tmp);
  zm__optim_free(&opt);
  zm__epoch_free(&ep);
  return rc;
}

static int check_sgd(size_t epochs, size_t batch, double lr, double l2)
{
  if (batch == 0)
    return zm_error_set(ZM_EINVALID, "batch_size must be at least 1, got 0");
  if (!(lr > 0) || !(l2 >= 0) || epochs == 0)
    return zm_error_set(ZM_EINVALID, "expected lr > 0, l2 >= 0, epochs >= 1; got %g, %g, %zu",
                        lr, l2, epochs);
  return 0;
}

/* The full-batch objective of logistic regression: the rows (all of them,
 * row-major) and the penalty, for zm_lbfgs_minimize. */
typedef struct logreg_objective {
  const double *X;
  size_t n, d, m;
  const zm_target *y;
  sgd_setup s;     /* the loss kind; want_loss set */
  double l2;       /* the penalty on the mean loss: l2 / n of the caller's */
  double *z;       /* m outputs of one row */
  zm_history *h;   /* or NULL */
} logreg_objective;

/* Mean loss + l2/2 |W|^2 and its gradient, in a fixed order of sums. */
static double logreg_value(void *ctx, const double *theta, double *grad)
{
  logreg_objective *o = ctx;
  size_t d = o->d, m = o->m, np = d * m + m;
  double total = 0.0, odds = 1.0, penalty = 0.0;
  memset(grad, 0, np * sizeof *grad);
  for (size_t i = 0; i < o->n; i++) {
    const double *x = o->X + i * d;
    linear_row(o->z, theta, d, m, x);
    total += row_loss(o->z, m, &o->s, o->y, i, &odds);
    accumulate(grad, o->z, d, m, x);
  }
  if (odds != 1.0)
    total += log(odds);
  double inv = 1.0 / (double)o->n;
  for (size_t j = 0; j < np; j++)
    grad[j] *= inv;
  for (size_t j = 0; j < d * m; j++) {
    grad[j] += o->l2 * theta[j];
    penalty += theta[j] * theta[j];
  }
  return total * inv + 0.5 * o->l2 * penalty;
}

static void logreg_iterate(void *ctx, size_t iteration, double f)
{
  logreg_objective *o = ctx;
  if (o->h) {
    o->h->train_loss[iteration - 1] = f;
    o->h->epochs = iteration;
    o->h->best_epoch = iteration - 1;
  }
}

/* All rows of a source in one row-major matrix (X itself when it is whole),
 * checked finite; *owned is what the caller frees. */
static int rows_matrix(const double **X, double **owned, const zm_rows *rows)
{
  size_t n = rows->n, d = rows->d;
  *owned = NULL;
  if (rows->X) {
    *X = rows->X;
    return zm__check_finite(rows->X, n, d, 0);
  }
  double *M = zm_big_malloc(n * d * sizeof *M + 1);
  if (!M)
    return zm_error_set(ZM_ENOMEM, "out of memory for a %zu x %zu matrix", n, d);
  enum { CHUNK = 4096 };
  int rc = 0;
  for (size_t at = 0; rc == 0 && at < n; at += CHUNK)
    rc = rows->fill(rows->ctx, M + at * d, at, n - at < CHUNK ? n - at : CHUNK);
  if (rc == 0)
    rc = zm__check_finite(M, n, d, 0);
  if (rc) {
    free(M);
    return rc;
  }
  *X = *owned = M;
  return 0;
}

static int lbfgs_fit(linear *l, const zm_rows *rows, const zm_target *y, const zm_logreg_params *p,
                     loss_kind loss, zm_history *history)
{
  const double *X = NULL;
  double *owned = NULL;
  size_t n = rows->n, d = rows->d;
  logreg_objective o = {NULL, n, d, l->m, y, {loss, 1, 0, 0, 0, 0, ZM_OPT_SGD, 0, 1},
                        p->l2 / (double)n, zm__zalloc(l->m), history};
  zm_lbfgs_params lp;
  zm_lbfgs_params_default(&lp);
  lp.max_iter = p->max_iter;
  lp.tol = p->tol;
  lp.iterate = logreg_iterate;
  zm_lbfgs_result res;
  int rc = o.z ? rows_matrix(&X, &owned, rows) : ZM_ENOMEM;
  if (!rc && history) rc = history_alloc(history, p->max_iter, 0);
  o.X = X;
  if (!rc) rc = zm_lbfgs_minimize(&res, l->theta, d * l->m + l->m, logreg_value, &o, &lp);
  if (!rc && history)
    history->converged = res.converged;
  free(owned);
  free(o.z);
  return rc;
}

/* Logistic regression on checked parameters; rows from X or a source. */
static int logreg_fit(zm_model **out, const zm_rows *rows, const zm_target *y,
                      const zm_logreg_params *p, zm_history *history)
{
  zm_model *m = NULL;
  zm_task task = zm_target_task(y);
  loss_kind loss = task == ZM_TASK_BINARY ? LOSS_SIGMOID : LOSS_SOFTMAX;
  /* the penalty is on the summed loss; SGD steps on batch means */
  sgd_setup s = {loss, history != NULL, p->epochs, p->batch_size, p->lr,
                 p->l2 / (double)rows->n, p->optimizer, p->seed, p->threads ? p->threads : 1};
  int rc = zm__model_new(&m, ZM_MODEL_LOGREG, task, rows->d, y->k);
  if (!rc) rc = linear_attach(m, task == ZM_TASK_BINARY ? 1 : y->k);
  if (!rc && p->solver == ZM_LOGREG_LBFGS)
    rc = lbfgs_fit(m->impl, rows, y, p, loss, history);
  else if (!rc && p->mix)
    rc = mix_fit(m->impl, rows, y, &s, p->threads ? p->threads : 1, history);
  else if (!rc)
    rc = sgd_fit(m->impl, rows, y, &s, history);
  if (rc) {
    if (history)
      zm_history_free(history);
    zm_model_free(m);
    return zm_error_wrap(rc, "logistic regression");
  }
  *out = m;
  return 0;
}

static int check_logreg(const zm_target *y, const zm_logreg_params *p)
{
  int rc = 0;
  if (!y->labels)
    rc = zm_error_set(ZM_EINVALID, "logistic regression needs class labels, got values");
  if (!rc && (unsigned)p->solver > ZM_LOGREG_SGD)
    rc = zm_error_set(ZM_EINVALID, "unknown solver %d", (int)p->solver);
  if (!rc && p->solver == ZM_LOGREG_SGD)
    rc = check_sgd(p->epochs, p->batch_size, p->lr, p->l2);
  if (!rc && p->solver == ZM_LOGREG_LBFGS && (p->max_iter == 0 || !(p->tol >= 0) || !(p->l2 >= 0)))
    rc = zm_error_set(ZM_EINVALID, "expected max_iter >= 1, tol >= 0, l2 >= 0; got %zu, %g, %g",
                      p->max_iter, p->tol, p->l2);
  return rc ? zm_error_wrap(rc, "logistic regression") : 0;
}

int zm_logreg_train(zm_model **out, const double *X, size_t n, size_t d,
                    const zm_target *y, const zm_logreg_params *params,
                    zm_history *history)
{
  zm_logreg_params p;
  *out = NULL;
  if (params) p = *params; else zm_logreg_params_default(&p);
  int rc = zm__check_data(X, n, d, y);
  if (rc)
    return zm_error_wrap(rc, "logistic regression");
  if ((rc = check_logreg(y, &p)))
    return rc;
  zm_rows rows = {n, d, X, NULL, NULL, NULL};
  return logreg_fit(out, &rows, y, &p, history);
}

int zm_logreg_train_rows(zm_model **out, const zm_rows *rows, const zm_target *y,
                         const zm_logreg_params *params, zm_history *history)
{
  zm_logreg_params p;
  *out = NULL;
  if (params) p = *params; else zm_logreg_params_default(&p);
  int rc = 0;
  if (rows->n == 0 || rows->d == 0 || (!rows->X && !rows->fill))
    rc = zm_error_set(ZM_EINVALID, "expected a non-empty matrix, got %zu x %zu", rows->n,
                      rows->d);
  if (!rc) rc = zm_target_check(y, rows->n);
  if (rc)
    return zm_error_wrap(rc, "logistic regression");
  if ((rc = check_logreg(y, &p)))
    return rc;
  return logreg_fit(out, rows, y, &p, history);
}

/* Solve A x = b in place (b becomes x) for symmetric positive definite
 * A (d x d, upper triangle used; destroyed) by Cholesky: A = R'R. */
static int cholesky_solve(double *A, double *b, size_t d)
{
  for (size_t i = 0; i < d; i++) {
    for (size_t k = 0; k < i; k++)
      for (size_t j = i; j < d; j++)
        A[i * d + j] -= A[k * d + i] * A[k * d + j];
    if (!(A[i * d + i] > 0))
      return zm_error_set(ZM_EINVALID, "the features are linearly dependent (column %zu); "
                          "raise l2", i + 1);
    double r = sqrt(A[i * d + i]);
    for (size_t j = i; j < d; j++)
      A[i * d + j] /= r;
  }
  for (size_t i = 0; i < d; i++) { /* R' u = b */
    for (size_t k = 0; k < i; k++)
      b[i] -= A[k * d + i] * b[k];
    b[i] /= A[i * d + i];
  }
  for (size_t i = d; i-- > 0;) { /* R x = u */
    for (size_t k = i + 1; k < d; k++)
      b[i] -= A[i * d + k] * b[k];
    b[i] /= A[i * d + i];
  }
  return 0;
}

static void column_means(double *mu, const double *X, size_t n, size_t d)
{
  memset(mu, 0, d * sizeof *mu);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < d; j++)
      mu[j] += X[i * d + j];
  for (size_t j = 0; j < d; j++)
    mu[j] /= (double)n;
}

/* X'X and X'y of the centred data, a block of rows at a time so no centred
 * copy of X is needed; single-threaded BLAS keeps the sums' order fixed. */
static void centred_gram(double *G, double *Xty, double *blk, const double *X,
                         const double *yv, size_t n, size_t d, const double *mu, double ym)
{
  enum { BLOCK = 256 };
  for (size_t at = 0; at < n; at += BLOCK) {
    size_t nb = n - at < BLOCK ? n - at : BLOCK;
    double yc[BLOCK];
    for (size_t i = 0; i < nb; i++) {
      for (size_t j = 0; j < d; j++)
        blk[i * d + j] = X[(at + i) * d + j] - mu[j];
      yc[i] = yv[at + i] - ym;
    }
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)nb, 1.0, blk, (int)d,
                1.0, G, (int)d);
    cblas_dgemv(CblasRowMajor, CblasTrans, (int)nb, (int)d, 1.0, blk, (int)d, yc, 1, 1.0,
                Xty, 1);
  }
}

static int exact_fit(linear *l, const double *X, size_t n, size_t d, const double *yv,
                     double l2)
{
  double *G = zm__zalloc(d * d), *mu = zm__zalloc(d), *blk = zm__zalloc(256 * d);
  int rc = G && mu && blk ? 0 : ZM_ENOMEM;
  double ym = 0.0;
  if (!rc) {
    for (size_t i = 0; i < n; i++)
      ym += yv[i];
    ym /= (double)n;
    column_means(mu, X, n, d);
    rc = zm__blas_single_thread();
  }
  if (!rc) {
    centred_gram(G, l->theta, blk, X, yv, n, d, mu, ym);
    for (size_t j = 0; j < d; j++)
      G[j * d + j] += l2 * (double)n;
    rc = cholesky_solve(G, l->theta, d);
    l->theta[d] = ym - dot(mu, l->theta, d);
  }
  free(G);
  free(mu);
  free(blk);
  return rc;
}

int zm_linreg_train(zm_model **out, const double *X, size_t n, size_t d,
                    const zm_target *y, const zm_linreg_params *params,
                    zm_history *history)
{
  zm_linreg_params p;
  zm_model *m = NULL;
  *out = NULL;
  if (params) p = *params; else zm_linreg_params_default(&p);
  int rc = zm__check_data(X, n, d, y);
  if (!rc && y->labels)
    rc = zm_error_set(ZM_EINVALID, "linear regression needs real values, got class labels");
  if (!rc && p.solver == ZM_LINREG_SGD)
    rc = check_sgd(p.epochs, p.batch_size, p.lr, p.l2);
  if (!rc && !(p.l2 >= 0))
    rc = zm_error_set(ZM_EINVALID, "expected l2 >= 0, got %g", p.l2);
  if (rc)
    return zm_error_wrap(rc, "linear regression");
  sgd_setup s = {LOSS_SQUARED, 1, p.epochs, p.batch_size, p.lr, p.l2, p.optimizer, p.seed,
                 (size_t)zm_workers_get(2)};
  rc = zm__model_new(&m, ZM_MODEL_LINREG, ZM_TASK_REGRESSION, d, 0);
  if (!rc) rc = linear_attach(m, 1);
  zm_rows rows = {n, d, X, NULL, NULL, NULL};
  if (!rc && p.solver == ZM_LINREG_SGD)
    rc = sgd_fit(m->impl, &rows, y, &s, history);
  else if (!rc)
    rc = exact_fit(m->impl, X, n, d, y->values, p.l2);
  if (rc) {
    zm_model_free(m);
    return zm_error_wrap(rc, "linear regression");
  }
  *out = m;
  return 0;
}

int zm_linear_coef(const double **w, const double **b, size_t *m, const zm_model *model)
{
  if (model->kind != ZM_MODEL_LOGREG && model->kind != ZM_MODEL_LINREG)
    return zm_error_set(ZM_EINVALID, "coefficients exist for linear models only");
  const linear *l = model->impl;
  *w = l->theta;
  *b = l->theta + model->d * l->m;
  *m = l->m;
  return 0;
}

static int linear_predict(double *out, const zm_model *model, const double *X, size_t n)
{
  const linear *l = model->impl;
  size_t d = model->d, m = l->m, k = zm_model_outputs(model);
  for (size_t i = 0; i < n; i++) {
    double *o = out + i * k;
    if (model->task == ZM_TASK_BINARY) {
      double z;
      linear_row(&z, l->theta, d, 1, X + i * d);
      o[1] = zm__sigmoid(z);
      o[0] = 1.0 - o[1];
    } else {
      linear_row(o, l->theta, d, m, X + i * d);
      if (model->task == ZM_TASK_MULTICLASS)
        zm__softmax_rows(o, 1, m);
    }
  }
  return 0;
}

/* Payload: u64 m, then (d * m + m) f64 (weights row-major, then biases). */
static int linear_save(zm_buf *out, const zm_model *model)
{
  const linear *l = model->impl;
  int rc = zm__put_u64(out, l->m);
  return rc ? rc : zm__put_f64s(out, l->theta, model->d * l->m + l->m);
}

static int linear_load(zm_model *model, zm_reader *r)
{
  size_t m;
  int rc = zm__get_size(&m, r, (size_t)1 << 20);
  if (rc)
    return rc;
  size_t want = model->task == ZM_TASK_MULTICLASS ? model->k : 1;
  if (m != want)
    return zm_error_set(ZM_EINVALID, "corrupt linear model: %zu outputs, expected %zu", m, want);
  if (model->d > (r->len - r->pos) / 8)
    return zm_error_set(ZM_EINVALID, "model bytes end early");
  rc = linear_attach(model, m);
  return rc ? rc : zm__get_f64s(((linear *)model->impl)->theta, r, model->d * m + m);
}

const zm_model_ops zm_logreg_ops = {linear_predict, linear_save, linear_load, linear_release};
const zm_model_ops zm_linreg_ops = {linear_predict, linear_save, linear_load, linear_release};
