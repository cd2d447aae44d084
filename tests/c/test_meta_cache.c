/* The cache on both drivers: lookups answered from the hits prefetched for
 * a run (the same answers as the database's, even after writes in the same
 * transaction), cache hits held back and written in batches (visible to
 * every other statement at once, gone with a rollback), and the property of
 * a run's steps read in one query. */
#include "meta_fixture.h"

#define N 300 /* more than one batch of held-back hits */

static int exists_except(void *ctx, const char *id)
{
  return strcmp(id, (const char *)ctx) != 0;
}

/* A completed execution of class C with key `key` in run `run` and one
 * output `out` (recorded), and optionally a metric. */
static int64_t completed(zm_meta *m, const char *run, const char *key, const char *out,
                         int with_metric)
{
  int64_t e = 0;
  CHECK_EQ_INT(zm_meta_execution_begin(&e, m, run, key, "C", NULL, key), 0);
  CHECK_EQ_INT(zm_meta_artifact_record(m, out, "value", 1), 0);
  CHECK_EQ_INT(zm_meta_event_add(m, e, out, ZM_META_OUTPUT, "out"), 0);
  if (with_metric)
    CHECK_EQ_INT(zm_meta_metric_set(m, run, e, "acc", (double)e), 0);
  CHECK_EQ_INT(zm_meta_execution_finish(m, e, ZM_META_COMPLETED, NULL, NULL), 0);
  return e;
}

/* Run r1 completed N keys (ids[0..N-1]); r0, later, k5 again (ids[N]), so
 * k5's latest is r0's. */
static void source_runs(zm_meta *m, int64_t *ids)
{
  char key[32], out[64];
  add_run(m, "r1");
  add_run(m, "r0");
  CHECK_EQ_INT(zm_meta_begin(m), 0);
  for (int i = 0; i < N; i++) {
    snprintf(key, sizeof key, "k%d", i);
    snprintf(out, sizeof out, "sha256:o%d", i);
    ids[i] = completed(m, "r1", key, out, i % 10 == 0);
  }
  ids[N] = completed(m, "r0", "k5", "sha256:o5b", 1);
  CHECK_EQ_INT(zm_meta_commit(m), 0);
}

static void test_batched_hits(void)
{
  zm_meta *m = fresh("meta-cache-batch");
  static int64_t src[N + 1], got[N];
  source_runs(m, src);
  add_run(m, "r2");
  char key[32];
  CHECK_EQ_INT(zm_meta_begin(m), 0);
  for (int i = 0; i < N; i++) {
    snprintf(key, sizeof key, "k%d", i);
    zm_meta_cache_hit *h = NULL;
    CHECK_EQ_INT(zm_meta_cache_lookup(&h, m, "C", key, NULL, NULL), 0);
    CHECK_EQ_INT(h ? h->execution : -1, src[i == 5 ? N : i]);
    CHECK_EQ_INT(h ? (long long)h->len : -1, 1);
    char want[64];
    snprintf(want, sizeof want, i == 5 ? "sha256:o5b" : "sha256:o%d", i);
    CHECK_EQ_STR(h && h->len ? h->outputs[0].artifact : NULL, want);
    zm_meta_reuse r = {.run_id = "r2", .step = key, .class_name = "C", .cache_key = key,
                       .from = h ? h->execution : 0};
    CHECK_EQ_INT(zm_meta_execution_reuse(&got[i], m, &r), 0);
    if (i > 0)
      CHECK_EQ_INT(got[i], got[i - 1] + 1);
    zm_meta_cache_hit_free(h);
  }
  /* Before the commit, every other statement sees them: the list, and SQL. */
  zm_meta_executions *l = NULL;
  CHECK_EQ_INT(zm_meta_execution_list(&l, m, "r2"), 0);
  CHECK_EQ_INT(l ? (long long)l->len : -1, N);
  for (size_t i = 0; l && i < l->len; i++) {
    CHECK_EQ_INT(l->items[i].id, got[i]);
    CHECK_EQ_INT(l->items[i].status, ZM_META_CACHED);
    CHECK_EQ_INT(l->items[i].cached_from, src[i == 5 ? N : i]);
  }
  zm_meta_executions_free(l);
  CHECK_EQ_INT(query1(m, "SELECT count(*) FROM executions WHERE run_id = 'r2'"), N);
  CHECK_EQ_INT(zm_meta_commit(m), 0);
  /* The sources' metrics were copied, each to its own cached execution. */
  zm_meta_metrics *ml = NULL;
  CHECK_EQ_INT(zm_meta_metric_list(&ml, m, "r2"), 0);
  CHECK_EQ_INT(ml ? (long long)ml->len : -1, N / 10 + 1);
  for (size_t i = 0; ml && i < ml->len; i++) {
    int k = 0;
    while (k < N && got[k] != ml->items[i].execution)
      k++;
    CHECK(k < N && (k % 10 == 0 || k == 5));
    CHECK_EQ_INT((long long)ml->items[i].value, k < N ? src[k == 5 ? N : k] : -1);
  }
  zm_meta_metrics_free(ml);
  /* An execution begun afterwards numbers on after them. */
  int64_t next = 0;
  CHECK_EQ_INT(zm_meta_execution_begin(&next, m, "r2", "after", "C", NULL, NULL), 0);
  CHECK_EQ_INT(next, got[N - 1] + 1);
  zm_meta_close(m);
}

