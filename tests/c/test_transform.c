/* Preprocessing transforms against hand-computed values, their bytes, their
 * error texts; the frame -> matrix bridge and model bundles. */
#include "check.h"
#include "core/error.h"
#include "core/workers.h"
#include "ml/bridge.h"
#include "ml/linear.h"
#include "ml/tf_internal.h"

#include <math.h>
#include <time.h>

#define NEAR(a, b) (fabs((a) - (b)) < 1e-12)

/* x: 1, 2, 3, null, 4   s: b, a, b, null, c   i: 10, 9, 10, 1, 9
 * b: F T F F T          y: virginica setosa setosa versicolor setosa */
static zm_frame *sample(void)
{
  zm_frame *f;
  zm_column *c;
  zm_frame_new(&f, 5);
  zm_frame_add(&c, f, "x", ZM_TYPE_F64);
  double xs[] = {1, 2, 3, 0, 4};
  memcpy(c->data, xs, sizeof xs);
  zm_column_set_null(c, 3);
  const char *s[] = {"b", "a", "b", NULL, "c"};
  zm_frame_add_strings(f, "s", s, NULL);
  zm_frame_add(&c, f, "i", ZM_TYPE_I64);
  int64_t is[] = {10, 9, 10, 1, 9};
  memcpy(c->data, is, sizeof is);
  zm_frame_add(&c, f, "b", ZM_TYPE_BOOL);
  ((uint8_t *)c->data)[1] = ((uint8_t *)c->data)[4] = 1;
  const char *y[] = {"virginica", "setosa", "setosa", "versicolor", "setosa"};
  zm_frame_add_strings(f, "y", y, NULL);
  return f;
}

/* Fit one spec on the sample, apply it, return output column `out` as doubles. */
static void run_one(double *got, const zm_tf_spec *spec, size_t col)
{
  zm_frame *f = sample(), *g = NULL;
  zm_transform *t = NULL;
  const char *labels[] = {"y"};
  CHECK_EQ_INT(zm_transform_fit(&t, spec, 1, labels, 1, f), 0);
  CHECK_EQ_INT(zm_transform_apply(&g, t, f), 0);
  if (g && spec->method == ZM_TF_ONEHOT) { /* one_hot columns are bool */
    CHECK(g->cols[col].type == ZM_TYPE_BOOL);
    for (size_t i = 0; i < 5; i++)
      got[i] = ((const uint8_t *)g->cols[col].data)[i];
  } else if (g) {
    CHECK(g->cols[col].type == ZM_TYPE_F64);
    memcpy(got, g->cols[col].data, 5 * sizeof *got);
  }
  if (g) {
    CHECK_EQ_STR(g->cols[g->ncol - 1].name, "y");
    CHECK(g->cols[g->ncol - 1].type == ZM_TYPE_STR);
  }
  zm_frame_free(g);
  zm_transform_free(t);
  zm_frame_free(f);
}

static void test_numeric_methods(void)
{
  double v[5], sd = sqrt(1.25);
  run_one(v, &(zm_tf_spec){.column = "x", .method = ZM_TF_ZSCORE, .fill = ZM_FILL_MEAN}, 0);
  CHECK(NEAR(v[0], -1.5 / sd) && NEAR(v[3], 0) && NEAR(v[4], 1.5 / sd));
  run_one(v, &(zm_tf_spec){.column = "x", .method = ZM_TF_MINMAX, .lo = -1, .hi = 1}, 0);
  CHECK(NEAR(v[0], -1) && NEAR(v[1], -1.0 / 3) && NEAR(v[4], 1) && NEAR(v[3], 0));
  run_one(v, &(zm_tf_spec){.column = "x", .method = ZM_TF_TO01, .fill = ZM_FILL_MIN}, 0);
  CHECK(NEAR(v[1], 1.0 / 3) && NEAR(v[3], 0));
  run_one(v, &(zm_tf_spec){.column = "x", .method = ZM_TF_LOG, .fill = ZM_FILL_MAX}, 0);
  CHECK(NEAR(v[2], log1p(3)) && NEAR(v[3], log1p(4)));
  /* median of 1..4 is 2.5; 2 buckets cut at 2.5 */
  run_one(v, &(zm_tf_spec){.column = "x", .method = ZM_TF_BUCKETIZE, .n = 2,
                           .fill = ZM_FILL_MEDIAN}, 0);
  CHECK(v[0] == 0 && v[1] == 0 && v[2] == 1 && v[3] == 1 && v[4] == 1);
  run_one(v, &(zm_tf_spec){.column = "x", .method = ZM_TF_NONE, .fill = ZM_FILL_CONSTANT,
                           .fill_value = 9}, 0);
  CHECK(v[3] == 9 && v[4] == 4);
  run_one(v, &(zm_tf_spec){.column = "x", .method = ZM_TF_NONE, .fill = ZM_FILL_NONE}, 0);
  CHECK(isnan(v[3]));
  run_one(v, &(zm_tf_spec){.column = "b"}, 0); /* bool default: 0/1 */
  CHECK(v[0] == 0 && v[1] == 1 && v[4] == 1);
  run_one(v, &(zm_tf_spec){.column = "i"}, 0); /* int default: z-score, mean 7.8 */
  CHECK(NEAR(v[3], (1 - 7.8) / sqrt(11.76)));
}

