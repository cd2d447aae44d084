/* L-BFGS (Nocedal and Wright, "Numerical Optimization", algorithms 7.4 and
 * 7.5) with a backtracking Armijo line search. The two-loop recursion keeps
 * the last `memory` steps s and gradient changes y in rings; a pair whose
 * curvature s'y is not clearly positive is skipped, so the implied inverse
 * Hessian stays positive definite and every direction is one of descent. */
#include "ml/lbfgs.h"
#include "core/error.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_BACKTRACKS = 50 }; /* scipy's maxls, as scikit-learn passes it */

static const double ARMIJO = 1e-4;            /* sufficient decrease c1 */
static const double FTOL = 64.0 * DBL_EPSILON; /* scikit-learn's relative f tolerance */

typedef struct rings {
  size_t n, m;
  double *s, *y;      /* m vectors of n each */
  double *rho, *alpha; /* m each */
  size_t count, head; /* pairs held; slot the next pair goes to */
} rings;

void zm_lbfgs_params_default(zm_lbfgs_params *p)
{
  memset(p, 0, sizeof *p);
  p->memory = 10;
  p->max_iter = 100;
  p->tol = 1e-4;
}

static double dot(const double *a, const double *b, size_t n)
{
  double s = 0.0;
  for (size_t i = 0; i < n; i++)
    s += a[i] * b[i];
  return s;
}

static double max_abs(const double *v, size_t n)
{
  double m = 0.0;
  for (size_t i = 0; i < n; i++)
    m = fmax(m, fabs(v[i]));
  return m;
}

/* The slot of the i-th newest pair (0 = newest). */
static size_t slot(const rings *r, size_t i)
{
  return (r->head + r->m - 1 - i) % r->m;
}

/* d = -H g by the two-loop recursion, H0 = (s'y / y'y) I of the newest pair. */
static void direction(double *d, const double *g, rings *r)
{
  size_t n = r->n;
  for (size_t i = 0; i < n; i++)
    d[i] = -g[i];
  for (size_t i = 0; i < r->count; i++) {
    size_t k = slot(r, i);
    r->alpha[k] = r->rho[k] * dot(r->s + k * n, d, n);
    for (size_t j = 0; j < n; j++)
      d[j] -= r->alpha[k] * r->y[k * n + j];
  }
  if (r->count) {
    size_t k = slot(r, 0);
    double gamma = 1.0 / (r->rho[k] * dot(r->y + k * n, r->y + k * n, n));
    for (size_t j = 0; j < n; j++)
      d[j] *= gamma;
  }
  for (size_t i = r->count; i-- > 0;) {
    size_t k = slot(r, i);
    double beta = r->rho[k] * dot(r->y + k * n, d, n);
    for (size_t j = 0; j < n; j++)
      d[j] += (r->alpha[k] - beta) * r->s[k * n + j];
  }
}

/* Remember s = x1 - x0 and y = g1 - g0 unless the curvature is too weak. */
static void remember(rings *r, const double *x0, const double *x1, const double *g0,
                     const double *g1)
{
  size_t n = r->n, k = r->head;
  double *s = r->s + k * n, *y = r->y + k * n;
  for (size_t j = 0; j < n; j++) {
    s[j] = x1[j] - x0[j];
    y[j] = g1[j] - g0[j];
  }
  double sy = dot(s, y, n), yy = dot(y, y, n);
  if (!(sy > DBL_EPSILON * yy) || !(yy > 0))
    return;
  r->rho[k] = 1.0 / sy;
  r->head = (k + 1) % r->m;
  if (r->count < r->m)
    r->count++;
}

static void rings_free(rings *r)
{
  free(r->s);
  free(r->y);
  free(r->rho);
  free(r->alpha);
}

