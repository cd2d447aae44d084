/* The frame file format (docs/formats.md): a little-endian header with the
 * schema, then each column's buffers aligned to 64 bytes so a mapped file is
 * used in place. The same frame always encodes to the same bytes. */
#ifndef ZM_FRAME_FRAMEFILE_H
#define ZM_FRAME_FRAMEFILE_H

#include "core/buf.h"
#include "frame/frame.h"

#include <sys/uio.h>

#define ZM_FRAMEFILE_VERSION 1

/* Append the encoded frame to `out`. */
int zm_frame_encode(zm_buf *out, const zm_frame *f);

/* An encoded frame as segments: the header (owned here), then the frame's
 * own column buffers and static zero padding, in file order. */
typedef struct zm_frame_iov {
  zm_buf header;
  struct iovec *iov;
  size_t n;
  size_t *col_end; /* per column: the segments up to its last are iov[0..col_end[j]) */
} zm_frame_iov;

/* Lay `f` out as segments without copying its columns; valid while `f`
 * lives unchanged. Free with zm_frame_iov_free. */
int zm_frame_iov_build(zm_frame_iov *out, const zm_frame *f);

/* Release the header and segment list (not the frame). Accepts NULL. */
void zm_frame_iov_free(zm_frame_iov *v);

/* Write the encoded frame to `path` (temporary file, fsync, rename). */
int zm_frame_write(const zm_frame *f, const char *path);

/* Memory-map a frame file and check it (magic, version, sizes, header and
 * column checksums); the frame's columns point into the mapping. */
int zm_frame_map(zm_frame **out, const char *path);

/* zm_frame_map, comparing the columns' checksums only when `check_columns`
 * (0: bytes this process wrote and hashed itself; the header, entries and
 * layout are checked either way, string offsets only with the checksums). */
int zm_frame_map_checked(zm_frame **out, const char *path, int check_columns);

/* Let the pages of column `c` (of f) leave this process's memory when f
 * is mapped from a file: they are read back from the page cache on the next
 * access. For kernels done with an input column; no-op otherwise. */
void zm_frame_forget_column(const zm_frame *f, const zm_column *c);

/* Likewise for the fixed-width buffers of rows [first, first + count) of
 * every column, for kernels that walk a mapped frame by rows. */
void zm_frame_forget_rows(const zm_frame *f, size_t first, size_t count);

/* Check and load an encoded frame held in memory (copied); `name` is used
 * in error messages. */
int zm_frame_decode(zm_frame **out, const char *name, const void *data, size_t len);

/* Where a column's buffers sit in the file (0 for one it does not have). */
typedef struct zm_frame_col_offsets {
  uint64_t data, valid, blob;
} zm_frame_col_offsets;

/* The layout of a frame's file, from its columns' names, types, lengths,
 * bitmaps (present or not) and blob sizes; the buffers may be unset. */
typedef struct zm_frame_offsets {
  uint64_t header_len, file_len;
  zm_frame_col_offsets cols[]; /* one per column */
} zm_frame_offsets;

/* Compute `f`'s file layout; free the result with free(). */
int zm_frame_file_offsets(zm_frame_offsets **out, const zm_frame *f);

/* Append `f`'s header (schema, offsets, checksums of the buffers) to `out`. */
int zm_frame_header(zm_buf *out, const zm_frame *f);

/* The 64-bit checksum used by the format (seeded, for chaining). */
uint64_t zm_frame_checksum(uint64_t seed, const void *data, size_t len);

#endif
