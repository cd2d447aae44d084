/* Shared between the scheduler's files; not part of the public face. */
#ifndef ZM_EXEC_INTERNAL_H
#define ZM_EXEC_INTERNAL_H

#include "exec/exec.h"

/* The reverse edges: the nodes that need node i are
 * edges[off[i]] .. edges[off[i + 1] - 1], in increasing index order. */
typedef struct exec_adj {
  size_t *off;
  size_t *edges;
} exec_adj;

/* Build the reverse edges of a DAG whose indices were checked. */
int exec_adj_build(exec_adj *out, const zm_exec_dag *dag);

void exec_adj_free(exec_adj *adj);

/* A min-heap of node indices: the ready queue, lowest index first. */
typedef struct exec_heap {
  size_t *v;
  size_t n;
} exec_heap;

void exec_heap_push(exec_heap *h, size_t x);
size_t exec_heap_pop(exec_heap *h);

/* Seconds since the epoch. */
double exec_now(void);

#endif
