/* The Lua bindings: zenml._core and its submodules, the one protected-call
 * wrapper every C-to-Lua call goes through, and the one place a C error code
 * becomes a Lua error. Only this folder and the host include Lua headers. */
#ifndef ZM_BIND_H
#define ZM_BIND_H

#include <lua.h>
#include <lauxlib.h>

/* Remember where the zenml Lua package lives (holds lua/ and stdlib/). */
void zm_bind_set_home(const char *home);

/* The folder set by zm_bind_set_home. */
const char *zm_bind_home(void);

/* A fresh lua_State with the standard libraries, zenml's module path,
 * zenml._core preloaded and the generational collector (as the `lua` command
 * sets it); NULL when out of memory. Each thread makes its own. */
lua_State *zm_bind_newstate(void);

/* lua_pcall with a message handler that turns any error value into a string
 * and appends a traceback. Returns the lua_pcall status; on error the message
 * is on the stack top. */
int zm_bind_pcall(lua_State *L, int nargs, int nresults);

/* Raise a Lua error from the thread's last C error (zm_error_last), with no
 * position (the core reports conditions, not lines of Lua). Never returns.
 * Free C memory before calling it. */
int zm_bind_raise(lua_State *L, int code);

/* Push nil and the last C error message; returns 2 (for `return nil, msg`). */
int zm_bind_fail(lua_State *L, int code);

/* luaopen function for zenml._core. */
int zm_bind_open_core(lua_State *L);

/* Submodule openers: each pushes one table of functions. */
int zm_bind_open_sys(lua_State *L);
int zm_bind_open_frame(lua_State *L);
int zm_bind_open_meta(lua_State *L);
int zm_bind_open_git(lua_State *L);
int zm_bind_open_yaml(lua_State *L);
int zm_bind_open_hash(lua_State *L);
int zm_bind_open_store(lua_State *L);
int zm_bind_open_archive(lua_State *L);
int zm_bind_open_ml(lua_State *L);
int zm_bind_open_exec(lua_State *L);
int zm_bind_open_steplib(lua_State *L);
int zm_bind_open_json(lua_State *L);
int zm_bind_open_modules(lua_State *L);

#endif
