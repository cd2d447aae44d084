/* Pipelines, runs, step executions and the cache (src/meta/meta_run.c). */
#include "bind/bind.h"
#include "bind/bind_meta.h"
#include "bind/bind_store.h"

ZM_BIND_FREE_FN(free_run, zm_meta_run_free, zm_meta_run)
ZM_BIND_FREE_FN(free_runs, zm_meta_runs_free, zm_meta_runs)
ZM_BIND_FREE_FN(free_execution, zm_meta_execution_free, zm_meta_execution)
ZM_BIND_FREE_FN(free_executions, zm_meta_executions_free, zm_meta_executions)
ZM_BIND_FREE_FN(free_hit, zm_meta_cache_hit_free, zm_meta_cache_hit)

static int db_pipeline_version(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *name = luaL_checkstring(L, 2);
  const char *dag = luaL_checkstring(L, 3);
  int64_t v = 0;
  int rc = zm_meta_pipeline_version(&v, m, name, dag);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  lua_pushinteger(L, v);
  return 1;
}

/* --- runs ---------------------------------------------------------------- */

static int db_run_begin(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  luaL_checktype(L, 2, LUA_TTABLE);
  zm_meta_run r = {
      .id = (char *)zm__bind_meta_str_field(L, 2, "id"),
      .pipeline = (char *)zm__bind_meta_str_field(L, 2, "pipeline"),
      .pipeline_version = zm__bind_meta_int_field(L, 2, "pipeline_version", 0),
      .yaml_path = (char *)zm__bind_meta_str_field(L, 2, "yaml_path"),
      .yaml_hash = (char *)zm__bind_meta_str_field(L, 2, "yaml_hash"),
      .git_commit = (char *)zm__bind_meta_str_field(L, 2, "git_commit"),
      .git_branch = (char *)zm__bind_meta_str_field(L, 2, "git_branch"),
      .started = zm__bind_meta_num_field(L, 2, "started"),
      .backend = (char *)zm__bind_meta_str_field(L, 2, "backend"),
      .host = (char *)zm__bind_meta_str_field(L, 2, "host"),
      .pid = zm__bind_meta_int_field(L, 2, "pid", 0),
  };
  lua_getfield(L, 2, "git_dirty");
  r.git_dirty = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (!r.id || !r.pipeline || r.pipeline_version <= 0)
    return luaL_argerror(L, 2, "expected a table with 'id', 'pipeline' and 'pipeline_version'");
  int rc = zm_meta_run_begin(m, &r);
  return rc < 0 ? zm_bind_raise(L, rc) : 0;
}

static int db_run_finish(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *id = luaL_checkstring(L, 2);
  zm_meta_status s = zm__bind_meta_check_status(L, 3);
  int rc = zm_meta_run_finish(m, id, s);
  return rc < 0 ? zm__bind_meta_fail(L, rc) : (lua_pushboolean(L, 1), 1);
}

static int db_run_detach(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  int rc = zm_meta_run_detach(m, luaL_checkstring(L, 2));
  return rc < 0 ? zm__bind_meta_fail(L, rc) : (lua_pushboolean(L, 1), 1);
}

void zm__bind_meta_push_run(lua_State *L, const void *item)
{
  const zm_meta_run *r = item;
  lua_createtable(L, 0, 14);
  zm_bind_set_str(L, "id", r->id);
  zm_bind_set_str(L, "pipeline", r->pipeline);
  zm_bind_set_int(L, "pipeline_version", r->pipeline_version);
  zm_bind_set_str(L, "yaml_path", r->yaml_path);
  zm_bind_set_str(L, "yaml_hash", r->yaml_hash);
  zm_bind_set_str(L, "git_commit", r->git_commit);
  zm_bind_set_str(L, "git_branch", r->git_branch);
  zm_bind_set_bool(L, "git_dirty", r->git_dirty);
  zm_bind_set_str(L, "status", zm_meta_status_name(r->status));
  zm_bind_set_num(L, "started", r->started);
  if (r->ended > 0)
    zm_bind_set_num(L, "ended", r->ended);
  zm_bind_set_str(L, "backend", r->backend);
  zm_bind_set_str(L, "host", r->host);
  zm_bind_set_int(L, "pid", r->pid);
}

