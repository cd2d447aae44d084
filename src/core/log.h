/* Log lines from C code. While a step runs, its context points the thread's
 * sink at the step's log, so what C kernels report lands in the step's log
 * artifact next to what the Lua code printed. */
#ifndef ZM_CORE_LOG_H
#define ZM_CORE_LOG_H

#include <stdio.h>

/* Send this thread's log lines to `f` (NULL: back to standard error). */
void zm_log_set_sink(FILE *f);

/* Write one printf-style line (a newline is added) to the thread's sink. */
void zm_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
