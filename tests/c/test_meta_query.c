/* The metadata store's queries: lineage, run summaries for listings, the
 * catalog of pipelines and artifacts. */
#include "meta_fixture.h"

/* A run of pipeline `pipeline` started at `started`. */
static void add_run_of(zm_meta *m, const char *id, const char *pipeline, double started)
{
  int64_t version = 0;
  CHECK_EQ_INT(zm_meta_pipeline_version(&version, m, pipeline, "dag"), 0);
  zm_meta_run r = {.id = (char *)id, .pipeline = (char *)pipeline, .pipeline_version = version,
                   .started = started};
  CHECK_EQ_INT(zm_meta_run_begin(m, &r), 0);
}

/* A completed execution of `step` in `run` with one output. */
static int64_t add_exec(zm_meta *m, const char *run, const char *step, const char *output,
                        const char *artifact)
{
  int64_t e = 0;
  CHECK_EQ_INT(zm_meta_execution_begin(&e, m, run, step, "C", NULL, "k"), 0);
  zm_meta_artifact_record(m, artifact, "model", 1);
  CHECK_EQ_INT(zm_meta_event_add(m, e, artifact, ZM_META_OUTPUT, output), 0);
  CHECK_EQ_INT(zm_meta_execution_finish(m, e, ZM_META_COMPLETED, NULL, NULL), 0);
  return e;
}

static void test_lineage_queries(void)
{
  zm_meta *m = fresh("meta-lineage");
  const zm_meta_step_output model[] = {{"trainer", "model"}, {"preprocesser", "transform"}};
  char *id = NULL;
  CHECK_EQ_INT(zm_meta_run_latest_with(&id, m, model, 2, NULL, NULL), ZM_ENOTFOUND);
  CHECK_EQ_INT(zm_meta_run_latest_with(&id, m, model, 0, NULL, NULL), ZM_EINVALID);
  add_run_of(m, "t1", "train", 100);
  int64_t t1_trainer = add_exec(m, "t1", "trainer", "model", "sha256:m1");
  int64_t t1_pre = add_exec(m, "t1", "preprocesser", "transform", "sha256:x1");
  /* running: not a candidate yet */
  CHECK_EQ_INT(zm_meta_run_latest_with(&id, m, model, 2, NULL, NULL), ZM_ENOTFOUND);
  CHECK_EQ_INT(zm_meta_run_finish(m, "t1", ZM_META_COMPLETED), 0);
  add_run_of(m, "s1", "score", 200); /* a later run without a model */
  add_exec(m, "s1", "model", "model", "sha256:m1");
  CHECK_EQ_INT(zm_meta_run_finish(m, "s1", ZM_META_COMPLETED), 0);
  CHECK_EQ_INT(zm_meta_run_latest_with(&id, m, model, 2, NULL, NULL), 0);
  CHECK_EQ_STR(id, "t1");
  free(id);
  /* a training run whose steps were cache hits has the model too */
  add_run_of(m, "t2", "train", 300);
  int64_t hit = 0;
  zm_meta_reuse r = {.run_id = "t2", .step = "trainer", .class_name = "C", .from = t1_trainer};
  CHECK_EQ_INT(zm_meta_execution_reuse(&hit, m, &r), 0);
  int64_t trainer_hit = hit;
  /* only the trainer so far: not a model */
  CHECK_EQ_INT(zm_meta_run_finish(m, "t2", ZM_META_COMPLETED), 0);
  CHECK_EQ_INT(zm_meta_run_latest_with(&id, m, model, 2, NULL, NULL), 0);
  CHECK_EQ_STR(id, "t1");
  free(id);
  CHECK_EQ_INT(zm_meta_run_latest_with(&id, m, model, 1, NULL, NULL), 0);
  CHECK_EQ_STR(id, "t2");
  free(id);
  r.step = "preprocesser";
  r.from = t1_pre;
  CHECK_EQ_INT(zm_meta_execution_reuse(&hit, m, &r), 0);
  CHECK_EQ_INT(zm_meta_run_latest_with(&id, m, model, 2, NULL, NULL), 0);
  CHECK_EQ_STR(id, "t2");
  free(id);
  CHECK_EQ_INT(zm_meta_run_latest_with(&id, m, model, 2, "train", "t1"), 0);
  CHECK_EQ_STR(id, "t1");
  free(id);
  CHECK_EQ_INT(zm_meta_run_latest_with(&id, m, model, 2, "score", NULL), ZM_ENOTFOUND);
  CHECK_EQ_INT(zm_meta_run_latest_with(&id, m, model, 2, NULL, "s1"), ZM_ENOTFOUND);
  CHECK(id == NULL);

  /* the previous execution of a step: cache hits count, its own pipeline first */
  add_run_of(m, "s2", "score", 400);
  int64_t other = add_exec(m, "s2", "trainer", "model", "sha256:m2");
  add_run_of(m, "t3", "train", 500);
  int64_t now = add_exec(m, "t3", "trainer", "model", "sha256:m3");
  int64_t prev = 0;
  CHECK_EQ_INT(zm_meta_execution_previous(&prev, m, "train", "trainer", "C", now), 0);
  CHECK_EQ_INT(prev, trainer_hit); /* t2's trainer hit, not the newer one of pipeline score */
  CHECK_EQ_INT(zm_meta_execution_previous(&prev, m, "score", "trainer", "C", now), 0);
  CHECK_EQ_INT(prev, other);
  CHECK_EQ_INT(zm_meta_execution_previous(&prev, m, "nope", "trainer", "C", now), 0);
  CHECK_EQ_INT(prev, other);
  CHECK_EQ_INT(zm_meta_execution_previous(&prev, m, "train", "trainer", "C", t1_trainer),
               ZM_ENOTFOUND);
  CHECK_EQ_INT(zm_meta_execution_previous(&prev, m, "train", "trainer", "D", now), ZM_ENOTFOUND);
  zm_meta_close(m);
}