ZM_BIND_LIST_PUSHER(push_runs, zm_meta_runs, zm__bind_meta_push_run)

static int db_run(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *id = luaL_checkstring(L, 2);
  zm_meta_run *r = NULL;
  int rc = zm_meta_run_get(&r, m, id);
  if (rc < 0)
    return zm__bind_meta_fail(L, rc);
  return zm_bind_push_owned(L, r, free_run, zm__bind_meta_push_run);
}

static void check_run_filter(lua_State *L, zm_meta_run_filter *f)
{
  if (lua_isnoneornil(L, 2))
    return;
  luaL_checktype(L, 2, LUA_TTABLE);
  f->pipeline = zm__bind_meta_str_field(L, 2, "pipeline");
  f->limit = (int)zm__bind_meta_int_field(L, 2, "limit", 0);
  lua_getfield(L, 2, "status");
  if (!lua_isnil(L, -1))
    f->status = (int)zm__bind_meta_check_status(L, lua_gettop(L));
  lua_pop(L, 1);
}

static int db_runs(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  zm_meta_run_filter f = {NULL, -1, 0};
  check_run_filter(L, &f);
  zm_meta_runs *l = NULL;
  int rc = zm_meta_run_list(&l, m, &f);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  return zm_bind_push_owned(L, l, free_runs, push_runs);
}

static int db_recover(lua_State *L)
{
  int n = 0;
  int rc = zm_meta_recover(&n, zm_bind_meta_check(L));
  if (rc < 0)
    return zm_bind_raise(L, rc);
  lua_pushinteger(L, n);
  return 1;
}

/* --- executions ---------------------------------------------------------- */

static int db_execution_begin(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *run = luaL_checkstring(L, 2);
  const char *step = luaL_checkstring(L, 3);
  const char *cls = luaL_checkstring(L, 4);
  const char *source = luaL_optstring(L, 5, NULL);
  const char *key = luaL_optstring(L, 6, NULL);
  int64_t id = 0;
  int rc = zm_meta_execution_begin(&id, m, run, step, cls, source, key);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  lua_pushinteger(L, id);
  return 1;
}

static int db_execution_finish(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  lua_Integer id = luaL_checkinteger(L, 2);
  zm_meta_status s = zm__bind_meta_check_status(L, 3);
  const char *err = luaL_optstring(L, 4, NULL);
  const char *log = luaL_optstring(L, 5, NULL);
  int rc = zm_meta_execution_finish(m, id, s, err, log);
  return rc < 0 ? zm__bind_meta_fail(L, rc) : (lua_pushboolean(L, 1), 1);
}

/* db:execution_reuse(run, step, class, source, key, from) -> id */
static int db_execution_reuse(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  zm_meta_reuse r = {
      .run_id = luaL_checkstring(L, 2),
      .step = luaL_checkstring(L, 3),
      .class_name = luaL_checkstring(L, 4),
      .source = luaL_optstring(L, 5, NULL),
      .cache_key = luaL_optstring(L, 6, NULL),
      .from = luaL_checkinteger(L, 7),
  };
  int64_t id = 0;
  int rc = zm_meta_execution_reuse(&id, m, &r);
  if (rc < 0)
    return zm__bind_meta_fail(L, rc);
  lua_pushinteger(L, id);
  return 1;
}

