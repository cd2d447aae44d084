/* The model registry (src/meta/meta_registry.c): models, their versions,
 * tags, aliases and the alias history. Lookups of a model or version that
 * does not exist return nil, message, "notfound"; a deprecated target or an
 * alias that already points there return nil, message, "invalid"/"exists". */
#include "bind/bind.h"
#include "bind/bind_meta.h"
#include "core/error.h"

#include <lauxlib.h>

ZM_BIND_FREE_FN(free_version, zm_meta_model_version_free, zm_meta_model_version)
ZM_BIND_FREE_FN(free_versions, zm_meta_model_versions_free, zm_meta_model_versions)
ZM_BIND_FREE_FN(free_infos, zm_meta_model_infos_free, zm_meta_model_infos)
ZM_BIND_FREE_FN(free_labels, zm_meta_model_labels_free, zm_meta_model_labels)
ZM_BIND_FREE_FN(free_moves, zm_meta_alias_moves_free, zm_meta_alias_moves)

static void push_version(lua_State *L, const void *item)
{
  const zm_meta_model_version *v = item;
  lua_createtable(L, 0, 13);
  zm_bind_set_str(L, "model", v->model);
  zm_bind_set_int(L, "version", v->version);
  zm_bind_set_str(L, "run", v->run_id);
  zm_bind_set_str(L, "step", v->step);
  zm_bind_set_str(L, "model_artifact", v->model_artifact);
  zm_bind_set_str(L, "transform_artifact", v->transform_artifact);
  zm_bind_set_str(L, "schema_artifact", v->schema_artifact);
  zm_bind_set_str(L, "yaml_path", v->yaml_path);
  zm_bind_set_str(L, "datasource_version", v->datasource_version);
  zm_bind_set_str(L, "message", v->message);
  zm_bind_set_num(L, "created", v->created);
  zm_bind_set_str(L, "created_by", v->created_by);
  zm_bind_set_bool(L, "deprecated", v->deprecated);
}

ZM_BIND_LIST_PUSHER(push_versions, zm_meta_model_versions, push_version)

static void push_info(lua_State *L, const void *item)
{
  const zm_meta_model_info *p = item;
  lua_createtable(L, 0, 5);
  zm_bind_set_str(L, "name", p->name);
  zm_bind_set_int(L, "versions", p->versions);
  zm_bind_set_int(L, "latest", p->latest);
  zm_bind_set_num(L, "created", p->created);
  zm_bind_set_num(L, "updated", p->updated);
}

ZM_BIND_LIST_PUSHER(push_infos, zm_meta_model_infos, push_info)

/* A tag as {version, key, value}; an alias as {version, alias}. */
static void push_label(lua_State *L, const void *item)
{
  const zm_meta_model_label *p = item;
  lua_createtable(L, 0, 3);
  zm_bind_set_int(L, "version", p->version);
  zm_bind_set_str(L, p->value ? "key" : "alias", p->key);
  zm_bind_set_str(L, "value", p->value);
}

ZM_BIND_LIST_PUSHER(push_labels, zm_meta_model_labels, push_label)

static void push_move(lua_State *L, const void *item)
{
  const zm_meta_alias_move *a = item;
  lua_createtable(L, 0, 9);
  zm_bind_set_int(L, "id", a->id);
  zm_bind_set_str(L, "model", a->model);
  zm_bind_set_str(L, "alias", a->alias);
  if (a->from)
    zm_bind_set_int(L, "from", a->from);
  zm_bind_set_int(L, "to", a->to);
  zm_bind_set_str(L, "reason", a->reason);
  zm_bind_set_str(L, "who", a->created_by);
  zm_bind_set_num(L, "created", a->created);
  zm_bind_set_str(L, "hook", a->hook);
}

ZM_BIND_LIST_PUSHER(push_moves, zm_meta_alias_moves, push_move)

/* Expected failures come back as nil, message, code; others raise. */
static int fail_expected(lua_State *L, int rc)
{
  if (rc == ZM_ENOTFOUND || rc == ZM_EINVALID || rc == ZM_EEXISTS)
    return zm_bind_fail(L, rc);
  return zm_bind_raise(L, rc);
}

/* db:model_register{model, run, step, model_artifact, transform_artifact?,
 * schema_artifact?, yaml_path?, datasource_version?, message?, created_by?}
 * -> version number */
static int db_model_register(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  luaL_checktype(L, 2, LUA_TTABLE);
  zm_meta_model_version v = {
      .model = (char *)zm__bind_meta_str_field(L, 2, "model"),
      .run_id = (char *)zm__bind_meta_str_field(L, 2, "run"),
      .step = (char *)zm__bind_meta_str_field(L, 2, "step"),
      .model_artifact = (char *)zm__bind_meta_str_field(L, 2, "model_artifact"),
      .transform_artifact = (char *)zm__bind_meta_str_field(L, 2, "transform_artifact"),
      .schema_artifact = (char *)zm__bind_meta_str_field(L, 2, "schema_artifact"),
      .yaml_path = (char *)zm__bind_meta_str_field(L, 2, "yaml_path"),
      .datasource_version = (char *)zm__bind_meta_str_field(L, 2, "datasource_version"),
      .message = (char *)zm__bind_meta_str_field(L, 2, "message"),
      .created_by = (char *)zm__bind_meta_str_field(L, 2, "created_by"),
  };
  if (!v.model || !v.run_id || !v.step || !v.model_artifact)
    return luaL_argerror(L, 2, "expected a table with 'model', 'run', 'step' and 'model_artifact'");
  int64_t version = 0;
  int rc = zm_meta_model_register(&version, m, &v);
  if (rc < 0)
    return zm_bind_raise(L, rc);
  lua_pushinteger(L, version);
  return 1;
}

