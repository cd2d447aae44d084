/* Artifacts and lineage events, metrics, typed properties and the file stat
 * cache that lets an unchanged file skip re-hashing. */
#include "core/error.h"
#include "hash/hash.h"
#include "meta/meta_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* --- artifacts and events ------------------------------------------------ */

int zm_meta_artifact_record(zm_meta *m, const char *id, const char *type, int64_t size)
{
  int rc = 0;
  ZM__META_TX(m, rc) {
    rc = zm_sql_run(m->c, m->sql[SQL_ARTIFACT_IGNORE], "ssid", id, type, size, zm__meta_now());
  }
  return rc;
}

int zm_meta_event_add(zm_meta *m, int64_t execution, const char *artifact,
                      zm_meta_event_kind kind, const char *name)
{
  int rc = 0;
  ZM__META_TX(m, rc) {
    rc = zm_sql_run(m->c, m->sql[SQL_EVENT_IGNORE], "isss", execution, artifact,
                    kind == ZM_META_INPUT ? "input" : "output", name);
    if (rc < 0)
      rc = zm_error_wrap(rc, "cannot link execution %lld to artifact %s", (long long)execution,
                         artifact);
  }
  return rc;
}

int zm_meta_outputs(zm_meta_cache_hit **out, zm_meta *m, int64_t execution)
{
  *out = NULL;
  zm_sql_stmt *s = NULL;
  int rc = zm_sql_prepare_bind(&s, m->c,
                               "SELECT name, artifact FROM events WHERE execution_id ="
                               " (SELECT coalesce(cached_from, id) FROM executions WHERE id = ?)"
                               " AND kind = 'output' ORDER BY name",
                               "i", execution);
  if (rc < 0)
    return rc;
  zm_meta_cache_hit *h = calloc(1, sizeof *h);
  size_t cap = 0;
  rc = h ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
  while (rc == 0 && (rc = s->drv->step(s)) == ZM_SQL_ROW) {
    rc = zm__meta_grow((void **)&h->outputs, &cap, h->len, sizeof *h->outputs);
    if (rc == 0) {
      zm_meta_output *o = &h->outputs[h->len++];
      o->name = zm__meta_col_dup(s, 0, &rc);
      o->artifact = zm__meta_col_dup(s, 1, &rc);
    }
  }
  s->drv->finalize(s);
  if (rc < 0) {
    zm_meta_cache_hit_free(h);
    return rc;
  }
  h->execution = execution;
  *out = h;
  return 0;
}

int zm_meta_artifact_refs(zm_meta_strings **out, zm_meta *m)
{
  zm_sql_stmt *s = NULL;
  *out = NULL;
  int rc = zm_sql_prepare_bind(&s, m->c,
                               "SELECT v.artifact FROM events v"
                               " JOIN executions x ON x.id = v.execution_id"
                               " WHERE x.status IN ('running', 'completed', 'cached')"
                               " UNION SELECT artifact FROM datasource_versions"
                               " UNION SELECT log_artifact FROM executions"
                               " WHERE log_artifact IS NOT NULL AND status <> 'invalid'"
                               " UNION SELECT model_artifact FROM model_versions"
                               " UNION SELECT transform_artifact FROM model_versions"
                               " WHERE transform_artifact IS NOT NULL"
                               " UNION SELECT schema_artifact FROM model_versions"
                               " WHERE schema_artifact IS NOT NULL"
                               " UNION SELECT a.id FROM artifacts a"
                               " WHERE NOT EXISTS (SELECT 1 FROM events v WHERE v.artifact = a.id)"
                               " ORDER BY 1",
                               "");
  return rc < 0 ? rc : zm__meta_collect_strings(out, s);
}

/* The executions that produced `artifact`, and those that reused them. */
#define PRODUCERS                                                                  \
  " WHERE status IN ('completed', 'cached') AND (id IN (%s) OR cached_from IN (%s))"
#define OUTPUT_OF "SELECT execution_id FROM events WHERE artifact = ? AND kind = 'output'"

