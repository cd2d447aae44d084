/* The cache: looking up a step's cache key and recording a hit, cheaply
 * enough that a cached re-run of a long pipeline costs a few statements
 * rather than several per step (over a socket to a server each statement is
 * a round trip: 500 cached steps took 767 ms on MariaDB against 70 ms on
 * SQLite, bench W6).
 *
 * Inside a transaction two things are held per store:
 * - the prefetched hits: when two lookups in a row are hits in executions of
 *   the same run, one query fetches, for every (class, key) that run
 *   completed, the latest completed execution with that class and key and
 *   its outputs. A cached re-run's later lookups are answered from there.
 *   No other writer can commit while the transaction holds the writers'
 *   lock, and any other statement of ours drops them, so they answer what
 *   the query would.
 * - the pending hits: zm_meta_execution_reuse reserves the execution's id
 *   (after the largest, under that same lock) and holds the row back; the
 *   rows go in with multi-row INSERTs (and one copy of their sources'
 *   metrics at the end) before any other statement on the connection (its
 *   `before` hook), when a chunk of them is waiting, and at commit. A driver
 *   that can (MariaDB's `send`) returns as soon as the INSERT is sent: the
 *   server stores the rows while the run goes on, in chunks of SEND_CHUNK so
 *   that little is left for the commit to wait for.
 * The statements of this file run with the hook off: a lookup reads only
 * completed executions, which pending hits (cached) are not, and the rows
 * written here change no prefetched hit. */
#include "core/buf.h"
#include "core/error.h"
#include "meta/meta_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 128     /* pending hits per INSERT */
#define SEND_CHUNK 32 /* per INSERT sent without waiting */
#define MAX_RUNS 16  /* runs prefetched per transaction */
#define CANDIDATES 16 /* executions a lookup tries in the database */

/* A prefetched hit, in an open-addressing table by class and key. */
typedef struct known {
  char *class_name, *cache_key;
  uint64_t hash;
  unsigned gen; /* the prefetch that found it */
  int64_t execution;
  zm_meta_output *outputs;
  size_t len, cap;
} known;

/* A cache hit waiting to be written. */
typedef struct pending {
  int64_t id, from;
  char *run_id, *step, *class_name, *source, *cache_key;
  double at;
} pending;

struct zm__meta_cache {
  known **slots;
  size_t nslots, nknown;
  char *runs[MAX_RUNS]; /* runs whose hits are prefetched */
  unsigned gen;         /* prefetches so far */
  size_t nruns;
  char *last_run;       /* the run of the last hit read from the database */
  int64_t last_hit;     /* the last hit returned: it exists (none is ever deleted) */
  pending *rows;
  size_t nrows, caprows;
  int64_t next_id; /* the next reserved execution id; 0: none reserved */
  int64_t copy_first, copy_last; /* hits written, their metrics not yet copied */
};

/* --- the prefetched hits ------------------------------------------------- */

