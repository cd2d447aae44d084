/* The model registry: named models, their numbered versions (each pointing
 * at a run's model, transform and schema artifacts), tags, a deprecated
 * flag, and aliases whose every move is appended to a history that is never
 * rewritten. The SQL is the common subset of the dialects. */
#include "core/error.h"
#include "meta/meta_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* --- freeing ------------------------------------------------------------- */

static void version_clear(zm_meta_model_version *v)
{
  free(v->model);
  free(v->run_id);
  free(v->step);
  free(v->model_artifact);
  free(v->transform_artifact);
  free(v->schema_artifact);
  free(v->yaml_path);
  free(v->datasource_version);
  free(v->message);
  free(v->created_by);
}

void zm_meta_model_version_free(zm_meta_model_version *v)
{
  if (!v)
    return;
  version_clear(v);
  free(v);
}

void zm_meta_model_versions_free(zm_meta_model_versions *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < l->len; i++)
    version_clear(&l->items[i]);
  free(l->items);
  free(l);
}

void zm_meta_model_infos_free(zm_meta_model_infos *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < l->len; i++)
    free(l->items[i].name);
  free(l->items);
  free(l);
}

void zm_meta_model_labels_free(zm_meta_model_labels *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < l->len; i++) {
    free(l->items[i].key);
    free(l->items[i].value);
  }
  free(l->items);
  free(l);
}

void zm_meta_alias_moves_free(zm_meta_alias_moves *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < l->len; i++) {
    zm_meta_alias_move *a = &l->items[i];
    free(a->model);
    free(a->alias);
    free(a->reason);
    free(a->created_by);
    free(a->hook);
  }
  free(l->items);
  free(l);
}

/* --- reading rows -------------------------------------------------------- */

/* A list as the C API returns it: items, then len (every list type here). */
typedef struct any_list {
  void *items;
  size_t len;
} any_list;

/* Step through `s`, reading each row into a new item of `l` with `row`;
 * finalizes `s`. On an error `l` keeps the rows read so far (for its free). */
static int collect(any_list *l, size_t size, zm_sql_stmt *s,
                   int (*row)(void *item, zm_sql_stmt *s))
{
  size_t cap = 0;
  int rc;
  while ((rc = s->drv->step(s)) == ZM_SQL_ROW) {
    rc = zm__meta_grow(&l->items, &cap, l->len, size);
    if (rc == 0)
      rc = row((char *)l->items + l->len++ * size, s);
    if (rc < 0)
      break;
  }
  s->drv->finalize(s);
  return rc < 0 ? rc : 0;
}

#define VERSION_COLS                                                                        \
  "SELECT md.name, v.version, v.run_id, v.step, v.model_artifact, v.transform_artifact,"     \
  " v.schema_artifact, v.yaml_path, v.datasource_version, v.message, v.created,"            \
  " v.created_by, v.deprecated FROM model_versions v JOIN models md ON md.id = v.model_id"

static int version_row(void *item, zm_sql_stmt *s)
{
  zm_meta_model_version *v = item;
  int rc = 0;
  v->model = zm__meta_col_dup(s, 0, &rc);
  v->version = s->drv->column_int64(s, 1);
  v->run_id = zm__meta_col_dup(s, 2, &rc);
  v->step = zm__meta_col_dup(s, 3, &rc);
  v->model_artifact = zm__meta_col_dup(s, 4, &rc);
  v->transform_artifact = zm__meta_col_dup(s, 5, &rc);
  v->schema_artifact = zm__meta_col_dup(s, 6, &rc);
  v->yaml_path = zm__meta_col_dup(s, 7, &rc);
  v->datasource_version = zm__meta_col_dup(s, 8, &rc);
  v->message = zm__meta_col_dup(s, 9, &rc);
  v->created = s->drv->column_double(s, 10);
  v->created_by = zm__meta_col_dup(s, 11, &rc);
  v->deprecated = s->drv->column_int64(s, 12) != 0;
  return rc;
}

