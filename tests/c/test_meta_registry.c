/* The model registry of the metadata store (meta_registry.c): versions
 * numbered per model, tags, deprecation, aliases and their append-only
 * history, and registered artifacts as roots of artifact_refs. On SQLite,
 * and on a server with ZM_TEST_META_URL. */
#include "meta_fixture.h"

#define MODEL_A "sha256:aaaa"
#define MODEL_B "sha256:bbbb"
#define TRANSFORM "sha256:cccc"

/* A store with two runs and the artifacts their versions point at. */
static zm_meta *registry_store(const char *name)
{
  zm_meta *m = fresh(name);
  if (!m)
    return NULL;
  add_run(m, "run-1");
  add_run(m, "run-2");
  CHECK_EQ_INT(zm_meta_artifact_record(m, MODEL_A, "model", 10), 0);
  CHECK_EQ_INT(zm_meta_artifact_record(m, MODEL_B, "model", 11), 0);
  CHECK_EQ_INT(zm_meta_artifact_record(m, TRANSFORM, "model", 12), 0);
  return m;
}

static int64_t reg(zm_meta *m, const char *model, const char *run, const char *artifact)
{
  zm_meta_model_version v = {.model = (char *)model, .run_id = (char *)run, .step = "trainer",
                             .model_artifact = (char *)artifact,
                             .transform_artifact = TRANSFORM, .yaml_path = "pipelines/x.yaml",
                             .datasource_version = "iris@d1", .message = "first",
                             .created_by = "ana@host"};
  int64_t n = 0;
  CHECK_EQ_INT(zm_meta_model_register(&n, m, &v), 0);
  return n;
}

static void test_register_and_read(void)
{
  zm_meta *m = registry_store("reg-versions");
  if (!m)
    return;
  CHECK_EQ_INT(reg(m, "churn", "run-1", MODEL_A), 1);
  CHECK_EQ_INT(reg(m, "churn", "run-2", MODEL_B), 2);
  CHECK_EQ_INT(reg(m, "iris", "run-2", MODEL_B), 1); /* numbered per model */
  zm_meta_model_version *v = NULL;
  CHECK_EQ_INT(zm_meta_model_version_get(&v, m, "churn", 2), 0);
  if (v) {
    CHECK_EQ_STR(v->model, "churn");
    CHECK_EQ_STR(v->run_id, "run-2");
    CHECK_EQ_STR(v->step, "trainer");
    CHECK_EQ_STR(v->model_artifact, MODEL_B);
    CHECK_EQ_STR(v->transform_artifact, TRANSFORM);
    CHECK(v->schema_artifact == NULL);
    CHECK_EQ_STR(v->datasource_version, "iris@d1");
    CHECK_EQ_STR(v->created_by, "ana@host");
    CHECK_EQ_INT(v->deprecated, 0);
    CHECK(v->created > 1e9);
  }
  zm_meta_model_version_free(v);
  v = NULL;
  CHECK_EQ_INT(zm_meta_model_version_get(&v, m, "churn", 3), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "model 'churn' has no version 3");
  CHECK_EQ_INT(zm_meta_model_version_get(&v, m, "nope", 1), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "no model 'nope'");
  CHECK(v == NULL);

  zm_meta_model_infos *l = NULL;
  CHECK_EQ_INT(zm_meta_model_list(&l, m), 0);
  CHECK_EQ_INT(l ? (long long)l->len : -1, 2);
  if (l && l->len == 2) {
    CHECK_EQ_STR(l->items[0].name, "churn");
    CHECK_EQ_INT(l->items[0].versions, 2);
    CHECK_EQ_INT(l->items[0].latest, 2);
    CHECK_EQ_STR(l->items[1].name, "iris");
  }
  zm_meta_model_infos_free(l);
  zm_meta_model_versions *vs = NULL;
  CHECK_EQ_INT(zm_meta_model_version_list(&vs, m, "churn"), 0);
  CHECK_EQ_INT(vs ? (long long)vs->len : -1, 2);
  if (vs && vs->len == 2)
    CHECK_EQ_INT(vs->items[1].version, 2);
  zm_meta_model_versions_free(vs);
  CHECK_EQ_INT(zm_meta_model_versions_of_run(&vs, m, "run-2"), 0);
  CHECK_EQ_INT(vs ? (long long)vs->len : -1, 2);
  if (vs && vs->len == 2) {
    CHECK_EQ_STR(vs->items[0].model, "churn");
    CHECK_EQ_STR(vs->items[1].model, "iris");
  }
  zm_meta_model_versions_free(vs);

  /* a version needs a recorded run and artifact */
  zm_meta_model_version bad = {.model = "churn", .run_id = "run-9", .step = "trainer",
                               .model_artifact = MODEL_A};
  int64_t n = 0;
  CHECK(zm_meta_model_register(&n, m, &bad) < 0);
  CHECK_EQ_INT(query1(m, "SELECT max(version) FROM model_versions"), 2);
  zm_meta_close(m);
}

