/* The catalogue questions the commands ask: pipelines with their run
 * counts, recorded artifacts by id or id prefix, and an artifact's lineage
 * (the executions that wrote or read it, cache hits of them included). The
 * SQL is the common subset of the dialects. */
#include "core/error.h"
#include "meta/meta_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* --- pipelines ----------------------------------------------------------- */

void zm_meta_pipeline_infos_free(zm_meta_pipeline_infos *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < l->len; i++)
    free(l->items[i].name);
  free(l->items);
  free(l);
}

int zm_meta_pipeline_list(zm_meta_pipeline_infos **out, zm_meta *m)
{
  zm_sql_stmt *s = NULL;
  *out = NULL;
  int rc = zm_sql_prepare_bind(&s, m->c,
                               "SELECT p.name, max(p.version), count(r.id), max(r.started)"
                               " FROM pipelines p LEFT JOIN runs r ON r.pipeline_id = p.id"
                               " GROUP BY p.name ORDER BY p.name",
                               "");
  if (rc < 0)
    return rc;
  zm_meta_pipeline_infos *l = calloc(1, sizeof *l);
  size_t cap = 0;
  rc = l ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
  while (rc == 0 && (rc = s->drv->step(s)) == ZM_SQL_ROW) {
    rc = zm__meta_grow((void **)&l->items, &cap, l->len, sizeof *l->items);
    if (rc == 0) {
      zm_meta_pipeline_info *p = &l->items[l->len++];
      p->name = zm__meta_col_dup(s, 0, &rc);
      p->versions = s->drv->column_int64(s, 1);
      p->runs = s->drv->column_int64(s, 2);
      p->has_last_run = s->drv->column_type(s, 3) != ZM_SQL_NULL;
      p->last_run = p->has_last_run ? s->drv->column_double(s, 3) : 0;
    }
  }
  s->drv->finalize(s);
  if (rc < 0) {
    zm_meta_pipeline_infos_free(l);
    return rc;
  }
  *out = l;
  return 0;
}

int zm_meta_pipeline_exists(int *out, zm_meta *m, const char *name)
{
  zm_sql_stmt *s = NULL;
  *out = 0;
  int rc = zm_sql_prepare_bind(&s, m->c, "SELECT 1 FROM pipelines WHERE name = ? LIMIT 1", "s",
                               name);
  if (rc < 0)
    return rc;
  rc = s->drv->step(s);
  s->drv->finalize(s);
  if (rc < 0)
    return rc;
  *out = rc == ZM_SQL_ROW;
  return 0;
}

/* --- recorded artifacts -------------------------------------------------- */

void zm_meta_artifact_clear(zm_meta_artifact *a)
{
  if (!a)
    return;
  free(a->id);
  free(a->type);
  a->id = a->type = NULL;
}

void zm_meta_artifacts_free(zm_meta_artifacts *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < l->len; i++)
    zm_meta_artifact_clear(&l->items[i]);
  free(l->items);
  free(l);
}

static int artifact_row(zm_meta_artifact *a, zm_sql_stmt *s)
{
  int rc = 0;
  a->id = zm__meta_col_dup(s, 0, &rc);
  a->type = zm__meta_col_dup(s, 1, &rc);
  a->size = s->drv->column_int64(s, 2);
  a->created = s->drv->column_double(s, 3);
  return rc;
}

int zm_meta_artifact_get(zm_meta_artifact *out, zm_meta *m, const char *id)
{
  zm_sql_stmt *s = NULL;
  memset(out, 0, sizeof *out);
  int rc = zm_sql_prepare_bind(&s, m->c,
                               "SELECT id, type, size, created FROM artifacts WHERE id = ?", "s",
                               id);
  if (rc < 0)
    return rc;
  rc = s->drv->step(s);
  if (rc == ZM_SQL_ROW)
    rc = artifact_row(out, s);
  else if (rc == ZM_SQL_DONE)
    rc = zm_error_set(ZM_ENOTFOUND, "no artifact '%s'", id);
  s->drv->finalize(s);
  if (rc < 0)
    zm_meta_artifact_clear(out);
  return rc;
}

/* A range scan of the primary key from `prefix` on, stopping at the first id
 * that does not start with it: the matches are contiguous in id order. */
int zm_meta_artifacts_with_prefix(zm_meta_artifacts **out, zm_meta *m, const char *prefix,
                                  int limit)
{
  zm_sql_stmt *s = NULL;
  *out = NULL;
  size_t plen = strlen(prefix);
  int rc = zm_sql_prepare_bind(&s, m->c,
                               "SELECT id, type, size, created FROM artifacts WHERE id >= ?"
                               " ORDER BY id LIMIT ?",
                               "si", prefix, limit > 0 ? (int64_t)limit : INT64_MAX);
  if (rc < 0)
    return rc;
  zm_meta_artifacts *l = calloc(1, sizeof *l);
  size_t cap = 0;
  rc = l ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
  while (rc == 0 && (rc = s->drv->step(s)) == ZM_SQL_ROW) {
    const char *id = s->drv->column_text(s, 0);
    if (!id || strncmp(id, prefix, plen) != 0) {
      rc = ZM_SQL_DONE;
      break;
    }
    rc = zm__meta_grow((void **)&l->items, &cap, l->len, sizeof *l->items);
    if (rc == 0)
      rc = artifact_row(&l->items[l->len++], s);
  }
  s->drv->finalize(s);
  if (rc < 0) {
    zm_meta_artifacts_free(l);
    return rc;
  }
  *out = l;
  return 0;
}

/* --- an artifact's lineage ----------------------------------------------- */

void zm_meta_artifact_events_free(zm_meta_artifact_events *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < l->len; i++) {
    free(l->items[i].run_id);
    free(l->items[i].step);
    free(l->items[i].name);
  }
  free(l->items);
  free(l);
}

int zm_meta_artifact_lineage(zm_meta_artifact_events **out, zm_meta *m, const char *artifact)
{
  zm_sql_stmt *s = NULL;
  *out = NULL;
  int rc = zm_sql_prepare_bind(
      &s, m->c,
      "SELECT DISTINCT x.id, x.run_id, x.step, e.kind, e.name, x.status"
      " FROM events e JOIN executions x ON x.id = e.execution_id OR x.cached_from = e.execution_id"
      " WHERE e.artifact = ? ORDER BY x.id, e.kind, e.name",
      "s", artifact);
  if (rc < 0)
    return rc;
  zm_meta_artifact_events *l = calloc(1, sizeof *l);
  size_t cap = 0;
  rc = l ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
  while (rc == 0 && (rc = s->drv->step(s)) == ZM_SQL_ROW) {
    rc = zm__meta_grow((void **)&l->items, &cap, l->len, sizeof *l->items);
    if (rc < 0)
      break;
    zm_meta_artifact_event *e = &l->items[l->len++];
    const char *kind = s->drv->column_text(s, 3);
    e->execution = s->drv->column_int64(s, 0);
    e->run_id = zm__meta_col_dup(s, 1, &rc);
    e->step = zm__meta_col_dup(s, 2, &rc);
    e->kind = kind && strcmp(kind, "output") == 0 ? ZM_META_OUTPUT : ZM_META_INPUT;
    e->name = zm__meta_col_dup(s, 4, &rc);
    if (rc == 0)
      rc = zm_meta_status_parse(&e->status, s->drv->column_text(s, 5));
  }
  s->drv->finalize(s);
  if (rc < 0) {
    zm_meta_artifact_events_free(l);
    return rc;
  }
  *out = l;
  return 0;
}
