/* Random epoch orders that read memory nearly in sequence (see internal.h). */
#include "ml/internal.h"
#include "core/bigmem.h"
#include "core/error.h"
#include "core/workers.h"
#include "core/rng.h"
#include "frame/frame.h"
#include "frame/prefault.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
  BUCKET_BYTES = 512 * 1024,      /* fits in a core's L2 with room to spare */
  DIRECT_BYTES = 8 * 1024 * 1024, /* below this, random rows are cheap enough */
  BLOCK_ROWS = 256                /* rows taken from a source at a time */
};

/* The copy is written once in scattered order: its pages are faulted in
 * up front, on two threads, rather than one trap at a time while dealing. */
static float *alloc_rows(size_t n, size_t d)
{
  size_t bytes = n * d * sizeof(float);
  float *p = zm_big_malloc(bytes);
  if (p)
    zm_prefault(&(zm_span){p, bytes}, 1);
  return p;
}

static void narrow(float *to, const double *from, size_t n)
{
  for (size_t j = 0; j < n; j++)
    to[j] = (float)from[j];
}

static int alloc_buckets(zm_epoch *e, const zm_target *y)
{
  size_t n = e->n, nb = e->buckets;
  int ok = (e->copy = alloc_rows(n, e->d)) &&
           (e->start = calloc(nb + 1, sizeof *e->start)) &&
           (e->bucket_of = zm_big_malloc(n * sizeof *e->bucket_of)) &&
           (e->visit = malloc(nb * sizeof *e->visit)) &&
           (e->vstart = malloc((nb + 1) * sizeof *e->vstart));
  if (ok && y->labels)
    ok = (e->y.labels = e->labels = zm_big_malloc(n * sizeof *e->labels)) != NULL;
  else if (ok)
    ok = (e->y.values = e->values = zm_big_malloc(n * sizeof *e->values)) != NULL;
  return ok;
}

/* Rows [first, first + count) of the source: a pointer into X, or filled
 * into buf and checked finite (X was checked whole by the trainer). */
static int take_rows(const double **out, const zm_rows *rows, double *buf, size_t first,
                     size_t count)
{
  if (rows->X) {
    *out = rows->X + first * rows->d;
    return 0;
  }
  int rc = rows->fill(rows->ctx, buf, first, count);
  if (rc == 0)
    rc = zm__check_finite(buf, count, rows->d, first);
  *out = buf;
  return rc;
}

/* A small source's rows, in order, into copy. */
static int fill_in_order(zm_epoch *e, const zm_rows *rows)
{
  double *buf = rows->X ? NULL : malloc(BLOCK_ROWS * e->d * sizeof *buf);
  int rc = rows->X || buf ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t i0 = 0; rc == 0 && i0 < e->n; i0 += BLOCK_ROWS) {
    size_t count = e->n - i0 < BLOCK_ROWS ? e->n - i0 : BLOCK_ROWS;
    const double *x;
    if ((rc = take_rows(&x, rows, buf, i0, count)) == 0)
      narrow(e->copy + i0 * e->d, x, count * e->d);
  }
  free(buf);
  return rc;
}

static int deal_chunked(zm_epoch *e, const zm_rows *rows, zm_rng *rng, size_t threads,
                        int chunk_seeds);

int zm__epoch_init(zm_epoch *e, const zm_rows *rows, const zm_target *y, zm_rng *rng,
                   size_t threads)
{
  memset(e, 0, sizeof *e);
  size_t n = rows->n, d = rows->d, bytes = n * d * sizeof(float);
  e->n = n;
  e->d = d;
  e->y = e->y_src = *y;
  e->buckets = bytes <= DIRECT_BYTES ? 1 : (bytes + BUCKET_BYTES - 1) / BUCKET_BYTES;
  int ok = (e->order = zm_big_malloc(n * sizeof *e->order)) != NULL;
  if (ok && e->buckets > 1)
    ok = alloc_buckets(e, y);
  else if (ok)
    ok = (e->copy = alloc_rows(n, d)) != NULL;
  if (!ok) {
    zm__epoch_free(e);
    return zm_error_set(ZM_ENOMEM, "out of memory for the row order of %zu x %zu", n, d);
  }
  for (size_t i = 0; i < n; i++)
    e->order[i] = i;
  int rc = e->buckets > 1 ? deal_chunked(e, rows, rng, threads, 0) : fill_in_order(e, rows);
  if (rc)
    zm__epoch_free(e);
  return rc;
}

