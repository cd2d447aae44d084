/* zenml._core.meta: the metadata store as a Lua userdata; this file holds
 * the store itself, its transactions and read-only queries, and the helpers
 * the other bind_meta_*.c files share. Lists come back as arrays of plain
 * tables, built by zm_bind_push_owned, which frees the C result even when
 * Lua runs out of memory half-way. */
#include "bind/bind.h"
#include "bind/bind_meta.h"
#include "core/error.h"
#include "meta/meta.h"

#include <string.h>
#include <strings.h>

#define META_DB "zenml.meta.db"

ZM_BIND_HANDLE(db_ud, zm_meta, m, zm_meta_close)

zm_meta *zm_bind_meta_check(lua_State *L)
{
  db_ud *u = luaL_checkudata(L, 1, META_DB);
  if (!u->m)
    luaL_error(L, "metadata store is closed");
  return u->m;
}

int zm__bind_meta_fail(lua_State *L, int rc)
{
  return rc == ZM_ENOTFOUND ? zm_bind_fail(L, rc) : zm_bind_raise(L, rc);
}

const char *zm__bind_meta_str_field(lua_State *L, int t, const char *k)
{
  int type = lua_getfield(L, t, k);
  if (type != LUA_TNIL && type != LUA_TSTRING)
    luaL_error(L, "field '%s' must be a string, got %s", k, luaL_typename(L, -1));
  const char *v = type == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
  lua_pop(L, 1);
  return v;
}

lua_Integer zm__bind_meta_int_field(lua_State *L, int t, const char *k, lua_Integer def)
{
  lua_getfield(L, t, k);
  lua_Integer v = lua_isnil(L, -1) ? def : lua_tointeger(L, -1);
  if (!lua_isnil(L, -1) && !lua_isinteger(L, -1))
    luaL_error(L, "field '%s' must be an integer, got %s", k, luaL_typename(L, -1));
  lua_pop(L, 1);
  return v;
}

double zm__bind_meta_num_field(lua_State *L, int t, const char *k)
{
  lua_getfield(L, t, k);
  double v = lua_isnil(L, -1) ? 0 : luaL_checknumber(L, -1);
  lua_pop(L, 1);
  return v;
}

zm_meta_status zm__bind_meta_check_status(lua_State *L, int arg)
{
  zm_meta_status s;
  if (zm_meta_status_parse(&s, luaL_checkstring(L, arg)) < 0)
    luaL_argerror(L, arg, zm_error_last());
  return s;
}

void zm__bind_meta_push_strings(lua_State *L, const void *p)
{
  const zm_meta_strings *l = p;
  zm_bind_push_strings(L, l->items, l->len);
}

void zm__bind_meta_free_strings(void *p)
{
  zm_meta_strings_free(p);
}

/* --- the store ----------------------------------------------------------- */

/* open(url [, "create"|"write"|"read"]): "create" by default. */
static int meta_open(lua_State *L)
{
  static const char *const modes[] = {"write", "create", "read", NULL};
  const char *url = luaL_checkstring(L, 1);
  zm_sql_mode mode = (zm_sql_mode)luaL_checkoption(L, 2, "create", modes);
  db_ud *u = zm_bind_box_new(L, sizeof *u, META_DB, db_ud_release);
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

static int db_read_only(lua_State *L)
{
  lua_pushboolean(L, zm_meta_read_only(zm_bind_meta_check(L)));
  return 1;
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
  int rc = zm_sql_prepare(&s, c, sql);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  if (!c->drv->readonly(s)) {
    c->drv->finalize(s);
    return luaL_error(L, "query: only SELECT statements are allowed");
  }
  rc = bind_lua(L, s, 3, top);
  lua_newtable(L);
  for (lua_Integer n = 1; rc == 0 && (rc = c->drv->step(s)) == ZM_SQL_ROW; n++) {
    int ncols = c->drv->column_count(s); /* known once it ran (MariaDB) */
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

int zm_bind_open_meta(lua_State *L)
{
  static const luaL_Reg methods[] = {
      {"close", zm_bind_release},
      {"begin", db_begin},
      {"commit", db_commit},
      {"rollback", db_rollback},
      {"query", db_query},
      {"read_only", db_read_only},
      {NULL, NULL},
  };
  if (luaL_getmetatable(L, META_DB) == LUA_TNIL) {
    lua_pop(L, 1);
    zm_bind_box_type(L, META_DB, methods);
    lua_getfield(L, -1, "__index");
    zm__bind_meta_run_methods(L);
    zm__bind_meta_datasource_methods(L);
    zm__bind_meta_lineage_methods(L);
    zm__bind_meta_metric_methods(L);
    zm__bind_meta_hash_methods(L);
    zm__bind_meta_summary_methods(L);
    zm__bind_meta_store_methods(L);
    zm__bind_meta_catalog_methods(L);
    zm__bind_meta_registry_methods(L);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, meta_open);
  lua_setfield(L, -2, "open");
  lua_pushinteger(L, ZM_META_SCHEMA_VERSION);
  lua_setfield(L, -2, "schema_version");
  return 1;
}
