/* zm_exec_run: the DAG scheduler. One worker runs everything on the calling
 * thread; more workers share a ready queue (lowest index first) under one
 * mutex, and the calling thread drains an event queue so the event hook
 * always runs where the caller is. */
#include "exec/internal.h"
#include "core/error.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct sched {
  const zm_exec_dag *dag;
  const zm_exec_opts *opts;
  zm_exec_result *res;
  exec_adj adj;
  size_t *waiting; /* per node: dependencies not completed yet */
  size_t *stack;   /* scratch for skipping a failed node's downstream */
  exec_heap ready;
  size_t running;
  int stop; /* start no more nodes: cancelled, or a worker's init failed */
  int over; /* nothing runs and nothing more will start */
  int threaded;
  /* Only used with worker threads. */
  pthread_mutex_t lock;
  pthread_cond_t work_cv, main_cv;
  zm_exec_event *events;
  size_t ev_head, ev_tail;
  int init_rc;
  char *init_msg;
} sched;

typedef struct worker_arg {
  sched *s;
  int index;
} worker_arg;

const char *zm_exec_status_name(zm_exec_status s)
{
  switch (s) {
  case ZM_EXEC_COMPLETED: return "completed";
  case ZM_EXEC_FAILED: return "failed";
  case ZM_EXEC_SKIPPED: return "skipped";
  case ZM_EXEC_CANCELLED: return "cancelled";
  default: return "pending";
  }
}

void zm_exec_result_free(zm_exec_result *r)
{
  if (!r)
    return;
  for (size_t i = 0; i < r->n; i++) {
    free(r->nodes[i].result);
    free(r->nodes[i].error);
  }
  free(r->nodes);
  free(r);
}

static char *dup_or_null(const char *s)
{
  return s ? strdup(s) : NULL;
}

/* Queue an event for the calling thread, or call the hook right away when
 * we are the calling thread. Lock held when threaded. */
static void emit(sched *s, size_t node, zm_exec_event_kind kind, zm_exec_status st, int worker,
                 double t)
{
  if (!s->opts->event)
    return;
  zm_exec_event ev = {node, kind, st, worker, t};
  if (!s->threaded) {
    s->opts->event(&ev, s->opts->ctx);
    return;
  }
  s->events[s->ev_tail++] = ev;
  pthread_cond_signal(&s->main_cv);
}

static int cancel_requested(const sched *s)
{
  return s->opts->cancel && atomic_load(s->opts->cancel);
}

/* Pick the next ready node for `worker`; 0 when there is none to start. */
static int take(sched *s, int worker, size_t *out)
{
  if (!s->stop && cancel_requested(s))
    s->stop = 1;
  if (s->stop || !s->ready.n)
    return 0;
  size_t x = exec_heap_pop(&s->ready);
  zm_exec_node_result *r = &s->res->nodes[x];
  r->worker = worker;
  r->started = exec_now();
  s->running++;
  emit(s, x, ZM_EXEC_START, ZM_EXEC_PENDING, worker, r->started);
  *out = x;
  return 1;
}

/* Mark everything downstream of the failed node `root` skipped. Lock held. */
static void skip_downstream(sched *s, size_t root)
{
  size_t top = 0;
  s->stack[top++] = root;
  while (top) {
    size_t x = s->stack[--top];
    for (size_t e = s->adj.off[x]; e < s->adj.off[x + 1]; e++) {
      size_t d = s->adj.edges[e];
      zm_exec_node_result *r = &s->res->nodes[d];
      if (r->status != ZM_EXEC_PENDING)
        continue;
      r->status = ZM_EXEC_SKIPPED;
      const char *name = s->dag->nodes[root].name ? s->dag->nodes[root].name : "?";
      size_t cap = strlen(name) + 32;
      r->error = malloc(cap);
      if (r->error)
        snprintf(r->error, cap, "skipped because '%s' failed", name);
      emit(s, d, ZM_EXEC_DONE, ZM_EXEC_SKIPPED, -1, exec_now());
      s->stack[top++] = d;
    }
  }
}

/* Record node x's outcome and release or skip what waits on it. Lock held. */
static void finish(sched *s, size_t x, int rc, char *text)
{
  zm_exec_node_result *r = &s->res->nodes[x];
  r->ended = exec_now();
  r->status = rc ? ZM_EXEC_FAILED : ZM_EXEC_COMPLETED;
  if (rc)
    r->error = text;
  else
    r->result = text;
  s->running--;
  emit(s, x, ZM_EXEC_DONE, r->status, r->worker, r->ended);
  if (rc) {
    skip_downstream(s, x);
    return;
  }
  for (size_t e = s->adj.off[x]; e < s->adj.off[x + 1]; e++) {
    size_t d = s->adj.edges[e];
    if (--s->waiting[d] == 0 && s->res->nodes[d].status == ZM_EXEC_PENDING)
      exec_heap_push(&s->ready, d);
  }
}