/* Dealing on several threads: the rows are cut into chunks of
 * DEAL_CHUNK_ROWS. zm__epoch_init_chunked's chunk c draws its rows' buckets
 * from a generator of its own, seeded from rng in chunk order;
 * zm__epoch_init draws them all from rng, row by row, on one thread (a few
 * ms). A bucket holds its rows by chunk, then by row: in row order. Either
 * way the layout depends on the rows and the seed only, never on the thread
 * count, and the copying (the costly part) runs on the workers. */
enum { DEAL_CHUNK_ROWS = ZM_ROWS_CHUNK };

typedef struct deal_plan {
  zm_epoch *e;
  const zm_rows *rows;
  uint64_t *seeds; /* one a chunk */
  size_t *at;      /* chunks x buckets: rows counted, then the next place */
} deal_plan;

static size_t chunk_end(const zm_epoch *e, size_t c)
{
  size_t end = (c + 1) * DEAL_CHUNK_ROWS;
  return end < e->n ? end : e->n;
}

static int draw_chunk(void *arg, size_t c)
{
  deal_plan *p = arg;
  zm_epoch *e = p->e;
  size_t nb = e->buckets, *count = p->at + c * nb;
  zm_rng rng;
  zm_rng_seed(&rng, p->seeds[c]);
  for (size_t i = c * DEAL_CHUNK_ROWS; i < chunk_end(e, c); i++) {
    e->bucket_of[i] = (uint32_t)zm_rng_below(&rng, nb);
    count[e->bucket_of[i]]++;
  }
  return 0;
}

/* Rows taken from a source at a time by copy_chunk (a chunk in order). */
enum { FILL_ROWS = 4096 };

static int copy_chunk(void *arg, size_t c)
{
  deal_plan *p = arg;
  zm_epoch *e = p->e;
  const zm_rows *rows = p->rows;
  size_t d = e->d, *at = p->at + c * e->buckets, end = chunk_end(e, c);
  double *buf = rows->X ? NULL : malloc(FILL_ROWS * d * sizeof *buf);
  if (!rows->X && !buf)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  int rc = 0;
  for (size_t i0 = c * DEAL_CHUNK_ROWS; rc == 0 && i0 < end; i0 += FILL_ROWS) {
    size_t count = end - i0 < FILL_ROWS ? end - i0 : FILL_ROWS;
    const double *x = rows->X ? rows->X + i0 * d : buf;
    if (!rows->X) {
      rc = (rows->fill_any ? rows->fill_any : rows->fill)(rows->ctx, buf, i0, count);
      if (rc == 0)
        rc = zm__check_finite(buf, count, d, i0);
    }
    for (size_t i = i0; rc == 0 && i < i0 + count; i++) {
      size_t to = at[e->bucket_of[i]]++;
      narrow(e->copy + to * d, x + (i - i0) * d, d);
      if (e->labels)
        e->labels[to] = e->y_src.labels[i];
      else
        e->values[to] = e->y_src.values[i];
    }
  }
  free(buf);
  return rc;
}

/* Counts to places: bucket by bucket, chunk by chunk within a bucket. */
static void place_chunks(zm_epoch *e, size_t *at, size_t chunks)
{
  size_t next = 0, nb = e->buckets;
  for (size_t b = 0; b < nb; b++) {
    e->start[b] = next;
    for (size_t c = 0; c < chunks; c++) {
      size_t count = at[c * nb + b];
      at[c * nb + b] = next;
      next += count;
    }
  }
  e->start[nb] = next;
}

/* Every row's bucket from rng in row order, counted by chunk. */
static void draw_in_order(deal_plan *p, zm_rng *rng)
{
  zm_epoch *e = p->e;
  size_t nb = e->buckets;
  for (size_t i = 0; i < e->n; i++) {
    e->bucket_of[i] = (uint32_t)zm_rng_below(rng, nb);
    p->at[i / DEAL_CHUNK_ROWS * nb + e->bucket_of[i]]++;
  }
}