static uint64_t hash_key(const char *class_name, const char *key)
{
  uint64_t h = 1469598103934665603u; /* FNV-1a */
  for (const char *p = class_name; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211u;
  h = (h ^ 0xff) * 1099511628211u;
  for (const char *p = key; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211u;
  return h;
}

static void known_free(known *k)
{
  if (!k)
    return;
  for (size_t i = 0; i < k->len; i++) {
    free(k->outputs[i].name);
    free(k->outputs[i].artifact);
  }
  free(k->outputs);
  free(k->class_name);
  free(k->cache_key);
  free(k);
}

static known **find_slot(struct zm__meta_cache *c, const char *class_name, const char *key,
                         uint64_t h)
{
  for (size_t i = h & (c->nslots - 1);; i = (i + 1) & (c->nslots - 1)) {
    known *k = c->slots[i];
    if (!k || (k->hash == h && strcmp(k->class_name, class_name) == 0 &&
               strcmp(k->cache_key, key) == 0))
      return &c->slots[i];
  }
}

static known *find_known(struct zm__meta_cache *c, const char *class_name, const char *key)
{
  if (!c || !c->nknown || !class_name || !key)
    return NULL;
  return *find_slot(c, class_name, key, hash_key(class_name, key));
}

/* Keep the table at most half full. */
static int grow_table(struct zm__meta_cache *c)
{
  if ((c->nknown + 1) * 2 <= c->nslots)
    return 0;
  size_t n = c->nslots ? c->nslots * 2 : 64;
  known **old = c->slots, **slots = calloc(n, sizeof *slots);
  if (!slots)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  size_t nold = c->nslots;
  c->slots = slots;
  c->nslots = n;
  for (size_t i = 0; i < nold; i++)
    if (old[i])
      *find_slot(c, old[i]->class_name, old[i]->cache_key, old[i]->hash) = old[i];
  free(old);
  return 0;
}

/* The entry of (class, key), made empty when new; NULL on out-of-memory. */
static known *known_put(struct zm__meta_cache *c, const char *class_name, const char *key)
{
  if (grow_table(c) < 0)
    return NULL;
  uint64_t h = hash_key(class_name, key);
  known **slot = find_slot(c, class_name, key, h);
  if (*slot)
    return *slot;
  known *k = calloc(1, sizeof *k);
  if (!k || !(k->class_name = strdup(class_name)) || !(k->cache_key = strdup(key))) {
    known_free(k);
    zm_error_set(ZM_ENOMEM, "out of memory");
    return NULL;
  }
  k->hash = h;
  *slot = k;
  c->nknown++;
  return k;
}

static void forget_known(struct zm__meta_cache *c)
{
  for (size_t i = 0; i < c->nslots; i++)
    known_free(c->slots[i]);
  free(c->slots);
  c->slots = NULL;
  c->nslots = c->nknown = 0;
  for (size_t i = 0; i < c->nruns; i++)
    free(c->runs[i]);
  c->nruns = 0;
}

static int add_output(known *k, zm_sql_stmt *s)
{
  int rc = zm__meta_grow((void **)&k->outputs, &k->cap, k->len, sizeof *k->outputs);
  if (rc < 0)
    return rc;
  zm_meta_output *o = &k->outputs[k->len++];
  o->name = zm__meta_col_dup(s, 3, &rc);
  o->artifact = zm__meta_col_dup(s, 4, &rc);
  return rc;
}

static int by_name(const void *a, const void *b)
{
  return strcmp(((const zm_meta_output *)a)->name, ((const zm_meta_output *)b)->name);
}

/* For every (class, key) run `run_id` completed, the latest completed
 * execution with them (by end, then id, as a lookup orders its candidates)
 * and its outputs, sorted here by name (an ORDER BY cost the server more
 * than the sort). An execution without an end is left to the database path.
 * "No later one" is an outer join that finds none: as NOT EXISTS, MariaDB ran
 * a dependent subquery per row (5.6 ms for 500 rows, against 4.0). */
static int prefetch(zm_meta *m, const char *run_id)
{
  struct zm__meta_cache *c = m->cache;
  zm_sql_stmt *s = NULL;
  int rc = zm_sql_prepare_bind(
      &s, m->c,
      "SELECT x.class, x.cache_key, x.id, e.name, e.artifact FROM executions x"
      " LEFT JOIN executions y ON y.class = x.class AND y.cache_key = x.cache_key"
      " AND y.status = 'completed' AND (y.ended > x.ended OR (y.ended = x.ended AND y.id > x.id))"
      " LEFT JOIN events e ON e.execution_id = x.id AND e.kind = 'output'"
      " WHERE x.run_id = ? AND x.status = 'completed' AND x.cache_key IS NOT NULL"
      " AND x.ended IS NOT NULL AND y.id IS NULL",
      "s", run_id);
  c->gen++;
  while (rc == 0 && (rc = s->drv->step(s)) == ZM_SQL_ROW) {
    int64_t id = s->drv->column_int64(s, 2);
    known *k = known_put(c, s->drv->column_text(s, 0), s->drv->column_text(s, 1));
    rc = k ? 0 : ZM_ENOMEM;
    if (k && k->execution == 0) {
      k->execution = id;
      k->gen = c->gen;
    }
    /* a (class, key) known already is the same execution: it is the latest */
    if (k && k->gen == c->gen && k->execution == id && s->drv->column_type(s, 3) != ZM_SQL_NULL)
      rc = add_output(k, s);
  }
  if (s)
    s->drv->finalize(s);
  if (rc < 0)
    return rc;
  for (size_t i = 0; i < c->nslots; i++)
    if (c->slots[i] && c->slots[i]->gen == c->gen && c->slots[i]->len > 1)
      qsort(c->slots[i]->outputs, c->slots[i]->len, sizeof *c->slots[i]->outputs, by_name);
  if (c->nruns < MAX_RUNS && !(c->runs[c->nruns++] = strdup(run_id)))
    return zm_error_set(ZM_ENOMEM, "out of memory");
  return 0;
}

static int prefetched(const struct zm__meta_cache *c, const char *run_id)
{
  for (size_t i = 0; i < c->nruns; i++)
    if (strcmp(c->runs[i], run_id) == 0)
      return 1;
  return c->nruns == MAX_RUNS; /* enough: no more */
}

/* A hit read from the database in execution `run_id`: the second in a row
 * from one run, the second in a transaction, fetches the rest of that run's
 * (only the second: a caller committing after every hit would fetch it
 * every time; the end of a transaction forgets the first). */
static int hit_in_run(zm_meta *m, const char *run_id)
{
  struct zm__meta_cache *c = m->cache;
  if (!run_id)
    return 0;
  if (m->depth > 0 && c->last_run && strcmp(c->last_run, run_id) == 0 &&
      !prefetched(c, run_id))
    return prefetch(m, run_id);
  free(c->last_run);
  c->last_run = strdup(run_id);
  return c->last_run ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
}

/* --- the pending hits ---------------------------------------------------- */

static void pending_clear(pending *p)
{
  free(p->run_id);
  free(p->step);
  free(p->class_name);
  free(p->source);
  free(p->cache_key);
}

static void forget_pending(struct zm__meta_cache *c)
{
  for (size_t i = 0; i < c->nrows; i++)
    pending_clear(&c->rows[i]);
  c->nrows = 0;
  c->next_id = 0;
}

#define ROW_COLS 9

static int insert_rows(zm_meta *m, const pending *rows, size_t n)
{
  zm_buf sql = ZM_BUF_INIT;
  int rc = zm_buf_puts(&sql, "INSERT INTO executions (id, run_id, step, class, source, cache_key,"
                             " status, cached_from, started, ended) VALUES ");
  for (size_t i = 0; rc == 0 && i < n; i++)
    rc = zm_buf_puts(&sql, i ? ", (?, ?, ?, ?, ?, ?, 'cached', ?, ?, ?)"
                             : "(?, ?, ?, ?, ?, ?, 'cached', ?, ?, ?)");
  zm_sql_stmt *s = NULL;
  if (rc == 0)
    rc = zm_sql_prepare(&s, m->c, sql.data);
  zm_buf_free(&sql);
  const zm_sql_driver *d = m->d;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    const pending *p = &rows[i];
    int at = (int)i * ROW_COLS;
    const char *text[] = {p->run_id, p->step, p->class_name, p->source, p->cache_key};
    rc = d->bind_int64(s, at + 1, p->id);
    for (int k = 0; rc == 0 && k < 5; k++)
      rc = text[k] ? d->bind_text(s, at + 2 + k, text[k], strlen(text[k]))
                   : d->bind_null(s, at + 2 + k);
    if (rc == 0)
      rc = d->bind_int64(s, at + 7, p->from);
    if (rc == 0)
      rc = d->bind_double(s, at + 8, p->at);
    if (rc == 0)
      rc = d->bind_double(s, at + 9, p->at);
  }
  while (rc == 0 && (rc = d->step(s)) == ZM_SQL_ROW)
    ;
  if (s)
    d->finalize(s);
  return rc < 0 ? rc : 0;
}

static size_t chunk_of(const zm_meta *m)
{
  return m->d->send && m->d->quote ? SEND_CHUNK : CHUNK;
}

/* The same INSERT as text, sent without waiting (the driver's `send`): the
 * server stores these rows while the run goes on with its next steps. */
static int send_rows(zm_meta *m, const pending *rows, size_t n)
{
  zm_buf sql = ZM_BUF_INIT;
  int rc = zm_buf_puts(&sql, "INSERT INTO executions (id, run_id, step, class, source, cache_key,"
                             " status, cached_from, started, ended) VALUES ");
  for (size_t i = 0; rc == 0 && i < n; i++) {
    const pending *p = &rows[i];
    const char *text[] = {p->run_id, p->step, p->class_name, p->source, p->cache_key};
    rc = zm_buf_printf(&sql, "%s(%lld", i ? ", " : "", (long long)p->id);
    for (int k = 0; rc == 0 && k < 5; k++)
      rc = text[k] ? (rc = zm_buf_puts(&sql, ", ")) == 0 ? m->d->quote(m->c, &sql, text[k]) : rc
                   : zm_buf_puts(&sql, ", NULL");
    if (rc == 0) /* %.17e: a floating-point literal that reads back exactly */
      rc = zm_buf_printf(&sql, ", 'cached', %lld, %.17e, %.17e)", (long long)p->from, p->at,
                         p->at);
  }
  if (rc == 0)
    rc = m->d->send(m->c, sql.data);
  zm_buf_free(&sql);
  return rc;
}

/* Write the pending hits (not their metrics: copy_metrics). The ids are
 * the reserved block: every execution in [copied, last] is one of them. */
static int flush(zm_meta *m)
{
  struct zm__meta_cache *c = m->cache;
  int rc = 0;
  size_t chunk = chunk_of(m);
  for (size_t i = 0; rc == 0 && i < c->nrows; i += chunk) {
    size_t n = c->nrows - i < chunk ? c->nrows - i : chunk;
    rc = m->d->send && m->d->quote ? send_rows(m, &c->rows[i], n)
                                   : insert_rows(m, &c->rows[i], n);
  }
  if (rc == 0 && c->nrows) {
    if (!c->copy_first)
      c->copy_first = c->rows[0].id;
    c->copy_last = c->rows[c->nrows - 1].id;
  }
  int64_t next = c->next_id;
  forget_pending(c);
  c->next_id = rc == 0 ? next : 0;
  return rc;
}

/* Copy the written hits' sources' metrics (by run and execution, the key of
 * metrics_by_run) in one statement. */
static int copy_metrics(zm_meta *m)
{
  struct zm__meta_cache *c = m->cache;
  if (!c->copy_first)
    return 0;
  char sql[400];
  snprintf(sql, sizeof sql,
           "INSERT INTO metrics (run_id, execution_id, name, value)"
           " SELECT x.run_id, x.id, s.name, s.value FROM executions x"
           " JOIN executions f ON f.id = x.cached_from"
           " JOIN metrics s ON s.run_id = f.run_id AND s.execution_id = f.id"
           " WHERE x.id >= %lld AND x.id <= %lld ORDER BY x.id, s.id",
           (long long)c->copy_first, (long long)c->copy_last);
  c->copy_first = c->copy_last = 0;
  return m->d->send ? m->d->send(m->c, sql) : zm_sql_run(m->c, sql, "");
}

/* Everything held back goes in. */
static int write_all(zm_meta *m)
{
  int rc = flush(m);
  if (rc == 0)
    rc = copy_metrics(m);
  return rc;
}

/* --- the hook and the transaction's end ---------------------------------- */

static int sync_hook(void *ctx)
{
  zm_meta *m = ctx;
  int rc = write_all(m);
  forget_known(m->cache);
  m->cache->next_id = 0; /* another statement may insert executions */
  return rc;
}

/* Statements of this file: the hook off while they run, on after while
 * something is held. */
static void hook_off(zm_meta *m)
{
  m->c->before = NULL;
}

static void hook_on(zm_meta *m)
{
  struct zm__meta_cache *c = m->cache;
  if (c && (c->nknown || c->nrows || c->next_id || c->copy_first)) {
    m->c->before = sync_hook;
    m->c->before_ctx = m;
  }
}

int zm__meta_cache_flush(zm_meta *m)
{
  if (!m->cache || (!m->cache->nrows && !m->cache->copy_first))
    return 0;
  hook_off(m);
  int rc = write_all(m);
  hook_on(m);
  return rc;
}

int zm__meta_cache_sync(zm_meta *m)
{
  if (!m->c->before)
    return 0;
  hook_off(m);
  return sync_hook(m);
}

void zm__meta_cache_end(zm_meta *m)
{
  if (!m->cache)
    return;
  hook_off(m);
  forget_pending(m->cache);
  forget_known(m->cache);
  m->cache->copy_first = m->cache->copy_last = 0;
  free(m->cache->last_run);
  m->cache->last_run = NULL;
}

void zm__meta_cache_free(zm_meta *m)
{
  zm__meta_cache_end(m);
  if (m->cache) {
    free(m->cache->rows);
    free(m->cache);
  }
  m->cache = NULL;
}

static int cache_state(zm_meta *m)
{
  if (!m->cache && !(m->cache = calloc(1, sizeof *m->cache)))
    return zm_error_set(ZM_ENOMEM, "out of memory");
  return 0;
}

/* --- lookups ------------------------------------------------------------- */

void zm_meta_cache_hit_free(zm_meta_cache_hit *h)
{
  if (!h)
    return;
  for (size_t i = 0; i < h->len; i++) {
    free(h->outputs[i].name);
    free(h->outputs[i].artifact);
  }
  free(h->outputs);
  free(h);
}

/* 1 when every output passes `exists`, 0 when one does not, <0 on error. */
static int outputs_exist(const zm_meta_cache_hit *h, zm_meta_exists_fn exists, void *ctx)
{
  for (size_t i = 0; exists && i < h->len; i++) {
    int rc = exists(ctx, h->outputs[i].artifact);
    if (rc <= 0)
      return rc;
  }
  return 1;
}

static int hit_of_known(zm_meta_cache_hit **out, const known *k)
{
  zm_meta_cache_hit *h = calloc(1, sizeof *h);
  int rc = h ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
  if (rc == 0 && k->len && !(h->outputs = calloc(k->len, sizeof *h->outputs)))
    rc = zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t i = 0; rc == 0 && i < k->len; i++, h->len++) {
    h->outputs[i].name = strdup(k->outputs[i].name);
    h->outputs[i].artifact = strdup(k->outputs[i].artifact);
    if (!h->outputs[i].name || !h->outputs[i].artifact)
      rc = zm_error_set(ZM_ENOMEM, "out of memory");
  }
  if (rc < 0) {
    zm_meta_cache_hit_free(h);
    return rc;
  }
  h->execution = k->execution;
  *out = h;
  return 0;
}

