/* The interactive loop: line editing and history through libedit, multi-line
 * chunks as in lua.c, results pretty-printed by zenml.pretty. */
#include "bind/bind.h"
#include "host/host.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <editline/readline.h>

#define HISTORY_MAX 1000

static int use_editline;
static char history_path[4096];

static void history_open(void)
{
  const char *home = getenv("HOME");
  if (!home || !*home)
    return;
  snprintf(history_path, sizeof history_path, "%s/.zenml_history", home);
  stifle_history(HISTORY_MAX);
  read_history(history_path);
}

static void history_add(const char *line)
{
  if (!use_editline || !line[0])
    return;
  add_history(line);
  if (history_path[0])
    write_history(history_path);
}

/* Completion: the line editor asks zenml.repl.complete_lines for the words
 * that complete the one before the cursor. `.` and `:` do not break words,
 * so `zenml.me` and `repo:` are completed as a whole. */
static lua_State *completion_state;
static char *completion_words; /* "w1\nw2\n...", copied out of Lua */
static const char *completion_next;

static char *next_completion(const char *text, int state)
{
  (void)text;
  if (state == 0)
    completion_next = completion_words;
  if (!completion_next || !*completion_next)
    return NULL;
  const char *end = strchr(completion_next, '\n');
  size_t n = end ? (size_t)(end - completion_next) : strlen(completion_next);
  char *word = strndup(completion_next, n);
  completion_next += n + (end ? 1 : 0);
  return word;
}

/* Ask Lua for the completions of `text` (a protected call: an error means
 * no completions). Nothing malloc'd is held while Lua runs. */
static void ask_lua(lua_State *L, const char *text)
{
  int top = lua_gettop(L);
  free(completion_words);
  completion_words = NULL;
  lua_getglobal(L, "require");
  lua_pushstring(L, "zenml.repl");
  if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_getfield(L, -1, "complete_lines") == LUA_TFUNCTION) {
    lua_pushstring(L, text);
    if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TSTRING)
      completion_words = strdup(lua_tostring(L, -1));
  }
  lua_settop(L, top);
}

static char **complete(const char *text, int start, int end)
{
  (void)start;
  (void)end;
  rl_attempted_completion_over = 1; /* never fall back to file names */
  if (!completion_state)
    return NULL;
  ask_lua(completion_state, text);
  if (!completion_words || !*completion_words)
    return NULL;
  return rl_completion_matches(text, next_completion);
}

static void completion_open(lua_State *L)
{
  completion_state = L;
  rl_attempted_completion_function = complete;
  rl_basic_word_break_characters = " \t\n\"'`@$><=;|&{}()[],+-*/%^~#";
  rl_completion_append_character = '\0';
}

/* The REPL's conveniences (the global `help`), from zenml.repl.install. */
static void install_conveniences(lua_State *L)
{
  int top = lua_gettop(L);
  lua_getglobal(L, "require");
  lua_pushstring(L, "zenml.repl");
  if (zm_host_docall(L, 1, 1) == LUA_OK && lua_getfield(L, -1, "install") == LUA_TFUNCTION)
    zm_host_docall(L, 0, 0);
  lua_settop(L, top);
}

static volatile sig_atomic_t prompt_interrupted;

static void on_prompt_sigint(int sig)
{
  (void)sig;
  prompt_interrupted = 1;
}

/* readline with Ctrl-C discarding the chunk being typed instead of killing
 * the process: then it returns NULL with prompt_interrupted set. */
static char *edit_line(const char *prompt)
{
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_prompt_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old);
  prompt_interrupted = 0;
  char *line = readline(prompt);
  sigaction(SIGINT, &old, NULL);
  if (prompt_interrupted) {
    free(line);
    fputc('\n', stdout);
    return NULL;
  }
  return line;
}

