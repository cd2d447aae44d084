/* zenml._core.archive: archives read entry by entry, folder listings and
 * SQLite queries, for the datasources. C results are boxed in userdata
 * before they are filled, so a Lua error never strands C memory. */
#include "archive/archive.h"
#include "archive/query.h"
#include "bind/bind.h"
#include "bind/bind_frame.h"
#include "core/error.h"

#define ARCHIVE_MT "zenml.archive"

ZM_BIND_HANDLE(archive_ud, zm_archive, a, zm_archive_free)

ZM_BIND_FREE_FN(free_file_set, zm_file_set_free, zm_file_set)

static zm_archive *check_archive(lua_State *L)
{
  archive_ud *u = luaL_checkudata(L, 1, ARCHIVE_MT);
  if (!u->a)
    luaL_error(L, "archive: attempt to use a closed archive");
  return u->a;
}

static void push_problem(lua_State *L, const void *item)
{
  const zm_archive_problem *p = item;
  lua_createtable(L, 0, 2);
  zm_bind_set_str(L, "what", p->what);
  zm_bind_set_str(L, "problem", p->problem);
}

static void push_problems(lua_State *L, const zm_archive_problems *p)
{
  zm_bind_push_list(L, p->items, p->n, sizeof *p->items, push_problem);
}

static uint64_t limit_field(lua_State *L, const char *name)
{
  lua_getfield(L, 2, name);
  lua_Integer v = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 0;
  lua_pop(L, 1);
  return v > 0 ? (uint64_t)v : 0;
}

/* open(path, limits?) -> archive | nil, message */
static int l_open(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  zm_archive_limits lim = {0};
  if (lua_istable(L, 2)) {
    lim.max_bytes = limit_field(L, "max_bytes");
    lim.max_ratio = limit_field(L, "max_ratio");
    lim.ratio_floor = limit_field(L, "ratio_floor");
    lim.max_entries = limit_field(L, "max_entries");
  }
  archive_ud *u = zm_bind_box_new(L, sizeof *u, ARCHIVE_MT, archive_ud_release);
  int rc = zm_archive_open(&u->a, path, &lim);
  if (rc)
    return zm_bind_fail(L, rc);
  return 1;
}

/* ar:next() -> path, bytes, executable | nil at the end | nil, message */
static int l_next(lua_State *L)
{
  zm_archive *a = check_archive(L);
  zm_archive_entry e;
  int rc = zm_archive_next(&e, a);
  if (rc < 0)
    return zm_bind_fail(L, rc);
  if (rc == 0) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushstring(L, e.path);
  lua_pushlstring(L, e.data, e.len);
  lua_pushboolean(L, e.executable);
  return 3;
}

static int l_problems(lua_State *L)
{
  push_problems(L, zm_archive_problems_of(check_archive(L)));
  return 1;
}

/* walk(folder) -> paths, problems | nil, message */
static int l_walk(lua_State *L)
{
  const char *folder = luaL_checkstring(L, 1);
  void **slot = zm_bind_hold(L, free_file_set);
  zm_file_set *set = NULL;
  int rc = zm_archive_walk(&set, folder);
  *slot = set;
  if (rc)
    return zm_bind_fail(L, rc);
  zm_bind_push_strings(L, set->paths, set->n);
  push_problems(L, &set->problems);
  return 2; /* the box is collected later, freeing the set */
}

static int l_detect(lua_State *L)
{
  lua_pushboolean(L, zm_archive_detect(luaL_checkstring(L, 1)));
  return 1;
}

/* query_sqlite(path, sql) -> frame | nil, message */
static int l_query_sqlite(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  const char *sql = luaL_checkstring(L, 2);
  lframe *box = zm_lframe_push(L);
  if (zm_query_sqlite(&box->f, path, sql) != 0)
    return zm_bind_fail(L, ZM_EINVALID);
  return 1;
}

int zm_bind_open_archive(lua_State *L)
{
  static const luaL_Reg methods[] = {
      {"next", l_next}, {"problems", l_problems}, {"close", zm_bind_release}, {NULL, NULL}};
  zm_bind_box_type(L, ARCHIVE_MT, methods);
  lua_pop(L, 1);
  static const luaL_Reg fns[] = {{"open", l_open},
                                 {"walk", l_walk},
                                 {"detect", l_detect},
                                 {"query_sqlite", l_query_sqlite},
                                 {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
