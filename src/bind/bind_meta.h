/* Shared between the metadata store's binding files, one per part of
 * src/meta: bind_meta.c (the store, transactions, queries), bind_meta_run.c
 * (pipelines, runs, executions, the cache), bind_meta_datasource.c,
 * bind_meta_lineage.c (artifacts, events, lineage), bind_meta_metric.c
 * (metrics, properties), bind_meta_hash.c, bind_meta_summary.c (run
 * summaries, a run's artifacts), bind_meta_store.c (info, copy) and
 * bind_meta_registry.c (the model registry). */
#ifndef ZM_BIND_META_H
#define ZM_BIND_META_H

#include "meta/meta.h"

#include <lua.h>

/* The open metadata store at argument 1; raises if it is not one or closed. */
zm_meta *zm_bind_meta_check(lua_State *L);

/* nil + message + code for "not found", a Lua error for anything else. */
int zm__bind_meta_fail(lua_State *L, int rc);

/* A string field of the table at t, or NULL; raises for another type. The
 * string stays valid while the table holds it. */
const char *zm__bind_meta_str_field(lua_State *L, int t, const char *k);

/* An integer field of the table at t, `def` when nil; raises for another type. */
lua_Integer zm__bind_meta_int_field(lua_State *L, int t, const char *k, lua_Integer def);

/* A number field of the table at t, 0 when nil. */
double zm__bind_meta_num_field(lua_State *L, int t, const char *k);

/* The execution status named by argument `arg`; raises for an unknown one. */
zm_meta_status zm__bind_meta_check_status(lua_State *L, int arg);

/* A zm_meta_strings as an array of strings, and its free, for
 * zm_bind_push_owned. */
void zm__bind_meta_push_strings(lua_State *L, const void *p);
void zm__bind_meta_free_strings(void *p);

/* Push a zm_meta_run as a table (id, pipeline, status, started, ...). */
void zm__bind_meta_push_run(lua_State *L, const void *item);

/* Each adds its methods of the store to the table on the stack top. */
void zm__bind_meta_run_methods(lua_State *L);
void zm__bind_meta_datasource_methods(lua_State *L);
void zm__bind_meta_lineage_methods(lua_State *L);
void zm__bind_meta_metric_methods(lua_State *L);
void zm__bind_meta_hash_methods(lua_State *L);
void zm__bind_meta_summary_methods(lua_State *L);
void zm__bind_meta_store_methods(lua_State *L);
void zm__bind_meta_catalog_methods(lua_State *L);
void zm__bind_meta_registry_methods(lua_State *L);

#endif
