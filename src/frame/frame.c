/* Frame lifecycle and row/column selection. */
#include "frame/frame.h"
#include "frame/internal.h"
#include "frame/backed.h"
#include "frame/rowsel.h"
#include "core/bigmem.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static const char *const type_names[] = {"float64", "int64", "bool", "string"};

const char *zm_type_name(zm_type t)
{
  return (unsigned)t < 4 ? type_names[t] : "unknown";
}

int zm_type_parse(zm_type *out, const char *name)
{
  static const struct {
    const char *name;
    zm_type type;
  } names[] = {{"float64", ZM_TYPE_F64}, {"float", ZM_TYPE_F64}, {"double", ZM_TYPE_F64},
               {"int64", ZM_TYPE_I64},   {"int", ZM_TYPE_I64},   {"integer", ZM_TYPE_I64},
               {"bool", ZM_TYPE_BOOL},   {"boolean", ZM_TYPE_BOOL}, {"string", ZM_TYPE_STR},
               {"str", ZM_TYPE_STR}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(name, names[i].name) == 0) {
      *out = names[i].type;
      return 0;
    }
  return zm_error_set(ZM_EINVALID, "unknown column type '%s' (expected float64, int64, bool or string)",
                      name);
}

size_t zm__type_width(zm_type t)
{
  return t == ZM_TYPE_BOOL ? 1 : 8;
}

size_t zm__column_data_bytes(const zm_column *c)
{
  return (c->type == ZM_TYPE_STR ? c->len + 1 : c->len) * zm__type_width(c->type);
}

int zm_frame_new(zm_frame **out, size_t nrow)
{
  *out = calloc(1, sizeof **out);
  if (!*out)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  (*out)->nrow = nrow;
  return 0;
}

/* Free a column's own buffers, leaving it without any. */
static void free_buffers(zm_column *c)
{
  free(c->valid);
  free(c->data);
  free(c->blob);
  c->valid = NULL;
  c->data = NULL;
  c->blob = NULL;
}

void zm__column_release(zm_column *c, int owned)
{
  free(c->name);
  if (owned)
    free_buffers(c);
  memset(c, 0, sizeof *c);
}

void zm_frame_free(zm_frame *f)
{
  if (!f)
    return;
  for (size_t i = 0; i < f->ncol; i++)
    zm__column_release(&f->cols[i], f->map == NULL);
  free(f->cols);
  free(f->note);
  if (f->map)
    munmap(f->map, f->map_len);
  zm_frame_backing_drop(f);
  zm_frame_rowsel_drop(f);
  free(f);
}

void zm_frame_release_columns(zm_frame *f, size_t j0, size_t j1)
{
  for (size_t j = j0; j < j1 && j < f->ncol && !f->map; j++)
    free_buffers(&f->cols[j]);
}

int zm_frame_take_mapped(zm_frame *f, zm_frame *m)
{
  int same = m && m->nrow == f->nrow && m->ncol == f->ncol;
  for (size_t j = 0; same && j < f->ncol; j++)
    same = m->cols[j].type == f->cols[j].type && strcmp(m->cols[j].name, f->cols[j].name) == 0;
  for (size_t j = 0; j < f->ncol; j++)
    zm__column_release(&f->cols[j], f->map == NULL);
  free(f->cols);
  if (f->map)
    munmap(f->map, f->map_len);
  f->cols = NULL;
  f->ncol = 0;
  f->map = NULL;
  if (!same) {
    zm_frame_free(m);
    return m ? zm_error_set(ZM_EINVALID, "the stored frame does not have the columns it was given")
             : 0;
  }
  f->cols = m->cols;
  f->ncol = m->ncol;
  f->map = m->map;
  f->map_len = m->map_len;
  f->map_file = m->map_file;
  m->cols = NULL;
  m->ncol = 0;
  m->map = NULL;
  zm_frame_free(m);
  return 0;
}

