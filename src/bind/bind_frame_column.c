/* Column objects of zenml._core.frame: 1-based indexing, #, map, stats. */
#include "bind/bind_frame.h"
#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void zm_lcolumn_push(lua_State *L, int fidx, size_t idx)
{
  fidx = lua_absindex(L, fidx);
  lcolumn *c = lua_newuserdatauv(L, sizeof *c, 1);
  c->owner = luaL_checkudata(L, fidx, FRAME_MT);
  c->idx = idx;
  lua_pushvalue(L, fidx);
  lua_setiuservalue(L, -2, 1);
  luaL_setmetatable(L, COLUMN_MT);
}

zm_column *zm_lcolumn_test(lua_State *L, int idx)
{
  lcolumn *c = luaL_testudata(L, idx, COLUMN_MT);
  if (!c || !c->owner->f || c->idx >= c->owner->f->ncol)
    return NULL;
  return &c->owner->f->cols[c->idx];
}

static zm_column *check_column(lua_State *L, const char *method)
{
  zm_column *c = zm_lcolumn_test(L, 1);
  if (!c)
    luaL_error(L, "%s: expected a column as self, got %s", method, luaL_typename(L, 1));
  return c;
}

void zm_lcolumn_push_value(lua_State *L, const zm_column *c, size_t i)
{
  if (zm_column_is_null(c, i)) {
    lua_pushnil(L);
    return;
  }
  size_t n;
  switch (c->type) {
  case ZM_TYPE_F64: lua_pushnumber(L, ((const double *)c->data)[i]); break;
  case ZM_TYPE_I64: lua_pushinteger(L, ((const int64_t *)c->data)[i]); break;
  case ZM_TYPE_BOOL: lua_pushboolean(L, ((const uint8_t *)c->data)[i]); break;
  default: {
    const char *s = zm_column_str(c, i, &n);
    lua_pushlstring(L, s, n);
  }
  }
}

/* The type an array of Lua values makes; raises on a mix. */
static zm_type infer(lua_State *L, int t, size_t n, const char *what)
{
  int seen = LUA_TNIL, floats = 0;
  size_t first = 0;
  for (size_t i = 1; i <= n; i++) {
    int ty = lua_rawgeti(L, t, (lua_Integer)i);
    if (ty == LUA_TNUMBER && !lua_isinteger(L, -1))
      floats = 1;
    lua_pop(L, 1);
    if (ty == LUA_TNIL)
      continue;
    if (ty != LUA_TNUMBER && ty != LUA_TSTRING && ty != LUA_TBOOLEAN)
      luaL_error(L, "%s: expected numbers, strings or booleans, got %s at row %d", what,
                 lua_typename(L, ty), (int)i);
    if (seen == LUA_TNIL) {
      seen = ty;
      first = i;
    } else if (ty != seen) {
      luaL_error(L, "%s: expected values of one type, got %s at row %d and %s at row %d", what,
                 lua_typename(L, seen), (int)first, lua_typename(L, ty), (int)i);
    }
  }
  if (seen == LUA_TNUMBER)
    return floats ? ZM_TYPE_F64 : ZM_TYPE_I64;
  return seen == LUA_TBOOLEAN ? ZM_TYPE_BOOL : ZM_TYPE_STR;
}

static int fill_strings(lua_State *L, zm_frame *f, int t, size_t n, const char *name)
{
  const char **v = malloc((n ? n : 1) * sizeof *v);
  size_t *len = malloc((n ? n : 1) * sizeof *len);
  int rc = v && len ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t i = 0; rc == 0 && i < n; i++) {
    lua_rawgeti(L, t, (lua_Integer)i + 1);
    v[i] = lua_tolstring(L, -1, &len[i]); /* kept alive by the table */
    lua_pop(L, 1);
  }
  if (rc == 0)
    rc = zm_frame_add_strings(f, name, v, len);
  free(v);
  free(len);
  return rc;
}

static int fill_values(lua_State *L, zm_frame *f, int t, size_t n, const char *name, zm_type ty)
{
  zm_column *c;
  int rc = zm_frame_add(&c, f, name, ty);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    int lt = lua_rawgeti(L, t, (lua_Integer)i + 1);
    if (lt == LUA_TNIL) {
      if (ty == ZM_TYPE_F64)
        ((double *)c->data)[i] = NAN;
      rc = zm_column_set_null(c, i);
    } else if (ty == ZM_TYPE_F64) {
      ((double *)c->data)[i] = lua_tonumber(L, -1);
    } else if (ty == ZM_TYPE_I64) {
      ((int64_t *)c->data)[i] = lua_tointeger(L, -1);
    } else {
      ((uint8_t *)c->data)[i] = (uint8_t)lua_toboolean(L, -1);
    }
    lua_pop(L, 1);
  }
  return rc;
}

void zm_lcolumn_from_array(lua_State *L, lframe *box, int t, size_t n, const char *name,
                           const char *what)
{
  t = lua_absindex(L, t);
  zm_type ty = infer(L, t, n, what);
  int rc = ty == ZM_TYPE_STR ? fill_strings(L, box->f, t, n, name)
                             : fill_values(L, box->f, t, n, name, ty);
  if (rc)
    luaL_error(L, "%s: %s", what, zm_error_last());
}

