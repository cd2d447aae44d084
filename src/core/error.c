#include "core/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MSG_MAX 2048

static _Thread_local char last[MSG_MAX];

/* Append `s` to the message at offset `at`, truncating to fit. */
static void append_at(size_t at, const char *s)
{
  if (at >= MSG_MAX - 1)
    return;
  size_t n = strlen(s), room = MSG_MAX - 1 - at;
  if (n > room)
    n = room;
  memcpy(last + at, s, n);
  last[at + n] = '\0';
}

int zm_error_set(int code, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last, sizeof last, fmt, ap);
  va_end(ap);
  return code;
}

int zm_error_sys(int code, const char *fmt, ...)
{
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(last, sizeof last, fmt, ap);
  va_end(ap);
  if (n >= 0) {
    append_at((size_t)n, ": ");
    append_at((size_t)n + 2, strerror(saved));
  }
  errno = saved;
  return code;
}

int zm_error_wrap(int code, const char *fmt, ...)
{
  char old[MSG_MAX];
  memcpy(old, last, sizeof old);
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(last, sizeof last, fmt, ap);
  va_end(ap);
  if (n >= 0) {
    append_at((size_t)n, ": ");
    append_at((size_t)n + 2, old);
  }
  return code;
}

const char *zm_error_last(void)
{
  return last[0] ? last : "no error";
}

void zm_error_clear(void)
{
  last[0] = '\0';
}