void zm_frames_free(zm_frame **frames, size_t k)
{
  for (size_t j = 0; j < k; j++) {
    zm_frame_free(frames[j]);
    frames[j] = NULL;
  }
}

int zm__frame_push(zm_column **out, zm_frame *f, const char *name)
{
  *out = NULL;
  int rc = zm_frame_unback(f);
  if (rc)
    return rc;
  if (f->map)
    return zm_error_set(ZM_EINVALID, "cannot add columns to a memory-mapped frame");
  zm_column *cols = realloc(f->cols, (f->ncol + 1) * sizeof *cols);
  if (!cols)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  f->cols = cols;
  zm_column *c = &cols[f->ncol];
  memset(c, 0, sizeof *c);
  c->name = strdup(name);
  if (!c->name)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  c->len = f->nrow;
  f->ncol++;
  *out = c;
  return 0;
}

/* Drop the last column (used when filling it failed). */
static void pop_column(zm_frame *f)
{
  zm__column_release(&f->cols[--f->ncol], 1);
}

int zm__column_alloc(zm_column *c, zm_type type, size_t len, uint64_t blob_len)
{
  c->type = type;
  c->len = len;
  size_t n = type == ZM_TYPE_STR ? len + 1 : len;
  c->data = zm_big_calloc(n ? n : 1, zm__type_width(type));
  c->blob = type == ZM_TYPE_STR ? zm_big_malloc(blob_len ? blob_len : 1) : NULL;
  c->blob_len = type == ZM_TYPE_STR ? blob_len : 0;
  if (!c->data || (type == ZM_TYPE_STR && !c->blob))
    return zm_error_set(ZM_ENOMEM, "out of memory allocating a column of %zu rows", len);
  return 0;
}

int zm_frame_add(zm_column **out, zm_frame *f, const char *name, zm_type type)
{
  zm_column *c;
  int rc = zm__frame_push(&c, f, name);
  if (rc == 0 && (rc = zm__column_alloc(c, type, f->nrow, 0)) != 0)
    pop_column(f);
  if (rc == 0 && out)
    *out = c;
  return rc;
}

int zm_frame_add_strings(zm_frame *f, const char *name, const char *const *values,
                         const size_t *lens)
{
  uint64_t total = 0;
  for (size_t i = 0; i < f->nrow; i++)
    if (values[i])
      total += lens ? lens[i] : strlen(values[i]);
  zm_column *c;
  int rc = zm__frame_push(&c, f, name);
  if (rc == 0 && (rc = zm__column_alloc(c, ZM_TYPE_STR, f->nrow, total)) != 0)
    pop_column(f);
  if (rc)
    return rc;
  uint64_t *off = c->data, pos = 0;
  for (size_t i = 0; i < f->nrow; i++) {
    off[i] = pos;
    if (!values[i]) {
      if ((rc = zm_column_set_null(c, i)) != 0) {
        pop_column(f);
        return rc;
      }
      continue;
    }
    size_t n = lens ? lens[i] : strlen(values[i]);
    memcpy(c->blob + pos, values[i], n);
    pos += n;
  }
  off[f->nrow] = pos;
  return 0;
}

int zm__bitmap_ensure(uint8_t **valid, size_t len)
{
  if (*valid)
    return 0;
  size_t bytes = (len + 7) / 8;
  *valid = malloc(bytes ? bytes : 1);
  if (!*valid)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  memset(*valid, 0xff, bytes ? bytes : 1);
  return 0;
}

int zm_column_set_null(zm_column *c, size_t i)
{
  int rc = zm__bitmap_ensure(&c->valid, c->len);
  if (rc)
    return rc;
  c->valid[i >> 3] &= (uint8_t) ~(1u << (i & 7));
  return 0;
}

long zm_frame_find(const zm_frame *f, const char *name)
{
  for (size_t i = 0; i < f->ncol; i++)
    if (strcmp(f->cols[i].name, name) == 0)
      return (long)i;
  return -1;
}

