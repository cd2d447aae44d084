/* How many threads a data kernel (CSV parse, split, transform, frame
 * checksums) may use on behalf of the calling thread. A processing backend
 * sets it for the step running on that thread; kernels read it when they
 * start their threads. Kernels give the same bytes whatever the count (each
 * column, or each range of rows, is the work of one thread, and the pieces
 * are joined in a fixed order), so it changes time, never results. */
#ifndef ZM_CORE_WORKERS_H
#define ZM_CORE_WORKERS_H

#include <stddef.h>

/* Set the calling thread's worker count; 0 restores the kernels' defaults. */
void zm_workers_set(int n);

/* The calling thread's worker count, or `dflt` when none is set. */
int zm_workers_get(int dflt);

/* The calling thread's worker count, or this machine's cores when none is set. */
int zm_workers_or_cores(void);

/* Run run(arg, j) for j = 0..jobs-1 on up to `threads` threads (at most 64,
 * the caller's among them), each job once, taken in order from a shared
 * counter. Returns 0, or the error of the first failing job in job order
 * (its message set, its index in *failed when failed is not NULL); once a
 * job failed no new job starts (every earlier one has started already). */
int zm_jobs_run(size_t jobs, size_t threads, int (*run)(void *arg, size_t job), void *arg,
                size_t *failed);

#endif
