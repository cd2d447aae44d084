/* zenml._core.store: the artifact store as a userdata. Misuse (a malformed
 * id, a wrong argument type) raises; failures a caller should expect (a
 * missing file or artifact, an I/O error) return nil and a message. */
#include "bind/bind.h"
#include "bind/bind_store.h"
#include "frame/backed.h"
#include "bind/bind_frame.h"
#include "frame/framefile.h"
#include "frame/rowsel.h"
#include "core/buf.h"
#include "core/error.h"
#include "store/store.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STORE_MT "zenml.store"

ZM_BIND_HANDLE(store_ud, zm_store, s, zm_store_free)

zm_store *zm_bind_store_check(lua_State *L, int idx)
{
  store_ud *u = luaL_checkudata(L, idx, STORE_MT);
  if (!u->s)
    luaL_error(L, "attempt to use a closed store");
  return u->s;
}

static zm_store *check_store(lua_State *L)
{
  return zm_bind_store_check(L, 1);
}

/* The id argument at `arg`, raising for a malformed one. */
static const char *check_id(lua_State *L, int arg)
{
  const char *id = luaL_checkstring(L, arg);
  int rc = zm_store_id_check(id);
  if (rc)
    zm_bind_raise(L, rc);
  return id;
}

static int push_id_or_fail(lua_State *L, int rc, const char *id)
{
  if (rc)
    return zm_bind_fail(L, rc);
  lua_pushstring(L, id);
  return 1;
}

static int push_ok_or_fail(lua_State *L, int rc)
{
  if (rc)
    return zm_bind_fail(L, rc);
  lua_pushboolean(L, 1);
  return 1;
}

static int l_put(lua_State *L)
{
  zm_store *s = check_store(L);
  size_t len;
  const char *data = luaL_checklstring(L, 2, &len);
  char id[ZM_STORE_ID_SIZE];
  return push_id_or_fail(L, zm_store_put_buf(id, s, data, len), id);
}

static int l_put_file(lua_State *L)
{
  zm_store *s = check_store(L);
  char id[ZM_STORE_ID_SIZE];
  return push_id_or_fail(L, zm_store_put_file(id, s, luaL_checkstring(L, 2)), id);
}

static int l_put_tree(lua_State *L)
{
  zm_store *s = check_store(L);
  char id[ZM_STORE_ID_SIZE];
  return push_id_or_fail(L, zm_store_put_tree(id, s, luaL_checkstring(L, 2)), id);
}

/* store:path(id) and store:read_path(id): `read` picks zm_store_read_path. */
static int push_path(lua_State *L, int read)
{
  zm_store *s = check_store(L);
  const char *id = check_id(L, 2);
  char path[PATH_MAX];
  int rc = read ? zm_store_read_path(path, sizeof path, s, id)
                : zm_store_path(path, sizeof path, s, id);
  if (rc)
    return zm_bind_raise(L, rc);
  lua_pushstring(L, path);
  return 1;
}

static int l_path(lua_State *L)
{
  return push_path(L, 0);
}

static int l_read_path(lua_State *L)
{
  return push_path(L, 1);
}

/* Read straight into a Lua buffer sized first, so nothing C-owned is held
 * when Lua might raise (out of memory). */
