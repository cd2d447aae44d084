/* Serialized form of a fitted transform (docs/models.md, "Transform bytes"):
 * little-endian, fixed field order, so the same fit gives the same bytes. */
#include "ml/internal.h"
#include "ml/tf_internal.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

#define TF_MAGIC "ZMTF"
#define TF_FORMAT 1u

static int put_str(zm_buf *b, const char *s, size_t len)
{
  int rc = zm__put_u64(b, len);
  return rc ? rc : zm_buf_put(b, s, len);
}

static int put_col(zm_buf *b, const zm_tf_col *tc)
{
  double stats[] = {tc->lo, tc->hi};
  double fitted[] = {tc->fill_value, tc->mean, tc->std, tc->min, tc->max};
  int rc = put_str(b, tc->name, strlen(tc->name));
  if (!rc) rc = zm__put_u32(b, (uint32_t)tc->type);
  if (!rc) rc = zm__put_u32(b, (uint32_t)tc->method);
  if (!rc) rc = zm__put_u32(b, (uint32_t)tc->fill);
  if (!rc) rc = zm__put_f64s(b, stats, 2);
  if (!rc) rc = zm__put_u64(b, tc->n);
  if (!rc) rc = zm__put_u64(b, tc->top_k);
  if (!rc) rc = zm__put_u64(b, tc->oov);
  if (!rc) rc = put_str(b, tc->fill_string, strlen(tc->fill_string));
  if (!rc) rc = zm__put_f64s(b, fitted, 5);
  if (!rc) rc = zm__put_u64(b, tc->nbounds);
  if (!rc) rc = zm__put_f64s(b, tc->bounds, tc->nbounds);
  if (!rc) rc = zm__put_u64(b, tc->cats.n);
  for (size_t k = 0; rc == 0 && k < tc->cats.n; k++) {
    rc = put_str(b, tc->cats.keys[k], tc->cats.lens[k]);
    if (!rc) rc = zm__put_u64(b, tc->cats.counts[k]);
  }
  return rc;
}

int zm_transform_save(zm_buf *out, const zm_transform *t)
{
  int rc = zm_buf_put(out, TF_MAGIC, 4);
  if (!rc) rc = zm__put_u32(out, TF_FORMAT);
  if (!rc) rc = zm__put_u64(out, t->ncol);
  for (size_t j = 0; rc == 0 && j < t->ncol; j++)
    rc = put_col(out, &t->cols[j]);
  if (!rc) rc = zm__put_u64(out, t->nlabels);
  for (size_t i = 0; rc == 0 && i < t->nlabels; i++)
    rc = put_str(out, t->labels[i], strlen(t->labels[i]));
  return rc;
}

/* A length-prefixed string as a new NUL-terminated copy; its length in *len
 * unless len is NULL. */
static int get_str(char **out, size_t *len, zm_reader *r)
{
  *out = NULL;
  if (len)
    *len = 0;
  size_t n;
  int rc = zm__get_size(&n, r, r->len - r->pos);
  if (rc)
    return rc;
  if (!(*out = malloc(n + 1)))
    return zm_error_set(ZM_ENOMEM, "out of memory");
  memcpy(*out, r->p + r->pos, n);
  (*out)[n] = 0;
  r->pos += n;
  if (len)
    *len = n;
  return 0;
}

static int get_enum(uint32_t *out, zm_reader *r, uint32_t max, const char *what)
{
  int rc = zm__get_u32(out, r);
  if (rc == 0 && *out > max)
    return zm_error_set(ZM_EINVALID, "corrupt transform: %s %u", what, *out);
  return rc;
}

static int get_cats(zm_tf_col *tc, zm_reader *r)
{
  size_t n;
  int rc = zm__get_size(&n, r, (r->len - r->pos) / 16);
  for (size_t k = 0; rc == 0 && k < n; k++) {
    char *s = NULL;
    size_t len, idx;
    uint64_t count = 0;
    rc = get_str(&s, &len, r);
    if (!rc) rc = zm__get_u64(&count, r);
    if (!rc) rc = zm__strtab_add(&tc->cats, s, len, &idx);
    if (!rc && idx != k)
      rc = zm_error_set(ZM_EINVALID, "corrupt transform: category '%s' repeats", s);
    if (!rc)
      tc->cats.counts[idx] = (size_t)count;
    free(s);
  }
  return rc;
}

