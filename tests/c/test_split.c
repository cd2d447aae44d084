/* Random splits (exact sizes, determinism) and frame partitioning. */
#include "check.h"
#include "core/error.h"
#include "frame/split.h"

#include <time.h>

static void counts_of(size_t *counts, const int *a, size_t n, size_t k)
{
  CHECK_EQ_INT(zm_split_counts(counts, a, n, k), 0);
}

static void test_exact_sizes(void)
{
  int a[150];
  size_t c[3];
  double w[] = {0.7, 0.3};
  CHECK_EQ_INT(zm_split_random(a, 150, w, 2, 42), 0);
  counts_of(c, a, 150, 2);
  CHECK_EQ_INT(c[0], 105);
  CHECK_EQ_INT(c[1], 45);
  double w3[] = {1, 1, 1}; /* 33.33 -> cuts at 33 and 67 */
  CHECK_EQ_INT(zm_split_random(a, 100, w3, 3, 1), 0);
  counts_of(c, a, 100, 3);
  CHECK_EQ_INT(c[0], 33);
  CHECK_EQ_INT(c[1], 34);
  CHECK_EQ_INT(c[2], 33);
}

static void test_deterministic(void)
{
  int a[1000], b[1000], d[1000];
  double w[] = {0.5, 0.5};
  zm_split_random(a, 1000, w, 2, 7);
  zm_split_random(b, 1000, w, 2, 7);
  zm_split_random(d, 1000, w, 2, 8);
  CHECK(memcmp(a, b, sizeof a) == 0);
  CHECK(memcmp(a, d, sizeof a) != 0);
}

static void test_bad_weights(void)
{
  int a[4];
  double w[] = {0.5, -1};
  CHECK_EQ_INT(zm_split_random(a, 4, w, 2, 0), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "split weight 2 is -1; expected a finite number >= 0");
  double z[] = {0, 0};
  CHECK_EQ_INT(zm_split_random(a, 4, z, 2, 0), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "split weights sum to 0; at least one must be positive");
}

static zm_frame *sample_frame(void)
{
  zm_frame *f;
  zm_column *c;
  zm_frame_new(&f, 5);
  zm_frame_add(&c, f, "x", ZM_TYPE_F64);
  for (int i = 0; i < 5; i++)
    ((double *)c->data)[i] = i + 0.5;
  zm_column_set_null(c, 3);
  zm_frame_add(&c, f, "b", ZM_TYPE_BOOL);
  ((uint8_t *)c->data)[1] = 1;
  const char *s[] = {"a", "bb", NULL, "dddd", "e"};
  zm_frame_add_strings(f, "s", s, NULL);
  return f;
}

static void test_partition(void)
{
  zm_frame *f = sample_frame(), *out[2];
  int assign[] = {1, 0, -1, 1, 0};
  CHECK_EQ_INT(zm_frame_partition(out, f, assign, 2), 0);
  CHECK_EQ_INT(out[0]->nrow, 2);
  CHECK_EQ_INT(out[1]->nrow, 2);
  CHECK_EQ_INT(out[1]->ncol, 3);
  CHECK(((double *)out[0]->cols[0].data)[0] == 1.5);
  CHECK(((double *)out[0]->cols[0].data)[1] == 4.5);
  CHECK(zm_column_is_null(&out[1]->cols[0], 1));
  CHECK(!zm_column_is_null(&out[1]->cols[0], 0));
  CHECK(out[0]->cols[0].valid == NULL);
  CHECK_EQ_INT(((uint8_t *)out[0]->cols[1].data)[0], 1);
  size_t len;
  const char *s = zm_column_str(&out[1]->cols[2], 1, &len);
  CHECK(len == 4 && memcmp(s, "dddd", 4) == 0);
  s = zm_column_str(&out[0]->cols[2], 1, &len);
  CHECK(len == 1 && s[0] == 'e');
  zm_frame_free(out[0]);
  zm_frame_free(out[1]);
  int bad[] = {0, 2, 0, 0, 0};
  CHECK_EQ_INT(zm_frame_partition(out, f, bad, 2), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "row 2 is assigned to part 2; expected -1 (drop) to 1");
  CHECK(out[0] == NULL && out[1] == NULL);
  zm_frame_free(f);
}

/* 1M rows x (8 float64 + 1 string): one split + partition, timed. */
static void test_speed(void)
{
  size_t n = 1000000;
  zm_frame *f, *out[2];
  zm_frame_new(&f, n);
  for (int j = 0; j < 8; j++) {
    zm_column *c;
    char name[8];
    snprintf(name, sizeof name, "x%d", j);
    zm_frame_add(&c, f, name, ZM_TYPE_F64);
    for (size_t i = 0; i < n; i++)
      ((double *)c->data)[i] = (double)(i * (j + 1));
  }
  const char **s = malloc(n * sizeof *s);
  static const char *levels[] = {"alpha", "beta", "gamma"};
  for (size_t i = 0; i < n; i++)
    s[i] = levels[i % 3];
  zm_frame_add_strings(f, "s", s, NULL);
  free(s);
  int *a = malloc(n * sizeof *a);
  double w[] = {0.8, 0.2};
  struct timespec t0, t1, t2;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  CHECK_EQ_INT(zm_split_random(a, n, w, 2, 3), 0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  CHECK_EQ_INT(zm_frame_partition(out, f, a, 2), 0);
  clock_gettime(CLOCK_MONOTONIC, &t2);
  printf("split 1M rows: %.3f s; partition 1M x 9 columns: %.3f s\n",
         (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
         (double)(t2.tv_sec - t1.tv_sec) + (double)(t2.tv_nsec - t1.tv_nsec) / 1e9);
  CHECK_EQ_INT(out[0]->nrow, 800000);
  CHECK_EQ_INT(out[1]->nrow, 200000);
  zm_frame_free(out[0]);
  zm_frame_free(out[1]);
  zm_frame_free(f);
  free(a);
}

int main(void)
{
  RUN(test_exact_sizes);
  RUN(test_deterministic);
  RUN(test_bad_weights);
  RUN(test_partition);
  RUN(test_speed);
  return CHECK_DONE();
}
