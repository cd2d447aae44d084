/* zenml._core.modules: which modules a module requires while it loads, seen
 * without replacing Lua's `require`. zenml.modules wraps a module's loading
 * in watch()/unwatch(); in between, a call hook reports every call of Lua's
 * own `require` (also of a module that is already loaded, which no searcher
 * sees) to a Lua function, and hands every other event to the hook that was
 * set before (a debugger's or a coverage tool's), so that one keeps working. */
#include "bind/bind.h"

/* The registry key of the active watch of a state (at most one: a module's
 * loading cannot yield, so watches nest but never interleave). */
static const char watch_key = 0;

typedef struct {
  lua_Hook prev; /* the hook set before watch(), called for its own events */
  int prev_mask;
  int prev_count;
  lua_CFunction require; /* Lua's require */
} watch;

static int event_mask(int event)
{
  switch (event) {
  case LUA_HOOKCALL:
  case LUA_HOOKTAILCALL:
    return LUA_MASKCALL;
  case LUA_HOOKRET:
    return LUA_MASKRET;
  case LUA_HOOKLINE:
    return LUA_MASKLINE;
  default:
    return LUA_MASKCOUNT;
  }
}

/* At a call of `require` with a string, call the watcher (the watch's user
 * value) with the name; its errors are dropped, as a hook cannot raise. */
static void report_require(lua_State *L, lua_Debug *ar, const watch *w)
{
  lua_getinfo(L, "f", ar);
  int is_require = w->require && lua_tocfunction(L, -1) == w->require;
  lua_pop(L, 1);
  if (!is_require || !lua_getlocal(L, ar, 1))
    return;
  if (lua_type(L, -1) == LUA_TSTRING) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &watch_key);
    lua_getiuservalue(L, -1, 1);
    lua_pushvalue(L, -3);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK)
      lua_pop(L, 1);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

static void on_event(lua_State *L, lua_Debug *ar)
{
  lua_rawgetp(L, LUA_REGISTRYINDEX, &watch_key);
  watch *w = lua_touserdata(L, -1);
  lua_pop(L, 1); /* the registry keeps it */
  if (!w) {
    /* a coroutine made during a watch inherited this hook; the watch is over
     * (the hook that was set before is not known for it) */
    lua_sethook(L, NULL, 0, 0);
    return;
  }
  if (ar->event == LUA_HOOKCALL || ar->event == LUA_HOOKTAILCALL)
    report_require(L, ar, w);
  if (w->prev && (w->prev_mask & event_mask(ar->event)))
    w->prev(L, ar);
}

/* watch(on_require) -> true when it started watching (call unwatch() after
 * the module has loaded), false when a watch is active already. */
static int modules_watch(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TFUNCTION);
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &watch_key) != LUA_TNIL) {
    lua_pushboolean(L, 0);
    return 1;
  }
  watch *w = lua_newuserdatauv(L, sizeof *w, 1);
  w->prev = lua_gethook(L);
  w->prev_mask = lua_gethookmask(L);
  w->prev_count = lua_gethookcount(L);
  w->require = lua_tocfunction(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &watch_key);
  lua_sethook(L, on_event, w->prev_mask | LUA_MASKCALL, w->prev_count);
  lua_pushboolean(L, 1);
  return 1;
}

/* unwatch(): end the watch, putting back the hook that was set before it
 * (unless the watched code set a hook of its own meanwhile: that one stays). */
static int modules_unwatch(lua_State *L)
{
  lua_rawgetp(L, LUA_REGISTRYINDEX, &watch_key);
  watch *w = lua_touserdata(L, -1);
  if (w && lua_gethook(L) == on_event)
    lua_sethook(L, w->prev, w->prev_mask, w->prev_count);
  lua_pushnil(L);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &watch_key);
  return 0;
}

int zm_bind_open_modules(lua_State *L)
{
  static const luaL_Reg fns[] = {
      {"watch", modules_watch},
      {"unwatch", modules_unwatch},
      {NULL, NULL},
  };
  luaL_newlibtable(L, fns);
  /* Lua's require as the package library made it, before anyone replaces it */
  lua_getglobal(L, "require");
  luaL_setfuncs(L, fns, 1);
  return 1;
}
