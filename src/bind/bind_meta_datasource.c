/* db:datasource_register, db:datasource(s), db:version_add, db:version_latest,
 * db:versions: datasources and their versions (src/meta/meta.c). */
#include "bind/bind.h"
#include "bind/bind_meta.h"

ZM_BIND_FREE_FN(free_datasource, zm_meta_datasource_free, zm_meta_datasource)
ZM_BIND_FREE_FN(free_dsversion, zm_meta_dsversion_free, zm_meta_dsversion)
ZM_BIND_FREE_FN(free_dsversions, zm_meta_dsversions_free, zm_meta_dsversions)

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

static void push_datasource(lua_State *L, const void *p)
{
  const zm_meta_datasource *d = p;
  lua_createtable(L, 0, 5);
  zm_bind_set_int(L, "id", d->id);
  zm_bind_set_str(L, "name", d->name);
  zm_bind_set_str(L, "type", d->type);
  zm_bind_set_str(L, "config", d->config);
  zm_bind_set_num(L, "created", d->created);
}

static int db_datasource(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *name = luaL_checkstring(L, 2);
  zm_meta_datasource *d = NULL;
  int rc = zm_meta_datasource_get(&d, m, name);
  if (rc < 0)
    return zm__bind_meta_fail(L, rc);
  return zm_bind_push_owned(L, d, free_datasource, push_datasource);
}

static int db_datasources(lua_State *L)
{
  zm_meta_strings *l = NULL;
  int rc = zm_meta_datasource_list(&l, zm_bind_meta_check(L));
  if (rc < 0)
    return zm_bind_raise(L, rc);
  return zm_bind_push_owned(L, l, zm__bind_meta_free_strings, zm__bind_meta_push_strings);
}

static int db_version_add(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *ds = luaL_checkstring(L, 2);
  luaL_checktype(L, 3, LUA_TTABLE);
  zm_meta_dsversion v = {
      .id = (char *)zm__bind_meta_str_field(L, 3, "id"),
      .artifact = (char *)zm__bind_meta_str_field(L, 3, "artifact"),
      .rows = zm__bind_meta_int_field(L, 3, "rows", 0),
      .columns = zm__bind_meta_int_field(L, 3, "columns", 0),
      .bytes = zm__bind_meta_int_field(L, 3, "bytes", 0),
      .created = zm__bind_meta_num_field(L, 3, "created"),
  };
  if (!v.id || !v.artifact)
    return luaL_argerror(L, 3, "expected a table with 'id' and 'artifact' strings");
  int rc = zm_meta_dsversion_add(m, ds, &v);
  return rc < 0 ? zm_bind_raise(L, rc) : 0;
}

static void push_dsversion(lua_State *L, const void *item)
{
  const zm_meta_dsversion *v = item;
  lua_createtable(L, 0, 7);
  zm_bind_set_str(L, "id", v->id);
  zm_bind_set_str(L, "datasource", v->datasource);
  zm_bind_set_str(L, "artifact", v->artifact);
  zm_bind_set_int(L, "rows", v->rows);
  zm_bind_set_int(L, "columns", v->columns);
  zm_bind_set_int(L, "bytes", v->bytes);
  zm_bind_set_num(L, "created", v->created);
}

ZM_BIND_LIST_PUSHER(push_dsversions, zm_meta_dsversions, push_dsversion)

static int db_version_latest(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *ds = luaL_checkstring(L, 2);
  zm_meta_dsversion *v = NULL;
  int rc = zm_meta_dsversion_latest(&v, m, ds);
  if (rc < 0)
    return zm__bind_meta_fail(L, rc);
  return zm_bind_push_owned(L, v, free_dsversion, push_dsversion);
}

static int db_versions(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *ds = luaL_checkstring(L, 2);
  zm_meta_dsversions *l = NULL;
  int rc = zm_meta_dsversion_list(&l, m, ds);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  return zm_bind_push_owned(L, l, free_dsversions, push_dsversions);
}

void zm__bind_meta_datasource_methods(lua_State *L)
{
  static const luaL_Reg methods[] = {
      {"datasource_register", db_datasource_register},
      {"datasource", db_datasource},
      {"datasources", db_datasources},
      {"version_add", db_version_add},
      {"version_latest", db_version_latest},
      {"versions", db_versions},
      {NULL, NULL},
  };
  luaL_setfuncs(L, methods, 0);
}
