/* Quality, determinism and format tests for src/ml: every model trained with
 * fixed seeds on iris and synthetic data. The numbers are printed so a change
 * in quality shows in the test log. */
#include "check.h"
#include "core/error.h"
#include "core/rng.h"
#include "ml/ffn.h"
#include "ml/linear.h"
#include "ml/metrics.h"
#include "ml/xgb.h"

#include <math.h>
#include <time.h>

typedef struct dataset {
  double *X;
  int *labels;
  double *values;
  size_t n, d, k;
} dataset;

static void dataset_free(dataset *s)
{
  free(s->X);
  free(s->labels);
  free(s->values);
}

static int species_id(const char *name)
{
  static const char *names[] = {"setosa", "versicolor", "virginica"};
  for (int i = 0; i < 3; i++)
    if (strncmp(name, names[i], strlen(names[i])) == 0)
      return i;
  return -1;
}

/* tests/data/iris.csv: four numbers and a species name per line. */
static int load_iris(dataset *s)
{
  char path[4096], line[256];
  const char *src = getenv("ZM_SOURCE_DIR");
  snprintf(path, sizeof path, "%s/tests/data/iris.csv", src ? src : ".");
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  *s = (dataset){malloc(150 * 4 * sizeof(double)), malloc(150 * sizeof(int)), NULL, 0, 4, 3};
  if (!fgets(line, sizeof line, f)) /* header */
    s->n = 0;
  while (s->n < 150 && fgets(line, sizeof line, f)) {
    char *p = line;
    for (size_t j = 0; j < 4; j++) {
      s->X[s->n * 4 + j] = strtod(p, &p);
      p++; /* the comma */
    }
    s->labels[s->n++] = species_id(p);
  }
  fclose(f);
  return s->n == 150 ? 0 : -1;
}

/* Rows `idx` of s into a new dataset. */
static dataset take(const dataset *s, const size_t *idx, size_t n)
{
  dataset t = {malloc(n * s->d * sizeof(double)), NULL, NULL, n, s->d, s->k};
  if (s->labels)
    t.labels = malloc(n * sizeof(int));
  if (s->values)
    t.values = malloc(n * sizeof(double));
  for (size_t i = 0; i < n; i++) {
    memcpy(t.X + i * s->d, s->X + idx[i] * s->d, s->d * sizeof(double));
    if (s->labels)
      t.labels[i] = s->labels[idx[i]];
    if (s->values)
      t.values[i] = s->values[idx[i]];
  }
  return t;
}

/* z-score both sets with the training set's means and deviations. */
static void zscore(dataset *train, dataset *test)
{
  for (size_t j = 0; j < train->d; j++) {
    double m = 0, v = 0;
    for (size_t i = 0; i < train->n; i++)
      m += train->X[i * train->d + j];
    m /= (double)train->n;
    for (size_t i = 0; i < train->n; i++)
      v += pow(train->X[i * train->d + j] - m, 2);
    double sd = sqrt(v / (double)train->n);
    sd = sd > 0 ? sd : 1;
    for (size_t i = 0; i < train->n; i++)
      train->X[i * train->d + j] = (train->X[i * train->d + j] - m) / sd;
    for (size_t i = 0; i < test->n; i++)
      test->X[i * test->d + j] = (test->X[i * test->d + j] - m) / sd;
  }
}

/* 70/30 split of iris with a seeded permutation, z-scored. */
static int iris_split(dataset *train, dataset *test)
{
  dataset all;
  if (load_iris(&all) != 0) {
    fprintf(stderr, "cannot read tests/data/iris.csv (set ZM_SOURCE_DIR)\n");
    return -1;
  }
  zm_rng r;
  size_t *perm;
  zm_rng_seed(&r, 2024);
  zm_rng_permutation(&perm, &r, all.n);
  *train = take(&all, perm, 105);
  *test = take(&all, perm + 105, 45);
  zscore(train, test);
  free(perm);
  dataset_free(&all);
  return 0;
}

static double test_accuracy(const zm_model *m, const dataset *test)
{
  if (!m) {
    fprintf(stderr, "no model: %s\n", zm_error_last());
    return -1;
  }
  int *pred = malloc(test->n * sizeof(int));
  double acc = -1;
  if (zm_model_predict_class(pred, m, test->X, test->n) == 0)
    acc = zm_metric_accuracy(test->labels, pred, test->n);
  free(pred);
  return acc;
}

