#include "ml/xgb_api.h"
#include "core/error.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static zm_xgb_api api;
static char load_error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
  void *h = dlopen("libxgboost.so.0", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    snprintf(load_error, sizeof load_error, "XGBoost is not available: %s", dlerror());
    return;
  }
#define ZM_XGB_LOAD(name)                                                                 \
  if (!load_error[0] && !(*(void **)&api.name = dlsym(h, #name)))                       \
    snprintf(load_error, sizeof load_error, "XGBoost is not available: %s lacks %s",      \
             "libxgboost.so.0", #name);
  ZM_XGB_FUNCS(ZM_XGB_LOAD)
#undef ZM_XGB_LOAD
}

const zm_xgb_api *zm_xgb_api_get(void)
{
  pthread_once(&once, load);
  if (load_error[0]) {
    zm_error_set(ZM_ERROR, "%s", load_error);
    return NULL;
  }
  return &api;
}
