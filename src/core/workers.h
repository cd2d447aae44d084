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

/* Run fn(arg) on up to n threads (at most 64), the calling thread being one
 * of them, and wait for them all: for workers that take their items from a
 * shared counter. Fewer run when a thread cannot be created. */
void zm_workers_run(void *(*fn)(void *), void *arg, size_t n);

#endif
