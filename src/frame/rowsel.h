/* Row selections: a frame made of some of the rows, in order, of a frame
 * stored in the artifact store (its base). A split stores its parts this
 * way: a bitmap of the base's rows and the base's id (docs/formats.md),
 * about one bit a row instead of a copy of every cell.
 *
 * In memory a selection frame has its base's column names and types and
 * nrow rows, but a column's buffers are filled (gathered from the base,
 * which is mapped when first needed) only on request: code that knows
 * about selections reads a column in place through the selected row
 * numbers (zm_frame_col_rows) or asks for it gathered (zm_frame_col_ready),
 * and lets it go (zm_frame_col_done); everything else gets a whole ordinary
 * frame first (zm_frame_materialize; the Lua binding does this for every
 * use but a few). */
#ifndef ZM_FRAME_ROWSEL_H
#define ZM_FRAME_ROWSEL_H

#include "core/buf.h"
#include "frame/frame.h"

#include <stddef.h>

/* "sha256:" and 64 hex digits, and the terminating NUL. */
#define ZM_ROWSEL_ID_SIZE 72

/* 1 when the len bytes at p start like a row selection file. */
int zm_rowsel_is(const void *p, size_t len);

/* Record that f maps the stored object `id` (at `path`; `checked`: its
 * column checksums were compared, or this process wrote it): the parts of
 * a partition of f can then be selections of it. 0 or ZM_ENOMEM. */
int zm_frame_set_origin(zm_frame *f, const char *id, const char *path, int checked);

/* zm_frame_partition for a frame with an origin: k selection frames. */
int zm_rowsel_partition(zm_frame **outs, const zm_frame *f, const int *assign, size_t k);

/* Rows [start, start + n) of selection frame f (clipped to it) as a
 * selection of the same base: nothing is gathered (a job array's task
 * reading its block of a split's part gathers that block alone). */
int zm_rowsel_slice(zm_frame **out, const zm_frame *f, size_t start, size_t n);

/* The file bytes of selection frame f (f->sel set) into out. */
int zm_rowsel_encode(zm_buf *out, const zm_frame *f);

/* The base id a selection file names, after checking the whole file
 * (every check of zm_rowsel_read but the base's). `name` is for messages. */
int zm_rowsel_base_id(char id[ZM_ROWSEL_ID_SIZE], const void *data, size_t len,
                      const char *name);

/* 1 and the base id its header names when the file at `path` is a row
 * selection (the header alone is read: for the store's gc and verify, which
 * keep and look for what an object refers to); 0 when it is not one. */
int zm_rowsel_file_base(char id[ZM_ROWSEL_ID_SIZE], const char *path);

/* A selection frame from the len bytes of a selection file (named `name`
 * in messages) whose base frame file is at base_path: the base is mapped
 * now (its column checksums compared when check_base) and must have the
 * row count the selection was made of. */
int zm_rowsel_read(zm_frame **out, const void *data, size_t len, const char *name,
                   const char *base_path, int check_base);

/* Gather column j of selection frame f into memory (nothing to do for an
 * ordinary frame or a gathered column). Several threads may ask for
 * different columns at once. */
int zm_frame_col_ready(zm_frame *f, size_t j);

/* Column j of f for a kernel that reads it in place: *c is the column
 * itself (*rows NULL), or for a selection whose column is not gathered the
 * base's column, with *rows the base row of each of f's nrow rows, in
 * order. Nothing is copied. Several threads may ask at once. */
int zm_frame_col_rows(const zm_column **c, const uint64_t **rows, zm_frame *f, size_t j);

/* zm_frame_col_ready for a column that something outside the kernels
 * holds on to (a Lua column object): zm_frame_col_done leaves it be. */
int zm_frame_col_keep(zm_frame *f, size_t j);

/* Let go of what column j holds: a selection's gathered buffers are freed
 * (gathered again if asked for again) unless kept, and the pages of its
 * base's column are dropped; a mapped frame's pages are dropped
 * (zm_frame_forget_column). For kernels done with an input column. */
void zm_frame_col_done(zm_frame *f, size_t j);

/* Gather every column of a selection frame, on the workers, and make it an
 * ordinary frame that owns its memory (no-op for other frames). */
int zm_frame_materialize(zm_frame *f);

/* Free a frame's selection and origin (frame free). */
void zm_frame_rowsel_drop(zm_frame *f);

#endif