static void test_iris_models(void)
{
  dataset tr, te;
  if (iris_split(&tr, &te) != 0) {
    CHECK(0);
    return;
  }
  zm_target y = {tr.labels, NULL, 3};
  zm_model *m = NULL;
  zm_history h = {0};

  zm_ffn_params fp;
  zm_ffn_params_default(&fp);
  fp.hidden[0] = 16;
  fp.epochs = 100;
  fp.lr = 0.01;
  fp.seed = 1;
  CHECK_EQ_INT(zm_ffn_train(&m, tr.X, tr.n, tr.d, &y, &fp, &h), 0);
  double acc = test_accuracy(m, &te);
  printf("  iris feed-forward {16} relu adam lr 0.01, 100 epochs: accuracy %.4f, loss %.4f -> %.4f\n",
         acc, h.train_loss[0], h.train_loss[h.epochs - 1]);
  CHECK(acc >= 0.93);
  CHECK_EQ_INT(h.epochs, 100);
  CHECK(h.train_loss[h.epochs - 1] < h.train_loss[0]);
  zm_history_free(&h);
  zm_model_free(m);

  zm_logreg_params lp;
  zm_logreg_params_default(&lp);
  CHECK_EQ_INT(zm_logreg_train(&m, tr.X, tr.n, tr.d, &y, &lp, &h), 0);
  acc = test_accuracy(m, &te);
  printf("  iris logistic (softmax) defaults, L-BFGS l2 1: accuracy %.4f, %zu iterations\n", acc,
         h.epochs);
  CHECK(acc >= 0.93);
  CHECK(h.converged == 1);
  zm_history_free(&h);
  zm_model_free(m);

  lp.solver = ZM_LOGREG_SGD;
  lp.l2 = 0;
  lp.epochs = 200;
  lp.lr = 0.05;
  lp.seed = 1;
  CHECK_EQ_INT(zm_logreg_train(&m, tr.X, tr.n, tr.d, &y, &lp, NULL), 0);
  acc = test_accuracy(m, &te);
  printf("  iris logistic (softmax) sgd adam lr 0.05, 200 epochs: accuracy %.4f\n", acc);
  CHECK(acc >= 0.93);
  zm_model_free(m);

  zm_xgb_params xp;
  zm_xgb_params_default(&xp);
  xp.num_boost_round = 50;
  xp.seed = 1;
  CHECK_EQ_INT(zm_xgb_train(&m, tr.X, tr.n, tr.d, &y, &xp), 0);
  acc = test_accuracy(m, &te);
  printf("  iris xgboost multi:softprob 50 rounds: accuracy %.4f\n", acc);
  CHECK(acc >= 0.93);
  zm_model_free(m);
  dataset_free(&tr);
  dataset_free(&te);
}

/* n rows of d standard normals; label 1 when w.x + 0.3 > 0, rows within
 * `margin` of the boundary dropped so the classes are separable. */
static dataset separable(size_t n, size_t d, double margin, uint64_t seed)
{
  dataset s = {malloc(n * d * sizeof(double)), malloc(n * sizeof(int)), NULL, 0, d, 2};
  zm_rng r;
  zm_rng_seed(&r, seed);
  while (s.n < n) {
    double *x = s.X + s.n * d, z = 0.3;
    for (size_t j = 0; j < d; j++) {
      x[j] = zm_rng_normal(&r);
      z += x[j] * ((double)j - 2.0) / 2.0;
    }
    if (fabs(z) < margin)
      continue;
    s.labels[s.n++] = z > 0;
  }
  return s;
}

static void test_separable_logistic(void)
{
  dataset s = separable(3000, 6, 0.1, 11);
  zm_target y = {s.labels, NULL, 2};
  zm_model *m = NULL;
  zm_logreg_params p;
  zm_logreg_params_default(&p);
  p.seed = 5;
  CHECK_EQ_INT(zm_logreg_train(&m, s.X, 2000, s.d, &y, &p, NULL), 0);
  dataset test = {s.X + 2000 * s.d, s.labels + 2000, NULL, 1000, s.d, 2};
  double acc = test_accuracy(m, &test);
  double *proba = malloc(1000 * 2 * sizeof(double)), *score = malloc(1000 * sizeof(double));
  double auc = 0;
  zm_model_predict(proba, m, test.X, 1000);
  for (size_t i = 0; i < 1000; i++)
    score[i] = proba[2 * i + 1];
  zm_metric_roc_auc(&auc, test.labels, score, 1000);
  printf("  separable logistic (sigmoid): accuracy %.4f, roc auc %.4f\n", acc, auc);
  CHECK(acc >= 0.99);
  CHECK(auc >= 0.999);
  free(proba);
  free(score);
  zm_model_free(m);
  dataset_free(&s);
}