size_t zm_column_nulls(const zm_column *c)
{
  if (!c->valid)
    return 0;
  size_t n = 0;
  for (size_t i = 0; i < c->len; i++)
    n += zm_column_is_null(c, i);
  return n;
}

int zm__column_gather(zm_frame *dst, const zm_column *src, const int64_t *idx, size_t start, size_t n)
{
  uint64_t blob = 0;
  const uint64_t *soff = src->data;
  if (src->type == ZM_TYPE_STR)
    for (size_t i = 0; i < n; i++) {
      size_t r = idx ? (size_t)idx[i] : start + i;
      blob += soff[r + 1] - soff[r];
    }
  zm_column *c;
  int rc = zm__frame_push(&c, dst, src->name);
  if (rc == 0 && (rc = zm__column_alloc(c, src->type, n, blob)) != 0)
    pop_column(dst);
  if (rc)
    return rc;
  size_t w = zm__type_width(src->type);
  uint64_t pos = 0, *off = c->data;
  for (size_t i = 0; i < n; i++) {
    size_t r = idx ? (size_t)idx[i] : start + i;
    if (zm_column_is_null(src, r) && (rc = zm_column_set_null(c, i)) != 0) {
      pop_column(dst);
      return rc;
    }
    if (src->type == ZM_TYPE_STR) {
      off[i] = pos;
      memcpy(c->blob + pos, src->blob + soff[r], soff[r + 1] - soff[r]);
      pos += soff[r + 1] - soff[r];
    } else {
      memcpy((char *)c->data + i * w, (const char *)src->data + r * w, w);
    }
  }
  if (src->type == ZM_TYPE_STR)
    off[n] = pos;
  return 0;
}

static int gather_all(zm_frame **out, const zm_frame *f, const int64_t *idx, size_t start,
                      size_t n)
{
  zm_frame *g;
  int rc = zm_frame_new(&g, n);
  for (size_t j = 0; rc == 0 && j < f->ncol; j++)
    rc = zm__column_gather(g, &f->cols[j], idx, start, n);
  if (rc) {
    zm_frame_free(g);
    return rc;
  }
  *out = g;
  return 0;
}

int zm_frame_take(zm_frame **out, const zm_frame *f, const int64_t *idx, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (idx[i] < 0 || (uint64_t)idx[i] >= f->nrow)
      return zm_error_set(ZM_EINVALID, "row index %lld out of range (frame has %zu rows)",
                          (long long)idx[i], f->nrow);
  return gather_all(out, f, idx, 0, n);
}

int zm_frame_slice(zm_frame **out, const zm_frame *f, size_t start, size_t n)
{
  if (start > f->nrow)
    start = f->nrow;
  if (n > f->nrow - start)
    n = f->nrow - start;
  return gather_all(out, f, NULL, start, n);
}

int zm_frame_head(zm_frame **out, const zm_frame *f, size_t n)
{
  return zm_frame_slice(out, f, 0, n);
}

int zm_frame_copy(zm_frame **out, const zm_frame *f)
{
  int rc = zm_frame_slice(out, f, 0, f->nrow);
  if (rc == 0 && f->note && !((*out)->note = strdup(f->note))) {
    zm_frame_free(*out);
    *out = NULL;
    return zm_error_set(ZM_ENOMEM, "out of memory");
  }
  return rc;
}

int zm_frame_filter(zm_frame **out, const zm_frame *f, const uint8_t *mask)
{
  size_t n = 0;
  for (size_t i = 0; i < f->nrow; i++)
    n += mask[i] != 0;
  int64_t *idx = zm_big_malloc(n * sizeof *idx);
  if (!idx)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t i = 0, k = 0; i < f->nrow; i++)
    if (mask[i])
      idx[k++] = (int64_t)i;
  int rc = gather_all(out, f, idx, 0, n);
  free(idx);
  return rc;
}