/* What a lookup answers from the prefetched hits is what the database
 * would: after a write in the same transaction, and when the latest
 * execution's outputs are gone. */
static void test_prefetch_answers_as_database(void)
{
  zm_meta *m = fresh("meta-cache-prefetch");
  static int64_t src[N + 1];
  source_runs(m, src);
  add_run(m, "r2");
  CHECK_EQ_INT(zm_meta_begin(m), 0);
  const char *keys[] = {"k1", "k2", "k3"}; /* the second hit in r1 prefetches it */
  for (int i = 0; i < 3; i++) {
    zm_meta_cache_hit *h = NULL;
    CHECK_EQ_INT(zm_meta_cache_lookup(&h, m, "C", keys[i], NULL, NULL), 0);
    CHECK_EQ_INT(h ? h->execution : -1, src[i + 1]);
    zm_meta_cache_hit_free(h);
  }
  /* k7 completes again in this transaction: that one is the latest now */
  int64_t again = completed(m, "r2", "k7", "sha256:o7b", 0);
  zm_meta_cache_hit *h = NULL;
  CHECK_EQ_INT(zm_meta_cache_lookup(&h, m, "C", "k7", NULL, NULL), 0);
  CHECK_EQ_INT(h ? h->execution : -1, again);
  zm_meta_cache_hit_free(h);
  /* k5's latest (r0's) lost its output: r1's older one answers */
  CHECK_EQ_INT(zm_meta_cache_lookup(&h, m, "C", "k8", NULL, NULL), 0);
  zm_meta_cache_hit_free(h);
  CHECK_EQ_INT(zm_meta_cache_lookup(&h, m, "C", "k5", exists_except, "sha256:o5b"), 0);
  CHECK_EQ_INT(h ? h->execution : -1, src[5]);
  CHECK_EQ_STR(h && h->len ? h->outputs[0].artifact : NULL, "sha256:o5");
  zm_meta_cache_hit_free(h);
  /* an output lost for good (verify --repair): no hit for k9 any more */
  int64_t changed = 0;
  CHECK_EQ_INT(zm_meta_cache_lookup(&h, m, "C", "k9", NULL, NULL), 0);
  zm_meta_cache_hit_free(h);
  CHECK_EQ_INT(zm_meta_artifact_lost(&changed, m, "sha256:o9", "lost in a test"), 0);
  CHECK_EQ_INT(changed, 1);
  CHECK_EQ_INT(zm_meta_cache_lookup(&h, m, "C", "k9", NULL, NULL), ZM_ENOTFOUND);
  CHECK_EQ_INT(zm_meta_commit(m), 0);
  zm_meta_close(m);
}

/* A rollback takes the held-back hits with it; outside a transaction a hit
 * is written at once. */
static void test_rollback_and_own_transaction(void)
{
  zm_meta *m = fresh("meta-cache-rollback");
  add_run(m, "r1");
  add_run(m, "r2");
  int64_t src = completed(m, "r1", "k", "sha256:o", 0);
  zm_meta_reuse r = {.run_id = "r2", .step = "s", .class_name = "C", .cache_key = "k",
                     .from = src};
  int64_t id = 0;
  CHECK_EQ_INT(zm_meta_begin(m), 0);
  for (int i = 0; i < N; i++) /* some written (sent, on a server) already */
    CHECK_EQ_INT(zm_meta_execution_reuse(&id, m, &r), 0);
  CHECK_EQ_INT(zm_meta_rollback(m), 0);
  CHECK_EQ_INT(query1(m, "SELECT count(*) FROM executions WHERE run_id = 'r2'"), 0);
  /* text goes in as it is, quotes and backslashes included */
  r.step = "it's a \\ 'step' \"";
  r.cache_key = NULL;
  CHECK_EQ_INT(zm_meta_execution_reuse(&id, m, &r), 0);
  CHECK_EQ_INT(id, src + 1);
  zm_meta_execution *e = NULL;
  CHECK_EQ_INT(zm_meta_execution_get(&e, m, id), 0);
  CHECK_EQ_INT(e ? e->cached_from : -1, src);
  CHECK_EQ_STR(e ? e->step : NULL, "it's a \\ 'step' \"");
  CHECK(e && e->cache_key == NULL && e->source == NULL);
  CHECK(e && e->started > 1e9 && e->started == e->ended);
  zm_meta_execution_free(e);
  r.step = "s";
  r.cache_key = "k";
  /* a source that does not exist is refused at once, in a transaction too */
  r.from = 999;
  CHECK_EQ_INT(zm_meta_begin(m), 0);
  CHECK_EQ_INT(zm_meta_execution_reuse(&id, m, &r), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "no execution with id 999");
  CHECK_EQ_INT(zm_meta_commit(m), 0);
  CHECK_EQ_INT(query1(m, "SELECT count(*) FROM executions WHERE run_id = 'r2'"), 1);
  zm_meta_close(m);
}