/* One line without its newline, malloc'd; NULL at end of input. */
static char *read_line(const char *prompt)
{
  if (use_editline)
    return edit_line(prompt);
  fputs(prompt, stdout);
  fflush(stdout);
  char buf[8192];
  if (!fgets(buf, sizeof buf, stdin))
    return NULL;
  buf[strcspn(buf, "\n")] = '\0';
  return strdup(buf);
}

/* 1 when the load error on the stack top says the chunk is just unfinished. */
static int incomplete(lua_State *L, int status)
{
  if (status != LUA_ERRSYNTAX)
    return 0;
  size_t len;
  const char *msg = lua_tolstring(L, -1, &len);
  const char *mark = "<eof>";
  size_t marklen = strlen(mark);
  return len >= marklen && strcmp(msg + len - marklen, mark) == 0;
}

/* Compile "return LINE" first, so `1 + 1` prints 2. */
static int load_expression(lua_State *L, const char *line)
{
  const char *ret = lua_pushfstring(L, "return %s;", line);
  int status = luaL_loadbuffer(L, ret, strlen(ret), "=stdin");
  lua_remove(L, -2);
  if (status != LUA_OK)
    lua_pop(L, 1);
  return status;
}

#define CHUNK_EOF (-1)
#define CHUNK_DISCARDED (-2)

/* Read a whole chunk, asking for more lines while it is incomplete. Leaves
 * the compiled function (or an error message) on the stack, or nothing for
 * CHUNK_EOF (Ctrl-D) and CHUNK_DISCARDED (Ctrl-C). */
static int read_chunk(lua_State *L)
{
  char *line = read_line("> ");
  if (!line)
    return prompt_interrupted ? CHUNK_DISCARDED : CHUNK_EOF;
  if (load_expression(L, line) == LUA_OK) {
    history_add(line);
    free(line);
    return LUA_OK;
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addstring(&b, line);
  free(line);
  luaL_pushresult(&b);
  for (;;) {
    size_t len;
    const char *code = lua_tolstring(L, -1, &len);
    int status = luaL_loadbuffer(L, code, len, "=stdin");
    if (!incomplete(L, status)) {
      history_add(code);
      lua_remove(L, -2);
      return status;
    }
    lua_pop(L, 1);
    char *more = read_line(">> ");
    if (!more) {
      lua_pop(L, 1);
      return prompt_interrupted ? CHUNK_DISCARDED : CHUNK_EOF;
    }
    lua_pushfstring(L, "\n%s", more);
    free(more);
    lua_concat(L, 2);
  }
}

/* Hand the results above `base` to zenml.pretty.show. */
static void show_results(lua_State *L, int base)
{
  int n = lua_gettop(L) - base;
  if (n == 0)
    return;
  lua_getglobal(L, "require");
  lua_pushstring(L, "zenml.pretty");
  if (zm_host_docall(L, 1, 1) != LUA_OK) {
    lua_settop(L, base);
    return;
  }
  lua_getfield(L, -1, "show");
  lua_remove(L, -2);
  lua_insert(L, base + 1);
  zm_host_docall(L, n, 0);
  lua_settop(L, base);
}

int zm_repl_run(lua_State *L)
{
  use_editline = isatty(STDIN_FILENO);
  install_conveniences(L);
  if (use_editline) {
    rl_readline_name = "zenml";
    completion_open(L);
    history_open();
  }
  int base = lua_gettop(L);
  for (;;) {
    int status = read_chunk(L);
    if (status == CHUNK_EOF)
      break;
    if (status == CHUNK_DISCARDED)
      continue;
    if (status != LUA_OK) {
      zm_host_report(L);
      continue;
    }
    if (zm_host_docall(L, 0, LUA_MULTRET) == LUA_OK)
      show_results(L, base);
    lua_settop(L, base);
  }
  if (use_editline)
    fputc('\n', stdout);
  completion_state = NULL;
  free(completion_words);
  completion_words = NULL;
  return 0;
}
