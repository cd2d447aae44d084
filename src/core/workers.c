/* The per-thread worker count of the data kernels (see workers.h). */
#include "core/workers.h"

static _Thread_local int workers;

void zm_workers_set(int n)
{
  workers = n > 0 ? n : 0;
}

int zm_workers_get(int dflt)
{
  return workers > 0 ? workers : dflt;
}
