/* zenml._core.json: the canonical JSON encoder of lua/zenml/json.lua, in C.
 * Cache keys are the SHA-256 of this text, so it writes exactly the bytes
 * the Lua encoder writes, for every value (tests/spec/json_spec.lua compares
 * the two on generated values). What it does not do the same way - tables
 * whose metatable has __pairs, nesting deeper than MAX_DEPTH - it hands back
 * to the Lua encoder by returning nothing. */
#include "bind/bind.h"
#include "core/buf.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENCODER_MT "zenml.json.encoder"
#define MAX_DEPTH 64
#define SMALL_KEYS 16

enum { DONE = 0, FALLBACK = 1 };

/* The output and the tables being encoded (a cycle check). It lives in a
 * userdata so that an error raised mid-way (a __json or __index function
 * that fails, a cycle) cannot leak the buffer. */
typedef struct encoder {
  zm_bind_box box;
  zm_buf out;
  int depth;
  const void *path[MAX_DEPTH];
} encoder;

typedef struct key {
  const char *s; /* anchored in a Lua table while the object is written */
  size_t len;
} key;

static int encode_value(lua_State *L, encoder *e, int idx);

/* Append bytes; raising is safe here because the buffer is boxed. */
static void put(lua_State *L, encoder *e, const char *s, size_t n)
{
  int rc = zm_buf_put(&e->out, s, n);
  if (rc)
    zm_bind_raise(L, rc);
}

#define PUT_LITERAL(L, e, s) put(L, e, "" s, sizeof(s) - 1)

/* The characters json.lua's quote() escapes: Lua's %c (iscntrl), '"', '\'. */
static int needs_escape(unsigned char c)
{
  return iscntrl(c) || c == '"' || c == '\\';
}

static void put_escape(lua_State *L, encoder *e, unsigned char c)
{
  char u[8];
  switch (c) {
  case '"': PUT_LITERAL(L, e, "\\\""); return;
  case '\\': PUT_LITERAL(L, e, "\\\\"); return;
  case '\b': PUT_LITERAL(L, e, "\\b"); return;
  case '\f': PUT_LITERAL(L, e, "\\f"); return;
  case '\n': PUT_LITERAL(L, e, "\\n"); return;
  case '\r': PUT_LITERAL(L, e, "\\r"); return;
  case '\t': PUT_LITERAL(L, e, "\\t"); return;
  default:
    snprintf(u, sizeof u, "\\u%04x", c);
    put(L, e, u, 6);
  }
}

static void put_quoted(lua_State *L, encoder *e, const char *s, size_t n)
{
  PUT_LITERAL(L, e, "\"");
  size_t run = 0; /* start of the bytes not yet written */
  for (size_t i = 0; i < n; i++) {
    if (needs_escape((unsigned char)s[i])) {
      put(L, e, s + run, i - run);
      put_escape(L, e, (unsigned char)s[i]);
      run = i + 1;
    }
  }
  put(L, e, s + run, n - run);
  PUT_LITERAL(L, e, "\"");
}

/* Integers as tostring() writes them, floats as ("%.17g"):format(v),
 * NaN and infinities as null. */
static void put_number(lua_State *L, encoder *e, int idx)
{
  char num[64];
  int n;
  if (lua_isinteger(L, idx)) {
    n = snprintf(num, sizeof num, LUA_INTEGER_FMT, (LUAI_UACINT)lua_tointeger(L, idx));
  } else {
    lua_Number v = lua_tonumber(L, idx);
    if (isnan(v) || isinf(v)) {
      PUT_LITERAL(L, e, "null");
      return;
    }
    n = snprintf(num, sizeof num, "%.17g", (LUAI_UACNUMBER)v);
  }
  put(L, e, num, (size_t)n);
}

/* Push getmetatable(v).__json when it is set (getmetatable honours
 * __metatable, as in Lua); returns whether it pushed one. */
static int push_json_hook(lua_State *L, int idx)
{
  if (luaL_getmetafield(L, idx, "__metatable") == LUA_TNIL && !lua_getmetatable(L, idx))
    return 0;
  if (!lua_toboolean(L, -1)) {
    lua_pop(L, 1);
    return 0;
  }
  lua_getfield(L, -1, "__json");
  lua_remove(L, -2);
  if (!lua_toboolean(L, -1)) {
    lua_pop(L, 1);
    return 0;
  }
  return 1;
}

/* Lua's string order (l_strcmp in lvm.c): strcoll, piece by piece across
 * embedded zeros, so the keys sort as table.sort sorts them. */
static int key_order(const void *pa, const void *pb)
{
  const key *a = pa, *b = pb;
  const char *l = a->s, *r = b->s;
  size_t ll = a->len, lr = b->len;
  for (;;) {
    int c = strcoll(l, r);
    if (c != 0)
      return c;
    size_t len = strlen(l);
    if (len == lr)
      return len == ll ? 0 : 1;
    if (len == ll)
      return -1;
    len++;
    l += len, ll -= len, r += len, lr -= len;
  }
}

static lua_Integer count_keys(lua_State *L, int idx)
{
  lua_Integer count = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    count++;
  }
  return count;
}

static int encode_array(lua_State *L, encoder *e, int idx, lua_Integer n)
{
  PUT_LITERAL(L, e, "[");
  for (lua_Integer i = 1; i <= n; i++) {
    if (i > 1)
      PUT_LITERAL(L, e, ",");
    lua_geti(L, idx, i);
    int rc = encode_value(L, e, lua_gettop(L));
    lua_pop(L, 1);
    if (rc)
      return rc;
  }
  PUT_LITERAL(L, e, "]");
  return DONE;
}

