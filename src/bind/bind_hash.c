/* zenml._core.hash: SHA-256 of strings, files and lists of files. */
#include "bind/bind.h"
#include "hash/hash.h"

/* hash.string(s) -> 64-hex digest */
static int hash_string(lua_State *L)
{
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  char hex[ZM_HASH_HEX_SIZE];
  int rc = zm_hash_buf(hex, s, len);
  if (rc)
    return zm_bind_raise(L, rc);
  lua_pushstring(L, hex);
  return 1;
}

/* hash.file(path) -> digest | nil, message */
static int hash_file(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  char hex[ZM_HASH_HEX_SIZE];
  int rc = zm_hash_file(hex, path);
  if (rc)
    return zm_bind_fail(L, rc);
  lua_pushstring(L, hex);
  return 1;
}

/* hash.files({paths...}, nthreads?) -> {digests...} | nil, message. The
 * scratch arrays are userdata, so an error cannot leak them. */
static int hash_files(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  int nthreads = (int)luaL_optinteger(L, 2, 0);
  size_t n = (size_t)luaL_len(L, 1);
  const char **paths = lua_newuserdatauv(L, (n ? n : 1) * sizeof *paths, 0);
  char(*out)[ZM_HASH_HEX_SIZE] = lua_newuserdatauv(L, (n ? n : 1) * sizeof *out, 0);
  for (size_t i = 0; i < n; i++) {
    lua_geti(L, 1, (lua_Integer)i + 1);
    if (lua_type(L, -1) != LUA_TSTRING)
      return luaL_error(L, "bad argument #1 to 'files' (path %d is a %s, expected a string)",
                        (int)i + 1, luaL_typename(L, -1));
    paths[i] = lua_tostring(L, -1); /* anchored by the table at index 1 */
    lua_pop(L, 1);
  }
  int rc = zm_hash_files(out, paths, n, nthreads);
  if (rc)
    return zm_bind_fail(L, rc);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushstring(L, out[i]);
    lua_seti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

int zm_bind_open_hash(lua_State *L)
{
  static const luaL_Reg fns[] = {
      {"string", hash_string}, {"file", hash_file}, {"files", hash_files}, {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
