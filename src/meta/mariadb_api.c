#include "meta/mariadb_api.h"
#include "core/error.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static zm_my_api api;
static char load_error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
  void *h = dlopen("libmariadb.so.3", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    snprintf(load_error, sizeof load_error,
             "the MariaDB client library is not available (install libmariadb3): %s", dlerror());
    return;
  }
#define ZM_MY_LOAD(name)                                                                  \
  if (!load_error[0] && !(*(void **)&api.name = dlsym(h, #name)))                       \
    snprintf(load_error, sizeof load_error, "libmariadb.so.3 lacks %s", #name);
  ZM_MY_FUNCS(ZM_MY_LOAD)
#undef ZM_MY_LOAD
  /* the library's global state, set up before any thread connects */
  if (!load_error[0] && api.mysql_server_init(0, NULL, NULL) != 0)
    snprintf(load_error, sizeof load_error, "the MariaDB client library failed to initialise");
}

int zm_my_load(void)
{
  pthread_once(&once, load);
  return load_error[0] ? zm_error_set(ZM_ERROR, "%s", load_error) : 0;
}

const zm_my_api *zm_my(void)
{
  return &api;
}
