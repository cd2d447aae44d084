/* CSV reader and writer: RFC 4180 cases, type inference, exact error
 * messages, and the float parser against strtod. */
#include "check.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/workers.h"
#include "frame/csv.h"
#include "frame/framefile.h"
#include "frame/internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static zm_frame *parse(const char *text, const zm_csv_options *o)
{
  zm_frame *f = NULL;
  if (zm_frame_parse_csv(&f, "data.csv", text, strlen(text), o) != 0)
    return NULL;
  return f;
}

static const char *parse_error(const char *text)
{
  zm_frame *f = NULL;
  int rc = zm_frame_parse_csv(&f, "data.csv", text, strlen(text), NULL);
  zm_frame_free(f);
  return rc ? zm_error_last() : "no error";
}

static const char *str_at(const zm_frame *f, size_t col, size_t row)
{
  static char out[256];
  size_t n;
  const char *s = zm_column_str(&f->cols[col], row, &n);
  snprintf(out, sizeof out, "%.*s", (int)n, s);
  return out;
}

static void test_rfc4180(void)
{
  zm_frame *f = parse("id,name,score\n1,\"a,b\",2.5\n2,\"say \"\"hi\"\"\",3\n3,\"two\nlines\",4\n", NULL);
  CHECK(f != NULL);
  if (!f)
    return;
  CHECK_EQ_INT(f->nrow, 3);
  CHECK_EQ_INT(f->cols[0].type, ZM_TYPE_I64);
  CHECK_EQ_INT(f->cols[1].type, ZM_TYPE_STR);
  CHECK_EQ_INT(f->cols[2].type, ZM_TYPE_F64);
  CHECK_EQ_STR(str_at(f, 1, 0), "a,b");
  CHECK_EQ_STR(str_at(f, 1, 1), "say \"hi\"");
  CHECK_EQ_STR(str_at(f, 1, 2), "two\nlines");
  CHECK(((double *)f->cols[2].data)[2] == 4.0);
  zm_frame_free(f);
}

static void test_bom_crlf_delimiters(void)
{
  zm_frame *f = parse("\xef\xbb\xbf" "a;b\r\n1;x\r\n2;y\r\n", NULL);
  CHECK(f && f->ncol == 2 && f->nrow == 2);
  if (f) {
    CHECK_EQ_STR(f->cols[0].name, "a");
    CHECK_EQ_STR(str_at(f, 1, 1), "y");
  }
  zm_frame_free(f);
  f = parse("a\tb\tc\n1\t2\t3\n", NULL);
  CHECK(f && f->ncol == 3);
  zm_frame_free(f);
  f = parse("a|b\n1|2\n", NULL);
  CHECK(f && f->ncol == 2);
  zm_frame_free(f);
  zm_csv_options o = {.delimiter = ';'};
  f = parse("a,b;c\n1,2;3\n", &o);
  CHECK(f && f->ncol == 2);
  if (f)
    CHECK_EQ_STR(f->cols[0].name, "a,b");
  zm_frame_free(f);
}

static void test_types_and_nulls(void)
{
  zm_frame *f = parse("i,f,b,s,n,m\n1,1.5,true,x,,1\nNA,2,false,NA,NA,abc\n3,NaN,null,N/A,,2\n", NULL);
  CHECK(f != NULL);
  if (!f)
    return;
  CHECK_EQ_INT(f->cols[0].type, ZM_TYPE_I64);
  CHECK_EQ_INT(f->cols[1].type, ZM_TYPE_F64);
  CHECK_EQ_INT(f->cols[2].type, ZM_TYPE_BOOL);
  CHECK_EQ_INT(f->cols[3].type, ZM_TYPE_STR);
  CHECK_EQ_INT(f->cols[4].type, ZM_TYPE_STR); /* only nulls */
  CHECK_EQ_INT(f->cols[5].type, ZM_TYPE_STR); /* mixed */
  CHECK(zm_column_is_null(&f->cols[0], 1));
  CHECK(!zm_column_is_null(&f->cols[0], 2));
  CHECK_EQ_INT(((int64_t *)f->cols[0].data)[2], 3);
  CHECK(zm_column_is_null(&f->cols[1], 2));
  CHECK(zm_column_is_null(&f->cols[2], 2));
  CHECK_EQ_INT(zm_column_nulls(&f->cols[3]), 2);
  CHECK_EQ_INT(zm_column_nulls(&f->cols[4]), 3);
  CHECK_EQ_STR(str_at(f, 5, 1), "abc");
  CHECK_EQ_STR(str_at(f, 5, 2), "2");
  CHECK_EQ_STR(f->note, "column 'm' has values of mixed types; read as string (numbers, and 'abc' "
                        "in 1 cell, first at line 3: too many to read as nulls unless listed in "
                        "null_values)");
  zm_frame_free(f);
}

