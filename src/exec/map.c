/* zm_exec_map: a function over items on threads, items handed out one at a
 * time from an atomic counter so uneven items still balance. */
#include "exec/exec.h"
#include "core/error.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct map_job {
  zm_exec_item_fn fn;
  void *ctx;
  size_t n;
  atomic_size_t next;
  atomic_int failed;
  pthread_mutex_t lock; /* guards the first error */
  int rc;
  char *msg;
} map_job;

typedef struct map_arg {
  map_job *j;
  int index;
} map_arg;

static void record_error(map_job *j, int rc)
{
  char *msg = strdup(zm_error_last());
  pthread_mutex_lock(&j->lock);
  if (!j->rc) {
    j->rc = rc < 0 ? rc : ZM_ERROR;
    j->msg = msg;
    msg = NULL;
  }
  pthread_mutex_unlock(&j->lock);
  free(msg);
  atomic_store(&j->failed, 1);
}

static void *map_worker(void *p)
{
  map_arg *a = p;
  map_job *j = a->j;
  while (!atomic_load(&j->failed)) {
    size_t i = atomic_fetch_add(&j->next, 1);
    if (i >= j->n)
      break;
    int rc = j->fn(a->index, i, j->ctx);
    if (rc)
      record_error(j, rc);
  }
  return NULL;
}

static int map_serial(size_t n, zm_exec_item_fn fn, void *ctx)
{
  for (size_t i = 0; i < n; i++) {
    int rc = fn(0, i, ctx);
    if (rc)
      return rc < 0 ? rc : zm_error_set(ZM_ERROR, "%s", zm_error_last());
  }
  return 0;
}

int zm_exec_map(int nworkers, size_t n_items, zm_exec_item_fn fn, void *ctx)
{
  if (!fn)
    return zm_error_set(ZM_EINVALID, "no item function given");
  if (nworkers <= 0)
    nworkers = zm_exec_ncores();
  if ((size_t)nworkers > n_items)
    nworkers = n_items ? (int)n_items : 1;
  if (nworkers == 1)
    return map_serial(n_items, fn, ctx);
  map_job j = {.fn = fn, .ctx = ctx, .n = n_items};
  atomic_init(&j.next, 0);
  atomic_init(&j.failed, 0);
  pthread_t *tids = calloc((size_t)nworkers, sizeof *tids);
  map_arg *args = calloc((size_t)nworkers, sizeof *args);
  int rc = 0, started = 0;
  if (!tids || !args) {
    rc = zm_error_set(ZM_ENOMEM, "out of memory starting %d workers", nworkers);
    goto done;
  }
  pthread_mutex_init(&j.lock, NULL);
  for (; started < nworkers; started++) {
    args[started] = (map_arg){&j, started};
    if (pthread_create(&tids[started], NULL, map_worker, &args[started]) != 0)
      break;
  }
  if (!started)
    map_worker(&(map_arg){&j, 0});
  for (int i = 0; i < started; i++)
    pthread_join(tids[i], NULL);
  pthread_mutex_destroy(&j.lock);
  if (j.rc)
    rc = zm_error_set(j.rc, "%s", j.msg ? j.msg : "item failed");
  free(j.msg);
done:
  free(args);
  free(tids);
  return rc;
}