int zm_meta_artifact_lost(int64_t *out_n, zm_meta *m, const char *artifact, const char *why)
{
  char count[512], update[512];
  snprintf(count, sizeof count, "SELECT count(*) FROM executions" PRODUCERS, OUTPUT_OF, OUTPUT_OF);
  snprintf(update, sizeof update, "UPDATE executions SET status = 'invalid', error = ?" PRODUCERS,
           OUTPUT_OF, OUTPUT_OF);
  *out_n = 0;
  int rc = 0;
  int64_t n = 0;
  ZM__META_TX(m, rc) {
    zm_sql_stmt *s = NULL;
    n = 0;
    rc = zm_sql_prepare_bind(&s, m->c, count, "ss", artifact, artifact);
    if (rc == 0) {
      rc = s->drv->step(s);
      n = rc == ZM_SQL_ROW ? s->drv->column_int64(s, 0) : 0;
      rc = rc < 0 ? rc : 0;
      s->drv->finalize(s);
    }
    if (rc == 0 && n > 0)
      rc = zm_sql_run(m->c, update, "sss", why, artifact, artifact);
    if (rc == 0)
      rc = zm_sql_run(m->c, "UPDATE executions SET log_artifact = NULL WHERE log_artifact = ?", "s",
                      artifact);
  }
  if (rc == 0)
    *out_n = n;
  return rc;
}

/* The latest execution before `before` of the step and class that
 * completed or was a cache hit, of pipeline `pipeline` (NULL: any); *out = 0
 * when there is none. The plan reads the step's executions newest first
 * on SQLite; MariaDB reads every newer execution of the step first (up to
 * 0.75 s at 100,000 runs): the walk below avoids it, and this is its
 * fallback. */
static int previous_in(int64_t *out, zm_meta *m, const char *pipeline, const char *step,
                       const char *class_name, int64_t before)
{
  zm_sql_stmt *s = NULL;
  int rc = pipeline
               ? zm_sql_prepare_bind(
                     &s, m->c,
                     "SELECT x.id FROM executions x JOIN runs r ON r.id = x.run_id"
                     " JOIN pipelines p ON p.id = r.pipeline_id"
                     " WHERE x.step = ? AND x.class = ? AND x.id < ?"
                     " AND x.status IN ('completed', 'cached') AND p.name = ?"
                     " ORDER BY x.id DESC LIMIT 1",
                     "ssis", step, class_name, before, pipeline)
               : zm_sql_prepare_bind(&s, m->c,
                                     "SELECT x.id FROM executions x"
                                     " WHERE x.step = ? AND x.class = ? AND x.id < ?"
                                     " AND x.status IN ('completed', 'cached')"
                                     " ORDER BY x.id DESC LIMIT 1",
                                     "ssi", step, class_name, before);
  if (rc < 0)
    return rc;
  rc = s->drv->step(s);
  if (rc == ZM_SQL_ROW)
    *out = s->drv->column_int64(s, 0);
  s->drv->finalize(s);
  return rc < 0 ? rc : 0;
}

/* One step back from `before`: the step's latest execution before it (*out,
 * 0 if none), whether it completed or was a cache hit (*ok) and whether its
 * run is of `pipeline` (*same). max(id) of executions_by_step is one index
 * lookup on both drivers. */
static int step_back(int64_t *out, int *ok, int *same, zm_meta *m, const char *pipeline,
                     const char *step, const char *class_name, int64_t before)
{
  zm_sql_stmt *s = NULL;
  *out = 0;
  int rc = zm_sql_prepare_bind(
      &s, m->c,
      "SELECT x.id, x.status IN ('completed', 'cached'), p.name FROM executions x"
      " JOIN runs r ON r.id = x.run_id JOIN pipelines p ON p.id = r.pipeline_id"
      " WHERE x.id = (SELECT max(y.id) FROM executions y"
      " WHERE y.step = ? AND y.class = ? AND y.id < ?)",
      "ssi", step, class_name, before);
  if (rc < 0)
    return rc;
  rc = s->drv->step(s);
  if (rc == ZM_SQL_ROW) {
    const char *name = s->drv->column_text(s, 2);
    *out = s->drv->column_int64(s, 0);
    *ok = s->drv->column_int64(s, 1) != 0;
    *same = pipeline && name && strcmp(name, pipeline) == 0;
  }
  s->drv->finalize(s);
  return rc < 0 ? rc : 0;
}

#define WALK 32 /* steps back before asking the database to search */