/* The candidates newest first; one whose outputs were garbage-collected is
 * skipped in favour of an older one that still has them. */
static int lookup_db(zm_meta_cache_hit **out, char **out_run, zm_meta *m, const char *class_name,
                     const char *cache_key, zm_meta_exists_fn exists, void *ctx)
{
  zm_sql_stmt *s = NULL;
  int64_t ids[CANDIDATES];
  char *runs[CANDIDATES];
  size_t n = 0;
  int rc = zm_sql_prepare_bind(&s, m->c,
                               "SELECT id, run_id FROM executions WHERE class = ? AND cache_key = ?"
                               " AND status = 'completed' ORDER BY ended DESC, id DESC LIMIT 16",
                               "ss", class_name, cache_key);
  while (rc == 0 && n < CANDIDATES && (rc = s->drv->step(s)) == ZM_SQL_ROW) {
    rc = 0;
    ids[n] = s->drv->column_int64(s, 0);
    runs[n] = zm__meta_col_dup(s, 1, &rc);
    n++;
  }
  if (s)
    s->drv->finalize(s);
  rc = rc < 0 ? rc : 0;
  for (size_t i = 0; rc == 0 && i < n && !*out; i++) {
    zm_meta_cache_hit *h = NULL;
    rc = zm_meta_outputs(&h, m, ids[i]);
    int ok = rc == 0 ? outputs_exist(h, exists, ctx) : rc;
    if (ok == 1) {
      *out = h;
      *out_run = runs[i];
      runs[i] = NULL;
    } else {
      zm_meta_cache_hit_free(h);
    }
    rc = ok < 0 ? ok : 0;
  }
  for (size_t i = 0; i < n; i++)
    free(runs[i]);
  return rc;
}

