/* The metadata store: datasources and their versions, pipelines, runs, step
 * executions, artifacts and the lineage events between them, metrics,
 * typed properties and the file stat cache, over any SQL driver (meta/sql.h).
 * Every write runs in a transaction; zm_meta_begin/commit group several.
 * Times are unix seconds as doubles. */
#ifndef ZM_META_H
#define ZM_META_H

#include "meta/sql.h"

#include <stddef.h>
#include <stdint.h>

/* The schema version this build creates and reads. */
#define ZM_META_SCHEMA_VERSION 6

typedef struct zm_meta zm_meta;

/* States of runs (the first three) and step executions (all). */
typedef enum zm_meta_status {
  ZM_META_RUNNING,
  ZM_META_COMPLETED,
  ZM_META_FAILED,
  ZM_META_CACHED,
  ZM_META_SKIPPED,
  ZM_META_INVALID, /* an execution whose outputs were lost: never a cache hit */
  ZM_META_CANCELLED, /* a run stopped on request (zenml run cancel, Ctrl-C on a cluster run) */
} zm_meta_status;

/* The name stored in the database ("running", "completed", ...). */
const char *zm_meta_status_name(zm_meta_status s);

/* Parse a status name; ZM_EINVALID naming the allowed values otherwise. */
int zm_meta_status_parse(zm_meta_status *out, const char *name);

/* A growable list of strings; free with zm_meta_strings_free. */
typedef struct zm_meta_strings {
  char **items;
  size_t len;
} zm_meta_strings;

/* Free a string list. Accepts NULL. */
void zm_meta_strings_free(zm_meta_strings *l);

/* --- the store ----------------------------------------------------------- */

/* Open the store at `url` (`sqlite:PATH`): ZM_SQL_CREATE makes it when missing,
 * ZM_SQL_WRITE needs it to exist, both migrate an older schema in place;
 * ZM_SQL_READ opens an existing, current store read-only and writes nothing. */
int zm_meta_open(zm_meta **out, const char *url, zm_sql_mode mode);

/* Close the store, rolling back an open transaction. Accepts NULL. */
void zm_meta_close(zm_meta *m);

/* The underlying connection, for read-only exploration. */
zm_sql_conn *zm_meta_conn(zm_meta *m);

/* 1 when the store was opened read-only (asked for, or not writable by us). */
int zm_meta_read_only(const zm_meta *m);

/* Start a write transaction; nests (only the outermost one is real). */
int zm_meta_begin(zm_meta *m);

/* Commit the transaction started by the matching zm_meta_begin. */
int zm_meta_commit(zm_meta *m);

/* Roll back the whole transaction, whatever the nesting depth. */
int zm_meta_rollback(zm_meta *m);

/* 1 when the transaction zm_meta_begin opened was rolled back under the
 * caller by a deadlock or a lost connection (a call in it failed saying so):
 * running it again from its begin may succeed. */
int zm_meta_tx_lost(const zm_meta *m);

/* --- datasources --------------------------------------------------------- */

typedef struct zm_meta_datasource {
  int64_t id;
  char *name, *type, *config;
  double created;
} zm_meta_datasource;

typedef struct zm_meta_dsversion {
  char *id; /* derived from the content */
  char *datasource;
  char *artifact;
  int64_t rows, columns, bytes;
  double created;
} zm_meta_dsversion;

typedef struct zm_meta_dsversions {
  zm_meta_dsversion *items;
  size_t len;
} zm_meta_dsversions;

/* Register a datasource by name, or update the type and config of the one
 * that has that name; *out_id (may be NULL) gets its id. */
int zm_meta_datasource_register(int64_t *out_id, zm_meta *m, const char *name,
                                const char *type, const char *config);

/* The datasource called `name`; ZM_ENOTFOUND if none. */
int zm_meta_datasource_get(zm_meta_datasource **out, zm_meta *m, const char *name);

/* Free a datasource. Accepts NULL. */
void zm_meta_datasource_free(zm_meta_datasource *d);

/* All datasources by name. */
int zm_meta_datasource_list(zm_meta_strings **out, zm_meta *m);