static int get_col(zm_tf_col *tc, zm_reader *r)
{
  uint32_t type = 0, method = 0, fill = 0;
  double stats[2], fitted[5];
  int rc = get_str(&tc->name, NULL, r);
  if (!rc) rc = get_enum(&type, r, ZM_TYPE_STR, "column type");
  if (!rc) rc = get_enum(&method, r, ZM_TF_HASH, "method");
  if (!rc) rc = get_enum(&fill, r, ZM_FILL_NONE, "fill");
  if (!rc) rc = zm__get_f64s(stats, r, 2);
  if (!rc) rc = zm__get_u64(&tc->n, r);
  if (!rc) rc = zm__get_u64(&tc->top_k, r);
  if (!rc) rc = zm__get_u64(&tc->oov, r);
  if (!rc) rc = get_str(&tc->fill_string, NULL, r);
  if (!rc) rc = zm__get_f64s(fitted, r, 5);
  if (!rc) rc = zm__get_size(&tc->nbounds, r, (r->len - r->pos) / 8);
  if (!rc && !(tc->bounds = malloc((tc->nbounds ? tc->nbounds : 1) * sizeof(double))))
    rc = zm_error_set(ZM_ENOMEM, "out of memory");
  if (!rc) rc = zm__get_f64s(tc->bounds, r, tc->nbounds);
  if (!rc) rc = get_cats(tc, r);
  if (rc)
    return rc;
  if (method == ZM_TF_AUTO || (method == ZM_TF_HASH && tc->n == 0))
    return zm_error_set(ZM_EINVALID, "corrupt transform: column '%s'", tc->name);
  tc->type = (zm_type)type;
  tc->method = (zm_tf_method)method;
  tc->fill = (zm_tf_fill)fill;
  tc->lo = stats[0], tc->hi = stats[1];
  tc->fill_value = fitted[0], tc->mean = fitted[1], tc->std = fitted[2];
  tc->min = fitted[3], tc->max = fitted[4];
  tc->nout = method == ZM_TF_ONEHOT ? tc->cats.n : 1;
  return 0;
}

static int get_labels(zm_transform *t, zm_reader *r)
{
  size_t n;
  int rc = zm__get_size(&n, r, (r->len - r->pos) / 8);
  if (rc == 0 && !(t->labels = calloc(n ? n : 1, sizeof *t->labels)))
    rc = zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t i = 0; rc == 0 && i < n; i++, t->nlabels++)
    rc = get_str(&t->labels[i], NULL, r);
  return rc;
}

static int read_all(zm_transform *t, zm_reader *r)
{
  uint32_t version = 0;
  size_t n = 0;
  if (r->len < 4 || memcmp(r->p, TF_MAGIC, 4) != 0)
    return zm_error_set(ZM_EINVALID, "not a zenml transform (bad magic)");
  r->pos = 4;
  int rc = zm__get_u32(&version, r);
  if (rc == 0 && version != TF_FORMAT)
    return zm_error_set(ZM_EVERSION, "transform format %u is not supported (expected %u)",
                        version, TF_FORMAT);
  if (!rc) rc = zm__get_size(&n, r, (r->len - r->pos) / 8);
  if (!rc && !(t->cols = calloc(n ? n : 1, sizeof *t->cols)))
    rc = zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t j = 0; rc == 0 && j < n; j++, t->ncol++)
    rc = get_col(&t->cols[j], r);
  if (!rc) rc = get_labels(t, r);
  if (!rc && r->pos != r->len)
    rc = zm_error_set(ZM_EINVALID, "transform bytes have %zu trailing bytes", r->len - r->pos);
  if (!rc) rc = zm__tf_outnames(t);
  return rc;
}

int zm_transform_load(zm_transform **out, const void *data, size_t len)
{
  *out = NULL;
  zm_transform *t = calloc(1, sizeof *t);
  if (!t)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  zm_reader r = {data, len, 0};
  int rc = read_all(t, &r);
  if (rc) {
    zm_transform_free(t);
    return zm_error_wrap(rc, "loading a transform");
  }
  *out = t;
  return 0;
}
