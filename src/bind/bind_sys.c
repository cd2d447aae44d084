/* zenml._core.sys: the few operating-system facts the Lua layer needs. */
#include "bind/bind.h"
#include "core/error.h"
#include "core/fault.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/shardlog.h"
#include "core/workers.h"

#include <lualib.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int sys_isatty(lua_State *L)
{
  lua_pushboolean(L, isatty((int)luaL_checkinteger(L, 1)));
  return 1;
}

/* Wall-clock time in seconds, as a float with nanosecond resolution. */
static int sys_time(lua_State *L)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  lua_pushnumber(L, (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
  return 1;
}

/* Monotonic time in seconds, for measuring durations. */
static int sys_clock(lua_State *L)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
  return 1;
}

static int sys_getpid(lua_State *L)
{
  lua_pushinteger(L, (lua_Integer)getpid());
  return 1;
}

static int sys_hostname(lua_State *L)
{
  char name[256] = "";
  gethostname(name, sizeof name - 1);
  lua_pushstring(L, name);
  return 1;
}

static int sys_getcwd(lua_State *L)
{
  char dir[PATH_MAX];
  if (!getcwd(dir, sizeof dir))
    return luaL_error(L, "cannot read the current folder");
  lua_pushstring(L, dir);
  return 1;
}

static int sys_realpath(lua_State *L)
{
  char *p = realpath(luaL_checkstring(L, 1), NULL);
  if (!p) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushstring(L, p);
  free(p);
  return 1;
}

/* write_atomic(path, data, mode): durable replace; true or nil, message. */
static int sys_write_atomic(lua_State *L)
{
  size_t len;
  const char *path = luaL_checkstring(L, 1);
  const char *data = luaL_checklstring(L, 2, &len);
  lua_Integer mode = luaL_optinteger(L, 3, 0644);
  int rc = zm_fs_write_atomic(path, data, len, (mode_t)mode);
  if (rc)
    return zm_bind_fail(L, rc);
  lua_pushboolean(L, 1);
  return 1;
}

/* mkdir_p(path): true or nil, message. */
static int sys_mkdir_p(lua_State *L)
{
  int rc = zm_fs_mkdir_p(luaL_checkstring(L, 1));
  if (rc)
    return zm_bind_fail(L, rc);
  lua_pushboolean(L, 1);
  return 1;
}

/* fault(point): pass a crash point (core/fault.h). */
static int sys_fault(lua_State *L)
{
  zm_fault(luaL_checkstring(L, 1));
  return 0;
}