/* Add a version of a datasource; the same version id twice is a no-op. */
int zm_meta_dsversion_add(zm_meta *m, const char *datasource, const zm_meta_dsversion *v);

/* The newest version of a datasource; ZM_ENOTFOUND if it has none. */
int zm_meta_dsversion_latest(zm_meta_dsversion **out, zm_meta *m, const char *datasource);

/* Every version of a datasource, newest first. */
int zm_meta_dsversion_list(zm_meta_dsversions **out, zm_meta *m, const char *datasource);

/* Free a version. Accepts NULL. */
void zm_meta_dsversion_free(zm_meta_dsversion *v);

/* Free a version list. Accepts NULL. */
void zm_meta_dsversions_free(zm_meta_dsversions *l);

/* --- pipelines and runs -------------------------------------------------- */

/* The version number of pipeline `name` with DAG hash `dag_hash`, making a
 * new version (previous highest + 1) the first time that DAG is seen. */
int zm_meta_pipeline_version(int64_t *out, zm_meta *m, const char *name, const char *dag_hash);

typedef struct zm_meta_run {
  char *id;
  char *pipeline;
  int64_t pipeline_version;
  char *yaml_path, *yaml_hash;
  char *git_commit, *git_branch;
  int git_dirty;
  zm_meta_status status;
  double started, ended; /* ended is 0 while running */
  char *backend, *host;
  int64_t pid;
} zm_meta_run;

typedef struct zm_meta_runs {
  zm_meta_run *items;
  size_t len;
} zm_meta_runs;

/* Which runs zm_meta_run_list returns; NULL / 0 fields do not filter. */
typedef struct zm_meta_run_filter {
  const char *pipeline;
  int status; /* a zm_meta_status, or -1 for any */
  int limit;
} zm_meta_run_filter;

/* Record a run as running. The caller fills id, pipeline, pipeline_version
 * (which must exist) and what it knows; started, host and pid default to
 * now, this host and this process. */
int zm_meta_run_begin(zm_meta *m, const zm_meta_run *run);

/* Set a run's final status and end time. */
int zm_meta_run_finish(zm_meta *m, const char *run_id, zm_meta_status status);

/* Hand a running run over to a cluster: it belongs to no process any more
 * (its jobs go on when the process that submitted them ends), so crash
 * recovery leaves it alone; `zenml run wait` or `run cancel` finishes it. */
int zm_meta_run_detach(zm_meta *m, const char *run_id);

/* One run; ZM_ENOTFOUND if there is none with that id. */
int zm_meta_run_get(zm_meta_run **out, zm_meta *m, const char *run_id);

/* Runs matching `f` (may be NULL), newest first. */
int zm_meta_run_list(zm_meta_runs **out, zm_meta *m, const zm_meta_run_filter *f);

/* Free a run. Accepts NULL. */
void zm_meta_run_free(zm_meta_run *r);

/* Free a run list. Accepts NULL. */
void zm_meta_runs_free(zm_meta_runs *l);

/* Mark as failed every run still `running` on this host whose process is
 * gone, and its running executions; *out_count (may be NULL) gets how many. */
int zm_meta_recover(int *out_count, zm_meta *m);

/* --- executions and the cache -------------------------------------------- */

typedef struct zm_meta_execution {
  int64_t id;
  char *run_id, *step, *class_name, *source, *cache_key;
  zm_meta_status status;
  int64_t cached_from; /* 0 when not cached */
  double started, ended;
  char *error, *log_artifact;
} zm_meta_execution;

typedef struct zm_meta_executions {
  zm_meta_execution *items;
  size_t len;
} zm_meta_executions;

/* Record that a step started; source and cache_key may be NULL. */
int zm_meta_execution_begin(int64_t *out_id, zm_meta *m, const char *run_id, const char *step,
                            const char *class_name, const char *source, const char *cache_key);

/* Set an execution's final status; error and log_artifact may be NULL. */
int zm_meta_execution_finish(zm_meta *m, int64_t id, zm_meta_status status, const char *error,
                             const char *log_artifact);

