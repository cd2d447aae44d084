/* zenml._core.yaml: YAML text <-> Lua values through the src/yaml tree.
 *
 * decode types plain scalars by the YAML 1.2 core schema, gives null as the
 * `null` sentinel (nil would vanish from tables), and records each mapping's
 * key order in its metatable's `__order`, which encode honours; keys not in
 * `__order` follow, sorted, so output is deterministic. C trees live in
 * boxed userdata while Lua runs, so a Lua error never leaks them. */
#include "bind/bind.h"
#include "core/error.h"
#include "yaml/yaml.h"

#include <stdlib.h>
#include <string.h>

#define TREE_MT "zenml.yaml.tree"
#define NULL_MT "zenml.yaml.null"

ZM_BIND_HANDLE(tree_box, zm_yaml_node, root, zm_yaml_free)

/* Push a box for a tree and return the slot of its root. */
static zm_yaml_node **new_tree_box(lua_State *L)
{
  tree_box *t = zm_bind_box_new(L, sizeof *t, TREE_MT, tree_box_release);
  return &t->root;
}

static void push_null(lua_State *L)
{
  lua_getfield(L, LUA_REGISTRYINDEX, NULL_MT "/value");
}

static int is_null(lua_State *L, int idx)
{
  return luaL_testudata(L, idx, NULL_MT) != NULL;
}

/* ---- decode: tree -> Lua ---- */

typedef struct decoder {
  const char *name;
} decoder;

static void push_node(lua_State *L, const decoder *d, const zm_yaml_node *n);

static void push_scalar(lua_State *L, const zm_yaml_node *n)
{
  zm_yaml_value v;
  switch (zm_yaml_resolve(n, &v)) {
  case ZM_YAML_NULL: push_null(L); break;
  case ZM_YAML_BOOL: lua_pushboolean(L, v.boolean); break;
  case ZM_YAML_INT: lua_pushinteger(L, (lua_Integer)v.integer); break;
  case ZM_YAML_FLOAT: lua_pushnumber(L, v.number); break;
  case ZM_YAML_STR: lua_pushlstring(L, n->text, n->len); break;
  }
}

