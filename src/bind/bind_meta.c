/* zenml._core.meta: the metadata store as a Lua userdata. Lists come back as
 * arrays of plain tables. C results are boxed in a userdata while they are
 * turned into Lua values, so a memory error in Lua cannot leak them. */
#include "bind/bind.h"
#include "bind/bind_meta.h"
#include "core/error.h"
#include "meta/meta.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define META_DB "zenml.meta.db"
#define META_BOX "zenml.meta.box"

typedef struct {
  zm_meta *m;
} db_ud;

/* --- boxes: C memory owned by the Lua stack until released -------------- */

typedef void (*free_fn)(void *);

typedef struct {
  void *p;
  free_fn fn;
} box_ud;

static int box_gc(lua_State *L)
{
  box_ud *b = luaL_checkudata(L, 1, META_BOX);
  if (b->p)
    b->fn(b->p);
  b->p = NULL;
  return 0;
}

/* Push a box owning `p`; if the push itself fails, `p` is freed first. */
static void box_push(lua_State *L, void *p, free_fn fn)
{
  if (!lua_checkstack(L, 4)) {
    fn(p);
    luaL_error(L, "out of memory");
  }
  box_ud *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->p = p;
  b->fn = fn;
  luaL_setmetatable(L, META_BOX);
}

/* Free the box's memory now and replace the box at `idx` by the value on top. */
static void box_done(lua_State *L, int idx)
{
  box_ud *b = luaL_checkudata(L, idx, META_BOX);
  if (b->p)
    b->fn(b->p);
  b->p = NULL;
  lua_replace(L, idx);
}

/* Typed frees as box destructors (calling through a cast pointer is not
 * portable C). */
#define BOX_FREE(name, fn, type) \
  static void name(void *p)       \
  {                               \
    fn((type *)p);                \
  }
BOX_FREE(free_datasource, zm_meta_datasource_free, zm_meta_datasource)
BOX_FREE(free_strings, zm_meta_strings_free, zm_meta_strings)
BOX_FREE(free_dsversion, zm_meta_dsversion_free, zm_meta_dsversion)
BOX_FREE(free_dsversions, zm_meta_dsversions_free, zm_meta_dsversions)
BOX_FREE(free_run, zm_meta_run_free, zm_meta_run)
BOX_FREE(free_runs, zm_meta_runs_free, zm_meta_runs)
BOX_FREE(free_execution, zm_meta_execution_free, zm_meta_execution)
BOX_FREE(free_executions, zm_meta_executions_free, zm_meta_executions)
BOX_FREE(free_hit, zm_meta_cache_hit_free, zm_meta_cache_hit)
BOX_FREE(free_metrics, zm_meta_metrics_free, zm_meta_metrics)

/* --- helpers ------------------------------------------------------------- */

zm_meta *zm_bind_meta_check(lua_State *L)
{
  db_ud *u = luaL_checkudata(L, 1, META_DB);
  if (!u->m)
    luaL_error(L, "metadata store is closed");
  return u->m;
}

/* nil + message for "not found", a Lua error for anything else. */
static int fail(lua_State *L, int rc)
{
  return rc == ZM_ENOTFOUND ? zm_bind_fail(L, rc) : zm_bind_raise(L, rc);
}

static void set_str(lua_State *L, const char *k, const char *v)
{
  if (!v)
    return;
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}

static void set_int(lua_State *L, const char *k, int64_t v)
{
  lua_pushinteger(L, (lua_Integer)v);
  lua_setfield(L, -2, k);
}

static void set_num(lua_State *L, const char *k, double v)
{
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}

/* A string field of table `t`, or NULL. Only real strings are accepted: the
 * pointer stays valid after the pop because the table still holds the string. */
static const char *opt_field(lua_State *L, int t, const char *k)
{
  int type = lua_getfield(L, t, k);
  if (type != LUA_TNIL && type != LUA_TSTRING)
    luaL_error(L, "field '%s' must be a string, got %s", k, luaL_typename(L, -1));
  const char *v = type == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
  lua_pop(L, 1);
  return v;
}