/* A step that reuses an earlier execution's results instead of running. */
typedef struct zm_meta_reuse {
  const char *run_id, *step, *class_name;
  const char *source, *cache_key; /* may be NULL */
  int64_t from;                   /* the execution whose outputs are reused */
} zm_meta_reuse;

/* Record a step as cached in one go: an execution with status cached
 * pointing at `from`, with `from`'s metrics copied. It has no events of its
 * own: the same cache key means the same inputs, and it reuses the outputs,
 * so lineage reads `from`'s events (zm_meta_outputs does). */
int zm_meta_execution_reuse(int64_t *out_id, zm_meta *m, const zm_meta_reuse *r);

/* One execution; ZM_ENOTFOUND if none. */
int zm_meta_execution_get(zm_meta_execution **out, zm_meta *m, int64_t id);

/* The executions of a run in the order they began. */
int zm_meta_execution_list(zm_meta_executions **out, zm_meta *m, const char *run_id);

/* Free an execution. Accepts NULL. */
void zm_meta_execution_free(zm_meta_execution *e);

/* Free an execution list. Accepts NULL. */
void zm_meta_executions_free(zm_meta_executions *l);

/* Answers whether an artifact is still in the store: 1 yes, 0 no, <0 error. */
typedef int (*zm_meta_exists_fn)(void *ctx, const char *artifact_id);

typedef struct zm_meta_output {
  char *name, *artifact;
} zm_meta_output;

typedef struct zm_meta_cache_hit {
  int64_t execution;
  zm_meta_output *outputs;
  size_t len;
} zm_meta_cache_hit;

/* The latest completed execution of `class_name` with `cache_key` whose
 * output artifacts all pass `exists` (NULL: trust the store); ZM_ENOTFOUND
 * when there is none. */
int zm_meta_cache_lookup(zm_meta_cache_hit **out, zm_meta *m, const char *class_name,
                         const char *cache_key, zm_meta_exists_fn exists, void *ctx);

/* Free a cache hit. Accepts NULL. */
void zm_meta_cache_hit_free(zm_meta_cache_hit *h);

/* --- artifacts, lineage, metrics, properties ----------------------------- */

typedef enum zm_meta_event_kind { ZM_META_INPUT, ZM_META_OUTPUT } zm_meta_event_kind;

/* Record an artifact; one that is already recorded is left as it is. */
int zm_meta_artifact_record(zm_meta *m, const char *id, const char *type, int64_t size);

/* Link an execution to an artifact it read or wrote, under a slot name. */
int zm_meta_event_add(zm_meta *m, int64_t execution, const char *artifact,
                      zm_meta_event_kind kind, const char *name);

/* The outputs (name -> artifact) of an execution; a cached one's are
 * those of the execution it reused. */
int zm_meta_outputs(zm_meta_cache_hit **out, zm_meta *m, int64_t execution);

/* The id of the latest execution before execution `before` of step `step`
 * and class `class_name` that completed or was a cache hit, preferring runs
 * of pipeline `pipeline` (any version) to runs of others; ZM_ENOTFOUND if
 * there is none. */
int zm_meta_execution_previous(int64_t *out, zm_meta *m, const char *pipeline, const char *step,
                               const char *class_name, int64_t before);

/* An output of a step, by the step's name in its run and the output's name. */
typedef struct zm_meta_step_output {
  const char *step, *output;
} zm_meta_step_output;

/* The id (*out, the caller frees it) of the latest completed run, by start
 * time, that produced every one of `want` (n >= 1) through an execution that
 * ran or a cache hit; `pipeline` and `run_id` (each may be NULL) narrow the
 * search to runs of that pipeline or to that run. ZM_ENOTFOUND if none. */
int zm_meta_run_latest_with(char **out, zm_meta *m, const zm_meta_step_output *want, size_t n,
                            const char *pipeline, const char *run_id);

/* Every artifact id the metadata still needs, sorted, each once: inputs and
 * outputs of running, completed and cached executions (what a failed one
 * read was made by a completed one or is a snapshot), logs of every
 * execution that is not invalid, datasource snapshots, the model, transform
 * and schema of every registered model version, and recorded artifacts no
 * event names. */
