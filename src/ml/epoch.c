/* Random epoch orders that read memory nearly in sequence (see internal.h). */
#include "ml/internal.h"
#include "core/error.h"
#include "core/rng.h"

#include <stdlib.h>
#include <string.h>

enum {
  BUCKET_BYTES = 512 * 1024,     /* fits in a core's L2 with room to spare */
  DIRECT_BYTES = 8 * 1024 * 1024 /* below this, random rows are cheap enough */
};

int zm_epoch_init(zm_epoch *e, const double *X, size_t n, size_t d, const zm_target *y)
{
  memset(e, 0, sizeof *e);
  e->X = X;
  e->n = n;
  e->d = d;
  e->y = e->y_src = *y;
  size_t bytes = n * d * sizeof(double);
  e->buckets = bytes <= DIRECT_BYTES ? 1 : (bytes + BUCKET_BYTES - 1) / BUCKET_BYTES;
  e->order = malloc((n ? n : 1) * sizeof *e->order);
  int ok = e->order != NULL;
  if (ok && e->buckets > 1) {
    ok = (e->copy = malloc(bytes)) &&
         (e->start = calloc(e->buckets + 1, sizeof *e->start)) &&
         (e->bucket_of = malloc(n * sizeof *e->bucket_of)) &&
         (e->visit = malloc(e->buckets * sizeof *e->visit)) &&
         (e->vstart = malloc((e->buckets + 1) * sizeof *e->vstart));
    if (ok && y->labels)
      ok = (e->y.labels = e->labels = malloc(n * sizeof *e->labels)) != NULL;
    else if (ok)
      ok = (e->y.values = e->values = malloc(n * sizeof *e->values)) != NULL;
  }
  if (!ok) {
    zm_epoch_free(e);
    return zm_error_set(ZM_ENOMEM, "out of memory for the row order of %zu x %zu", n, d);
  }
  for (size_t i = 0; i < n; i++)
    e->order[i] = i;
  return 0;
}

/* Each row to a random bucket, copied there in one pass over X. */
static void regroup(zm_epoch *e, zm_rng *rng)
{
  size_t nb = e->buckets, d = e->d, *start = e->start;
  memset(start, 0, (nb + 1) * sizeof *start);
  for (size_t i = 0; i < e->n; i++) {
    e->bucket_of[i] = (uint32_t)zm_rng_below(rng, nb);
    start[e->bucket_of[i] + 1]++;
  }
  for (size_t b = 0; b < nb; b++)
    start[b + 1] += start[b];
  for (size_t i = 0; i < e->n; i++) {
    size_t p = start[e->bucket_of[i]]++; /* start[b] becomes bucket b's end */
    memcpy(e->copy + p * d, e->X + i * d, d * sizeof(double));
    if (e->labels)
      e->labels[p] = e->y_src.labels[i];
    else
      e->values[p] = e->y_src.values[i];
  }
  for (size_t b = nb; b > 0; b--) /* shift the ends back into starts */
    start[b] = start[b - 1];
  start[0] = 0;
}

void zm_epoch_next(zm_epoch *e, zm_rng *rng)
{
  if (e->buckets == 1) {
    zm_rng_shuffle(rng, e->order, e->n);
    return;
  }
  if (!e->dealt) {
    regroup(e, rng);
    e->dealt = 1;
  }
  for (size_t k = 0; k < e->buckets; k++)
    e->visit[k] = k;
  zm_rng_shuffle(rng, e->visit, e->buckets);
  size_t at = 0;
  for (size_t k = 0; k < e->buckets; k++) {
    size_t b = e->visit[k], lo = e->start[b], hi = e->start[b + 1];
    e->vstart[k] = at;
    for (size_t p = lo; p < hi; p++)
      e->order[at + p - lo] = p;
    zm_rng_shuffle(rng, e->order + at, hi - lo);
    at += hi - lo;
  }
  e->vstart[e->buckets] = at;
  e->warmed = 0;
}

void zm_epoch_warm(zm_epoch *e, size_t upto)
{
  volatile double sink = 0;
  if (!e->copy)
    return;
  while (e->warmed < e->buckets && e->vstart[e->warmed] < upto) {
    size_t b = e->visit[e->warmed++], d = e->d;
    const double *p = e->copy + e->start[b] * d, *end = e->copy + e->start[b + 1] * d;
    double s = 0;
    for (; p < end; p += 8) /* one read per 64-byte line */
      s += *p;
    sink = s;
  }
  (void)sink;
}

const double *zm_epoch_base(const zm_epoch *e)
{
  return e->copy ? e->copy : e->X;
}

const zm_target *zm_epoch_target(const zm_epoch *e)
{
  return &e->y;
}

void zm_epoch_free(zm_epoch *e)
{
  free(e->copy);
  free(e->order);
  free(e->start);
  free(e->bucket_of);
  free(e->visit);
  free(e->vstart);
  free(e->labels);
  free(e->values);
  memset(e, 0, sizeof *e);
}
