/* The CSV hot loop: rows of one chunk into typed column buffers. Numbers in
 * columns already typed as numbers are parsed straight from the input; every
 * other field goes through the general path (quotes, nulls, type changes). */
#include "frame/csv_internal.h"
#include "frame/internal.h"
#include "core/bigmem.h"
#include "core/error.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { CLASS_NULL = -1 }; /* besides the zm_type values */

/* Drop input pages behind the parser once they are this far back. */
#define DROP_STEP (4u << 20)

static int chunk_fail(csv_chunk *ch, const char *row, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int chunk_fail(csv_chunk *ch, const char *row, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ch->err, sizeof ch->err, fmt, ap);
  va_end(ap);
  ch->err_at = row;
  ch->rc = ZM_EINVALID;
  return ch->rc;
}

static int is_default_null(const char *s, size_t n)
{
  switch (n) {
  case 0: return 1;
  case 2: return memcmp(s, "NA", 2) == 0;
  case 3: return memcmp(s, "NaN", 3) == 0 || memcmp(s, "N/A", 3) == 0;
  case 4: return memcmp(s, "null", 4) == 0;
  default: return 0;
  }
}

static int is_null_token(const csv_reader *r, const char *s, size_t n)
{
  if (is_default_null(s, n))
    return 1;
  for (size_t k = 0; k < r->nnulls; k++)
    if (strlen(r->nulls[k]) == n && memcmp(r->nulls[k], s, n) == 0)
      return 1;
  return 0;
}

/* An optional sign and digits only: an integer, whatever its size. */
static int is_integer_text(const char *s, size_t n)
{
  size_t k = n && (*s == '-' || *s == '+');
  if (k == n)
    return 0;
  for (; k < n; k++)
    if (s[k] < '0' || s[k] > '9')
      return 0;
  return 1;
}

/* 1 or 0 for a bool token, -1 otherwise; 0/1 only when `digits`. */
static int parse_bool(const char *s, size_t n, int digits)
{
  if (n == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "True", 4) || !memcmp(s, "TRUE", 4)))
    return 1;
  if (n == 5 && (!memcmp(s, "false", 5) || !memcmp(s, "False", 5) || !memcmp(s, "FALSE", 5)))
    return 0;
  if (digits && n == 1 && (*s == '0' || *s == '1'))
    return *s - '0';
  return -1;
}

static int classify(const csv_reader *r, const char *s, size_t n)
{
  if (is_null_token(r, s, n))
    return CLASS_NULL;
  char c = s[0];
  if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 't' || c == 'T' ||
        c == 'f' || c == 'F' || c == 'i' || c == 'I'))
    return ZM_TYPE_STR;
  if (parse_bool(s, n, 0) >= 0)
    return ZM_TYPE_BOOL;
  int64_t i;
  double d;
  if (zm__parse_int64(s, s + n, &i) == s + n)
    return ZM_TYPE_I64;
  if (zm__parse_double(s, s + n, &d) == s + n)
    return ZM_TYPE_F64;
  return ZM_TYPE_STR;
}

int csv_utf8_valid(const char *str, size_t n)
{
  const unsigned char *s = (const unsigned char *)str, *e = s + n;
  while (s < e) {
    unsigned c = *s;
    if (c < 0x80) {
      s++;
      continue;
    }
    int len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    if (!len || (c >= 0xf0 && len != 4) || e - s < len)
      return 0;
    for (int k = 1; k < len; k++)
      if ((s[k] & 0xc0) != 0x80)
        return 0;
    if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0) ||
        (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
      return 0; /* overlong, surrogate or beyond U+10FFFF */
    s += len;
  }
  return 1;
}

static size_t kind_width(int kind)
{
  return kind == ZM_TYPE_BOOL ? 1 : 8;
}