static int rings_init(rings *r, size_t n, size_t m)
{
  memset(r, 0, sizeof *r);
  r->n = n;
  r->m = m ? m : 1;
  r->s = calloc(r->m * n, sizeof *r->s);
  r->y = calloc(r->m * n, sizeof *r->y);
  r->rho = calloc(r->m, sizeof *r->rho);
  r->alpha = calloc(r->m, sizeof *r->alpha);
  if (r->s && r->y && r->rho && r->alpha)
    return 0;
  rings_free(r);
  return zm_error_set(ZM_ENOMEM, "out of memory for L-BFGS (%zu parameters)", n);
}

/* The work vectors of one minimisation. */
typedef struct work {
  double *g, *d, *x1, *g1;
} work;

/* Backtrack from step t along d until f decreases enough (Armijo); leaves
 * the accepted point in w->x1, w->g1 and returns its f, or NAN when no
 * step of the allowed ones decreases f. */
static double line_search(work *w, const double *x, double f, double gd, double t, size_t n,
                          zm_lbfgs_fn fn, void *ctx)
{
  for (int k = 0; k < MAX_BACKTRACKS; k++, t *= 0.5) {
    for (size_t j = 0; j < n; j++)
      w->x1[j] = x[j] + t * w->d[j];
    double f1 = fn(ctx, w->x1, w->g1);
    if (isfinite(f1) && f1 <= f + ARMIJO * t * gd)
      return f1;
  }
  return NAN;
}

/* The iterations from x (f, w->g already evaluated there). */
static void iterate(zm_lbfgs_result *out, double *x, double f, size_t n, zm_lbfgs_fn fn,
                    void *ctx, const zm_lbfgs_params *p, rings *r, work *w)
{
  out->grad_max = max_abs(w->g, n);
  out->converged = out->grad_max <= p->tol;
  for (size_t it = 1; !out->converged && it <= p->max_iter; it++) {
    direction(w->d, w->g, r);
    double gd = dot(w->g, w->d, n);
    if (!(gd < 0)) { /* lost descent (round-off): restart from the gradient */
      r->count = 0;
      direction(w->d, w->g, r);
      gd = dot(w->g, w->d, n);
    }
    /* the first step has no curvature yet: move at most a unit distance */
    double t = r->count ? 1.0 : fmin(1.0, 1.0 / sqrt(-gd));
    double f1 = line_search(w, x, f, gd, t, n, fn, ctx);
    if (isnan(f1))
      break;
    remember(r, x, w->x1, w->g, w->g1);
    double decrease = (f - f1) / fmax(fmax(fabs(f), fabs(f1)), 1.0);
    memcpy(x, w->x1, n * sizeof *x);
    memcpy(w->g, w->g1, n * sizeof *x);
    f = f1;
    out->iterations = it;
    out->grad_max = max_abs(w->g, n);
    out->converged = out->grad_max <= p->tol || decrease <= FTOL;
    if (p->iterate)
      p->iterate(ctx, it, f);
  }
  out->f = f;
}

int zm_lbfgs_minimize(zm_lbfgs_result *out, double *x, size_t n, zm_lbfgs_fn fn, void *ctx,
                      const zm_lbfgs_params *params)
{
  zm_lbfgs_params p;
  rings r;
  if (params) p = *params; else zm_lbfgs_params_default(&p);
  memset(out, 0, sizeof *out);
  int rc = rings_init(&r, n, p.memory);
  if (rc)
    return rc;
  work w = {calloc(n + 1, sizeof(double)), calloc(n + 1, sizeof(double)),
            calloc(n + 1, sizeof(double)), calloc(n + 1, sizeof(double))};
  if (!w.g || !w.d || !w.x1 || !w.g1)
    rc = zm_error_set(ZM_ENOMEM, "out of memory for L-BFGS (%zu parameters)", n);
  double f = rc ? NAN : fn(ctx, x, w.g);
  if (!rc && (!isfinite(f) || !isfinite(max_abs(w.g, n))))
    rc = zm_error_set(ZM_EINVALID, "the objective is not finite at the starting point");
  if (!rc)
    iterate(out, x, f, n, fn, ctx, &p, &r, &w);
  free(w.g);
  free(w.d);
  free(w.x1);
  free(w.g1);
  rings_free(&r);
  return rc;
}
