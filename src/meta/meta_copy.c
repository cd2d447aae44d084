/* The store as a whole: its size and row counts, and a copy of every row
 * into another store (`zenml metadata migrate`, SQLite to MariaDB and back).
 * Rows go over as typed values, ids included, so a copy answers every query
 * as its source did. */
#include "core/error.h"
#include "meta/meta_internal.h"

#include <stdio.h>
#include <string.h>

/* Every table at the current schema version, parents before the tables
 * whose foreign keys name them, with its columns and an order to copy in
 * (executions by id: cached_from names an earlier one). */
static const struct {
  const char *name, *cols, *order;
  int ncols;
} tables[ZM_META_TABLES] = {
    {"datasources", "id, name, type, config, created", "id", 5},
    {"artifacts", "id, type, size, created", "id", 4},
    {"pipelines", "id, name, version, dag_hash, created", "id", 5},
    {"runs",
     "id, pipeline_id, yaml_path, yaml_hash, git_commit, git_branch, status, started, ended,"
     " git_dirty, backend, host, pid",
     "id", 13},
    {"datasource_versions", "id, datasource_id, artifact, n_rows, n_columns, created, n_bytes",
     "datasource_id, id", 7},
    {"executions",
     "id, run_id, step, class, source, cache_key, status, started, ended, error, cached_from,"
     " log_artifact",
     "id", 12},
    {"events", "id, execution_id, artifact, kind, name", "id", 5},
    {"metrics", "id, run_id, execution_id, name, value", "id", 5},
    {"properties", "entity_kind, entity_id, name, int_value, double_value, text_value",
     "entity_kind, entity_id, name", 6},
    {"stat_cache", "dev, ino, size, mtime_ns, sha256", "dev, ino", 5},
    {"config", "name, value", "name", 2},
    {"models", "id, name, created", "id", 3},
    {"model_versions",
     "model_id, version, run_id, step, model_artifact, transform_artifact, schema_artifact,"
     " yaml_path, datasource_version, message, created, created_by, deprecated",
     "model_id, version", 13},
    {"model_tags", "model_id, version, name, value", "model_id, version, name", 4},
    {"model_aliases", "model_id, alias, version", "model_id, alias", 3},
    {"model_alias_history",
     "id, model_id, alias, from_version, to_version, reason, created_by, created, hook", "id", 9},
};

const char *zm_meta_driver(const zm_meta *m)
{
  return m->d->name;
}

static int count_rows(int64_t *out, zm_meta *m, const char *table)
{
  char sql[96];
  zm_sql_stmt *s = NULL;
  snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
  int rc = zm_sql_prepare_bind(&s, m->c, sql, "");
  if (rc < 0)
    return rc;
  rc = s->drv->step(s);
  *out = rc == ZM_SQL_ROW ? s->drv->column_int64(s, 0) : 0;
  s->drv->finalize(s);
  return rc < 0 ? rc : 0;
}

int zm_meta_info_get(zm_meta_info *out, zm_meta *m)
{
  memset(out, 0, sizeof *out);
  out->driver = m->d->name;
  int rc = zm__meta_cache_sync(m); /* the size and version bypass zm_sql_prepare */
  if (rc == 0)
    rc = m->d->get_version(m->c, &out->version);
  if (rc == 0)
    rc = m->d->size(m->c, &out->bytes);
  for (int i = 0; rc == 0 && i < ZM_META_TABLES; i++) {
    out->tables[i].name = tables[i].name;
    rc = count_rows(&out->tables[i].rows, m, tables[i].name);
  }
  return rc;
}