void *csv_col_data(size_t cap, int kind, size_t rows)
{
  size_t w = kind_width(kind), cells = kind == ZM_TYPE_STR ? cap + 1 : cap;
  void *p = zm_big_malloc(cells * w);
  if (!p)
    return NULL;
  memset(p, 0, (rows + 1 < cells ? rows + 1 : cells) * w);
  if (kind == ZM_TYPE_F64)
    for (size_t i = 0; i < rows; i++)
      ((double *)p)[i] = NAN;
  return p;
}

/* Give a column buffers for ch->cap rows, the first `rows` of them null. */
static int col_start(csv_chunk *ch, csv_col *c, int kind, size_t rows)
{
  c->kind = kind;
  c->data = csv_col_data(ch->cap, kind, rows);
  if (!c->data)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  c->nnull = rows;
  if (rows) {
    if (!(c->valid = malloc(ch->cap / 8 + 1)))
      return zm_error_set(ZM_ENOMEM, "out of memory");
    memset(c->valid, 0xff, ch->cap / 8 + 1);
    memset(c->valid, 0, rows / 8);
    for (size_t i = rows & ~(size_t)7; i < rows; i++)
      c->valid[i >> 3] &= (uint8_t) ~(1u << (i & 7));
  }
  return 0;
}

static int set_null(csv_chunk *ch, csv_col *c, size_t i)
{
  if (!c->valid) {
    if (!(c->valid = malloc(ch->cap / 8 + 1)))
      return zm_error_set(ZM_ENOMEM, "out of memory");
    memset(c->valid, 0xff, ch->cap / 8 + 1);
  }
  c->valid[i >> 3] &= (uint8_t) ~(1u << (i & 7));
  c->nnull++;
  return 0;
}

/* Double every column's capacity. */
static int grow(csv_chunk *ch)
{
  size_t cap = ch->cap * 2;
  for (size_t j = 0; j < ch->r->ncol; j++) {
    csv_col *c = &ch->cols[j];
    if (c->data) {
      size_t n = c->kind == ZM_TYPE_STR ? cap + 1 : cap;
      size_t old = (c->kind == ZM_TYPE_STR ? ch->cap + 1 : ch->cap) * kind_width(c->kind);
      void *d = zm_big_realloc(c->data, old, n * kind_width(c->kind));
      if (!d)
        return zm_error_set(ZM_ENOMEM, "out of memory");
      c->data = d;
    }
    if (c->valid) {
      uint8_t *v = realloc(c->valid, cap / 8 + 1);
      if (!v)
        return zm_error_set(ZM_ENOMEM, "out of memory");
      memset(v + ch->cap / 8 + 1, 0xff, cap / 8 - ch->cap / 8);
      c->valid = v;
    }
  }
  ch->cap = cap;
  return 0;
}

static int put_string(csv_chunk *ch, csv_col *c, size_t i, const char *s, size_t n)
{
  if (c->blob_len + n > c->blob_cap) {
    size_t cap = c->blob_cap ? c->blob_cap : 4096;
    while (cap < c->blob_len + n)
      cap *= 2;
    char *b = zm_big_realloc(c->blob, c->blob_len, cap);
    if (!b)
      return zm_error_set(ZM_ENOMEM, "out of memory");
    c->blob = b;
    c->blob_cap = cap;
  }
  memcpy(c->blob + c->blob_len, s, n);
  c->blob_len += n;
  ((uint64_t *)c->data)[i + 1] = c->blob_len;
  (void)ch;
  return 0;
}

/* A column that met a value of another type: forget it, re-read as string. */
static void col_skip(csv_col *c)
{
  free(c->data);
  free(c->valid);
  free(c->blob);
  c->data = NULL;
  c->valid = NULL;
  c->blob = NULL;
  c->blob_len = c->blob_cap = 0;
  c->kind = KIND_SKIP;
  c->mixed = 1;
  c->tok_over = 1;
}

void csv_int_to_float(csv_col *c, size_t rows)
{
  for (size_t i = 0; i < rows; i++) {
    int64_t v;
    memcpy(&v, (char *)c->data + i * 8, 8);
    int null = c->valid && !(c->valid[i >> 3] & (1u << (i & 7)));
    double d = null ? NAN : (double)v;
    memcpy((char *)c->data + i * 8, &d, 8);
  }
  c->kind = ZM_TYPE_F64;
}

