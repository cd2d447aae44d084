/* What the files of the metadata store share; not part of its public face. */
#ifndef ZM_META_INTERNAL_H
#define ZM_META_INTERNAL_H

#include "meta/meta.h"

/* Statements whose text comes from the driver (dialect-specific), built once
 * per connection. */
enum {
  SQL_ARTIFACT_IGNORE,
  SQL_DSVERSION_IGNORE,
  SQL_EVENT_IGNORE,
  SQL_PROPERTY_UPSERT,
  SQL_STAT_UPSERT,
  SQL_COUNT
};

struct zm__meta_cache; /* meta_cache.c */

struct zm_meta {
  zm_sql_conn *c;
  const zm_sql_driver *d;
  int depth; /* nesting of zm_meta_begin; the real transaction is at 1 */
  int lost;  /* the caller's transaction was rolled back under it (zm_meta_tx_lost) */
  char *sql[SQL_COUNT];
  struct zm__meta_cache *cache; /* prefetched and pending cache hits; NULL until used */
};

/* Write the cache hits zm_meta_execution_reuse held back (before a commit). */
int zm__meta_cache_flush(zm_meta *m);

/* Write the held-back hits and forget the prefetched ones, as any statement
 * outside meta_cache.c does first (for those that bypass zm_sql_prepare). */
int zm__meta_cache_sync(zm_meta *m);

/* The transaction ended: forget held-back and prefetched hits. */
void zm__meta_cache_end(zm_meta *m);

/* Free the cache state (closing the store). */
void zm__meta_cache_free(zm_meta *m);

/* Enter a (possibly nested) write transaction. */
int zm__meta_tx_enter(zm_meta *m);

/* Leave it: commit at the outermost level when rc is 0, else roll back.
 * Returns rc, or the commit's error. */
int zm__meta_tx_leave(zm_meta *m, int rc);

/* The loop of ZM__META_TX: 1 to run the body (again), 0 when done with
 * *rc set. `state` starts at 0. */
int zm__meta_tx_next(zm_meta *m, int *rc, int *state);

/* Run the statement after it as a transaction of its own, or as part of the
 * one open; a transaction of its own runs once more when the driver rolled
 * the first attempt back for a deadlock or a lost connection (so the body
 * must start from scratch: no state carried in from before it). `rc` is
 * the body's result going in and the transaction's coming out. */
#define ZM__META_TX(m, rc) for (int zm__tx_state = 0; zm__meta_tx_next((m), &(rc), &zm__tx_state);)

/* Wall-clock time in unix seconds. */
double zm__meta_now(void);

/* A copy of a text column (NULL stays NULL); sets *rc on out-of-memory. */
char *zm__meta_col_dup(zm_sql_stmt *s, int col, int *rc);

/* Make room for one more item in a growing array. */
int zm__meta_grow(void **items, size_t *cap, size_t len, size_t size);

/* Step through a statement's rows, appending strings from column 0. */
int zm__meta_collect_strings(zm_meta_strings **out, zm_sql_stmt *s);

/* The columns of a run (zm__meta_run_row reads them), from runs r joined
 * with pipelines p; more columns may follow them. */
#define ZM__META_RUN_COLS                                                                \
  "SELECT r.id, p.name, p.version, r.yaml_path, r.yaml_hash, r.git_commit, r.git_branch," \
  " r.git_dirty, r.status, r.started, r.ended, r.backend, r.host, r.pid"

/* The FROM clause that goes with ZM__META_RUN_COLS. Every run has its
 * pipeline (a foreign key), so LEFT JOIN returns what JOIN would; it fixes
 * the join order, runs first, so a listing walks runs_by_started newest
 * first and stops at its LIMIT. With JOIN, MariaDB started from the few
 * pipelines and sorted every run (1.7 s for `run list` at 100,000 runs). */
#define ZM__META_RUN_FROM " FROM runs r LEFT JOIN pipelines p ON p.id = r.pipeline_id"

/* The order of run listings: newest first, ties by id, both descending so
 * that one index (started, then the primary key) gives the order. */
#define ZM__META_RUN_ORDER "r.started DESC, r.id DESC"

/* Read the run columns of the current row (columns 0 to 13). */
int zm__meta_run_row(zm_meta_run *r, zm_sql_stmt *s);

/* Free what a run holds, not the run itself. */
void zm__meta_run_clear(zm_meta_run *r);

#endif
