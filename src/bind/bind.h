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
 * position (the core reports conditions, not lines of Lua). The error value
 * stays the message string; the code is kept per state for
 * zenml._core.last_error_code. Never returns. Free C memory before calling it. */
int zm_bind_raise(lua_State *L, int code);

/* zm_bind_raise with the message prefixed by "where: " (a method's name). */
int zm_bind_raise_in(lua_State *L, int code, const char *where);

/* Push nil, the last C error message and the code's name ("notfound",
 * "io"...); returns 3 (for `return nil, msg, code`). */
int zm_bind_fail(lua_State *L, int code);

/* The name of a ZM_E* code as Lua sees it: "notfound", "exists", "invalid",
 * "io", "nomem", "version", "interrupted", or "error" for any other. */
const char *zm_bind_code_name(int code);

/* --- boxes: C memory and handles owned by a Lua userdata ------------------
 * Every userdata that owns C memory begins with a zm_bind_box, whose release
 * frees what it holds. One Lua function, zm_bind_release, is the __gc, the
 * __close and the close() of all of them, as liolib's luaL_Stream does. */
typedef struct zm_bind_box zm_bind_box;
struct zm_bind_box {
  void (*release)(zm_bind_box *b); /* NULL once released */
};

/* Push a zeroed userdata of `size` bytes (a struct beginning with a
 * zm_bind_box) with metatable `mt` and the given release; returns it. */
void *zm_bind_box_new(lua_State *L, size_t size, const char *mt,
                      void (*release)(zm_bind_box *b));

/* Define box type `name`: a zm_bind_box and one `type *field`, and its
 * release `name_release`, which frees the field with free_fn (NULL-safe). */
#define ZM_BIND_HANDLE(name, type, field, free_fn) \
  typedef struct name {                            \
    zm_bind_box box;                               \
    type *field;                                   \
  } name;                                          \
  static void name##_release(zm_bind_box *b)       \
  {                                                \
    name *h = (name *)b;                           \
    free_fn(h->field);                             \
    h->field = NULL;                               \
  }

/* __gc, __close and close() of every box: runs its release once. */
int zm_bind_release(lua_State *L);

/* Make metatable `mt` for a box type: methods (may be NULL) as __index,
 * zm_bind_release as __gc and __close. Leaves the metatable on the stack. */
void zm_bind_box_type(lua_State *L, const char *mt, const luaL_Reg *methods);

/* Define `static void name(void *p)` calling the typed free `fn` (calling
 * through a cast function pointer is not portable C). */
#define ZM_BIND_FREE_FN(name, fn, type) \
  static void name(void *p)             \
  {                                     \
    fn((type *)p);                      \
  }

/* Push a box that will own a result of the C core, freed with `fn`; the
 * caller stores the pointer in the returned slot right after the C call.
 * Boxing before the call means a Lua error can never leak the result. */
void **zm_bind_hold(lua_State *L, void (*fn)(void *p));

/* Free what the box at `idx` holds now and replace the box with the value
 * on the stack top (which is popped). */
void zm_bind_hold_done(lua_State *L, int idx);

/* --- lists and fields ----------------------------------------------------- */

/* Push one item of a C array as a Lua value. */
typedef void (*zm_bind_push_fn)(lua_State *L, const void *item);

/* Push an array table of n items of `size` bytes each, one push per item. */
void zm_bind_push_list(lua_State *L, const void *items, size_t n, size_t size,
                       zm_bind_push_fn push);

/* Push p as a Lua value with push(L, p), protected, then free p with fn
 * whatever happened; a Lua error in push (out of memory) is raised again
 * once p is freed. Returns 1 (for `return zm_bind_push_owned(...)`). */
int zm_bind_push_owned(lua_State *L, void *p, void (*fn)(void *p), zm_bind_push_fn push);

/* Define `static void name(lua_State *L, const void *list)` pushing a C list
 * struct's `items` (len of them) as an array, each with item_push. */
#define ZM_BIND_LIST_PUSHER(name, list_type, item_push)                      \
  static void name(lua_State *L, const void *p)                             \
  {                                                                          \
    const list_type *l = p;                                                  \
    zm_bind_push_list(L, l->items, l->len, sizeof *l->items, item_push);     \
  }

/* Push a C string (a zm_bind_push_fn). */
void zm_bind_push_string(lua_State *L, const void *s);

/* Push an array table of n strings. */
void zm_bind_push_strings(lua_State *L, char *const *items, size_t n);

/* Set field k of the table on the stack top; a NULL string sets nothing. */
void zm_bind_set_str(lua_State *L, const char *k, const char *v);
void zm_bind_set_int(lua_State *L, const char *k, lua_Integer v);
void zm_bind_set_num(lua_State *L, const char *k, double v);
void zm_bind_set_bool(lua_State *L, const char *k, int v);

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
