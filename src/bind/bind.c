#include "bind/bind.h"
#include "core/error.h"

#include <limits.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char home_dir[4096];

/* Each submodule of zenml._core: name and the function that pushes its table.
 * A new subsystem adds one line here and one zm_bind_open_<name>. */
static const struct {
  const char *name;
  lua_CFunction open;
} submodules[] = {
    {"sys", zm_bind_open_sys},
    {"frame", zm_bind_open_frame},
    {"meta", zm_bind_open_meta},
    {"git", zm_bind_open_git},
    {"yaml", zm_bind_open_yaml},
    {"hash", zm_bind_open_hash},
    {"store", zm_bind_open_store},
    {"archive", zm_bind_open_archive},
    {"ml", zm_bind_open_ml},
    {"exec", zm_bind_open_exec},
    {"steplib", zm_bind_open_steplib},
    {"json", zm_bind_open_json},
    {"modules", zm_bind_open_modules},
};

void zm_bind_set_home(const char *home)
{
  snprintf(home_dir, sizeof home_dir, "%s", home ? home : "");
}

const char *zm_bind_home(void)
{
  return home_dir;
}

static int last_error_code(lua_State *L);

int zm_bind_open_core(lua_State *L)
{
  size_t n = sizeof submodules / sizeof submodules[0];
  lua_createtable(L, 0, (int)n + 1);
  for (size_t i = 0; i < n; i++) {
    lua_pushcfunction(L, submodules[i].open);
    lua_call(L, 0, 1);
    lua_setfield(L, -2, submodules[i].name);
  }
  lua_pushstring(L, ZM_VERSION);
  lua_setfield(L, -2, "version");
  lua_pushcfunction(L, last_error_code);
  lua_setfield(L, -2, "last_error_code");
  return 1;
}

/* The message handler of every protected call from C: the Lua one that
 * zenml.errors installs in the registry (the user's frames only), or, when
 * it is not loaded or fails, the message with a full traceback. */
static int msghandler(lua_State *L)
{
  if (lua_getfield(L, LUA_REGISTRYINDEX, "zenml.msghandler") == LUA_TFUNCTION) {
    lua_pushvalue(L, 1);
    if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TSTRING)
      return 1;
  }
  lua_settop(L, 1);
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
      msg = lua_tostring(L, -1);
    else
      msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

int zm_bind_pcall(lua_State *L, int nargs, int nresults)
{
  int base = lua_gettop(L) - nargs;
  lua_pushcfunction(L, msghandler);
  lua_insert(L, base);
  int status = lua_pcall(L, nargs, nresults, base);
  lua_remove(L, base);
  return status;
}

static const struct {
  int code;
  const char *name;
} code_names[] = {
    {ZM_ENOTFOUND, "notfound"}, {ZM_EEXISTS, "exists"}, {ZM_EINVALID, "invalid"},
    {ZM_EIO, "io"},             {ZM_ENOMEM, "nomem"},   {ZM_EVERSION, "version"},
    {ZM_EINTR, "interrupted"},
};

const char *zm_bind_code_name(int code)
{
  for (size_t i = 0; i < sizeof code_names / sizeof code_names[0]; i++)
    if (code_names[i].code == code)
      return code_names[i].name;
  return "error";
}

#define LAST_CODE "zenml.error.code"
#define LAST_MESSAGE "zenml.error.message"

/* Raised without a position: what the C core reports (a full disk, a
 * damaged file, a missing object) is a condition of the data or the machine,
 * not a line of Lua, so it is shown as one line (zenml.errors). The value is
 * the message itself, so tostring and string matching keep working; the
 * code goes to the registry for last_error_code. */
int zm_bind_raise_in(lua_State *L, int code, const char *where)
{
  lua_pushstring(L, zm_bind_code_name(code));
  lua_setfield(L, LUA_REGISTRYINDEX, LAST_CODE);
  if (where)
    lua_pushfstring(L, "%s: %s", where, zm_error_last());
  else
    lua_pushstring(L, zm_error_last());
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, LAST_MESSAGE);
  return lua_error(L);
}