static int l_read(lua_State *L)
{
  zm_store *s = check_store(L);
  const char *id = check_id(L, 2);
  uint64_t size = 0;
  int fd, rc = zm_store_size(&size, s, id);
  if (rc)
    return zm_bind_fail(L, rc);
  luaL_Buffer b;
  char *dst = luaL_buffinitsize(L, &b, (size_t)size);
  if ((rc = zm_store_open_fd(&fd, s, id)))
    return zm_bind_fail(L, rc);
  size_t got = 0;
  while (got < size) {
    ssize_t n = read(fd, dst + got, (size_t)size - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += (size_t)n;
  }
  close(fd);
  if (got != size) {
    zm_error_set(ZM_EIO, "cannot read artifact %s: it changed size while being read", id);
    return zm_bind_fail(L, ZM_EIO);
  }
  luaL_pushresultsize(&b, got);
  return 1;
}

static int l_exists(lua_State *L)
{
  zm_store *s = check_store(L);
  lua_pushboolean(L, zm_store_exists(s, check_id(L, 2)) == 1);
  return 1;
}

static int l_size(lua_State *L)
{
  zm_store *s = check_store(L);
  uint64_t size = 0;
  int rc = zm_store_size(&size, s, check_id(L, 2));
  if (rc)
    return zm_bind_fail(L, rc);
  lua_pushinteger(L, (lua_Integer)size);
  return 1;
}

static int l_is_tree(lua_State *L)
{
  zm_store *s = check_store(L);
  int rc = zm_store_is_tree(s, check_id(L, 2));
  if (rc < 0)
    return zm_bind_fail(L, rc);
  lua_pushboolean(L, rc);
  return 1;
}

static int l_checkout(lua_State *L)
{
  zm_store *s = check_store(L);
  const char *id = check_id(L, 2);
  return push_ok_or_fail(L, zm_store_checkout_tree(s, id, luaL_checkstring(L, 3)));
}

/* Problems are gathered in C ("what\0problem\0" pairs) into a buffer held
 * by a box (freed even if Lua raises), and turned into Lua values only after
 * the store call returns, so no Lua error can interrupt a scan that holds
 * open folders. */
static void free_buf(void *p)
{
  zm_buf_free(p);
  free(p);
}

static zm_buf *new_problems(lua_State *L)
{
  void **slot = zm_bind_hold(L, free_buf);
  zm_buf *b = malloc(sizeof *b);
  if (!b)
    luaL_error(L, "out of memory");
  *b = (zm_buf)ZM_BUF_INIT;
  *slot = b;
  return b;
}

static void collect(void *ctx, const char *what, const char *problem)
{
  zm_buf *b = ctx;
  zm_buf_put(b, what, strlen(what) + 1);
  zm_buf_put(b, problem, strlen(problem) + 1);
}

/* Push {{what=, problem=}...} from the collected pairs. */
static void push_problems(lua_State *L, const zm_buf *b)
{
  lua_newtable(L);
  lua_Integer n = 0;
  for (const char *p = b->data; p && p < b->data + b->len;) {
    const char *problem = p + strlen(p) + 1;
    lua_createtable(L, 0, 2);
    zm_bind_set_str(L, "what", p);
    zm_bind_set_str(L, "problem", problem);
    lua_seti(L, -2, ++n);
    p = problem + strlen(problem) + 1;
  }
}

static int l_verify(lua_State *L)
{
  zm_store *s = check_store(L);
  zm_buf *b = new_problems(L);
  int rc = zm_store_verify(NULL, s, collect, b);
  if (rc)
    return zm_bind_fail(L, rc);
  push_problems(L, b);
  zm_bind_hold_done(L, -2);
  return 1;
}

/* The strings of the list at `arg` as a userdata-held array (no malloc). */
static const char **check_id_list(lua_State *L, int arg, size_t *out_n)
{
  luaL_checktype(L, arg, LUA_TTABLE);
  size_t n = (size_t)luaL_len(L, arg);
  const char **ids = lua_newuserdatauv(L, (n ? n : 1) * sizeof *ids, 0);
  for (size_t i = 0; i < n; i++) {
    lua_geti(L, arg, (lua_Integer)i + 1);
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "artifact id %d is a %s, expected a string", (int)i + 1,
                 luaL_typename(L, -1));
    ids[i] = lua_tostring(L, -1); /* anchored by the list */
    lua_pop(L, 1);
  }
  *out_n = n;
  return ids;
}

static int l_check(lua_State *L)
{
  zm_store *s = check_store(L);
  size_t n;
  const char **ids = check_id_list(L, 2, &n);
  zm_buf *b = new_problems(L);
  zm_store_check_ids(NULL, s, ids, n, collect, b);
  push_problems(L, b);
  zm_bind_hold_done(L, -2);
  return 1;
}

/* store:gc(keep_list, dry_run) -> {objects=, temps=, bytes=}, or store:gc(nil, dry_run) for stale temp files only. */
static int l_gc(lua_State *L)
{
  zm_store *s = check_store(L);
  int dry_run = lua_toboolean(L, 3);
  zm_store_gc_stats st = {0};
  int rc;
  if (lua_isnil(L, 2)) {
    rc = zm_store_clean_temps(&st, s, dry_run);
  } else {
    size_t n;
    const char **keep = check_id_list(L, 2, &n);
    rc = zm_store_gc(&st, s, keep, n, dry_run);
  }
  if (rc == ZM_EINVALID)
    return zm_bind_raise(L, rc);
  if (rc)
    return zm_bind_fail(L, rc);
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, (lua_Integer)st.objects);
  lua_setfield(L, -2, "objects");
  lua_pushinteger(L, (lua_Integer)st.temps);
  lua_setfield(L, -2, "temps");
  lua_pushinteger(L, (lua_Integer)st.bytes);
  lua_setfield(L, -2, "bytes");
  return 1;
}