static int deal_chunked(zm_epoch *e, const zm_rows *rows, zm_rng *rng, size_t threads,
                        int chunk_seeds)
{
  size_t chunks = (e->n + DEAL_CHUNK_ROWS - 1) / DEAL_CHUNK_ROWS;
  deal_plan p = {e, rows, malloc(chunks * sizeof *p.seeds), calloc(chunks * e->buckets,
                                                                   sizeof *p.at)};
  int rc = p.seeds && p.at ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t c = 0; rc == 0 && chunk_seeds && c < chunks; c++)
    p.seeds[c] = zm_rng_next(rng);
  if (rc == 0 && chunk_seeds)
    rc = zm_jobs_run(chunks, threads, draw_chunk, &p, NULL);
  else if (rc == 0)
    draw_in_order(&p, rng);
  if (rc == 0)
    place_chunks(e, p.at, chunks);
  /* a source that fills only in order gets its chunks in order on one thread */
  if (rc == 0)
    rc = zm_jobs_run(chunks, rows->X || rows->fill_any ? threads : 1, copy_chunk, &p, NULL);
  free(p.seeds);
  free(p.at);
  return rc;
}

int zm__epoch_init_chunked(zm_epoch *e, const zm_rows *rows, const zm_target *y, zm_rng *rng,
                           size_t min_buckets, size_t threads)
{
  memset(e, 0, sizeof *e);
  size_t n = rows->n, d = rows->d, bytes = n * d * sizeof(float);
  e->n = n;
  e->d = d;
  e->y = e->y_src = *y;
  e->buckets = (bytes + BUCKET_BYTES - 1) / BUCKET_BYTES;
  if (e->buckets < min_buckets)
    e->buckets = min_buckets;
  if (e->buckets > n)
    e->buckets = n;
  if (!alloc_buckets(e, y)) {
    zm__epoch_free(e);
    return zm_error_set(ZM_ENOMEM, "out of memory for the rows of %zu x %zu", n, d);
  }
  int rc = deal_chunked(e, rows, rng, threads, 1);
  if (rc)
    zm__epoch_free(e);
  return rc;
}

int zm__epoch_view(zm_epoch *v, const zm_epoch *whole, size_t b0, size_t b1)
{
  memset(v, 0, sizeof *v);
  size_t nb = b1 - b0, n = whole->start[b1] - whole->start[b0];
  v->n = n;
  v->d = whole->d;
  v->buckets = nb;
  v->copy = whole->copy;
  v->y = whole->y;
  v->start = whole->start + b0;
  v->order = zm_big_malloc(n * sizeof *v->order);
  v->visit = malloc(nb * sizeof *v->visit);
  v->vstart = malloc((nb + 1) * sizeof *v->vstart);
  if (!v->order || !v->visit || !v->vstart) {
    zm__epoch_view_free(v);
    return zm_error_set(ZM_ENOMEM, "out of memory for the row order of %zu rows", n);
  }
  for (size_t i = 0; i < n; i++) /* one bucket: the order is shuffled in place */
    v->order[i] = whole->start[b0] + i;
  return 0;
}

void zm__epoch_view_free(zm_epoch *v)
{
  free(v->order);
  free(v->visit);
  free(v->vstart);
  memset(v, 0, sizeof *v);
}

void zm__epoch_next(zm_epoch *e, zm_rng *rng)
{
  if (e->buckets == 1) {
    zm_rng_shuffle(rng, e->order, e->n);
    return;
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

void zm__epoch_warm(zm_epoch *e, size_t upto)
{
  volatile double sink = 0;
  if (e->buckets == 1)
    return;
  while (e->warmed < e->buckets && e->vstart[e->warmed] < upto) {
    size_t b = e->visit[e->warmed++], d = e->d;
    const float *p = e->copy + e->start[b] * d, *end = e->copy + e->start[b + 1] * d;
    double s = 0;
    for (; p < end; p += 16) /* one read per 64-byte line */
      s += *p;
    sink = s;
  }
  (void)sink;
}

const float *zm__epoch_base(const zm_epoch *e)
{
  return e->copy;
}

const zm_target *zm__epoch_target(const zm_epoch *e)
{
  return &e->y;
}

void zm__epoch_free(zm_epoch *e)
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
