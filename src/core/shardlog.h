/* The shards a step's data kernels ran: which kernel, which worker thread,
 * how many columns it took and for how long, so `zenml run show` can list
 * the shards of a step whose kernels split their columns over a processing
 * backend's workers. A step's thread opens a log; a kernel called on that
 * thread hands it to its worker threads, each of which adds its own line.
 * Lines of one kernel and worker add up over the kernel's calls. */
#ifndef ZM_CORE_SHARDLOG_H
#define ZM_CORE_SHARDLOG_H

#include <stddef.h>

typedef struct zm_shardlog zm_shardlog;

typedef struct zm_shardlog_line {
  char kernel[24];
  int worker; /* 1-based */
  size_t items;
  double seconds;
} zm_shardlog_line;

/* Open a log for the calling thread (replacing one it had); 0 or ZM_ENOMEM. */
int zm_shardlog_open(void);

/* The calling thread's log, or NULL: what a kernel hands its workers. */
zm_shardlog *zm_shardlog_current(void);

/* Close the calling thread's log; its lines in *out (free() them), their
 * count in *n (0 and NULL without a log). */
void zm_shardlog_close(zm_shardlog_line **out, size_t *n);

/* One worker's share of a kernel call, timed from start to stop. `log` may
 * be NULL (no step is listening): then nothing is kept. */
typedef struct zm_shard_timer {
  zm_shardlog *log;
  const char *kernel;
  int worker;
  size_t items;
  double t0;
} zm_shard_timer;

/* Start timing on a worker thread; `seq` numbers the workers of one call
 * (shared by them, starting at 0). */
void zm_shard_timer_start(zm_shard_timer *t, zm_shardlog *log, const char *kernel, int *seq);

/* Add the worker's line (its `items` counted by the caller). */
void zm_shard_timer_stop(zm_shard_timer *t);

#endif