/* Runs of `pipeline` first, then any: a walk back through the step's
 * executions, newest first, for WALK of them; past that (a pipeline that
 * has not run the step for a while) the database searches what is left. */
int zm_meta_execution_previous(int64_t *out, zm_meta *m, const char *pipeline, const char *step,
                               const char *class_name, int64_t before)
{
  *out = 0;
  int64_t any = 0, at = before, id = 0;
  int rc = 0;
  for (int i = 0; rc == 0 && i < WALK; i++) {
    int ok = 0, same = 0;
    rc = step_back(&id, &ok, &same, m, pipeline, step, class_name, at);
    if (rc < 0 || id == 0)
      break;
    at = id;
    if (ok && (same || !pipeline)) {
      *out = id;
      return 0;
    }
    if (ok && !any)
      any = id;
  }
  if (rc == 0 && id != 0 && pipeline) /* walked WALK without the pipeline's */
    rc = previous_in(out, m, pipeline, step, class_name, at);
  if (rc == 0 && !*out && id != 0 && !any)
    rc = previous_in(&any, m, NULL, step, class_name, at);
  if (rc == 0 && !*out)
    *out = any;
  if (rc == 0 && !*out)
    rc = zm_error_set(ZM_ENOTFOUND, "no execution of step '%s' (%s) before #%lld", step,
                      class_name, (long long)before);
  return rc;
}

/* Executions of a run that produced an output: a cache hit's outputs are the
 * events of the execution it reused. */
#define PRODUCED                                                                    \
  "SELECT 1 FROM executions x JOIN events v ON v.execution_id = coalesce(x.cached_from, x.id)" \
  " WHERE x.run_id = %s AND x.step = ? AND x.status IN ('completed', 'cached')"      \
  " AND v.kind = 'output' AND v.name = ?"

/* 1 if run `run_id` produced `o`, 0 if not, <0 on error. */
static int run_produced(zm_meta *m, const char *run_id, const zm_meta_step_output *o)
{
  zm_sql_stmt *s = NULL;
  char sql[sizeof PRODUCED + 8];
  snprintf(sql, sizeof sql, PRODUCED " LIMIT 1", "?");
  int rc = zm_sql_prepare_bind(&s, m->c, sql, "sss", run_id, o->step, o->output);
  if (rc < 0)
    return rc;
  rc = s->drv->step(s);
  s->drv->finalize(s);
  return rc < 0 ? rc : rc == ZM_SQL_ROW;
}

/* The candidates are the completed runs that produced want[0], newest first;
 * the first that produced the rest too wins. */
int zm_meta_run_latest_with(char **out, zm_meta *m, const zm_meta_step_output *want, size_t n,
                            const char *pipeline, const char *run_id)
{
  zm_sql_stmt *s = NULL;
  zm_meta_strings *ids = NULL;
  char sql[512 + sizeof PRODUCED];
  *out = NULL;
  if (n == 0)
    return zm_error_set(ZM_EINVALID, "zm_meta_run_latest_with: no outputs to look for");
  snprintf(sql, sizeof sql,
           "SELECT r.id FROM runs r JOIN pipelines p ON p.id = r.pipeline_id"
           " WHERE r.status = 'completed' AND (? IS NULL OR p.name = ?)"
           " AND (? IS NULL OR r.id = ?) AND EXISTS (" PRODUCED ")"
           " ORDER BY r.started DESC, r.id DESC",
           "r.id");
  int rc = zm_sql_prepare_bind(&s, m->c, sql, "ssssss", pipeline, pipeline, run_id, run_id,
                               want[0].step, want[0].output);
  if (rc == 0)
    rc = zm__meta_collect_strings(&ids, s);
  for (size_t i = 0; rc == 0 && !*out && i < ids->len; i++) {
    int all = 1;
    for (size_t k = 1; all == 1 && k < n; k++)
      all = run_produced(m, ids->items[i], &want[k]);
    if (all < 0)
      rc = all;
    else if (all && !(*out = strdup(ids->items[i])))
      rc = zm_error_set(ZM_ENOMEM, "out of memory");
  }
  if (rc == 0 && !*out)
    rc = zm_error_set(ZM_ENOTFOUND, "no completed run produced output '%s' of step '%s'",
                      want[0].output, want[0].step);
  zm_meta_strings_free(ids);
  return rc;
}

