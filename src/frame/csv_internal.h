/* The CSV reader's moving parts: a reader (the whole input and its header)
 * and chunks (ranges of rows parsed on their own thread into typed buffers). */
#ifndef ZM_FRAME_CSV_INTERNAL_H
#define ZM_FRAME_CSV_INTERNAL_H

#include "core/buf.h"
#include "frame/csv.h"
#include "frame/frame.h"

#include <stddef.h>
#include <stdint.h>

/* A chunk column's kind: a zm_type, or one of these. */
enum { KIND_UNKNOWN = -1, /* only nulls so far */
       KIND_SKIP = -2 };  /* saw values of two types: re-read as string */

/* A text value met in a column of numbers: a candidate null token. */
typedef struct csv_token {
  char text[ZM_CSV_TOKEN_MAX];
  size_t len;
  size_t count;
  const char *first;      /* start of the row it first appears in */
} csv_token;

typedef struct csv_reader {
  const char *name;       /* file name for messages */
  const char *data;       /* the whole input */
  size_t len;
  const char *body;       /* first byte after the header */
  int mapped;             /* data is a private file mapping (may be dropped) */
  char delim, quote;
  size_t ncol;
  char **names;
  zm_buf renamed;         /* note lines: header names made unique or given one */
  int *forced;            /* per column: a zm_type from the schema, or -1 */
  const char *const *nulls; /* the caller's null tokens */
  size_t nnulls;
} csv_reader;

typedef struct csv_col {
  int kind;
  int locked;             /* no upgrades: schema or the re-read pass */
  void *data;
  uint8_t *valid;
  char *blob;
  size_t blob_len, blob_cap;
  int seen_typed, seen_text, mixed;
  size_t nnull;           /* null cells, tokens read as null included */
  /* Text values of a column that may be numbers with a few null tokens:
   * tokens seen (with counts), whether there were too many or unfit ones
   * (tok_over), the typed values of a string column (ntyped, typed_mask:
   * 1 << zm_type), and tok_fixed when the tokens are decided (re-read). */
  csv_token tok[ZM_CSV_MAX_TOKENS];
  int ntok, tok_over, tok_fixed;
  size_t ntyped;
  unsigned typed_mask;
  const char *overflow_at; /* first row whose integer does not fit in int64 */
  char overflow_text[ZM_CSV_TOKEN_MAX];
} csv_col;

typedef struct csv_chunk {
  const csv_reader *r;
  const char *beg, *stop, *end; /* rows start in [beg, stop); data ends at end */
  const char *stopped;          /* where the last row ended */
  size_t nrow, cap;
  csv_col *cols;
  char *scratch;                /* unescaped quoted fields */
  size_t scratch_cap;
  int rc;
  const char *err_at;           /* start of the bad row */
  char err[256];
} csv_chunk;

/* A column buffer for cap rows of `kind`, its first `rows` rows null (0, or
 * NaN for float64; a string column's offsets 0): every later row is written
 * by the parser, so the rest is left as it comes (not committed until used). */
void *csv_col_data(size_t cap, int kind, size_t rows);

/* The frame of the n parsed chunks' rows (`rows` in all) with columns
 * names[0..ncol) of types kinds[]: chunk 0's buffers become the columns
 * (it has room for every row, or grows) and the other chunks' rows are
 * copied in and freed (csv_chunk_release stays safe). Each column is
 * joined whole by one worker: the same bytes whatever their number. */
int csv_join(zm_frame **out, csv_chunk *ch, size_t n, size_t rows, const char *const *names,
             size_t ncol, const int *kinds);

/* Parse rows of ch (ch->cols set up by the caller); sets ch->rc on error. */
void csv_parse_chunk(csv_chunk *ch);

/* Turn the first `rows` values of an int64 column into float64 (nulls NaN). */
void csv_int_to_float(csv_col *c, size_t rows);

/* Free a chunk's buffers. */
void csv_chunk_release(csv_chunk *ch);

/* Scan one field at p: sets [*s, *s + *n) to its text (unescaped into the
 * chunk's scratch when it had doubled quotes) and returns the byte after
 * it, or NULL with ch->err set. */
const char *csv_scan_field(csv_chunk *ch, const char *p, const char **s, size_t *n,
                           int *quoted);

/* Number of fields in the physical row starting at p. */
size_t csv_count_fields(const csv_reader *r, const char *p);

/* 1 if [s, s + n) is valid UTF-8. */
int csv_utf8_valid(const char *s, size_t n);

#endif