static void test_categorical_methods(void)
{
  double v[5];
  /* counts b 2, "" 1, a 1, c 1: by count, ties by value */
  run_one(v, &(zm_tf_spec){.column = "s"}, 0);
  CHECK(v[0] == 0 && v[1] == 2 && v[3] == 1 && v[4] == 3);
  run_one(v, &(zm_tf_spec){.column = "s", .method = ZM_TF_VOCAB, .top_k = 2}, 0);
  CHECK(v[0] == 0 && v[3] == 1 && v[1] == -1 && v[4] == -1);
  run_one(v, &(zm_tf_spec){.column = "s", .method = ZM_TF_VOCAB, .top_k = 2, .oov_buckets = 1},
          0);
  CHECK(v[1] == 2 && v[4] == 2);
  run_one(v, &(zm_tf_spec){.column = "s", .method = ZM_TF_HASH, .n = 7}, 0);
  CHECK(v[0] == (double)(zm__fnv1a("b", 1) % 7) && v[3] == (double)(zm__fnv1a("", 0) % 7));
  /* one_hot of int64: categories in numeric order 1, 9, 10 */
  run_one(v, &(zm_tf_spec){.column = "i", .method = ZM_TF_ONEHOT}, 2);
  CHECK(v[0] == 1 && v[1] == 0 && v[2] == 1 && v[3] == 0);
  zm_frame *f = sample(), *g;
  zm_transform *t;
  zm_tf_spec spec = {.column = "s", .method = ZM_TF_ONEHOT, .fill = ZM_FILL_CONSTANT,
                     .fill_string = "zz"};
  CHECK_EQ_INT(zm_transform_fit(&t, &spec, 1, NULL, 0, f), 0);
  CHECK_EQ_INT(zm_transform_apply(&g, t, f), 0);
  CHECK_EQ_INT(g->ncol, 4);
  CHECK_EQ_STR(g->cols[0].name, "s=a");
  CHECK_EQ_STR(g->cols[3].name, "s=zz");
  CHECK(g->cols[3].type == ZM_TYPE_BOOL);
  CHECK(((uint8_t *)g->cols[3].data)[3] == 1 && ((uint8_t *)g->cols[2].data)[4] == 1);
  CHECK(((uint8_t *)g->cols[3].data)[4] == 0 && ((uint8_t *)g->cols[2].data)[3] == 0);
  zm_frame_free(g);
  zm_transform_free(t);
  zm_frame_free(f);
}

