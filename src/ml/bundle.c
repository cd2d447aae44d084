/* A model bundle: the model plus its feature, label and class names, so a
 * loaded model predicts on a frame alone. */
#include "ml/bridge.h"
#include "core/bigmem.h"
#include "ml/internal.h"
#include "ml/metrics.h"
#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUNDLE_MAGIC "ZMMB"
#define BUNDLE_FORMAT 1u

void zm_bundle_free(zm_bundle *b)
{
  if (!b)
    return;
  zm_model_free(b->model);
  for (size_t j = 0; b->features && j < b->d; j++)
    free(b->features[j]);
  free(b->features);
  free(b->label);
  zm_classes_free(&b->classes);
  free(b);
}

static int put_str(zm_buf *b, const char *s)
{
  size_t len = strlen(s);
  int rc = zm__put_u64(b, len);
  return rc ? rc : zm_buf_put(b, s, len);
}

int zm_bundle_save(zm_buf *out, const zm_bundle *b)
{
  zm_buf model = ZM_BUF_INIT;
  int rc = zm_buf_put(out, BUNDLE_MAGIC, 4);
  if (!rc) rc = zm__put_u32(out, BUNDLE_FORMAT);
  if (!rc) rc = zm__put_u64(out, b->d);
  for (size_t j = 0; rc == 0 && j < b->d; j++)
    rc = put_str(out, b->features[j]);
  if (!rc) rc = put_str(out, b->label);
  if (!rc) rc = zm__put_u32(out, (uint32_t)b->classes.type);
  if (!rc) rc = zm__put_u64(out, b->classes.k);
  for (size_t k = 0; rc == 0 && k < b->classes.k; k++)
    rc = put_str(out, b->classes.names[k]);
  if (!rc) rc = zm_model_save(&model, b->model);
  if (!rc) rc = zm__put_u64(out, model.len);
  if (!rc) rc = zm_buf_put(out, model.data, model.len);
  zm_buf_free(&model);
  return rc;
}

static int get_str(char **out, zm_reader *r)
{
  size_t n;
  int rc = zm__get_size(&n, r, r->len - r->pos);
  if (rc)
    return rc;
  if (!(*out = malloc(n + 1)))
    return zm_error_set(ZM_ENOMEM, "out of memory");
  memcpy(*out, r->p + r->pos, n);
  (*out)[n] = 0;
  r->pos += n;
  return 0;
}

/* n strings into a new array *out (entries counted into *count as read). */
static int get_strs(char ***out, size_t *count, zm_reader *r)
{
  size_t n;
  int rc = zm__get_size(&n, r, (r->len - r->pos) / 8);
  if (rc == 0 && !(*out = calloc(n ? n : 1, sizeof **out)))
    rc = zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t i = 0; rc == 0 && i < n; i++, (*count)++)
    rc = get_str(&(*out)[i], r);
  return rc;
}

static int read_bundle(zm_bundle *b, zm_reader *r)
{
  uint32_t version = 0, type = 0;
  size_t len = 0;
  if (r->len < 4 || memcmp(r->p, BUNDLE_MAGIC, 4) != 0)
    return zm_error_set(ZM_EINVALID, "not a zenml model bundle (bad magic)");
  r->pos = 4;
  int rc = zm__get_u32(&version, r);
  if (rc == 0 && version != BUNDLE_FORMAT)
    return zm_error_set(ZM_EVERSION, "model bundle format %u is not supported (expected %u)",
                        version, BUNDLE_FORMAT);
  if (!rc) rc = get_strs(&b->features, &b->d, r);
  if (!rc) rc = get_str(&b->label, r);
  if (!rc) rc = zm__get_u32(&type, r);
  if (!rc && type > ZM_TYPE_STR)
    rc = zm_error_set(ZM_EINVALID, "corrupt model bundle: label type %u", type);
  b->classes.type = (zm_type)type;
  if (!rc) rc = get_strs(&b->classes.names, &b->classes.k, r);
  if (!rc) rc = zm__get_size(&len, r, r->len - r->pos);
  if (!rc && len != r->len - r->pos)
    rc = zm_error_set(ZM_EINVALID, "model bundle: model is %zu bytes, %zu remain", len,
                      r->len - r->pos);
  if (!rc) rc = zm_model_load(&b->model, r->p + r->pos, len);
  if (!rc && (zm_model_features(b->model) != b->d ||
              (zm_model_task(b->model) != ZM_TASK_REGRESSION) != (b->classes.k > 0)))
    rc = zm_error_set(ZM_EINVALID, "model bundle: names do not match the model");
  return rc;
}

