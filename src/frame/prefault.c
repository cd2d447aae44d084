/* Populating fresh buffers on two threads (see prefault.h). */
#include "frame/prefault.h"
#include "frame/internal.h"
#include "core/workers.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Below this a thread costs more than the faults it saves. */
#define MIN_BYTES ((size_t)8 << 20)

typedef struct half {
  const zm_span *spans;
  size_t n;
  size_t skip;  /* bytes of the spans' pages before this half starts */
  size_t bytes; /* bytes of pages this half populates */
} half;

/* The whole pages inside a span; 0 when there are none. */
static size_t inner_pages(const zm_span *s, uintptr_t *start)
{
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t a = ((uintptr_t)s->p + page - 1) & ~(page - 1);
  uintptr_t e = ((uintptr_t)s->p + s->len) & ~(page - 1);
  *start = a;
  return e > a ? (size_t)(e - a) : 0;
}

static void *populate(void *arg)
{
  const half *h = arg;
  size_t skip = h->skip, left = h->bytes;
  for (size_t i = 0; i < h->n && left > 0; i++) {
    uintptr_t a;
    size_t len = inner_pages(&h->spans[i], &a);
    if (skip >= len) {
      skip -= len;
      continue;
    }
    size_t take = len - skip < left ? len - skip : left;
#ifdef MADV_POPULATE_WRITE
    madvise((void *)(a + skip), take, MADV_POPULATE_WRITE); /* failure is harmless */
#endif
    left -= take;
    skip = 0;
  }
  return NULL;
}

void zm_prefault(const zm_span *spans, size_t n)
{
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    uintptr_t a;
    total += inner_pages(&spans[i], &a);
  }
  if (total < MIN_BYTES)
    return;
  size_t page = (size_t)sysconf(_SC_PAGESIZE), first = total / 2 / page * page;
  half mine = {spans, n, 0, first}, other = {spans, n, first, total - first};
  pthread_t thread;
  int threaded = zm_workers_get(2) > 1 && pthread_create(&thread, NULL, populate, &other) == 0;
  populate(&mine);
  if (threaded)
    pthread_join(thread, NULL);
  else
    populate(&other);
}

void zm_frame_prefault(const zm_frame *f)
{
  if (f->map || f->ncol == 0)
    return;
  zm_span *spans = malloc(3 * f->ncol * sizeof *spans);
  if (!spans)
    return; /* advice only */
  size_t n = 0;
  for (size_t j = 0; j < f->ncol; j++) {
    const zm_column *c = &f->cols[j];
    spans[n++] = (zm_span){c->data, zm__column_data_bytes(c)};
    if (c->valid)
      spans[n++] = (zm_span){c->valid, (c->len + 7) / 8};
    if (c->blob)
      spans[n++] = (zm_span){c->blob, (size_t)c->blob_len};
  }
  zm_prefault(spans, n);
  free(spans);
}