/* On a server the held-back hits are sent without waiting: a write that
 * fails there (another client took the reserved id) fails the commit, and
 * the transaction leaves nothing behind. */
static void test_sent_write_fails_commit(void)
{
  zm_meta *m = fresh("meta-cache-sent");
  add_run(m, "r1");
  add_run(m, "r2");
  int64_t src = completed(m, "r1", "k", "sha256:o", 0);
  zm_meta_reuse r = {.run_id = "r2", .step = "s", .class_name = "C", .from = src};
  int64_t id = 0;
  CHECK_EQ_INT(zm_meta_begin(m), 0);
  CHECK_EQ_INT(zm_meta_execution_reuse(&id, m, &r), 0);
  char sql[200];
  snprintf(sql, sizeof sql, "INSERT INTO executions (id, run_id, step, class, status, started)"
                            " VALUES (%lld, 'r1', 'other', 'C', 'failed', 1)", (long long)id);
  CHECK_EQ_INT(raw_sql(sql), 0); /* no writers' lock: not a zenml writer */
  CHECK(zm_meta_commit(m) < 0);
  CHECK(strstr(zm_error_last(), "Duplicate entry") != NULL);
  CHECK_EQ_INT(query1(m, "SELECT count(*) FROM executions WHERE run_id = 'r2'"), 0);
  /* and the store goes on */
  CHECK_EQ_INT(zm_meta_execution_reuse(&id, m, &r), 0);
  CHECK_EQ_INT(query1(m, "SELECT count(*) FROM executions WHERE run_id = 'r2'"), 1);
  zm_meta_close(m);
}

static void test_run_step_property(void)
{
  zm_meta *m = fresh("meta-cache-property");
  add_run(m, "r1");
  add_run(m, "r2");
  int64_t a = completed(m, "r1", "ka", "sha256:a", 0);
  int64_t b = completed(m, "r1", "kb", "sha256:b", 0);
  char entity[32];
  snprintf(entity, sizeof entity, "%lld", (long long)b);
  zm_meta_value v = {.type = ZM_META_TEXT, .s = "test"};
  CHECK_EQ_INT(zm_meta_property_set(m, "execution", entity, "metrics.split", &v), 0);
  zm_meta_value got = {0};
  CHECK_EQ_INT(zm_meta_run_step_property(&got, m, "r1", "metrics.split"), 0);
  CHECK_EQ_STR(got.type == ZM_META_TEXT ? got.s : NULL, "test");
  zm_meta_value_clear(&got);
  /* a cached step's property is its source's */
  int64_t id = 0;
  zm_meta_reuse r = {.run_id = "r2", .step = "s", .class_name = "C", .from = a};
  CHECK_EQ_INT(zm_meta_execution_reuse(&id, m, &r), 0);
  CHECK_EQ_INT(zm_meta_run_step_property(&got, m, "r2", "metrics.split"), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "no step of run 'r2' has property 'metrics.split'");
  r.from = b;
  CHECK_EQ_INT(zm_meta_execution_reuse(&id, m, &r), 0);
  CHECK_EQ_INT(zm_meta_run_step_property(&got, m, "r2", "metrics.split"), 0);
  CHECK_EQ_STR(got.type == ZM_META_TEXT ? got.s : NULL, "test");
  zm_meta_value_clear(&got);
  v = (zm_meta_value){.type = ZM_META_INT, .i = 7};
  snprintf(entity, sizeof entity, "%lld", (long long)a);
  CHECK_EQ_INT(zm_meta_property_set(m, "execution", entity, "metrics.split", &v), 0);
  CHECK_EQ_INT(zm_meta_run_step_property(&got, m, "r2", "metrics.split"), 0);
  CHECK_EQ_INT(got.type == ZM_META_INT ? got.i : -1, 7); /* the first step's now */
  zm_meta_close(m);
}

int main(void)
{
  fixture_init();
  RUN(test_batched_hits);
  RUN(test_prefetch_answers_as_database);
  RUN(test_rollback_and_own_transaction);
  if (server)
    RUN(test_sent_write_fails_commit);
  RUN(test_run_step_property);
  return CHECK_DONE();
}