int zm_bundle_load(zm_bundle **out, const void *data, size_t len)
{
  *out = NULL;
  zm_bundle *b = calloc(1, sizeof *b);
  if (!b)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  zm_reader r = {data, len, 0};
  int rc = read_bundle(b, &r);
  if (rc) {
    zm_bundle_free(b);
    return zm_error_wrap(rc, "loading a model");
  }
  *out = b;
  return 0;
}

/* The predicted class ids as a column of the label's own type. */
static int add_classes(zm_frame *g, const zm_classes *cl, const int *ids)
{
  size_t n = g->nrow;
  zm_column *c;
  if (cl->type == ZM_TYPE_STR) {
    const char **v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
      return zm_error_set(ZM_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
      v[i] = cl->names[ids[i]];
    int rc = zm_frame_add_strings(g, "prediction", v, NULL);
    free(v);
    return rc;
  }
  int rc = zm_frame_add(&c, g, "prediction", cl->type);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    const char *s = cl->names[ids[i]];
    if (cl->type == ZM_TYPE_F64)
      ((double *)c->data)[i] = strtod(s, NULL);
    else if (cl->type == ZM_TYPE_I64)
      ((int64_t *)c->data)[i] = strtoll(s, NULL, 10);
    else
      ((uint8_t *)c->data)[i] = strcmp(s, "true") == 0;
  }
  return rc;
}

static int add_probabilities(zm_frame *g, const zm_classes *cl, const double *P)
{
  for (size_t k = 0; k < cl->k; k++) {
    size_t len = strlen(cl->names[k]) + 3;
    char *name = malloc(len);
    zm_column *c;
    if (!name)
      return zm_error_set(ZM_ENOMEM, "out of memory");
    snprintf(name, len, "p_%s", cl->names[k]);
    int rc = zm_frame_add(&c, g, name, ZM_TYPE_F64);
    free(name);
    if (rc)
      return rc;
    for (size_t i = 0; i < g->nrow; i++)
      ((double *)c->data)[i] = P[i * cl->k + k];
  }
  return 0;
}

static int fill_predictions(zm_frame *g, const zm_bundle *b, const double *X)
{
  size_t n = g->nrow, m = zm_model_outputs(b->model);
  double *P = zm_big_malloc((n * m + 1) * sizeof *P);
  int *ids = zm_big_malloc(n * sizeof *ids);
  zm_column *c;
  int rc = !P || !ids ? zm_error_set(ZM_ENOMEM, "out of memory") : 0;
  if (rc == 0)
    rc = zm_model_predict(P, b->model, X, n);
  if (rc == 0 && b->classes.k == 0 && (rc = zm_frame_add(&c, g, "prediction", ZM_TYPE_F64)) == 0)
    memcpy(c->data, P, n * sizeof *P);
  if (rc == 0 && b->classes.k > 0) {
    zm_metric_argmax(ids, P, n, m);
    rc = add_classes(g, &b->classes, ids);
    if (rc == 0)
      rc = add_probabilities(g, &b->classes, P);
  }
  free(P);
  free(ids);
  return rc;
}

int zm_bundle_predict(zm_frame **out, const zm_bundle *b, const zm_frame *f)
{
  *out = NULL;
  double *X = NULL;
  zm_frame *g = NULL;
  int rc = zm_frame_matrix(&X, f, (const char *const *)b->features, b->d,
                           zm_model_kind_of(b->model) == ZM_MODEL_XGB);
  if (rc == 0)
    rc = zm_frame_new(&g, f->nrow);
  if (rc == 0)
    rc = fill_predictions(g, b, X);
  free(X);
  if (rc) {
    zm_frame_free(g);
    return zm_error_wrap(rc, "predict");
  }
  *out = g;
  return 0;
}