/* `rows` lines "i,<value>" where value is i or, at the listed rows, a token. */
static void numbers_with(zm_buf *b, int rows, const int *at, const char *const *tok, int n)
{
  b->len = 0;
  zm_buf_puts(b, "id,v\n");
  for (int i = 0; i < rows; i++) {
    const char *t = NULL;
    for (int k = 0; k < n; k++)
      if (at[k] == i)
        t = tok[k];
    if (t)
      zm_buf_printf(b, "%d,%s\n", i, t);
    else
      zm_buf_printf(b, "%d,%d\n", i, i * 3);
  }
}

static zm_frame *parse_buf(const zm_buf *b, const zm_csv_options *o)
{
  zm_frame *f = NULL;
  if (zm_frame_parse_csv(&f, "data.csv", b->data, b->len, o) != 0)
    return NULL;
  return f;
}

/* A few tokens in a column of numbers are nulls, with a note naming them. */
static void test_null_tokens(void)
{
  zm_buf b = ZM_BUF_INIT;
  int at[] = {5, 17, 0, 9};
  const char *q[] = {"?", "?", "n/a", "?"};
  numbers_with(&b, 30, at, q, 2);
  zm_frame *f = parse_buf(&b, NULL);
  CHECK(f != NULL);
  if (f) {
    CHECK_EQ_INT(f->cols[1].type, ZM_TYPE_I64);
    CHECK_EQ_INT(zm_column_nulls(&f->cols[1]), 2);
    CHECK(zm_column_is_null(&f->cols[1], 5) && zm_column_is_null(&f->cols[1], 17));
    CHECK_EQ_INT(((int64_t *)f->cols[1].data)[6], 18);
    CHECK_EQ_STR(f->note, "column 'v' is numbers but for '?' in 2 cells, first at line 7: read as nulls");
  }
  zm_frame_free(f);
  /* a token in the first row, two distinct ones: still numbers (re-read) */
  numbers_with(&b, 30, at + 1, q + 1, 3);
  f = parse_buf(&b, NULL);
  CHECK(f != NULL);
  if (f) {
    CHECK_EQ_INT(f->cols[1].type, ZM_TYPE_I64);
    CHECK_EQ_INT(zm_column_nulls(&f->cols[1]), 3);
    CHECK(zm_column_is_null(&f->cols[1], 0) && !zm_column_is_null(&f->cols[1], 1));
    CHECK_EQ_INT(((int64_t *)f->cols[1].data)[1], 3);
    CHECK_EQ_STR(f->note, "column 'v' is numbers but for 'n/a' in 1 cell, first at line 2, "
                          "'?' in 2 cells, first at line 11: read as nulls");
  }
  zm_frame_free(f);
  /* three distinct tokens: text */
  const char *three[] = {"?", "x", "y"};
  numbers_with(&b, 30, at, three, 3);
  f = parse_buf(&b, NULL);
  CHECK(f && f->cols[1].type == ZM_TYPE_STR);
  if (f) {
    CHECK_EQ_STR(str_at(f, 1, 5), "?");
    CHECK_EQ_STR(str_at(f, 1, 6), "18");
    CHECK_EQ_STR(f->note, "column 'v' has values of mixed types; read as string");
  }
  zm_frame_free(f);
  /* one token, but in a fifth of the cells or more: text, with a hint */
  int many[] = {1, 2, 3, 4, 5, 6};
  const char *u[] = {"unknown", "unknown", "unknown", "unknown", "unknown", "unknown"};
  numbers_with(&b, 30, many, u, 6);
  f = parse_buf(&b, NULL);
  CHECK(f && f->cols[1].type == ZM_TYPE_STR);
  if (f)
    CHECK_EQ_STR(f->note, "column 'v' has values of mixed types; read as string (numbers, and "
                          "'unknown' in 6 cells, first at line 3: too many to read as nulls unless "
                          "listed in null_values)");
  zm_frame_free(f);
  /* unless the caller declares it */
  const char *nulls[] = {"unknown"};
  zm_csv_options o = {.null_values = nulls, .nnull_values = 1};
  f = parse_buf(&b, &o);
  CHECK(f && f->cols[1].type == ZM_TYPE_I64 && f->note == NULL);
  if (f)
    CHECK_EQ_INT(zm_column_nulls(&f->cols[1]), 6);
  zm_frame_free(f);
  zm_buf_free(&b);
  /* floats; a bool is not a token; text with a few numbers stays text */
  f = parse("a,b,c\n1.5,1,x\n?,2,y\n2.5,true,3\n3.5,4,z\n4.5,5,w\n5.5,6,v\n", NULL);
  CHECK(f != NULL);
  if (f) {
    CHECK_EQ_INT(f->cols[0].type, ZM_TYPE_F64);
    CHECK(zm_column_is_null(&f->cols[0], 1) && isnan(((double *)f->cols[0].data)[1]));
    CHECK_EQ_INT(f->cols[1].type, ZM_TYPE_STR);
    CHECK_EQ_INT(f->cols[2].type, ZM_TYPE_STR);
  }
  zm_frame_free(f);
  /* a declared schema takes no tokens: the error names line, column, value */
  zm_csv_schema s[] = {{"a", ZM_TYPE_F64}};
  zm_csv_options so = {.schema = s, .nschema = 1};
  f = NULL;
  const char *text = "a\n1\n?\n";
  CHECK(zm_frame_parse_csv(&f, "data.csv", text, strlen(text), &so) == ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "data.csv:3: column 'a': cannot read \"?\" as float64");
  so.null_values = (const char *const[]){"?"};
  so.nnull_values = 1;
  f = parse(text, &so);
  CHECK(f && f->cols[0].type == ZM_TYPE_F64 && zm_column_is_null(&f->cols[0], 1));
  zm_frame_free(f);
}

