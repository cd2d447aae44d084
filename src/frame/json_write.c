/* Frames as JSON records: an array of one object per row, keys in column
 * order, nulls (and NaN, infinities) as null. */
#include "frame/json.h"
#include "frame/internal.h"
#include "core/fs.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int put_string(zm_buf *b, const char *s, size_t n)
{
  int rc = zm_buf_put(b, "\"", 1);
  size_t run = 0; /* bytes copied as they are, pending */
  for (size_t i = 0; rc == 0 && i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch >= 0x20 && ch != '"' && ch != '\\') {
      run++;
      continue;
    }
    rc = zm_buf_put(b, s + i - run, run);
    run = 0;
    if (rc)
      break;
    switch (ch) {
    case '"': rc = zm_buf_puts(b, "\\\""); break;
    case '\\': rc = zm_buf_puts(b, "\\\\"); break;
    case '\n': rc = zm_buf_puts(b, "\\n"); break;
    case '\r': rc = zm_buf_puts(b, "\\r"); break;
    case '\t': rc = zm_buf_puts(b, "\\t"); break;
    default: rc = zm_buf_printf(b, "\\u%04x", ch); break;
    }
  }
  if (rc == 0)
    rc = zm_buf_put(b, s + n - run, run);
  return rc ? rc : zm_buf_put(b, "\"", 1);
}

static int put_value(zm_buf *b, const zm_column *c, size_t i)
{
  char tmp[40];
  size_t n;
  if (zm_column_is_null(c, i))
    return zm_buf_puts(b, "null");
  switch (c->type) {
  case ZM_TYPE_F64: {
    double v = ((const double *)c->data)[i];
    if (!isfinite(v))
      return zm_buf_puts(b, "null");
    return zm_buf_put(b, tmp, (size_t)zm__format_double(tmp, v));
  }
  case ZM_TYPE_I64:
    return zm_buf_printf(b, "%" PRId64, ((const int64_t *)c->data)[i]);
  case ZM_TYPE_BOOL:
    return zm_buf_puts(b, ((const uint8_t *)c->data)[i] ? "true" : "false");
  default: {
    const char *s = zm_column_str(c, i, &n);
    return put_string(b, s, n);
  }
  }
}

static int put_row(zm_buf *out, const zm_frame *f, size_t i)
{
  int rc = zm_buf_put(out, "{", 1);
  for (size_t j = 0; rc == 0 && j < f->ncol; j++) {
    if (j)
      rc = zm_buf_put(out, ",", 1);
    if (rc == 0)
      rc = put_string(out, f->cols[j].name, strlen(f->cols[j].name));
    if (rc == 0)
      rc = zm_buf_put(out, ":", 1);
    if (rc == 0)
      rc = put_value(out, &f->cols[j], i);
  }
  return rc ? rc : zm_buf_put(out, "}", 1);
}

int zm_frame_format_json(zm_buf *out, const zm_frame *f)
{
  int rc = zm_buf_put(out, "[", 1);
  for (size_t i = 0; rc == 0 && i < f->nrow; i++) {
    rc = zm_buf_puts(out, i ? ",\n" : "\n");
    if (rc == 0)
      rc = put_row(out, f, i);
  }
  return rc ? rc : zm_buf_puts(out, f->nrow ? "\n]\n" : "]\n");
}

int zm_frame_write_json(const zm_frame *f, const char *path)
{
  zm_buf b = ZM_BUF_INIT;
  int rc = zm_frame_format_json(&b, f);
  if (rc == 0)
    rc = zm_fs_write_atomic(path, b.data, b.len, 0644);
  zm_buf_free(&b);
  return rc;
}