/* fault_points(): the names of every crash point, as a list. */
static int sys_fault_points(lua_State *L)
{
  lua_newtable(L);
  for (int i = 0; zm_fault_points[i]; i++) {
    lua_pushstring(L, zm_fault_points[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* pid_alive(pid): whether a process with that pid exists on this host. */
static int sys_pid_alive(lua_State *L)
{
  pid_t pid = (pid_t)luaL_checkinteger(L, 1);
  lua_pushboolean(L, pid > 0 && (kill(pid, 0) == 0 || errno == EPERM));
  return 1;
}

/* log_capture(file|nil): route this thread's C log lines into a Lua file
 * (the running step's log), or back to standard error. */
static int sys_log_capture(lua_State *L)
{
  if (lua_isnoneornil(L, 1)) {
    zm_log_set_sink(NULL);
    return 0;
  }
  luaL_Stream *s = luaL_checkudata(L, 1, LUA_FILEHANDLE);
  zm_log_set_sink(s->f);
  return 0;
}

/* log(text): a line through the C log (what C kernels use). */
static int sys_log(lua_State *L)
{
  zm_log("%s", luaL_checkstring(L, 1));
  return 0;
}

/* A Lua file handle writing into memory (open_memstream): step logs are
 * captured without creating a file per step. memfile_take reads it back. */
typedef struct memfile {
  luaL_Stream stream; /* first: liolib treats this userdata as a file */
  char *buf;
  size_t len;
} memfile;

static int memfile_close(lua_State *L)
{
  memfile *m = luaL_checkudata(L, 1, LUA_FILEHANDLE);
  int ok = fclose(m->stream.f) == 0;
  free(m->buf);
  m->buf = NULL;
  m->len = 0;
  return luaL_fileresult(L, ok, NULL);
}

static int sys_memfile(lua_State *L)
{
  memfile *m = lua_newuserdatauv(L, sizeof *m, 0);
  m->stream.closef = NULL; /* not yet a valid file, for __gc */
  m->buf = NULL;
  m->len = 0;
  luaL_setmetatable(L, LUA_FILEHANDLE);
  m->stream.f = open_memstream(&m->buf, &m->len);
  if (!m->stream.f)
    return luaL_fileresult(L, 0, "memory file");
  m->stream.closef = memfile_close;
  return 1;
}

/* memfile_take(f): everything written to a memfile so far, as a string. */
static int sys_memfile_take(lua_State *L)
{
  memfile *m = luaL_checkudata(L, 1, LUA_FILEHANDLE);
  if (m->stream.closef != memfile_close)
    return luaL_argerror(L, 1, "not an open memory file");
  fflush(m->stream.f);
  lua_pushlstring(L, m->buf ? m->buf : "", m->len);
  return 1;
}

/* setenv(name, value): for settings that worker threads and child processes
 * must see too (ZENML_TRACEBACK); only while no other thread runs. */
static int sys_setenv(lua_State *L)
{
  const char *name = luaL_checkstring(L, 1), *value = luaL_checkstring(L, 2);
  if (setenv(name, value, 1) != 0)
    return luaL_error(L, "setenv %s: %s", name, strerror(errno));
  return 0;
}

/* file_kind(path): "file", "folder", "other" (a FIFO, device, socket) or
 * nil; links are followed and nothing is opened (a FIFO would block). */
static int sys_file_kind(lua_State *L)
{
  struct stat st;
  if (stat(luaL_checkstring(L, 1), &st) != 0) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushstring(L, S_ISREG(st.st_mode) ? "file" : S_ISDIR(st.st_mode) ? "folder" : "other");
  return 1;
}

/* sleep(seconds): wait, in this thread; a signal (Ctrl-C) ends it early. */
static int sys_sleep(lua_State *L)
{
  double secs = luaL_checknumber(L, 1);
  if (secs > 0) {
    struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
    nanosleep(&ts, NULL);
  }
  return 0;
}

static int sys_home(lua_State *L)
{
  lua_pushstring(L, zm_bind_home());
  return 1;
}

/* workers(n): set the calling thread's data-kernel worker count (0: the
 * kernels' defaults) and return the previous one (0 when none was set). */
static int sys_workers(lua_State *L)
{
  int prev = zm_workers_get(0);
  lua_Integer n = luaL_optinteger(L, 1, 0);
  luaL_argcheck(L, n >= 0 && n <= 1024, 1, "expects 0..1024");
  zm_workers_set((int)n);
  lua_pushinteger(L, prev);
  return 1;
}

/* shardlog_open(): start listing the shards the data kernels this thread
 * calls run (core/shardlog.h). */
static int sys_shardlog_open(lua_State *L)
{
  if (zm_shardlog_open() != 0)
    return luaL_error(L, "%s", zm_error_last());
  return 0;
}

/* shardlog_close() -> { {kernel, worker, items, seconds}, ... } in the order
 * the kernels ran; {} without a log. */
static int sys_shardlog_close(lua_State *L)
{
  zm_shardlog_line *lines;
  size_t n;
  zm_shardlog_close(&lines, &n);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_createtable(L, 0, 4);
    lua_pushstring(L, lines[i].kernel);
    lua_setfield(L, -2, "kernel");
    lua_pushinteger(L, lines[i].worker);
    lua_setfield(L, -2, "worker");
    lua_pushinteger(L, (lua_Integer)lines[i].items);
    lua_setfield(L, -2, "items");
    lua_pushnumber(L, lines[i].seconds);
    lua_setfield(L, -2, "seconds");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  free(lines);
  return 1;
}

int zm_bind_open_sys(lua_State *L)
{
  static const luaL_Reg fns[] = {
      {"isatty", sys_isatty},   {"time", sys_time},         {"clock", sys_clock},
      {"getpid", sys_getpid},   {"hostname", sys_hostname}, {"getcwd", sys_getcwd},
      {"realpath", sys_realpath}, {"home", sys_home}, {"sleep", sys_sleep}, {"setenv", sys_setenv},
      {"file_kind", sys_file_kind},
      {"write_atomic", sys_write_atomic}, {"mkdir_p", sys_mkdir_p},
      {"fault", sys_fault}, {"fault_points", sys_fault_points},
      {"pid_alive", sys_pid_alive}, {"log_capture", sys_log_capture},
      {"log", sys_log}, {"workers", sys_workers}, {"memfile", sys_memfile}, {"memfile_take", sys_memfile_take},
      {"shardlog_open", sys_shardlog_open}, {"shardlog_close", sys_shardlog_close},
      {NULL, NULL},
  };
  luaL_newlib(L, fns);
  return 1;
}
