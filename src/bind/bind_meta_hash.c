/* db:hash_file, db:hash_begin, db:hash_end: files hashed through the stat
 * cache (src/meta/meta_hash.c), on a thread while Lua goes on. */
#include "bind/bind.h"
#include "bind/bind_meta.h"
#include "core/workers.h"

#include <lauxlib.h>

#define HASH_JOB "zenml.meta.hash_job"

/* Its release waits for the thread if it still runs. */
ZM_BIND_HANDLE(job_ud, zm_meta_hash_job, j, zm_meta_hash_job_free)

static int job_pending(lua_State *L)
{
  job_ud *u = luaL_checkudata(L, 1, HASH_JOB);
  lua_pushboolean(L, u->j && zm_meta_hash_pending(u->j));
  return 1;
}

/* job:start(): hash a probed job's file, on a thread unless the step's
 * processing backend allows one worker. */
static int job_start(lua_State *L)
{
  job_ud *u = luaL_checkudata(L, 1, HASH_JOB);
  if (u->j)
    zm_meta_hash_start(u->j, zm_workers_get(2) > 1);
  return 0;
}

static int db_hash_file(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *path = luaL_checkstring(L, 2);
  char hex[65];
  int rc = zm_meta_hash_file(hex, m, path);
  if (rc < 0)
    return zm_bind_fail(L, rc);
  lua_pushstring(L, hex);
  return 1;
}

/* db:hash_begin(path) -> job: hashing on a thread when the digest is not cached
 * (and the calling thread may use more than one worker). */
static int db_hash_begin(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *path = luaL_checkstring(L, 2);
  job_ud *u = zm_bind_box_new(L, sizeof *u, HASH_JOB, job_ud_release);
  /* on a thread of its own unless the step's processing backend allows it
   * one worker (Threads {workers = 1}): then it hashes here, first */
  int rc = zm_meta_hash_begin(&u->j, m, path, zm_workers_get(2) > 1);
  if (rc < 0)
    return zm_bind_fail(L, rc);
  return 1;
}

/* db:hash_probe(path) -> job: as hash_begin, but a digest not cached is
 * hashed only once job:start() (or hash_end) is called. */
static int db_hash_probe(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *path = luaL_checkstring(L, 2);
  job_ud *u = zm_bind_box_new(L, sizeof *u, HASH_JOB, job_ud_release);
  int rc = zm_meta_hash_probe(&u->j, m, path);
  if (rc < 0)
    return zm_bind_fail(L, rc);
  return 1;
}

/* db:hash_end(job) -> hex | nil, message: wait, and remember the digest. */
static int db_hash_end(lua_State *L)
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

void zm__bind_meta_hash_methods(lua_State *L)
{
  static const luaL_Reg job_methods[] = {
      {"pending", job_pending}, {"start", job_start}, {NULL, NULL}};
  static const luaL_Reg methods[] = {
      {"hash_file", db_hash_file},
      {"hash_begin", db_hash_begin},
      {"hash_probe", db_hash_probe},
      {"hash_end", db_hash_end},
      {NULL, NULL},
  };
  zm_bind_box_type(L, HASH_JOB, job_methods);
  lua_pop(L, 1);
  luaL_setfuncs(L, methods, 0);
}
