/* A growable byte buffer, always NUL-terminated for convenience. */
#ifndef ZM_CORE_BUF_H
#define ZM_CORE_BUF_H

#include <stddef.h>

typedef struct zm_buf {
  char *data;
  size_t len;
  size_t cap;
} zm_buf;

#define ZM_BUF_INIT {NULL, 0, 0}

/* Make room for at least `extra` more bytes; 0 or ZM_ENOMEM. */
int zm_buf_grow(zm_buf *b, size_t extra);

/* Append `n` bytes. */
int zm_buf_put(zm_buf *b, const void *data, size_t n);

/* Append a NUL-terminated string. */
int zm_buf_puts(zm_buf *b, const char *s);

/* Append printf-style formatted text. */
int zm_buf_printf(zm_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Take the bytes out (caller frees); the buffer is left empty. */
char *zm_buf_detach(zm_buf *b);

/* Release the memory; the buffer may be reused after. Accepts NULL. */
void zm_buf_free(zm_buf *b);

#endif