static int col_index(lua_State *L)
{
  zm_column *c = check_column(L, "column:__index");
  if (lua_type(L, 2) == LUA_TSTRING) {
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "methods");
    lua_getfield(L, -1, lua_tostring(L, 2));
    return 1;
  }
  if (!lua_isinteger(L, 2))
    return luaL_error(L, "column: expected an integer index or a method name, got %s",
                      luaL_typename(L, 2));
  lua_Integer i = lua_tointeger(L, 2);
  if (i < 1 || (size_t)i > c->len)
    lua_pushnil(L);
  else
    zm_lcolumn_push_value(L, c, (size_t)i - 1);
  return 1;
}

static int col_len(lua_State *L)
{
  lua_pushinteger(L, (lua_Integer)check_column(L, "column:__len")->len);
  return 1;
}

static int col_name(lua_State *L)
{
  lua_pushstring(L, check_column(L, "column:name")->name);
  return 1;
}

static int col_type(lua_State *L)
{
  lua_pushstring(L, zm_type_name(check_column(L, "column:type")->type));
  return 1;
}

static int col_to_table(lua_State *L)
{
  zm_column *c = check_column(L, "column:to_table");
  lua_createtable(L, (int)c->len, 0);
  for (size_t i = 0; i < c->len; i++) {
    zm_lcolumn_push_value(L, c, i);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

static void push_number(lua_State *L, double v)
{
  if (isnan(v))
    lua_pushnil(L);
  else
    lua_pushnumber(L, v);
}

/* One statistic; numeric only except count. */
static int col_stat(lua_State *L, const char *method, size_t field)
{
  zm_column *c = check_column(L, method);
  zm_stats s;
  zm_column_stats(&s, c);
  if (field == offsetof(zm_stats, count)) {
    lua_pushinteger(L, (lua_Integer)s.count);
    return 1;
  }
  if (c->type == ZM_TYPE_STR)
    return luaL_error(L, "%s: expected a numeric column, got string column '%s'", method, c->name);
  double v;
  memcpy(&v, (char *)&s + field, sizeof v);
  if (field == offsetof(zm_stats, sum) && c->type == ZM_TYPE_I64 && fabs(v) < 9e15)
    lua_pushinteger(L, (lua_Integer)v);
  else
    push_number(L, v);
  return 1;
}

static int col_sum(lua_State *L) { return col_stat(L, "column:sum", offsetof(zm_stats, sum)); }
static int col_mean(lua_State *L) { return col_stat(L, "column:mean", offsetof(zm_stats, mean)); }
static int col_min(lua_State *L) { return col_stat(L, "column:min", offsetof(zm_stats, min)); }
static int col_max(lua_State *L) { return col_stat(L, "column:max", offsetof(zm_stats, max)); }
static int col_std(lua_State *L) { return col_stat(L, "column:std", offsetof(zm_stats, std)); }
static int col_count(lua_State *L) { return col_stat(L, "column:count", offsetof(zm_stats, count)); }

static int col_nulls(lua_State *L)
{
  lua_pushinteger(L, (lua_Integer)zm_column_nulls(check_column(L, "column:nulls")));
  return 1;
}

static int col_unique(lua_State *L)
{
  zm_column *c = check_column(L, "column:unique");
  lframe *box = zm_lframe_push(L);
  if (zm_column_unique(&box->f, c) != 0)
    return luaL_error(L, "column:unique: %s", zm_error_last());
  return 1;
}

/* fn(value) for every row, through the one protected-call wrapper; the
 * results (nil = null) make a new column of the type they share. */
static int col_map(lua_State *L)
{
  zm_column *c = check_column(L, "column:map");
  if (!lua_isfunction(L, 2))
    return luaL_error(L, "column:map: expected a function, got %s", luaL_typename(L, 2));
  lua_createtable(L, (int)c->len, 0);
  int out = lua_gettop(L);
  for (size_t i = 0; i < c->len; i++) {
    lua_pushvalue(L, 2);
    zm_lcolumn_push_value(L, c, i);
    if (zm_bind_pcall(L, 1, 1) != LUA_OK)
      return lua_error(L);
    lua_rawseti(L, out, (lua_Integer)i + 1);
  }
  lframe *box = zm_lframe_push(L);
  if (zm_frame_new(&box->f, c->len) != 0)
    return luaL_error(L, "column:map: %s", zm_error_last());
  zm_lcolumn_from_array(L, box, out, c->len, c->name, "column:map");
  zm_lcolumn_push(L, -1, 0);
  return 1;
}

void zm_bind_frame_column_init(lua_State *L)
{
  static const luaL_Reg methods[] = {
      {"name", col_name},   {"type", col_type}, {"to_table", col_to_table}, {"sum", col_sum},
      {"mean", col_mean},   {"min", col_min},   {"max", col_max},           {"std", col_std},
      {"count", col_count}, {"nulls", col_nulls}, {"unique", col_unique},   {"map", col_map},
      {NULL, NULL}};
  luaL_newmetatable(L, COLUMN_MT);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "methods");
  lua_pushcfunction(L, col_index);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, col_len);
  lua_setfield(L, -2, "__len");
  lua_pop(L, 1);
}