/* Tokens far apart land in different chunks parsed on two threads. */
static void test_null_tokens_in_chunks(void)
{
  zm_buf b = ZM_BUF_INIT;
  int at[] = {150000, 10, 199990};
  const char *q[] = {"?", "NA?", "?"};
  numbers_with(&b, 200000, at, q, 3);
  zm_csv_options o = {.threads = 2};
  zm_frame *f = parse_buf(&b, &o);
  CHECK(f != NULL);
  if (f) {
    CHECK_EQ_INT(f->cols[1].type, ZM_TYPE_I64);
    CHECK_EQ_INT(zm_column_nulls(&f->cols[1]), 3);
    CHECK(zm_column_is_null(&f->cols[1], 199990));
    CHECK_EQ_INT(((int64_t *)f->cols[1].data)[199999], 599997);
    CHECK_EQ_STR(f->note, "column 'v' is numbers but for 'NA?' in 1 cell, first at line 12, "
                          "'?' in 2 cells, first at line 150002: read as nulls");
  }
  zm_frame_free(f);
  /* the first chunk starts with a token (text), the second is numbers */
  int first[] = {0};
  numbers_with(&b, 200000, first, q, 1);
  f = parse_buf(&b, &o);
  CHECK(f && f->cols[1].type == ZM_TYPE_I64);
  if (f) {
    CHECK(zm_column_is_null(&f->cols[1], 0));
    CHECK_EQ_INT(((int64_t *)f->cols[1].data)[123456], 370368);
  }
  zm_frame_free(f);
  zm_buf_free(&b);
}

/* An integer beyond int64 makes the column float64, with a note. */
static void test_int64_overflow(void)
{
  zm_frame *f = parse("id,x\n1,5\n2,6\n99999999999999999999,-9223372036854775809\n", NULL);
  CHECK(f != NULL);
  if (f) {
    CHECK_EQ_INT(f->cols[0].type, ZM_TYPE_F64);
    CHECK_EQ_INT(f->cols[1].type, ZM_TYPE_F64);
    CHECK(((double *)f->cols[0].data)[2] == 1e20);
    CHECK_EQ_STR(f->note, "column 'id': 99999999999999999999 at line 4 does not fit in int64; the "
                          "column is read as float64 (integers beyond 2^53 lose precision)\n"
                          "column 'x': -9223372036854775809 at line 4 does not fit in int64; the "
                          "column is read as float64 (integers beyond 2^53 lose precision)");
  }
  zm_frame_free(f);
  f = parse("id\n18446744073709551616\n1\n", NULL);
  CHECK(f && f->cols[0].type == ZM_TYPE_F64 && f->note != NULL);
  zm_frame_free(f);
  f = parse("id\n9223372036854775807\n-9223372036854775808\n", NULL);
  CHECK(f && f->cols[0].type == ZM_TYPE_I64 && f->note == NULL);
  if (f)
    CHECK(((int64_t *)f->cols[0].data)[1] == INT64_MIN);
  zm_frame_free(f);
  zm_csv_schema s[] = {{"id", ZM_TYPE_I64}};
  zm_csv_options o = {.schema = s, .nschema = 1};
  const char *text = "id\n1\n99999999999999999999\n";
  CHECK(zm_frame_parse_csv(&f, "data.csv", text, strlen(text), &o) == ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "data.csv:3: column 'id': cannot read \"99999999999999999999\" as int64");
}

