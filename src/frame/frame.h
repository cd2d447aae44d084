/* Columnar frames: typed columns (float64, int64, bool, string) with an
 * optional null bitmap each. Strings are offsets into one byte blob, so a
 * frame costs about its payload and nothing per cell. */
#ifndef ZM_FRAME_FRAME_H
#define ZM_FRAME_FRAME_H

#include <stddef.h>
#include <stdint.h>

typedef enum zm_type {
  ZM_TYPE_F64 = 0,
  ZM_TYPE_I64 = 1,
  ZM_TYPE_BOOL = 2,
  ZM_TYPE_STR = 3,
} zm_type;

typedef struct zm_column {
  char *name;
  zm_type type;
  size_t len;        /* rows */
  uint8_t *valid;    /* bit i set: row i is not null; NULL when no nulls */
  void *data;        /* double, int64_t or uint8_t (0/1) per row; strings:
                        uint64_t offsets[len + 1] into blob */
  char *blob;        /* string bytes (strings only) */
  uint64_t blob_len;
} zm_column;

typedef struct zm_rowsel zm_rowsel;               /* frame/rowsel.h */
typedef struct zm_frame_origin zm_frame_origin;   /* frame/rowsel.h */

typedef struct zm_frame {
  size_t nrow;
  size_t ncol;
  zm_column *cols;
  char *note;        /* remarks from reading (e.g. mixed types), or NULL */
  void *map;         /* when set, column buffers point into this mapping */
  size_t map_len;
  int map_file;      /* map is of a read-only file: pages may be dropped and read again */
  char *backing;     /* a frame built in place in this temp file (backed.c), or NULL */
  int backing_fd;    /* open on `backing` while it is set */
  zm_rowsel *sel;    /* a row selection of a stored frame: columns filled on request */
  zm_frame_origin *origin; /* the stored object this frame maps, or NULL */
} zm_frame;

/* Summary statistics of one column; null rows are not counted. */
typedef struct zm_stats {
  size_t count;      /* non-null rows */
  size_t nulls;
  double sum, mean, min, max, std; /* std: sample (n - 1), as pandas */
} zm_stats;

/* The type's name: "float64", "int64", "bool" or "string". */
const char *zm_type_name(zm_type t);

/* Parse a type name (also "float", "int", "str"); 0 or ZM_EINVALID. */
int zm_type_parse(zm_type *out, const char *name);

/* A frame with `nrow` rows and no columns yet. */
int zm_frame_new(zm_frame **out, size_t nrow);

/* Release a frame, its columns and any mapping. Accepts NULL. */
void zm_frame_free(zm_frame *f);

/* Free frames[0..k) and set each to NULL (the parts of a failed partition). */
void zm_frames_free(zm_frame **frames, size_t k);

/* Hand a frame's memory over to its stored copy (docs/store.md, "Big
 * puts"): release_columns frees the buffers of columns [j0, j1) of a frame
 * that owns them (not mapped, built in place or a row selection) once they
 * are written, and the frame is not to be read until take_mapped points
 * every column into `m`, a mapping of the file those bytes went to; `m`
 * is consumed either way. With `m` NULL (the put failed) the frame is left
 * with no columns. */
void zm_frame_release_columns(zm_frame *f, size_t j0, size_t j1);
int zm_frame_take_mapped(zm_frame *f, zm_frame *m);

/* Add a zero-filled, all-valid column of f->nrow rows; *out (may be NULL)
 * points at it until the next column is added. Strings start empty (""). */
int zm_frame_add(zm_column **out, zm_frame *f, const char *name, zm_type type);

/* Add a string column from `values` (NULL entries are nulls; lens may be
 * NULL for NUL-terminated values). */
int zm_frame_add_strings(zm_frame *f, const char *name, const char *const *values,
                         const size_t *lens);

/* Mark row i of a column as null (allocates the bitmap on first use). */
int zm_column_set_null(zm_column *c, size_t i);

/* Index of the column called `name`, or -1. */
long zm_frame_find(const zm_frame *f, const char *name);

/* 1 if row i is null. */
static inline int zm_column_is_null(const zm_column *c, size_t i)
{
  return c->valid && !(c->valid[i >> 3] >> (i & 7) & 1);
}

/* Row i of a string column (not NUL-terminated) and its length. */
static inline const char *zm_column_str(const zm_column *c, size_t i, size_t *len)
{
  const uint64_t *off = (const uint64_t *)c->data;
  *len = (size_t)(off[i + 1] - off[i]);
  return c->blob + off[i];
}

/* Number of null rows. */
size_t zm_column_nulls(const zm_column *c);

/* A new frame with the named columns, in that order. */
int zm_frame_select(zm_frame **out, const zm_frame *f, const char *const *names, size_t n);

/* A new frame with the rows where mask[i] is non-zero (mask has f->nrow bytes). */
int zm_frame_filter(zm_frame **out, const zm_frame *f, const uint8_t *mask);

/* A new frame with rows idx[0..n) (0-based, repeats allowed). */
int zm_frame_take(zm_frame **out, const zm_frame *f, const int64_t *idx, size_t n);

/* A new frame with rows [start, start + n), clipped to the frame. */
int zm_frame_slice(zm_frame **out, const zm_frame *f, size_t start, size_t n);

/* A new frame with the first n rows. */
int zm_frame_head(zm_frame **out, const zm_frame *f, size_t n);

/* Append the rows of `src` (same names and types, in order) to `dst`. */
int zm_frame_concat(zm_frame *dst, const zm_frame *src);

/* A deep copy that owns all its memory. */
int zm_frame_copy(zm_frame **out, const zm_frame *f);

/* count, nulls, sum, mean, min, max, std of a numeric or bool column; for
 * strings only count and nulls are set (the rest are NaN). */
int zm_column_stats(zm_stats *out, const zm_column *c);

/* Distinct non-null values with their counts: a frame with columns "value"
 * (the column's type) and "count" (int64), most frequent first, ties in
 * order of first appearance. */
int zm_column_unique(zm_frame **out, const zm_column *c);

/* One row per column of f: column, type, count, nulls, mean, std, min, 25%,
 * 50%, 75%, max (numeric), unique, top, freq (strings and bools). */
int zm_frame_describe(zm_frame **out, const zm_frame *f);

#endif
