/* Prefaulting fresh buffers: contents never change, odd spans are safe. */
#include "check.h"
#include "frame/prefault.h"

#include <stdint.h>

static void test_big_buffer_keeps_contents(void)
{
  size_t n = (size_t)24 << 20;
  unsigned char *p = malloc(n);
  CHECK(p != NULL);
  if (!p)
    return;
  for (size_t i = 0; i < n; i += 4093)
    p[i] = (unsigned char)(i * 7);
  /* unaligned start and end: only whole pages inside are populated */
  zm_prefault(&(zm_span){p + 3, n - 5}, 1);
  int same = 1;
  for (size_t i = 0; i < n; i += 4093)
    same &= p[i] == (unsigned char)(i * 7);
  CHECK(same);
  free(p);
}

static void test_calloc_stays_zero(void)
{
  size_t n = (size_t)20 << 20;
  uint64_t *a = calloc(n / 8, 8), *b = calloc(n / 16, 8);
  CHECK(a && b);
  if (!a || !b)
    goto done;
  zm_span spans[] = {{a, n}, {NULL, 0}, {b, n / 2}};
  zm_prefault(spans, 3);
  uint64_t any = 0;
  for (size_t i = 0; i < n / 8; i++)
    any |= a[i];
  for (size_t i = 0; i < n / 16; i++)
    any |= b[i];
  CHECK_EQ_INT(any, 0);
done:
  free(a);
  free(b);
}

static void test_small_and_empty(void)
{
  char small[100] = {1};
  zm_prefault(&(zm_span){small, sizeof small}, 1);
  zm_prefault(NULL, 0);
  CHECK_EQ_INT(small[0], 1);
}

static void test_frame_columns(void)
{
  zm_frame *f = NULL;
  size_t rows = (size_t)2 << 20;
  CHECK_EQ_INT(zm_frame_new(&f, rows), 0);
  CHECK_EQ_INT(zm_frame_add(NULL, f, "x", ZM_TYPE_F64), 0);
  CHECK_EQ_INT(zm_frame_add(NULL, f, "b", ZM_TYPE_BOOL), 0);
  CHECK_EQ_INT(zm_frame_add(NULL, f, "s", ZM_TYPE_STR), 0);
  ((double *)f->cols[0].data)[rows - 1] = 2.5;
  zm_frame_prefault(f);
  CHECK(((double *)f->cols[0].data)[rows - 1] == 2.5);
  CHECK_EQ_INT(((uint8_t *)f->cols[1].data)[rows / 2], 0);
  CHECK_EQ_INT(((uint64_t *)f->cols[2].data)[rows], 0);
  zm_frame_free(f);
}

int main(void)
{
  RUN(test_big_buffer_keeps_contents);
  RUN(test_calloc_stays_zero);
  RUN(test_small_and_empty);
  RUN(test_frame_columns);
  return CHECK_DONE();
}
