/* The catalogue (src/meta/meta_catalog.c): pipelines with their run counts,
 * recorded artifacts by id or prefix, and an artifact's lineage. */
#include "bind/bind.h"
#include "bind/bind_meta.h"
#include "core/error.h"

#include <lauxlib.h>
#include <stdlib.h>

ZM_BIND_FREE_FN(free_pipelines, zm_meta_pipeline_infos_free, zm_meta_pipeline_infos)
ZM_BIND_FREE_FN(free_artifacts, zm_meta_artifacts_free, zm_meta_artifacts)
ZM_BIND_FREE_FN(free_events, zm_meta_artifact_events_free, zm_meta_artifact_events)

static void push_pipeline(lua_State *L, const void *item)
{
  const zm_meta_pipeline_info *p = item;
  lua_createtable(L, 0, 4);
  zm_bind_set_str(L, "name", p->name);
  zm_bind_set_int(L, "versions", p->versions);
  zm_bind_set_int(L, "runs", p->runs);
  if (p->has_last_run)
    zm_bind_set_num(L, "last_run", p->last_run);
}

ZM_BIND_LIST_PUSHER(push_pipelines, zm_meta_pipeline_infos, push_pipeline)

/* db:pipelines() -> {{name, versions, runs, last_run?}, ...} by name */
static int db_pipelines(lua_State *L)
{
  zm_meta_pipeline_infos *l = NULL;
  int rc = zm_meta_pipeline_list(&l, zm_bind_meta_check(L));
  if (rc < 0)
    return zm_bind_raise(L, rc);
  return zm_bind_push_owned(L, l, free_pipelines, push_pipelines);
}

/* db:pipeline_exists(name) -> boolean */
static int db_pipeline_exists(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  int found = 0;
  int rc = zm_meta_pipeline_exists(&found, m, luaL_checkstring(L, 2));
  if (rc < 0)
    return zm_bind_raise(L, rc);
  lua_pushboolean(L, found);
  return 1;
}

static void push_artifact(lua_State *L, const void *item)
{
  const zm_meta_artifact *a = item;
  lua_createtable(L, 0, 4);
  zm_bind_set_str(L, "id", a->id);
  zm_bind_set_str(L, "type", a->type);
  zm_bind_set_int(L, "size", a->size);
  zm_bind_set_num(L, "created", a->created);
}

ZM_BIND_LIST_PUSHER(push_artifacts, zm_meta_artifacts, push_artifact)

static void free_artifact(void *p)
{
  zm_meta_artifact_clear(p);
  free(p);
}

/* db:artifact(id) -> {id, type, size, created} | nil */
static int db_artifact(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *id = luaL_checkstring(L, 2);
  zm_meta_artifact *a = calloc(1, sizeof *a);
  if (!a)
    return zm_bind_raise(L, zm_error_set(ZM_ENOMEM, "out of memory"));
  int rc = zm_meta_artifact_get(a, m, id);
  if (rc < 0) {
    free(a);
    if (rc == ZM_ENOTFOUND) {
      lua_pushnil(L);
      return 1;
    }
    return zm_bind_raise(L, rc);
  }
  return zm_bind_push_owned(L, a, free_artifact, push_artifact);
}

/* db:artifacts_with_prefix(prefix, limit?) -> {{id, type, size, created}, ...} */
static int db_artifacts_with_prefix(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *prefix = luaL_checkstring(L, 2);
  int limit = (int)luaL_optinteger(L, 3, 0);
  zm_meta_artifacts *l = NULL;
  int rc = zm_meta_artifacts_with_prefix(&l, m, prefix, limit);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  return zm_bind_push_owned(L, l, free_artifacts, push_artifacts);
}

static void push_event(lua_State *L, const void *item)
{
  const zm_meta_artifact_event *e = item;
  lua_createtable(L, 0, 6);
  zm_bind_set_int(L, "execution", e->execution);
  zm_bind_set_str(L, "run", e->run_id);
  zm_bind_set_str(L, "step", e->step);
  zm_bind_set_str(L, "kind", e->kind == ZM_META_OUTPUT ? "output" : "input");
  zm_bind_set_str(L, "name", e->name);
  zm_bind_set_str(L, "status", zm_meta_status_name(e->status));
}

ZM_BIND_LIST_PUSHER(push_events, zm_meta_artifact_events, push_event)

/* db:artifact_events(id) -> {{execution, run, step, kind, name, status}, ...} */
static int db_artifact_events(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  zm_meta_artifact_events *l = NULL;
  int rc = zm_meta_artifact_lineage(&l, m, luaL_checkstring(L, 2));
  if (rc < 0)
    return zm_bind_raise(L, rc);
  return zm_bind_push_owned(L, l, free_events, push_events);
}

void zm__bind_meta_catalog_methods(lua_State *L)
{
  static const luaL_Reg methods[] = {
      {"pipelines", db_pipelines},
      {"pipeline_exists", db_pipeline_exists},
      {"artifact", db_artifact},
      {"artifacts_with_prefix", db_artifacts_with_prefix},
      {"artifact_events", db_artifact_events},
      {NULL, NULL},
  };
  luaL_setfuncs(L, methods, 0);
}