static lua_Integer int_field(lua_State *L, int t, const char *k, lua_Integer def)
{
  lua_getfield(L, t, k);
  lua_Integer v = lua_isnil(L, -1) ? def : lua_tointeger(L, -1);
  if (!lua_isnil(L, -1) && !lua_isinteger(L, -1))
    luaL_error(L, "field '%s' must be an integer, got %s", k, luaL_typename(L, -1));
  lua_pop(L, 1);
  return v;
}

static double num_field(lua_State *L, int t, const char *k)
{
  lua_getfield(L, t, k);
  double v = lua_isnil(L, -1) ? 0 : luaL_checknumber(L, -1);
  lua_pop(L, 1);
  return v;
}

static zm_meta_status check_status(lua_State *L, int arg)
{
  zm_meta_status s;
  if (zm_meta_status_parse(&s, luaL_checkstring(L, arg)) < 0)
    luaL_argerror(L, arg, zm_error_last());
  return s;
}

/* --- the store ----------------------------------------------------------- */

static int db_release(lua_State *L)
{
  db_ud *u = luaL_checkudata(L, 1, META_DB);
  zm_meta_close(u->m);
  u->m = NULL;
  return 0;
}

/* open(url [, "create"|"write"|"read"]): "create" by default. */
static int meta_open(lua_State *L)
{
  static const char *const modes[] = {"write", "create", "read", NULL};
  const char *url = luaL_checkstring(L, 1);
  zm_sql_mode mode = (zm_sql_mode)luaL_checkoption(L, 2, "create", modes);
  db_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->m = NULL;
  luaL_setmetatable(L, META_DB);
  int rc = zm_meta_open(&u->m, url, mode);
  return rc < 0 ? zm_bind_fail(L, rc) : 1;
}

static int db_begin(lua_State *L)
{
  int rc = zm_meta_begin(zm_bind_meta_check(L));
  return rc < 0 ? zm_bind_raise(L, rc) : 0;
}

static int db_commit(lua_State *L)
{
  int rc = zm_meta_commit(zm_bind_meta_check(L));
  return rc < 0 ? zm_bind_raise(L, rc) : 0;
}

static int db_rollback(lua_State *L)
{
  int rc = zm_meta_rollback(zm_bind_meta_check(L));
  return rc < 0 ? zm_bind_raise(L, rc) : 0;
}

/* --- read-only SQL ------------------------------------------------------- */

static int starts_with_select(const char *sql)
{
  while (*sql == ' ' || *sql == '\t' || *sql == '\n' || *sql == '\r' || *sql == '(')
    sql++;
  return strncasecmp(sql, "select", 6) == 0 || strncasecmp(sql, "with", 4) == 0;
}

static int bind_lua(lua_State *L, zm_sql_stmt *s, int first, int last)
{
  const zm_sql_driver *d = s->drv;
  int rc = 0;
  for (int i = first; i <= last && rc == 0; i++) {
    int idx = i - first + 1;
    size_t len;
    if (lua_isinteger(L, i))
      rc = d->bind_int64(s, idx, lua_tointeger(L, i));
    else if (lua_type(L, i) == LUA_TNUMBER)
      rc = d->bind_double(s, idx, lua_tonumber(L, i));
    else if (lua_type(L, i) == LUA_TSTRING) {
      const char *v = lua_tolstring(L, i, &len);
      rc = d->bind_text(s, idx, v, len);
    }
    else if (lua_isboolean(L, i))
      rc = d->bind_int64(s, idx, lua_toboolean(L, i));
    else
      rc = d->bind_null(s, idx);
  }
  return rc;
}

static void push_column(lua_State *L, zm_sql_stmt *s, int col)
{
  const zm_sql_driver *d = s->drv;
  size_t len = 0;
  const void *p;
  switch (d->column_type(s, col)) {
  case ZM_SQL_INT:
    lua_pushinteger(L, d->column_int64(s, col));
    break;
  case ZM_SQL_DOUBLE:
    lua_pushnumber(L, d->column_double(s, col));
    break;
  case ZM_SQL_TEXT:
  case ZM_SQL_BLOB:
    p = d->column_blob(s, col, &len);
    lua_pushlstring(L, p ? p : "", len);
    break;
  default:
    lua_pushnil(L);
  }
}

