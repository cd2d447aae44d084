/* Run summaries for listings and comparisons (step counts and chosen
 * metrics, filtered and sorted by the database, so a listing of a store with
 * many runs reads only the rows it prints) and the artifacts of a run's
 * steps. The SQL is the common subset of the dialects. */
#include "core/buf.h"
#include "core/error.h"
#include "meta/meta_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const cmp_ops[] = {">", ">=", "<", "<=", "=", "!="};

int zm_meta_cmp_parse(zm_meta_cmp *out, const char *op)
{
  if (op && strcmp(op, "==") == 0)
    op = "=";
  for (size_t i = 0; op && i < sizeof cmp_ops / sizeof *cmp_ops; i++)
    if (strcmp(op, cmp_ops[i]) == 0) {
      *out = (zm_meta_cmp)i;
      return 0;
    }
  return zm_error_set(ZM_EINVALID, "unknown comparison '%s': expected >, >=, <, <=, = or !=",
                      op ? op : "");
}

/* A run's value of one metric: a step's (the latest execution's) before a
 * run-level one, as zm_meta_metric_list's last row of a name. */
#define METRIC_OF_RUN \
  "(SELECT value FROM metrics WHERE run_id = r.id AND name = ? ORDER BY execution_id DESC LIMIT 1)"

/* `nullable`: the column may be NULL, so the order needs "IS NULL" first
 * (which a NOT NULL column does without, keeping its index usable: the
 * default listing reads only the rows it returns). */
static const struct {
  const char *name, *sql;
  int nullable;
} sort_cols[] = {
    {"id", "r.id", 0},
    {"pipeline", "p.name", 0},
    {"version", "p.version", 0},
    {"status", "r.status", 0},
    {"started", "r.started", 0},
    {"ended", "r.ended", 1},
    {"seconds", "(r.ended - r.started)", 1},
    {"steps", "(SELECT count(*) FROM executions x WHERE x.run_id = r.id)", 0},
    {"cached", "(SELECT count(*) FROM executions x WHERE x.run_id = r.id AND x.status = 'cached')", 0},
    {"git", "r.git_commit", 1},
    {"backend", "r.backend", 1},
};

/* Parameters in the order their `?` appear in the statement text. */
typedef struct binds {
  struct {
    char type; /* 's', 'd' or 'i' */
    const char *s;
    double d;
    int64_t i;
  } items[64];
  int n;
} binds;

static int bind_add(binds *b, char type, const char *s, double d, int64_t i)
{
  if (b->n == (int)(sizeof b->items / sizeof *b->items))
    return zm_error_set(ZM_EINVALID, "too many metric columns and conditions (at most 60)");
  b->items[b->n].type = type;
  b->items[b->n].s = s;
  b->items[b->n].d = d;
  b->items[b->n].i = i;
  b->n++;
  return 0;
}

static int bind_all(zm_sql_stmt *s, const binds *b)
{
  int rc = 0;
  for (int k = 0; k < b->n && rc == 0; k++) {
    if (b->items[k].type == 's')
      rc = s->drv->bind_text(s, k + 1, b->items[k].s, strlen(b->items[k].s));
    else if (b->items[k].type == 'd')
      rc = s->drv->bind_double(s, k + 1, b->items[k].d);
    else
      rc = s->drv->bind_int64(s, k + 1, b->items[k].i);
  }
  return rc;
}

static int add_where(zm_buf *sql, binds *b, const zm_meta_summary_query *q)
{
  int rc = zm_buf_puts(sql, " WHERE 1 = 1");
  if (rc == 0 && q->pipeline && (rc = zm_buf_puts(sql, " AND p.name = ?")) == 0)
    rc = bind_add(b, 's', q->pipeline, 0, 0);
  if (rc == 0 && q->status >= 0 && (rc = zm_buf_puts(sql, " AND r.status = ?")) == 0)
    rc = bind_add(b, 's', zm_meta_status_name((zm_meta_status)q->status), 0, 0);
  if (rc == 0 && q->since > 0 && (rc = zm_buf_puts(sql, " AND r.started >= ?")) == 0)
    rc = bind_add(b, 'd', NULL, q->since, 0);
  if (rc == 0 && q->until > 0 && (rc = zm_buf_puts(sql, " AND r.started < ?")) == 0)
    rc = bind_add(b, 'd', NULL, q->until, 0);
  for (size_t k = 0; rc == 0 && k < q->n_where; k++) {
    const zm_meta_metric_cond *c = &q->where[k];
    if ((unsigned)c->op >= sizeof cmp_ops / sizeof *cmp_ops)
      return zm_error_set(ZM_EINVALID, "unknown comparison %d", (int)c->op);
    rc = zm_buf_printf(sql, " AND " METRIC_OF_RUN " %s ?", cmp_ops[c->op]);
    if (rc == 0)
      rc = bind_add(b, 's', c->name, 0, 0);
    if (rc == 0)
      rc = bind_add(b, 'd', NULL, c->value, 0);
  }
  return rc;
}

