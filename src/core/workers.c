/* The per-thread worker count of the data kernels (see workers.h). */
#include "core/workers.h"

#include <pthread.h>
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

void zm_workers_run(void *(*fn)(void *), void *arg, size_t n)
{
  pthread_t tid[64];
  size_t started = 0;
  for (; started + 1 < n && started < 64; started++)
    if (pthread_create(&tid[started], NULL, fn, arg) != 0)
      break;
  fn(arg);
  for (size_t i = 0; i < started; i++)
    pthread_join(tid[i], NULL);
}