/* The catalogue: pipelines with run counts, artifacts by id and prefix,
 * an artifact's lineage through cache hits. */
static void test_catalog(void)
{
  zm_meta *m = fresh("meta-catalog");
  zm_meta_pipeline_infos *pl = NULL;
  CHECK_EQ_INT(zm_meta_pipeline_list(&pl, m), 0);
  CHECK_EQ_INT(pl->len, 0);
  zm_meta_pipeline_infos_free(pl);
  int64_t v = 0;
  CHECK_EQ_INT(zm_meta_pipeline_version(&v, m, "idle", "h1"), 0); /* never ran */
  add_run_of(m, "c1", "train", 100);
  int64_t e1 = add_exec(m, "c1", "trainer", "model", "sha256:ab12");
  CHECK_EQ_INT(zm_meta_run_finish(m, "c1", ZM_META_COMPLETED), 0);
  CHECK_EQ_INT(zm_meta_pipeline_version(&v, m, "train", "dag-2"), 0);
  zm_meta_run r2 = {.id = "c2", .pipeline = "train", .pipeline_version = v, .started = 300};
  CHECK_EQ_INT(zm_meta_run_begin(m, &r2), 0);
  int64_t hit = 0;
  zm_meta_reuse reuse = {.run_id = "c2", .step = "trainer", .class_name = "C", .from = e1};
  CHECK_EQ_INT(zm_meta_execution_reuse(&hit, m, &reuse), 0);
  int64_t e2 = 0;
  CHECK_EQ_INT(zm_meta_execution_begin(&e2, m, "c2", "scorer", "C", NULL, "k2"), 0);
  CHECK_EQ_INT(zm_meta_event_add(m, e2, "sha256:ab12", ZM_META_INPUT, "model"), 0);
  CHECK_EQ_INT(zm_meta_execution_finish(m, e2, ZM_META_FAILED, "boom", NULL), 0);
  CHECK_EQ_INT(zm_meta_artifact_record(m, "sha256:ab34", "frame", 7), 0);
  CHECK_EQ_INT(zm_meta_artifact_record(m, "sha256:ac00", "frame", 9), 0);

  CHECK_EQ_INT(zm_meta_pipeline_list(&pl, m), 0);
  CHECK_EQ_INT(pl->len, 2);
  CHECK_EQ_STR(pl->items[0].name, "idle");
  CHECK_EQ_INT(pl->items[0].runs, 0);
  CHECK(!pl->items[0].has_last_run);
  CHECK_EQ_STR(pl->items[1].name, "train");
  CHECK_EQ_INT(pl->items[1].versions, 2);
  CHECK_EQ_INT(pl->items[1].runs, 2);
  CHECK(pl->items[1].has_last_run && pl->items[1].last_run == 300);
  zm_meta_pipeline_infos_free(pl);
  int found = -1;
  CHECK_EQ_INT(zm_meta_pipeline_exists(&found, m, "idle"), 0);
  CHECK_EQ_INT(found, 1);
  CHECK_EQ_INT(zm_meta_pipeline_exists(&found, m, "c1"), 0);
  CHECK_EQ_INT(found, 0);

  zm_meta_artifact a;
  CHECK_EQ_INT(zm_meta_artifact_get(&a, m, "sha256:ab34"), 0);
  CHECK_EQ_STR(a.id, "sha256:ab34");
  CHECK_EQ_STR(a.type, "frame");
  CHECK_EQ_INT(a.size, 7);
  CHECK(a.created > 0);
  zm_meta_artifact_clear(&a);
  CHECK_EQ_INT(zm_meta_artifact_get(&a, m, "sha256:ab"), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "no artifact 'sha256:ab'");
  CHECK(a.id == NULL);

  zm_meta_artifacts *al = NULL;
  CHECK_EQ_INT(zm_meta_artifacts_with_prefix(&al, m, "sha256:ab", 0), 0);
  CHECK_EQ_INT(al->len, 2); /* not sha256:ac00, which sorts after them */
  CHECK_EQ_STR(al->items[0].id, "sha256:ab12");
  CHECK_EQ_STR(al->items[0].type, "model");
  CHECK_EQ_STR(al->items[1].id, "sha256:ab34");
  zm_meta_artifacts_free(al);
  CHECK_EQ_INT(zm_meta_artifacts_with_prefix(&al, m, "sha256:a", 2), 0);
  CHECK_EQ_INT(al->len, 2);
  zm_meta_artifacts_free(al);
  CHECK_EQ_INT(zm_meta_artifacts_with_prefix(&al, m, "sha256:b", 5), 0);
  CHECK_EQ_INT(al->len, 0);
  zm_meta_artifacts_free(al);

  /* written by c1's trainer, reused by c2's cache hit, read by c2's scorer */
  zm_meta_artifact_events *ev = NULL;
  CHECK_EQ_INT(zm_meta_artifact_lineage(&ev, m, "sha256:ab12"), 0);
  CHECK_EQ_INT(ev->len, 3);
  CHECK_EQ_INT(ev->items[0].execution, e1);
  CHECK_EQ_STR(ev->items[0].run_id, "c1");
  CHECK_EQ_INT(ev->items[0].kind, ZM_META_OUTPUT);
  CHECK_EQ_STR(ev->items[0].name, "model");
  CHECK_EQ_INT(ev->items[0].status, ZM_META_COMPLETED);
  CHECK_EQ_INT(ev->items[1].execution, hit);
  CHECK_EQ_STR(ev->items[1].run_id, "c2");
  CHECK_EQ_STR(ev->items[1].step, "trainer");
  CHECK_EQ_INT(ev->items[1].status, ZM_META_CACHED);
  CHECK_EQ_INT(ev->items[2].execution, e2);
  CHECK_EQ_STR(ev->items[2].step, "scorer");
  CHECK_EQ_INT(ev->items[2].kind, ZM_META_INPUT);
  CHECK_EQ_INT(ev->items[2].status, ZM_META_FAILED);
  zm_meta_artifact_events_free(ev);
  CHECK_EQ_INT(zm_meta_artifact_lineage(&ev, m, "sha256:ac00"), 0);
  CHECK_EQ_INT(ev->len, 0);
  zm_meta_artifact_events_free(ev);
  zm_meta_close(m);
}

