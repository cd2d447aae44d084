/* zenml._core.exec: the scheduler with Lua tasks. Each worker makes its own
 * lua_State on its own thread and loads the task there; the caller's state
 * only ever sees the event hook and the final results, which come back as C
 * strings. Every Lua call made from a scheduler callback is protected, so
 * nothing longjmps across the scheduler's threads or locks. */
#include "bind/bind.h"
#include "core/error.h"
#include "exec/exec.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define RESULT_MT "zenml.exec.result"
#define STRINGS_MT "zenml.exec.strings"

/* Where Ctrl-C lands: the cancel flag of the outermost run, if any. */
static _Atomic(atomic_int *) sigint_target;
static atomic_int sigint_count;

static void on_sigint(int sig)
{
  (void)sig;
  atomic_fetch_add(&sigint_count, 1);
  atomic_int *t = atomic_load(&sigint_target);
  if (t)
    atomic_store(t, 1);
}

/* What a worker's state needs: the task (and init) as "module", "function". */
typedef struct task_spec {
  const char *task_mod, *task_fn, *init_mod, *init_fn;
  lua_State **states; /* per worker; each owned by its worker while running */
  int task_idx;       /* where the wrapped task sits in a state's stack */
} task_spec;

typedef struct run_ctx {
  task_spec spec;
  lua_State *L; /* the caller's state: only the event hook uses it */
  int on_event; /* stack index of the hook in L, 0 for none */
  const zm_exec_dag *dag;
  const char **names;
  const char **args; /* per node; NULL when it has none */
  int in_caller;     /* the task is a function run in L itself: no worker state */
  atomic_int cancel;
  int err_slot;    /* stack slot in L that receives the hook's error */
  int event_error; /* the hook raised; its message is in err_slot */
} run_ctx;

static char *copy_top_message(lua_State *L)
{
  const char *msg = lua_tostring(L, -1);
  return strdup(msg ? msg : "(error object is not a string)");
}

/* In a worker state (protected): fetch require(mod)[fn], checked. */
static void push_function(lua_State *L, const char *mod, const char *fn, const char *what)
{
  lua_getglobal(L, "require");
  lua_pushstring(L, mod);
  lua_call(L, 1, 1);
  if (!lua_istable(L, -1))
    luaL_error(L, "%s module '%s' returned a %s, expected a table", what, mod,
               luaL_typename(L, -1));
  lua_getfield(L, -1, fn);
  if (!lua_isfunction(L, -1))
    luaL_error(L, "%s '%s.%s' is a %s, expected a function", what, mod, fn, luaL_typename(L, -1));
  lua_remove(L, -2);
}

/* One call of a task: its first argument (a node's name, or an item's
 * number), its string argument and, for a node, its dependencies' results. */
typedef struct task_args {
  const char *a;
  lua_Integer a_int;
  const char *b;
  const zm_exec_node *node;     /* NULL for a map item */
  const char *const *names;     /* node names, by index */
  const char *const *deps;      /* results of node->deps */
} task_args;

/* Protected: task(a, b, worker, deps) with deps = {name = result} for a
 * node; upvalues: the task and its name. Made once per worker, so calling a
 * node allocates nothing outside the pcall. */
static int task_call(lua_State *L)
{
  const task_args *t = lua_touserdata(L, 1);
  lua_Integer worker = lua_tointeger(L, 2);
  lua_settop(L, 0);
  lua_pushvalue(L, lua_upvalueindex(1));
  if (t->a)
    lua_pushstring(L, t->a);
  else
    lua_pushinteger(L, t->a_int);
  if (t->b)
    lua_pushstring(L, t->b);
  else
    lua_pushnil(L);
  lua_pushinteger(L, worker);
  if (t->node) {
    lua_createtable(L, 0, (int)t->node->ndeps);
    for (size_t k = 0; k < t->node->ndeps; k++) {
      if (t->deps[k]) {
        lua_pushstring(L, t->deps[k]);
        lua_setfield(L, -2, t->names[t->node->deps[k]]);
      }
    }
  } else {
    lua_pushnil(L);
  }
  lua_call(L, 4, 1);
  if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
    luaL_error(L, "task '%s' returned a %s, expected a string or nil",
               lua_tostring(L, lua_upvalueindex(2)), luaL_typename(L, -1));
  return 1;
}

