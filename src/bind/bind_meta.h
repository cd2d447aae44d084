/* Shared between the metadata store's binding files. */
#ifndef ZM_BIND_META_H
#define ZM_BIND_META_H

#include "meta/meta.h"

#include <lua.h>

/* The open metadata store at argument 1; raises if it is not one or closed. */
zm_meta *zm_bind_meta_check(lua_State *L);

/* db:hash_begin(path) -> job: hashing through the stat cache, on a thread
 * when the digest is not cached. */
int zm_bind_meta_hash_begin(lua_State *L);

/* db:hash_end(job) -> hex | nil, message: wait, and remember the digest. */
int zm_bind_meta_hash_end(lua_State *L);

/* db:previous_execution(pipeline, step, class, before) -> execution id | nil */
int zm_bind_meta_previous_execution(lua_State *L);

/* db:latest_run_with({{step, output}...}, pipeline?, run?) -> run id | nil */
int zm_bind_meta_latest_run_with(lua_State *L);

#endif