/* Sequential SGD on a small matrix (one shuffled order an epoch), plain
 * steps, batches of 4 (four rows at a time inside) and of 7 (four, then
 * three one by one), against the same algorithm written out here, on the
 * rows rounded to float32 as the trainer's epoch copy holds them: the
 * predicted probabilities agree to rounding. */
static void test_logreg_sgd_reference(void)
{
  enum { N = 203, D = 5, EPOCHS = 3 };
  dataset s = separable(N, D, 0.2, 12);
  zm_target y = {s.labels, NULL, 2};
  size_t batches[] = {4, 7};
  for (int t = 0; t < 2; t++) {
    zm_logreg_params lp;
    zm_logreg_params_default(&lp);
    lp.solver = ZM_LOGREG_SGD;
    lp.optimizer = ZM_OPT_SGD;
    lp.lr = 0.1;
    lp.l2 = 0;
    lp.epochs = EPOCHS;
    lp.batch_size = batches[t];
    lp.seed = 21;
    zm_model *m = NULL;
    CHECK_EQ_INT(zm_logreg_train(&m, s.X, N, D, &y, &lp, NULL), 0);
    double w[D + 1] = {0}, g[D + 1];
    size_t order[N];
    zm_rng rng;
    zm_rng_seed(&rng, lp.seed);
    for (size_t i = 0; i < N; i++)
      order[i] = i;
    for (int e = 0; e < EPOCHS; e++) {
      zm_rng_shuffle(&rng, order, N);
      for (size_t at = 0; at < N; at += lp.batch_size) {
        size_t nb = N - at < lp.batch_size ? N - at : lp.batch_size;
        memset(g, 0, sizeof g);
        for (size_t r = at; r < at + nb; r++) {
          double x[D];
          for (size_t j = 0; j < D; j++)
            x[j] = (float)s.X[order[r] * D + j];
          double z = w[D];
          for (size_t j = 0; j < D; j++)
            z += x[j] * w[j];
          double err = 1.0 / (1.0 + exp(-z)) - (s.labels[order[r]] == 1);
          for (size_t j = 0; j < D; j++)
            g[j] += err * x[j];
          g[D] += err;
        }
        for (size_t j = 0; j <= D; j++)
          w[j] -= lp.lr * g[j] / (double)nb;
      }
    }
    double proba[2 * N], worst = 0;
    zm_model_predict(proba, m, s.X, N);
    for (size_t i = 0; i < N; i++) {
      double z = w[D];
      for (size_t j = 0; j < D; j++)
        z += s.X[i * D + j] * w[j];
      worst = fmax(worst, fabs(proba[2 * i + 1] - 1.0 / (1.0 + exp(-z))));
    }
    CHECK(worst < 1e-12);
    zm_model_free(m);
  }
  dataset_free(&s);
}

/* y = 1.5 + x . beta + noise */
static dataset regression(size_t n, size_t d, double noise, uint64_t seed)
{
  dataset s = {malloc(n * d * sizeof(double)), NULL, malloc(n * sizeof(double)), n, d, 0};
  zm_rng r;
  zm_rng_seed(&r, seed);
  for (size_t i = 0; i < n; i++) {
    double z = 1.5;
    for (size_t j = 0; j < d; j++) {
      s.X[i * d + j] = zm_rng_normal(&r) + (double)j;
      z += s.X[i * d + j] * (0.5 * (double)j - 1.0);
    }
    s.values[i] = z + noise * zm_rng_normal(&r);
  }
  return s;
}

static double r2_of(const zm_model *m, const dataset *s)
{
  double *pred = malloc(s->n * sizeof(double));
  zm_model_predict(pred, m, s->X, s->n);
  double r2 = zm_metric_r2(s->values, pred, s->n);
  free(pred);
  return r2;
}

static void test_linear_regression(void)
{
  dataset s = regression(5000, 5, 0.5, 3);
  zm_target y = {NULL, s.values, 0};
  zm_model *exact = NULL, *sgd = NULL;
  zm_linreg_params p;
  zm_linreg_params_default(&p);
  CHECK_EQ_INT(zm_linreg_train(&exact, s.X, s.n, s.d, &y, &p, NULL), 0);
  const double *w, *b;
  size_t mm;
  CHECK_EQ_INT(zm_linear_coef(&w, &b, &mm, exact), 0);
  CHECK_EQ_INT(mm, 1);
  CHECK(fabs(b[0] - 1.5) < 0.2);
  for (size_t j = 0; j < 5; j++)
    CHECK(fabs(w[j] - (0.5 * (double)j - 1.0)) < 0.05);
  p.solver = ZM_LINREG_SGD;
  p.epochs = 30;
  p.seed = 9;
  zm_history h = {0};
  CHECK_EQ_INT(zm_linreg_train(&sgd, s.X, s.n, s.d, &y, &p, &h), 0);
  double r2e = r2_of(exact, &s), r2s = r2_of(sgd, &s);
  printf("  linear regression: exact R2 %.5f, sgd (adam, 30 epochs) R2 %.5f, final mse %.4f\n",
         r2e, r2s, h.train_loss[h.epochs - 1]);
  CHECK(fabs(r2e - r2s) <= 0.02);
  CHECK(r2e > 0.8);
  zm_history_free(&h);
  zm_model_free(exact);
  zm_model_free(sgd);
  dataset_free(&s);
}