static void test_int_upgrades_to_float(void)
{
  zm_frame *f = parse("x\n1\n2\n2.5\n", NULL);
  CHECK(f && f->cols[0].type == ZM_TYPE_F64 && f->note == NULL);
  if (f)
    CHECK(((double *)f->cols[0].data)[0] == 1.0 && ((double *)f->cols[0].data)[2] == 2.5);
  zm_frame_free(f);
}

static void test_schema(void)
{
  zm_csv_schema s[] = {{"a", ZM_TYPE_STR}, {"b", ZM_TYPE_F64}};
  zm_csv_options o = {.schema = s, .nschema = 2};
  zm_frame *f = parse("a,b\n007,1\n", &o);
  CHECK(f && f->cols[0].type == ZM_TYPE_STR && f->cols[1].type == ZM_TYPE_F64);
  if (f)
    CHECK_EQ_STR(str_at(f, 0, 0), "007");
  zm_frame_free(f);
  zm_csv_schema bad[] = {{"a", ZM_TYPE_I64}};
  o.schema = bad;
  o.nschema = 1;
  f = NULL;
  CHECK(zm_frame_parse_csv(&f, "data.csv", "a\n1\n2\nx\n", 8, &o) == ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "data.csv:4: column 'a': cannot read \"x\" as int64");
  zm_csv_schema missing[] = {{"zz", ZM_TYPE_I64}};
  o.schema = missing;
  CHECK(zm_frame_parse_csv(&f, "data.csv", "a\n1\n", 4, &o) == ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "data.csv: the schema names column 'zz', which is not in the header");
}

static void test_errors(void)
{
  CHECK_EQ_STR(parse_error("a,b,c,d,e\n1,2,3,4,5\n1,2,3,4\n"), "data.csv:3: expected 5 fields, found 4");
  CHECK_EQ_STR(parse_error("a,b\n\"x\ny\",1\n1,2,3\n"), "data.csv:4: expected 2 fields, found 3");
  CHECK_EQ_STR(parse_error(""), "data.csv: empty file");
  CHECK_EQ_STR(parse_error("a,b\n1,\"open\n"), "data.csv:2: unterminated quoted field");
  CHECK_EQ_STR(parse_error("a,b\n1,ok\n2,bad\xff\n"), "data.csv:3: invalid UTF-8 in column 'b'");
  zm_frame *f = NULL;
  CHECK(zm_frame_read_csv(&f, "/nonexistent/data.csv", NULL) == ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "cannot open /nonexistent/data.csv: No such file or directory");
}

static void test_header_only(void)
{
  zm_frame *f = parse("a,b\n", NULL);
  CHECK(f && f->nrow == 0 && f->ncol == 2 && f->cols[0].type == ZM_TYPE_STR);
  zm_frame_free(f);
  f = parse("a,,a\n1,2,3\n", NULL);
  CHECK(f != NULL);
  if (f) {
    CHECK_EQ_STR(f->cols[1].name, "column_2");
    CHECK_EQ_STR(f->cols[2].name, "a.1");
  }
  zm_frame_free(f);
}

/* A name longer than 500 bytes is cut at a character's start, so it stays
 * UTF-8 (found by the csv fuzzer: a cut inside a 3-byte character). */
static void test_long_name_cut_at_character(void)
{
  char text[700];
  size_t n = 0;
  text[n++] = 'x';
  while (n + 3 < 620) {
    memcpy(text + n, "\xe2\x82\xac", 3); /* the euro sign, 3 bytes */
    n += 3;
  }
  memcpy(text + n, ",b\n", 4);
  n += 4;
  text[n] = '\0';
  zm_frame *f = parse(text, NULL);
  CHECK(f != NULL);
  if (f) {
    size_t len = strlen(f->cols[0].name);
    CHECK(len <= 500 && len >= 498);
    CHECK((len - 1) % 3 == 0); /* 'x' and whole euro signs only */
  }
  zm_frame_free(f);
}

