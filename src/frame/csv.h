/* CSV to frames and back (RFC 4180, UTF-8, LF or CRLF). */
#ifndef ZM_FRAME_CSV_H
#define ZM_FRAME_CSV_H

#include "core/buf.h"
#include "frame/frame.h"

/* One forced column type; the column is not inferred, and a value that does
 * not fit is an error naming its line. */
typedef struct zm_csv_schema {
  const char *name;
  zm_type type;
} zm_csv_schema;

typedef struct zm_csv_options {
  char delimiter;               /* 0: detect from the header: , ; tab | */
  char quote;                   /* 0: '"' */
  int threads;                  /* 0: up to 2 */
  const zm_csv_schema *schema;  /* forced types, or NULL */
  size_t nschema;
  const char *const *null_values; /* more null tokens, in every column */
  size_t nnull_values;
} zm_csv_options;

/* At most this many distinct tokens, each shorter than ZM_CSV_TOKEN_MAX
 * bytes and together in fewer than 1 in ZM_CSV_TOKEN_SHARE of a column's
 * non-null cells, are read as nulls in a column that is otherwise numbers. */
#define ZM_CSV_MAX_TOKENS 2
#define ZM_CSV_TOKEN_MAX 32
#define ZM_CSV_TOKEN_SHARE 5

/* Read a CSV file with a header row. Types are inferred per column (int64,
 * float64, bool, else string; empty, NA, NaN, null, N/A and the
 * null_values are nulls). A column of numbers but for a few tokens (see
 * ZM_CSV_MAX_TOKENS) reads them as nulls; a column of other mixed types
 * becomes string; (*out)->note says so, one line per column. Errors name
 * the file and physical line: "data.csv:1042: expected 5 fields, found 4".
 * opts may be NULL. */
int zm_frame_read_csv(zm_frame **out, const char *path, const zm_csv_options *opts);

/* The physical line (the header is line 1) of data row `row` (0-based) of
 * the CSV file at path, rows counted as zm_frame_read_csv counts them.
 * ZM_ENOTFOUND, with *out_rows the number of rows, when there are fewer.
 * Costs one scan of the file: for messages, not for every read. */
int zm_csv_row_line(size_t *out_line, size_t *out_rows, const char *path, size_t row,
                    const zm_csv_options *opts);

/* Like zm_frame_read_csv on `len` bytes in memory; `name` is used in errors. */
int zm_frame_parse_csv(zm_frame **out, const char *name, const char *data, size_t len,
                       const zm_csv_options *opts);

/* Append f as CSV (header, then rows; nulls empty, fields quoted only when
 * needed, floats in the shortest form that reads back identical). */
int zm_frame_format_csv(zm_buf *out, const zm_frame *f, char delimiter);

/* Write f as CSV to `path` (replaced atomically). delimiter 0 means ','. */
int zm_frame_write_csv(const zm_frame *f, const char *path, char delimiter);

#endif
