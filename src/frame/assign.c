/* Split assignments by value and by cut points (see assign.h). */
#include "frame/assign.h"
#include "core/error.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An open-addressing set of the category texts, slot -> index into values. */
typedef struct table {
  long *slot;
  size_t *lens;
  size_t mask;
  const char *const *values;
} table;

static uint64_t fnv1a(const char *s, size_t len)
{
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return h;
}

static long table_find(const table *t, const char *s, size_t len)
{
  for (size_t at = fnv1a(s, len) & t->mask;; at = (at + 1) & t->mask) {
    long v = t->slot[at];
    if (v < 0 || (t->lens[v] == len && memcmp(t->values[v], s, len) == 0))
      return v;
  }
}

static int table_build(table *t, const char *const *values, size_t m)
{
  size_t size = 8;
  while (size < 2 * m)
    size <<= 1;
  t->slot = malloc(size * sizeof *t->slot);
  t->lens = malloc((m ? m : 1) * sizeof *t->lens);
  if (!t->slot || !t->lens) {
    free(t->slot);
    free(t->lens);
    return zm_error_set(ZM_ENOMEM, "out of memory");
  }
  memset(t->slot, 0xff, size * sizeof *t->slot);
  t->mask = size - 1;
  t->values = values;
  for (size_t v = 0; v < m; v++) {
    size_t len = t->lens[v] = strlen(values[v]);
    size_t at = fnv1a(values[v], len) & t->mask;
    while (t->slot[at] >= 0)
      at = (at + 1) & t->mask;
    t->slot[at] = (long)v;
  }
  return 0;
}

/* The text of row i of a string, int64 or bool column. */
static const char *row_text(const zm_column *c, size_t i, char *tmp, size_t *len)
{
  if (c->type == ZM_TYPE_STR)
    return zm_column_str(c, i, len);
  if (c->type == ZM_TYPE_BOOL) {
    const char *s = ((const uint8_t *)c->data)[i] ? "true" : "false";
    *len = strlen(s);
    return s;
  }
  *len = (size_t)snprintf(tmp, 32, "%" PRId64, ((const int64_t *)c->data)[i]);
  return tmp;
}

int zm_assign_by_value(int *out, const zm_column *c, const char *const *values,
                       const int *parts, size_t m, int unknown)
{
  table t = {0};
  char tmp[32];
  if (c->type == ZM_TYPE_F64)
    return zm_error_set(ZM_EINVALID,
                        "column '%s' is float64; a categorical split needs a string, int64 or "
                        "bool column",
                        c->name);
  int rc = table_build(&t, values, m);
  if (rc)
    return rc;
  for (size_t i = 0; i < c->len; i++) {
    size_t len;
    if (zm_column_is_null(c, i)) {
      out[i] = unknown;
      continue;
    }
    const char *s = row_text(c, i, tmp, &len);
    long v = table_find(&t, s, len);
    out[i] = v < 0 ? unknown : parts[v];
  }
  free(t.slot);
  free(t.lens);
  return 0;
}

/* Number of cuts <= x (binary search). */
static int rank_number(const double *cuts, size_t m, double x)
{
  size_t lo = 0, hi = m;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (cuts[mid] <= x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return (int)lo;
}

static int str_le(const char *cut, const char *s, size_t len)
{
  size_t cl = strlen(cut);
  int c = memcmp(cut, s, cl < len ? cl : len);
  return c < 0 || (c == 0 && cl <= len);
}

static int rank_string(const char *const *cuts, size_t m, const char *s, size_t len)
{
  size_t lo = 0, hi = m;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (str_le(cuts[mid], s, len))
      lo = mid + 1;
    else
      hi = mid;
  }
  return (int)lo;
}

static double row_number(const zm_column *c, size_t i)
{
  if (c->type == ZM_TYPE_F64)
    return ((const double *)c->data)[i];
  if (c->type == ZM_TYPE_I64)
    return (double)((const int64_t *)c->data)[i];
  return ((const uint8_t *)c->data)[i];
}

int zm_assign_by_cuts(int *out, const zm_column *c, const double *cuts,
                      const char *const *scuts, size_t m, int open_last)
{
  int text = c->type == ZM_TYPE_STR;
  if (text ? !scuts : !cuts)
    return zm_error_set(ZM_EINVALID, "column '%s' is %s; the cut points are %s", c->name,
                        zm_type_name(c->type), text ? "numbers" : "strings");
  for (size_t i = 0; i < c->len; i++) {
    int r = -1;
    if (!zm_column_is_null(c, i)) {
      if (text) {
        size_t len;
        const char *s = zm_column_str(c, i, &len);
        r = rank_string(scuts, m, s, len);
      } else {
        double x = row_number(c, i);
        r = isnan(x) ? -1 : rank_number(cuts, m, x);
      }
    }
    out[i] = (r == (int)m && !open_last) ? -1 : r;
  }
  return 0;
}