int zm_bind_raise(lua_State *L, int code)
{
  return zm_bind_raise_in(L, code, NULL);
}

int zm_bind_fail(lua_State *L, int code)
{
  lua_pushnil(L);
  lua_pushstring(L, zm_error_last());
  lua_pushstring(L, zm_bind_code_name(code));
  return 3;
}

/* last_error_code([err]) -> name | nil: the code of the last error the C
 * core raised in this state; given the caught error, only when it is that
 * error (its text ends with the raised message), so a stale code is never
 * taken for a Lua error's. */
static int last_error_code(lua_State *L)
{
  int any = !lua_isnoneornil(L, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, LAST_CODE);
  if (!any)
    return 1;
  size_t elen = 0, mlen = 0;
  const char *err = lua_type(L, 1) == LUA_TSTRING ? lua_tolstring(L, 1, &elen) : NULL;
  lua_getfield(L, LUA_REGISTRYINDEX, LAST_MESSAGE);
  const char *msg = lua_tolstring(L, -1, &mlen);
  if (!err || !msg || elen < mlen || memcmp(err + elen - mlen, msg, mlen) != 0)
    lua_pushnil(L);
  else
    lua_pushvalue(L, -2);
  return 1;
}

/* --- boxes --------------------------------------------------------------- */

#define HOLD_MT "zenml.box"

void *zm_bind_box_new(lua_State *L, size_t size, const char *mt,
                      void (*release)(zm_bind_box *b))
{
  zm_bind_box *b = lua_newuserdatauv(L, size, 0);
  memset(b, 0, size);
  b->release = release;
  if (luaL_getmetatable(L, mt) == LUA_TNIL) {
    lua_pop(L, 1);
    zm_bind_box_type(L, mt, NULL);
  }
  lua_setmetatable(L, -2);
  return b;
}

/* The box at idx: a userdata whose metatable releases through us. */
static zm_bind_box *to_box(lua_State *L, int idx)
{
  zm_bind_box *b = lua_touserdata(L, idx);
  int ok = 0;
  if (b && lua_getmetatable(L, idx)) {
    lua_getfield(L, -1, "__gc");
    ok = lua_tocfunction(L, -1) == zm_bind_release;
    lua_pop(L, 2);
  }
  if (!ok)
    luaL_typeerror(L, idx, "zenml handle");
  return b;
}

int zm_bind_release(lua_State *L)
{
  zm_bind_box *b = to_box(L, 1);
  void (*release)(zm_bind_box *) = b->release;
  b->release = NULL;
  if (release)
    release(b);
  return 0;
}

void zm_bind_box_type(lua_State *L, const char *mt, const luaL_Reg *methods)
{
  luaL_newmetatable(L, mt);
  if (methods) {
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
  }
  lua_pushcfunction(L, zm_bind_release);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, zm_bind_release);
  lua_setfield(L, -2, "__close");
}

typedef struct hold {
  zm_bind_box box;
  void *p;
  void (*fn)(void *p);
} hold;

static void hold_release(zm_bind_box *b)
{
  hold *h = (hold *)b;
  if (h->p)
    h->fn(h->p);
  h->p = NULL;
}

void **zm_bind_hold(lua_State *L, void (*fn)(void *p))
{
  hold *h = zm_bind_box_new(L, sizeof *h, HOLD_MT, hold_release);
  h->fn = fn;
  return &h->p;
}

void zm_bind_hold_done(lua_State *L, int idx)
{
  idx = lua_absindex(L, idx);
  hold *h = luaL_checkudata(L, idx, HOLD_MT);
  h->box.release = NULL;
  hold_release(&h->box);
  lua_replace(L, idx);
}

/* --- lists and fields ---------------------------------------------------- */

