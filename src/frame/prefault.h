/* Faulting in big fresh buffers ahead of use. On the virtual machines we
 * run on, the first write to each 4 KiB page of new anonymous memory traps
 * out to the kernel (and often the hypervisor): about 0.15 s per 200 MB when
 * a kernel fills a buffer by touching it. Populating the same range with
 * MADV_POPULATE_WRITE, split over two threads, takes about 0.04 s. */
#ifndef ZM_FRAME_PREFAULT_H
#define ZM_FRAME_PREFAULT_H

#include "frame/frame.h"

#include <stddef.h>

/* A byte range of memory to fault in. */
typedef struct zm_span {
  void *p;
  size_t len;
} zm_span;

/* Fault in spans[0..n) now, on two threads when they total enough bytes
 * to pay for one. Contents are unchanged; advice only: nothing happens
 * on a kernel without MADV_POPULATE_WRITE (before Linux 5.14). */
void zm_prefault(const zm_span *spans, size_t n);

/* Fault in the buffers of every column a frame owns (not a mapped one). */
void zm_frame_prefault(const zm_frame *f);

#endif