static void test_run_summaries(void)
{
  zm_meta *m = fresh("meta-summaries");
  add_run_of(m, "a1", "train", 100);
  int64_t ea = add_exec(m, "a1", "trainer", "model", "sha256:m1");
  zm_meta_metric_set(m, "a1", ea, "accuracy", 0.9);
  zm_meta_metric_set(m, "a1", 0, "loss", 0.5);
  CHECK_EQ_INT(zm_meta_run_finish(m, "a1", ZM_META_COMPLETED), 0);
  add_run_of(m, "a2", "train", 200);
  int64_t hit = 0;
  zm_meta_reuse r = {.run_id = "a2", .step = "trainer", .class_name = "C", .from = ea};
  CHECK_EQ_INT(zm_meta_execution_reuse(&hit, m, &r), 0); /* copies accuracy 0.9 */
  zm_meta_metric_set(m, "a2", 0, "accuracy", 0.1);        /* the step's value wins */
  add_run_of(m, "b1", "score", 300);                       /* running, no metrics */
  add_run_of(m, "a3", "train", 400);
  int64_t e3 = add_exec(m, "a3", "trainer", "model", "sha256:m3");
  zm_meta_metric_set(m, "a3", e3, "accuracy", 0.95);
  CHECK_EQ_INT(zm_meta_run_finish(m, "a3", ZM_META_FAILED), 0);

  const char *names[] = {"accuracy", "loss"};
  zm_meta_summary_query q = {.status = -1, .metrics = names, .n_metrics = 2};
  zm_meta_summaries *l = NULL;
  CHECK_EQ_INT(zm_meta_run_summaries(&l, m, &q), 0);
  CHECK_EQ_INT(l->len, 4);
  CHECK_EQ_STR(l->items[0].run.id, "a3"); /* newest first */
  CHECK_EQ_STR(l->items[2].run.id, "a2");
  CHECK_EQ_INT(l->items[2].steps, 1);
  CHECK_EQ_INT(l->items[2].cached, 1);
  CHECK(l->items[2].has[0] && l->items[2].values[0] == 0.9);
  CHECK(!l->items[2].has[1]);
  CHECK(!l->items[1].has[0]); /* b1 */
  CHECK(l->items[3].has[1] && l->items[3].values[1] == 0.5);
  zm_meta_summaries_free(l);

  /* sorted by a metric, highest first, ties newest first, runs without it last */
  q.sort = "accuracy", q.sort_metric = 1, q.descending = 1;
  CHECK_EQ_INT(zm_meta_run_summaries(&l, m, &q), 0);
  CHECK_EQ_STR(l->items[0].run.id, "a3");
  CHECK_EQ_STR(l->items[1].run.id, "a2");
  CHECK_EQ_STR(l->items[2].run.id, "a1");
  CHECK_EQ_STR(l->items[3].run.id, "b1");
  zm_meta_summaries_free(l);
  q.descending = 0;
  CHECK_EQ_INT(zm_meta_run_summaries(&l, m, &q), 0);
  CHECK_EQ_STR(l->items[0].run.id, "a2");
  CHECK_EQ_STR(l->items[2].run.id, "a3");
  CHECK_EQ_STR(l->items[3].run.id, "b1");
  zm_meta_summaries_free(l);

  /* conditions, pipeline, status, dates, limit */
  zm_meta_metric_cond cond = {"accuracy", ZM_META_GT, 0.85};
  q.where = &cond, q.n_where = 1, q.sort = NULL, q.sort_metric = 0;
  CHECK_EQ_INT(zm_meta_run_summaries(&l, m, &q), 0);
  CHECK_EQ_INT(l->len, 3);
  CHECK_EQ_STR(l->items[0].run.id, "a3");
  zm_meta_summaries_free(l);
  CHECK_EQ_INT(zm_meta_cmp_parse(&cond.op, "!="), 0);
  cond.value = 0.9;
  CHECK_EQ_INT(zm_meta_run_summaries(&l, m, &q), 0);
  CHECK_EQ_INT(l->len, 1); /* b1 has no accuracy: never matches */
  CHECK_EQ_STR(l->items[0].run.id, "a3");
  zm_meta_summaries_free(l);
  zm_meta_summary_query q2 = {.pipeline = "train", .status = ZM_META_COMPLETED, .since = 150,
                              .until = 500, .limit = 5};
  CHECK_EQ_INT(zm_meta_run_summaries(&l, m, &q2), 0);
  CHECK_EQ_INT(l->len, 0); /* a2 is still running */
  zm_meta_summaries_free(l);
  q2.status = -1, q2.limit = 1, q2.sort = "started";
  CHECK_EQ_INT(zm_meta_run_summaries(&l, m, &q2), 0);
  CHECK_EQ_INT(l->len, 1);
  CHECK_EQ_STR(l->items[0].run.id, "a2");
  zm_meta_summaries_free(l);
  q2.sort = "colour";
  CHECK_EQ_INT(zm_meta_run_summaries(&l, m, &q2), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "cannot sort runs by 'colour'");
  CHECK(l == NULL);
  CHECK_EQ_INT(zm_meta_cmp_parse(&cond.op, "=>"), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "unknown comparison '=>': expected >, >=, <, <=, = or !=");

  /* a run's artifacts: a cached step's are those it reused */
  zm_meta_step_artifacts *arts = NULL;
  CHECK_EQ_INT(zm_meta_run_artifacts(&arts, m, "a2"), 0);
  CHECK_EQ_INT(arts->len, 1);
  CHECK_EQ_STR(arts->items[0].step, "trainer");
  CHECK_EQ_INT(arts->items[0].execution, hit);
  CHECK_EQ_STR(arts->items[0].artifact, "sha256:m1");
  CHECK_EQ_STR(arts->items[0].type, "model");
  CHECK_EQ_INT(arts->items[0].kind, ZM_META_OUTPUT);
  zm_meta_step_artifacts_free(arts);

  zm_meta_strings *ids = NULL;
  CHECK_EQ_INT(zm_meta_run_ids_with_prefix(&ids, m, "a", 0), 0);
  CHECK_EQ_INT(ids->len, 3);
  CHECK_EQ_STR(ids->items[0], "a3");
  zm_meta_strings_free(ids);
  CHECK_EQ_INT(zm_meta_run_ids_with_prefix(&ids, m, "a", 2), 0);
  CHECK_EQ_INT(ids->len, 2);
  zm_meta_strings_free(ids);
  /* a range of ids: not "b1" right after it, nor "a" itself as a bound */
  CHECK_EQ_INT(zm_meta_run_ids_with_prefix(&ids, m, "a2", 0), 0);
  CHECK_EQ_INT(ids->len, 1);
  CHECK_EQ_STR(ids->items[0], "a2");
  zm_meta_strings_free(ids);
  CHECK_EQ_INT(zm_meta_run_ids_with_prefix(&ids, m, "a3x", 0), 0);
  CHECK_EQ_INT(ids->len, 0);
  zm_meta_strings_free(ids);
  CHECK_EQ_INT(zm_meta_run_ids_with_prefix(&ids, m, "", 0), 0);
  CHECK_EQ_INT(ids->len, 4);
  zm_meta_strings_free(ids);
  zm_meta_close(m);
}