/* db:query(sql, ...) -> rows. Only SELECT: this is for exploring, the
 * domain functions do the writing. A memory error while rows are being built
 * leaves the statement to the connection, which frees it on close. */
static int db_query(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *sql = luaL_checkstring(L, 2);
  int top = lua_gettop(L);
  if (!starts_with_select(sql))
    return luaL_error(L, "query: only SELECT statements are allowed");
  zm_sql_conn *c = zm_meta_conn(m);
  zm_sql_stmt *s = NULL;
  int rc = c->drv->prepare(&s, c, sql);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  if (!c->drv->readonly(s)) {
    c->drv->finalize(s);
    return luaL_error(L, "query: only SELECT statements are allowed");
  }
  rc = bind_lua(L, s, 3, top);
  lua_newtable(L);
  int ncols = c->drv->column_count(s);
  for (lua_Integer n = 1; rc == 0 && (rc = c->drv->step(s)) == ZM_SQL_ROW; n++) {
    lua_createtable(L, 0, ncols);
    for (int i = 0; i < ncols; i++) {
      push_column(L, s, i);
      lua_setfield(L, -2, c->drv->column_name(s, i));
    }
    lua_rawseti(L, -2, n);
    rc = 0;
  }
  c->drv->finalize(s);
  return rc < 0 ? zm_bind_raise(L, rc) : 1;
}

/* --- datasources --------------------------------------------------------- */

static int db_datasource_register(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *name = luaL_checkstring(L, 2);
  const char *type = luaL_checkstring(L, 3);
  const char *config = luaL_optstring(L, 4, NULL);
  int64_t id = 0;
  int rc = zm_meta_datasource_register(&id, m, name, type, config);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  lua_pushinteger(L, id);
  return 1;
}

static int db_datasource(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *name = luaL_checkstring(L, 2);
  zm_meta_datasource *d = NULL;
  int rc = zm_meta_datasource_get(&d, m, name);
  if (rc < 0)
    return fail(L, rc);
  box_push(L, d, free_datasource);
  lua_createtable(L, 0, 5);
  set_int(L, "id", d->id);
  set_str(L, "name", d->name);
  set_str(L, "type", d->type);
  set_str(L, "config", d->config);
  set_num(L, "created", d->created);
  box_done(L, -2);
  return 1;
}