/* Bind column `col` of the source row as parameter col + 1 of `ins`. */
static int copy_value(zm_sql_stmt *ins, zm_sql_stmt *row, int col)
{
  const zm_sql_driver *r = row->drv, *w = ins->drv;
  size_t len = 0;
  const void *p;
  switch (r->column_type(row, col)) {
  case ZM_SQL_INT:
    return w->bind_int64(ins, col + 1, r->column_int64(row, col));
  case ZM_SQL_DOUBLE:
    return w->bind_double(ins, col + 1, r->column_double(row, col));
  case ZM_SQL_TEXT:
    p = r->column_blob(row, col, &len);
    return w->bind_text(ins, col + 1, p ? p : "", len);
  case ZM_SQL_BLOB:
    p = r->column_blob(row, col, &len);
    return w->bind_blob(ins, col + 1, p ? p : "", len);
  default:
    return w->bind_null(ins, col + 1);
  }
}

static int copy_table(zm_meta *dst, zm_meta *src, int t)
{
  char select[400], insert[400];
  snprintf(select, sizeof select, "SELECT %s FROM %s ORDER BY %s", tables[t].cols,
           tables[t].name, tables[t].order);
  int n = snprintf(insert, sizeof insert, "INSERT INTO %s (%s) VALUES (", tables[t].name,
                   tables[t].cols);
  for (int i = 0; i < tables[t].ncols; i++)
    n += snprintf(insert + n, sizeof insert - (size_t)n, i ? ", ?" : "?");
  snprintf(insert + n, sizeof insert - (size_t)n, ")");
  zm_sql_stmt *row = NULL;
  int rc = zm_sql_prepare_bind(&row, src->c, select, "");
  while (rc == 0 && (rc = row->drv->step(row)) == ZM_SQL_ROW) {
    zm_sql_stmt *ins = NULL;
    rc = zm_sql_prepare(&ins, dst->c, insert);
    for (int i = 0; rc == 0 && i < tables[t].ncols; i++)
      rc = copy_value(ins, row, i);
    while (rc == 0 && (rc = dst->d->step(ins)) == ZM_SQL_ROW)
      ;
    if (ins)
      dst->d->finalize(ins);
  }
  if (row)
    row->drv->finalize(row);
  if (rc < 0)
    return zm_error_wrap(rc, "cannot copy table %s", tables[t].name);
  return 0;
}

static int check_empty(zm_meta *dst)
{
  for (int i = 0; i < ZM_META_TABLES; i++) {
    int64_t n = 0;
    int rc = count_rows(&n, dst, tables[i].name);
    if (rc < 0)
      return rc;
    if (n > 0)
      return zm_error_set(ZM_EEXISTS, "the destination store is not empty (%s has %lld rows): "
                                      "migrate into an empty database",
                          tables[i].name, (long long)n);
  }
  return 0;
}

static int compare_counts(zm_meta *dst, zm_meta *src)
{
  for (int i = 0; i < ZM_META_TABLES; i++) {
    int64_t a = 0, b = 0;
    int rc = count_rows(&a, src, tables[i].name);
    if (rc == 0)
      rc = count_rows(&b, dst, tables[i].name);
    if (rc < 0)
      return rc;
    if (a != b)
      return zm_error_set(ZM_ERROR, "the copy of table %s has %lld rows, the source %lld",
                          tables[i].name, (long long)b, (long long)a);
  }
  return 0;
}

int zm_meta_copy(zm_meta *dst, zm_meta *src)
{
  if (dst->depth || src->depth)
    return zm_error_set(ZM_EINVALID, "copy: a transaction is open on one of the stores");
  int rc = zm__meta_tx_enter(src); /* a write transaction: writers wait */
  if (rc < 0)
    return rc;
  rc = zm__meta_tx_enter(dst);
  if (rc == 0) {
    rc = check_empty(dst);
    for (int t = 0; rc == 0 && t < ZM_META_TABLES; t++)
      rc = copy_table(dst, src, t);
    if (rc == 0)
      rc = compare_counts(dst, src);
    rc = zm__meta_tx_leave(dst, rc);
  }
  zm__meta_tx_leave(src, -1); /* nothing was written there */
  return rc;
}