int zm_meta_cache_lookup(zm_meta_cache_hit **out, zm_meta *m, const char *class_name,
                         const char *cache_key, zm_meta_exists_fn exists, void *ctx)
{
  *out = NULL;
  int rc = cache_state(m);
  if (rc < 0)
    return rc;
  hook_off(m);
  known *k = find_known(m->cache, class_name, cache_key);
  if (k) {
    rc = hit_of_known(out, k);
    int ok = rc == 0 ? outputs_exist(*out, exists, ctx) : rc;
    if (ok != 1) {
      zm_meta_cache_hit_free(*out);
      *out = NULL;
    }
    rc = ok < 0 ? ok : 0;
  }
  char *run = NULL;
  if (rc == 0 && !*out) {
    rc = lookup_db(out, &run, m, class_name, cache_key, exists, ctx);
    if (rc == 0 && *out)
      rc = hit_in_run(m, run);
  }
  free(run);
  if (rc == 0 && *out)
    m->cache->last_hit = (*out)->execution;
  hook_on(m);
  if (rc < 0) {
    zm_meta_cache_hit_free(*out);
    *out = NULL;
    return rc;
  }
  if (!*out)
    return zm_error_set(ZM_ENOTFOUND, "no cached execution for key %s", cache_key);
  return 0;
}