static void test_errors(void)
{
  zm_frame *f = sample(), *g;
  zm_transform *t;
  zm_tf_spec miss = {.column = "zz"};
  CHECK_EQ_INT(zm_transform_fit(&t, &miss, 1, NULL, 0, f), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "column 'zz' not found; columns are: x, s, i, b, y");
  const char *badlabel[] = {"label"};
  CHECK_EQ_INT(zm_transform_fit(&t, NULL, 0, badlabel, 1, f), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "column 'label' not found; columns are: x, s, i, b, y");
  zm_tf_spec z = {.column = "s", .method = ZM_TF_ZSCORE};
  CHECK_EQ_INT(zm_transform_fit(&t, &z, 1, NULL, 0, f), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "column 's' is string; z_score needs a number column");
  zm_tf_spec oh = {.column = "x", .method = ZM_TF_ONEHOT};
  CHECK_EQ_INT(zm_transform_fit(&t, &oh, 1, NULL, 0, f), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "column 'x' is float64; one_hot needs a string, int64 or bool column");
  zm_tf_spec fm = {.column = "s", .fill = ZM_FILL_MEAN};
  CHECK_EQ_INT(zm_transform_fit(&t, &fm, 1, NULL, 0, f), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "column 's' is string; fill 'mean' needs a number column");
  zm_tf_spec both[] = {{.column = "x"}, {.column = "s"}};
  CHECK_EQ_INT(zm_transform_fit(&t, both, 2, NULL, 0, f), 0);
  zm_frame *h;
  zm_frame_new(&h, 2);
  zm_frame_add(NULL, h, "s", ZM_TYPE_I64);
  CHECK_EQ_INT(zm_transform_apply(&g, t, h), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "frame does not match the transform: column 'x' is missing; "
                                "column 's' is int64, was string when fitted");
  zm_transform_free(t);
  zm_tf_spec lg = {.column = "x", .method = ZM_TF_LOG};
  ((double *)f->cols[0].data)[2] = -1;
  CHECK_EQ_INT(zm_transform_fit(&t, &lg, 1, NULL, 0, f), 0);
  CHECK_EQ_INT(zm_transform_apply(&g, t, f), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "column 'x' row 3: log needs values > -1, got -1");
  zm_transform_free(t);
  zm_frame_free(h);
  zm_frame_free(f);
}

static void test_round_trip(void)
{
  zm_frame *f = sample(), *g1, *g2;
  zm_transform *t, *u;
  zm_tf_spec specs[] = {{.column = "x", .method = ZM_TF_BUCKETIZE, .n = 3},
                        {.column = "s", .method = ZM_TF_ONEHOT},
                        {.column = "i", .method = ZM_TF_VOCAB, .oov_buckets = 2},
                        {.column = "b"}};
  const char *labels[] = {"y"};
  CHECK_EQ_INT(zm_transform_fit(&t, specs, 4, labels, 1, f), 0);
  zm_buf a = ZM_BUF_INIT, b = ZM_BUF_INIT;
  CHECK_EQ_INT(zm_transform_save(&a, t), 0);
  CHECK_EQ_INT(zm_transform_load(&u, a.data, a.len), 0);
  CHECK_EQ_INT(zm_transform_save(&b, u), 0);
  CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
  zm_transform_apply(&g1, t, f);
  zm_transform_apply(&g2, u, f);
  CHECK_EQ_INT(g1->ncol, 8);
  CHECK_EQ_INT(g2->ncol, 8);
  for (size_t j = 0; j + 1 < g1->ncol; j++) {
    CHECK_EQ_STR(g1->cols[j].name, g2->cols[j].name);
    CHECK(g1->cols[j].type == g2->cols[j].type);
    CHECK(memcmp(g1->cols[j].data, g2->cols[j].data, 5 * (g1->cols[j].type == ZM_TYPE_BOOL ? 1 : sizeof(double))) == 0);
  }
  zm_transform_free(u);
  CHECK_EQ_INT(zm_transform_load(&u, a.data, a.len - 1) < 0, 1);
  CHECK(u == NULL);
  a.data[0] = 'X';
  CHECK_EQ_INT(zm_transform_load(&u, a.data, a.len), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "loading a transform: not a zenml transform (bad magic)");
  zm_buf_free(&a);
  zm_buf_free(&b);
  zm_frame_free(g1);
  zm_frame_free(g2);
  zm_transform_free(t);
  zm_frame_free(f);
}

/* Classes of fixed-width labels: each row's class is the one its text
 * names, also past the recently seen cells the lookup remembers (20
 * distinct values in a cycle), for -0 and 0 (two classes: "-0", "0"), and
 * a NaN after a run of known cells is still named. */