/* The previous execution when the pipeline's is far back (more executions
 * of the step in between than the walk looks at) and when many failed ones
 * come first. */
static void test_previous_far_back(void)
{
  zm_meta *m = fresh("meta-previous");
  add_run_of(m, "t1", "train", 100);
  int64_t old = add_exec(m, "t1", "trainer", "model", "sha256:m1");
  add_run_of(m, "s1", "score", 200);
  int64_t last_score = 0, e = 0;
  for (int i = 0; i < 40; i++)
    last_score = add_exec(m, "s1", "trainer", "model", "sha256:m2");
  for (int i = 0; i < 40; i++) { /* failed: never the previous execution */
    CHECK_EQ_INT(zm_meta_execution_begin(&e, m, "s1", "trainer", "C", NULL, "k"), 0);
    CHECK_EQ_INT(zm_meta_execution_finish(m, e, ZM_META_FAILED, "boom", NULL), 0);
  }
  add_run_of(m, "t2", "train", 300);
  int64_t now = add_exec(m, "t2", "trainer", "model", "sha256:m3");
  int64_t prev = 0;
  CHECK_EQ_INT(zm_meta_execution_previous(&prev, m, "train", "trainer", "C", now), 0);
  CHECK_EQ_INT(prev, old);
  CHECK_EQ_INT(zm_meta_execution_previous(&prev, m, "score", "trainer", "C", now), 0);
  CHECK_EQ_INT(prev, last_score);
  CHECK_EQ_INT(zm_meta_execution_previous(&prev, m, NULL, "trainer", "C", now), 0);
  CHECK_EQ_INT(prev, last_score);
  CHECK_EQ_INT(zm_meta_execution_previous(&prev, m, "nope", "trainer", "C", now), 0);
  CHECK_EQ_INT(prev, last_score);
  CHECK_EQ_INT(zm_meta_execution_previous(&prev, m, "score", "trainer", "C", old),
               ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "no execution of step 'trainer' (C) before #1");
  zm_meta_close(m);
}