/* The token of c equal to [s, s + n), or NULL. */
static csv_token *find_token(csv_col *c, const char *s, size_t n)
{
  for (int k = 0; k < c->ntok; k++)
    if (c->tok[k].len == n && memcmp(c->tok[k].text, s, n) == 0)
      return &c->tok[k];
  return NULL;
}

/* Count a text value of a column that may be numbers as a candidate null
 * token; 0 when it cannot be one (a bool, too long, one token too many, or
 * not one of the decided tokens when they are fixed). */
static int add_token(csv_col *c, const char *row, const char *s, size_t n)
{
  csv_token *t = find_token(c, s, n);
  if (!t) {
    if (c->tok_fixed || c->tok_over || c->ntok == ZM_CSV_MAX_TOKENS || n >= ZM_CSV_TOKEN_MAX ||
        parse_bool(s, n, 0) >= 0)
      return 0;
    t = &c->tok[c->ntok++];
    memcpy(t->text, s, n);
    t->len = n;
    t->count = 0;
    t->first = row;
  }
  t->count++;
  return 1;
}

static int mismatch(csv_chunk *ch, const char *row, size_t j, const char *s, size_t n)
{
  csv_col *c = &ch->cols[j];
  if (!c->locked) {
    col_skip(c);
    return 0;
  }
  return chunk_fail(ch, row, "column '%s': cannot read \"%.*s\" as %s", ch->r->names[j],
                    (int)(n > 40 ? 40 : n), s, zm_type_name((zm_type)c->kind));
}

/* Note what kind of value a string column holds: text (a candidate null
 * token while there are few) or a typed value. */
static void note_class(const csv_reader *r, csv_col *c, const char *row, const char *s, size_t n)
{
  int k = classify(r, s, n);
  if (k == ZM_TYPE_STR) {
    c->seen_text = 1;
    if (!c->tok_over && !add_token(c, row, s, n))
      c->tok_over = 1;
  } else if (k != CLASS_NULL) {
    c->seen_typed = 1;
    c->ntyped++;
    c->typed_mask |= 1u << k;
  }
}

/* A text value in a column of numbers: a null, while it may be a null
 * token; otherwise the column is mixed (or, when its type is fixed, the
 * value is an error). */
static int put_token(csv_chunk *ch, const char *row, size_t j, const char *s, size_t n)
{
  csv_col *c = &ch->cols[j];
  if ((c->locked && !c->tok_fixed) || !add_token(c, row, s, n))
    return mismatch(ch, row, j, s, n);
  if (c->kind == ZM_TYPE_F64)
    ((double *)c->data)[ch->nrow] = NAN;
  else
    ((int64_t *)c->data)[ch->nrow] = 0;
  return set_null(ch, c, ch->nrow);
}

/* An integer too large for int64 made the column float64: remember the first. */
static void note_overflow(csv_col *c, const char *row, const char *s, size_t n)
{
  if (c->overflow_at)
    return;
  c->overflow_at = row;
  snprintf(c->overflow_text, sizeof c->overflow_text, "%.*s%s",
           (int)(n < sizeof c->overflow_text - 4 ? n : sizeof c->overflow_text - 4), s,
           n < sizeof c->overflow_text - 4 ? "" : "...");
}

