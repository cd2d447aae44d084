/* Runs, step executions and crash recovery (the cache: meta_cache.c). */
#include "core/error.h"
#include "meta/meta_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int status_col(zm_meta_status *out, zm_sql_stmt *s, int col)
{
  const char *name = s->drv->column_text(s, col);
  if (zm_meta_status_parse(out, name) == 0)
    return 0;
  return zm_error_wrap(ZM_EINVALID, "corrupt metadata");
}

static void hostname(char *out, size_t cap)
{
  out[0] = '\0';
  if (gethostname(out, cap - 1) != 0)
    out[0] = '\0';
  out[cap - 1] = '\0';
}

/* --- runs ---------------------------------------------------------------- */

int zm_meta_run_begin(zm_meta *m, const zm_meta_run *r)
{
  char host[256];
  hostname(host, sizeof host);
  int rc = 0;
  ZM__META_TX(m, rc) {
    rc = zm_sql_run(
        m->c,
        "INSERT INTO runs (id, pipeline_id, yaml_path, yaml_hash, git_commit, git_branch,"
        " git_dirty, status, started, backend, host, pid)"
        " SELECT ?, id, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ? FROM pipelines"
        " WHERE name = ? AND version = ?",
        "sssssidssisi", r->id, r->yaml_path, r->yaml_hash, r->git_commit, r->git_branch,
        (int64_t)(r->git_dirty != 0), r->started > 0 ? r->started : zm__meta_now(), r->backend,
        r->host ? r->host : host, r->pid ? r->pid : (int64_t)getpid(), r->pipeline,
        r->pipeline_version);
    zm_meta_run *check = NULL;
    if (rc == 0 && zm_meta_run_get(&check, m, r->id) == ZM_ENOTFOUND)
      rc = zm_error_set(ZM_ENOTFOUND, "no pipeline '%s' version %lld", r->pipeline ? r->pipeline : "",
                        (long long)r->pipeline_version);
    zm_meta_run_free(check);
    if (rc == ZM_EEXISTS)
      rc = zm_error_set(ZM_EEXISTS, "a run with id '%s' exists already", r->id);
  }
  return rc;
}

int zm_meta_run_finish(zm_meta *m, const char *run_id, zm_meta_status status)
{
  int rc = 0;
  ZM__META_TX(m, rc) {
    zm_meta_run *check = NULL;
    rc = zm_meta_run_get(&check, m, run_id);
    zm_meta_run_free(check);
    if (rc == 0)
      rc = zm_sql_run(m->c, "UPDATE runs SET status = ?, ended = ? WHERE id = ?", "sds",
                      zm_meta_status_name(status), zm__meta_now(), run_id);
  }
  return rc;
}

int zm_meta_run_detach(zm_meta *m, const char *run_id)
{
  int rc = 0;
  ZM__META_TX(m, rc) {
    zm_meta_run *check = NULL;
    rc = zm_meta_run_get(&check, m, run_id);
    zm_meta_run_free(check);
    if (rc == 0)
      rc = zm_sql_run(m->c, "UPDATE runs SET pid = -1 WHERE id = ?", "s", run_id);
  }
  return rc;
}

#define RUN_COLS ZM__META_RUN_COLS ZM__META_RUN_FROM

void zm__meta_run_clear(zm_meta_run *r)
{
  free(r->id);
  free(r->pipeline);
  free(r->yaml_path);
  free(r->yaml_hash);
  free(r->git_commit);
  free(r->git_branch);
  free(r->backend);
  free(r->host);
}

void zm_meta_run_free(zm_meta_run *r)
{
  if (r)
    zm__meta_run_clear(r);
  free(r);
}

void zm_meta_runs_free(zm_meta_runs *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < l->len; i++)
    zm__meta_run_clear(&l->items[i]);
  free(l->items);
  free(l);
}