static void push_strings(lua_State *L, const zm_meta_strings *l)
{
  lua_createtable(L, (int)l->len, 0);
  for (size_t i = 0; i < l->len; i++) {
    lua_pushstring(L, l->items[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static int db_datasources(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  zm_meta_strings *l = NULL;
  int rc = zm_meta_datasource_list(&l, m);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  box_push(L, l, free_strings);
  push_strings(L, l);
  box_done(L, -2);
  return 1;
}

static int db_version_add(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *ds = luaL_checkstring(L, 2);
  luaL_checktype(L, 3, LUA_TTABLE);
  zm_meta_dsversion v = {
      .id = (char *)opt_field(L, 3, "id"),
      .artifact = (char *)opt_field(L, 3, "artifact"),
      .rows = int_field(L, 3, "rows", 0),
      .columns = int_field(L, 3, "columns", 0),
      .bytes = int_field(L, 3, "bytes", 0),
      .created = num_field(L, 3, "created"),
  };
  if (!v.id || !v.artifact)
    return luaL_argerror(L, 3, "expected a table with 'id' and 'artifact' strings");
  int rc = zm_meta_dsversion_add(m, ds, &v);
  return rc < 0 ? zm_bind_raise(L, rc) : 0;
}

static void push_dsversion(lua_State *L, const zm_meta_dsversion *v)
{
  lua_createtable(L, 0, 7);
  set_str(L, "id", v->id);
  set_str(L, "datasource", v->datasource);
  set_str(L, "artifact", v->artifact);
  set_int(L, "rows", v->rows);
  set_int(L, "columns", v->columns);
  set_int(L, "bytes", v->bytes);
  set_num(L, "created", v->created);
}

static int db_version_latest(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *ds = luaL_checkstring(L, 2);
  zm_meta_dsversion *v = NULL;
  int rc = zm_meta_dsversion_latest(&v, m, ds);
  if (rc < 0)
    return fail(L, rc);
  box_push(L, v, free_dsversion);
  push_dsversion(L, v);
  box_done(L, -2);
  return 1;
}

static int db_versions(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *ds = luaL_checkstring(L, 2);
  zm_meta_dsversions *l = NULL;
  int rc = zm_meta_dsversion_list(&l, m, ds);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  box_push(L, l, free_dsversions);
  lua_createtable(L, (int)l->len, 0);
  for (size_t i = 0; i < l->len; i++) {
    push_dsversion(L, &l->items[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  box_done(L, -2);
  return 1;
}

/* --- pipelines and runs -------------------------------------------------- */

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

static int db_run_begin(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  luaL_checktype(L, 2, LUA_TTABLE);
  zm_meta_run r = {
      .id = (char *)opt_field(L, 2, "id"),
      .pipeline = (char *)opt_field(L, 2, "pipeline"),
      .pipeline_version = int_field(L, 2, "pipeline_version", 0),
      .yaml_path = (char *)opt_field(L, 2, "yaml_path"),
      .yaml_hash = (char *)opt_field(L, 2, "yaml_hash"),
      .git_commit = (char *)opt_field(L, 2, "git_commit"),
      .git_branch = (char *)opt_field(L, 2, "git_branch"),
      .started = num_field(L, 2, "started"),
      .backend = (char *)opt_field(L, 2, "backend"),
      .host = (char *)opt_field(L, 2, "host"),
      .pid = int_field(L, 2, "pid", 0),
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
  zm_meta_status s = check_status(L, 3);
  int rc = zm_meta_run_finish(m, id, s);
  return rc < 0 ? fail(L, rc) : (lua_pushboolean(L, 1), 1);
}

static void push_run(lua_State *L, const zm_meta_run *r)
{
  lua_createtable(L, 0, 14);
  set_str(L, "id", r->id);
  set_str(L, "pipeline", r->pipeline);
  set_int(L, "pipeline_version", r->pipeline_version);
  set_str(L, "yaml_path", r->yaml_path);
  set_str(L, "yaml_hash", r->yaml_hash);
  set_str(L, "git_commit", r->git_commit);
  set_str(L, "git_branch", r->git_branch);
  lua_pushboolean(L, r->git_dirty);
  lua_setfield(L, -2, "git_dirty");
  set_str(L, "status", zm_meta_status_name(r->status));
  set_num(L, "started", r->started);
  if (r->ended > 0)
    set_num(L, "ended", r->ended);
  set_str(L, "backend", r->backend);
  set_str(L, "host", r->host);
  set_int(L, "pid", r->pid);
}

static int db_run(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *id = luaL_checkstring(L, 2);
  zm_meta_run *r = NULL;
  int rc = zm_meta_run_get(&r, m, id);
  if (rc < 0)
    return fail(L, rc);
  box_push(L, r, free_run);
  push_run(L, r);
  box_done(L, -2);
  return 1;
}

static int db_runs(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  zm_meta_run_filter f = {NULL, -1, 0};
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    f.pipeline = opt_field(L, 2, "pipeline");
    f.limit = (int)int_field(L, 2, "limit", 0);
    lua_getfield(L, 2, "status");
    if (!lua_isnil(L, -1))
      f.status = (int)check_status(L, lua_gettop(L));
    lua_pop(L, 1);
  }
  zm_meta_runs *l = NULL;
  int rc = zm_meta_run_list(&l, m, &f);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  box_push(L, l, free_runs);
  lua_createtable(L, (int)l->len, 0);
  for (size_t i = 0; i < l->len; i++) {
    push_run(L, &l->items[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  box_done(L, -2);
  return 1;
}

static int db_read_only(lua_State *L)
{
  lua_pushboolean(L, zm_meta_read_only(zm_bind_meta_check(L)));
  return 1;
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

/* --- executions and the cache -------------------------------------------- */

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
  zm_meta_status s = check_status(L, 3);
  const char *err = luaL_optstring(L, 4, NULL);
  const char *log = luaL_optstring(L, 5, NULL);
  int rc = zm_meta_execution_finish(m, id, s, err, log);
  return rc < 0 ? fail(L, rc) : (lua_pushboolean(L, 1), 1);
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
    return fail(L, rc);
  lua_pushinteger(L, id);
  return 1;
}

static void push_execution(lua_State *L, const zm_meta_execution *e)
{
  lua_createtable(L, 0, 12);
  set_int(L, "id", e->id);
  set_str(L, "run", e->run_id);
  set_str(L, "step", e->step);
  set_str(L, "class", e->class_name);
  set_str(L, "source", e->source);
  set_str(L, "cache_key", e->cache_key);
  set_str(L, "status", zm_meta_status_name(e->status));
  if (e->cached_from)
    set_int(L, "cached_from", e->cached_from);
  set_num(L, "started", e->started);
  if (e->ended > 0)
    set_num(L, "ended", e->ended);
  set_str(L, "error", e->error);
  set_str(L, "log_artifact", e->log_artifact);
}

static int db_execution(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  lua_Integer id = luaL_checkinteger(L, 2);
  zm_meta_execution *e = NULL;
  int rc = zm_meta_execution_get(&e, m, id);
  if (rc < 0)
    return fail(L, rc);
  box_push(L, e, free_execution);
  push_execution(L, e);
  box_done(L, -2);
  return 1;
}

static int db_executions(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *run = luaL_checkstring(L, 2);
  zm_meta_executions *l = NULL;
  int rc = zm_meta_execution_list(&l, m, run);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  box_push(L, l, free_executions);
  lua_createtable(L, (int)l->len, 0);
  for (size_t i = 0; i < l->len; i++) {
    push_execution(L, &l->items[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  box_done(L, -2);
  return 1;
}

/* {execution = id, outputs = {name = artifact}} */
static void push_hit(lua_State *L, const zm_meta_cache_hit *h)
{
  lua_createtable(L, 0, 2);
  set_int(L, "execution", h->execution);
  lua_createtable(L, 0, (int)h->len);
  for (size_t i = 0; i < h->len; i++)
    set_str(L, h->outputs[i].name, h->outputs[i].artifact);
  lua_setfield(L, -2, "outputs");
}

typedef struct {
  lua_State *L;
  int fn;
} exists_ctx;

/* The Lua existence check runs protected: an error in it must not jump over
 * the C lookup's cleanup. */
static int exists_lua(void *ctx, const char *artifact)
{
  exists_ctx *x = ctx;
  lua_State *L = x->L;
  if (!lua_checkstack(L, 3))
    return zm_error_set(ZM_ENOMEM, "out of memory");
  lua_pushvalue(L, x->fn);
  lua_pushstring(L, artifact);
  if (zm_bind_pcall(L, 1, 1) != LUA_OK) {
    int rc = zm_error_set(ZM_ERROR, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    return rc;
  }
  int ok = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return ok;
}

static int db_cache_lookup(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *cls = luaL_checkstring(L, 2);
  const char *key = luaL_checkstring(L, 3);
  exists_ctx x = {L, 4};
  if (!lua_isnoneornil(L, 4))
    luaL_checktype(L, 4, LUA_TFUNCTION);
  zm_meta_cache_hit *h = NULL;
  int rc = zm_meta_cache_lookup(&h, m, cls, key, lua_isnoneornil(L, 4) ? NULL : exists_lua, &x);
  if (rc < 0)
    return fail(L, rc);
  box_push(L, h, free_hit);
  push_hit(L, h);
  box_done(L, -2);
  return 1;
}

static int db_outputs(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  lua_Integer id = luaL_checkinteger(L, 2);
  zm_meta_cache_hit *h = NULL;
  int rc = zm_meta_outputs(&h, m, id);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  box_push(L, h, free_hit);
  push_hit(L, h);
  lua_getfield(L, -1, "outputs");
  box_done(L, -3);
  lua_pop(L, 1);
  return 1;
}

/* --- artifacts, lineage, metrics, properties ----------------------------- */

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
  zm_meta *m = zm_bind_meta_check(L);
  zm_meta_strings *l = NULL;
  int rc = zm_meta_artifact_refs(&l, m);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  box_push(L, l, free_strings);
  push_strings(L, l);
  box_done(L, -2);
  return 1;
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

static int db_metrics(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *run = luaL_checkstring(L, 2);
  zm_meta_metrics *l = NULL;
  int rc = zm_meta_metric_list(&l, m, run);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  box_push(L, l, free_metrics);
  lua_createtable(L, (int)l->len, 0);
  for (size_t i = 0; i < l->len; i++) {
    lua_createtable(L, 0, 4);
    set_str(L, "run", l->items[i].run_id);
    if (l->items[i].execution)
      set_int(L, "execution", l->items[i].execution);
    set_str(L, "name", l->items[i].name);
    set_num(L, "value", l->items[i].value);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  box_done(L, -2);
  return 1;
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

static int db_property_get(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *kind = luaL_checkstring(L, 2);
  const char *entity = luaL_checkstring(L, 3);
  const char *name = luaL_checkstring(L, 4);
  zm_meta_value v;
  int rc = zm_meta_property_get(&v, m, kind, entity, name);
  if (rc < 0)
    return fail(L, rc);
  if (v.type == ZM_META_INT)
    lua_pushinteger(L, v.i);
  else if (v.type == ZM_META_DOUBLE)
    lua_pushnumber(L, v.d);
  else {
    box_push(L, v.s, free);
    lua_pushstring(L, v.s ? v.s : "");
    box_done(L, -2);
  }
  return 1;
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

int zm_bind_open_meta(lua_State *L)
{
  static const luaL_Reg methods[] = {
      {"close", db_release},
      {"begin", db_begin},
      {"commit", db_commit},
      {"rollback", db_rollback},
      {"query", db_query},
      {"datasource_register", db_datasource_register},
      {"datasource", db_datasource},
      {"datasources", db_datasources},
      {"version_add", db_version_add},
      {"version_latest", db_version_latest},
      {"versions", db_versions},
      {"pipeline_version", db_pipeline_version},
      {"run_begin", db_run_begin},
      {"run_finish", db_run_finish},
      {"run", db_run},
      {"runs", db_runs},
      {"recover", db_recover},
      {"read_only", db_read_only},
      {"execution_begin", db_execution_begin},
      {"execution_finish", db_execution_finish},
      {"execution_reuse", db_execution_reuse},
      {"execution", db_execution},
      {"executions", db_executions},
      {"cache_lookup", db_cache_lookup},
      {"outputs", db_outputs},
      {"artifact_record", db_artifact_record},
      {"event_add", db_event_add},
      {"artifact_refs", db_artifact_refs}, {"artifact_lost", db_artifact_lost},
      {"previous_execution", zm_bind_meta_previous_execution},
      {"latest_run_with", zm_bind_meta_latest_run_with},
      {"metric_set", db_metric_set},
      {"metrics", db_metrics},
      {"property_set", db_property_set},
      {"property_get", db_property_get},
      {"hash_file", db_hash_file},
      {"hash_begin", zm_bind_meta_hash_begin},
      {"hash_end", zm_bind_meta_hash_end},
      {NULL, NULL},
  };
  if (luaL_newmetatable(L, META_BOX)) {
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  if (luaL_newmetatable(L, META_DB)) {
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, db_release);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, db_release);
    lua_setfield(L, -2, "__close");
  }
  lua_pop(L, 1);
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, meta_open);
  lua_setfield(L, -2, "open");
  lua_pushinteger(L, ZM_META_SCHEMA_VERSION);
  lua_setfield(L, -2, "schema_version");
  return 1;
}