/* Store a field that is not a plain number in a number column. */
static int put_field(csv_chunk *ch, const char *row, size_t j, const char *s, size_t n)
{
  csv_col *c = &ch->cols[j];
  size_t i = ch->nrow;
  if (c->kind == KIND_SKIP)
    return 0;
  if (is_null_token(ch->r, s, n)) {
    if (c->kind == KIND_UNKNOWN)
      return 0;
    if (c->kind == ZM_TYPE_F64)
      ((double *)c->data)[i] = NAN;
    else if (c->kind == ZM_TYPE_I64)
      ((int64_t *)c->data)[i] = 0;
    else if (c->kind == ZM_TYPE_BOOL)
      ((uint8_t *)c->data)[i] = 0;
    else
      ((uint64_t *)c->data)[i + 1] = c->blob_len;
    return set_null(ch, c, i);
  }
  int rc;
  if (c->kind == KIND_UNKNOWN) {
    if ((rc = col_start(ch, c, classify(ch->r, s, n), i)) != 0)
      return rc;
    if (c->kind == ZM_TYPE_F64 && is_integer_text(s, n))
      note_overflow(c, row, s, n);
  }
  switch (c->kind) {
  case ZM_TYPE_STR:
    if (memchr(s, 0, n))
      return chunk_fail(ch, row, "a NUL byte in column '%s' (zenml reads UTF-8 CSV; is the file UTF-16?)",
                        ch->r->names[j]);
    if (!csv_utf8_valid(s, n))
      return chunk_fail(ch, row, "invalid UTF-8 in column '%s'", ch->r->names[j]);
    if (!c->tok_over || !(c->seen_typed && c->seen_text))
      note_class(ch->r, c, row, s, n);
    return put_string(ch, c, i, s, n);
  case ZM_TYPE_BOOL: {
    int b = parse_bool(s, n, c->locked);
    if (b < 0)
      return mismatch(ch, row, j, s, n);
    ((uint8_t *)c->data)[i] = (uint8_t)b;
    return 0;
  }
  case ZM_TYPE_I64: {
    int64_t v;
    if (zm__parse_int64(s, s + n, &v) == s + n) {
      ((int64_t *)c->data)[i] = v;
      return 0;
    }
    double d;
    if (c->locked || zm__parse_double(s, s + n, &d) != s + n)
      return put_token(ch, row, j, s, n);
    if (is_integer_text(s, n))
      note_overflow(c, row, s, n);
    csv_int_to_float(c, i);
    ((double *)c->data)[i] = d;
    return 0;
  }
  default: {
    double d;
    if (zm__parse_double(s, s + n, &d) != s + n)
      return put_token(ch, row, j, s, n);
    ((double *)c->data)[i] = d;
    return 0;
  }
  }
}

static int is_end(const csv_reader *r, const char *q, const char *end)
{
  return q == end || *q == r->delim || *q == '\n' || *q == '\r';
}

/* Parse a number straight from the input; NULL when the field is anything
 * else (then the general path looks at it). */
static const char *fast_number(const csv_chunk *ch, csv_col *c, const char *p)
{
  const char *q;
  if (c->kind == ZM_TYPE_F64) {
    double v;
    q = zm__parse_double(p, ch->end, &v);
    if (q && is_end(ch->r, q, ch->end)) {
      ((double *)c->data)[ch->nrow] = v;
      return q;
    }
  } else if (c->kind == ZM_TYPE_I64) {
    int64_t v;
    q = zm__parse_int64(p, ch->end, &v);
    if (q && is_end(ch->r, q, ch->end)) {
      ((int64_t *)c->data)[ch->nrow] = v;
      return q;
    }
  }
  return NULL;
}

const char *csv_scan_field(csv_chunk *ch, const char *p, const char **s, size_t *n, int *quoted)
{
  const csv_reader *r = ch->r;
  const char *end = ch->end;
  *quoted = p < end && *p == r->quote;
  if (!*quoted) {
    const char *q = p;
    while (q < end && *q != r->delim && *q != '\n' && *q != '\r')
      q++;
    *s = p;
    *n = (size_t)(q - p);
    return q;
  }
  const char *q = p + 1;
  size_t out = 0;
  int copying = 0;
  for (;;) {
    const char *e = memchr(q, r->quote, (size_t)(end - q));
    if (!e)
      return chunk_fail(ch, p, "unterminated quoted field"), NULL;
    int doubled = e + 1 < end && e[1] == r->quote;
    if (doubled || copying) {
      size_t need = out + (size_t)(e - q) + 1;
      if (need > ch->scratch_cap) {
        size_t cap = need * 2;
        char *b = realloc(ch->scratch, cap);
        if (!b)
          return zm_error_set(ZM_ENOMEM, "out of memory"), ch->rc = ZM_ENOMEM, NULL;
        ch->scratch = b;
        ch->scratch_cap = cap;
      }
      memcpy(ch->scratch + out, q, (size_t)(e - q));
      out += (size_t)(e - q);
      copying = 1;
    }
    if (!doubled) {
      *s = copying ? ch->scratch : p + 1;
      *n = copying ? out : (size_t)(e - (p + 1));
      if (!is_end(r, e + 1, end))
        return chunk_fail(ch, p, "unexpected text after a closing quote"), NULL;
      return e + 1;
    }
    ch->scratch[out++] = r->quote;
    q = e + 2;
  }
}