/* A big generated file parsed on two threads, with a late type change. */
static void test_threads_and_late_string(void)
{
  zm_buf b = ZM_BUF_INIT;
  zm_buf_puts(&b, "k,v,s\n");
  for (int i = 0; i < 200000; i++)
    zm_buf_printf(&b, "%d,%d.5,\"q%d\"\n", i, i, i % 7);
  zm_buf_puts(&b, "x,1,\"multi\nline\"\ny,2,a\nz,3,b\n");
  zm_frame *f = NULL;
  int rc = zm_frame_parse_csv(&f, "big.csv", b.data, b.len, NULL);
  CHECK_EQ_INT(rc, 0);
  if (f) {
    CHECK_EQ_INT(f->nrow, 200003);
    CHECK_EQ_INT(f->cols[0].type, ZM_TYPE_STR);
    CHECK_EQ_INT(f->cols[1].type, ZM_TYPE_F64);
    CHECK_EQ_STR(str_at(f, 0, 123456), "123456");
    CHECK_EQ_STR(str_at(f, 2, 200000), "multi\nline");
    CHECK(((double *)f->cols[1].data)[199999] == 199999.5);
    CHECK(f->note != NULL);
  }
  zm_frame_free(f);
  /* the ragged row far down still names its physical line */
  b.len = 0;
  zm_buf_puts(&b, "k,v\n");
  for (int i = 0; i < 300000; i++)
    zm_buf_puts(&b, i == 250000 ? "1\n" : "1,2\n");
  CHECK(zm_frame_parse_csv(&f, "big.csv", b.data, b.len, NULL) != 0);
  CHECK_EQ_STR(zm_error_last(), "big.csv:250002: expected 2 fields, found 1");
  zm_buf_free(&b);
}

/* The ranges the same bytes are parsed in, as the Threads backend sets them. */
static const int WORKERS[] = {1, 2, 7};

static zm_frame *parse_on(const zm_buf *b, int workers)
{
  zm_frame *f = NULL;
  zm_workers_set(workers);
  CHECK_EQ_INT(zm_frame_parse_csv(&f, "w.csv", b->data, b->len, NULL), 0);
  zm_workers_set(0);
  return f;
}

/* Read k of several of the same bytes: the first one's encoding is kept in
 * *first, every later one must encode the same. */
static void same_as_first(zm_buf *first, int k, const zm_frame *f)
{
  zm_buf enc = ZM_BUF_INIT;
  CHECK(f && zm_frame_encode(&enc, f) == 0);
  if (k == 0) {
    *first = enc;
    return;
  }
  CHECK(enc.len == first->len && memcmp(enc.data, first->data, enc.len) == 0);
  zm_buf_free(&enc);
}

/* The same bytes parsed in 1, 2 and 7 ranges (core/workers.h, as the Threads
 * backend sets it): the same frame file bytes, though the types settle
 * late (ints then floats, numbers then strings, nulls) and quoted fields
 * span lines. */
static void test_workers_same_frame(void)
{
  zm_buf b = ZM_BUF_INIT;
  zm_buf_puts(&b, "i,f,s,late,q\n");
  for (int i = 0; i < 150000; i++) {
    if (i < 100000)
      zm_buf_printf(&b, "%d,%d,%d,%d,\"a%d\"\n", i, i, i % 5, i, i % 3);
    else
      zm_buf_printf(&b, "%d,%d.25,%s,%s,\"b\n%d\"\n", i, i, i % 11 ? "x" : "", i == 140000 ? "word" : "7", i);
  }
  zm_buf first = ZM_BUF_INIT;
  for (int k = 0; k < 3; k++) {
    zm_frame *f = parse_on(&b, WORKERS[k]);
    same_as_first(&first, k, f);
    zm_frame_free(f);
  }
  zm_buf_free(&first);
  zm_buf_free(&b);
}

/* About 3 MB of rows whose lengths differ where the reader samples them
 * to make room (the start, middle and end 256 KiB) from everywhere else:
 * long there and short elsewhere (room made for too few rows: the columns
 * grow) or the other way round (room for too many). Every row is read, the
 * same with 1, 2 and 7 ranges. */
static void rows_estimated_wrong(int long_in_samples)
{
  const size_t len = (size_t)3 << 20, part = (size_t)256 << 10;
  zm_buf b = ZM_BUF_INIT;
  zm_buf_puts(&b, "i,s\n");
  size_t rows = 0;
  while (b.len < len) {
    size_t at = b.len;
    int sampled = at < part || (at >= (len - part) / 2 && at < (len - part) / 2 + part) ||
                  at >= len - part;
    if (sampled == long_in_samples)
      zm_buf_printf(&b, "%zu,%0200d\n", rows, 7);
    else
      zm_buf_printf(&b, "%zu,x\n", rows);
    rows++;
  }
  zm_buf first = ZM_BUF_INIT;
  for (int k = 0; k < 3; k++) {
    zm_frame *f = parse_on(&b, WORKERS[k]);
    if (!f)
      continue;
    CHECK_EQ_INT(f->nrow, rows);
    int ordered = f->cols[0].type == ZM_TYPE_I64;
    for (size_t i = 0; ordered && i < f->nrow; i++)
      ordered = ((const int64_t *)f->cols[0].data)[i] == (int64_t)i;
    CHECK(ordered);
    same_as_first(&first, k, f);
    zm_frame_free(f);
  }
  zm_buf_free(&first);
  zm_buf_free(&b);
}