void zm_bind_push_list(lua_State *L, const void *items, size_t n, size_t size,
                       zm_bind_push_fn push)
{
  lua_createtable(L, n > INT_MAX ? 0 : (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    push(L, (const char *)items + i * size);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

typedef struct push_args {
  const void *p;
  zm_bind_push_fn push;
} push_args;

static int push_protected(lua_State *L)
{
  push_args *a = lua_touserdata(L, 1);
  a->push(L, a->p);
  return 1;
}

int zm_bind_push_owned(lua_State *L, void *p, void (*fn)(void *p), zm_bind_push_fn push)
{
  push_args a = {p, push};
  if (!lua_checkstack(L, 3)) {
    fn(p);
    return luaL_error(L, "out of memory");
  }
  lua_pushcfunction(L, push_protected); /* neither push allocates */
  lua_pushlightuserdata(L, &a);
  int status = lua_pcall(L, 1, 1, 0);
  fn(p);
  return status == LUA_OK ? 1 : lua_error(L);
}

void zm_bind_push_string(lua_State *L, const void *s)
{
  lua_pushstring(L, s);
}

void zm_bind_push_strings(lua_State *L, char *const *items, size_t n)
{
  lua_createtable(L, n > INT_MAX ? 0 : (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushstring(L, items[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

void zm_bind_set_str(lua_State *L, const char *k, const char *v)
{
  if (!v)
    return;
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}

void zm_bind_set_int(lua_State *L, const char *k, lua_Integer v)
{
  lua_pushinteger(L, v);
  lua_setfield(L, -2, k);
}

void zm_bind_set_num(lua_State *L, const char *k, double v)
{
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}

void zm_bind_set_bool(lua_State *L, const char *k, int v)
{
  lua_pushboolean(L, v);
  lua_setfield(L, -2, k);
}

/* The nearest folder at or above the current one that holds .zenml/, or "". */
static void find_repo_root(char *out, size_t cap)
{
  char dir[4096];
  out[0] = '\0';
  if (!getcwd(dir, sizeof dir))
    return;
  for (;;) {
    char probe[4200];
    struct stat st;
    snprintf(probe, sizeof probe, "%s/.zenml", strcmp(dir, "/") ? dir : "");
    if (stat(probe, &st) == 0 && S_ISDIR(st.st_mode)) {
      snprintf(out, cap, "%s", dir);
      return;
    }
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
      return;
    *slash = '\0';
  }
}

/* package.path: our lua/ and stdlib/, the repository's steps/ and backends/, then whatever
 * LUA_PATH or Lua's default gave. */
static void set_paths(lua_State *L)
{
  const char *home = home_dir[0] ? home_dir : ".";
  char root[4096];
  find_repo_root(root, sizeof root);
  luaL_Buffer b;
  lua_getglobal(L, "package");
  luaL_buffinit(L, &b);
  lua_pushfstring(L, "%s/lua/?.lua;%s/lua/?/init.lua;%s/stdlib/?.lua;%s/stdlib/?/init.lua;",
                  home, home, home, home);
  luaL_addvalue(&b);
  if (root[0]) {
    lua_pushfstring(L, "%s/steps/?.lua;%s/steps/?/init.lua;%s/backends/?.lua;%s/hooks/?.lua;", root,
                    root, root, root);
    luaL_addvalue(&b);
  }
  lua_getfield(L, -2, "path");
  luaL_addvalue(&b);
  luaL_pushresult(&b);
  lua_setfield(L, -2, "path");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, zm_bind_open_core);
  lua_setfield(L, -2, "zenml._core");
  lua_pop(L, 2);
}

/* Every state formats its errors with zenml.errors (msghandler finds its
 * hook in the registry); a broken install still reports, unformatted. */
static void load_errors(lua_State *L)
{
  lua_getglobal(L, "require");
  lua_pushstring(L, "zenml.errors");
  if (lua_pcall(L, 1, 0, 0) != LUA_OK)
    lua_pop(L, 1);
}

lua_State *zm_bind_newstate(void)
{
  lua_State *L = luaL_newstate();
  if (!L)
    return NULL;
  lua_gc(L, LUA_GCSTOP); /* as lua.c: no collection while building the state */
  luaL_openlibs(L);
  set_paths(L);
  load_errors(L);
  /* ...then Lua 5.4's own interpreter's generational mode, which also suits a
   * host whose steps make many short-lived tables and strings. */
  lua_gc(L, LUA_GCRESTART);
  lua_gc(L, LUA_GCGEN, 0, 0);
  return L;
}