/* --- recording a hit ----------------------------------------------------- */

/* `from` must exist; the last hit returned does. */
static int check_from(zm_meta *m, int64_t from)
{
  if (from != 0 && from == m->cache->last_hit)
    return 0;
  zm_sql_stmt *s = NULL;
  int rc = zm_sql_prepare_bind(&s, m->c, "SELECT 1 FROM executions WHERE id = ?", "i", from);
  if (rc < 0)
    return rc;
  rc = s->drv->step(s);
  s->drv->finalize(s);
  if (rc == ZM_SQL_DONE)
    return zm_error_set(ZM_ENOTFOUND, "no execution with id %lld", (long long)from);
  return rc < 0 ? rc : 0;
}

/* The next execution id: after the largest, which stays the largest while
 * the transaction holds the writers' lock and no other statement of ours
 * inserts one (the hook forgets the reservation). No execution is ever
 * deleted, so no id comes back. */
static int reserve_id(int64_t *out, zm_meta *m)
{
  struct zm__meta_cache *c = m->cache;
  if (c->next_id == 0) {
    zm_sql_stmt *s = NULL;
    int rc = zm_sql_prepare_bind(&s, m->c, "SELECT max(id) FROM executions", "");
    if (rc < 0)
      return rc;
    rc = s->drv->step(s);
    int64_t max = rc == ZM_SQL_ROW ? s->drv->column_int64(s, 0) : 0;
    s->drv->finalize(s);
    if (rc < 0)
      return rc;
    c->next_id = max + 1;
  }
  *out = c->next_id++;
  return 0;
}

