/* db:hash_begin / db:hash_end: a file hashed on a thread while Lua goes on. */
#include "bind/bind.h"
#include "bind/bind_meta.h"

#include <lauxlib.h>

#define HASH_JOB "zenml.meta.hash_job"

typedef struct job_ud {
  zm_meta_hash_job *j;
} job_ud;

/* __gc and __close: waits for the thread if it still runs. Idempotent. */
static int job_release(lua_State *L)
{
  job_ud *u = luaL_checkudata(L, 1, HASH_JOB);
  zm_meta_hash_job_free(u->j);
  u->j = NULL;
  return 0;
}

static int job_pending(lua_State *L)
{
  job_ud *u = luaL_checkudata(L, 1, HASH_JOB);
  lua_pushboolean(L, u->j && zm_meta_hash_pending(u->j));
  return 1;
}

int zm_bind_meta_hash_begin(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *path = luaL_checkstring(L, 2);
  job_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->j = NULL;
  if (luaL_newmetatable(L, HASH_JOB)) {
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, job_pending);
    lua_setfield(L, -2, "pending");
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, job_release);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, job_release);
    lua_setfield(L, -2, "__close");
  }
  lua_setmetatable(L, -2);
  int rc = zm_meta_hash_begin(&u->j, m, path, 1);
  if (rc < 0)
    return zm_bind_fail(L, rc);
  return 1;
}

int zm_bind_meta_hash_end(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  job_ud *u = luaL_checkudata(L, 2, HASH_JOB);
  luaL_argcheck(L, u->j != NULL, 2, "hash job already finished");
  char hex[65];
  int rc = zm_meta_hash_end(hex, m, u->j);
  zm_meta_hash_job_free(u->j);
  u->j = NULL;
  if (rc < 0)
    return zm_bind_fail(L, rc);
  lua_pushstring(L, hex);
  return 1;
}