int zm_meta_artifact_refs(zm_meta_strings **out, zm_meta *m);

/* An artifact was lost from the store (zenml verify --repair): mark every
 * completed or cached execution that produced it, or reused one that did,
 * invalid with `why` as its error, and forget it as a log. Sets *out_n to
 * the number of executions changed. */
int zm_meta_artifact_lost(int64_t *out_n, zm_meta *m, const char *artifact, const char *why);

typedef struct zm_meta_metric {
  char *run_id;
  int64_t execution; /* 0 for a run-level metric */
  char *name;
  double value;
} zm_meta_metric;

typedef struct zm_meta_metrics {
  zm_meta_metric *items;
  size_t len;
} zm_meta_metrics;

/* Set a metric of a run (execution 0) or of one of its executions. */
int zm_meta_metric_set(zm_meta *m, const char *run_id, int64_t execution, const char *name,
                       double value);

/* The metrics of a run, all its executions' included, by name. */
int zm_meta_metric_list(zm_meta_metrics **out, zm_meta *m, const char *run_id);

/* Free a metric list. Accepts NULL. */
void zm_meta_metrics_free(zm_meta_metrics *l);

typedef enum zm_meta_value_type { ZM_META_INT, ZM_META_DOUBLE, ZM_META_TEXT } zm_meta_value_type;

typedef struct zm_meta_value {
  zm_meta_value_type type;
  int64_t i;
  double d;
  char *s; /* owned when it comes out of zm_meta_property_get */
} zm_meta_value;

/* Set a typed property on any entity ("run", "execution", "artifact", ...). */
int zm_meta_property_set(zm_meta *m, const char *kind, const char *entity, const char *name,
                         const zm_meta_value *v);

/* Read a property; ZM_ENOTFOUND if unset. Release with zm_meta_value_clear. */
int zm_meta_property_get(zm_meta_value *out, zm_meta *m, const char *kind, const char *entity,
                         const char *name);

/* The property `name` of the first execution of run `run_id`, in the order
 * they began, that has one (a cached execution's are those of the execution
 * it reused), in one query; ZM_ENOTFOUND if none has it. Release with
 * zm_meta_value_clear. */
int zm_meta_run_step_property(zm_meta_value *out, zm_meta *m, const char *run_id,
                              const char *name);

/* Free the text of a value. */
void zm_meta_value_clear(zm_meta_value *v);

/* --- run summaries and a run's artifacts (listings, comparisons) -------- */

/* A metric condition's operator: > >= < <= = != */
typedef enum zm_meta_cmp { ZM_META_GT, ZM_META_GE, ZM_META_LT, ZM_META_LE, ZM_META_EQ, ZM_META_NE } zm_meta_cmp;

/* Parse ">", ">=", "<", "<=", "=" (or "==") and "!="; ZM_EINVALID otherwise. */
int zm_meta_cmp_parse(zm_meta_cmp *out, const char *op);

/* "the run's metric `name` compares with `value` by `op`"; a run without
 * that metric never matches. */
typedef struct zm_meta_metric_cond {
  const char *name;
  zm_meta_cmp op;
  double value;
} zm_meta_metric_cond;

/* Which runs zm_meta_run_summaries returns, with which metrics, in which
 * order. NULL / 0 fields do not filter. */
typedef struct zm_meta_summary_query {
  const char *pipeline;
  int status;          /* a zm_meta_status, or -1 for any */
  double since, until; /* started >= since, started < until (unix seconds; 0: open) */
  const char *const *metrics; /* metric values wanted for each run */
  size_t n_metrics;
  const zm_meta_metric_cond *where; /* every one must hold */
  size_t n_where;
  /* the order: a column (id, pipeline, version, status, started, ended,
   * seconds, steps, cached, git, backend) or, with sort_metric, a metric
   * name; NULL: started, newest first. Runs without a value come last. */
  const char *sort;
  int sort_metric, descending;
  int limit;
} zm_meta_summary_query;

