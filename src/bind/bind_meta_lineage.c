/* Artifacts, events and lineage (src/meta/meta_lineage.c): recording what
 * a step read and wrote, and the questions the commands ask (which
 * execution to compare a step with, which run has a model). */
#include "bind/bind.h"
#include "bind/bind_meta.h"
#include "core/error.h"

#include <lauxlib.h>
#include <stdlib.h>

static int db_artifact_record(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *id = luaL_checkstring(L, 2);
  const char *type = luaL_checkstring(L, 3);
  lua_Integer size = luaL_checkinteger(L, 4);
  int rc = zm_meta_artifact_record(m, id, type, size);
  return rc < 0 ? zm_bind_raise(L, rc) : 0;
}

static int db_event_add(lua_State *L)
{
  static const char *const kinds[] = {"input", "output", NULL};
  zm_meta *m = zm_bind_meta_check(L);
  lua_Integer exec = luaL_checkinteger(L, 2);
  const char *artifact = luaL_checkstring(L, 3);
  int kind = luaL_checkoption(L, 4, NULL, kinds);
  const char *name = luaL_checkstring(L, 5);
  int rc = zm_meta_event_add(m, exec, artifact, kind ? ZM_META_OUTPUT : ZM_META_INPUT, name);
  return rc < 0 ? zm_bind_raise(L, rc) : 0;
}

static int db_artifact_refs(lua_State *L)
{
  zm_meta_strings *l = NULL;
  int rc = zm_meta_artifact_refs(&l, zm_bind_meta_check(L));
  if (rc < 0)
    return zm_bind_raise(L, rc);
  return zm_bind_push_owned(L, l, zm__bind_meta_free_strings, zm__bind_meta_push_strings);
}

/* db:artifact_lost(id, why) -> number of executions made invalid. */
static int db_artifact_lost(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  int64_t n = 0;
  int rc = zm_meta_artifact_lost(&n, m, luaL_checkstring(L, 2), luaL_checkstring(L, 3));
  if (rc < 0)
    return zm_bind_raise(L, rc);
  lua_pushinteger(L, (lua_Integer)n);
  return 1;
}

/* db:previous_execution(pipeline, step, class, before) -> execution id | nil */
static int db_previous_execution(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *pipeline = luaL_checkstring(L, 2);
  const char *step = luaL_checkstring(L, 3);
  const char *class_name = luaL_checkstring(L, 4);
  lua_Integer before = luaL_checkinteger(L, 5);
  int64_t id = 0;
  int rc = zm_meta_execution_previous(&id, m, pipeline, step, class_name, before);
  if (rc == ZM_ENOTFOUND) {
    lua_pushnil(L);
    return 1;
  }
  if (rc < 0)
    return zm_bind_raise(L, rc);
  lua_pushinteger(L, (lua_Integer)id);
  return 1;
}

/* The {step, output} pairs of the list at `arg` in a userdata-held array;
 * the strings stay anchored by the list. */
static zm_meta_step_output *check_wanted(lua_State *L, int arg, size_t *out_n)
{
  luaL_checktype(L, arg, LUA_TTABLE);
  size_t n = (size_t)luaL_len(L, arg);
  if (n == 0)
    luaL_argerror(L, arg, "expected a non-empty list of {step, output} pairs");
  zm_meta_step_output *w = lua_newuserdatauv(L, n * sizeof *w, 0);
  for (size_t i = 0; i < n; i++) {
    if (lua_geti(L, arg, (lua_Integer)i + 1) != LUA_TTABLE)
      luaL_error(L, "pair %d is a %s, expected a table {step, output}", (int)i + 1,
                 luaL_typename(L, -1));
    lua_geti(L, -1, 1);
    lua_geti(L, -2, 2);
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "pair %d must be two strings {step, output}", (int)i + 1);
    w[i].step = lua_tostring(L, -2);
    w[i].output = lua_tostring(L, -1);
    lua_pop(L, 3);
  }
  *out_n = n;
  return w;
}

/* db:latest_run_with({{step, output}, ...}, pipeline?, run?) -> run id | nil */
static int db_latest_run_with(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  size_t n;
  zm_meta_step_output *want = check_wanted(L, 2, &n);
  const char *pipeline = luaL_optstring(L, 3, NULL);
  const char *run_id = luaL_optstring(L, 4, NULL);
  char *found = NULL;
  int rc = zm_meta_run_latest_with(&found, m, want, n, pipeline, run_id);
  if (rc == ZM_ENOTFOUND) {
    lua_pushnil(L);
    return 1;
  }
  if (rc < 0)
    return zm_bind_raise(L, rc);
  return zm_bind_push_owned(L, found, free, zm_bind_push_string);
}

void zm__bind_meta_lineage_methods(lua_State *L)
{
  static const luaL_Reg methods[] = {
      {"artifact_record", db_artifact_record},
      {"event_add", db_event_add},
      {"artifact_refs", db_artifact_refs},
      {"artifact_lost", db_artifact_lost},
      {"previous_execution", db_previous_execution},
      {"latest_run_with", db_latest_run_with},
      {NULL, NULL},
  };
  luaL_setfuncs(L, methods, 0);
}