static int save(zm_buf *b, const zm_model *m)
{
  b->len = 0;
  return m ? zm_model_save(b, m) : -1;
}

/* Train twice with one seed, once with another, and compare the bytes. */
static void test_determinism(void)
{
  dataset tr, te;
  if (iris_split(&tr, &te) != 0) {
    CHECK(0);
    return;
  }
  zm_target y = {tr.labels, NULL, 3};
  zm_buf a = ZM_BUF_INIT, b = ZM_BUF_INIT, c = ZM_BUF_INIT;
  zm_model *m1 = NULL, *m2 = NULL, *m3 = NULL;
  zm_ffn_params fp;
  zm_ffn_params_default(&fp);
  fp.n_hidden = 2;
  fp.hidden[1] = 8;
  fp.dropout = 0.2;
  fp.epochs = 30;
  fp.seed = 77;
  zm_ffn_train(&m1, tr.X, tr.n, tr.d, &y, &fp, NULL);
  zm_ffn_train(&m2, tr.X, tr.n, tr.d, &y, &fp, NULL);
  fp.seed = 78;
  zm_ffn_train(&m3, tr.X, tr.n, tr.d, &y, &fp, NULL);
  CHECK(save(&a, m1) == 0 && save(&b, m2) == 0 && save(&c, m3) == 0);
  CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
  CHECK(a.len == c.len && memcmp(a.data, c.data, a.len) != 0);
  zm_model_free(m1);
  zm_model_free(m2);
  zm_model_free(m3);

  zm_logreg_params lp;
  zm_logreg_params_default(&lp);
  lp.seed = 3;
  zm_logreg_train(&m1, tr.X, tr.n, tr.d, &y, &lp, NULL);
  zm_logreg_train(&m2, tr.X, tr.n, tr.d, &y, &lp, NULL);
  CHECK(save(&a, m1) == 0 && save(&b, m2) == 0);
  CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
  zm_model_free(m1);
  zm_model_free(m2);

  /* Over 8 MB the rows are dealt into cache-sized buckets: still the same
   * bytes on every run, and still a good fit. */
  dataset big = separable(40000, 29, 0.0, 8);
  zm_target yb = {big.labels, NULL, 2};
  lp.solver = ZM_LOGREG_SGD;
  lp.epochs = 3;
  zm_logreg_train(&m1, big.X, big.n, big.d, &yb, &lp, NULL);
  zm_logreg_train(&m2, big.X, big.n, big.d, &yb, &lp, NULL);
  CHECK(save(&a, m1) == 0 && save(&b, m2) == 0);
  CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
  CHECK(test_accuracy(m1, &big) > 0.97);
  zm_model_free(m1);
  zm_model_free(m2);
  dataset_free(&big);

  zm_xgb_params xp;
  zm_xgb_params_default(&xp);
  const char *keys[] = {"subsample", "colsample_bytree", "max_depth"};
  const char *vals[] = {"0.7", "0.8", "4"};
  xp.keys = keys;
  xp.values = vals;
  xp.n_params = 3;
  xp.num_boost_round = 20;
  xp.seed = 4;
  zm_xgb_train(&m1, tr.X, tr.n, tr.d, &y, &xp);
  zm_xgb_train(&m2, tr.X, tr.n, tr.d, &y, &xp);
  CHECK(save(&a, m1) == 0 && save(&b, m2) == 0);
  CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
  zm_model_free(m1);
  zm_model_free(m2);
  zm_buf_free(&a);
  zm_buf_free(&b);
  zm_buf_free(&c);
  dataset_free(&tr);
  dataset_free(&te);
}

