#include "bind/bind.h"
#include "core/error.h"

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

/* Raised without a position: what the C core reports (a full disk, a
 * damaged file, a missing object) is a condition of the data or the machine,
 * not a line of Lua, so it is shown as one line (zenml.errors). */
int zm_bind_raise(lua_State *L, int code)
{
  (void)code;
  lua_pushstring(L, zm_error_last());
  return lua_error(L);
}

int zm_bind_fail(lua_State *L, int code)
{
  (void)code;
  lua_pushnil(L);
  lua_pushstring(L, zm_error_last());
  return 2;
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

/* package.path: our lua/ and stdlib/, the repository's steps/, then whatever
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
    lua_pushfstring(L, "%s/steps/?.lua;%s/steps/?/init.lua;", root, root);
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