static char *dup_or_null(const char *s, int *rc)
{
  char *d = s ? strdup(s) : NULL;
  if (s && !d)
    *rc = zm_error_set(ZM_ENOMEM, "out of memory");
  return d;
}

static int queue_reuse(int64_t *out_id, zm_meta *m, const zm_meta_reuse *r)
{
  struct zm__meta_cache *c = m->cache;
  int rc = check_from(m, r->from);
  if (rc == 0)
    rc = zm__meta_grow((void **)&c->rows, &c->caprows, c->nrows, sizeof *c->rows);
  if (rc < 0)
    return rc;
  pending *p = &c->rows[c->nrows];
  memset(p, 0, sizeof *p);
  p->run_id = dup_or_null(r->run_id, &rc);
  p->step = dup_or_null(r->step, &rc);
  p->class_name = dup_or_null(r->class_name, &rc);
  p->source = dup_or_null(r->source, &rc);
  p->cache_key = dup_or_null(r->cache_key, &rc);
  if (rc == 0 && (!r->run_id || !r->step || !r->class_name))
    rc = zm_error_set(ZM_EINVALID, "a cached execution needs a run, a step and a class");
  if (rc == 0)
    rc = reserve_id(&p->id, m);
  if (rc < 0) {
    pending_clear(p);
    return rc;
  }
  p->from = r->from;
  p->at = zm__meta_now();
  c->nrows++;
  *out_id = p->id;
  return c->nrows >= chunk_of(m) ? flush(m) : 0;
}

int zm_meta_execution_reuse(int64_t *out_id, zm_meta *m, const zm_meta_reuse *r)
{
  int64_t id = 0;
  int rc = cache_state(m);
  if (rc < 0)
    return rc;
  ZM__META_TX(m, rc) {
    id = 0;
    hook_off(m);
    rc = queue_reuse(&id, m, r);
    hook_on(m);
  }
  if (rc == 0)
    *out_id = id;
  return rc;
}
