#include "core/buf.h"
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int zm_buf_grow(zm_buf *b, size_t extra)
{
  size_t need = b->len + extra + 1;
  if (need <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need)
    cap *= 2;
  char *p = realloc(b->data, cap);
  if (!p)
    return zm_error_set(ZM_ENOMEM, "out of memory growing a buffer to %zu bytes", cap);
  b->data = p;
  b->cap = cap;
  return 0;
}

int zm_buf_put(zm_buf *b, const void *data, size_t n)
{
  int rc = zm_buf_grow(b, n);
  if (rc)
    return rc;
  if (n)
    memcpy(b->data + b->len, data, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int zm_buf_puts(zm_buf *b, const char *s)
{
  return zm_buf_put(b, s, strlen(s));
}

int zm_buf_printf(zm_buf *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return zm_error_set(ZM_EINVALID, "bad format string");
  int rc = zm_buf_grow(b, (size_t)n);
  if (rc)
    return rc;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return 0;
}

char *zm_buf_detach(zm_buf *b)
{
  char *p = b->data;
  if (!p)
    p = calloc(1, 1);
  b->data = NULL;
  b->len = b->cap = 0;
  return p;
}

void zm_buf_free(zm_buf *b)
{
  if (!b)
    return;
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