/* A run with its step counts and the metrics asked for. */
typedef struct zm_meta_summary {
  zm_meta_run run;
  int64_t steps, cached;
  double *values;     /* n_metrics of them, in the query's order */
  unsigned char *has; /* 1 where the run has that metric */
} zm_meta_summary;

typedef struct zm_meta_summaries {
  zm_meta_summary *items;
  size_t len, n_metrics;
} zm_meta_summaries;

/* Runs matching `q`, filtered, sorted and limited by the database (newest
 * first by default); ZM_EINVALID for an unknown sort column. */
int zm_meta_run_summaries(zm_meta_summaries **out, zm_meta *m, const zm_meta_summary_query *q);

/* Ids of up to `limit` runs (0: all) whose id begins with `prefix`, newest first. */
int zm_meta_run_ids_with_prefix(zm_meta_strings **out, zm_meta *m, const char *prefix, int limit);

/* Free a summary list. Accepts NULL. */
void zm_meta_summaries_free(zm_meta_summaries *l);

/* An artifact a step of a run read or wrote (a cached step's are those of
 * the execution it reused). */
typedef struct zm_meta_step_artifact {
  char *step;
  int64_t execution; /* the run's execution of that step */
  zm_meta_event_kind kind;
  char *name, *artifact, *type;
  int64_t size;
} zm_meta_step_artifact;

typedef struct zm_meta_step_artifacts {
  zm_meta_step_artifact *items;
  size_t len;
} zm_meta_step_artifacts;

/* The artifacts of every step of a run, in step order, inputs before
 * outputs, by slot name. */
int zm_meta_run_artifacts(zm_meta_step_artifacts **out, zm_meta *m, const char *run_id);

/* Free an artifact list. Accepts NULL. */
void zm_meta_step_artifacts_free(zm_meta_step_artifacts *l);

/* --- the catalogue: pipelines, recorded artifacts, lineage -------------- */

/* A pipeline by name, over all its versions. */
typedef struct zm_meta_pipeline_info {
  char *name;
  int64_t versions, runs; /* the highest version; runs of every version */
  double last_run;        /* start of the newest run (unix seconds) */
  int has_last_run;       /* 0 when it never ran */
} zm_meta_pipeline_info;

typedef struct zm_meta_pipeline_infos {
  zm_meta_pipeline_info *items;
  size_t len;
} zm_meta_pipeline_infos;

/* Every pipeline, by name. */
int zm_meta_pipeline_list(zm_meta_pipeline_infos **out, zm_meta *m);

/* Free a pipeline list. Accepts NULL. */
void zm_meta_pipeline_infos_free(zm_meta_pipeline_infos *l);

/* *out = 1 when some version of pipeline `name` is recorded, else 0. */
int zm_meta_pipeline_exists(int *out, zm_meta *m, const char *name);

/* A recorded artifact. */
typedef struct zm_meta_artifact {
  char *id, *type;
  int64_t size;
  double created; /* unix seconds */
} zm_meta_artifact;

typedef struct zm_meta_artifacts {
  zm_meta_artifact *items;
  size_t len;
} zm_meta_artifacts;

/* A recorded artifact by its full id; ZM_ENOTFOUND if it is not recorded.
 * Release with zm_meta_artifact_clear. */
int zm_meta_artifact_get(zm_meta_artifact *out, zm_meta *m, const char *id);

/* Up to `limit` (0: all) recorded artifacts whose id begins with `prefix`, in
 * id order. */
int zm_meta_artifacts_with_prefix(zm_meta_artifacts **out, zm_meta *m, const char *prefix,
                                  int limit);

/* Free the strings of an artifact. Accepts NULL. */
void zm_meta_artifact_clear(zm_meta_artifact *a);

/* Free an artifact list. Accepts NULL. */
void zm_meta_artifacts_free(zm_meta_artifacts *l);

/* An execution that wrote or read an artifact, or a cache hit of one that did. */
typedef struct zm_meta_artifact_event {
  int64_t execution;
  char *run_id, *step;
  zm_meta_event_kind kind;
  char *name; /* the input or output slot */
  zm_meta_status status;
} zm_meta_artifact_event;

