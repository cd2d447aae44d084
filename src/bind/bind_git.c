/* zenml._core.git: the repository a project lives in (src/repo) as a Lua
 * userdata. Expected failures (not in git, no such file or object) return
 * nil and a message; a wrong argument type raises. */
#include "bind/bind.h"
#include "repo/repo.h"

#include <stdlib.h>
#include <string.h>

#define REPO_MT "zenml.git.repo"

ZM_BIND_HANDLE(repo_box, zm_repo, repo, zm_repo_free)

ZM_BIND_FREE_FN(free_paths, zm_repo_paths_free, zm_repo_paths)

static repo_box *check_box(lua_State *L)
{
  return luaL_checkudata(L, 1, REPO_MT);
}

static zm_repo *check_repo(lua_State *L)
{
  repo_box *b = check_box(L);
  if (!b->repo)
    luaL_error(L, "attempt to use a closed git repository");
  return b->repo;
}

/* The bytes held by the box on the top, as a string in its place. */
static int hold_to_string(lua_State *L, const char *bytes, size_t len)
{
  if (bytes)
    lua_pushlstring(L, bytes, len);
  else
    lua_pushnil(L);
  zm_bind_hold_done(L, -2);
  return 1;
}

static void push_paths(lua_State *L, const void *p)
{
  const zm_repo_paths *paths = p;
  zm_bind_push_strings(L, paths->paths, paths->count);
}

static int repo_root(lua_State *L)
{
  lua_pushstring(L, zm_repo_root(check_repo(L)));
  return 1;
}

static int repo_head(lua_State *L)
{
  char sha[ZM_REPO_SHA_HEX + 1];
  int rc = zm_repo_head(sha, check_repo(L));
  if (rc != 0)
    return zm_bind_raise(L, rc);
  if (sha[0])
    lua_pushstring(L, sha);
  else
    lua_pushnil(L);
  return 1;
}

static int repo_branch(lua_State *L)
{
  zm_repo *r = check_repo(L);
  void **slot = zm_bind_hold(L, free);
  char *name = NULL;
  int rc = zm_repo_branch(&name, r);
  *slot = name;
  if (rc != 0)
    return zm_bind_raise(L, rc);
  return hold_to_string(L, name, name ? strlen(name) : 0);
}

static int repo_dirty(lua_State *L)
{
  int dirty = 0;
  int rc = zm_repo_dirty(&dirty, check_repo(L));
  if (rc != 0)
    return zm_bind_raise(L, rc);
  lua_pushboolean(L, dirty);
  return 1;
}

static int repo_dirty_paths(lua_State *L)
{
  zm_repo *r = check_repo(L);
  zm_repo_paths *paths = NULL;
  int rc = zm_repo_dirty_paths(&paths, r);
  if (rc != 0)
    return zm_bind_raise(L, rc);
  return zm_bind_push_owned(L, paths, free_paths, push_paths);
}

static int repo_status(lua_State *L)
{
  zm_repo *r = check_repo(L);
  zm_repo_status st;
  int rc = zm_repo_file_status(&st, r, luaL_checkstring(L, 2));
  if (rc != 0)
    return zm_bind_fail(L, rc);
  lua_pushstring(L, zm_repo_status_name(st));
  return 1;
}

typedef int (*sha_fn)(char *, zm_repo *, const char *);

static int push_sha(lua_State *L, sha_fn fn)
{
  zm_repo *r = check_repo(L);
  char sha[ZM_REPO_SHA_HEX + 1];
  int rc = fn(sha, r, luaL_checkstring(L, 2));
  if (rc != 0)
    return zm_bind_fail(L, rc);
  lua_pushstring(L, sha);
  return 1;
}

static int repo_blob_sha(lua_State *L)
{
  return push_sha(L, zm_repo_blob_sha);
}

static int repo_workfile_sha(lua_State *L)
{
  return push_sha(L, zm_repo_workfile_sha);
}

static int repo_read_blob(lua_State *L)
{
  zm_repo *r = check_repo(L);
  const char *sha = luaL_checkstring(L, 2);
  size_t len = 0;
  void **slot = zm_bind_hold(L, free);
  char *bytes = NULL;
  int rc = zm_repo_read_blob(&bytes, &len, r, sha);
  *slot = bytes;
  if (rc != 0)
    return zm_bind_fail(L, rc);
  return hold_to_string(L, bytes, len);
}

static int repo_read_at(lua_State *L)
{
  zm_repo *r = check_repo(L);
  const char *commit = luaL_checkstring(L, 2);
  const char *path = luaL_checkstring(L, 3);
  size_t len = 0;
  void **slot = zm_bind_hold(L, free);
  char *bytes = NULL;
  int rc = zm_repo_read_at(&bytes, &len, r, commit, path);
  *slot = bytes;
  if (rc != 0)
    return zm_bind_fail(L, rc);
  return hold_to_string(L, bytes, len);
}

static int repo_tostring(lua_State *L)
{
  repo_box *b = check_box(L);
  if (b->repo)
    lua_pushfstring(L, "git repository %s", zm_repo_root(b->repo));
  else
    lua_pushliteral(L, "git repository (closed)");
  return 1;
}

static int git_discover(lua_State *L)
{
  const char *folder = luaL_optstring(L, 1, ".");
  repo_box *b = zm_bind_box_new(L, sizeof *b, REPO_MT, repo_box_release);
  int rc = zm_repo_discover(&b->repo, folder);
  if (rc != 0)
    return zm_bind_fail(L, rc);
  return 1;
}

static int git_hash_blob(lua_State *L)
{
  size_t len;
  const char *data = luaL_checklstring(L, 1, &len);
  char sha[ZM_REPO_SHA_HEX + 1];
  int rc = zm_repo_hash_bytes(sha, data, len);
  if (rc != 0)
    return zm_bind_raise(L, rc);
  lua_pushstring(L, sha);
  return 1;
}

static void make_metatables(lua_State *L)
{
  static const luaL_Reg methods[] = {
      {"root", repo_root},
      {"head", repo_head},
      {"branch", repo_branch},
      {"dirty", repo_dirty},
      {"dirty_paths", repo_dirty_paths},
      {"status", repo_status},
      {"blob_sha", repo_blob_sha},
      {"workfile_sha", repo_workfile_sha},
      {"read_blob", repo_read_blob},
      {"read_at", repo_read_at},
      {"close", zm_bind_release},
      {NULL, NULL},
  };
  zm_bind_box_type(L, REPO_MT, methods);
  lua_pushcfunction(L, repo_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
}

static int git_warm_up(lua_State *L)
{
  (void)L;
  zm_repo_warm_up();
  return 0;
}

int zm_bind_open_git(lua_State *L)
{
  static const luaL_Reg fns[] = {
      {"discover", git_discover},
      {"warm_up", git_warm_up},
      {"hash_blob", git_hash_blob},
      {NULL, NULL},
  };
  make_metatables(L);
  luaL_newlib(L, fns);
  return 1;
}