static void test_rows_estimated_wrong(void)
{
  rows_estimated_wrong(1);
  rows_estimated_wrong(0);
}

/* A body without quotes near where the reader looks for them (its first
 * MiB, its end, around the split points) but with one quoted field of
 * 900 KB, full of line breaks, across the second of them: the guessed split
 * lands inside it, which the reader notices and reads the body again in
 * one range. Then the same field starts within the first MiB, where the
 * quote is seen: the split points follow the quotes, and a range of no
 * rows between two of them leaves no trace in the frame's bytes. */
static void split_around_long_field(size_t from, size_t len)
{
  zm_buf b = ZM_BUF_INIT, field = ZM_BUF_INIT;
  zm_buf_puts(&b, "i,s\n");
  size_t rows = 0;
  while (b.len < from)
    zm_buf_printf(&b, "%zu,plain\n", rows++);
  for (int k = 0; field.len < len; k++)
    zm_buf_printf(&field, "line %d of the long field\n", k);
  zm_buf_printf(&b, "%zu,\"%s\"\n", rows++, field.data);
  while (b.len < (size_t)3 << 20)
    zm_buf_printf(&b, "%zu,plain\n", rows++);
  zm_buf first = ZM_BUF_INIT;
  for (int k = 0; k < 3; k++) {
    zm_frame *f = parse_on(&b, WORKERS[k]);
    if (f) {
      CHECK_EQ_INT(f->nrow, rows);
      size_t at = 0;
      while (at < f->nrow && strcmp(str_at(f, 1, at), "plain") == 0)
        at++;
      size_t n = 0;
      const char *s = at < f->nrow ? zm_column_str(&f->cols[1], at, &n) : "";
      CHECK(n == field.len && memcmp(s, field.data, n) == 0);
    }
    same_as_first(&first, k, f);
    zm_frame_free(f);
  }
  zm_buf_free(&first);
  zm_buf_free(&field);
  zm_buf_free(&b);
}

