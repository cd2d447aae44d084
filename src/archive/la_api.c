#include "archive/la_api.h"
#include "core/error.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static zm_la_api api;
static char load_error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
  void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    snprintf(load_error, sizeof load_error, "libarchive is not available: %s", dlerror());
    return;
  }
#define ZM_LA_LOAD(name)                                                                  \
  if (!load_error[0] && !(*(void **)&api.name = dlsym(h, #name)))                       \
    snprintf(load_error, sizeof load_error, "libarchive.so.13 lacks %s", #name);
  ZM_LA_FUNCS(ZM_LA_LOAD)
#undef ZM_LA_LOAD
}

int zm_la_load(void)
{
  pthread_once(&once, load);
  return load_error[0] ? zm_error_set(ZM_ERROR, "%s", load_error) : 0;
}

const zm_la_api *zm_la(void)
{
  return &api;
}
