/* Random splits with exact sizes, and partitioning a frame by assignment. */
#include "frame/split.h"
#include "frame/backed.h"
#include "frame/internal.h"
#include "core/error.h"
#include "core/rng.h"
#include "core/shardlog.h"
#include "core/workers.h"
#include "frame/framefile.h"
#include "frame/rowsel.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static int check_weights(const double *weights, size_t k, double *total)
{
  if (k == 0 || k > INT32_MAX)
    return zm_error_set(ZM_EINVALID, "a split needs at least one part (got %zu)", k);
  *total = 0;
  for (size_t j = 0; j < k; j++) {
    if (!isfinite(weights[j]) || weights[j] < 0)
      return zm_error_set(ZM_EINVALID, "split weight %zu is %g; expected a finite number >= 0",
                          j + 1, weights[j]);
    *total += weights[j];
  }
  if (!(*total > 0))
    return zm_error_set(ZM_EINVALID, "split weights sum to 0; at least one must be positive");
  return 0;
}

int zm_split_random(int *out_assign, size_t n, const double *weights, size_t k, uint64_t seed)
{
  double total = 0;
  int rc = check_weights(weights, k, &total);
  if (rc)
    return rc;
  zm_rng rng;
  zm_rng_seed(&rng, seed);
  size_t *perm;
  if ((rc = zm_rng_permutation(&perm, &rng, n)) != 0)
    return rc;
  double cum = 0;
  size_t start = 0;
  for (size_t j = 0; j < k; j++) {
    cum += weights[j];
    /* round half up on the cumulative share so sizes always add up to n */
    size_t end = j + 1 == k ? n : (size_t)floor((double)n * (cum / total) + 0.5);
    if (end > n)
      end = n;
    for (size_t i = start; i < end; i++)
      out_assign[perm[i]] = (int)j;
    if (end > start)
      start = end;
  }
  free(perm);
  return 0;
}

int zm_split_counts(size_t *out_counts, const int *assign, size_t n, size_t k)
{
  memset(out_counts, 0, k * sizeof *out_counts);
  for (size_t i = 0; i < n; i++) {
    int a = assign[i];
    if (a < -1 || (a >= 0 && (size_t)a >= k))
      return zm_error_set(ZM_EINVALID, "row %zu is assigned to part %d; expected -1 (drop) to %zu",
                          i + 1, a, k - 1);
    if (a >= 0)
      out_counts[a]++;
  }
  return 0;
}

/* Copy the nulls of src into the outputs (bitmaps allocated only where a null lands). */
static int scatter_nulls(zm_column **dst, const zm_column *src, const int *assign, size_t *pos,
                         size_t k)
{
  memset(pos, 0, k * sizeof *pos);
  for (size_t i = 0; i < src->len; i++) {
    int a = assign[i];
    if (a < 0)
      continue;
    size_t at = pos[a]++;
    if (zm_column_is_null(src, i)) {
      int rc = zm_column_set_null(dst[a], at);
      if (rc)
        return rc;
    }
  }
  return 0;
}

static void scatter_fixed(zm_column **dst, const zm_column *src, const int *assign, size_t *pos,
                          size_t k)
{
  memset(pos, 0, k * sizeof *pos);
  if (src->type == ZM_TYPE_BOOL) {
    const uint8_t *s = src->data;
    for (size_t i = 0; i < src->len; i++)
      if (assign[i] >= 0)
        ((uint8_t *)dst[assign[i]]->data)[pos[assign[i]]++] = s[i];
    return;
  }
  const uint64_t *s = src->data; /* float64 and int64 move as 8-byte words */
  for (size_t i = 0; i < src->len; i++)
    if (assign[i] >= 0)
      ((uint64_t *)dst[assign[i]]->data)[pos[assign[i]]++] = s[i];
}

static void scatter_strings(zm_column **dst, const zm_column *src, const int *assign,
                            size_t *pos, uint64_t *bpos, size_t k)
{
  memset(pos, 0, k * sizeof *pos);
  memset(bpos, 0, k * sizeof *bpos);
  const uint64_t *off = src->data;
  for (size_t i = 0; i < src->len; i++) {
    int a = assign[i];
    if (a < 0)
      continue;
    uint64_t len = off[i + 1] - off[i];
    ((uint64_t *)dst[a]->data)[pos[a]++] = bpos[a];
    memcpy(dst[a]->blob + bpos[a], src->blob + off[i], len);
    bpos[a] += len;
  }
  for (size_t j = 0; j < k; j++)
    ((uint64_t *)dst[j]->data)[pos[j]] = bpos[j];
}

/* The columns of every part, like f's: part j's string columns sized for
 * the bytes of its rows, and a null bitmap only where a null of f lands in
 * part j. shapes[j * ncol + c] describes column c of part j. */
static void part_shapes(zm_column *shapes, const zm_frame *f, const int *assign, size_t k)
{
  size_t n = f->ncol;
  for (size_t c = 0; c < n; c++) {
    const zm_column *src = &f->cols[c];
    for (size_t j = 0; j < k; j++)
      shapes[j * n + c] = (zm_column){.name = src->name, .type = src->type};
    if (src->type != ZM_TYPE_STR && !src->valid)
      continue; /* fixed width, no nulls: nothing per row to size */
    for (size_t i = 0; i < src->len; i++) {
      int a = assign[i];
      if (a < 0)
        continue;
      zm_column *d = &shapes[(size_t)a * n + c];
      if (src->type == ZM_TYPE_STR)
        d->blob_len += ((const uint64_t *)src->data)[i + 1] - ((const uint64_t *)src->data)[i];
      if (src->valid && !d->valid && zm_column_is_null(src, i))
        d->valid = src->valid; /* a flag here: this part needs a bitmap */
    }
  }
}