/* Protected: load the task, call init(worker) once; leaves the task on top. */
static int worker_setup(lua_State *L)
{
  const task_spec *s = lua_touserdata(L, 1);
  lua_Integer worker = lua_tointeger(L, 2);
  lua_settop(L, 0);
  if (s->init_mod) {
    push_function(L, s->init_mod, s->init_fn, "init");
    lua_pushinteger(L, worker);
    lua_call(L, 1, 0);
  }
  push_function(L, s->task_mod, s->task_fn, "task");
  lua_pushfstring(L, "%s.%s", s->task_mod, s->task_fn);
  lua_pushcclosure(L, task_call, 2);
  return 1;
}

/* Make worker w's state with the task, wrapped in task_call, at index 1. */
static int state_open(const task_spec *s, int worker)
{
  lua_State *L = zm_bind_newstate();
  if (!L)
    return zm_error_set(ZM_ENOMEM, "worker %d: out of memory for a Lua state", worker + 1);
  lua_pushcfunction(L, worker_setup);
  lua_pushlightuserdata(L, (void *)s);
  lua_pushinteger(L, worker + 1);
  if (zm_bind_pcall(L, 2, 1) != LUA_OK) {
    zm_error_set(ZM_ERROR, "worker %d: %s", worker + 1, lua_tostring(L, -1));
    lua_close(L);
    return ZM_ERROR;
  }
  s->states[worker] = L;
  return 0;
}

static void state_close(const task_spec *s, int worker)
{
  if (s->states[worker])
    lua_close(s->states[worker]);
  s->states[worker] = NULL;
}

/* Call the task in worker w's state. 0 with *out the result (or NULL), or
 * ZM_ERROR with *out the message and traceback. The stack is left as found. */
static int call_task(const task_spec *s, int worker, const task_args *t, char **out)
{
  lua_State *L = s->states[worker];
  int rc = 0, top = lua_gettop(L);
  lua_pushvalue(L, s->task_idx);
  lua_pushlightuserdata(L, (void *)t);
  lua_pushinteger(L, worker + 1);
  if (zm_bind_pcall(L, 2, 1) != LUA_OK) {
    *out = copy_top_message(L);
    rc = ZM_ERROR;
  } else if (lua_isstring(L, -1)) {
    *out = strdup(lua_tostring(L, -1));
  }
  lua_settop(L, top);
  return rc;
}

static int run_init(int worker, void *p)
{
  run_ctx *c = p;
  return state_open(&c->spec, worker);
}

static void run_fini(int worker, void *p)
{
  run_ctx *c = p;
  state_close(&c->spec, worker);
}

static int run_task(int worker, size_t node, const char *const *deps, void *p, char **out)
{
  run_ctx *c = p;
  task_args t = {c->names[node], 0, c->args[node], &c->dag->nodes[node], c->names, deps};
  return call_task(&c->spec, worker, &t, out);
}

/* Protected, in the caller's state: on_event{node=, kind=, status=, ...};
 * the hook is argument 1. */
static int event_call(lua_State *L)
{
  const zm_exec_event *ev = lua_touserdata(L, 2);
  const run_ctx *c = lua_touserdata(L, 3);
  lua_settop(L, 1);
  lua_createtable(L, 0, 5);
  lua_pushstring(L, c->names[ev->node]);
  lua_setfield(L, -2, "node");
  lua_pushstring(L, ev->kind == ZM_EXEC_START ? "start" : "done");
  lua_setfield(L, -2, "kind");
  lua_pushstring(L, ev->kind == ZM_EXEC_START ? "running" : zm_exec_status_name(ev->status));
  lua_setfield(L, -2, "status");
  if (ev->worker >= 0) {
    lua_pushinteger(L, ev->worker + 1);
    lua_setfield(L, -2, "worker");
  }
  lua_pushnumber(L, ev->time);
  lua_setfield(L, -2, "time");
  lua_call(L, 1, 1);
  return 1;
}