static int add_order(zm_buf *sql, binds *b, const zm_meta_summary_query *q)
{
  const char *expr = NULL;
  int nullable = 1;
  if (q->sort && q->sort_metric) {
    expr = METRIC_OF_RUN;
  } else {
    const char *name = q->sort ? q->sort : "started";
    for (size_t k = 0; !expr && k < sizeof sort_cols / sizeof *sort_cols; k++)
      if (strcmp(name, sort_cols[k].name) == 0)
        expr = sort_cols[k].sql, nullable = sort_cols[k].nullable;
    if (!expr)
      return zm_error_set(ZM_EINVALID, "cannot sort runs by '%s'", name);
  }
  /* runs without the value last in both directions; ties newest first */
  const char *dir = (q->sort ? q->descending : 1) ? "DESC" : "ASC";
  int rc = nullable ? zm_buf_printf(sql, " ORDER BY %s IS NULL, %s %s", expr, expr, dir)
                    : zm_buf_printf(sql, " ORDER BY %s %s", expr, dir);
  if (rc == 0)
    rc = zm_buf_puts(sql, ", " ZM__META_RUN_ORDER);
  if (rc == 0 && q->sort && q->sort_metric) {
    rc = bind_add(b, 's', q->sort, 0, 0);
    if (rc == 0)
      rc = bind_add(b, 's', q->sort, 0, 0);
  }
  return rc;
}

/* The page of runs first (their ids, filtered, sorted and limited), then
 * their columns, step counts and metrics: the databases compute the
 * select list's subqueries before sorting when they sort through a
 * temporary table (MariaDB does for a join), which would count the steps
 * of every matching run, not of the printed ones. The page's order is
 * applied again to the page. */
static int build_query(zm_buf *sql, binds *b, const zm_meta_summary_query *q)
{
  int rc = zm_buf_puts(sql, ZM__META_RUN_COLS ", " "(SELECT count(*) FROM executions x"
                            " WHERE x.run_id = r.id), (SELECT count(*) FROM executions x"
                            " WHERE x.run_id = r.id AND x.status = 'cached')");
  for (size_t k = 0; rc == 0 && k < q->n_metrics; k++) {
    rc = zm_buf_puts(sql, ", " METRIC_OF_RUN);
    if (rc == 0)
      rc = bind_add(b, 's', q->metrics[k], 0, 0);
  }
  if (rc == 0)
    rc = zm_buf_puts(sql, " FROM (SELECT r.id AS id" ZM__META_RUN_FROM);
  if (rc == 0)
    rc = add_where(sql, b, q);
  if (rc == 0)
    rc = add_order(sql, b, q);
  if (rc == 0 && (rc = zm_buf_puts(sql, " LIMIT ?) page JOIN runs r ON r.id = page.id"
                                        " LEFT JOIN pipelines p ON p.id = r.pipeline_id")) == 0)
    rc = bind_add(b, 'i', NULL, 0, q->limit > 0 ? (int64_t)q->limit : INT64_MAX);
  if (rc == 0)
    rc = add_order(sql, b, q);
  return rc;
}

static void summary_clear(zm_meta_summary *x)
{
  zm__meta_run_clear(&x->run);
  free(x->values);
  free(x->has);
}

void zm_meta_summaries_free(zm_meta_summaries *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < l->len; i++)
    summary_clear(&l->items[i]);
  free(l->items);
  free(l);
}

static int summary_row(zm_meta_summary *x, zm_sql_stmt *s, size_t n_metrics)
{
  int rc = zm__meta_run_row(&x->run, s);
  x->steps = s->drv->column_int64(s, 14);
  x->cached = s->drv->column_int64(s, 15);
  x->values = calloc(n_metrics ? n_metrics : 1, sizeof *x->values);
  x->has = calloc(n_metrics ? n_metrics : 1, 1);
  if (!x->values || !x->has)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t k = 0; k < n_metrics; k++) {
    int col = 16 + (int)k;
    x->has[k] = s->drv->column_type(s, col) != ZM_SQL_NULL;
    x->values[k] = x->has[k] ? s->drv->column_double(s, col) : 0;
  }
  return rc;
}

static int collect_summaries(zm_meta_summaries *l, zm_sql_stmt *s)
{
  size_t cap = 0;
  int rc;
  while ((rc = s->drv->step(s)) == ZM_SQL_ROW) {
    rc = zm__meta_grow((void **)&l->items, &cap, l->len, sizeof *l->items);
    if (rc == 0)
      rc = summary_row(&l->items[l->len++], s, l->n_metrics);
    if (rc < 0)
      return rc;
  }
  return rc < 0 ? rc : 0;
}