/* Parts at least this big are built in place in a store file when the store
 * registered one (frame/backed.h): storing them then copies nothing. */
#define SPILL_MIN_BYTES ((size_t)16 << 20)

/* Columns are moved on up to MAX_SCATTER threads (two unless a processing
 * backend says otherwise), each taking the next column not yet
 * taken: every column is copied whole by one thread, so the parts hold the
 * same bytes whichever thread moved what. Null bitmaps (allocated where a
 * null lands, and so able to fail) are filled afterwards on this thread. */
typedef struct scatter_job {
  zm_frame **outs;
  const zm_frame *f;
  const int *assign;
  size_t k;
  atomic_size_t next;
  zm_shardlog *log; /* the step's, for run show (core/shardlog.h) */
  int seq;
} scatter_job;

typedef struct scatter_worker {
  scatter_job *job;
  zm_column **dst; /* k entries each */
  size_t *pos;
  uint64_t *bpos;
} scatter_worker;

/* Frames smaller than this are moved on the calling thread alone. */
#define THREAD_CELLS ((size_t)1 << 20)

static void *scatter_columns(void *arg)
{
  scatter_worker *w = arg;
  scatter_job *job = w->job;
  zm_shard_timer timer;
  zm_shard_timer_start(&timer, job->log, "split", &job->seq);
  for (;; timer.items++) {
    size_t c = atomic_fetch_add(&job->next, 1);
    if (c >= job->f->ncol) {
      zm_shard_timer_stop(&timer);
      return NULL;
    }
    const zm_column *src = &job->f->cols[c];
    for (size_t j = 0; j < job->k; j++)
      w->dst[j] = &job->outs[j]->cols[c];
    if (src->type == ZM_TYPE_STR)
      scatter_strings(w->dst, src, job->assign, w->pos, w->bpos, job->k);
    else
      scatter_fixed(w->dst, src, job->assign, w->pos, job->k);
    if (!src->valid)
      zm_frame_forget_column(job->f, src); /* its rows live on in the parts */
  }
}

#define MAX_SCATTER 16

static void run_scatter(scatter_worker *w, size_t nw, const zm_frame *f)
{
  pthread_t thread[MAX_SCATTER];
  size_t started = 0;
  if (f->nrow * f->ncol >= THREAD_CELLS)
    for (; started + 1 < nw; started++)
      if (pthread_create(&thread[started], NULL, scatter_columns, &w[started + 1]) != 0)
        break;
  scatter_columns(&w[0]);
  for (size_t i = 0; i < started; i++)
    pthread_join(thread[i], NULL);
}

static int partition_columns(zm_frame **outs, const zm_frame *f, const int *assign, size_t k)
{
  int rc = ZM_ENOMEM;
  scatter_job job = {outs, f, assign, k, 0, zm_shardlog_current(), 0};
  scatter_worker w[MAX_SCATTER] = {{0}};
  size_t nw = (size_t)zm_workers_get(2);
  nw = nw > MAX_SCATTER ? MAX_SCATTER : nw > f->ncol ? (f->ncol > 0 ? f->ncol : 1) : nw;
  for (size_t t = 0; t < nw; t++) {
    w[t].job = &job;
    w[t].dst = malloc(k * sizeof *w[t].dst);
    w[t].pos = malloc(k * sizeof *w[t].pos);
    w[t].bpos = malloc(k * sizeof *w[t].bpos);
    if (!w[t].dst || !w[t].pos || !w[t].bpos) {
      zm_error_set(rc, "out of memory");
      goto done;
    }
  }
  rc = 0;
  run_scatter(w, nw, f);
  for (size_t c = 0; rc == 0 && c < f->ncol; c++) {
    const zm_column *src = &f->cols[c];
    if (!src->valid)
      continue;
    for (size_t j = 0; j < k; j++)
      w[0].dst[j] = &outs[j]->cols[c];
    rc = scatter_nulls(w[0].dst, src, assign, w[0].pos, k);
    zm_frame_forget_column(f, src);
  }
done:
  for (size_t t = 0; t < nw; t++) {
    free(w[t].dst);
    free(w[t].pos);
    free(w[t].bpos);
  }
  return rc;
}

int zm_frame_partition(zm_frame **outs, const zm_frame *f, const int *assign, size_t k)
{
  if (f->origin && !f->sel)
    return zm_rowsel_partition(outs, f, assign, k);
  memset(outs, 0, k * sizeof *outs);
  if (k == 0)
    return zm_error_set(ZM_EINVALID, "a partition needs at least one part");
  size_t *counts = malloc(k * sizeof *counts);
  if (!counts)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  zm_column *shapes = calloc(k * f->ncol + 1, sizeof *shapes);
  int rc = shapes ? zm_split_counts(counts, assign, f->nrow, k)
                  : zm_error_set(ZM_ENOMEM, "out of memory");
  if (rc == 0)
    part_shapes(shapes, f, assign, k);
  for (size_t j = 0; rc == 0 && j < k; j++)
    rc = zm_frame_new_shaped(&outs[j], counts[j], shapes + j * f->ncol, f->ncol,
                             SPILL_MIN_BYTES);
  free(shapes);
  if (rc == 0)
    rc = partition_columns(outs, f, assign, k);
  free(counts);
  if (rc)
    zm_frames_free(outs, k);
  return rc;
}
