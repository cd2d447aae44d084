/* The scheduler: runs a DAG of nodes on worker threads, each node as soon as
 * its dependencies completed, and maps a function over items on threads.
 * It knows nothing of Lua: the work is a callback, and a worker's private
 * state (a lua_State in the bindings) is made by the init callback on the
 * worker's own thread. Results come back as C strings. */
#ifndef ZM_EXEC_H
#define ZM_EXEC_H

#include <stdatomic.h>
#include <stddef.h>

/* One node: a name (for messages) and the indices of the nodes it needs. */
typedef struct zm_exec_node {
  const char *name;
  const size_t *deps;
  size_t ndeps;
} zm_exec_node;

/* A DAG is an array of nodes; the caller owns all of it. */
typedef struct zm_exec_dag {
  const zm_exec_node *nodes;
  size_t n;
} zm_exec_dag;

typedef enum zm_exec_status {
  ZM_EXEC_PENDING = 0, /* not run yet (only seen while a run is going on) */
  ZM_EXEC_COMPLETED,   /* the task returned 0 */
  ZM_EXEC_FAILED,      /* the task returned an error */
  ZM_EXEC_SKIPPED,     /* a node it needs failed or was skipped */
  ZM_EXEC_CANCELLED,   /* never started because the run was cancelled */
} zm_exec_status;

typedef enum zm_exec_event_kind {
  ZM_EXEC_START, /* a worker is about to run the node */
  ZM_EXEC_DONE,  /* the node reached its final status (skipped ones too) */
} zm_exec_event_kind;

/* What the event hook sees: a copy, so it never races with the workers. */
typedef struct zm_exec_event {
  size_t node;
  zm_exec_event_kind kind;
  zm_exec_status status; /* ZM_EXEC_PENDING for START */
  int worker;            /* -1 for a skipped node */
  double time;           /* seconds since the epoch */
} zm_exec_event;

/* Run node `node` on worker `worker`. `deps[k]` is the result of the node's
 * k-th dependency (NULL when its task handed back none): what a node needs
 * from upstream comes from the scheduler, not from a store. Return 0 and
 * optionally a malloc'd result through *out, or a negative code: then *out,
 * if set, is a malloc'd error message, else zm_error_last() is. The
 * scheduler frees both. */
typedef int (*zm_exec_task_fn)(int worker, size_t node, const char *const *deps, void *ctx,
                               char **out);

/* Called once on each worker's own thread before (init) and after (fini) its
 * tasks. A failing init stops the run and zm_exec_run returns its error. */
typedef int (*zm_exec_init_fn)(int worker, void *ctx);
typedef void (*zm_exec_fini_fn)(int worker, void *ctx);

/* Called on the thread that called zm_exec_run, in the order events happen. */
typedef void (*zm_exec_event_fn)(const zm_exec_event *ev, void *ctx);

typedef struct zm_exec_opts {
  int nworkers; /* <= 0: one per online core; 1: all on the calling thread */
  zm_exec_task_fn task;
  zm_exec_init_fn init;   /* optional */
  zm_exec_fini_fn fini;   /* optional */
  zm_exec_event_fn event; /* optional */
  atomic_int *cancel;     /* optional; nonzero stops starting nodes (signal-safe) */
  void *ctx;
} zm_exec_opts;

typedef struct zm_exec_node_result {
  zm_exec_status status;
  char *result;   /* what the task handed back, or NULL */
  char *error;    /* why it failed, was skipped or cancelled; else NULL */
  double started; /* seconds since the epoch; 0 when it never ran */
  double ended;
  int worker; /* -1 when it never ran */
} zm_exec_node_result;

typedef struct zm_exec_result {
  size_t n;
  zm_exec_node_result *nodes; /* in the DAG's node order */
  int ok;                     /* every node completed */
  int cancelled;              /* the cancel flag stopped the run */
} zm_exec_result;

/* Check indices, self edges and cycles ("cycle: a -> b -> a", in the order
 * the work flows). 0 or ZM_EINVALID with the message. */
int zm_exec_dag_check(const zm_exec_dag *dag);

/* Run every node whose dependencies completed; a failure skips everything
 * downstream of it while independent branches go on (make -k). Returns 0
 * with *out filled even when nodes failed; an error only for a bad DAG or
 * options, a failed init, or no memory. */
int zm_exec_run(zm_exec_result **out, const zm_exec_dag *dag, const zm_exec_opts *opts);

/* Free a result from zm_exec_run; NULL is fine. */
void zm_exec_result_free(zm_exec_result *r);

/* "completed", "failed", "skipped", "cancelled" or "pending". */
const char *zm_exec_status_name(zm_exec_status s);

/* Per-item work for zm_exec_map: 0 or a negative code with zm_error_set. */
typedef int (*zm_exec_item_fn)(int worker, size_t item, void *ctx);

/* Call fn for items 0..n_items-1 spread over nworkers threads (<= 0: one per
 * core; 1: the calling thread). The first error wins: no new items start and
 * its code and message come back on the calling thread. */
int zm_exec_map(int nworkers, size_t n_items, zm_exec_item_fn fn, void *ctx);

/* The number of online cores (at least 1). */
int zm_exec_ncores(void);

#endif
