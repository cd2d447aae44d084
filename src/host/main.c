/* The zenml executable: scripts, -e, the REPL, and subcommands written in Lua. */
#include "bind/bind.h"
#include "host/host.h"
#include "repo/repo.h"

#include <lualib.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define USAGE \
  "usage: zenml [options] [script.lua [args...]]\n" \
  "       zenml COMMAND [args...]   (zenml help lists the commands)\n" \
  "\n" \
  "Options:\n" \
  "  -e CODE      run CODE (with the global `zenml` loaded)\n" \
  "  -i           enter the REPL after running the script or -e code\n" \
  "  --traceback  show zenml's own frames in errors, not only yours\n" \
  "  -v, --version  print the version and exit\n" \
  "  -h, --help   print this help and the list of commands\n" \
  "  -            run standard input as a script\n" \
  "\n" \
  "With no arguments zenml starts the REPL on a terminal, or runs standard\n" \
  "input as a script when it is a pipe.\n"

static lua_State *active;

static void interrupted_hook(lua_State *L, lua_Debug *ar)
{
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  luaL_error(L, "interrupted!");
}

/* As lua.c does: the signal handler only arms a hook; the hook raises the
 * error inside Lua at the next instruction, where that is safe. */
static void on_sigint(int sig)
{
  int mask = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;
  signal(sig, SIG_DFL);
  if (active)
    lua_sethook(active, interrupted_hook, mask, 1);
}

void zm_host_report(lua_State *L)
{
  const char *msg = lua_tostring(L, -1);
  if (!msg)
    msg = "(error object is not a string)";
  fprintf(stderr, "zenml: %s\n", msg);
  fflush(stderr);
  lua_pop(L, 1);
}

int zm_host_docall(lua_State *L, int nargs, int nresults)
{
  active = L;
  signal(SIGINT, on_sigint);
  int status = zm_bind_pcall(L, nargs, nresults);
  signal(SIGINT, SIG_DFL);
  active = NULL;
  if (status != LUA_OK)
    zm_host_report(L);
  return status;
}

int zm_host_preload(lua_State *L)
{
  lua_getglobal(L, "require");
  lua_pushstring(L, "zenml");
  if (zm_host_docall(L, 1, 1) != LUA_OK)
    return 1;
  lua_setglobal(L, "zenml");
  return 0;
}

/* Where lua/ and stdlib/ live: $ZENML_HOME, else <bindir>/../share/zenml when
 * installed, else the source tree this binary was built from. */
static void resolve_home(void)
{
  const char *env = getenv("ZENML_HOME");
  if (env && *env) {
    zm_bind_set_home(env);
    return;
  }
  char exe[PATH_MAX], probe[PATH_MAX + 64];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) {
      *slash = '\0';
      struct stat st;
      snprintf(probe, sizeof probe, "%s/../share/zenml/lua/zenml/init.lua", exe);
      if (stat(probe, &st) == 0) {
        snprintf(probe, sizeof probe, "%s/../share/zenml", exe);
        zm_bind_set_home(probe);
        return;
      }
    }
  }
  zm_bind_set_home(ZM_SOURCE_DIR);
}