static int info_row(void *item, zm_sql_stmt *s)
{
  zm_meta_model_info *p = item;
  int rc = 0;
  p->name = zm__meta_col_dup(s, 0, &rc);
  p->versions = s->drv->column_int64(s, 1);
  p->latest = s->drv->column_int64(s, 2);
  p->created = s->drv->column_double(s, 3);
  p->updated = s->drv->column_double(s, 4);
  return rc;
}

static int label_row(void *item, zm_sql_stmt *s)
{
  zm_meta_model_label *p = item;
  int rc = 0;
  p->version = s->drv->column_int64(s, 0);
  p->key = zm__meta_col_dup(s, 1, &rc);
  p->value = zm__meta_col_dup(s, 2, &rc);
  return rc;
}

static int move_row(void *item, zm_sql_stmt *s)
{
  zm_meta_alias_move *a = item;
  int rc = 0;
  a->id = s->drv->column_int64(s, 0);
  a->model = zm__meta_col_dup(s, 1, &rc);
  a->alias = zm__meta_col_dup(s, 2, &rc);
  a->from = s->drv->column_type(s, 3) == ZM_SQL_NULL ? 0 : s->drv->column_int64(s, 3);
  a->to = s->drv->column_int64(s, 4);
  a->reason = zm__meta_col_dup(s, 5, &rc);
  a->created_by = zm__meta_col_dup(s, 6, &rc);
  a->created = s->drv->column_double(s, 7);
  a->hook = zm__meta_col_dup(s, 8, &rc);
  return rc;
}

/* One integer from the first row of `s` (finalized); `def` when no row. */
static int one_int(int64_t *out, zm_sql_stmt *s, int64_t def)
{
  int rc = s->drv->step(s);
  *out = rc == ZM_SQL_ROW && s->drv->column_type(s, 0) != ZM_SQL_NULL ? s->drv->column_int64(s, 0)
                                                                       : def;
  s->drv->finalize(s);
  return rc < 0 ? rc : 0;
}

/* The id of model `name`; ZM_ENOTFOUND if there is none. */
static int model_id(int64_t *out, zm_meta *m, const char *name)
{
  zm_sql_stmt *s = NULL;
  int rc = zm_sql_prepare_bind(&s, m->c, "SELECT id FROM models WHERE name = ?", "s", name);
  if (rc == 0)
    rc = one_int(out, s, 0);
  if (rc == 0 && *out == 0)
    rc = zm_error_set(ZM_ENOTFOUND, "no model '%s'", name);
  return rc;
}

/* Whether version `version` of model `id` exists: 1, or 0 with *deprecated unset. */
static int version_state(int *out_exists, int *out_deprecated, zm_meta *m, int64_t id,
                         int64_t version)
{
  zm_sql_stmt *s = NULL;
  int64_t d = -1;
  int rc = zm_sql_prepare_bind(&s, m->c,
                               "SELECT deprecated FROM model_versions WHERE model_id = ? AND"
                               " version = ?",
                               "ii", id, version);
  if (rc == 0)
    rc = one_int(&d, s, -1);
  *out_exists = d >= 0;
  *out_deprecated = d > 0;
  return rc;
}

/* The id of model `name` and that its version `version` exists. */
static int check_version(int64_t *out_id, int *out_deprecated, zm_meta *m, const char *name,
                         int64_t version)
{
  int exists = 0;
  int rc = model_id(out_id, m, name);
  if (rc == 0)
    rc = version_state(&exists, out_deprecated, m, *out_id, version);
  if (rc == 0 && !exists)
    rc = zm_error_set(ZM_ENOTFOUND, "model '%s' has no version %lld", name, (long long)version);
  return rc;
}

/* --- registering --------------------------------------------------------- */

