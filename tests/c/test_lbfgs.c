/* L-BFGS (src/ml/lbfgs.c) on problems with known minimisers, and the
 * logistic regression it fits by default (src/ml/linear.c), checked against
 * a gradient computed here, independently of the trainer. */
#include "check.h"
#include "core/error.h"
#include "core/rng.h"
#include "ml/lbfgs.h"
#include "ml/linear.h"

#include <math.h>

enum { QN = 6 };

/* f(x) = 1/2 x'Ax - b'x with A symmetric positive definite. */
typedef struct quadratic {
  double A[QN * QN], b[QN];
  size_t calls;
} quadratic;

static double quad_value(void *ctx, const double *x, double *g)
{
  quadratic *q = ctx;
  double f = 0.0;
  q->calls++;
  for (size_t i = 0; i < QN; i++) {
    g[i] = -q->b[i];
    for (size_t j = 0; j < QN; j++)
      g[i] += q->A[i * QN + j] * x[j];
    f += 0.5 * x[i] * (g[i] - q->b[i]);
  }
  return f;
}

/* A = M'M + I for a fixed M and b = A x* for a chosen x*: x* is the minimiser. */
static void test_quadratic(void)
{
  quadratic q = {{0}, {0}, 0};
  double M[QN * QN], want[QN] = {1, -2, 3, 0.5, -0.25, 10}, x[QN] = {0};
  for (size_t i = 0; i < QN * QN; i++)
    M[i] = sin((double)(i + 1)) * 3.0;
  for (size_t i = 0; i < QN; i++)
    for (size_t j = 0; j < QN; j++) {
      double s = i == j ? 1.0 : 0.0;
      for (size_t k = 0; k < QN; k++)
        s += M[k * QN + i] * M[k * QN + j];
      q.A[i * QN + j] = s;
    }
  for (size_t i = 0; i < QN; i++)
    for (size_t j = 0; j < QN; j++)
      q.b[i] += q.A[i * QN + j] * want[j];
  zm_lbfgs_params p;
  zm_lbfgs_params_default(&p);
  p.tol = 1e-9;
  p.max_iter = 200;
  zm_lbfgs_result r;
  CHECK_EQ_INT(zm_lbfgs_minimize(&r, x, QN, quad_value, &q, &p), 0);
  printf("  quadratic: %zu iterations, %zu evaluations, max |g| %.3g\n", r.iterations, q.calls,
         r.grad_max);
  /* |f| is in the thousands: f stops decreasing (relative 64 eps) a little
   * before the gradient reaches 1e-9, which is convergence too */
  CHECK(r.converged == 1);
  CHECK(r.grad_max <= 1e-5);
  for (size_t i = 0; i < QN; i++)
    CHECK(fabs(x[i] - want[i]) < 1e-7);

  /* at the minimiser already: no iteration, converged */
  CHECK_EQ_INT(zm_lbfgs_minimize(&r, want, QN, quad_value, &q, &p), 0);
  CHECK(r.converged == 1 && r.iterations == 0);

  /* too few iterations: stops, not converged, f still lowered */
  double y[QN] = {0}, g0[QN];
  double f0 = quad_value(&q, y, g0);
  p.max_iter = 2;
  CHECK_EQ_INT(zm_lbfgs_minimize(&r, y, QN, quad_value, &q, &p), 0);
  CHECK(r.converged == 0 && r.iterations == 2 && r.f < f0);
}

/* Rosenbrock's valley: not convex, a curved narrow valley to (1, 1). */
static double rosenbrock(void *ctx, const double *x, double *g)
{
  (void)ctx;
  double a = 1.0 - x[0], b = x[1] - x[0] * x[0];
  g[0] = -2.0 * a - 400.0 * x[0] * b;
  g[1] = 200.0 * b;
  return a * a + 100.0 * b * b;
}

static void test_rosenbrock(void)
{
  double x[2] = {-1.2, 1.0};
  zm_lbfgs_params p;
  zm_lbfgs_params_default(&p);
  p.tol = 1e-8;
  p.max_iter = 500;
  zm_lbfgs_result r;
  CHECK_EQ_INT(zm_lbfgs_minimize(&r, x, 2, rosenbrock, NULL, &p), 0);
  printf("  rosenbrock: %zu iterations, x = (%.8f, %.8f)\n", r.iterations, x[0], x[1]);
  CHECK(r.converged == 1);
  CHECK(fabs(x[0] - 1.0) < 1e-5 && fabs(x[1] - 1.0) < 1e-5);
}

static double not_finite(void *ctx, const double *x, double *g)
{
  (void)ctx;
  g[0] = x[0];
  return NAN;
}

static void test_bad_start(void)
{
  double x[1] = {0};
  zm_lbfgs_result r;
  CHECK_EQ_INT(zm_lbfgs_minimize(&r, x, 1, not_finite, NULL, NULL), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "the objective is not finite at the starting point");
}

static double sigmoid(double v) { return 1.0 / (1.0 + exp(-v)); }

/* Two rows, x = -1 (class 0) and x = 1 (class 1), penalty l2 = 1 on the
 * summed loss: by symmetry b = 0, and the mean objective's gradient in w,
 * -sigmoid(-w) + w / 2, vanishes at the root found here by bisection. */
