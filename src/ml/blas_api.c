#include "ml/blas_api.h"
#include "core/error.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static zm_blas_api api;
static char load_error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
  /* Read by OpenBLAS when it initialises: one thread, no spinning pool. */
  setenv("OPENBLAS_NUM_THREADS", "1", 0);
  void *h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    snprintf(load_error, sizeof load_error, "OpenBLAS is not available: %s", dlerror());
    return;
  }
#define ZM_BLAS_LOAD(name)                                                                \
  if (!load_error[0] && !(*(void **)&api.name = dlsym(h, #name)))                       \
    snprintf(load_error, sizeof load_error, "libopenblas.so.0 lacks %s", #name);
  ZM_BLAS_FUNCS(ZM_BLAS_LOAD)
#undef ZM_BLAS_LOAD
  void (*set_threads)(int) = NULL;
  *(void **)&set_threads = dlsym(h, "openblas_set_num_threads");
  if (!load_error[0] && set_threads)
    set_threads(1);
}

int zm_blas_load(void)
{
  pthread_once(&once, load);
  return load_error[0] ? zm_error_set(ZM_ERROR, "%s", load_error) : 0;
}

const zm_blas_api *zm_blas(void)
{
  return &api;
}