static int register_in_tx(int64_t *out_version, zm_meta *m, const zm_meta_model_version *v,
                          double now)
{
  int64_t id = 0, next = 0;
  zm_sql_stmt *s = NULL;
  int rc = model_id(&id, m, v->model);
  if (rc == ZM_ENOTFOUND) {
    rc = zm_sql_run(m->c, "INSERT INTO models (name, created) VALUES (?, ?)", "sd", v->model, now);
    id = m->d->last_insert_id(m->c);
  }
  if (rc == 0)
    rc = zm_sql_prepare_bind(&s, m->c,
                             "SELECT max(version) FROM model_versions WHERE model_id = ?", "i", id);
  if (rc == 0)
    rc = one_int(&next, s, 0);
  next++;
  if (rc == 0)
    rc = zm_sql_run(m->c,
                    "INSERT INTO model_versions (model_id, version, run_id, step, model_artifact,"
                    " transform_artifact, schema_artifact, yaml_path, datasource_version, message,"
                    " created, created_by, deprecated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                    "iissssssssds", id, next, v->run_id, v->step, v->model_artifact,
                    v->transform_artifact, v->schema_artifact, v->yaml_path,
                    v->datasource_version, v->message, now, v->created_by);
  *out_version = rc == 0 ? next : 0;
  return rc;
}

int zm_meta_model_register(int64_t *out_version, zm_meta *m, const zm_meta_model_version *v)
{
  *out_version = 0;
  if (!v->model || !*v->model || !v->run_id || !v->step || !v->model_artifact)
    return zm_error_set(ZM_EINVALID,
                        "model_register: a model name, a run, a step and a model artifact are "
                        "needed");
  double now = v->created > 0 ? v->created : zm__meta_now();
  int rc = 0;
  int64_t version = 0;
  ZM__META_TX(m, rc) { rc = register_in_tx(&version, m, v, now); }
  if (rc == 0)
    *out_version = version;
  return rc;
}

/* --- reading ------------------------------------------------------------- */

int zm_meta_model_list(zm_meta_model_infos **out, zm_meta *m)
{
  zm_sql_stmt *s = NULL;
  *out = NULL;
  int rc = zm_sql_prepare_bind(&s, m->c,
                               "SELECT md.name, count(v.version), max(v.version), md.created,"
                               " max(v.created) FROM models md"
                               " JOIN model_versions v ON v.model_id = md.id"
                               " GROUP BY md.id, md.name, md.created ORDER BY md.name",
                               "");
  if (rc < 0)
    return rc;
  zm_meta_model_infos *l = calloc(1, sizeof *l);
  rc = l ? collect((any_list *)l, sizeof *l->items, s, info_row)
         : (s->drv->finalize(s), zm_error_set(ZM_ENOMEM, "out of memory"));
  if (rc < 0) {
    zm_meta_model_infos_free(l);
    return rc;
  }
  *out = l;
  return 0;
}

static int versions_where(zm_meta_model_versions **out, zm_meta *m, const char *sql,
                          const char *arg)
{
  zm_sql_stmt *s = NULL;
  *out = NULL;
  int rc = zm_sql_prepare_bind(&s, m->c, sql, "s", arg);
  if (rc < 0)
    return rc;
  zm_meta_model_versions *l = calloc(1, sizeof *l);
  rc = l ? collect((any_list *)l, sizeof *l->items, s, version_row)
         : (s->drv->finalize(s), zm_error_set(ZM_ENOMEM, "out of memory"));
  if (rc < 0) {
    zm_meta_model_versions_free(l);
    return rc;
  }
  *out = l;
  return 0;
}

int zm_meta_model_version_list(zm_meta_model_versions **out, zm_meta *m, const char *name)
{
  int64_t id = 0;
  *out = NULL;
  int rc = model_id(&id, m, name);
  if (rc < 0)
    return rc;
  return versions_where(out, m, VERSION_COLS " WHERE md.name = ? ORDER BY v.version", name);
}