/* --- metrics ------------------------------------------------------------- */

/* Delete-then-insert rather than an upsert: a run-level metric has a NULL
 * execution, which no unique key can match. */
int zm_meta_metric_set(zm_meta *m, const char *run_id, int64_t execution, const char *name,
                       double value)
{
  static const char ins[] =
      "INSERT INTO metrics (run_id, execution_id, name, value) VALUES (?, ?, ?, ?)";
  int rc = 0;
  ZM__META_TX(m, rc) {
    if (execution) {
      rc = zm_sql_run(m->c, "DELETE FROM metrics WHERE run_id = ? AND execution_id = ? AND name = ?",
                      "sis", run_id, execution, name);
      if (rc == 0)
        rc = zm_sql_run(m->c, ins, "sisd", run_id, execution, name, value);
    } else {
      rc = zm_sql_run(m->c,
                      "DELETE FROM metrics WHERE run_id = ? AND execution_id IS NULL AND name = ?",
                      "ss", run_id, name);
      if (rc == 0)
        rc = zm_sql_run(m->c, ins, "snsd", run_id, name, value);
    }
    if (rc < 0)
      rc = zm_error_wrap(rc, "cannot set metric '%s' of run '%s'", name, run_id);
  }
  return rc;
}

void zm_meta_metrics_free(zm_meta_metrics *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < l->len; i++) {
    free(l->items[i].run_id);
    free(l->items[i].name);
  }
  free(l->items);
  free(l);
}

int zm_meta_metric_list(zm_meta_metrics **out, zm_meta *m, const char *run_id)
{
  *out = NULL;
  zm_sql_stmt *s = NULL;
  int rc = zm_sql_prepare_bind(&s, m->c,
                               "SELECT run_id, COALESCE(execution_id, 0), name, value FROM metrics"
                               " WHERE run_id = ? ORDER BY name, execution_id",
                               "s", run_id);
  if (rc < 0)
    return rc;
  zm_meta_metrics *l = calloc(1, sizeof *l);
  size_t cap = 0;
  rc = l ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
  while (rc == 0 && (rc = s->drv->step(s)) == ZM_SQL_ROW) {
    rc = zm__meta_grow((void **)&l->items, &cap, l->len, sizeof *l->items);
    if (rc == 0) {
      zm_meta_metric *x = &l->items[l->len++];
      x->run_id = zm__meta_col_dup(s, 0, &rc);
      x->execution = s->drv->column_int64(s, 1);
      x->name = zm__meta_col_dup(s, 2, &rc);
      x->value = s->drv->column_double(s, 3);
    }
  }
  s->drv->finalize(s);
  if (rc < 0) {
    zm_meta_metrics_free(l);
    return rc;
  }
  *out = l;
  return 0;
}

/* --- properties ---------------------------------------------------------- */

int zm_meta_property_set(zm_meta *m, const char *kind, const char *entity, const char *name,
                         const zm_meta_value *v)
{
  const char *sql = m->sql[SQL_PROPERTY_UPSERT];
  int rc = 0;
  ZM__META_TX(m, rc) {
    switch (v->type) {
    case ZM_META_INT:
      rc = zm_sql_run(m->c, sql, "sssinn", kind, entity, name, v->i);
      break;
    case ZM_META_DOUBLE:
      rc = zm_sql_run(m->c, sql, "sssndn", kind, entity, name, v->d);
      break;
    case ZM_META_TEXT:
      rc = zm_sql_run(m->c, sql, "sssnns", kind, entity, name, v->s ? v->s : "");
      break;
    default:
      rc = zm_error_set(ZM_EINVALID, "bad property type %d", (int)v->type);
    }
  }
  return rc;
}

void zm_meta_value_clear(zm_meta_value *v)
{
  if (v && v->type == ZM_META_TEXT) {
    free(v->s);
    v->s = NULL;
  }
}