/* The global `arg`, as lua.c builds it: arg[0] the script, arg[-1] the host. */
static void set_arg(lua_State *L, char **argv, int argc, int script)
{
  lua_createtable(L, argc - script - 1, script + 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

static int run_chunk(lua_State *L, int loadstatus, int nargs)
{
  if (loadstatus != LUA_OK) {
    lua_pop(L, nargs);
    zm_host_report(L);
    return 1;
  }
  if (nargs)
    lua_insert(L, -(nargs + 1));
  return zm_host_docall(L, nargs, 0) == LUA_OK ? 0 : 1;
}

static int run_script(lua_State *L, char **argv, int argc, int script)
{
  const char *name = strcmp(argv[script], "-") == 0 ? NULL : argv[script];
  set_arg(L, argv, argc, script);
  int nargs = argc - script - 1;
  luaL_checkstack(L, nargs + 3, "too many arguments to the script");
  for (int i = script + 1; i < argc; i++)
    lua_pushstring(L, argv[i]);
  return run_chunk(L, luaL_loadfile(L, name), nargs);
}

static int run_string(lua_State *L, const char *code)
{
  return run_chunk(L, luaL_loadbuffer(L, code, strlen(code), "=(command line)"), 0);
}

/* `zenml COMMAND ...`: hand the words to the command table in Lua. */
static int run_command(lua_State *L, char **argv, int argc, int first)
{
  lua_getglobal(L, "require");
  lua_pushstring(L, "zenml.cli");
  if (zm_host_docall(L, 1, 1) != LUA_OK)
    return 1;
  lua_getfield(L, -1, "main");
  lua_createtable(L, argc - first, 0);
  for (int i = first; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - first + 1);
  }
  if (zm_host_docall(L, 1, 1) != LUA_OK)
    return 1;
  int code = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : 0;
  lua_pop(L, 2);
  return code;
}

static int is_script(const char *a)
{
  size_t n = strlen(a);
  return strcmp(a, "-") == 0 || strchr(a, '/') != NULL ||
         (n > 4 && strcmp(a + n - 4, ".lua") == 0);
}

/* "zenml: unknown option 'X'", with zenml.errors' suggestion of a host option
 * one or two edits away, and the usage. */
static int unknown_option(lua_State *L, const char *a)
{
  static const char *known[] = {"-e", "-i", "-h", "-v", "--help", "--traceback", "--version"};
  const char *hint = "";
  int top = lua_gettop(L);
  lua_getglobal(L, "require");
  lua_pushstring(L, "zenml.errors");
  if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_getfield(L, -1, "did_you_mean") == LUA_TFUNCTION) {
    lua_pushstring(L, a);
    lua_createtable(L, (int)(sizeof known / sizeof known[0]), 0);
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
      lua_pushstring(L, known[i]);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    if (lua_pcall(L, 2, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TSTRING)
      hint = lua_tostring(L, -1);
  }
  fprintf(stderr, "zenml: unknown option '%s'%s\n%s", a, hint, USAGE);
  lua_settop(L, top);
  return 2;
}

static int usage_error(const char *what)
{
  fprintf(stderr, "zenml: %s\n%s", what, USAGE);
  return 2;
}

static int dispatch(lua_State *L, int argc, char **argv)
{
  int interactive = 0, ran_code = 0, i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-e") == 0) {
      if (++i >= argc)
        return usage_error("-e needs an argument");
      if ((!ran_code && zm_host_preload(L)) || run_string(L, argv[i]))
        return 1;
      ran_code = 1;
    } else if (strcmp(a, "-i") == 0) {
      interactive = 1;
    } else if (strcmp(a, "--traceback") == 0) {
      setenv("ZENML_TRACEBACK", "1", 1);
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(USAGE, stdout);
      char *words[] = {"zenml", "help", "--commands"};
      return run_command(L, words, 3, 1);
    } else if (strcmp(a, "--") == 0) {
      i++;
      break;
    } else {
      return unknown_option(L, a);
    }
  }
  if (i < argc && !is_script(argv[i]))
    return run_command(L, argv, argc, i);
  if (i < argc) {
    int rc = run_script(L, argv, argc, i);
    if (rc || !interactive)
      return rc;
  } else if (!ran_code && !interactive && !isatty(STDIN_FILENO)) {
    char *words[] = {"-"};
    return run_script(L, words, 1, 0);
  }
  if (ran_code && !interactive)
    return 0;
  if (!ran_code)
    zm_host_preload(L);
  return zm_repl_run(L);
}

/* os.exit, but first wait for a libgit2 start-up on its thread (see
 * zm_repo_warm_up_wait): the original is upvalue 1. */
static int exit_after_warm_up(lua_State *L)
{
  zm_repo_warm_up_wait();
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 0);
  return 0;
}

static void install_exit(lua_State *L)
{
  if (lua_getglobal(L, "os") == LUA_TTABLE) {
    lua_getfield(L, -1, "exit");
    lua_pushcclosure(L, exit_after_warm_up, 1);
    lua_setfield(L, -2, "exit");
  }
  lua_pop(L, 1);
}

/* Buffers of 256 KiB and more (frame columns, matrices, a shuffled copy of
 * the training rows) are mapped for themselves and handed back to the
 * system when freed. glibc would otherwise raise this threshold to the size
 * of each big buffer freed, so that the next step's buffers come from a heap
 * that keeps what the previous step freed: W2's peak memory grew by the
 * preprocesser's gathered columns (about 20 MB) that way. */
static void allocator_setup(void)
{
#ifdef M_MMAP_THRESHOLD
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
}

int main(int argc, char **argv)
{
  allocator_setup();
  if (argc == 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-v") == 0 ||
                    strcmp(argv[1], "version") == 0)) {
    printf("zenml %s\n", ZM_VERSION);
    return 0;
  }
  resolve_home();
  lua_State *L = zm_bind_newstate();
  if (!L) {
    fprintf(stderr, "zenml: cannot create a Lua state: out of memory\n");
    return 1;
  }
  install_exit(L);
  int rc = dispatch(L, argc, argv);
  lua_close(L);
  zm_repo_warm_up_wait();
  return rc;
}
