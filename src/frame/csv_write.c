/* CSV writing: quote only what needs quoting, floats that read back exact. */
#include "frame/csv.h"
#include "frame/internal.h"
#include "core/error.h"
#include "core/fs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int needs_quotes(const char *s, size_t n, char delim)
{
  for (size_t i = 0; i < n; i++)
    if (s[i] == delim || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
      return 1;
  return n == 0; /* "" keeps an empty string apart from a null */
}

static int put_quoted(zm_buf *b, const char *s, size_t n)
{
  int rc = zm_buf_put(b, "\"", 1);
  for (size_t i = 0; rc == 0 && i < n; i++)
    rc = s[i] == '"' ? zm_buf_put(b, "\"\"", 2) : zm_buf_put(b, &s[i], 1);
  return rc ? rc : zm_buf_put(b, "\"", 1);
}

static int put_text(zm_buf *b, const char *s, size_t n, char delim)
{
  return needs_quotes(s, n, delim) ? put_quoted(b, s, n) : zm_buf_put(b, s, n);
}

/* A header name is also quoted when the reader would take it otherwise: a
 * delimiter it might detect (, ; tab |) or a leading byte order mark, which
 * at the start of the file is dropped (both found by tests/fuzz). */
static int put_name(zm_buf *b, const char *name, char delim)
{
  size_t n = strlen(name);
  if (strpbrk(name, ",;\t|") || strncmp(name, "\xef\xbb\xbf", 3) == 0)
    return put_quoted(b, name, n);
  return put_text(b, name, n, delim);
}

static int put_cell(zm_buf *b, const zm_column *c, size_t i, char delim)
{
  char tmp[40];
  size_t n;
  if (zm_column_is_null(c, i))
    return 0;
  switch (c->type) {
  case ZM_TYPE_F64:
    return zm_buf_put(b, tmp, (size_t)zm__format_double(tmp, ((const double *)c->data)[i]));
  case ZM_TYPE_I64:
    return zm_buf_printf(b, "%" PRId64, ((const int64_t *)c->data)[i]);
  case ZM_TYPE_BOOL:
    return zm_buf_puts(b, ((const uint8_t *)c->data)[i] ? "true" : "false");
  default: {
    const char *s = zm_column_str(c, i, &n);
    return put_text(b, s, n, delim);
  }
  }
}

int zm_frame_format_csv(zm_buf *out, const zm_frame *f, char delimiter)
{
  char d = delimiter ? delimiter : ',';
  int rc = 0;
  for (size_t j = 0; rc == 0 && j < f->ncol; j++) {
    if (j && (rc = zm_buf_put(out, &d, 1)) != 0)
      break;
    rc = put_name(out, f->cols[j].name, d);
  }
  if (rc == 0)
    rc = zm_buf_put(out, "\n", 1);
  for (size_t i = 0; rc == 0 && i < f->nrow; i++) {
    for (size_t j = 0; rc == 0 && j < f->ncol; j++) {
      if (j)
        rc = zm_buf_put(out, &d, 1);
      if (rc == 0)
        rc = put_cell(out, &f->cols[j], i, d);
      /* a lone empty field would be a blank line, which readers skip */
      if (rc == 0 && f->ncol == 1 && zm_column_is_null(&f->cols[0], i))
        rc = zm_buf_put(out, "\"\"", 2);
    }
    if (rc == 0)
      rc = zm_buf_put(out, "\n", 1);
  }
  return rc;
}

int zm_frame_write_csv(const zm_frame *f, const char *path, char delimiter)
{
  zm_buf b = ZM_BUF_INIT;
  int rc = zm_frame_format_csv(&b, f, delimiter);
  if (rc == 0)
    rc = zm_fs_write_atomic(path, b.data, b.len, 0644);
  zm_buf_free(&b);
  return rc;
}