/* Run node x's task outside the lock; the text is its result or error. Its
 * dependencies completed before x became ready (under the lock), so their
 * results are final and safe to read here. */
static int run_task(sched *s, int worker, size_t x, char **text)
{
  *text = NULL;
  const zm_exec_node *node = &s->dag->nodes[x];
  const char **deps = NULL;
  if (node->ndeps) {
    deps = malloc(node->ndeps * sizeof *deps);
    if (!deps)
      return zm_error_set(ZM_ENOMEM, "out of memory starting '%s'", node->name);
    for (size_t k = 0; k < node->ndeps; k++)
      deps[k] = s->res->nodes[node->deps[k]].result;
  }
  int rc = s->opts->task(worker, x, deps, s->opts->ctx, text);
  free(deps);
  if (rc && !*text)
    *text = dup_or_null(zm_error_last());
  if (rc >= 0 && rc)
    rc = ZM_ERROR;
  return rc;
}

static int run_serial(sched *s)
{
  const zm_exec_opts *o = s->opts;
  if (o->init) {
    int rc = o->init(0, o->ctx);
    if (rc)
      return rc;
  }
  size_t x;
  while (take(s, 0, &x)) {
    char *text;
    int rc = run_task(s, 0, x, &text);
    finish(s, x, rc, text);
  }
  if (o->fini)
    o->fini(0, o->ctx);
  return 0;
}

/* Lock held: once nothing runs and nothing can start, wake everyone. */
static void check_over(sched *s)
{
  if (s->over || s->running || (!s->stop && s->ready.n))
    return;
  s->over = 1;
  pthread_cond_broadcast(&s->work_cv);
  pthread_cond_signal(&s->main_cv);
}

static void init_failed(sched *s, int rc)
{
  char *msg = dup_or_null(zm_error_last());
  pthread_mutex_lock(&s->lock);
  if (!s->init_rc) {
    s->init_rc = rc;
    s->init_msg = msg;
    msg = NULL;
  }
  s->stop = 1;
  check_over(s);
  pthread_mutex_unlock(&s->lock);
  free(msg);
}

static void *worker_main(void *p)
{
  worker_arg *a = p;
  sched *s = a->s;
  const zm_exec_opts *o = s->opts;
  if (o->init) {
    int rc = o->init(a->index, o->ctx);
    if (rc) {
      init_failed(s, rc);
      return NULL;
    }
  }
  pthread_mutex_lock(&s->lock);
  for (;;) {
    size_t x;
    if (take(s, a->index, &x)) {
      pthread_mutex_unlock(&s->lock);
      char *text;
      int rc = run_task(s, a->index, x, &text);
      pthread_mutex_lock(&s->lock);
      finish(s, x, rc, text);
      /* This worker takes one of the newly ready nodes itself. */
      if (s->ready.n > 1)
        pthread_cond_broadcast(&s->work_cv);
      check_over(s);
      continue;
    }
    check_over(s);
    if (s->over)
      break;
    pthread_cond_wait(&s->work_cv, &s->lock);
  }
  pthread_mutex_unlock(&s->lock);
  if (o->fini)
    o->fini(a->index, o->ctx);
  return NULL;
}

/* Hand queued events to the hook on this (the calling) thread until the run
 * is over; poll the cancel flag, which a signal handler cannot signal. */
static void pump_events(sched *s)
{
  pthread_mutex_lock(&s->lock);
  for (;;) {
    while (s->ev_head < s->ev_tail) {
      zm_exec_event ev = s->events[s->ev_head++];
      pthread_mutex_unlock(&s->lock);
      s->opts->event(&ev, s->opts->ctx);
      pthread_mutex_lock(&s->lock);
    }
    if (s->over)
      break;
    if (!s->stop && cancel_requested(s)) {
      s->stop = 1;
      check_over(s);
      continue;
    }
    if (s->opts->cancel) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_nsec += 20 * 1000000L;
      if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
      }
      pthread_cond_timedwait(&s->main_cv, &s->lock, &ts);
    } else {
      pthread_cond_wait(&s->main_cv, &s->lock);
    }
  }
  pthread_mutex_unlock(&s->lock);
}