static int value_row(zm_meta_value *out, zm_sql_stmt *s)
{
  const zm_sql_driver *d = s->drv;
  int rc = 0;
  memset(out, 0, sizeof *out);
  if (d->column_type(s, 0) != ZM_SQL_NULL) {
    out->type = ZM_META_INT;
    out->i = d->column_int64(s, 0);
  } else if (d->column_type(s, 1) != ZM_SQL_NULL) {
    out->type = ZM_META_DOUBLE;
    out->d = d->column_double(s, 1);
  } else {
    out->type = ZM_META_TEXT;
    out->s = zm__meta_col_dup(s, 2, &rc);
  }
  return rc;
}

int zm_meta_property_get(zm_meta_value *out, zm_meta *m, const char *kind, const char *entity,
                         const char *name)
{
  zm_sql_stmt *s = NULL;
  memset(out, 0, sizeof *out);
  int rc = zm_sql_prepare_bind(&s, m->c,
                               "SELECT int_value, double_value, text_value FROM properties"
                               " WHERE entity_kind = ? AND entity_id = ? AND name = ?",
                               "sss", kind, entity, name);
  if (rc < 0)
    return rc;
  rc = s->drv->step(s);
  if (rc == ZM_SQL_ROW)
    rc = value_row(out, s);
  else if (rc == ZM_SQL_DONE)
    rc = zm_error_set(ZM_ENOTFOUND, "%s '%s' has no property '%s'", kind, entity, name);
  s->drv->finalize(s);
  return rc;
}

/* The entity id of an execution is its id as text: '' || id is that on both
 * drivers (MariaDB's session has PIPES_AS_CONCAT). The first step is picked
 * here: with ORDER BY x.id LIMIT 1, MariaDB walked every execution in id
 * order instead of the run's through executions_by_run. */
int zm_meta_run_step_property(zm_meta_value *out, zm_meta *m, const char *run_id,
                              const char *name)
{
  zm_sql_stmt *s = NULL;
  memset(out, 0, sizeof *out);
  int rc = zm_sql_prepare_bind(&s, m->c,
                               "SELECT p.int_value, p.double_value, p.text_value, x.id"
                               " FROM executions x JOIN properties p ON p.entity_kind = 'execution'"
                               " AND p.entity_id = '' || coalesce(x.cached_from, x.id)"
                               " AND p.name = ? WHERE x.run_id = ?",
                               "ss", name, run_id);
  if (rc < 0)
    return rc;
  int64_t first = 0;
  while ((rc = s->drv->step(s)) == ZM_SQL_ROW) {
    int64_t id = s->drv->column_int64(s, 3);
    if (first && id > first)
      continue;
    first = id;
    zm_meta_value_clear(out);
    if ((rc = value_row(out, s)) < 0)
      break;
  }
  s->drv->finalize(s);
  if (rc < 0) {
    zm_meta_value_clear(out);
    return rc;
  }
  if (!first)
    return zm_error_set(ZM_ENOTFOUND, "no step of run '%s' has property '%s'", run_id, name);
  return 0;
}

/* --- the stat cache ------------------------------------------------------ */

int zm_meta_stat_get(char out[65], zm_meta *m, int64_t dev, int64_t ino, int64_t size,
                     int64_t mtime_ns)
{
  zm_sql_stmt *s = NULL;
  int rc = zm_sql_prepare_bind(&s, m->c,
                               "SELECT sha256 FROM stat_cache"
                               " WHERE dev = ? AND ino = ? AND size = ? AND mtime_ns = ?",
                               "iiii", dev, ino, size, mtime_ns);
  if (rc < 0)
    return rc;
  rc = s->drv->step(s);
  const char *hex = rc == ZM_SQL_ROW ? s->drv->column_text(s, 0) : NULL;
  if (hex && strlen(hex) == 64) {
    memcpy(out, hex, 65);
    rc = 0;
  } else if (rc >= 0) {
    rc = zm_error_set(ZM_ENOTFOUND, "no cached hash");
  }
  s->drv->finalize(s);
  return rc;
}

int zm_meta_stat_put(zm_meta *m, int64_t dev, int64_t ino, int64_t size, int64_t mtime_ns,
                     const char *sha256)
{
  int rc = 0;
  ZM__META_TX(m, rc) {
    rc = zm_sql_run(m->c, m->sql[SQL_STAT_UPSERT], "iiiis", dev, ino, size, mtime_ns, sha256);
  }
  return rc;
}