int zm_meta_run_summaries(zm_meta_summaries **out, zm_meta *m, const zm_meta_summary_query *q)
{
  zm_meta_summary_query all = {.status = -1};
  zm_buf sql = {0};
  binds *b = calloc(1, sizeof *b);
  zm_meta_summaries *l = calloc(1, sizeof *l);
  zm_sql_stmt *s = NULL;
  *out = NULL;
  if (!q)
    q = &all;
  int rc = b && l ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
  if (rc < 0)
    goto done;
  l->n_metrics = q->n_metrics;
  rc = build_query(&sql, b, q);
  if (rc == 0)
    rc = zm_sql_prepare(&s, m->c, sql.data);
  if (rc == 0)
    rc = bind_all(s, b);
  if (rc == 0)
    rc = collect_summaries(l, s);
done:
  if (s)
    s->drv->finalize(s);
  zm_buf_free(&sql);
  free(b);
  if (rc < 0) {
    zm_meta_summaries_free(l);
    return rc;
  }
  *out = l;
  return 0;
}

/* The ids that begin with `prefix` lie in [prefix, prefix with its last byte
 * raised by one) in byte order (both drivers compare ids byte for byte): a
 * range of the primary key rather than a test of every run (28 ms at
 * 100,000 runs, bench W6). Without an ASCII last byte to raise, every id is
 * tested. */
int zm_meta_run_ids_with_prefix(zm_meta_strings **out, zm_meta *m, const char *prefix, int limit)
{
  zm_sql_stmt *s = NULL;
  *out = NULL;
  size_t n = strlen(prefix);
  int64_t lim = limit > 0 ? (int64_t)limit : INT64_MAX;
  int rc;
  if (n > 0 && (unsigned char)prefix[n - 1] < 0x7f) {
    char *upper = strdup(prefix);
    if (!upper)
      return zm_error_set(ZM_ENOMEM, "out of memory");
    upper[n - 1]++;
    rc = zm_sql_prepare_bind(&s, m->c,
                             "SELECT id FROM runs WHERE id >= ? AND id < ?"
                             " AND substr(id, 1, length(?)) = ? ORDER BY started DESC, id DESC"
                             " LIMIT ?",
                             "ssssi", prefix, upper, prefix, prefix, lim);
    free(upper);
  } else {
    rc = zm_sql_prepare_bind(&s, m->c,
                             "SELECT id FROM runs WHERE substr(id, 1, length(?)) = ?"
                             " ORDER BY started DESC, id DESC LIMIT ?",
                             "ssi", prefix, prefix, lim);
  }
  return rc < 0 ? rc : zm__meta_collect_strings(out, s);
}

/* --- the artifacts of a run's steps -------------------------------------- */

void zm_meta_step_artifacts_free(zm_meta_step_artifacts *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < l->len; i++) {
    free(l->items[i].step);
    free(l->items[i].name);
    free(l->items[i].artifact);
    free(l->items[i].type);
  }
  free(l->items);
  free(l);
}

static int step_artifact_row(zm_meta_step_artifact *a, zm_sql_stmt *s)
{
  int rc = 0;
  a->step = zm__meta_col_dup(s, 0, &rc);
  a->execution = s->drv->column_int64(s, 1);
  const char *kind = s->drv->column_text(s, 2);
  a->kind = kind && strcmp(kind, "input") == 0 ? ZM_META_INPUT : ZM_META_OUTPUT;
  a->name = zm__meta_col_dup(s, 3, &rc);
  a->artifact = zm__meta_col_dup(s, 4, &rc);
  a->type = zm__meta_col_dup(s, 5, &rc);
  a->size = s->drv->column_int64(s, 6);
  return rc;
}

int zm_meta_run_artifacts(zm_meta_step_artifacts **out, zm_meta *m, const char *run_id)
{
  zm_sql_stmt *s = NULL;
  *out = NULL;
  int rc = zm_sql_prepare_bind(
      &s, m->c,
      "SELECT x.step, x.id, e.kind, e.name, a.id, a.type, a.size FROM executions x"
      " JOIN events e ON e.execution_id = COALESCE(x.cached_from, x.id)"
      " JOIN artifacts a ON a.id = e.artifact"
      " WHERE x.run_id = ? ORDER BY x.id, e.kind, e.name",
      "s", run_id);
  if (rc < 0)
    return rc;
  zm_meta_step_artifacts *l = calloc(1, sizeof *l);
  size_t cap = 0;
  rc = l ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
  while (rc == 0 && (rc = s->drv->step(s)) == ZM_SQL_ROW) {
    rc = zm__meta_grow((void **)&l->items, &cap, l->len, sizeof *l->items);
    if (rc == 0)
      rc = step_artifact_row(&l->items[l->len++], s);
  }
  s->drv->finalize(s);
  if (rc < 0) {
    zm_meta_step_artifacts_free(l);
    return rc;
  }
  *out = l;
  return 0;
}
