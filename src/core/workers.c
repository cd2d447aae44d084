/* The per-thread worker count of the data kernels (see workers.h). */
#include "core/workers.h"
#include "core/error.h"

#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static _Thread_local int workers;

void zm_workers_set(int n)
{
  workers = n > 0 ? n : 0;
}

int zm_workers_get(int dflt)
{
  return workers > 0 ? workers : dflt;
}

int zm_workers_or_cores(void)
{
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return zm_workers_get(cores > 0 ? (int)cores : 1);
}

typedef struct job_queue {
  size_t jobs, next; /* next: the first job not yet taken (atomic) */
  int (*run)(void *arg, size_t job);
  void *arg;
  pthread_mutex_t lock;
  size_t bad; /* the first failing job, `jobs` while none failed */
  int rc;
  char msg[1024]; /* its message: messages are thread-local */
} job_queue;

static void *take_jobs(void *arg)
{
  job_queue *q = arg;
  for (;;) {
    size_t j = __atomic_fetch_add(&q->next, 1, __ATOMIC_RELAXED);
    if (j >= q->jobs || __atomic_load_n(&q->rc, __ATOMIC_RELAXED))
      return NULL;
    int rc = q->run(q->arg, j);
    if (rc) {
      pthread_mutex_lock(&q->lock);
      if (j < q->bad) {
        q->bad = j;
        snprintf(q->msg, sizeof q->msg, "%s", zm_error_last());
        __atomic_store_n(&q->rc, rc, __ATOMIC_RELAXED);
      }
      pthread_mutex_unlock(&q->lock);
    }
  }
}

int zm_jobs_run(size_t jobs, size_t threads, int (*run)(void *arg, size_t job), void *arg,
                size_t *failed)
{
  enum { MAX_THREADS = 64 };
  pthread_t tid[MAX_THREADS];
  size_t extra = threads > jobs ? jobs : threads, started = 0;
  extra = extra > MAX_THREADS ? MAX_THREADS : extra;
  extra = extra > 0 ? extra - 1 : 0; /* the calling thread is the first worker */
  job_queue q = {jobs, 0, run, arg, PTHREAD_MUTEX_INITIALIZER, jobs, 0, ""};
  while (started < extra && pthread_create(&tid[started], NULL, take_jobs, &q) == 0)
    started++;
  take_jobs(&q);
  for (size_t i = 0; i < started; i++)
    pthread_join(tid[i], NULL);
  if (failed)
    *failed = q.bad;
  return q.rc ? zm_error_set(q.rc, "%s", q.msg) : 0;
}