static void test_tags_and_deprecation(void)
{
  zm_meta *m = registry_store("reg-tags");
  if (!m)
    return;
  reg(m, "churn", "run-1", MODEL_A);
  reg(m, "churn", "run-2", MODEL_B);
  CHECK_EQ_INT(zm_meta_model_tag_set(m, "churn", 1, "team", "growth"), 0);
  CHECK_EQ_INT(zm_meta_model_tag_set(m, "churn", 1, "team", "risk"), 0); /* replaced */
  CHECK_EQ_INT(zm_meta_model_tag_set(m, "churn", 2, "data", "q3"), 0);
  CHECK_EQ_INT(zm_meta_model_tag_set(m, "churn", 5, "x", "y"), ZM_ENOTFOUND);
  zm_meta_model_labels *t = NULL;
  CHECK_EQ_INT(zm_meta_model_tags(&t, m, "churn"), 0);
  CHECK_EQ_INT(t ? (long long)t->len : -1, 2);
  if (t && t->len == 2) {
    CHECK_EQ_INT(t->items[0].version, 1);
    CHECK_EQ_STR(t->items[0].key, "team");
    CHECK_EQ_STR(t->items[0].value, "risk");
    CHECK_EQ_STR(t->items[1].key, "data");
  }
  zm_meta_model_labels_free(t);

  CHECK_EQ_INT(zm_meta_model_deprecate(m, "churn", 1), 0);
  CHECK_EQ_INT(zm_meta_model_deprecate(m, "churn", 1), 0); /* twice is fine */
  zm_meta_model_version *v = NULL;
  CHECK_EQ_INT(zm_meta_model_version_get(&v, m, "churn", 1), 0);
  CHECK_EQ_INT(v ? v->deprecated : -1, 1);
  zm_meta_model_version_free(v);
  zm_meta_alias_move mv = {.model = "churn", .alias = "production", .to = 1, .reason = "why"};
  CHECK_EQ_INT(zm_meta_model_alias_set(NULL, m, &mv), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(),
               "version 1 of model 'churn' is deprecated; an alias cannot point at it");
  CHECK_EQ_INT(query1(m, "SELECT count(*) FROM model_aliases"), 0);
  CHECK_EQ_INT(query1(m, "SELECT count(*) FROM model_alias_history"), 0);
  zm_meta_close(m);
}

