/* Run summaries and the artifacts of a run's steps (src/meta/meta_summary.c). */
#include "bind/bind.h"
#include "bind/bind_meta.h"

#include <string.h>

ZM_BIND_FREE_FN(free_summaries, zm_meta_summaries_free, zm_meta_summaries)
ZM_BIND_FREE_FN(free_step_artifacts, zm_meta_step_artifacts_free, zm_meta_step_artifacts)

/* The strings of array field k of the table at t, in a userdata left on the
 * stack (collected with it); the strings stay valid while the table holds
 * them. */
static const char **string_array(lua_State *L, int t, const char *k, size_t *n)
{
  *n = 0;
  if (lua_getfield(L, t, k) == LUA_TNIL) {
    lua_pop(L, 1);
    lua_newuserdatauv(L, sizeof(char *), 0);
    return lua_touserdata(L, -1);
  }
  luaL_checktype(L, -1, LUA_TTABLE);
  size_t len = (size_t)luaL_len(L, -1);
  const char **items = lua_newuserdatauv(L, (len ? len : 1) * sizeof *items, 0);
  for (size_t i = 0; i < len; i++) {
    if (lua_geti(L, -2, (lua_Integer)i + 1) != LUA_TSTRING)
      luaL_error(L, "field '%s' must hold strings, got %s", k, luaL_typename(L, -1));
    items[i] = lua_tostring(L, -1);
    lua_pop(L, 1);
  }
  lua_remove(L, -2);
  *n = len;
  return items;
}

/* The conditions of field `where` ({name, op, value} tables), in a userdata
 * left on the stack. */
static zm_meta_metric_cond *conditions(lua_State *L, int t, size_t *n)
{
  *n = 0;
  lua_getfield(L, t, "where");
  size_t len = lua_isnil(L, -1) ? 0 : (luaL_checktype(L, -1, LUA_TTABLE), (size_t)luaL_len(L, -1));
  zm_meta_metric_cond *c = lua_newuserdatauv(L, (len ? len : 1) * sizeof *c, 0);
  for (size_t i = 0; i < len; i++) {
    lua_geti(L, -2, (lua_Integer)i + 1);
    luaL_checktype(L, -1, LUA_TTABLE);
    int item = lua_gettop(L);
    c[i].name = zm__bind_meta_str_field(L, item, "name");
    const char *op = zm__bind_meta_str_field(L, item, "op");
    c[i].value = zm__bind_meta_num_field(L, item, "value");
    if (!c[i].name || zm_meta_cmp_parse(&c[i].op, op) < 0)
      return luaL_error(L, "a condition needs a name and one of > >= < <= = !="), NULL;
    lua_pop(L, 1);
  }
  lua_remove(L, -2);
  *n = len;
  return c;
}

static void push_summary(lua_State *L, const void *item)
{
  const zm_meta_summary *x = item;
  zm__bind_meta_push_run(L, &x->run);
  zm_bind_set_int(L, "steps", x->steps);
  zm_bind_set_int(L, "cached", x->cached);
}

/* Each run with its metrics as an index -> value table (holes where the run
 * has none), in the order they were asked for. */
static void push_summaries(lua_State *L, const void *p)
{
  const zm_meta_summaries *l = p;
  lua_createtable(L, (int)l->len, 0);
  for (size_t i = 0; i < l->len; i++) {
    const zm_meta_summary *x = &l->items[i];
    push_summary(L, x);
    lua_createtable(L, (int)l->n_metrics, 0);
    for (size_t k = 0; k < l->n_metrics; k++)
      if (x->has[k]) {
        lua_pushnumber(L, x->values[k]);
        lua_rawseti(L, -2, (lua_Integer)k + 1);
      }
    lua_setfield(L, -2, "metrics");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static int db_run_summaries(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  zm_meta_summary_query q = {.status = -1};
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    q.pipeline = zm__bind_meta_str_field(L, 2, "pipeline");
    q.since = zm__bind_meta_num_field(L, 2, "since");
    q.until = zm__bind_meta_num_field(L, 2, "until");
    q.sort = zm__bind_meta_str_field(L, 2, "sort");
    q.limit = (int)zm__bind_meta_int_field(L, 2, "limit", 0);
    lua_getfield(L, 2, "sort_metric");
    q.sort_metric = lua_toboolean(L, -1);
    lua_getfield(L, 2, "descending");
    q.descending = lua_toboolean(L, -1);
    lua_pop(L, 2);
    lua_getfield(L, 2, "status");
    if (!lua_isnil(L, -1))
      q.status = (int)zm__bind_meta_check_status(L, lua_gettop(L));
    lua_pop(L, 1);
    q.metrics = string_array(L, 2, "metrics", &q.n_metrics);
    q.where = conditions(L, 2, &q.n_where);
  }
  zm_meta_summaries *l = NULL;
  int rc = zm_meta_run_summaries(&l, m, &q);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  return zm_bind_push_owned(L, l, free_summaries, push_summaries);
}

static void push_step_artifact(lua_State *L, const void *item)
{
  const zm_meta_step_artifact *a = item;
  lua_createtable(L, 0, 7);
  zm_bind_set_str(L, "step", a->step);
  zm_bind_set_int(L, "execution", a->execution);
  zm_bind_set_str(L, "kind", a->kind == ZM_META_INPUT ? "input" : "output");
  zm_bind_set_str(L, "name", a->name);
  zm_bind_set_str(L, "id", a->artifact);
  zm_bind_set_str(L, "type", a->type);
  zm_bind_set_int(L, "size", a->size);
}

ZM_BIND_LIST_PUSHER(push_step_artifacts, zm_meta_step_artifacts, push_step_artifact)

static int db_run_artifacts(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *run = luaL_checkstring(L, 2);
  zm_meta_step_artifacts *l = NULL;
  int rc = zm_meta_run_artifacts(&l, m, run);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  return zm_bind_push_owned(L, l, free_step_artifacts, push_step_artifacts);
}

static int db_run_ids_with_prefix(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *prefix = luaL_checkstring(L, 2);
  int limit = (int)luaL_optinteger(L, 3, 0);
  zm_meta_strings *l = NULL;
  int rc = zm_meta_run_ids_with_prefix(&l, m, prefix, limit);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  return zm_bind_push_owned(L, l, zm__bind_meta_free_strings, zm__bind_meta_push_strings);
}

void zm__bind_meta_summary_methods(lua_State *L)
{
  static const luaL_Reg methods[] = {
      {"run_summaries", db_run_summaries},
      {"run_artifacts", db_run_artifacts},
      {"run_ids_with_prefix", db_run_ids_with_prefix},
      {NULL, NULL},
  };
  luaL_setfuncs(L, methods, 0);
}