/* Runs that started at the same time come in one order on both drivers:
 * the later id first, in every listing (so one index gives the order). */
static void test_listing_ties(void)
{
  zm_meta *m = fresh("meta-ties");
  const char *ids[] = {"t-b", "t-a", "t-c", "u-a"};
  for (int i = 0; i < 4; i++)
    add_run_of(m, ids[i], i < 3 ? "p" : "q", i < 3 ? 500 : 100);
  const char *want[] = {"t-c", "t-b", "t-a", "u-a"};
  zm_meta_runs *rl = NULL;
  CHECK_EQ_INT(zm_meta_run_list(&rl, m, NULL), 0);
  for (size_t i = 0; rl && i < rl->len && i < 4; i++)
    CHECK_EQ_STR(rl->items[i].id, want[i]);
  zm_meta_runs_free(rl);
  zm_meta_run_filter f = {.pipeline = "p", .status = ZM_META_RUNNING, .limit = 2};
  CHECK_EQ_INT(zm_meta_run_list(&rl, m, &f), 0);
  CHECK_EQ_INT(rl ? (long long)rl->len : -1, 2);
  for (size_t i = 0; rl && i < rl->len; i++)
    CHECK_EQ_STR(rl->items[i].id, want[i]);
  zm_meta_runs_free(rl);
  zm_meta_summary_query q = {.status = -1, .limit = 3};
  zm_meta_summaries *l = NULL;
  CHECK_EQ_INT(zm_meta_run_summaries(&l, m, &q), 0);
  CHECK_EQ_INT(l ? (long long)l->len : -1, 3);
  for (size_t i = 0; l && i < l->len; i++)
    CHECK_EQ_STR(l->items[i].run.id, want[i]);
  zm_meta_summaries_free(l);
  q = (zm_meta_summary_query){.status = -1, .sort = "pipeline", .descending = 0};
  CHECK_EQ_INT(zm_meta_run_summaries(&l, m, &q), 0);
  for (size_t i = 0; l && i < l->len; i++)
    CHECK_EQ_STR(l->items[i].run.id, want[i]);
  zm_meta_summaries_free(l);
  zm_meta_strings *p = NULL;
  CHECK_EQ_INT(zm_meta_run_ids_with_prefix(&p, m, "t-", 0), 0);
  CHECK_EQ_INT(p ? (long long)p->len : -1, 3);
  for (size_t i = 0; p && i < p->len; i++)
    CHECK_EQ_STR(p->items[i], want[i]);
  zm_meta_strings_free(p);
  zm_meta_close(m);
}

int main(void)
{
  fixture_init();
  RUN(test_lineage_queries);
  RUN(test_run_summaries);
  RUN(test_catalog);
  RUN(test_listing_ties);
  RUN(test_previous_far_back);
  return CHECK_DONE();
}
