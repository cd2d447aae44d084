#include "core/log.h"

#include <stdarg.h>

static _Thread_local FILE *sink;

void zm_log_set_sink(FILE *f)
{
  sink = f;
}

void zm_log(const char *fmt, ...)
{
  FILE *out = sink ? sink : stderr;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(out, fmt, ap);
  va_end(ap);
  fputc('\n', out);
}