static void test_alias_moves(void)
{
  zm_meta *m = registry_store("reg-alias");
  if (!m)
    return;
  reg(m, "churn", "run-1", MODEL_A);
  reg(m, "churn", "run-2", MODEL_B);
  int64_t from = -1;
  zm_meta_alias_move mv = {.model = "churn", .alias = "production", .to = 1,
                           .reason = "first launch", .created_by = "ana@host",
                           .hook = "hooks/registry.lua@0123"};
  CHECK_EQ_INT(zm_meta_model_alias_set(&from, m, &mv), 0);
  CHECK_EQ_INT(from, 0);
  mv.to = 2;
  mv.reason = "better recall";
  mv.hook = NULL;
  CHECK_EQ_INT(zm_meta_model_alias_set(&from, m, &mv), 0);
  CHECK_EQ_INT(from, 1);
  CHECK_EQ_INT(zm_meta_model_alias_set(&from, m, &mv), ZM_EEXISTS);
  CHECK_EQ_STR(zm_error_last(), "alias 'production' of model 'churn' already points at version 2");
  zm_meta_alias_move staging = {.model = "churn", .alias = "staging", .to = 2};
  CHECK_EQ_INT(zm_meta_model_alias_set(NULL, m, &staging), 0);
  staging.to = 7;
  CHECK_EQ_INT(zm_meta_model_alias_set(NULL, m, &staging), ZM_ENOTFOUND);
  staging.model = "nope";
  CHECK_EQ_INT(zm_meta_model_alias_set(NULL, m, &staging), ZM_ENOTFOUND);

  zm_meta_model_labels *a = NULL;
  CHECK_EQ_INT(zm_meta_model_aliases(&a, m, "churn"), 0);
  CHECK_EQ_INT(a ? (long long)a->len : -1, 2);
  if (a && a->len == 2) {
    CHECK_EQ_STR(a->items[0].key, "production");
    CHECK_EQ_INT(a->items[0].version, 2);
    CHECK_EQ_STR(a->items[1].key, "staging");
  }
  zm_meta_model_labels_free(a);

  zm_meta_alias_moves *h = NULL;
  CHECK_EQ_INT(zm_meta_model_alias_history(&h, m, "churn", "production"), 0);
  CHECK_EQ_INT(h ? (long long)h->len : -1, 2);
  if (h && h->len == 2) {
    CHECK_EQ_INT(h->items[0].from, 0);
    CHECK_EQ_INT(h->items[0].to, 1);
    CHECK_EQ_STR(h->items[0].reason, "first launch");
    CHECK_EQ_STR(h->items[0].hook, "hooks/registry.lua@0123");
    CHECK_EQ_STR(h->items[0].created_by, "ana@host");
    CHECK_EQ_INT(h->items[1].from, 1);
    CHECK_EQ_INT(h->items[1].to, 2);
    CHECK_EQ_STR(h->items[1].reason, "better recall");
    CHECK(h->items[1].hook == NULL);
    CHECK(h->items[1].created >= h->items[0].created);
  }
  zm_meta_alias_moves_free(h);
  CHECK_EQ_INT(zm_meta_model_alias_history(&h, m, "churn", NULL), 0);
  CHECK_EQ_INT(h ? (long long)h->len : -1, 3);
  zm_meta_alias_moves_free(h);
  zm_meta_close(m);
}

/* gc and verify keep and check what a registered version points at, even
 * when no execution's events name it any more. */
static void test_registered_artifacts_are_roots(void)
{
  zm_meta *m = registry_store("reg-roots");
  if (!m)
    return;
  int64_t x = 0;
  CHECK_EQ_INT(zm_meta_execution_begin(&x, m, "run-1", "trainer", "T", NULL, "k"), 0);
  CHECK_EQ_INT(zm_meta_event_add(m, x, MODEL_A, ZM_META_OUTPUT, "model"), 0);
  CHECK_EQ_INT(zm_meta_execution_finish(m, x, ZM_META_FAILED, "boom", NULL), 0);
  zm_meta_strings *refs = NULL;
  CHECK_EQ_INT(zm_meta_artifact_refs(&refs, m), 0);
  int found = 0;
  for (size_t i = 0; refs && i < refs->len; i++)
    found |= strcmp(refs->items[i], MODEL_A) == 0;
  CHECK_EQ_INT(found, 0); /* only a failed execution's output */
  zm_meta_strings_free(refs);
  reg(m, "churn", "run-1", MODEL_A);
  CHECK_EQ_INT(zm_meta_artifact_refs(&refs, m), 0);
  found = 0;
  for (size_t i = 0; refs && i < refs->len; i++)
    found |= strcmp(refs->items[i], MODEL_A) == 0;
  CHECK_EQ_INT(found, 1);
  zm_meta_strings_free(refs);
  zm_meta_close(m);
}

int main(void)
{
  fixture_init();
  RUN(test_register_and_read);
  RUN(test_tags_and_deprecation);
  RUN(test_alias_moves);
  RUN(test_registered_artifacts_are_roots);
  return CHECK_DONE();
}
