/* A small seeded pseudo-random generator for every random step: splitmix64
 * expands the 64-bit seed into the state of xoshiro256** (Blackman & Vigna).
 *
 * Stability: the integer stream, zm_rng_uniform, zm_rng_below, zm_rng_shuffle
 * and zm_rng_permutation use only 64-bit integer arithmetic and exact
 * conversions, so a seed gives the same numbers on every platform, compiler
 * and run. zm_rng_normal (Marsaglia's polar method) also calls libm's log and
 * sqrt: sqrt is exact by IEEE-754, log is not required to be correctly
 * rounded, so normals are bit-stable on one libm (e.g. glibc on x86-64 and
 * arm64) and may differ in the last bit on another. Changing any of these
 * algorithms changes recorded results: do not. */
#ifndef ZM_CORE_RNG_H
#define ZM_CORE_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct zm_rng {
  uint64_t s[4];
  double spare;   /* the second normal of the polar method's pair */
  int has_spare;
} zm_rng;

/* Seed the generator; every seed (0 included) gives a valid distinct stream. */
void zm_rng_seed(zm_rng *rng, uint64_t seed);

/* The next 64 random bits. */
uint64_t zm_rng_next(zm_rng *rng);

/* A uniform double in [0, 1) with 53 random bits. */
double zm_rng_uniform(zm_rng *rng);

/* A uniform integer in [0, n) without modulo bias; 0 when n is 0. */
uint64_t zm_rng_below(zm_rng *rng, uint64_t n);

/* A standard normal deviate (mean 0, variance 1). */
double zm_rng_normal(zm_rng *rng);

/* Shuffle idx[0..n) in place (Fisher-Yates, from the top down). */
void zm_rng_shuffle(zm_rng *rng, size_t *idx, size_t n);

/* A random permutation of 0..n-1 in a new array (caller frees); ZM_ENOMEM. */
int zm_rng_permutation(size_t **out, zm_rng *rng, size_t n);

#endif
