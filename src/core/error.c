#include "core/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MSG_MAX 2048

static _Thread_local char last[MSG_MAX];

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
  if (n >= 0 && (size_t)n < sizeof last)
    snprintf(last + n, sizeof last - (size_t)n, ": %s", strerror(saved));
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
  if (n >= 0 && (size_t)n < sizeof last)
    snprintf(last + n, sizeof last - (size_t)n, ": %s", old);
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