/* The hook runs on the caller's thread; an error in it (or returning false)
 * cancels the run, and the error is raised once the workers stopped. */
static void run_event(const zm_exec_event *ev, void *p)
{
  run_ctx *c = p;
  lua_State *L = c->L;
  int top = lua_gettop(L);
  if (!c->on_event || c->event_error || !lua_checkstack(L, 8))
    return;
  lua_pushcfunction(L, event_call);
  lua_pushvalue(L, c->on_event);
  lua_pushlightuserdata(L, (void *)ev);
  lua_pushlightuserdata(L, c);
  if (zm_bind_pcall(L, 3, 1) != LUA_OK) {
    lua_copy(L, -1, c->err_slot); /* no allocation: safe beside the workers */
    c->event_error = 1;
    atomic_store(&c->cancel, 1);
  } else if (lua_isboolean(L, -1) && !lua_toboolean(L, -1)) {
    atomic_store(&c->cancel, 1);
  }
  lua_settop(L, top);
}

/* The result in a box, so building the Lua table cannot leak it. */
ZM_BIND_HANDLE(result_box, zm_exec_result, r, zm_exec_result_free)

static zm_exec_result **push_result_box(lua_State *L)
{
  result_box *x = zm_bind_box_new(L, sizeof *x, RESULT_MT, result_box_release);
  return &x->r;
}

static void push_results(lua_State *L, const zm_exec_result *r, const char **names)
{
  lua_createtable(L, 0, (int)r->n);
  for (size_t i = 0; i < r->n; i++) {
    const zm_exec_node_result *nr = &r->nodes[i];
    lua_createtable(L, 0, 6);
    zm_bind_set_str(L, "status", zm_exec_status_name(nr->status));
    zm_bind_set_str(L, "result", nr->result);
    zm_bind_set_str(L, "error", nr->error);
    if (nr->worker >= 0) {
      lua_pushnumber(L, nr->started);
      lua_setfield(L, -2, "started");
      lua_pushnumber(L, nr->ended);
      lua_setfield(L, -2, "ended");
      lua_pushinteger(L, nr->worker + 1);
      lua_setfield(L, -2, "worker");
    }
    lua_setfield(L, -2, names[i]);
  }
}

/* Read the node list into C arrays held by userdata on the stack. */
static void read_nodes(lua_State *L, zm_exec_dag *dag, run_ctx *c)
{
  size_t n = (size_t)luaL_len(L, 1);
  zm_exec_node *nodes = lua_newuserdatauv(L, (n + 1) * sizeof *nodes, 0);
  c->names = lua_newuserdatauv(L, (n + 1) * sizeof *c->names, 0);
  c->args = lua_newuserdatauv(L, (n + 1) * sizeof *c->args, 0);
  lua_createtable(L, (int)n, 0); /* keeps each node's dependency array alive */
  int anchor = lua_gettop(L);
  for (size_t i = 0; i < n; i++) {
    lua_geti(L, 1, (lua_Integer)i + 1);
    c->names[i] = luaL_checkstring(L, -1); /* anchored by table 1 */
    lua_pop(L, 1);
    lua_geti(L, 8, (lua_Integer)i + 1);
    c->args[i] = lua_tostring(L, -1); /* anchored by table 8, or NULL */
    lua_pop(L, 1);
    lua_geti(L, 2, (lua_Integer)i + 1);
    size_t nd = (size_t)luaL_len(L, -1);
    size_t *deps = lua_newuserdatauv(L, (nd + 1) * sizeof *deps, 0);
    for (size_t k = 0; k < nd; k++) {
      lua_geti(L, -2, (lua_Integer)k + 1);
      deps[k] = (size_t)(lua_tointeger(L, -1) - 1);
      lua_pop(L, 1);
    }
    lua_seti(L, anchor, (lua_Integer)i + 1);
    lua_pop(L, 1);
    nodes[i] = (zm_exec_node){c->names[i], deps, nd};
  }
  dag->nodes = nodes;
  dag->n = n;
}

