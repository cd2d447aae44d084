/* The store as a whole (src/meta/meta_copy.c): db:info() for `zenml
 * metadata info`, db:copy_into(other) for `zenml metadata migrate`, and
 * db:tx_lost() for Store:transaction's one retry. */
#include "bind/bind.h"
#include "bind/bind_meta.h"

#include <lauxlib.h>

/* db:info() -> {driver, version, bytes, tables = {{name, rows}, ...}} */
static int db_info(lua_State *L)
{
  zm_meta_info info;
  int rc = zm_meta_info_get(&info, zm_bind_meta_check(L));
  if (rc < 0)
    return zm_bind_raise(L, rc);
  lua_createtable(L, 0, 4);
  zm_bind_set_str(L, "driver", info.driver);
  zm_bind_set_int(L, "version", info.version);
  zm_bind_set_int(L, "bytes", info.bytes);
  lua_createtable(L, ZM_META_TABLES, 0);
  for (int i = 0; i < ZM_META_TABLES; i++) {
    lua_createtable(L, 0, 2);
    zm_bind_set_str(L, "name", info.tables[i].name);
    zm_bind_set_int(L, "rows", info.tables[i].rows);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "tables");
  return 1;
}

/* db:copy_into(other): every row of db into the empty store `other`. */
static int db_copy_into(lua_State *L)
{
  zm_meta *src = zm_bind_meta_check(L);
  lua_pushvalue(L, 1); /* keeps the source alive once slot 1 is the destination */
  lua_pushvalue(L, 2);
  lua_replace(L, 1);
  zm_meta *dst = zm_bind_meta_check(L);
  int rc = zm_meta_copy(dst, src);
  return rc < 0 ? zm_bind_raise(L, rc) : 0;
}

/* db:driver() -> "sqlite" or "mysql" */
static int db_driver(lua_State *L)
{
  lua_pushstring(L, zm_meta_driver(zm_bind_meta_check(L)));
  return 1;
}

/* db:tx_lost() -> true when the open transaction was rolled back under us */
static int db_tx_lost(lua_State *L)
{
  lua_pushboolean(L, zm_meta_tx_lost(zm_bind_meta_check(L)));
  return 1;
}

void zm__bind_meta_store_methods(lua_State *L)
{
  static const luaL_Reg methods[] = {
      {"info", db_info},
      {"copy_into", db_copy_into},
      {"driver", db_driver},
      {"tx_lost", db_tx_lost},
      {NULL, NULL},
  };
  luaL_setfuncs(L, methods, 0);
}
