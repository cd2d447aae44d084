/* Helpers shared by the frame, CSV and frame-file code; not public API. */
#ifndef ZM_FRAME_INTERNAL_H
#define ZM_FRAME_INTERNAL_H

#include "frame/frame.h"

/* Bytes per row of a column's data array (offsets for strings). */
size_t zm__type_width(zm_type t);

/* Bytes of a column's data array: len cells (len + 1 offsets for strings). */
size_t zm__column_data_bytes(const zm_column *c);

/* Free a column's name and, when `owned`, its buffers. */
void zm__column_release(zm_column *c, int owned);

/* Append an empty column named `name` (len = f->nrow, no buffers). */
int zm__frame_push(zm_column **out, zm_frame *f, const char *name);

/* Allocate zeroed data (and a blob of blob_len bytes for strings). */
int zm__column_alloc(zm_column *c, zm_type type, size_t len, uint64_t blob_len);

/* Allocate an all-valid bitmap for `len` rows if *valid is NULL. */
int zm__bitmap_ensure(uint8_t **valid, size_t len);

/* Copy n bits from src (NULL = all valid) into dst starting at bit `at`. */
void zm__bitmap_copy(uint8_t *dst, size_t at, const uint8_t *src, size_t n);

/* Copy rows idx[0..n) (or start..start+n when idx is NULL) of `src` into a
 * new column appended to `dst`. */
int zm__column_gather(zm_frame *dst, const zm_column *src, const int64_t *idx, size_t start,
                     size_t n);

/* Parse a decimal float in [p, end) as strtod would, bit for bit. Returns
 * the first byte not consumed, or NULL when no number starts at p. */
const char *zm__parse_double(const char *p, const char *end, double *out);

/* Parse an optionally signed decimal int64 in [p, end); NULL if none or
 * on overflow. */
const char *zm__parse_int64(const char *p, const char *end, int64_t *out);

/* Write the shortest text that reads back as exactly v; returns its length
 * (buf needs 32 bytes). */
int zm__format_double(char *buf, double v);

#endif