/* save -> load -> the same predictions and, saved again, the same bytes. */
static void check_roundtrip(const zm_model *m, const dataset *s, const char *what)
{
  zm_buf a = ZM_BUF_INIT, b = ZM_BUF_INIT;
  zm_model *back = NULL;
  size_t k = zm_model_outputs(m);
  double *p1 = calloc(s->n * k, sizeof(double)), *p2 = calloc(s->n * k, sizeof(double));
  CHECK_EQ_INT(zm_model_save(&a, m), 0);
  CHECK_EQ_INT(zm_model_load(&back, a.data, a.len), 0);
  if (back) {
    CHECK_EQ_INT(zm_model_kind_of(back), zm_model_kind_of(m));
    CHECK_EQ_INT(zm_model_features(back), s->d);
    CHECK_EQ_INT(zm_model_save(&b, back), 0);
    CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    zm_model_predict(p1, m, s->X, s->n);
    zm_model_predict(p2, back, s->X, s->n);
    CHECK(memcmp(p1, p2, s->n * k * sizeof(double)) == 0);
  }
  /* Every truncation of the bytes is refused, never read past the end. */
  int refused = 1;
  for (size_t len = 0; len < a.len; len += 1 + len / 16) {
    zm_model *t = NULL;
    refused &= zm_model_load(&t, a.data, len) != 0 && t == NULL;
  }
  CHECK(refused);
  printf("  %s: %zu bytes, round trip ok\n", what, a.len);
  free(p1);
  free(p2);
  zm_model_free(back);
  zm_buf_free(&a);
  zm_buf_free(&b);
}

static void test_serialization(void)
{
  dataset s = separable(400, 4, 0.0, 21);
  dataset r = regression(400, 4, 0.5, 22);
  zm_target yb = {s.labels, NULL, 2}, yr = {NULL, r.values, 0};
  zm_model *m = NULL;
  zm_logreg_train(&m, s.X, s.n, s.d, &yb, NULL, NULL);
  check_roundtrip(m, &s, "logistic binary");
  zm_model_free(m);
  zm_linreg_train(&m, r.X, r.n, r.d, &yr, NULL, NULL);
  check_roundtrip(m, &r, "linear regression");
  zm_model_free(m);
  zm_ffn_params fp;
  zm_ffn_params_default(&fp);
  fp.epochs = 5;
  fp.activation = ZM_ACT_TANH;
  zm_ffn_train(&m, r.X, r.n, r.d, &yr, &fp, NULL);
  check_roundtrip(m, &r, "feed-forward regression");
  zm_model_free(m);
  fp.activation = ZM_ACT_SIGMOID;
  zm_ffn_train(&m, s.X, s.n, s.d, &yb, &fp, NULL);
  check_roundtrip(m, &s, "feed-forward binary");
  zm_model_free(m);
  zm_xgb_train(&m, r.X, r.n, r.d, &yr, NULL);
  check_roundtrip(m, &r, "xgboost regression");
  zm_model_free(m);
  zm_xgb_train(&m, s.X, s.n, s.d, &yb, NULL);
  check_roundtrip(m, &s, "xgboost binary");
  zm_model_free(m);
  dataset_free(&s);
  dataset_free(&r);
}

static void test_early_stopping(void)
{
  dataset s = regression(600, 3, 2.0, 5);
  zm_target y = {NULL, s.values, 0};
  zm_model *m = NULL;
  zm_history h = {0};
  zm_ffn_params p;
  zm_ffn_params_default(&p);
  p.hidden[0] = 64;
  p.epochs = 500;
  p.lr = 0.01;
  p.patience = 5;
  p.val_fraction = 0.25;
  CHECK_EQ_INT(zm_ffn_train(&m, s.X, s.n, s.d, &y, &p, &h), 0);
  printf("  early stopping: ran %zu of 500 epochs, best epoch %zu, val mse %.4f\n", h.epochs,
         h.best_epoch + 1, h.val_loss ? h.val_loss[h.best_epoch] : -1.0);
  CHECK(h.epochs < 500);
  CHECK(h.val_loss != NULL);
  CHECK(h.best_epoch + p.patience + 1 == h.epochs);
  zm_history_free(&h);
  zm_model_free(m);
  /* A given validation set instead of a fraction. */
  dataset v = regression(100, 3, 2.0, 6);
  zm_target yv = {NULL, v.values, 0};
  p.X_val = v.X;
  p.n_val = v.n;
  p.y_val = &yv;
  p.epochs = 20;
  CHECK_EQ_INT(zm_ffn_train(&m, s.X, s.n, s.d, &y, &p, &h), 0);
  CHECK(h.val_loss != NULL && h.epochs >= 1);
  zm_history_free(&h);
  zm_model_free(m);
  dataset_free(&v);
  dataset_free(&s);
}