/* store:lock("exclusive", wait) -> true | false (busy, not waiting) | nil, msg;
 * store:lock("shared") -> true | nil, msg. */
static int l_lock(lua_State *L)
{
  zm_store *s = check_store(L);
  static const char *const modes[] = {"shared", "exclusive", NULL};
  int mode = luaL_checkoption(L, 2, NULL, modes);
  int rc = mode == 0 ? zm_store_lock_shared(s) : zm_store_lock_exclusive(s, lua_toboolean(L, 3));
  if (rc < 0)
    return zm_bind_fail(L, rc);
  lua_pushboolean(L, rc == 0);
  return 1;
}

/* store:tmpdir() -> path of a new temporary folder in the store's tmp/. */
static int l_tmpdir(lua_State *L)
{
  char *path = NULL;
  int rc = zm_store_tmp_dir(&path, check_store(L));
  if (rc)
    return zm_bind_fail(L, rc);
  lua_pushstring(L, path);
  free(path);
  return 1;
}

/* store:remove_tmp(path) -> true | nil, msg: a temporary entry, with its contents. */
static int l_remove_tmp(lua_State *L)
{
  return push_ok_or_fail(L, zm_store_tmp_remove(check_store(L), luaL_checkstring(L, 2)));
}

static int l_batch_begin(lua_State *L)
{
  int rc = zm_store_batch_begin(check_store(L));
  if (rc)
    return zm_bind_raise(L, rc);
  return 0;
}

static int l_batch_commit(lua_State *L)
{
  return push_ok_or_fail(L, zm_store_batch_commit(check_store(L)));
}

/* store:wrote(id) -> true when this process stored the object from its own
 * bytes (see zm_store_wrote). */
static int l_wrote(lua_State *L)
{
  zm_store *s = check_store(L);
  lua_pushboolean(L, zm_store_wrote(s, luaL_checkstring(L, 2)));
  return 1;
}

/* The columns of a frame being handed over whose segments are all stored
 * give their memory back (zm_store_put_iov_each's `done`). */
typedef struct handing {
  zm_frame *f;
  const zm_frame_iov *v;
  size_t released; /* columns freed so far */
} handing;

static void hand_segments(void *arg, size_t k)
{
  handing *h = arg;
  size_t j = h->released;
  while (j < h->f->ncol && h->v->col_end[j] <= k)
    j++;
  zm_frame_release_columns(h->f, h->released, j);
  h->released = j;
}

/* Store a frame that owns its memory, handing that memory over: its pages
 * are freed as they are written, and the frame then reads the stored copy. */
static int put_handing(char id[ZM_STORE_ID_SIZE], zm_store *s, zm_frame *f)
{
  zm_frame_iov v;
  int rc = zm_frame_iov_build(&v, f);
  if (rc)
    return rc;
  handing h = {f, &v, 0};
  rc = zm_store_put_iov_each(id, s, v.iov, v.n, hand_segments, &h);
  zm_frame_iov_free(&v);
  char path[PATH_MAX];
  zm_frame *m = NULL;
  if (rc == 0 && (rc = zm_store_read_path(path, sizeof path, s, id)) == 0)
    rc = zm_frame_map_checked(&m, path, 0);
  int taken = zm_frame_take_mapped(f, m);
  return rc ? rc : taken;
}

/* store:put_frame(frame[, handover]) -> id: the frame file written straight
 * into the store from the frame's own memory, hashed on a second thread
 * meanwhile; with `handover`, hashed first and its memory given up as it is
 * written (the frame then reads the stored bytes). */
