/* The shards a step's data kernels ran (see shardlog.h). */
#include "core/shardlog.h"
#include "core/error.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct zm_shardlog {
  pthread_mutex_t lock;
  zm_shardlog_line *lines;
  size_t n, cap;
};

static _Thread_local zm_shardlog *current;

static void release(zm_shardlog *log)
{
  if (!log)
    return;
  pthread_mutex_destroy(&log->lock);
  free(log->lines);
  free(log);
}

int zm_shardlog_open(void)
{
  zm_shardlog *log = calloc(1, sizeof *log);
  if (!log || pthread_mutex_init(&log->lock, NULL) != 0) {
    free(log);
    return zm_error_set(ZM_ENOMEM, "out of memory");
  }
  release(current);
  current = log;
  return 0;
}

zm_shardlog *zm_shardlog_current(void)
{
  return current;
}

void zm_shardlog_close(zm_shardlog_line **out, size_t *n)
{
  *out = NULL;
  *n = 0;
  if (!current)
    return;
  *out = current->lines;
  *n = current->n;
  current->lines = NULL;
  release(current);
  current = NULL;
}

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void zm_shard_timer_start(zm_shard_timer *t, zm_shardlog *log, const char *kernel, int *seq)
{
  t->log = log;
  t->kernel = kernel;
  t->worker = log ? __atomic_fetch_add(seq, 1, __ATOMIC_RELAXED) + 1 : 0;
  t->items = 0;
  t->t0 = log ? now() : 0;
}

/* The line of (kernel, worker), added when new; NULL when out of memory. */
static zm_shardlog_line *line_of(zm_shardlog *log, const char *kernel, int worker)
{
  for (size_t i = 0; i < log->n; i++)
    if (log->lines[i].worker == worker && strcmp(log->lines[i].kernel, kernel) == 0)
      return &log->lines[i];
  if (log->n == log->cap) {
    size_t cap = log->cap ? log->cap * 2 : 8;
    zm_shardlog_line *grown = realloc(log->lines, cap * sizeof *grown);
    if (!grown)
      return NULL;
    log->lines = grown;
    log->cap = cap;
  }
  zm_shardlog_line *l = &log->lines[log->n++];
  memset(l, 0, sizeof *l);
  strncpy(l->kernel, kernel, sizeof l->kernel - 1);
  l->worker = worker;
  return l;
}

void zm_shard_timer_stop(zm_shard_timer *t)
{
  if (!t->log)
    return;
  double seconds = now() - t->t0;
  pthread_mutex_lock(&t->log->lock);
  zm_shardlog_line *l = line_of(t->log, t->kernel, t->worker);
  if (l) { /* a line lost to a failed allocation only shortens the listing */
    l->items += t->items;
    l->seconds += seconds;
  }
  pthread_mutex_unlock(&t->log->lock);
}