int zm__meta_run_row(zm_meta_run *r, zm_sql_stmt *s)
{
  const zm_sql_driver *d = s->drv;
  int rc = 0;
  r->id = zm__meta_col_dup(s, 0, &rc);
  r->pipeline = zm__meta_col_dup(s, 1, &rc);
  r->pipeline_version = d->column_int64(s, 2);
  r->yaml_path = zm__meta_col_dup(s, 3, &rc);
  r->yaml_hash = zm__meta_col_dup(s, 4, &rc);
  r->git_commit = zm__meta_col_dup(s, 5, &rc);
  r->git_branch = zm__meta_col_dup(s, 6, &rc);
  r->git_dirty = (int)d->column_int64(s, 7);
  if (rc == 0)
    rc = status_col(&r->status, s, 8);
  r->started = d->column_double(s, 9);
  r->ended = d->column_double(s, 10);
  r->backend = zm__meta_col_dup(s, 11, &rc);
  r->host = zm__meta_col_dup(s, 12, &rc);
  r->pid = d->column_int64(s, 13);
  return rc;
}

/* Step through `s` collecting runs; finalizes `s`. */
static int collect_runs(zm_meta_runs **out, zm_sql_stmt *s)
{
  zm_meta_runs *l = calloc(1, sizeof *l);
  size_t cap = 0;
  int rc = l ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
  while (rc == 0 && (rc = s->drv->step(s)) == ZM_SQL_ROW) {
    rc = zm__meta_grow((void **)&l->items, &cap, l->len, sizeof *l->items);
    if (rc == 0)
      rc = zm__meta_run_row(&l->items[l->len++], s);
  }
  s->drv->finalize(s);
  if (rc < 0) {
    zm_meta_runs_free(l);
    return rc;
  }
  *out = l;
  return 0;
}

int zm_meta_run_get(zm_meta_run **out, zm_meta *m, const char *run_id)
{
  zm_sql_stmt *s = NULL;
  zm_meta_runs *l = NULL;
  *out = NULL;
  int rc = zm_sql_prepare_bind(&s, m->c, RUN_COLS " WHERE r.id = ?", "s", run_id);
  if (rc == 0)
    rc = collect_runs(&l, s);
  if (rc < 0)
    return rc;
  if (l->len == 0) {
    zm_meta_runs_free(l);
    return zm_error_set(ZM_ENOTFOUND, "no run with id '%s'", run_id);
  }
  zm_meta_run *r = malloc(sizeof *r);
  if (r) {
    *r = l->items[0];
    l->len = 0;
  }
  zm_meta_runs_free(l);
  if (!r)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  *out = r;
  return 0;
}

/* Only the filters given are in the statement: "? IS NULL OR ..." would
 * keep the databases from using runs_by_status and from starting at the
 * pipeline. */
int zm_meta_run_list(zm_meta_runs **out, zm_meta *m, const zm_meta_run_filter *f)
{
  zm_meta_run_filter all = {NULL, -1, 0};
  if (!f)
    f = &all;
  zm_sql_stmt *s = NULL;
  *out = NULL;
  const char *status = f->status >= 0 ? zm_meta_status_name((zm_meta_status)f->status) : NULL;
  const char *sql[] = {
      RUN_COLS " ORDER BY " ZM__META_RUN_ORDER " LIMIT ?",
      RUN_COLS " WHERE p.name = ? ORDER BY " ZM__META_RUN_ORDER " LIMIT ?",
      RUN_COLS " WHERE r.status = ? ORDER BY " ZM__META_RUN_ORDER " LIMIT ?",
      RUN_COLS " WHERE p.name = ? AND r.status = ? ORDER BY " ZM__META_RUN_ORDER " LIMIT ?",
  };
  int64_t limit = f->limit > 0 ? (int64_t)f->limit : INT64_MAX;
  int rc;
  if (f->pipeline && status)
    rc = zm_sql_prepare_bind(&s, m->c, sql[3], "ssi", f->pipeline, status, limit);
  else if (status)
    rc = zm_sql_prepare_bind(&s, m->c, sql[2], "si", status, limit);
  else if (f->pipeline)
    rc = zm_sql_prepare_bind(&s, m->c, sql[1], "si", f->pipeline, limit);
  else
    rc = zm_sql_prepare_bind(&s, m->c, sql[0], "i", limit);
  return rc < 0 ? rc : collect_runs(out, s);
}

/* --- crash recovery ------------------------------------------------------ */

/* A killed process whose parent has not reaped it yet is a zombie: it still
 * answers kill(pid, 0) but will never finish its run. */
