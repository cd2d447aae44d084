/* db:previous_execution and db:latest_run_with: lineage questions the
 * commands ask (which execution to compare a step with, which run has a
 * model), answered in src/meta. */
#include "bind/bind.h"
#include "bind/bind_meta.h"
#include "core/error.h"

#include <lauxlib.h>
#include <stdlib.h>

#define RUN_ID_BOX "zenml.meta.run_id"

int zm_bind_meta_previous_execution(lua_State *L)
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

static int run_id_gc(lua_State *L)
{
  char **p = luaL_checkudata(L, 1, RUN_ID_BOX);
  free(*p);
  *p = NULL;
  return 0;
}

/* db:latest_run_with({{step, output}, ...}, pipeline?, run?) -> run id | nil */
int zm_bind_meta_latest_run_with(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  size_t n;
  zm_meta_step_output *want = check_wanted(L, 2, &n);
  const char *pipeline = luaL_optstring(L, 3, NULL);
  const char *run_id = luaL_optstring(L, 4, NULL);
  /* the answer is owned by this box until it is a Lua string */
  char **box = lua_newuserdatauv(L, sizeof *box, 0);
  *box = NULL;
  if (luaL_newmetatable(L, RUN_ID_BOX)) {
    lua_pushcfunction(L, run_id_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  int rc = zm_meta_run_latest_with(box, m, want, n, pipeline, run_id);
  if (rc == ZM_ENOTFOUND) {
    lua_pushnil(L);
    return 1;
  }
  if (rc < 0)
    return zm_bind_raise(L, rc);
  lua_pushstring(L, *box);
  return 1;
}