/* Run with our SIGINT handler when we are the outermost run on worker
 * states. A task in the caller's state keeps the host's handler, which
 * interrupts the Lua code that runs, as it does outside a run. */
static int run_guarded(zm_exec_result **out, const zm_exec_dag *dag, zm_exec_opts *o,
                       run_ctx *c, int *interrupted)
{
  atomic_int *none = NULL;
  int owner = !c->in_caller && atomic_compare_exchange_strong(&sigint_target, &none, &c->cancel);
  struct sigaction sa, old;
  int before = atomic_load(&sigint_count);
  if (owner) {
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
  }
  int rc = zm_exec_run(out, dag, o);
  if (owner) {
    sigaction(SIGINT, &old, NULL);
    atomic_store(&sigint_target, NULL);
    *interrupted = atomic_load(&sigint_count) != before;
  }
  return rc;
}

/* run(names, deps, jobs, task_mod | task, task_fn?, init_mod?, init_fn?, args, on_event?)
 *   -> results, ok | nil, message, "graph"|"worker"|"event"|"interrupted".
 * names and deps (1-based indices) come from zenml.exec, already checked for
 * names; the C side checks the graph. A task given as a function runs in
 * this state, as the one worker (jobs must be 1). */
static int exec_run(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TTABLE);
  int jobs = (int)luaL_checkinteger(L, 3);
  if (jobs <= 0)
    jobs = zm_exec_ncores();
  run_ctx c = {0};
  c.in_caller = lua_isfunction(L, 4);
  luaL_argcheck(L, !c.in_caller || jobs == 1, 3, "a task in the calling state runs alone: jobs = 1");
  c.spec.task_mod = c.in_caller ? NULL : luaL_checkstring(L, 4);
  c.spec.task_fn = c.in_caller ? NULL : luaL_checkstring(L, 5);
  c.spec.init_mod = luaL_optstring(L, 6, NULL);
  c.spec.init_fn = c.spec.init_mod ? luaL_checkstring(L, 7) : NULL;
  luaL_checktype(L, 8, LUA_TTABLE);
  c.L = L;
  c.on_event = lua_isnoneornil(L, 9) ? 0 : 9;
  if (c.on_event)
    luaL_checktype(L, 9, LUA_TFUNCTION);
  lua_settop(L, 9);
  atomic_init(&c.cancel, 0);
  zm_exec_dag dag;
  read_nodes(L, &dag, &c);
  if (zm_exec_dag_check(&dag)) {
    lua_pushnil(L);
    lua_pushstring(L, zm_error_last());
    lua_pushliteral(L, "graph");
    return 3;
  }
  c.dag = &dag;
  if ((size_t)jobs > dag.n)
    jobs = dag.n ? (int)dag.n : 1;
  c.spec.states = lua_newuserdatauv(L, (size_t)jobs * sizeof *c.spec.states, 0);
  memset(c.spec.states, 0, (size_t)jobs * sizeof *c.spec.states);
  c.spec.task_idx = 1; /* where worker_setup leaves it in a worker's state */
  if (c.in_caller) {
    lua_pushvalue(L, 4);
    lua_pushliteral(L, "task");
    lua_pushcclosure(L, task_call, 2);
    c.spec.task_idx = lua_gettop(L);
    c.spec.states[0] = L;
  }
  zm_exec_result **box = push_result_box(L);
  lua_pushnil(L);
  c.err_slot = lua_gettop(L);
  zm_exec_opts o = {jobs, run_task, c.in_caller ? NULL : run_init, c.in_caller ? NULL : run_fini,
                    c.on_event ? run_event : NULL, &c.cancel, &c};
  int interrupted = 0;
  int rc = run_guarded(box, &dag, &o, &c, &interrupted);
  if (rc || interrupted || c.event_error) {
    lua_pushnil(L);
    if (rc || interrupted)
      lua_pushstring(L, rc ? zm_error_last() : "interrupted");
    else
      lua_pushvalue(L, c.err_slot);
    lua_pushstring(L, rc ? "worker" : interrupted ? "interrupted" : "event");
    return 3;
  }
  push_results(L, *box, c.names);
  lua_pushboolean(L, (*box)->ok);
  return 2;
}