static void push_execution(lua_State *L, const void *item)
{
  const zm_meta_execution *e = item;
  lua_createtable(L, 0, 12);
  zm_bind_set_int(L, "id", e->id);
  zm_bind_set_str(L, "run", e->run_id);
  zm_bind_set_str(L, "step", e->step);
  zm_bind_set_str(L, "class", e->class_name);
  zm_bind_set_str(L, "source", e->source);
  zm_bind_set_str(L, "cache_key", e->cache_key);
  zm_bind_set_str(L, "status", zm_meta_status_name(e->status));
  if (e->cached_from)
    zm_bind_set_int(L, "cached_from", e->cached_from);
  zm_bind_set_num(L, "started", e->started);
  if (e->ended > 0)
    zm_bind_set_num(L, "ended", e->ended);
  zm_bind_set_str(L, "error", e->error);
  zm_bind_set_str(L, "log_artifact", e->log_artifact);
}

ZM_BIND_LIST_PUSHER(push_executions, zm_meta_executions, push_execution)

static int db_execution(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  lua_Integer id = luaL_checkinteger(L, 2);
  zm_meta_execution *e = NULL;
  int rc = zm_meta_execution_get(&e, m, id);
  if (rc < 0)
    return zm__bind_meta_fail(L, rc);
  return zm_bind_push_owned(L, e, free_execution, push_execution);
}

static int db_executions(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *run = luaL_checkstring(L, 2);
  zm_meta_executions *l = NULL;
  int rc = zm_meta_execution_list(&l, m, run);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  return zm_bind_push_owned(L, l, free_executions, push_executions);
}

/* --- the cache ----------------------------------------------------------- */

/* {name = artifact} */
static void push_outputs(lua_State *L, const void *p)
{
  const zm_meta_cache_hit *h = p;
  lua_createtable(L, 0, (int)h->len);
  for (size_t i = 0; i < h->len; i++)
    zm_bind_set_str(L, h->outputs[i].name, h->outputs[i].artifact);
}

/* {execution = id, outputs = {name = artifact}} */
static void push_hit(lua_State *L, const void *p)
{
  const zm_meta_cache_hit *h = p;
  lua_createtable(L, 0, 2);
  zm_bind_set_int(L, "execution", h->execution);
  push_outputs(L, h);
  lua_setfield(L, -2, "outputs");
}

/* The outputs are checked in the store straight from C: no Lua runs while
 * the lookup holds its statement. */
static int store_has(void *ctx, const char *artifact)
{
  return zm_store_exists(ctx, artifact);
}

/* db:cache_lookup(class, key, store?) -> hit | nil, message, "notfound":
 * with a store, a hit needs every output still in it. */
static int db_cache_lookup(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *cls = luaL_checkstring(L, 2);
  const char *key = luaL_checkstring(L, 3);
  zm_store *s = lua_isnoneornil(L, 4) ? NULL : zm_bind_store_check(L, 4);
  zm_meta_cache_hit *h = NULL;
  int rc = zm_meta_cache_lookup(&h, m, cls, key, s ? store_has : NULL, s);
  if (rc < 0)
    return zm__bind_meta_fail(L, rc);
  return zm_bind_push_owned(L, h, free_hit, push_hit);
}

static int db_outputs(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  lua_Integer id = luaL_checkinteger(L, 2);
  zm_meta_cache_hit *h = NULL;
  int rc = zm_meta_outputs(&h, m, id);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  return zm_bind_push_owned(L, h, free_hit, push_outputs);
}

void zm__bind_meta_run_methods(lua_State *L)
{
  static const luaL_Reg methods[] = {
      {"pipeline_version", db_pipeline_version},
      {"run_begin", db_run_begin},
      {"run_finish", db_run_finish}, {"run_detach", db_run_detach},
      {"run", db_run},
      {"runs", db_runs},
      {"recover", db_recover},
      {"execution_begin", db_execution_begin},
      {"execution_finish", db_execution_finish},
      {"execution_reuse", db_execution_reuse},
      {"execution", db_execution},
      {"executions", db_executions},
      {"cache_lookup", db_cache_lookup},
      {"outputs", db_outputs},
      {NULL, NULL},
  };
  luaL_setfuncs(L, methods, 0);
}
