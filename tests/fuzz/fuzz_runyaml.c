/* The run-YAML validator: a Lua state made as the zenml host makes it, the
 * input written to a file and checked by zenml.engine.doc's load and
 * zenml.rerun's check_doc (what `zenml run pipelines/x.yaml` does before it runs
 * anything). A Lua error is an expected answer to bad input; only a crash
 * or a sanitizer report is a finding. */
#include "bind/bind.h"
#include "fuzz.h"

#include <lualib.h>

static lua_State *L;
static int check_ref = LUA_NOREF;

/* Returns a function(path) that runs both checks under pcall. */
static const char CHECKER[] =
    "zenml = require 'zenml'\n"
    "package.cpath = ''\n" /* no native module, whatever name a step's module holds */
    "local docs, rerun = require 'zenml.engine.doc', require 'zenml.rerun'\n"
    "return function(path)\n"
    "  return pcall(function() rerun.check_doc(docs.load(path), path) end)\n"
    "end\n";

static void start(void)
{
  const char *home = getenv("ZENML_HOME");
  zm_bind_set_home(home && *home ? home : ZM_SOURCE_DIR);
  if (!(L = zm_bind_newstate()))
    fuzz_fail("cannot create a Lua state");
  if (luaL_loadbuffer(L, CHECKER, sizeof CHECKER - 1, "=fuzz_runyaml") != LUA_OK ||
      zm_bind_pcall(L, 0, 1) != LUA_OK)
    fuzz_fail("cannot load zenml.rerun: %s", lua_tostring(L, -1));
  check_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
  if (!L)
    start();
  const char *path = fuzz_write_file("run.yaml", data, len);
  lua_rawgeti(L, LUA_REGISTRYINDEX, check_ref);
  lua_pushstring(L, path);
  if (zm_bind_pcall(L, 1, 0) != LUA_OK) /* only if the checker itself breaks */
    fuzz_fail("the checker failed: %s", lua_tostring(L, -1));
  return 0;
}