/* A row source over a dense matrix, a few rows per call as a frame gives them. */
static int fill_dense(void *ctx, double *out, size_t first, size_t count)
{
  const dataset *s = ctx;
  memcpy(out, s->X + first * s->d, count * s->d * sizeof *out);
  return 0;
}

/* Rows from a source train the very model the whole X does, small (one
 * shuffled copy) and large (dealt into buckets, on 1, 2 or 7 threads, from
 * a source that fills in order or from any thread); a NaN names its true
 * row. */
static void test_logreg_rows(void)
{
  size_t sizes[] = {500, 40000};
  for (int t = 0; t < 2; t++) {
    dataset s = separable(sizes[t], 29, 0.0, 5);
    zm_target y = {s.labels, NULL, 2};
    zm_logreg_params lp;
    zm_logreg_params_default(&lp);
    lp.solver = t ? ZM_LOGREG_SGD : ZM_LOGREG_LBFGS;
    lp.epochs = 2;
    lp.seed = 9;
    zm_rows rows = {s.n, s.d, NULL, fill_dense, &s, NULL};
    zm_model *m1 = NULL, *m2 = NULL;
    zm_buf a = ZM_BUF_INIT, b = ZM_BUF_INIT;
    CHECK_EQ_INT(zm_logreg_train(&m1, s.X, s.n, s.d, &y, &lp, NULL), 0);
    CHECK_EQ_INT(zm_logreg_train_rows(&m2, &rows, &y, &lp, NULL), 0);
    CHECK(save(&a, m1) == 0 && save(&b, m2) == 0);
    CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    zm_model_free(m1);
    zm_model_free(m2);
    size_t threads[] = {1, 2, 7};
    zm_rows any = {s.n, s.d, NULL, fill_dense, &s, fill_dense};
    for (int k = 0; t == 1 && k < 3; k++) {
      lp.threads = threads[k];
      for (int src = 0; src < 3; src++) {
        zm_buf c = ZM_BUF_INIT;
        int rc = src == 0 ? zm_logreg_train(&m2, s.X, s.n, s.d, &y, &lp, NULL)
                 : zm_logreg_train_rows(&m2, src == 1 ? &rows : &any, &y, &lp, NULL);
        CHECK_EQ_INT(rc, 0);
        CHECK(save(&c, m2) == 0);
        CHECK(c.len == a.len && memcmp(c.data, a.data, a.len) == 0);
        zm_model_free(m2);
        zm_buf_free(&c);
      }
    }
    lp.threads = 2;
    s.X[(s.n - 3) * s.d + 4] = NAN;
    CHECK_EQ_INT(zm_logreg_train_rows(&m2, t ? &any : &rows, &y, &lp, NULL), ZM_EINVALID);
    CHECK(m2 == NULL);
    char want[128];
    snprintf(want, sizeof want,
             "logistic regression: feature 5 of row %zu is not finite (NaN or inf)", s.n - 2);
    CHECK_EQ_STR(zm_error_last(), want);
    zm_buf_free(&a);
    zm_buf_free(&b);
    dataset_free(&s);
  }
  zm_rows none = {0, 3, NULL, fill_dense, NULL, NULL};
  zm_model *m = NULL;
  CHECK_EQ_INT(zm_logreg_train_rows(&m, &none, &(zm_target){NULL, NULL, 2}, NULL, NULL),
               ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "logistic regression: expected a non-empty matrix, got 0 x 3");
}

/* Parameter mixing: the blocks follow the row count only; 1, 2 and 7
 * threads, a whole X, an in-order source and a source for any thread give
 * the same model bytes, about as accurate as the sequential pass; a NaN in
 * a late chunk names its true row. */