static int run_threaded(sched *s, int nworkers)
{
  int rc = 0, started = 0;
  pthread_t *tids = calloc((size_t)nworkers, sizeof *tids);
  worker_arg *args = calloc((size_t)nworkers, sizeof *args);
  s->events = s->opts->event ? calloc(2 * s->dag->n, sizeof *s->events) : NULL;
  if (!tids || !args || (s->opts->event && !s->events)) {
    rc = zm_error_set(ZM_ENOMEM, "out of memory starting %d workers", nworkers);
    goto done;
  }
  s->threaded = 1;
  pthread_mutex_init(&s->lock, NULL);
  pthread_cond_init(&s->work_cv, NULL);
  pthread_cond_init(&s->main_cv, NULL);
  for (; started < nworkers; started++) {
    args[started] = (worker_arg){s, started};
    if (pthread_create(&tids[started], NULL, worker_main, &args[started]) != 0)
      break;
  }
  if (!started) {
    rc = zm_error_sys(ZM_ERROR, "cannot start a worker thread");
    goto destroy;
  }
  pump_events(s);
  for (int i = 0; i < started; i++)
    pthread_join(tids[i], NULL);
  if (s->init_rc)
    rc = zm_error_set(s->init_rc, "%s", s->init_msg ? s->init_msg : "worker init failed");
destroy:
  pthread_cond_destroy(&s->main_cv);
  pthread_cond_destroy(&s->work_cv);
  pthread_mutex_destroy(&s->lock);
done:
  free(s->init_msg);
  free(s->events);
  free(args);
  free(tids);
  return rc;
}

/* After the run: what never started was cancelled; every node gets a DONE. */
static void settle(sched *s)
{
  zm_exec_result *res = s->res;
  res->ok = 1;
  for (size_t i = 0; i < res->n; i++) {
    zm_exec_node_result *r = &res->nodes[i];
    if (r->status == ZM_EXEC_PENDING) {
      r->status = ZM_EXEC_CANCELLED;
      r->error = strdup("cancelled");
      if (s->opts->event) {
        zm_exec_event ev = {i, ZM_EXEC_DONE, ZM_EXEC_CANCELLED, -1, exec_now()};
        s->opts->event(&ev, s->opts->ctx);
      }
    }
    if (r->status != ZM_EXEC_COMPLETED)
      res->ok = 0;
  }
  res->cancelled = s->stop;
}

static int sched_init(sched *s, const zm_exec_dag *dag, const zm_exec_opts *opts)
{
  memset(s, 0, sizeof *s);
  s->dag = dag;
  s->opts = opts;
  s->res = calloc(1, sizeof *s->res);
  s->waiting = malloc((dag->n + 1) * sizeof *s->waiting);
  s->stack = malloc((dag->n + 1) * sizeof *s->stack);
  s->ready.v = malloc((dag->n + 1) * sizeof *s->ready.v);
  if (!s->res || !s->waiting || !s->stack || !s->ready.v)
    return zm_error_set(ZM_ENOMEM, "out of memory scheduling %zu nodes", dag->n);
  s->res->n = dag->n;
  s->res->nodes = calloc(dag->n + 1, sizeof *s->res->nodes);
  if (!s->res->nodes)
    return zm_error_set(ZM_ENOMEM, "out of memory scheduling %zu nodes", dag->n);
  int rc = exec_adj_build(&s->adj, dag);
  if (rc)
    return rc;
  for (size_t i = 0; i < dag->n; i++) {
    s->res->nodes[i].worker = -1;
    s->waiting[i] = dag->nodes[i].ndeps;
    if (!s->waiting[i])
      exec_heap_push(&s->ready, i);
  }
  return 0;
}

static void sched_free(sched *s)
{
  zm_exec_result_free(s->res);
  exec_adj_free(&s->adj);
  free(s->waiting);
  free(s->stack);
  free(s->ready.v);
}

int zm_exec_run(zm_exec_result **out, const zm_exec_dag *dag, const zm_exec_opts *opts)
{
  *out = NULL;
  if (!opts || !opts->task)
    return zm_error_set(ZM_EINVALID, "no task function given");
  int rc = zm_exec_dag_check(dag);
  if (rc)
    return rc;
  sched s;
  rc = sched_init(&s, dag, opts);
  if (rc)
    goto done;
  int nworkers = opts->nworkers > 0 ? opts->nworkers : zm_exec_ncores();
  if ((size_t)nworkers > dag->n)
    nworkers = dag->n ? (int)dag->n : 1;
  /* No nodes, no workers: an empty DAG must not pay for worker set-up. */
  if (dag->n)
    rc = nworkers == 1 ? run_serial(&s) : run_threaded(&s, nworkers);
  if (rc)
    goto done;
  settle(&s);
  *out = s.res;
  s.res = NULL;
done:
  sched_free(&s);
  return rc;
}