/* t[k], or t[tonumber(k)] when that is nil (a number key written as text). */
static void push_member(lua_State *L, int idx, const key *k)
{
  lua_pushlstring(L, k->s, k->len);
  if (lua_gettable(L, idx) != LUA_TNIL)
    return;
  lua_pop(L, 1);
  size_t used = lua_stringtonumber(L, k->s);
  if (used != k->len + 1) {
    if (used)
      lua_pop(L, 1);
    lua_pushnil(L);
  }
  lua_gettable(L, idx);
}

/* The keys of the table at idx as tostring() writes them, anchored in a new
 * table pushed on the stack, filled into `keys` (room for `count`). Returns
 * how many there were (fewer only if a key's __tostring changed the table). */
static lua_Integer collect_keys(lua_State *L, int idx, key *keys, lua_Integer count)
{
  lua_createtable(L, (int)count, 0);
  int anchor = lua_gettop(L);
  int n = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (n == count) {
      lua_pop(L, 1);
      break;
    }
    size_t len;
    const char *s = luaL_tolstring(L, -1, &len);
    keys[n] = (key){s, len};
    lua_rawseti(L, anchor, ++n);
  }
  return n;
}

static int encode_object(lua_State *L, encoder *e, int idx, lua_Integer count)
{
  key small[SMALL_KEYS];
  key *keys = small;
  if (count > SMALL_KEYS)
    keys = lua_newuserdatauv(L, (size_t)count * sizeof *keys, 0);
  count = collect_keys(L, idx, keys, count);
  qsort(keys, (size_t)count, sizeof *keys, key_order);
  PUT_LITERAL(L, e, "{");
  for (lua_Integer i = 0; i < count; i++) {
    if (i > 0)
      PUT_LITERAL(L, e, ",");
    put_quoted(L, e, keys[i].s, keys[i].len);
    PUT_LITERAL(L, e, ":");
    push_member(L, idx, &keys[i]);
    int rc = encode_value(L, e, lua_gettop(L));
    lua_pop(L, 1);
    if (rc)
      return rc;
  }
  PUT_LITERAL(L, e, "}");
  return DONE;
}

static int encode_table(lua_State *L, encoder *e, int idx)
{
  const void *self = lua_topointer(L, idx);
  for (int i = 0; i < e->depth; i++) {
    if (e->path[i] == self) {
      lua_pushliteral(L, "json: cannot encode a table that contains itself");
      return lua_error(L);
    }
  }
  if (e->depth == MAX_DEPTH || luaL_getmetafield(L, idx, "__pairs") != LUA_TNIL)
    return FALLBACK;
  luaL_checkstack(L, 8, "json: nesting too deep");
  e->path[e->depth++] = self;
  int top = lua_gettop(L);
  lua_Integer n = luaL_len(L, idx);
  lua_Integer count = n == 0 ? -1 : count_keys(L, idx);
  if (luaL_getmetafield(L, idx, "__jsonarray") != LUA_TNIL) {
    lua_pop(L, 1);
    count = n; /* json.array(t): an array even when empty */
  }
  int rc = count == n ? encode_array(L, e, idx, n)
                      : encode_object(L, e, idx, count < 0 ? count_keys(L, idx) : count);
  lua_settop(L, top);
  e->depth--;
  return rc;
}

static int encode_value(lua_State *L, encoder *e, int idx)
{
  size_t len;
  const char *s;
  switch (lua_type(L, idx)) {
  case LUA_TSTRING:
    s = lua_tolstring(L, idx, &len);
    put_quoted(L, e, s, len);
    return DONE;
  case LUA_TNUMBER:
    put_number(L, e, idx);
    return DONE;
  case LUA_TBOOLEAN:
    if (lua_toboolean(L, idx))
      PUT_LITERAL(L, e, "true");
    else
      PUT_LITERAL(L, e, "false");
    return DONE;
  case LUA_TNIL:
    PUT_LITERAL(L, e, "null");
    return DONE;
  case LUA_TTABLE:
    /* __json results nest without tables in between: room for each level */
    luaL_checkstack(L, 4, "json: nesting too deep");
    if (!push_json_hook(L, idx))
      return encode_table(L, e, idx);
    lua_pushvalue(L, idx);
    /* a plain call, not zm_bind_pcall: the hook's error reaches the caller
     * of json.encode unchanged, as with the Lua encoder */
    lua_call(L, 1, 1);
    int rc = encode_value(L, e, lua_gettop(L));
    lua_pop(L, 1);
    return rc;
  default:
    s = luaL_tolstring(L, idx, &len);
    put_quoted(L, e, s, len);
    lua_pop(L, 1);
    return DONE;
  }
}

static void encoder_release(zm_bind_box *b)
{
  zm_buf_free(&((encoder *)b)->out);
}

/* json.encode(v) -> text, or nothing when the Lua encoder must do it. */
static int json_encode(lua_State *L)
{
  lua_settop(L, 1);
  encoder *e = zm_bind_box_new(L, sizeof *e, ENCODER_MT, encoder_release);
  e->out = (zm_buf)ZM_BUF_INIT;
  int rc = encode_value(L, e, 1);
  if (rc == DONE)
    lua_pushlstring(L, e->out.data ? e->out.data : "", e->out.len);
  zm_buf_free(&e->out);
  return rc == DONE ? 1 : 0;
}

int zm_bind_open_json(lua_State *L)
{
  zm_bind_box_type(L, ENCODER_MT, NULL);
  lua_pop(L, 1);
  static const luaL_Reg fns[] = {{"encode", json_encode}, {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