static void test_logreg_mix(void)
{
  CHECK(zm_logreg_mix_blocks(1) == 1 && zm_logreg_mix_blocks(5 * 32768) == 5);
  CHECK(zm_logreg_mix_blocks(10000000) == 16);
  dataset s = separable(100000, 8, 0.0, 7), test = separable(5000, 8, 0.0, 8);
  zm_target y = {s.labels, NULL, 2};
  zm_logreg_params lp;
  zm_logreg_params_default(&lp);
  lp.solver = ZM_LOGREG_SGD;
  lp.epochs = 2;
  lp.seed = 3;
  zm_model *seq = NULL, *m = NULL;
  CHECK_EQ_INT(zm_logreg_train(&seq, s.X, s.n, s.d, &y, &lp, NULL), 0);
  lp.mix = 1;
  zm_buf first = ZM_BUF_INIT;
  size_t threads[] = {1, 2, 7};
  for (int t = 0; t < 3; t++) {
    lp.threads = threads[t];
    zm_rows in_order = {s.n, s.d, NULL, fill_dense, &s, NULL};
    zm_rows any = {s.n, s.d, NULL, fill_dense, &s, fill_dense};
    zm_history h = {0};
    for (int src = 0; src < 3; src++) {
      zm_buf b = ZM_BUF_INIT;
      int rc = src == 0 ? zm_logreg_train(&m, s.X, s.n, s.d, &y, &lp, &h)
               : zm_logreg_train_rows(&m, src == 1 ? &in_order : &any, &y, &lp, NULL);
      CHECK_EQ_INT(rc, 0);
      CHECK(save(t == 0 && src == 0 ? &first : &b, m) == 0);
      if (t || src)
        CHECK(b.len == first.len && memcmp(b.data, first.data, b.len) == 0);
      zm_buf_free(&b);
      zm_model_free(m);
    }
    CHECK(h.epochs == 2 && h.train_loss[1] < h.train_loss[0]);
    zm_history_free(&h);
  }
  CHECK_EQ_INT(zm_logreg_train(&m, s.X, s.n, s.d, &y, &lp, NULL), 0);
  double acc = test_accuracy(m, &test), acc_seq = test_accuracy(seq, &test);
  printf("  logistic sgd, 100000 rows: mixed (3 blocks) accuracy %.4f, sequential %.4f\n", acc,
         acc_seq);
  CHECK(acc >= 0.98 && fabs(acc - acc_seq) < 0.01);
  zm_model_free(m);
  zm_model_free(seq);
  s.X[(s.n - 5) * s.d + 2] = NAN;
  lp.threads = 2;
  zm_rows any = {s.n, s.d, NULL, fill_dense, &s, fill_dense};
  CHECK_EQ_INT(zm_logreg_train_rows(&m, &any, &y, &lp, NULL), ZM_EINVALID);
  char want[128];
  snprintf(want, sizeof want,
           "logistic regression: feature 3 of row %zu is not finite (NaN or inf)", s.n - 4);
  CHECK_EQ_STR(zm_error_last(), want);
  zm_buf_free(&first);
  dataset_free(&s);
  dataset_free(&test);
}

/* The loss of a batch is summed through a running product of (1 + e):
 * one batch of 5,000 rows (past the product's flush point) at theta = 0
 * has the mean loss log 2 exactly as the per-row sum would give it. */
static void test_logreg_loss_big_batch(void)
{
  dataset s = separable(5000, 4, 0.0, 6);
  zm_target y = {s.labels, NULL, 2};
  zm_logreg_params lp;
  zm_logreg_params_default(&lp);
  lp.solver = ZM_LOGREG_SGD;
  lp.l2 = 0;
  lp.epochs = 2;
  lp.batch_size = 5000;
  zm_history h = {0};
  zm_model *m = NULL;
  CHECK_EQ_INT(zm_logreg_train(&m, s.X, s.n, s.d, &y, &lp, &h), 0);
  CHECK(h.epochs == 2 && fabs(h.train_loss[0] - log(2.0)) < 1e-12);
  CHECK(isfinite(h.train_loss[1]) && h.train_loss[1] < h.train_loss[0]);
  zm_history_free(&h);
  zm_model_free(m);
  dataset_free(&s);
}

static void test_bad_input(void)
{
  double X[] = {0, 1, 2, NAN};
  int labels[] = {0, 2};
  zm_target y = {labels, NULL, 2};
  zm_model *m = (zm_model *)1;
  CHECK_EQ_INT(zm_logreg_train(&m, X, 2, 2, &y, NULL, NULL), ZM_EINVALID);
  CHECK(m == NULL);
  CHECK_EQ_STR(zm_error_last(),
               "logistic regression: feature 2 of row 2 is not finite (NaN or inf)");
  X[3] = 3;
  CHECK_EQ_INT(zm_ffn_train(&m, X, 2, 2, &y, NULL, NULL), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "feed-forward network: label 2 at row 2 is outside 0..1");
  zm_ffn_params p;
  zm_ffn_params_default(&p);
  p.dropout = 1.0;
  labels[1] = 1;
  CHECK_EQ_INT(zm_ffn_train(&m, X, 2, 2, &y, &p, NULL), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(),
               "feed-forward network: dropout and val_fraction must be in [0, 1), got 1, 0");
  zm_xgb_params xp;
  zm_xgb_params_default(&xp);
  const char *k[] = {"max_depth"}, *v[] = {"banana"};
  xp.keys = k;
  xp.values = v;
  xp.n_params = 1;
  CHECK(zm_xgb_train(&m, X, 2, 2, &y, &xp) != 0);
  CHECK_EQ_STR(zm_error_last(), "xgboost training: Invalid Parameter format for max_depth "
                                "expect int but value='banana'");
  xp.n_params = 0;
  xp.num_boost_round = 0;
  CHECK_EQ_INT(zm_xgb_train(&m, X, 2, 2, &y, &xp), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "xgboost: num_boost_round must be at least 1, got 0");
  CHECK_EQ_INT(zm_linreg_train(&m, X, 2, 2, &y, NULL, NULL), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(),
               "linear regression: linear regression needs real values, got class labels");
  CHECK_EQ_INT(zm_model_load(&m, "ZMMX", 4), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "loading model: not a zenml model (bad magic)");
  const char v9[] = "ZMML\x09\0\0\0";
  CHECK_EQ_INT(zm_model_load(&m, v9, 8), ZM_EVERSION);
  CHECK_EQ_STR(zm_error_last(), "loading model: model format 9 is not supported (expected 1)");
  zm_activation act;
  CHECK_EQ_INT(zm_activation_parse(&act, "gelu"), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "activation must be relu, tanh or sigmoid, got 'gelu'");
  CHECK_EQ_INT(zm_activation_parse(&act, "tanh"), 0);
  CHECK_EQ_INT(act, ZM_ACT_TANH);
}