/* db:models() -> {{name, versions, latest, created, updated}, ...} by name */
static int db_models(lua_State *L)
{
  zm_meta_model_infos *l = NULL;
  int rc = zm_meta_model_list(&l, zm_bind_meta_check(L));
  if (rc < 0)
    return zm_bind_raise(L, rc);
  return zm_bind_push_owned(L, l, free_infos, push_infos);
}

/* db:model_versions(name) -> {version, ...} oldest first | nil, msg, "notfound" */
static int db_model_versions(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  zm_meta_model_versions *l = NULL;
  int rc = zm_meta_model_version_list(&l, m, luaL_checkstring(L, 2));
  if (rc < 0)
    return fail_expected(L, rc);
  return zm_bind_push_owned(L, l, free_versions, push_versions);
}

/* db:model_versions_of_run(run) -> {version, ...} */
static int db_model_versions_of_run(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  zm_meta_model_versions *l = NULL;
  int rc = zm_meta_model_versions_of_run(&l, m, luaL_checkstring(L, 2));
  if (rc < 0)
    return zm_bind_raise(L, rc);
  return zm_bind_push_owned(L, l, free_versions, push_versions);
}

/* db:model_version(name, n) -> version | nil, msg, "notfound" */
static int db_model_version(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *name = luaL_checkstring(L, 2);
  lua_Integer n = luaL_checkinteger(L, 3);
  zm_meta_model_version *v = NULL;
  int rc = zm_meta_model_version_get(&v, m, name, n);
  if (rc < 0)
    return fail_expected(L, rc);
  return zm_bind_push_owned(L, v, free_version, push_version);
}

/* db:model_tag_set(name, n, key, value) -> true | nil, msg, code */
static int db_model_tag_set(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  int rc = zm_meta_model_tag_set(m, luaL_checkstring(L, 2), luaL_checkinteger(L, 3),
                                 luaL_checkstring(L, 4), luaL_checkstring(L, 5));
  if (rc < 0)
    return fail_expected(L, rc);
  lua_pushboolean(L, 1);
  return 1;
}

/* db:model_deprecate(name, n) -> true | nil, msg, code */
static int db_model_deprecate(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  int rc = zm_meta_model_deprecate(m, luaL_checkstring(L, 2), luaL_checkinteger(L, 3));
  if (rc < 0)
    return fail_expected(L, rc);
  lua_pushboolean(L, 1);
  return 1;
}

/* db:model_alias_set{model, alias, to, reason?, who?, hook?} -> from (0: new)
 * | nil, msg, code */
static int db_model_alias_set(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  luaL_checktype(L, 2, LUA_TTABLE);
  zm_meta_alias_move mv = {
      .model = (char *)zm__bind_meta_str_field(L, 2, "model"),
      .alias = (char *)zm__bind_meta_str_field(L, 2, "alias"),
      .to = zm__bind_meta_int_field(L, 2, "to", 0),
      .reason = (char *)zm__bind_meta_str_field(L, 2, "reason"),
      .created_by = (char *)zm__bind_meta_str_field(L, 2, "who"),
      .hook = (char *)zm__bind_meta_str_field(L, 2, "hook"),
  };
  if (!mv.model || !mv.alias || mv.to <= 0)
    return luaL_argerror(L, 2, "expected a table with 'model', 'alias' and 'to' (a version)");
  int64_t from = 0;
  int rc = zm_meta_model_alias_set(&from, m, &mv);
  if (rc < 0)
    return fail_expected(L, rc);
  lua_pushinteger(L, from);
  return 1;
}

static int labels(lua_State *L, int (*fn)(zm_meta_model_labels **, zm_meta *, const char *))
{
  zm_meta *m = zm_bind_meta_check(L);
  zm_meta_model_labels *l = NULL;
  int rc = fn(&l, m, luaL_checkstring(L, 2));
  if (rc < 0)
    return fail_expected(L, rc);
  return zm_bind_push_owned(L, l, free_labels, push_labels);
}

/* db:model_tags(name) -> {{version, key, value}, ...} | nil, msg, "notfound" */
static int db_model_tags(lua_State *L)
{
  return labels(L, zm_meta_model_tags);
}

/* db:model_aliases(name) -> {{version, alias}, ...} | nil, msg, "notfound" */
static int db_model_aliases(lua_State *L)
{
  return labels(L, zm_meta_model_aliases);
}

/* db:model_alias_history(name, alias?) -> {{id, model, alias, from?, to,
 * reason?, who?, created, hook?}, ...} | nil, msg, "notfound" */
static int db_model_alias_history(lua_State *L)
{
  zm_meta *m = zm_bind_meta_check(L);
  const char *name = luaL_checkstring(L, 2);
  const char *alias = luaL_optstring(L, 3, NULL);
  zm_meta_alias_moves *l = NULL;
  int rc = zm_meta_model_alias_history(&l, m, name, alias);
  if (rc < 0)
    return fail_expected(L, rc);
  return zm_bind_push_owned(L, l, free_moves, push_moves);
}

void zm__bind_meta_registry_methods(lua_State *L)
{
  static const luaL_Reg methods[] = {
      {"model_register", db_model_register},
      {"models", db_models},
      {"model_versions", db_model_versions},
      {"model_versions_of_run", db_model_versions_of_run},
      {"model_version", db_model_version},
      {"model_tag_set", db_model_tag_set},
      {"model_tags", db_model_tags},
      {"model_deprecate", db_model_deprecate},
      {"model_alias_set", db_model_alias_set},
      {"model_aliases", db_model_aliases},
      {"model_alias_history", db_model_alias_history},
      {NULL, NULL},
  };
  luaL_setfuncs(L, methods, 0);
}
