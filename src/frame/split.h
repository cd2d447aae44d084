/* Splitting a frame's rows into named parts: a seeded random assignment with
 * exact sizes, and a one-pass partition of the rows by assignment. */
#ifndef ZM_FRAME_SPLIT_H
#define ZM_FRAME_SPLIT_H

#include "frame/frame.h"

#include <stddef.h>
#include <stdint.h>

/* Assign each of n rows to one of k splits in out_assign[n]: the rows are
 * shuffled with the seeded rng and cut at the rounded cumulative fractions of
 * weights[k] (non-negative, finite, summing above 0; they need not sum to 1),
 * so split j gets exactly round(n*W_j/W) - round(n*W_{j-1}/W) rows where W_j
 * is the sum of the first j weights. The same seed gives the same assignment. */
int zm_split_random(int *out_assign, size_t n, const double *weights, size_t k, uint64_t seed);

/* Rows per split of assign[n] (values -1 .. k-1) into out_counts[k];
 * ZM_EINVALID for a value outside that range (names the row). */
int zm_split_counts(size_t *out_counts, const int *assign, size_t n, size_t k);

/* k new frames outs[0..k) with the rows of f whose assign[i] is j, in row
 * order; assign[i] == -1 drops row i. One pass per column. On failure every
 * outs[j] is NULL. When f maps a stored artifact (zm_frame_set_origin),
 * the parts are row selections of it instead (frame/rowsel.h): nothing is
 * copied. */
int zm_frame_partition(zm_frame **outs, const zm_frame *f, const int *assign, size_t k);

#endif