int zm_meta_model_versions_of_run(zm_meta_model_versions **out, zm_meta *m, const char *run_id)
{
  return versions_where(out, m, VERSION_COLS " WHERE v.run_id = ? ORDER BY md.name, v.version",
                        run_id);
}

int zm_meta_model_version_get(zm_meta_model_version **out, zm_meta *m, const char *name,
                              int64_t version)
{
  int64_t id = 0;
  int deprecated = 0;
  zm_sql_stmt *s = NULL;
  *out = NULL;
  int rc = check_version(&id, &deprecated, m, name, version);
  if (rc == 0)
    rc = zm_sql_prepare_bind(&s, m->c, VERSION_COLS " WHERE v.model_id = ? AND v.version = ?",
                             "ii", id, version);
  if (rc < 0)
    return rc;
  zm_meta_model_version *v = calloc(1, sizeof *v);
  rc = s->drv->step(s);
  if (!v)
    rc = zm_error_set(ZM_ENOMEM, "out of memory");
  else if (rc == ZM_SQL_ROW)
    rc = version_row(v, s);
  else if (rc == ZM_SQL_DONE) /* removed between the two statements: not in this schema */
    rc = zm_error_set(ZM_ENOTFOUND, "model '%s' has no version %lld", name, (long long)version);
  s->drv->finalize(s);
  if (rc < 0) {
    zm_meta_model_version_free(v);
    return rc;
  }
  *out = v;
  return 0;
}

static int labels(zm_meta_model_labels **out, zm_meta *m, const char *sql, const char *name)
{
  int64_t id = 0;
  zm_sql_stmt *s = NULL;
  *out = NULL;
  int rc = model_id(&id, m, name);
  if (rc == 0)
    rc = zm_sql_prepare_bind(&s, m->c, sql, "i", id);
  if (rc < 0)
    return rc;
  zm_meta_model_labels *l = calloc(1, sizeof *l);
  rc = l ? collect((any_list *)l, sizeof *l->items, s, label_row)
         : (s->drv->finalize(s), zm_error_set(ZM_ENOMEM, "out of memory"));
  if (rc < 0) {
    zm_meta_model_labels_free(l);
    return rc;
  }
  *out = l;
  return 0;
}

int zm_meta_model_tags(zm_meta_model_labels **out, zm_meta *m, const char *name)
{
  return labels(out, m,
                "SELECT version, name, value FROM model_tags WHERE model_id = ?"
                " ORDER BY version, name",
                name);
}

int zm_meta_model_aliases(zm_meta_model_labels **out, zm_meta *m, const char *name)
{
  return labels(out, m,
                "SELECT version, alias, NULL FROM model_aliases WHERE model_id = ? ORDER BY alias",
                name);
}

int zm_meta_model_alias_history(zm_meta_alias_moves **out, zm_meta *m, const char *name,
                                const char *alias)
{
  int64_t id = 0;
  zm_sql_stmt *s = NULL;
  *out = NULL;
  int rc = model_id(&id, m, name);
  if (rc == 0)
    rc = zm_sql_prepare_bind(&s, m->c,
                             "SELECT h.id, md.name, h.alias, h.from_version, h.to_version,"
                             " h.reason, h.created_by, h.created, h.hook"
                             " FROM model_alias_history h JOIN models md ON md.id = h.model_id"
                             " WHERE h.model_id = ? AND (? IS NULL OR h.alias = ?) ORDER BY h.id",
                             "iss", id, alias, alias);
  if (rc < 0)
    return rc;
  zm_meta_alias_moves *l = calloc(1, sizeof *l);
  rc = l ? collect((any_list *)l, sizeof *l->items, s, move_row)
         : (s->drv->finalize(s), zm_error_set(ZM_ENOMEM, "out of memory"));
  if (rc < 0) {
    zm_meta_alias_moves_free(l);
    return rc;
  }
  *out = l;
  return 0;
}