static void test_class_ids_repeated(void)
{
  enum { N = 1000 };
  int64_t iv[N];
  int ids[N];
  for (size_t i = 0; i < N; i++)
    iv[i] = (int64_t)((i * 7) % 20) - 5;
  zm_column ic = {.name = "y", .type = ZM_TYPE_I64, .len = N, .data = iv};
  const zm_column *icp = &ic;
  zm_classes cl;
  CHECK_EQ_INT(zm_classes_fit(&cl, &icp, 1), 0);
  CHECK_EQ_INT(cl.k, 20);
  CHECK_EQ_INT(zm_classes_ids(ids, &cl, &ic), 0);
  int ok = 1;
  for (size_t i = 0; i < N; i++) {
    char want[24];
    snprintf(want, sizeof want, "%lld", (long long)iv[i]);
    ok &= strcmp(cl.names[ids[i]], want) == 0;
  }
  CHECK(ok);
  zm_classes_free(&cl);
  double dv[6] = {0.0, -0.0, 0.0, 0.0, -0.0, 0.5};
  zm_column dc = {.name = "y", .type = ZM_TYPE_F64, .len = 6, .data = dv};
  const zm_column *dcp = &dc;
  CHECK_EQ_INT(zm_classes_fit(&cl, &dcp, 1), 0);
  CHECK_EQ_INT(cl.k, 3);
  CHECK_EQ_INT(zm_classes_ids(ids, &cl, &dc), 0);
  CHECK_EQ_STR(cl.names[ids[1]], "-0");
  CHECK_EQ_STR(cl.names[ids[3]], "0");
  CHECK_EQ_STR(cl.names[ids[4]], "-0");
  dv[3] = NAN;
  CHECK_EQ_INT(zm_classes_ids(ids, &cl, &dc), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "label column 'y' has NaN at row 4");
  zm_classes_free(&cl);
}

static void test_bridge(void)
{
  zm_frame *f = sample();
  const zm_column *y = &f->cols[4];
  zm_classes cl;
  CHECK_EQ_INT(zm_classes_fit(&cl, &y, 1), 0);
  CHECK_EQ_INT(cl.k, 3);
  CHECK_EQ_STR(cl.names[0], "setosa");
  CHECK_EQ_STR(cl.names[2], "virginica");
  int ids[5];
  CHECK_EQ_INT(zm_classes_ids(ids, &cl, y), 0);
  CHECK(ids[0] == 2 && ids[1] == 0 && ids[3] == 1);
  zm_classes_free(&cl);
  const zm_column *ic = &f->cols[2]; /* 10 9 10 1 9: numeric order */
  CHECK_EQ_INT(zm_classes_fit(&cl, &ic, 1), 0);
  CHECK_EQ_STR(cl.names[0], "1");
  CHECK_EQ_STR(cl.names[2], "10");
  zm_classes_free(&cl);
  /* a label column that is all nulls has no classes (found by the bad-input
   * catalogue under UBSan: memcpy from a NULL key table) */
  uint8_t none[1] = {0};
  double vals[3] = {0, 0, 0};
  zm_column allnull = {.name = "y", .type = ZM_TYPE_F64, .len = 3, .valid = none, .data = vals};
  const zm_column *an = &allnull;
  CHECK_EQ_INT(zm_classes_fit(&cl, &an, 1), 0);
  CHECK_EQ_INT(cl.k, 0);
  zm_classes_free(&cl);
  const zm_column *xc = &f->cols[0];
  CHECK_EQ_INT(zm_classes_fit(&cl, &xc, 1), 0);
  CHECK_EQ_INT(zm_classes_ids(ids, &cl, xc), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "label column 'x' has a null at row 4");
  zm_classes_free(&cl);
  double *v;
  CHECK_EQ_INT(zm_frame_values(&v, f, "x"), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "label column 'x' has a null at row 4");
  ((double *)f->cols[0].data)[1] = NAN;
  f->cols[0].valid[0] = 0xff;
  CHECK_EQ_INT(zm_frame_values(&v, f, "x"), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "label column 'x' has NaN at row 2");
  CHECK_EQ_INT(zm_frame_values(&v, f, "i"), 0);
  CHECK(v[1] == 9);
  free(v);
  const char *cols[] = {"i", "b"};
  double *X;
  CHECK_EQ_INT(zm_frame_matrix(&X, f, cols, 2, 0), 0);
  CHECK(X[0] == 10 && X[1] == 0 && X[2] == 9 && X[3] == 1 && X[9] == 1);
  free(X);
  const char *scol[] = {"s"};
  CHECK_EQ_INT(zm_frame_matrix(&X, f, scol, 1, 0), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(),
               "feature column 's' is string; a model needs numbers (transform it first)");
  zm_frame_free(f);
}