static void push_sequence(lua_State *L, const decoder *d, const zm_yaml_node *n)
{
  lua_createtable(L, (int)n->count, 0);
  for (size_t i = 0; i < n->count; i++) {
    push_node(L, d, n->items[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

/* Push a mapping key; tables cannot hold nil/NaN keys or the same key twice. */
static void push_key(lua_State *L, const decoder *d, const zm_yaml_node *k)
{
  push_scalar(L, k);
  if (is_null(L, -1) || (lua_type(L, -1) == LUA_TNUMBER && lua_tonumber(L, -1) != lua_tonumber(L, -1)))
    luaL_error(L, "%s:%d:%d: a null or NaN key cannot be a Lua table key", d->name, k->line,
               k->column);
  lua_pushvalue(L, -1);
  if (lua_rawget(L, -3) != LUA_TNIL)
    luaL_error(L, "%s:%d:%d: duplicate key '%s'", d->name, k->line, k->column, k->text);
  lua_pop(L, 1);
}

static void push_mapping(lua_State *L, const decoder *d, const zm_yaml_node *n)
{
  lua_createtable(L, 0, (int)n->count);
  lua_createtable(L, (int)n->count, 0); /* key order, for encode */
  lua_insert(L, -2);
  for (size_t i = 0; i < n->count; i++) {
    push_key(L, d, n->items[2 * i]);
    lua_pushvalue(L, -1);
    lua_rawseti(L, -4, (lua_Integer)i + 1);
    push_node(L, d, n->items[2 * i + 1]);
    lua_rawset(L, -3);
  }
  lua_createtable(L, 0, 1);
  lua_rotate(L, -3, -1); /* order, map, mt -> map, mt, order */
  lua_setfield(L, -2, "__order");
  lua_setmetatable(L, -2);
}

static void push_node(lua_State *L, const decoder *d, const zm_yaml_node *n)
{
  luaL_checkstack(L, 8, "YAML document too deep");
  if (n->kind == ZM_YAML_SCALAR)
    push_scalar(L, n);
  else if (n->kind == ZM_YAML_SEQUENCE)
    push_sequence(L, d, n);
  else
    push_mapping(L, d, n);
}

/* Protected: push the Lua value of tree (1) named (2). A duplicate or null
 * key raises here and comes back to the caller as nil and a message. */
static int push_tree(lua_State *L)
{
  decoder d = {lua_tostring(L, 2)};
  push_node(L, &d, lua_touserdata(L, 1));
  return 1;
}

/* Parse into a boxed tree, then convert it; nil and a message on bad input. */
static int decode_common(lua_State *L, int rc, zm_yaml_node **slot, const char *name)
{
  if (rc != 0)
    return zm_bind_fail(L, rc);
  lua_pushcfunction(L, push_tree);
  lua_pushlightuserdata(L, *slot);
  lua_pushstring(L, name);
  if (lua_pcall(L, 2, 1, 0) != LUA_OK) { /* a key Lua cannot take, or out of memory */
    lua_pushnil(L);
    lua_insert(L, -2);
    lua_pushstring(L, zm_bind_code_name(ZM_EINVALID));
    return 3;
  }
  return 1;
}

static int yaml_decode(lua_State *L)
{
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  const char *name = luaL_optstring(L, 2, "<string>");
  zm_yaml_node **slot = new_tree_box(L);
  return decode_common(L, zm_yaml_parse(slot, text, len, name), slot, name);
}

static int yaml_read(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  zm_yaml_node **slot = new_tree_box(L);
  return decode_common(L, zm_yaml_parse_file(slot, path), slot, path);
}

/* ---- encode: Lua -> tree ---- */

/* The chain of keys from the top to the value being encoded, for messages. */
typedef struct frame {
  const struct frame *up;
  int key; /* stack index of the key, or 0 for the top */
} frame;

static int encode_error(lua_State *L, const frame *f, const char *what)
{
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addstring(&b, "cannot encode ");
  luaL_addstring(&b, what);
  luaL_addstring(&b, " as YAML");
  if (f && f->key) {
    luaL_addstring(&b, " (at ");
    const frame *chain[ZM_YAML_MAX_DEPTH + 2];
    int n = 0;
    for (const frame *p = f; p && p->key && n < ZM_YAML_MAX_DEPTH + 2; p = p->up)
      chain[n++] = p;
    while (n-- > 0) {
      int k = chain[n]->key;
      if (lua_type(L, k) == LUA_TSTRING) {
        if (chain[n]->up && chain[n]->up->key)
          luaL_addchar(&b, '.');
        luaL_addstring(&b, lua_tostring(L, k));
      } else {
        luaL_addchar(&b, '[');
        luaL_addstring(&b, luaL_tolstring(L, k, NULL));
        lua_pop(L, 1);
        luaL_addchar(&b, ']');
      }
    }
    luaL_addchar(&b, ')');
  }
  luaL_pushresult(&b);
  return lua_error(L);
}

static void encode_value(lua_State *L, int idx, zm_yaml_node **slot, const frame *f, int depth);

/* Replace *slot's node with a fresh one (the slot is already in the tree). */
static void put(lua_State *L, zm_yaml_node **slot, zm_yaml_node *n)
{
  zm_yaml_free(*slot);
  *slot = n;
  if (!n)
    luaL_error(L, "out of memory encoding YAML");
}

static zm_yaml_node *number_node(lua_State *L, int idx)
{
  if (lua_isinteger(L, idx))
    return zm_yaml_int_new((long long)lua_tointeger(L, idx));
  return zm_yaml_float_new(lua_tonumber(L, idx));
}

/* A scalar node for a string, number, boolean or null; NULL (no error) for others. */
static int scalar_node(lua_State *L, int idx, zm_yaml_node **out)
{
  size_t len;
  const char *s;
  switch (lua_type(L, idx)) {
  case LUA_TNIL: *out = zm_yaml_null_new(); return 1;
  case LUA_TBOOLEAN: *out = zm_yaml_bool_new(lua_toboolean(L, idx)); return 1;
  case LUA_TNUMBER: *out = number_node(L, idx); return 1;
  case LUA_TSTRING:
    s = lua_tolstring(L, idx, &len);
    *out = zm_yaml_scalar_new(s, len, ZM_YAML_QUOTED);
    return 1;
  default:
    if (!is_null(L, idx))
      return 0;
    *out = zm_yaml_null_new();
    return 1;
  }
}

/* n when table `idx` has exactly the keys 1..n (n > 0), else 0. */
static lua_Integer array_length(lua_State *L, int idx)
{
  lua_Integer count = 0, max = 0;
  int array = 1;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    count++;
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1)
      array = 0;
    else if (lua_tointeger(L, -1) > max)
      max = lua_tointeger(L, -1);
  }
  return array && max == count ? count : 0;
}

static void encode_sequence(lua_State *L, int idx, zm_yaml_node **slot, lua_Integer n,
                            const frame *f, int depth)
{
  put(L, slot, zm_yaml_seq_new());
  zm_yaml_node *seq = *slot;
  for (lua_Integer i = 1; i <= n; i++) {
    if (zm_yaml_seq_push(seq, zm_yaml_null_new()) != 0)
      luaL_error(L, "out of memory encoding YAML");
    lua_pushinteger(L, i);
    frame here = {f, lua_gettop(L)};
    lua_rawgeti(L, idx, i);
    encode_value(L, lua_gettop(L), &seq->items[i - 1], &here, depth + 1);
    lua_pop(L, 2);
  }
}

/* Sort rank for keys of mixed types: booleans, numbers, strings. */
static int key_rank(lua_State *L, int idx)
{
  int t = lua_type(L, idx);
  return t == LUA_TBOOLEAN ? 0 : t == LUA_TNUMBER ? 1 : 2;
}

/* Byte order for strings (not strcoll: output must not depend on the locale). */
static int key_less(lua_State *L, int a, int b)
{
  int ra = key_rank(L, a), rb = key_rank(L, b);
  if (ra != rb)
    return ra < rb;
  if (ra == 0)
    return !lua_toboolean(L, a) && lua_toboolean(L, b);
  if (ra == 1)
    return lua_compare(L, a, b, LUA_OPLT);
  size_t la, lb;
  const char *sa = lua_tolstring(L, a, &la), *sb = lua_tolstring(L, b, &lb);
  int c = memcmp(sa, sb, la < lb ? la : lb);
  return c < 0 || (c == 0 && la < lb);
}

typedef struct sort_ctx {
  lua_State *L;
  int keys;
} sort_ctx;

static int compare_keys(const void *a, const void *b, void *arg)
{
  const sort_ctx *c = arg;
  lua_rawgeti(c->L, c->keys, *(const lua_Integer *)a);
  lua_rawgeti(c->L, c->keys, *(const lua_Integer *)b);
  int r = key_less(c->L, -2, -1) ? -1 : key_less(c->L, -1, -2) ? 1 : 0;
  lua_pop(c->L, 2);
  return r;
}

/* Sort keys[from..n] in place. The index array is a userdata, so nothing
 * leaks if Lua raises; comparisons are raw and cannot raise. */
static void sort_keys(lua_State *L, int keys, lua_Integer from, lua_Integer n)
{
  if (n - from < 1)
    return;
  size_t m = (size_t)(n - from + 1);
  lua_Integer *order = lua_newuserdatauv(L, m * sizeof *order, 0);
  for (size_t i = 0; i < m; i++)
    order[i] = from + (lua_Integer)i;
  sort_ctx c = {L, keys};
  qsort_r(order, m, sizeof *order, compare_keys, &c);
  lua_createtable(L, (int)m, 0);
  for (size_t i = 0; i < m; i++) {
    lua_rawgeti(L, keys, order[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  for (size_t i = 0; i < m; i++) {
    lua_rawgeti(L, -1, (lua_Integer)i + 1);
    lua_rawseti(L, keys, from + (lua_Integer)i);
  }
  lua_pop(L, 2);
}

/* Push an array of the keys of table `idx`: `__order` first, then the rest sorted. */
static void ordered_keys(lua_State *L, int idx)
{
  lua_newtable(L);
  int keys = lua_gettop(L);
  lua_newtable(L);
  int seen = lua_gettop(L);
  lua_Integer n = 0;
  if (luaL_getmetafield(L, idx, "__order") == LUA_TTABLE) {
    lua_Integer m = (lua_Integer)lua_rawlen(L, -1);
    for (lua_Integer i = 1; i <= m; i++) {
      lua_rawgeti(L, -1, i);
      if (!lua_isnil(L, -1) && lua_rawget(L, idx) != LUA_TNIL) {
        lua_rawgeti(L, -2, i); /* the key again */
        lua_pushvalue(L, -1);
        if (lua_rawget(L, seen) == LUA_TNIL) {
          lua_pop(L, 1);
          lua_pushvalue(L, -1);
          lua_pushboolean(L, 1);
          lua_rawset(L, seen);
          lua_rawseti(L, keys, ++n);
        } else {
          lua_pop(L, 2);
        }
      }
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  } else if (lua_gettop(L) > seen) {
    lua_pop(L, 1);
  }
  lua_Integer first_sorted = n + 1;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    if (lua_rawget(L, seen) == LUA_TNIL) {
      lua_pushvalue(L, -2);
      lua_rawseti(L, keys, ++n);
    }
    lua_pop(L, 1);
  }
  sort_keys(L, keys, first_sorted, n);
  lua_pop(L, 1); /* seen */
}

static void encode_mapping(lua_State *L, int idx, zm_yaml_node **slot, const frame *f, int depth)
{
  put(L, slot, zm_yaml_map_new());
  zm_yaml_node *map = *slot;
  ordered_keys(L, idx);
  int keys = lua_gettop(L);
  lua_Integer n = (lua_Integer)lua_rawlen(L, keys);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, keys, i);
    frame here = {f, lua_gettop(L)};
    int t = lua_type(L, -1);
    if (t != LUA_TSTRING && t != LUA_TNUMBER && t != LUA_TBOOLEAN)
      encode_error(L, f, lua_pushfstring(L, "a table key of type %s", luaL_typename(L, -1)));
    zm_yaml_node *key = NULL;
    scalar_node(L, -1, &key);
    if (zm_yaml_map_add(map, key, zm_yaml_null_new()) != 0)
      luaL_error(L, "out of memory encoding YAML");
    lua_pushvalue(L, -1);
    lua_rawget(L, idx);
    encode_value(L, lua_gettop(L), &map->items[2 * map->count - 1], &here, depth + 1);
    lua_pop(L, 2);
  }
  lua_pop(L, 1);
}

/* Stack slot of encode's table of the tables being encoded (cycle check). */
#define VISITING 2

static void set_visiting(lua_State *L, int idx, int on)
{
  lua_pushvalue(L, idx);
  if (on)
    lua_pushboolean(L, 1);
  else
    lua_pushnil(L);
  lua_rawset(L, VISITING);
}

static void encode_value(lua_State *L, int idx, zm_yaml_node **slot, const frame *f, int depth)
{
  zm_yaml_node *n = NULL;
  luaL_checkstack(L, 12, "YAML value too deep");
  if (scalar_node(L, idx, &n)) {
    put(L, slot, n);
    return;
  }
  if (lua_type(L, idx) != LUA_TTABLE)
    encode_error(L, f, lua_pushfstring(L, "a %s value", luaL_typename(L, idx)));
  lua_pushvalue(L, idx);
  if (lua_rawget(L, VISITING) != LUA_TNIL)
    encode_error(L, f, "a table that contains itself");
  lua_pop(L, 1);
  if (depth >= ZM_YAML_MAX_DEPTH)
    encode_error(L, f, "a table nested too deep");
  set_visiting(L, idx, 1);
  lua_Integer len = array_length(L, idx);
  if (len > 0)
    encode_sequence(L, idx, slot, len, f, depth);
  else
    encode_mapping(L, idx, slot, f, depth);
  set_visiting(L, idx, 0);
}

static int yaml_encode(lua_State *L)
{
  lua_settop(L, 1);
  lua_newtable(L); /* VISITING */
  zm_yaml_node **slot = new_tree_box(L);
  encode_value(L, 1, slot, NULL, 0);
  void **held = zm_bind_hold(L, free);
  char *text = NULL;
  size_t len = 0;
  int rc = zm_yaml_emit(&text, &len, *slot);
  *held = text;
  if (rc != 0)
    return zm_bind_raise(L, rc);
  lua_pushlstring(L, text, len);
  zm_bind_hold_done(L, -2);
  return 1; /* the tree's box is collected later */
}

static int null_tostring(lua_State *L)
{
  lua_pushliteral(L, "null");
  return 1;
}

static void make_metatables(lua_State *L)
{
  zm_bind_box_type(L, TREE_MT, NULL);
  lua_pop(L, 1);
  if (luaL_newmetatable(L, NULL_MT)) {
    lua_pushcfunction(L, null_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
  }
  lua_pop(L, 1);
  if (lua_getfield(L, LUA_REGISTRYINDEX, NULL_MT "/value") == LUA_TNIL) {
    lua_newuserdatauv(L, 0, 0);
    luaL_setmetatable(L, NULL_MT);
    lua_setfield(L, LUA_REGISTRYINDEX, NULL_MT "/value");
  }
  lua_pop(L, 1);
}

int zm_bind_open_yaml(lua_State *L)
{
  static const luaL_Reg fns[] = {
      {"decode", yaml_decode},
      {"read", yaml_read},
      {"encode", yaml_encode},
      {NULL, NULL},
  };
  make_metatables(L);
  luaL_newlib(L, fns);
  push_null(L);
  lua_setfield(L, -2, "null");
  return 1;
}