size_t csv_count_fields(const csv_reader *r, const char *p)
{
  const char *end = r->data + r->len;
  size_t n = 1;
  int inq = 0;
  for (; p < end; p++) {
    if (*p == r->quote)
      inq = !inq;
    else if (!inq && *p == r->delim)
      n++;
    else if (!inq && (*p == '\n' || *p == '\r'))
      break;
  }
  return n;
}

/* Give consumed input pages back: they count in RSS though not on the heap. */
static void drop_behind(const csv_chunk *ch, const char **dropped, const char *p)
{
  if (!ch->r->mapped || p - *dropped < (ptrdiff_t)DROP_STEP)
    return;
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t a = ((uintptr_t)*dropped + page - 1) & ~(page - 1);
  uintptr_t b = (uintptr_t)p & ~(page - 1);
  if (b > a)
    madvise((void *)a, b - a, MADV_DONTNEED);
  *dropped = p;
}

/* One row starting at p; returns where the next one starts, or NULL. */
static const char *parse_row(csv_chunk *ch, const char *p)
{
  const csv_reader *r = ch->r;
  const char *row = p, *end = ch->end;
  for (size_t j = 0;; j++) {
    csv_col *c = &ch->cols[j];
    const char *q = c->kind == ZM_TYPE_F64 || c->kind == ZM_TYPE_I64 ? fast_number(ch, c, p)
                                                                      : NULL;
    if (!q) {
      const char *s;
      size_t n;
      int quoted;
      if (!(q = csv_scan_field(ch, p, &s, &n, &quoted)) || put_field(ch, row, j, s, n) != 0) {
        if (!ch->rc)
          ch->rc = ZM_ENOMEM;
        return NULL;
      }
    }
    p = q;
    if (p < end && *p == r->delim) {
      p++;
      if (j + 1 == r->ncol)
        break;
      continue;
    }
    if (j + 1 != r->ncol)
      break;
    if (p < end && *p == '\r')
      p++;
    if (p < end && *p == '\n')
      p++;
    return p;
  }
  chunk_fail(ch, row, "expected %zu fields, found %zu", r->ncol, csv_count_fields(r, row));
  return NULL;
}

void csv_parse_chunk(csv_chunk *ch)
{
  const char *p = ch->beg, *end = ch->end, *dropped = ch->beg;
  while (p < ch->stop && p < end) {
    if (*p == '\n' || *p == '\r') { /* blank line */
      p++;
      continue;
    }
    if (ch->nrow == ch->cap && grow(ch) != 0) {
      ch->rc = ZM_ENOMEM;
      break;
    }
    const char *next = parse_row(ch, p);
    if (!next)
      break;
    p = next;
    ch->nrow++;
    drop_behind(ch, &dropped, p);
  }
  ch->stopped = p;
}

void csv_chunk_release(csv_chunk *ch)
{
  if (ch->cols)
    for (size_t j = 0; j < ch->r->ncol; j++) {
      free(ch->cols[j].data);
      free(ch->cols[j].valid);
      free(ch->cols[j].blob);
    }
  free(ch->cols);
  free(ch->scratch);
  ch->cols = NULL;
  ch->scratch = NULL;
}