typedef struct zm_meta_artifact_events {
  zm_meta_artifact_event *items;
  size_t len;
} zm_meta_artifact_events;

/* The lineage of an artifact: by execution, inputs before outputs, by slot. */
int zm_meta_artifact_lineage(zm_meta_artifact_events **out, zm_meta *m, const char *artifact);

/* Free a lineage list. Accepts NULL. */
void zm_meta_artifact_events_free(zm_meta_artifact_events *l);

/* --- the model registry (meta_registry.c) ------------------------------- */

/* A registered version of a model: immutable once registered, but for its
 * tags and the deprecated flag. */
typedef struct zm_meta_model_version {
  char *model; /* the model's name */
  int64_t version;
  char *run_id, *step;
  char *model_artifact, *transform_artifact, *schema_artifact; /* the last two may be NULL */
  char *yaml_path, *datasource_version, *message, *created_by; /* may be NULL */
  double created;
  int deprecated;
} zm_meta_model_version;

typedef struct zm_meta_model_versions {
  zm_meta_model_version *items;
  size_t len;
} zm_meta_model_versions;

/* A model by name: how many versions, the newest, and when. */
typedef struct zm_meta_model_info {
  char *name;
  int64_t versions, latest;
  double created, updated; /* the first and the newest registration */
} zm_meta_model_info;

typedef struct zm_meta_model_infos {
  zm_meta_model_info *items;
  size_t len;
} zm_meta_model_infos;

/* A tag (key=value) of a version, or an alias and the version it names
 * (key = the alias, value unused). */
typedef struct zm_meta_model_label {
  int64_t version;
  char *key, *value;
} zm_meta_model_label;

typedef struct zm_meta_model_labels {
  zm_meta_model_label *items;
  size_t len;
} zm_meta_model_labels;

/* A move of an alias: to `to` from `from` (0: the alias is new). */
typedef struct zm_meta_alias_move {
  int64_t id;
  char *model, *alias;
  int64_t from, to;
  char *reason, *created_by, *hook; /* may be NULL */
  double created;
} zm_meta_alias_move;

typedef struct zm_meta_alias_moves {
  zm_meta_alias_move *items;
  size_t len;
} zm_meta_alias_moves;

/* Register a new version of model `v->model` (made on first use), numbered
 * one above its highest; v's version, created (0: now) and deprecated are
 * ignored. *out_version gets the number. */
int zm_meta_model_register(int64_t *out_version, zm_meta *m, const zm_meta_model_version *v);

/* Every model, by name. */
int zm_meta_model_list(zm_meta_model_infos **out, zm_meta *m);

/* The versions of model `name`, oldest first; ZM_ENOTFOUND if no such model. */
int zm_meta_model_version_list(zm_meta_model_versions **out, zm_meta *m, const char *name);

/* One version; ZM_ENOTFOUND naming what is missing (the model or the version). */
int zm_meta_model_version_get(zm_meta_model_version **out, zm_meta *m, const char *name,
                              int64_t version);

/* The versions registered from run `run_id`, by model and version. */
int zm_meta_model_versions_of_run(zm_meta_model_versions **out, zm_meta *m, const char *run_id);

/* Set (or replace) tag `key` of a version. */
int zm_meta_model_tag_set(zm_meta *m, const char *name, int64_t version, const char *key,
                          const char *value);

/* Every tag of every version of a model, by version and key. */
int zm_meta_model_tags(zm_meta_model_labels **out, zm_meta *m, const char *name);

/* Mark a version deprecated: no alias may move to it any more. */
int zm_meta_model_deprecate(zm_meta *m, const char *name, int64_t version);

/* Point alias `mv->alias` of model `mv->model` at version `mv->to` and append
 * the move to the alias history, in one transaction; mv's id, from and
 * created are ignored. ZM_ENOTFOUND for an unknown model or version,
 * ZM_EINVALID for a deprecated version, ZM_EEXISTS when the alias already
 * names that version. *out_from (may be NULL) gets the version it named
 * before, 0 if none. */
int zm_meta_model_alias_set(int64_t *out_from, zm_meta *m, const zm_meta_alias_move *mv);

