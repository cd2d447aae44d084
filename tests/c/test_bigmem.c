/* Big buffers (src/core/bigmem.h): big ones start on a 2 MiB boundary and
 * are advised huge pages (the kernel's smaps shows it), small ones are
 * plain; calloc is zero, realloc keeps the bytes both ways across the
 * threshold; all of them are freed with free(). */
#include "check.h"
#include "core/bigmem.h"

#include <stdint.h>

#define HUGE ((uintptr_t)2 << 20)

/* The transparent huge page mode in brackets ("madvise", "always", "never"),
 * or "" when the kernel has none. */
static const char *thp_mode(char *buf, size_t len)
{
  buf[0] = '\0';
  FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  if (!f)
    return buf;
  char line[256] = {0};
  if (fgets(line, sizeof line, f)) {
    char *a = strchr(line, '['), *b = a ? strchr(a, ']') : NULL;
    if (a && b && (size_t)(b - a) < len) {
      memcpy(buf, a + 1, (size_t)(b - a - 1));
      buf[b - a - 1] = '\0';
    }
  }
  fclose(f);
  return buf;
}

/* The THPeligible line of the mapping holding p in /proc/self/smaps: 1 when
 * the kernel may back it with huge pages, 0 when not, -1 when not found. */
static int thp_eligible(const void *p)
{
  FILE *f = fopen("/proc/self/smaps", "r");
  if (!f)
    return -1;
  char line[512];
  int inside = 0, got = -1;
  uintptr_t at = (uintptr_t)p;
  while (got < 0 && fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
      inside = at >= lo && at < hi;
    else if (inside && strncmp(line, "THPeligible:", 12) == 0)
      got = atoi(line + 12);
  }
  fclose(f);
  return got;
}

static void test_big_is_aligned_and_advised(void)
{
  size_t n = ZM_BIG_MIN * 3 + 12345;
  unsigned char *p = zm_big_malloc(n);
  CHECK(p != NULL);
  if (!p)
    return;
  CHECK_EQ_INT((uintptr_t)p % HUGE, 0);
  memset(p, 0xab, n);
  CHECK(p[0] == 0xab && p[n - 1] == 0xab);
  char mode[32];
  if (strcmp(thp_mode(mode, sizeof mode), "madvise") == 0 ||
      strcmp(mode, "always") == 0)
    CHECK_EQ_INT(thp_eligible(p), 1);
  else
    fprintf(stderr, "  (transparent huge pages are '%s' here: advice not checked)\n", mode);
  free(p);
}

static void test_small_is_plain(void)
{
  char *p = zm_big_malloc(100), *z = zm_big_malloc(0);
  CHECK(p != NULL && z != NULL);
  if (p)
    memcpy(p, "hello", 6);
  CHECK(p && strcmp(p, "hello") == 0);
  free(p);
  free(z);
}

static void test_calloc_is_zero(void)
{
  size_t sizes[] = {0, 7, ZM_BIG_MIN - 1, ZM_BIG_MIN, ZM_BIG_MIN * 2 + 8};
  for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
    uint64_t *p = zm_big_calloc(sizes[k] / 8 + 1, 8);
    CHECK(p != NULL);
    uint64_t any = 0;
    for (size_t i = 0; p && i < sizes[k] / 8 + 1; i++)
      any |= p[i];
    CHECK_EQ_INT(any, 0);
    free(p);
  }
  CHECK(zm_big_calloc(SIZE_MAX / 4, 8) == NULL); /* n * size overflows */
}

static void test_realloc_keeps_bytes(void)
{
  size_t small = 1000, big = ZM_BIG_MIN + 4096, bigger = ZM_BIG_MIN * 3;
  unsigned char *p = zm_big_realloc(NULL, 0, small);
  CHECK(p != NULL);
  if (!p)
    return;
  for (size_t i = 0; i < small; i++)
    p[i] = (unsigned char)(i * 31);
  p = zm_big_realloc(p, small, big); /* small to big: copied onto huge pages */
  CHECK(p != NULL && (uintptr_t)p % HUGE == 0);
  int same = 1;
  for (size_t i = 0; p && i < small; i++)
    same &= p[i] == (unsigned char)(i * 31);
  CHECK(same);
  if (!p)
    return;
  memset(p + small, 0x5a, big - small);
  p = zm_big_realloc(p, big, bigger); /* big to bigger: still aligned */
  CHECK(p != NULL && (uintptr_t)p % HUGE == 0);
  same = 1;
  for (size_t i = 0; p && i < big; i++)
    same &= p[i] == (i < small ? (unsigned char)(i * 31) : 0x5a);
  CHECK(same);
  if (!p)
    return;
  p = zm_big_realloc(p, bigger, 10); /* and back down to small */
  CHECK(p != NULL);
  same = 1;
  for (size_t i = 0; p && i < 10; i++)
    same &= p[i] == (unsigned char)(i * 31);
  CHECK(same);
  free(p);
}

static void test_advise_odd_ranges(void)
{
  char buf[64] = {1};
  zm_big_advise(buf, sizeof buf); /* no whole huge page inside: nothing */
  zm_big_advise(NULL, 0);
  CHECK_EQ_INT(buf[0], 1);
}

int main(void)
{
  RUN(test_big_is_aligned_and_advised);
  RUN(test_small_is_plain);
  RUN(test_calloc_is_zero);
  RUN(test_realloc_keeps_bytes);
  RUN(test_advise_odd_ranges);
  return CHECK_DONE();
}