int zm_frame_select(zm_frame **out, const zm_frame *f, const char *const *names, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (zm_frame_find(f, names[i]) < 0)
      return zm_error_set(ZM_ENOTFOUND, "no column named '%s'", names[i]);
  zm_frame *g;
  int rc = zm_frame_new(&g, f->nrow);
  for (size_t i = 0; rc == 0 && i < n; i++)
    rc = zm__column_gather(g, &f->cols[zm_frame_find(f, names[i])], NULL, 0, f->nrow);
  if (rc) {
    zm_frame_free(g);
    return rc;
  }
  *out = g;
  return 0;
}

/* Copy n bits from src (starting at bit 0; NULL = all valid) to dst at bit `at`. */
void zm__bitmap_copy(uint8_t *dst, size_t at, const uint8_t *src, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    int bit = src ? src[i >> 3] >> (i & 7) & 1 : 1;
    size_t j = at + i;
    if (bit)
      dst[j >> 3] |= (uint8_t)(1u << (j & 7));
    else
      dst[j >> 3] &= (uint8_t) ~(1u << (j & 7));
  }
}

/* Grow one owned column of dst by the rows of s. */
static int append_column(zm_column *d, const zm_column *s, size_t old)
{
  size_t n = old + s->len, w = zm__type_width(d->type);
  int rc;
  if (s->valid || d->valid) {
    if ((rc = zm__bitmap_ensure(&d->valid, old)) != 0)
      return rc;
    uint8_t *v = realloc(d->valid, (n + 7) / 8 + 1);
    if (!v)
      return zm_error_set(ZM_ENOMEM, "out of memory");
    d->valid = v;
    zm__bitmap_copy(v, old, s->valid, s->len);
  }
  if (d->type == ZM_TYPE_STR) {
    char *b = realloc(d->blob, d->blob_len + s->blob_len + 1);
    uint64_t *off = realloc(d->data, (n + 1) * sizeof *off);
    if (b)
      d->blob = b;
    if (off)
      d->data = off;
    if (!b || !off)
      return zm_error_set(ZM_ENOMEM, "out of memory");
    const uint64_t *soff = s->data;
    memcpy(b + d->blob_len, s->blob, s->blob_len);
    for (size_t i = 0; i <= s->len; i++)
      off[old + i] = d->blob_len + soff[i];
    d->blob_len += s->blob_len;
  } else {
    char *p = realloc(d->data, (n ? n : 1) * w);
    if (!p)
      return zm_error_set(ZM_ENOMEM, "out of memory");
    d->data = p;
    memcpy(p + old * w, s->data, s->len * w);
  }
  d->len = n;
  return 0;
}

int zm_frame_concat(zm_frame *dst, const zm_frame *src)
{
  if (dst->ncol != src->ncol)
    return zm_error_set(ZM_EINVALID, "cannot append a frame of %zu columns to one of %zu",
                        src->ncol, dst->ncol);
  for (size_t j = 0; j < dst->ncol; j++) {
    const zm_column *a = &dst->cols[j], *b = &src->cols[j];
    if (strcmp(a->name, b->name) != 0 || a->type != b->type)
      return zm_error_set(ZM_EINVALID,
                          "cannot append: column %zu is '%s' (%s) here but '%s' (%s) there",
                          j + 1, a->name, zm_type_name(a->type), b->name, zm_type_name(b->type));
  }
  int rc0 = zm_frame_unback(dst);
  if (rc0)
    return rc0;
  if (dst->map)
    return zm_error_set(ZM_EINVALID, "cannot append to a memory-mapped frame (copy it first)");
  for (size_t j = 0; j < dst->ncol; j++) {
    int rc = append_column(&dst->cols[j], &src->cols[j], dst->nrow);
    if (rc)
      return rc; /* columns before j grew: keep lengths consistent below */
  }
  dst->nrow += src->nrow;
  return 0;
}
