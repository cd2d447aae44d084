/* zenml._core.steplib: the C kernels behind the standard step library that
 * zenml.frame and zenml.ml do not cover: frames side by side, rule-based
 * splits (categories and cut points) and model bundle archives. Temporary
 * arrays live in userdata, so a raise never leaks. */
#include "bind/bind.h"
#include "bind/bind_frame.h"
#include "bind/bind_ml.h"
#include "core/error.h"
#include "frame/assign.h"
#include "frame/hstack.h"
#include "frame/split.h"
#include "ml/pack.h"

#include <string.h>

static void *scratch(lua_State *L, size_t n, size_t size)
{
  return lua_newuserdatauv(L, (n ? n : 1) * size, 0);
}

/* steplib.hstack({frame, ...}) -> frame */
static int s_hstack(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  size_t n = lua_rawlen(L, 1);
  const zm_frame **parts = scratch(L, n, sizeof *parts);
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, 1, (lua_Integer)i + 1);
    parts[i] = zm_lframe_check(L, -1);
    lua_pop(L, 1); /* the table keeps the frame alive */
  }
  lframe *box = zm_lframe_push(L);
  if (zm_frame_hstack(&box->f, parts, n) != 0)
    return zm_bind_raise(L, ZM_EINVALID);
  return 1;
}

static const zm_column *check_column(lua_State *L, const zm_frame *f, int idx)
{
  const char *name = luaL_checkstring(L, idx);
  long j = zm_frame_find(f, name);
  if (j < 0)
    luaL_error(L, "column '%s' not found", name);
  return &f->cols[j];
}

/* Push the k parts of f by assign[f->nrow] as a list of frames. */
static int push_partition(lua_State *L, const zm_frame *f, const int *assign, size_t k)
{
  zm_frame **outs = scratch(L, k, sizeof *outs);
  int rc = zm_frame_partition(outs, f, assign, k);
  if (rc != 0)
    return zm_bind_raise(L, rc);
  return zm_lframe_push_list(L, outs, k);
}

/* steplib.partition_values(frame, column, {value text...}, {part...}, k,
 * unknown) -> {frame...}: parts are 1-based, unknown 0 drops. */
static int s_partition_values(lua_State *L)
{
  const zm_frame *f = zm_lframe_check(L, 1);
  const zm_column *c = check_column(L, f, 2);
  luaL_checktype(L, 3, LUA_TTABLE);
  luaL_checktype(L, 4, LUA_TTABLE);
  size_t m = lua_rawlen(L, 3), k = (size_t)luaL_checkinteger(L, 5);
  int unknown = (int)luaL_checkinteger(L, 6) - 1;
  const char **values = scratch(L, m, sizeof *values);
  int *parts = scratch(L, m, sizeof *parts);
  for (size_t v = 0; v < m; v++) {
    lua_rawgeti(L, 3, (lua_Integer)v + 1);
    values[v] = luaL_checkstring(L, -1);
    lua_rawgeti(L, 4, (lua_Integer)v + 1);
    parts[v] = (int)luaL_checkinteger(L, -1) - 1;
    lua_pop(L, 2); /* the tables keep the strings alive */
  }
  int *assign = scratch(L, f->nrow, sizeof *assign);
  if (zm_assign_by_value(assign, c, values, parts, m, unknown) != 0)
    return zm_bind_raise(L, ZM_EINVALID);
  return push_partition(L, f, assign, k);
}

/* steplib.partition_cuts(frame, column, {cut...}, open_last) -> {frame...}:
 * numbers or strings, ascending; #cuts parts (+1 when open_last). */
static int s_partition_cuts(lua_State *L)
{
  const zm_frame *f = zm_lframe_check(L, 1);
  const zm_column *c = check_column(L, f, 2);
  luaL_checktype(L, 3, LUA_TTABLE);
  int open_last = lua_toboolean(L, 4);
  size_t m = lua_rawlen(L, 3);
  double *cuts = NULL;
  const char **scuts = NULL;
  lua_rawgeti(L, 3, 1);
  int text = lua_type(L, -1) == LUA_TSTRING;
  lua_pop(L, 1);
  if (text)
    scuts = scratch(L, m, sizeof *scuts);
  else
    cuts = scratch(L, m, sizeof *cuts);
  for (size_t j = 0; j < m; j++) {
    lua_rawgeti(L, 3, (lua_Integer)j + 1);
    if (text)
      scuts[j] = luaL_checkstring(L, -1);
    else
      cuts[j] = luaL_checknumber(L, -1);
    lua_pop(L, 1);
  }
  int *assign = scratch(L, f->nrow, sizeof *assign);
  if (zm_assign_by_cuts(assign, c, cuts, scuts, m, open_last) != 0)
    return zm_bind_raise(L, ZM_EINVALID);
  return push_partition(L, f, assign, m + (open_last ? 1 : 0));
}

/* steplib.pack({{name, bytes}, ...}) -> the bytes of a .tar.gz */
static int s_pack(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  size_t n = lua_rawlen(L, 1);
  zm_pack_entry *e = scratch(L, n, sizeof *e);
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, 1, (lua_Integer)i + 1);
    luaL_checktype(L, -1, LUA_TTABLE);
    lua_rawgeti(L, -1, 1);
    lua_rawgeti(L, -2, 2);
    e[i].name = luaL_checkstring(L, -2);
    e[i].data = luaL_checklstring(L, -1, &e[i].len);
    lua_pop(L, 3); /* the entry tables keep the strings alive */
  }
  zm_buf *b = zm_bind_ml_buf(L);
  if (zm_pack_write(b, e, n) != 0)
    return zm_bind_raise(L, ZM_EIO);
  lua_pushlstring(L, b->data ? b->data : "", b->len);
  return 1;
}

int zm_bind_open_steplib(lua_State *L)
{
  static const luaL_Reg fns[] = {{"hstack", s_hstack},
                                 {"partition_values", s_partition_values},
                                 {"partition_cuts", s_partition_cuts},
                                 {"pack", s_pack},
                                 {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
