/* Shared pieces of zenml._core.ml (bind_ml.c and bind_ml_model.c). */
#ifndef ZM_BIND_ML_H
#define ZM_BIND_ML_H

#include "bind/bind.h"
#include "core/buf.h"

#define TRANSFORM_MT "zenml.transform"
#define MODEL_MT "zenml.model"

/* Add the model and metrics functions to the table on the stack top and
 * register the model metatable. */
void zm_bind_ml_model_init(lua_State *L);

/* Push a userdata owning an empty zm_buf (freed by __gc, so a raise
 * never leaks it) and return the buffer. */
zm_buf *zm_bind_ml_buf(lua_State *L);

/* Raise "fn: <last C error>" with code rc (callers hold no C memory). */
int zm_bind_ml_fail(lua_State *L, int rc, const char *fn);

#endif
