/* Archive reader: open the input (tar, zip, any compression libarchive
 * knows) as the files datasource does and read every entry. Every path that
 * comes out is relative, normalized and stays inside the archive; every
 * byte of every entry is read. Limits are lower than the defaults (the same
 * checks, reached sooner) so a small bomb stops quickly. */
#include "archive/archive.h"
#include "core/error.h"
#include "fuzz.h"

/* The promise of zm_archive_next: no "", ".", ".." or empty parts, no
 * leading '/', no newline, and cleaning it again changes nothing. */
static void check_path(const char *path)
{
  char clean[8192];
  if (!path[0] || path[0] == '/' || strchr(path, '\n'))
    fuzz_fail("unsafe entry path '%s'", path);
  for (const char *p = path;;) {
    const char *end = strchrnul(p, '/');
    size_t n = (size_t)(end - p);
    if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
      fuzz_fail("entry path '%s' is not normalized", path);
    if (!*end)
      break;
    p = end + 1;
  }
  if (zm_archive_path_clean(clean, sizeof clean, path) != 0 || strcmp(clean, path) != 0)
    fuzz_fail("entry path '%s' cleans to '%s'", path, clean);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
  zm_archive_limits lim = {.max_bytes = 64u << 20, .ratio_floor = 1u << 20,
                           .max_entries = 10000};
  zm_archive *a = NULL;
  const char *path = fuzz_write_file("input.archive", data, len);
  if (zm_archive_open(&a, path, &lim) != 0) {
    if (strstr(zm_error_last(), "(null)"))
      fuzz_fail("a bad archive message: %s", zm_error_last());
    return 0;
  }
  zm_archive_entry e;
  uint64_t total = 0;
  int rc;
  while ((rc = zm_archive_next(&e, a)) == 1) {
    check_path(e.path);
    for (size_t i = 0; i < e.len; i++)
      total += (uint8_t)e.data[i];
  }
  if (rc < 0 && (!strstr(zm_error_last(), path) || strstr(zm_error_last(), "(null)")))
    fuzz_fail("a bad archive message: %s", zm_error_last());
  const zm_archive_problems *pr = zm_archive_problems_of(a);
  for (size_t i = 0; i < pr->n; i++)
    if (!pr->items[i].what || !pr->items[i].problem)
      fuzz_fail("a skipped entry without a name or a reason");
  volatile uint64_t sink = total;
  (void)sink;
  zm_archive_free(a);
  return 0;
}
