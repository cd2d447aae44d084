/* Unit tests for src/core/rng: the stream is pinned to reference values so a
 * change of algorithm (which would change every recorded result) is caught. */
#include "check.h"
#include "core/rng.h"

#include <math.h>

static void test_reference_stream(void)
{
  /* From an independent implementation of splitmix64 + xoshiro256**. */
  zm_rng r;
  zm_rng_seed(&r, 42);
  CHECK(zm_rng_next(&r) == 0x15780b2e0c2ec716ULL);
  CHECK(zm_rng_next(&r) == 0x6104d9866d113a7eULL);
  CHECK(zm_rng_next(&r) == 0xae17533239e499a1ULL);
}

static void test_same_seed_same_stream(void)
{
  zm_rng a, b, c;
  zm_rng_seed(&a, 7);
  zm_rng_seed(&b, 7);
  zm_rng_seed(&c, 8);
  int same = 1, differ = 0;
  for (int i = 0; i < 1000; i++) {
    uint64_t x = zm_rng_next(&a);
    same &= x == zm_rng_next(&b);
    differ |= x != zm_rng_next(&c);
  }
  CHECK(same);
  CHECK(differ);
}

static void test_uniform_and_below(void)
{
  zm_rng r;
  zm_rng_seed(&r, 1);
  double sum = 0;
  int in_range = 1;
  size_t counts[7] = {0};
  for (int i = 0; i < 70000; i++) {
    double u = zm_rng_uniform(&r);
    in_range &= u >= 0.0 && u < 1.0;
    sum += u;
    uint64_t b = zm_rng_below(&r, 7);
    in_range &= b < 7;
    counts[b < 7 ? b : 0]++;
  }
  CHECK(in_range);
  CHECK(fabs(sum / 70000 - 0.5) < 0.01);
  for (int i = 0; i < 7; i++)
    CHECK(counts[i] > 9500 && counts[i] < 10500);
  CHECK_EQ_INT(zm_rng_below(&r, 0), 0);
  CHECK_EQ_INT(zm_rng_below(&r, 1), 0);
}

static void test_normal_moments(void)
{
  zm_rng r;
  zm_rng_seed(&r, 3);
  double s = 0, s2 = 0;
  int n = 200000;
  for (int i = 0; i < n; i++) {
    double z = zm_rng_normal(&r);
    s += z;
    s2 += z * z;
  }
  double mean = s / n, var = s2 / n - mean * mean;
  CHECK(fabs(mean) < 0.01);
  CHECK(fabs(var - 1.0) < 0.02);
}

static void test_permutation(void)
{
  zm_rng r;
  zm_rng_seed(&r, 5);
  size_t *p = NULL, *q = NULL;
  CHECK_EQ_INT(zm_rng_permutation(&p, &r, 1000), 0);
  char seen[1000] = {0};
  int ok = 1, moved = 0;
  for (size_t i = 0; i < 1000; i++) {
    ok &= p[i] < 1000 && !seen[p[i]];
    seen[p[i] < 1000 ? p[i] : 0] = 1;
    moved += p[i] != i;
  }
  CHECK(ok);
  CHECK(moved > 900);
  zm_rng_seed(&r, 5);
  CHECK_EQ_INT(zm_rng_permutation(&q, &r, 1000), 0);
  CHECK(memcmp(p, q, 1000 * sizeof *p) == 0);
  free(p);
  free(q);
  CHECK_EQ_INT(zm_rng_permutation(&p, &r, 0), 0);
  free(p);
}

/* The shuffle draws its swaps' partners ahead of the swaps: the result is
 * the textbook Fisher-Yates from the top with the same draws, at every size
 * around the look-ahead, and the generator ends in the same state. */
static void test_shuffle_is_fisher_yates(void)
{
  size_t sizes[] = {0, 1, 2, 3, 15, 16, 17, 33, 1000};
  for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
    size_t n = sizes[k], a[1000], b[1000];
    for (size_t i = 0; i < n; i++)
      a[i] = b[i] = i * 7 + 1;
    zm_rng r1, r2;
    zm_rng_seed(&r1, 11 + k);
    zm_rng_seed(&r2, 11 + k);
    zm_rng_shuffle(&r1, a, n);
    for (size_t i = n; i > 1; i--) {
      size_t j = (size_t)zm_rng_below(&r2, i), t = b[i - 1];
      b[i - 1] = b[j];
      b[j] = t;
    }
    CHECK(n == 0 || memcmp(a, b, n * sizeof *a) == 0);
    CHECK(zm_rng_next(&r1) == zm_rng_next(&r2));
  }
}

int main(void)
{
  RUN(test_reference_stream);
  RUN(test_shuffle_is_fisher_yates);
  RUN(test_same_seed_same_stream);
  RUN(test_uniform_and_below);
  RUN(test_normal_moments);
  RUN(test_permutation);
  return CHECK_DONE();
}