/* --- changing ------------------------------------------------------------ */

int zm_meta_model_tag_set(zm_meta *m, const char *name, int64_t version, const char *key,
                          const char *value)
{
  static const char *const cols[] = {"model_id", "version", "name", "value"};
  if (!key || !*key || !value)
    return zm_error_set(ZM_EINVALID, "model_tag_set: a tag needs a key and a value");
  zm_buf sql = ZM_BUF_INIT;
  int rc = m->d->upsert(&sql, "model_tags", cols, 4, 3);
  ZM__META_TX(m, rc) {
    int64_t id = 0;
    int deprecated = 0;
    rc = check_version(&id, &deprecated, m, name, version);
    if (rc == 0)
      rc = zm_sql_run(m->c, sql.data, "iiss", id, version, key, value);
  }
  zm_buf_free(&sql);
  return rc;
}

int zm_meta_model_deprecate(zm_meta *m, const char *name, int64_t version)
{
  int rc = 0;
  ZM__META_TX(m, rc) {
    int64_t id = 0;
    int deprecated = 0;
    rc = check_version(&id, &deprecated, m, name, version);
    if (rc == 0 && !deprecated)
      rc = zm_sql_run(m->c,
                      "UPDATE model_versions SET deprecated = 1 WHERE model_id = ? AND version = ?",
                      "ii", id, version);
  }
  return rc;
}

static int alias_in_tx(int64_t *out_from, zm_meta *m, const zm_meta_alias_move *mv, double now)
{
  int64_t id = 0, from = 0;
  int deprecated = 0;
  zm_sql_stmt *s = NULL;
  int rc = check_version(&id, &deprecated, m, mv->model, mv->to);
  if (rc == 0 && deprecated)
    rc = zm_error_set(ZM_EINVALID, "version %lld of model '%s' is deprecated; an alias cannot "
                                   "point at it",
                      (long long)mv->to, mv->model);
  if (rc == 0)
    rc = zm_sql_prepare_bind(&s, m->c,
                             "SELECT version FROM model_aliases WHERE model_id = ? AND alias = ?",
                             "is", id, mv->alias);
  if (rc == 0)
    rc = one_int(&from, s, 0);
  if (rc == 0 && from == mv->to)
    rc = zm_error_set(ZM_EEXISTS, "alias '%s' of model '%s' already points at version %lld",
                      mv->alias, mv->model, (long long)from);
  if (rc == 0 && from)
    rc = zm_sql_run(m->c, "UPDATE model_aliases SET version = ? WHERE model_id = ? AND alias = ?",
                    "iis", mv->to, id, mv->alias);
  else if (rc == 0)
    rc = zm_sql_run(m->c, "INSERT INTO model_aliases (model_id, alias, version) VALUES (?, ?, ?)",
                    "isi", id, mv->alias, mv->to);
  if (rc == 0)
    rc = zm_sql_run(m->c,
                    "INSERT INTO model_alias_history (model_id, alias, from_version, to_version,"
                    " reason, created_by, created, hook)"
                    " VALUES (?, ?, nullif(?, 0), ?, ?, ?, ?, ?)",
                    "isiissds", id, mv->alias, from, mv->to, mv->reason, mv->created_by, now,
                    mv->hook);
  *out_from = from;
  return rc;
}

int zm_meta_model_alias_set(int64_t *out_from, zm_meta *m, const zm_meta_alias_move *mv)
{
  if (out_from)
    *out_from = 0;
  if (!mv->model || !mv->alias || !*mv->alias)
    return zm_error_set(ZM_EINVALID, "model_alias_set: a model and an alias are needed");
  double now = zm__meta_now();
  int64_t from = 0;
  int rc = 0;
  ZM__META_TX(m, rc) { rc = alias_in_tx(&from, m, mv, now); }
  if (rc == 0 && out_from)
    *out_from = from;
  return rc;
}
