/* Big buffers (frame columns, matrices, parse chunks) on 2 MiB pages.
 *
 * On the virtual machines we run on, the first write to each 4 KiB page of
 * fresh memory traps to the kernel and on to the hypervisor: 2.6 ms per MB
 * was measured on one (the whole W2 pipeline spent a third of its time
 * there), against 0.1 to 1.2 ms per MB when the same memory comes in
 * transparent huge pages, one trap per 2 MiB. Buffers of ZM_BIG_MIN bytes
 * or more therefore start on a 2 MiB boundary and are advised to take huge
 * pages (MADV_HUGEPAGE: the kernel's "madvise" mode, and a no-op where huge
 * pages are off or always on). A buffer whose size is a little under whole
 * huge pages (at most 1/16 short) gets them whole; otherwise its last
 * partial 2 MiB keeps small pages, so little past the end is committed.
 * They are freed with free(). */
#ifndef ZM_CORE_BIGMEM_H
#define ZM_CORE_BIGMEM_H

#include <stddef.h>

/* From this size on a buffer gets huge pages. */
#define ZM_BIG_MIN ((size_t)2 << 20)

/* malloc(n), on huge pages when big. */
void *zm_big_malloc(size_t n);

/* calloc(n, size), on huge pages when big. */
void *zm_big_calloc(size_t n, size_t size);

/* realloc(p, n) for a buffer of zm_big_malloc or malloc holding old_len
 * bytes: a big result is a new buffer on huge pages, the bytes copied. */
void *zm_big_realloc(void *p, size_t old_len, size_t n);

/* Advise huge pages for the whole 2 MiB pages inside [p, p + len). */
void zm_big_advise(void *p, size_t len);

#endif
