/* Jobs over threads for the trainers' parallel parts (see internal.h). A
 * job's result never depends on which thread ran it or when: the callers
 * fix the jobs by the data and combine their results in job order. */
#include "ml/internal.h"
#include "core/error.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct job_failure {
  int rc;
  char msg[256];
} job_failure;

typedef struct job_queue {
  size_t jobs, next; /* next: the first job not yet taken (atomic) */
  int (*run)(void *arg, size_t job);
  void *arg;
  job_failure *failed; /* one slot a job; error messages are thread-local */
} job_queue;

static void *take_jobs(void *arg)
{
  job_queue *q = arg;
  for (;;) {
    size_t j = __atomic_fetch_add(&q->next, 1, __ATOMIC_RELAXED);
    if (j >= q->jobs)
      return NULL;
    int rc = q->run(q->arg, j);
    if (rc) {
      q->failed[j].rc = rc;
      snprintf(q->failed[j].msg, sizeof q->failed[j].msg, "%s", zm_error_last());
    }
  }
}

int zm__run_jobs(size_t jobs, size_t threads, int (*run)(void *arg, size_t job), void *arg)
{
  enum { MAX_THREADS = 64 };
  pthread_t tid[MAX_THREADS];
  size_t extra = threads > jobs ? jobs : threads, started = 0;
  extra = extra > MAX_THREADS ? MAX_THREADS : extra;
  extra = extra > 0 ? extra - 1 : 0; /* the calling thread is the first worker */
  job_queue q = {jobs, 0, run, arg, calloc(jobs ? jobs : 1, sizeof(job_failure))};
  if (!q.failed)
    return zm_error_set(ZM_ENOMEM, "out of memory for %zu jobs", jobs);
  while (started < extra && pthread_create(&tid[started], NULL, take_jobs, &q) == 0)
    started++;
  take_jobs(&q);
  for (size_t i = 0; i < started; i++)
    pthread_join(tid[i], NULL);
  int rc = 0;
  for (size_t j = 0; j < jobs && rc == 0; j++) /* the first failure in job order */
    if (q.failed[j].rc)
      rc = zm_error_set(q.failed[j].rc, "%s", q.failed[j].msg);
  free(q.failed);
  return rc;
}