static int l_put_frame(lua_State *L)
{
  zm_store *s = check_store(L);
  zm_frame *f = zm_lframe_view(L, 2);
  int handover = lua_toboolean(L, 3);
  char id[ZM_STORE_ID_SIZE];
  if (f->sel) { /* a row selection: its bitmap and its base's id */
    zm_buf b = ZM_BUF_INIT;
    int rc = zm_rowsel_encode(&b, f);
    if (rc == 0)
      rc = zm_store_put_buf(id, s, b.data, b.len);
    zm_buf_free(&b);
    if (rc)
      return zm_bind_fail(L, rc);
    lua_pushstring(L, id);
    return 1;
  }
  zm_frame_sealed sealed;
  int rc = zm_frame_seal(&sealed, f), adopted = 0;
  if (rc == 1 && zm_store_is_tmp(s, sealed.path)) {
    /* built in place in one of this store's temp files: adopt it; should
     * that fail (say gc took the file of a frame kept for hours), the
     * frame's bytes are still mapped: store them the usual way below */
    adopted = zm_store_put_mapped(id, s, sealed.data, sealed.len, sealed.fd, sealed.path) == 0;
    zm_frame_sealed_taken(f);
  }
  if (rc == 0 && handover && !f->map && !f->backing) {
    rc = put_handing(id, s, f);
  } else if (rc >= 0 && !adopted) {
    zm_frame_iov v;
    rc = zm_frame_iov_build(&v, f);
    if (rc == 0)
      rc = zm_store_put_iov(id, s, v.iov, v.n);
    zm_frame_iov_free(&v);
  } else if (adopted) {
    rc = 0;
  }
  if (rc)
    return zm_bind_fail(L, rc);
  lua_pushstring(L, id);
  return 1;
}

static int spill_tmp(int *out_fd, char *path, size_t cap, void *ctx)
{
  return zm_store_tmp_open(out_fd, path, cap, ctx);
}

static void spill_release(void *ctx)
{
  zm_store_free(ctx);
}

/* store:spill_frames(): big frames made from now on (in any thread) are
 * built in place in this store's temp files, so storing them copies
 * nothing. The registration has its own handle on the store. */
static int l_spill_frames(lua_State *L)
{
  zm_store *s = check_store(L), *own = NULL;
  int rc = zm_store_open(&own, zm_store_root(s));
  if (rc)
    return zm_bind_fail(L, rc);
  zm_frame_set_spill(spill_tmp, own, spill_release);
  lua_pushboolean(L, 1);
  return 1;
}

/* store:write_behind(max_ms): 0 settles and stops. */
static int l_write_behind(lua_State *L)
{
  zm_store *s = check_store(L);
  lua_Integer ms = luaL_checkinteger(L, 2);
  luaL_argcheck(L, ms >= 0 && ms <= 60000, 2, "expected 0 to 60000 milliseconds");
  return push_ok_or_fail(L, zm_store_write_behind(s, (unsigned)ms));
}

static int l_settle(lua_State *L)
{
  return push_ok_or_fail(L, zm_store_settle(check_store(L)));
}

static int l_batch_abort(lua_State *L)
{
  zm_store_batch_abort(check_store(L));
  return 0;
}

static int l_root(lua_State *L)
{
  lua_pushstring(L, zm_store_root(check_store(L)));
  return 1;
}


static int l_open(lua_State *L)
{
  const char *root = luaL_checkstring(L, 1);
  store_ud *u = zm_bind_box_new(L, sizeof *u, STORE_MT, store_ud_release);
  int rc = zm_store_open(&u->s, root);
  if (rc)
    return zm_bind_fail(L, rc);
  return 1;
}

int zm_bind_open_store(lua_State *L)
{
  static const luaL_Reg methods[] = {
      {"put", l_put},           {"put_file", l_put_file},         {"put_tree", l_put_tree},
      {"path", l_path},         {"read_path", l_read_path},       {"read", l_read},
      {"exists", l_exists},     {"size", l_size},                 {"is_tree", l_is_tree},
      {"checkout", l_checkout}, {"verify", l_verify},     {"check", l_check},               {"gc", l_gc}, {"lock", l_lock},
      {"tmpdir", l_tmpdir}, {"remove_tmp", l_remove_tmp},
      {"batch_begin", l_batch_begin}, {"batch_commit", l_batch_commit},
      {"batch_abort", l_batch_abort}, {"write_behind", l_write_behind}, {"spill_frames", l_spill_frames},
      {"put_frame", l_put_frame}, {"wrote", l_wrote},
      {"settle", l_settle}, {"root", l_root},           {"close", zm_bind_release},
      {NULL, NULL},
  };
  zm_bind_box_type(L, STORE_MT, methods);
  lua_pop(L, 1);
  static const luaL_Reg fns[] = {{"open", l_open}, {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
