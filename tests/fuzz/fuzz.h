/* What the libFuzzer targets share: a scratch file for APIs that read a
 * path, and a failed property that stops the run as a crash would. */
#ifndef ZM_FUZZ_H
#define ZM_FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir[4096];
static char fuzz_path[4200];

static inline void fuzz_cleanup(void)
{
  if (fuzz_path[0])
    unlink(fuzz_path);
  rmdir(fuzz_dir);
}

/* A property the code promises does not hold: report and abort(), which
 * libFuzzer records as a crash with the input that caused it. */
__attribute__((format(printf, 1, 2), noreturn)) static void fuzz_fail(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("fuzz: property failed: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  abort();
}

/* Write the input to this process's scratch file (named `name` inside a
 * private temporary folder, removed at exit) and return its path. */
static inline const char *fuzz_write_file(const char *name, const uint8_t *data, size_t len)
{
  if (!fuzz_dir[0]) {
    const char *tmp = getenv("TMPDIR");
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/zenml-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(fuzz_dir))
      fuzz_fail("cannot create a scratch folder in %s", tmp && *tmp ? tmp : "/tmp");
    atexit(fuzz_cleanup);
  }
  snprintf(fuzz_path, sizeof fuzz_path, "%s/%s", fuzz_dir, name);
  FILE *f = fopen(fuzz_path, "wb");
  if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0)
    fuzz_fail("cannot write %s", fuzz_path);
  return fuzz_path;
}

#endif