static int is_zombie(int64_t pid)
{
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%lld/stat", (long long)pid);
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  const char *paren = strrchr(buf, ')');
  return paren && paren[1] == ' ' && paren[2] == 'Z';
}

static int pid_dead(int64_t pid)
{
  if (pid <= 0 || pid == (int64_t)getpid())
    return 0;
  if (kill((pid_t)pid, 0) != 0)
    return errno == ESRCH;
  return is_zombie(pid);
}

static int fail_run(zm_meta *m, const zm_meta_run *r)
{
  double now = zm__meta_now();
  char why[128];
  snprintf(why, sizeof why, "the run's process (pid %lld) died", (long long)r->pid);
  int rc = zm_sql_run(m->c,
                      "UPDATE executions SET status = 'failed', ended = ?, error = ?"
                      " WHERE run_id = ? AND status = 'running'",
                      "dss", now, why, r->id);
  if (rc == 0)
    rc = zm_sql_run(m->c, "UPDATE runs SET status = 'failed', ended = ? WHERE id = ?", "ds",
                    now, r->id);
  return rc;
}

/* 1 when a run still `running` on `host` belongs to a process that is gone
 * (read outside a transaction), 0 if none does, <0 on error. */
static int any_dead(zm_meta *m, const char *host)
{
  zm_sql_stmt *s = NULL;
  int rc = zm_sql_prepare_bind(&s, m->c, "SELECT r.pid" ZM__META_RUN_FROM
                               " WHERE r.status = 'running' AND r.host = ?", "s", host);
  int dead = 0;
  while (rc == 0 && !dead && (rc = s->drv->step(s)) == ZM_SQL_ROW) {
    rc = 0;
    dead = pid_dead(s->drv->column_int64(s, 0));
  }
  if (s)
    s->drv->finalize(s);
  return rc < 0 ? rc : dead;
}

/* Every command recovers: a read first, and the writers' lock only when a
 * run is to be marked (taking it every time cost every command five round
 * trips on a server, and queued it behind any writer). */
int zm_meta_recover(int *out_count, zm_meta *m)
{
  if (out_count)
    *out_count = 0;
  if (zm_meta_read_only(m))
    return 0; /* marking dead runs failed is left to the next writer */
  char host[256];
  hostname(host, sizeof host);
  zm_sql_stmt *s = NULL;
  zm_meta_runs *l = NULL;
  int count = 0;
  int rc = m->depth == 0 ? any_dead(m, host) : 1;
  if (rc <= 0)
    return rc;
  rc = 0;
  ZM__META_TX(m, rc) {
    s = NULL;
    l = NULL;
    count = 0;
    rc = zm_sql_prepare_bind(&s, m->c, RUN_COLS " WHERE r.status = 'running' AND r.host = ?", "s",
                             host);
    if (rc == 0)
      rc = collect_runs(&l, s);
    for (size_t i = 0; rc == 0 && i < l->len; i++)
      if (pid_dead(l->items[i].pid)) {
        rc = fail_run(m, &l->items[i]);
        count++;
      }
    zm_meta_runs_free(l);
  }
  if (rc == 0 && out_count)
    *out_count = count;
  return rc;
}

/* --- executions ---------------------------------------------------------- */

int zm_meta_execution_begin(int64_t *out_id, zm_meta *m, const char *run_id, const char *step,
                            const char *class_name, const char *source, const char *cache_key)
{
  int rc = 0;
  int64_t id = 0;
  ZM__META_TX(m, rc) {
    rc = zm_sql_run(m->c,
                    "INSERT INTO executions (run_id, step, class, source, cache_key, status, started)"
                    " VALUES (?, ?, ?, ?, ?, 'running', ?)",
                    "sssssd", run_id, step, class_name, source, cache_key, zm__meta_now());
    id = m->d->last_insert_id(m->c);
  }
  if (rc == 0)
    *out_id = id;
  return rc;
}

static int execution_exists(zm_meta *m, int64_t id)
{
  zm_sql_stmt *s = NULL;
  int rc = zm_sql_prepare_bind(&s, m->c, "SELECT 1 FROM executions WHERE id = ?", "i", id);
  if (rc < 0)
    return rc;
  rc = s->drv->step(s);
  s->drv->finalize(s);
  if (rc == ZM_SQL_DONE)
    return zm_error_set(ZM_ENOTFOUND, "no execution with id %lld", (long long)id);
  return rc < 0 ? rc : 0;
}