/* The per-item results of map, freed by __gc whatever happens. */
typedef struct strings {
  zm_bind_box box;
  size_t n;
  char *s[];
} strings;

static void strings_release(zm_bind_box *b)
{
  strings *ss = (strings *)b;
  for (size_t i = 0; i < ss->n; i++) {
    free(ss->s[i]);
    ss->s[i] = NULL;
  }
}

typedef struct map_ctx {
  task_spec spec;
  const char *arg;
  strings *out;
} map_ctx;

/* States are made lazily, on the worker's own thread, at its first item. */
static int map_item(int worker, size_t item, void *p)
{
  map_ctx *m = p;
  if (!m->spec.states[worker]) {
    int rc = state_open(&m->spec, worker);
    if (rc)
      return rc;
  }
  char *text = NULL;
  task_args t = {NULL, (lua_Integer)item + 1, m->arg, NULL, NULL, NULL};
  int rc = call_task(&m->spec, worker, &t, &text);
  if (rc) {
    zm_error_set(rc, "item %zu: %s", item + 1, text ? text : "failed");
    free(text);
    return rc;
  }
  m->out->s[item] = text;
  return 0;
}

/* map(n, jobs, task_mod, task_fn, arg?) -> {results...} | nil, message */
static int exec_map(lua_State *L)
{
  lua_Integer n = luaL_checkinteger(L, 1);
  int jobs = (int)luaL_checkinteger(L, 2);
  map_ctx m = {0};
  m.spec.task_mod = luaL_checkstring(L, 3);
  m.spec.task_fn = luaL_checkstring(L, 4);
  m.spec.task_idx = 1;
  m.arg = luaL_optstring(L, 5, NULL);
  luaL_argcheck(L, n >= 0, 1, "expected a count >= 0");
  size_t nitems = (size_t)n, nstates = (size_t)(jobs > 0 ? jobs : zm_exec_ncores());
  m.out = zm_bind_box_new(L, sizeof *m.out + (nitems + 1) * sizeof(char *), STRINGS_MT,
                          strings_release);
  m.out->n = nitems;
  m.spec.states = lua_newuserdatauv(L, nstates * sizeof *m.spec.states, 0);
  memset(m.spec.states, 0, nstates * sizeof *m.spec.states);
  int rc = zm_exec_map(jobs, nitems, map_item, &m);
  for (size_t w = 0; w < nstates; w++)
    state_close(&m.spec, (int)w);
  if (rc)
    return zm_bind_fail(L, rc);
  lua_createtable(L, (int)nitems, 0);
  for (size_t i = 0; i < nitems; i++) {
    if (m.out->s[i]) {
      lua_pushstring(L, m.out->s[i]);
      lua_seti(L, -2, (lua_Integer)i + 1);
    }
  }
  return 1;
}

static int exec_ncores(lua_State *L)
{
  lua_pushinteger(L, zm_exec_ncores());
  return 1;
}

int zm_bind_open_exec(lua_State *L)
{
  static const luaL_Reg fns[] = {
      {"run", exec_run}, {"map", exec_map}, {"ncores", exec_ncores}, {NULL, NULL}};
  zm_bind_box_type(L, RESULT_MT, NULL);
  zm_bind_box_type(L, STRINGS_MT, NULL);
  lua_pop(L, 2);
  luaL_newlib(L, fns);
  return 1;
}
