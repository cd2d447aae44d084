#include "core/rng.h"
#include "core/bigmem.h"
#include "core/error.h"

#include <math.h>
#include <stdlib.h>

static uint64_t splitmix64(uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

void zm_rng_seed(zm_rng *rng, uint64_t seed)
{
  uint64_t x = seed;
  for (int i = 0; i < 4; i++)
    rng->s[i] = splitmix64(&x);
  rng->spare = 0.0;
  rng->has_spare = 0;
}

uint64_t zm_rng_next(zm_rng *rng)
{
  uint64_t *s = rng->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double zm_rng_uniform(zm_rng *rng)
{
  return (double)(zm_rng_next(rng) >> 11) * 0x1.0p-53;
}

uint64_t zm_rng_below(zm_rng *rng, uint64_t n)
{
  if (n == 0)
    return 0;
  /* Lemire's multiply-and-shift; the rare low products that would favour
   * some results are drawn again, so every result is equally likely. */
  unsigned __int128 m = (unsigned __int128)zm_rng_next(rng) * n;
  uint64_t low = (uint64_t)m;
  if (low < n) {
    uint64_t threshold = -n % n;
    while (low < threshold) {
      m = (unsigned __int128)zm_rng_next(rng) * n;
      low = (uint64_t)m;
    }
  }
  return (uint64_t)(m >> 64);
}

double zm_rng_normal(zm_rng *rng)
{
  if (rng->has_spare) {
    rng->has_spare = 0;
    return rng->spare;
  }
  double u, v, s;
  do {
    u = 2.0 * zm_rng_uniform(rng) - 1.0;
    v = 2.0 * zm_rng_uniform(rng) - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  double f = sqrt(-2.0 * log(s) / s);
  rng->spare = v * f;
  rng->has_spare = 1;
  return u * f;
}

/* Fisher-Yates from the top. The draws do not depend on the array, so
 * each swap's partner is drawn AHEAD swaps early (the same draws in the
 * same order) and its slot fetched meanwhile: a big array's random slots
 * then arrive from memory while earlier swaps run, not one after another. */
enum { AHEAD = 16 };

void zm_rng_shuffle(zm_rng *rng, size_t *idx, size_t n)
{
  size_t partner[AHEAD];
  size_t drawn = n; /* the next step (i) without a partner yet */
  for (size_t i = n; i > 1; i--) {
    for (; drawn > 1 && drawn + AHEAD > i; drawn--) {
      partner[drawn % AHEAD] = (size_t)zm_rng_below(rng, drawn);
      __builtin_prefetch(&idx[partner[drawn % AHEAD]], 1);
    }
    size_t j = partner[i % AHEAD];
    size_t t = idx[i - 1];
    idx[i - 1] = idx[j];
    idx[j] = t;
  }
}

int zm_rng_permutation(size_t **out, zm_rng *rng, size_t n)
{
  *out = NULL;
  size_t *idx = zm_big_malloc(n * sizeof *idx);
  if (!idx)
    return zm_error_set(ZM_ENOMEM, "out of memory for a permutation of %zu", n);
  for (size_t i = 0; i < n; i++)
    idx[i] = i;
  zm_rng_shuffle(rng, idx, n);
  *out = idx;
  return 0;
}