/* The aliases of a model (key: the alias), by alias. */
int zm_meta_model_aliases(zm_meta_model_labels **out, zm_meta *m, const char *name);

/* The alias moves of a model, oldest first; only those of `alias` unless NULL. */
int zm_meta_model_alias_history(zm_meta_alias_moves **out, zm_meta *m, const char *name,
                                const char *alias);

/* Free a version, a version list, a model list, a label list, a move list.
 * Each accepts NULL. */
void zm_meta_model_version_free(zm_meta_model_version *v);
void zm_meta_model_versions_free(zm_meta_model_versions *l);
void zm_meta_model_infos_free(zm_meta_model_infos *l);
void zm_meta_model_labels_free(zm_meta_model_labels *l);
void zm_meta_alias_moves_free(zm_meta_alias_moves *l);

/* --- the stat cache ------------------------------------------------------ */

/* The remembered SHA-256 of a file with this identity; ZM_ENOTFOUND if the
 * cache has none or the file changed (size or mtime differ). */
int zm_meta_stat_get(char out[65], zm_meta *m, int64_t dev, int64_t ino, int64_t size,
                     int64_t mtime_ns);

/* Remember the SHA-256 of a file with this identity. */
int zm_meta_stat_put(zm_meta *m, int64_t dev, int64_t ino, int64_t size, int64_t mtime_ns,
                     const char *sha256);

/* Hex SHA-256 of a file, reusing the cached value when its (dev, inode, size,
 * mtime) are unchanged; a file modified in the last 2 seconds is not cached. */
int zm_meta_hash_file(char out[65], zm_meta *m, const char *path);

/* A file being hashed through the stat cache (zm_meta_hash_file in halves). */
typedef struct zm_meta_hash_job zm_meta_hash_job;

/* Start hashing `path`: a digest in the stat cache is ready at once;
 * otherwise, with `threaded`, a thread hashes the file meanwhile. */
int zm_meta_hash_begin(zm_meta_hash_job **out, zm_meta *m, const char *path, int threaded);

/* zm_meta_hash_begin without starting: a digest not in the stat cache is
 * hashed only by zm_meta_hash_start (or zm_meta_hash_end), so a caller can
 * give every core to something else first. */
int zm_meta_hash_probe(zm_meta_hash_job **out, zm_meta *m, const char *path);

/* Hash a probed job's file: on a thread with `threaded`, else now. Nothing
 * to do for a cached digest or a job already started. */
void zm_meta_hash_start(zm_meta_hash_job *j, int threaded);

/* 1 if the job's digest was not in the stat cache and is still to come
 * (its thread runs, or it was probed and not started). */
int zm_meta_hash_pending(const zm_meta_hash_job *j);

/* Wait for the digest and remember it in the stat cache. Does not free `j`. */
int zm_meta_hash_end(char out[65], zm_meta *m, zm_meta_hash_job *j);

/* Wait for a job's thread if it runs, and free it. Accepts NULL. */
void zm_meta_hash_job_free(zm_meta_hash_job *j);

/* --- the store as a whole (meta_copy.c) ---------------------------------- */

#define ZM_META_TABLES 16

/* What `zenml metadata info` shows: nothing to free. */
typedef struct zm_meta_info {
  const char *driver; /* "sqlite" or "mysql" */
  int version;        /* schema version */
  int64_t bytes;      /* size of the database (tables and indexes) */
  struct {
    const char *name;
    int64_t rows;
  } tables[ZM_META_TABLES]; /* every table, parents before children */
} zm_meta_info;

/* The driver, schema version, size and row counts of a store. */
int zm_meta_info_get(zm_meta_info *out, zm_meta *m);

/* Copy every row of every table of `src` into `dst` (another driver, or
 * the same), which must hold no rows: one transaction on each (so nobody
 * writes `src` meanwhile), then the row counts compared. On any error `dst`
 * keeps nothing. */
int zm_meta_copy(zm_meta *dst, zm_meta *src);

/* The driver's name ("sqlite", "mysql"). */
const char *zm_meta_driver(const zm_meta *m);

#endif