static double seconds(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The W2 benchmark's trainer: 800,000 x 29 (20 floats + 9 one-hot), logistic,
 * 5 epochs, batch 256. Printed, not asserted: timing depends on the machine. */
static void test_speed_logistic(void)
{
  size_t n = 800000, d = 29;
  const char *env = getenv("ZM_ML_BENCH_ROWS");
  if (env && *env)
    n = (size_t)strtoull(env, NULL, 10);
  double *X = malloc(n * d * sizeof(double));
  int *labels = malloc(n * sizeof(int));
  zm_rng r;
  zm_rng_seed(&r, 99);
  for (size_t i = 0; i < n; i++) {
    double z = 0;
    for (size_t j = 0; j < 20; j++) {
      X[i * d + j] = zm_rng_normal(&r);
      z += X[i * d + j] * (j % 3 == 0 ? 0.5 : -0.2);
    }
    size_t hot = zm_rng_below(&r, 9);
    for (size_t j = 0; j < 9; j++)
      X[i * d + 20 + j] = j == hot;
    labels[i] = z + 0.3 * (double)hot - 1.2 + zm_rng_normal(&r) > 0;
  }
  zm_target y = {labels, NULL, 2};
  zm_logreg_params p;
  zm_logreg_params_default(&p);
  p.solver = ZM_LOGREG_SGD;
  p.l2 = 0;
  p.epochs = 5;
  p.batch_size = 256;
  p.seed = 1;
  zm_model *m = NULL;
  double t0 = seconds();
  CHECK_EQ_INT(zm_logreg_train(&m, X, n, d, &y, &p, NULL), 0);
  double t1 = seconds();
  int *pred = malloc(n * sizeof(int));
  zm_model_predict_class(pred, m, X, n);
  double t2 = seconds();
  printf("  speed: logistic %zu x %zu, 5 epochs, batch 256: train %.3f s, predict %.3f s, "
         "train accuracy %.4f\n", n, d, t1 - t0, t2 - t1, zm_metric_accuracy(labels, pred, n));
  zm_model_free(m);
  /* the default full-batch solver on a quarter of the rows */
  zm_logreg_params_default(&p);
  zm_history h = {0};
  t0 = seconds();
  CHECK_EQ_INT(zm_logreg_train(&m, X, n / 4, d, &y, &p, &h), 0);
  t1 = seconds();
  zm_model_predict_class(pred, m, X, n);
  printf("  speed: logistic %zu x %zu, L-BFGS: train %.3f s, %zu iterations, converged %d, "
         "accuracy on all rows %.4f\n", n / 4, d, t1 - t0, h.epochs, h.converged,
         zm_metric_accuracy(labels, pred, n));
  zm_history_free(&h);
  free(pred);
  zm_model_free(m);
  free(X);
  free(labels);
}

int main(void)
{
  setvbuf(stdout, NULL, _IONBF, 0);
  RUN(test_iris_models);
  RUN(test_separable_logistic);
  RUN(test_linear_regression);
  RUN(test_determinism);
  RUN(test_serialization);
  RUN(test_early_stopping);
  RUN(test_bad_input);
  RUN(test_logreg_rows);
  RUN(test_logreg_loss_big_batch);
  RUN(test_logreg_sgd_reference);
  RUN(test_logreg_mix);
  RUN(test_speed_logistic);
  return CHECK_DONE();
}
