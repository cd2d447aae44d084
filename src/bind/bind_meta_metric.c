/* Metrics of runs and executions, and properties of any entity
 * (src/meta/meta_lineage.c's second half). */
#include "bind/bind.h"
#include "bind/bind_meta.h"

#include <stdlib.h>

ZM_BIND_FREE_FN(free_metrics, zm_meta_metrics_free, zm_meta_metrics)

static int db_metric_set(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *run = luaL_checkstring(L, 2);
  lua_Integer exec = luaL_optinteger(L, 3, 0);
  const char *name = luaL_checkstring(L, 4);
  double value = luaL_checknumber(L, 5);
  int rc = zm_meta_metric_set(m, run, exec, name, value);
  return rc < 0 ? zm_bind_raise(L, rc) : 0;
}

static void push_metric(lua_State *L, const void *item)
{
  const zm_meta_metric *x = item;
  lua_createtable(L, 0, 4);
  zm_bind_set_str(L, "run", x->run_id);
  if (x->execution)
    zm_bind_set_int(L, "execution", x->execution);
  zm_bind_set_str(L, "name", x->name);
  zm_bind_set_num(L, "value", x->value);
}

ZM_BIND_LIST_PUSHER(push_metrics, zm_meta_metrics, push_metric)

static int db_metrics(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *run = luaL_checkstring(L, 2);
  zm_meta_metrics *l = NULL;
  int rc = zm_meta_metric_list(&l, m, run);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  return zm_bind_push_owned(L, l, free_metrics, push_metrics);
}

static int db_property_set(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *kind = luaL_checkstring(L, 2);
  const char *entity = luaL_checkstring(L, 3);
  const char *name = luaL_checkstring(L, 4);
  zm_meta_value v = {0};
  if (lua_isinteger(L, 5)) {
    v.type = ZM_META_INT;
    v.i = lua_tointeger(L, 5);
  } else if (lua_type(L, 5) == LUA_TNUMBER) {
    v.type = ZM_META_DOUBLE;
    v.d = lua_tonumber(L, 5);
  } else if (lua_type(L, 5) == LUA_TSTRING) {
    v.type = ZM_META_TEXT;
    v.s = (char *)lua_tostring(L, 5);
  } else {
    return luaL_argerror(L, 5, lua_pushfstring(L, "expected a number or string, got %s",
                                               luaL_typename(L, 5)));
  }
  int rc = zm_meta_property_set(m, kind, entity, name, &v);
  return rc < 0 ? zm_bind_raise(L, rc) : 0;
}

static int push_value(lua_State *L, zm_meta_value v)
{
  if (v.type == ZM_META_INT)
    lua_pushinteger(L, v.i);
  else if (v.type == ZM_META_DOUBLE)
    lua_pushnumber(L, v.d);
  else if (v.s)
    return zm_bind_push_owned(L, v.s, free, zm_bind_push_string);
  else
    lua_pushliteral(L, "");
  return 1;
}

static int db_property_get(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *kind = luaL_checkstring(L, 2);
  const char *entity = luaL_checkstring(L, 3);
  const char *name = luaL_checkstring(L, 4);
  zm_meta_value v = {0};
  int rc = zm_meta_property_get(&v, m, kind, entity, name);
  return rc < 0 ? zm__bind_meta_fail(L, rc) : push_value(L, v);
}

/* db:run_step_property(run, name) -> value | nil, message, "notfound" */
static int db_run_step_property(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *run = luaL_checkstring(L, 2);
  const char *name = luaL_checkstring(L, 3);
  zm_meta_value v = {0};
  int rc = zm_meta_run_step_property(&v, m, run, name);
  return rc < 0 ? zm__bind_meta_fail(L, rc) : push_value(L, v);
}

void zm__bind_meta_metric_methods(lua_State *L)
{
  static const luaL_Reg methods[] = {
      {"metric_set", db_metric_set},
      {"metrics", db_metrics},
      {"property_set", db_property_set},
      {"property_get", db_property_get},
      {"run_step_property", db_run_step_property},
      {NULL, NULL},
  };
  luaL_setfuncs(L, methods, 0);
}