static void test_split_guess_inside_quotes(void)
{
  split_around_long_field(1500000, 900000);
  split_around_long_field(850000, 1400000);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

/* 1,000,000 values: normal-ish and arbitrary bit patterns, %.17g and %.6g. */
static void test_float_parser_matches_strtod(void)
{
  int bad = 0;
  for (int i = 0; i < 1000000; i++) {
    double v;
    if (i % 2) {
      uint64_t bits = next();
      memcpy(&v, &bits, 8);
      if (!isfinite(v))
        continue;
    } else {
      v = ((double)(next() >> 11) / 9007199254740992.0 - 0.5) * pow(10, (int)(next() % 12) - 6);
    }
    char s[64];
    int n = snprintf(s, sizeof s, i % 3 ? "%.17g" : "%.6g", v);
    double a, b = strtod(s, NULL);
    const char *end = zm__parse_double(s, s + n, &a);
    if (end != s + n || memcmp(&a, &b, 8) != 0) {
      if (bad++ < 5)
        fprintf(stderr, "mismatch on %s\n", s);
    }
  }
  CHECK_EQ_INT(bad, 0);
  const char *hard[] = {"2.2250738585072011e-308", "9007199254740993", "0.1", "-0",
                        "1e23", "8.589973e9", "123456789012345678901234567890", "4.9e-324",
                        "1.7976931348623157e308", "0.30000000000000004", ".5", "5."};
  for (size_t k = 0; k < sizeof hard / sizeof hard[0]; k++) {
    double a, b = strtod(hard[k], NULL);
    zm__parse_double(hard[k], hard[k] + strlen(hard[k]), &a);
    CHECK(memcmp(&a, &b, 8) == 0);
  }
}

/* In a row the parser sees the bytes after the field too: it must stop at
 * the delimiter with strtod's value, for the %.6f of the benchmark, long
 * digit runs, leading zeros, more than 19 digits and exponents. */
static void test_float_parser_in_rows(void)
{
  int bad = 0;
  const char *fmts[] = {"%.6f,1.5\n", "%.17g;x", "%.0f,", "000%.9f,7", "%.3e\n0"};
  for (int i = 0; i < 300000; i++) {
    double v = ((double)(next() >> 11) / 9007199254740992.0 - 0.5) * pow(10, (int)(next() % 30) - 10);
    char s[128];
    int n = snprintf(s, sizeof s, fmts[i % 5], i % 5 == 3 ? fabs(v) : v);
    size_t field = strcspn(s, ",;\n");
    double a, b = strtod(s, NULL);
    const char *end = zm__parse_double(s, s + n, &a);
    if (end != s + field || memcmp(&a, &b, 8) != 0) {
      if (bad++ < 5)
        fprintf(stderr, "mismatch on %s\n", s);
    }
  }
  CHECK_EQ_INT(bad, 0);
  const char *hard[] = {"12345678901234567890123,", "0.00000000000000000000012345678901234567,",
                        "99999999999999999999.5,", "-00000000.000000001e5,", "1234567.,",
                        "9007199254740993.0,", "+0.000000,", "-0.0,", "1.5e,", "123.456E-2,"};
  for (size_t k = 0; k < sizeof hard / sizeof hard[0]; k++) {
    double a, b = strtod(hard[k], NULL);
    const char *end = zm__parse_double(hard[k], hard[k] + strlen(hard[k]), &a);
    CHECK(end && (*end == ',' || *end == 'e') && memcmp(&a, &b, 8) == 0);
  }
}

static void test_writer_round_trip(void)
{
  zm_frame *f = parse("i,f,b,s\n1,0.1,true,\"a,b\"\n,1e300,false,\"q\"\"\"\n3,-2.5,,x\n", NULL);
  CHECK(f != NULL);
  if (!f)
    return;
  zm_buf b = ZM_BUF_INIT;
  CHECK_EQ_INT(zm_frame_format_csv(&b, f, 0), 0);
  CHECK_EQ_STR(b.data, "i,f,b,s\n1,0.1,true,\"a,b\"\n,1e+300,false,\"q\"\"\"\n3,-2.5,,x\n");
  zm_frame *g = NULL;
  CHECK_EQ_INT(zm_frame_parse_csv(&g, "again.csv", b.data, b.len, NULL), 0);
  if (g) {
    CHECK(((double *)g->cols[1].data)[1] == 1e300);
    CHECK_EQ_STR(str_at(g, 3, 1), "q\"");
  }
  const char *dir = check_tmpdir("csvw");
  char path[4200];
  snprintf(path, sizeof path, "%s/out.csv", dir);
  CHECK_EQ_INT(zm_frame_write_csv(f, path, 0), 0);
  zm_frame *h = NULL;
  CHECK_EQ_INT(zm_frame_read_csv(&h, path, NULL), 0);
  CHECK(h && h->nrow == 3);
  zm_frame_free(h);
  zm_frame_free(g);
  zm_frame_free(f);
  zm_buf_free(&b);
}

/* Found by tests/fuzz: a NUL in a header name cut it short ("" here), and
 * the frame did not read back from its own CSV. A NUL byte anywhere is now
 * an error (a UTF-16 or binary file is not text). */
static void test_nul_in_header(void)
{
  zm_frame *f = NULL;
  static const char csv[] = "x;\0abc\n1;2\n";
  CHECK_EQ_INT(zm_frame_parse_csv(&f, "nul.csv", csv, sizeof csv - 1, NULL), ZM_EINVALID);
  CHECK(f == NULL);
  CHECK_EQ_STR(zm_error_last(),
               "nul.csv:1: a NUL byte in the header (zenml reads UTF-8 CSV; is the file UTF-16?)");
  static const char body[] = "x,y\n1,a\0b\n";
  CHECK_EQ_INT(zm_frame_parse_csv(&f, "body.csv", body, sizeof body - 1, NULL), ZM_EINVALID);
  CHECK(f == NULL);
  CHECK_EQ_STR(zm_error_last(),
               "body.csv:2: a NUL byte in column 'y' (zenml reads UTF-8 CSV; is the file UTF-16?)");
}

/* Found by tests/fuzz: 1e999 read as an infinity, written as "inf", which
 * read back as a string column. */
static void test_infinity_round_trip(void)
{
  zm_frame *f = parse("x,y\n1e999,Info\n-inf,+INF\nInfinity,-Infinity\n", NULL), *g = NULL;
  CHECK(f != NULL);
  if (!f)
    return;
  CHECK_EQ_INT(f->cols[0].type, ZM_TYPE_F64);
  CHECK_EQ_INT(f->cols[1].type, ZM_TYPE_STR); /* "Info" is no number */
  const double *x = f->cols[0].data;
  CHECK(x[0] == INFINITY && x[1] == -INFINITY && x[2] == INFINITY);
  zm_buf b = ZM_BUF_INIT;
  CHECK_EQ_INT(zm_frame_format_csv(&b, f, 0), 0);
  CHECK_EQ_STR(b.data, "x,y\ninf,Info\n-inf,+INF\ninf,-Infinity\n");
  CHECK_EQ_INT(zm_frame_parse_csv(&g, "again.csv", b.data, b.len, NULL), 0);
  CHECK(g && g->cols[0].type == ZM_TYPE_F64 && ((double *)g->cols[0].data)[1] == -INFINITY);
  zm_buf_free(&b);
  zm_frame_free(g);
  zm_frame_free(f);
}

/* Found by tests/fuzz: header names the writer left bare but the reader
 * takes otherwise. "a;b;c" made ';' the detected delimiter (three columns);
 * a name starting with U+FEFF lost it as a byte order mark. */
static void test_header_names_read_back(void)
{
  zm_frame *f = parse("\"a;b;c\"\n1\n", NULL), *g = NULL;
  CHECK(f && f->ncol == 1);
  zm_buf b = ZM_BUF_INIT;
  if (f)
    CHECK_EQ_INT(zm_frame_format_csv(&b, f, 0), 0);
  CHECK_EQ_STR(b.data, "\"a;b;c\"\n1\n");
  zm_frame_free(f);
  f = parse("\n\xef\xbb\xbfname\nx\ny\n", NULL);
  CHECK(f && f->ncol == 1 && f->nrow == 2);
  b.len = 0;
  if (f)
    CHECK_EQ_INT(zm_frame_format_csv(&b, f, 0), 0);
  CHECK_EQ_INT(zm_frame_parse_csv(&g, "again.csv", b.data, b.len, NULL), 0);
  CHECK(g && g->nrow == 2);
  CHECK_EQ_STR(g ? g->cols[0].name : NULL, "\xef\xbb\xbfname");
  zm_frame_free(g);
  zm_frame_free(f);
  zm_buf_free(&b);
}

/* Lines of rows, counted as the reader counts rows; devices and FIFOs refused. */
static void test_row_lines(void)
{
  char path[] = "/tmp/zenml-test-csv-XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  if (fd < 0)
    return;
  const char *text = "\xef\xbb\xbf" "a,b\r\n1,\"x\r\ny\"\r\n\r\n\n2,z\n3,\"q\"\"\n\"\n4,w";
  CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
  close(fd);
  size_t line, rows;
  size_t want[] = {2, 6, 7, 9};
  for (size_t i = 0; i < 4; i++) {
    CHECK_EQ_INT(zm_csv_row_line(&line, &rows, path, i, NULL), 0);
    CHECK_EQ_INT(line, want[i]);
  }
  CHECK_EQ_INT(zm_csv_row_line(&line, &rows, path, 4, NULL), ZM_ENOTFOUND);
  CHECK_EQ_INT(rows, 4);
  zm_frame *f = NULL;
  CHECK_EQ_INT(zm_frame_read_csv(&f, path, NULL), 0);
  CHECK(f && f->nrow == 4);
  zm_frame_free(f);
  unlink(path);
  CHECK_EQ_INT(zm_frame_read_csv(&f, "/dev/zero", NULL), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "/dev/zero: not a regular file");
  CHECK(mkfifo(path, 0600) == 0);
  CHECK_EQ_INT(zm_frame_read_csv(&f, path, NULL), ZM_EINVALID); /* does not wait for a writer */
  char want_msg[64];
  snprintf(want_msg, sizeof want_msg, "%s: not a regular file", path);
  CHECK_EQ_STR(zm_error_last(), want_msg);
  unlink(path);
  CHECK_EQ_INT(zm_frame_read_csv(&f, "/tmp", NULL), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "/tmp: is a folder, not a CSV file");
}

int main(void)
{
  RUN(test_rfc4180);
  RUN(test_long_name_cut_at_character);
  RUN(test_bom_crlf_delimiters);
  RUN(test_types_and_nulls);
  RUN(test_int_upgrades_to_float);
  RUN(test_null_tokens);
  RUN(test_null_tokens_in_chunks);
  RUN(test_int64_overflow);
  RUN(test_row_lines);
  RUN(test_schema);
  RUN(test_errors);
  RUN(test_header_only);
  RUN(test_threads_and_late_string);
  RUN(test_workers_same_frame);
  RUN(test_rows_estimated_wrong);
  RUN(test_split_guess_inside_quotes);
  RUN(test_float_parser_matches_strtod);
  RUN(test_float_parser_in_rows);
  RUN(test_writer_round_trip);
  RUN(test_nul_in_header);
  RUN(test_infinity_round_trip);
  RUN(test_header_names_read_back);
  return CHECK_DONE();
}