static void test_logistic_known_optimum(void)
{
  double X[2] = {-1.0, 1.0};
  int labels[2] = {0, 1};
  zm_target y = {labels, NULL, 2};
  zm_model *m = NULL;
  zm_history h = {0};
  CHECK_EQ_INT(zm_logreg_train(&m, X, 2, 1, &y, NULL, &h), 0);
  const double *w, *b;
  size_t outputs;
  CHECK_EQ_INT(zm_linear_coef(&w, &b, &outputs, m), 0);
  double lo = 0.0, hi = 10.0;
  for (int i = 0; i < 200; i++) {
    double mid = 0.5 * (lo + hi);
    if (-sigmoid(-mid) + mid / 2.0 < 0) lo = mid; else hi = mid;
  }
  printf("  logistic 2 rows: w %.8f (optimum %.8f), b %.2g, %zu iterations\n", w[0], lo, b[0],
         h.epochs);
  CHECK_EQ_INT(outputs, 1);
  CHECK(fabs(w[0] - lo) < 1e-4);
  CHECK(fabs(b[0]) < 1e-6);
  CHECK(h.converged == 1 && h.epochs >= 1);
  zm_history_free(&h);
  zm_model_free(m);
}

/* Three overlapping gaussian classes in 3 features. */
static void blobs(double *X, int *labels, size_t n, size_t d)
{
  zm_rng rng;
  zm_rng_seed(&rng, 7);
  for (size_t i = 0; i < n; i++) {
    labels[i] = (int)(i % 3);
    for (size_t j = 0; j < d; j++)
      X[i * d + j] = zm_rng_normal(&rng) + (j == (size_t)labels[i] ? 1.5 : 0.0);
  }
}

/* The gradient of the mean log loss + l2 / (2n) |W|^2 of a multinomial
 * model, computed here from the definition. */
static double softmax_grad_max(const double *X, const int *labels, size_t n, size_t d, size_t k,
                               const double *w, const double *b, double l2)
{
  double G[3 * 4 + 4] = {0}, z[4];
  for (size_t i = 0; i < n; i++) {
    double top = -INFINITY, sum = 0.0;
    for (size_t c = 0; c < k; c++) {
      z[c] = b[c];
      for (size_t j = 0; j < d; j++)
        z[c] += X[i * d + j] * w[j * k + c];
      top = fmax(top, z[c]);
    }
    for (size_t c = 0; c < k; c++)
      sum += (z[c] = exp(z[c] - top));
    for (size_t c = 0; c < k; c++) {
      double r = z[c] / sum - (labels[i] == (int)c ? 1.0 : 0.0);
      for (size_t j = 0; j < d; j++)
        G[j * k + c] += r * X[i * d + j] / (double)n;
      G[d * k + c] += r / (double)n;
    }
  }
  double worst = 0.0;
  for (size_t j = 0; j < d * k; j++)
    worst = fmax(worst, fabs(G[j] + l2 / (double)n * w[j]));
  for (size_t c = 0; c < k; c++)
    worst = fmax(worst, fabs(G[d * k + c]));
  return worst;
}

static void test_logistic_multinomial(void)
{
  enum { N = 300, D = 3, K = 3 };
  double X[N * D];
  int labels[N];
  blobs(X, labels, N, D);
  zm_target y = {labels, NULL, K};
  zm_logreg_params p;
  zm_logreg_params_default(&p);
  CHECK(p.solver == ZM_LOGREG_LBFGS && p.l2 == 1.0 && p.max_iter == 100 && p.tol == 1e-4);
  for (int run = 0; run < 2; run++) {
    p.tol = run ? 1e-8 : 1e-4;
    zm_model *m = NULL;
    zm_history h = {0};
    CHECK_EQ_INT(zm_logreg_train(&m, X, N, D, &y, &p, &h), 0);
    const double *w, *b;
    size_t outputs;
    CHECK_EQ_INT(zm_linear_coef(&w, &b, &outputs, m), 0);
    double g = softmax_grad_max(X, labels, N, D, K, w, b, p.l2);
    printf("  logistic 3 classes, tol %g: %zu iterations, max |gradient| %.3g\n", p.tol,
           h.epochs, g);
    CHECK(h.converged == 1);
    CHECK(g <= p.tol);
    CHECK(h.epochs < 100);
    /* the recorded objective goes down */
    for (size_t i = 1; i < h.epochs; i++)
      CHECK(h.train_loss[i] <= h.train_loss[i - 1]);
    zm_history_free(&h);
    zm_model_free(m);
  }
  /* max_iter reached: a model, marked not converged */
  p.tol = 1e-4;
  p.max_iter = 2;
  zm_model *m = NULL;
  zm_history h = {0};
  CHECK_EQ_INT(zm_logreg_train(&m, X, N, D, &y, &p, &h), 0);
  CHECK(h.converged == 0 && h.epochs == 2);
  zm_history_free(&h);
  zm_model_free(m);
  /* bad settings */
  p.max_iter = 0;
  CHECK_EQ_INT(zm_logreg_train(&m, X, N, D, &y, &p, NULL), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(),
               "logistic regression: expected max_iter >= 1, tol >= 0, l2 >= 0; got 0, 0.0001, 1");
}

int main(void)
{
  RUN(test_quadratic);
  RUN(test_rosenbrock);
  RUN(test_bad_start);
  RUN(test_logistic_known_optimum);
  RUN(test_logistic_multinomial);
  return CHECK_DONE();
}