/* A matrix big enough to be filled on threads is the same with 1 and 3
 * workers, every cell where the rows say (int64 and bool columns too). */
static void test_matrix_on_workers(void)
{
  size_t n = 70001;
  zm_frame *f = NULL;
  CHECK_EQ_INT(zm_frame_new(&f, n), 0);
  const char *names[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o"};
  for (size_t j = 0; j < 15; j++) {
    zm_column *c;
    zm_type t = j == 3 ? ZM_TYPE_I64 : j == 7 ? ZM_TYPE_BOOL : ZM_TYPE_F64;
    CHECK_EQ_INT(zm_frame_add(&c, f, names[j], t), 0);
    for (size_t i = 0; i < n; i++) {
      if (t == ZM_TYPE_F64)
        ((double *)c->data)[i] = (double)i * 0.5 + (double)j;
      else if (t == ZM_TYPE_I64)
        ((int64_t *)c->data)[i] = (int64_t)i - 7;
      else
        ((uint8_t *)c->data)[i] = (uint8_t)(i % 2);
    }
  }
  double *X1, *X3;
  zm_workers_set(1);
  CHECK_EQ_INT(zm_frame_matrix(&X1, f, names, 15, 0), 0);
  zm_workers_set(3);
  CHECK_EQ_INT(zm_frame_matrix(&X3, f, names, 15, 0), 0);
  zm_workers_set(0);
  CHECK(memcmp(X1, X3, n * 15 * sizeof *X1) == 0);
  CHECK(X3[70000 * 15 + 0] == 35000.0 && X3[70000 * 15 + 3] == 69993.0 && X3[69999 * 15 + 7] == 1.0);
  CHECK(X3[16384 * 15 + 14] == 16384 * 0.5 + 14);
  free(X1);
  free(X3);
  zm_frame_free(f);
}

static void test_bundle(void)
{
  zm_frame *f = sample(), *p;
  const char *cols[] = {"i", "b"};
  const zm_column *y = &f->cols[4];
  zm_bundle *b = calloc(1, sizeof *b), *c;
  double *X;
  int ids[5];
  CHECK_EQ_INT(zm_frame_matrix(&X, f, cols, 2, 0), 0);
  CHECK_EQ_INT(zm_classes_fit(&b->classes, &y, 1), 0);
  zm_classes_ids(ids, &b->classes, y);
  zm_target t = {ids, NULL, 3};
  CHECK_EQ_INT(zm_logreg_train(&b->model, X, 5, 2, &t, NULL, NULL), 0);
  b->d = 2;
  b->features = malloc(2 * sizeof *b->features);
  b->features[0] = strdup("i");
  b->features[1] = strdup("b");
  b->label = strdup("y");
  zm_buf bytes = ZM_BUF_INIT;
  CHECK_EQ_INT(zm_bundle_save(&bytes, b), 0);
  CHECK_EQ_INT(zm_bundle_load(&c, bytes.data, bytes.len), 0);
  CHECK_EQ_INT(zm_bundle_predict(&p, c, f), 0);
  CHECK_EQ_INT(p->ncol, 4);
  CHECK_EQ_STR(p->cols[0].name, "prediction");
  CHECK(p->cols[0].type == ZM_TYPE_STR);
  CHECK_EQ_STR(p->cols[3].name, "p_virginica");
  zm_frame_free(p);
  zm_bundle_free(c);
  zm_bundle_free(b);
  zm_buf_free(&bytes);
  free(X);
  zm_frame_free(f);
}

static double since(struct timespec *t0)
{
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double s = (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
  *t0 = t1;
  return s;
}

/* Fit and apply on 1, 2 and 7 workers (core/workers.h): the same transform
 * bytes and the same output columns. */
static void fit_apply_with(zm_buf *saved, zm_frame **g, int workers, const zm_frame *f,
                           const zm_tf_spec *specs, size_t n)
{
  zm_transform *t;
  zm_workers_set(workers);
  CHECK_EQ_INT(zm_transform_fit(&t, specs, n, NULL, 0, f), 0);
  CHECK_EQ_INT(zm_transform_save(saved, t), 0);
  CHECK_EQ_INT(zm_transform_apply(g, t, f), 0);
  zm_workers_set(0);
  zm_transform_free(t);
}

static void test_workers(void)
{
  size_t n = 200000;
  zm_frame *f;
  zm_frame_new(&f, n);
  static const zm_tf_method methods[] = {ZM_TF_ZSCORE, ZM_TF_MINMAX, ZM_TF_BUCKETIZE, ZM_TF_LOG,
                                         ZM_TF_ZSCORE, ZM_TF_TO01};
  zm_tf_spec specs[7] = {{0}};
  char names[6][8];
  for (int j = 0; j < 6; j++) {
    zm_column *c;
    snprintf(names[j], 8, "f%d", j);
    zm_frame_add(&c, f, names[j], ZM_TYPE_F64);
    for (size_t i = 0; i < n; i++)
      ((double *)c->data)[i] = (double)((i * 2654435761u + (size_t)j * 77) % 100003) / 7.0 + 0.1;
    specs[j] = (zm_tf_spec){.column = names[j], .method = methods[j],
                            .fill = j == 4 ? ZM_FILL_MEDIAN : ZM_FILL_AUTO};
  }
  static const char *levels[] = {"l0", "l1", "l2", "l3", "l4"};
  const char **s = malloc(n * sizeof *s);
  for (size_t i = 0; i < n; i++)
    s[i] = levels[(i * 7 / 3) % 5];
  zm_frame_add_strings(f, "cat", s, NULL);
  free(s);
  specs[6] = (zm_tf_spec){.column = "cat", .method = ZM_TF_VOCAB};
  zm_buf one = {0};
  zm_frame *g1;
  fit_apply_with(&one, &g1, 1, f, specs, 7);
  for (int w = 2; w <= 7; w += 5) {
    zm_buf other = {0};
    zm_frame *g;
    fit_apply_with(&other, &g, w, f, specs, 7);
    CHECK(other.len == one.len && memcmp(other.data, one.data, one.len) == 0);
    CHECK_EQ_INT(g->ncol, g1->ncol);
    for (size_t j = 0; j < g->ncol; j++)
      CHECK(memcmp(g->cols[j].data, g1->cols[j].data, n * sizeof(double)) == 0);
    zm_frame_free(g);
    zm_buf_free(&other);
  }
  zm_frame_free(g1);
  zm_buf_free(&one);
  zm_frame_free(f);
}

/* 1M rows x 20 float64 z-scored + a 10-level string one-hot, timed. */
static void test_speed(void)
{
  size_t n = 1000000;
  zm_frame *f, *g;
  zm_frame_new(&f, n);
  zm_tf_spec specs[21] = {{0}};
  char names[20][8];
  for (int j = 0; j < 20; j++) {
    zm_column *c;
    snprintf(names[j], 8, "f%d", j);
    zm_frame_add(&c, f, names[j], ZM_TYPE_F64);
    for (size_t i = 0; i < n; i++)
      ((double *)c->data)[i] = (double)((i * 2654435761u + (size_t)j) % 1000) / 10;
    specs[j] = (zm_tf_spec){.column = names[j], .method = ZM_TF_ZSCORE};
  }
  static const char *levels[] = {"l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8", "l9"};
  const char **s = malloc(n * sizeof *s);
  for (size_t i = 0; i < n; i++)
    s[i] = levels[(i * 7) % 10];
  zm_frame_add_strings(f, "cat", s, NULL);
  free(s);
  specs[20] = (zm_tf_spec){.column = "cat", .method = ZM_TF_ONEHOT};
  zm_transform *t;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  CHECK_EQ_INT(zm_transform_fit(&t, specs, 21, NULL, 0, f), 0);
  double fit = since(&t0);
  CHECK_EQ_INT(zm_transform_apply(&g, t, f), 0);
  double apply = since(&t0);
  printf("1M x (20 float z_score + 10-level one_hot): fit %.3f s, apply %.3f s, total %.3f s\n",
         fit, apply, fit + apply);
  CHECK_EQ_INT(g->ncol, 30);
  zm_frame_free(g);
  zm_transform_free(t);
  zm_frame_free(f);
}

int main(void)
{
  RUN(test_numeric_methods);
  RUN(test_categorical_methods);
  RUN(test_errors);
  RUN(test_round_trip);
  RUN(test_bridge);
  RUN(test_class_ids_repeated);
  RUN(test_matrix_on_workers);
  RUN(test_bundle);
  RUN(test_workers);
  RUN(test_speed);
  return CHECK_DONE();
}