int zm_meta_execution_finish(zm_meta *m, int64_t id, zm_meta_status status, const char *error,
                             const char *log_artifact)
{
  int rc = 0;
  ZM__META_TX(m, rc) {
    rc = execution_exists(m, id);
    if (rc == 0)
      rc = zm_sql_run(m->c,
                      "UPDATE executions SET status = ?, ended = ?, error = ?, log_artifact = ?"
                      " WHERE id = ?",
                      "sdssi", zm_meta_status_name(status), zm__meta_now(), error, log_artifact, id);
  }
  return rc;
}

#define EXECUTION_COLS                                                                   \
  "SELECT id, run_id, step, class, source, cache_key, status, cached_from, started, ended," \
  " error, log_artifact FROM executions"

static void execution_clear(zm_meta_execution *e)
{
  free(e->run_id);
  free(e->step);
  free(e->class_name);
  free(e->source);
  free(e->cache_key);
  free(e->error);
  free(e->log_artifact);
}

void zm_meta_execution_free(zm_meta_execution *e)
{
  if (e)
    execution_clear(e);
  free(e);
}

void zm_meta_executions_free(zm_meta_executions *l)
{
  if (!l)
    return;
  for (size_t i = 0; i < l->len; i++)
    execution_clear(&l->items[i]);
  free(l->items);
  free(l);
}

static int execution_row(zm_meta_execution *e, zm_sql_stmt *s)
{
  const zm_sql_driver *d = s->drv;
  int rc = 0;
  e->id = d->column_int64(s, 0);
  e->run_id = zm__meta_col_dup(s, 1, &rc);
  e->step = zm__meta_col_dup(s, 2, &rc);
  e->class_name = zm__meta_col_dup(s, 3, &rc);
  e->source = zm__meta_col_dup(s, 4, &rc);
  e->cache_key = zm__meta_col_dup(s, 5, &rc);
  if (rc == 0)
    rc = status_col(&e->status, s, 6);
  e->cached_from = d->column_int64(s, 7);
  e->started = d->column_double(s, 8);
  e->ended = d->column_double(s, 9);
  e->error = zm__meta_col_dup(s, 10, &rc);
  e->log_artifact = zm__meta_col_dup(s, 11, &rc);
  return rc;
}

static int collect_executions(zm_meta_executions **out, zm_sql_stmt *s)
{
  zm_meta_executions *l = calloc(1, sizeof *l);
  size_t cap = 0;
  int rc = l ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
  while (rc == 0 && (rc = s->drv->step(s)) == ZM_SQL_ROW) {
    rc = zm__meta_grow((void **)&l->items, &cap, l->len, sizeof *l->items);
    if (rc == 0)
      rc = execution_row(&l->items[l->len++], s);
  }
  s->drv->finalize(s);
  if (rc < 0) {
    zm_meta_executions_free(l);
    return rc;
  }
  *out = l;
  return 0;
}

int zm_meta_execution_get(zm_meta_execution **out, zm_meta *m, int64_t id)
{
  zm_sql_stmt *s = NULL;
  zm_meta_executions *l = NULL;
  *out = NULL;
  int rc = zm_sql_prepare_bind(&s, m->c, EXECUTION_COLS " WHERE id = ?", "i", id);
  if (rc == 0)
    rc = collect_executions(&l, s);
  if (rc < 0)
    return rc;
  if (l->len == 0) {
    zm_meta_executions_free(l);
    return zm_error_set(ZM_ENOTFOUND, "no execution with id %lld", (long long)id);
  }
  zm_meta_execution *e = malloc(sizeof *e);
  if (e) {
    *e = l->items[0];
    l->len = 0;
  }
  zm_meta_executions_free(l);
  if (!e)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  *out = e;
  return 0;
}

int zm_meta_execution_list(zm_meta_executions **out, zm_meta *m, const char *run_id)
{
  zm_sql_stmt *s = NULL;
  *out = NULL;
  int rc = zm_sql_prepare_bind(&s, m->c, EXECUTION_COLS " WHERE run_id = ? ORDER BY id", "s",
                               run_id);
  return rc < 0 ? rc : collect_executions(out, s);
}
