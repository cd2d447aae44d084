/* Row selections (src/frame/rowsel.h, docs/formats.md "Row selections"):
 * a split of a stored frame reads back byte for byte as the copying split,
 * columns are gathered and let go on request, every check of the file has
 * its message, and the store's gc and check_ids know a selection's base. */
#include "check.h"
#include "core/buf.h"
#include "core/error.h"
#include "frame/framefile.h"
#include "frame/rowsel.h"
#include "frame/split.h"
#include "ml/transform.h"
#include "core/workers.h"
#include "store/store.h"

#include <stdint.h>
#include <sys/stat.h>

#define BASE_ID "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

enum { PARTS = 3, HEAD = 128 };

/* The part of row i: rows 0 and 3 of every 7 dropped, parts 0 and 1 the
 * others, part 2 nothing at all. */
static int part_of(size_t i)
{
  switch (i % 7) {
  case 0:
  case 3:
    return -1;
  case 1:
  case 4:
  case 6:
    return 0;
  default:
    return 1;
  }
}

static int *assignment(size_t rows)
{
  int *a = malloc(rows * sizeof *a);
  for (size_t i = 0; a && i < rows; i++)
    a[i] = part_of(i);
  return a;
}

/* float64 with nulls in every part; int64 whose nulls all fall in dropped
 * rows; bool whose nulls all fall in part 1; strings with nulls and empty
 * strings. */
static zm_frame *make_frame(size_t rows)
{
  zm_frame *f = NULL;
  zm_column *c;
  CHECK_EQ_INT(zm_frame_new(&f, rows), 0);
  CHECK_EQ_INT(zm_frame_add(&c, f, "x", ZM_TYPE_F64), 0);
  for (size_t i = 0; i < rows; i++)
    ((double *)c->data)[i] = (double)i * 0.25 - 3;
  for (size_t i = 0; i < rows; i += 5)
    zm_column_set_null(c, i);
  CHECK_EQ_INT(zm_frame_add(&c, f, "n", ZM_TYPE_I64), 0);
  for (size_t i = 0; i < rows; i++)
    ((int64_t *)c->data)[i] = (int64_t)(i * i) - 7;
  for (size_t i = 0; i < rows; i += 7)
    zm_column_set_null(c, i);
  CHECK_EQ_INT(zm_frame_add(&c, f, "b", ZM_TYPE_BOOL), 0);
  for (size_t i = 0; i < rows; i++)
    ((uint8_t *)c->data)[i] = (uint8_t)(i % 3 == 0);
  for (size_t i = 2; i < rows; i += 7)
    zm_column_set_null(c, i);
  char(*text)[16] = malloc(rows * sizeof *text);
  const char **values = malloc(rows * sizeof *values);
  for (size_t i = 0; i < rows; i++) {
    if (i % 6 == 0)
      text[i][0] = '\0';
    else
      snprintf(text[i], sizeof text[i], "v%zu", i % 13);
    values[i] = i % 11 == 0 ? NULL : text[i];
  }
  CHECK_EQ_INT(zm_frame_add_strings(f, "s", values, NULL), 0);
  free(text);
  free(values);
  return f;
}

static const char *NAMES[] = {"x", "n", "b", "s"};
static const zm_type TYPES[] = {ZM_TYPE_F64, ZM_TYPE_I64, ZM_TYPE_BOOL, ZM_TYPE_STR};

static int same_bytes(const zm_buf *a, const zm_buf *b)
{
  return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* Encode f (a frame with its columns) into a fresh buffer. */
static zm_buf encoded(const zm_frame *f)
{
  zm_buf b = ZM_BUF_INIT;
  CHECK_EQ_INT(zm_frame_encode(&b, f), 0);
  return b;
}

/* Row i of column c of a and of b hold the same value (or both null). */
static int cell_equal(const zm_column *a, const zm_column *b, size_t i)
{
  if (zm_column_is_null(a, i) != zm_column_is_null(b, i))
    return 0;
  if (a->type == ZM_TYPE_BOOL)
    return ((const uint8_t *)a->data)[i] == ((const uint8_t *)b->data)[i];
  if (a->type != ZM_TYPE_STR)
    return ((const uint64_t *)a->data)[i] == ((const uint64_t *)b->data)[i];
  size_t la, lb;
  const char *sa = zm_column_str(a, i, &la), *sb = zm_column_str(b, i, &lb);
  return la == lb && memcmp(sa, sb, la) == 0;
}

static int column_equal(const zm_column *a, const zm_column *b, size_t rows)
{
  if (!a->data || !b->data || a->type != b->type)
    return 0;
  for (size_t i = 0; i < rows; i++)
    if (!cell_equal(a, b, i))
      return 0;
  return 1;
}

/* The file at `path` holds a frame of `rows` rows; mapped with its origin
 * set (the selection path) and without (the copying path). */
static void write_and_map(zm_frame **with, zm_frame **without, const char *path, size_t rows)
{
  zm_frame *f = make_frame(rows);
  CHECK_EQ_INT(zm_frame_write(f, path), 0);
  zm_frame_free(f);
  CHECK_EQ_INT(zm_frame_map(with, path), 0);
  CHECK_EQ_INT(zm_frame_map(without, path), 0);
  CHECK_EQ_INT(zm_frame_set_origin(*with, BASE_ID, path, 1), 0);
}

static void check_shape(const zm_frame *p, size_t nrow)
{
  CHECK(p->sel != NULL);
  CHECK_EQ_INT(p->nrow, nrow);
  CHECK_EQ_INT(p->ncol, 4);
  for (size_t j = 0; j < 4 && j < p->ncol; j++) {
    CHECK_EQ_STR(p->cols[j].name, NAMES[j]);
    CHECK_EQ_INT(p->cols[j].type, TYPES[j]);
    CHECK(p->cols[j].data == NULL); /* nothing gathered until asked */
  }
}

/* One part: its file holds the header fields docs/formats.md lists, it
 * reads back (zm_rowsel_read) and, gathered, encodes to the copy's bytes;
 * so does the part itself, gathered in place. */
static void check_part(zm_frame *sel, const zm_frame *copy, const char *base, size_t rows)
{
  zm_buf file = ZM_BUF_INIT;
  CHECK_EQ_INT(zm_rowsel_encode(&file, sel), 0);
  CHECK_EQ_INT(file.len, HEAD + (rows + 7) / 8);
  uint64_t nrow = 0, base_nrow = 0, file_len = 0;
  memcpy(&nrow, file.data + 16, 8);
  memcpy(&base_nrow, file.data + 24, 8);
  memcpy(&file_len, file.data + 32, 8);
  CHECK(memcmp(file.data, "ZMROWS\0\0\1\0\0\0\0\0\0\0", 16) == 0);
  CHECK_EQ_INT(nrow, copy->nrow);
  CHECK_EQ_INT(base_nrow, rows);
  CHECK_EQ_INT(file_len, file.len);
  CHECK(memcmp(file.data + 48, BASE_ID, 71) == 0);
  zm_buf want = encoded(copy);
  zm_frame *back = NULL;
  CHECK_EQ_INT(zm_rowsel_read(&back, file.data, file.len, "part", base, 1), 0);
  if (back) {
    CHECK_EQ_INT(back->nrow, copy->nrow);
    CHECK(back->sel != NULL);
    CHECK_EQ_INT(zm_frame_materialize(back), 0);
    CHECK(back->sel == NULL);
    zm_buf got = encoded(back);
    CHECK(same_bytes(&got, &want));
    zm_buf_free(&got);
  }
  CHECK_EQ_INT(zm_frame_materialize(sel), 0);
  zm_buf got = encoded(sel);
  CHECK(same_bytes(&got, &want));
  zm_buf_free(&got);
  zm_buf_free(&want);
  zm_buf_free(&file);
  zm_frame_free(back);
}

/* `rows` not a multiple of 8 leaves unused bits in the bitmap's last byte;
 * 300,001 rows x 4 columns are gathered on two workers. */
static void partition_matches_copy(size_t rows)
{
  const char *dir = check_tmpdir("rowsel-copy");
  char path[4200];
  snprintf(path, sizeof path, "%s/base.zmf", dir);
  zm_frame *m = NULL, *plain = NULL, *sel[PARTS] = {0}, *copy[PARTS] = {0};
  int *assign = assignment(rows);
  write_and_map(&m, &plain, path, rows);
  CHECK_EQ_INT(zm_frame_partition(sel, m, assign, PARTS), 0);
  CHECK_EQ_INT(zm_frame_partition(copy, plain, assign, PARTS), 0);
  CHECK_EQ_INT(copy[2] ? copy[2]->nrow : 1, 0);
  for (int j = 0; j < PARTS && sel[0] && copy[0]; j++) {
    CHECK(copy[j]->sel == NULL); /* no origin: copied */
    check_shape(sel[j], copy[j]->nrow);
    check_part(sel[j], copy[j], path, rows);
  }
  /* the null bitmaps the copying split gives, so the comparison above met
   * a column with no null left (n) and one with nulls in one part (b) */
  if (copy[0] && copy[1]) {
    CHECK(copy[0]->cols[1].valid == NULL && copy[1]->cols[1].valid == NULL);
    CHECK(copy[0]->cols[2].valid == NULL && copy[1]->cols[2].valid != NULL);
    CHECK(copy[0]->cols[0].valid != NULL && copy[0]->cols[3].valid != NULL);
  }
  for (int j = 0; j < PARTS; j++) {
    zm_frame_free(sel[j]);
    zm_frame_free(copy[j]);
  }
  zm_frame_free(m);
  zm_frame_free(plain);
  free(assign);
}

static void test_partition_matches_copy(void)
{
  partition_matches_copy(1003);
}

static void test_partition_matches_copy_threaded(void)
{
  partition_matches_copy(300001);
}

/* A part of a frame of `rows` rows (selection, made from a file under dir)
 * and its copying twin; the caller frees all four. */
typedef struct pair {
  zm_frame *m, *plain, *sel[PARTS], *copy[PARTS];
  char path[4200];
} pair;

static void pair_make(pair *p, const char *dir, size_t rows)
{
  memset(p, 0, sizeof *p);
  snprintf(p->path, sizeof p->path, "%s/base.zmf", dir);
  int *assign = assignment(rows);
  write_and_map(&p->m, &p->plain, p->path, rows);
  CHECK_EQ_INT(zm_frame_partition(p->sel, p->m, assign, PARTS), 0);
  CHECK_EQ_INT(zm_frame_partition(p->copy, p->plain, assign, PARTS), 0);
  free(assign);
}

static void pair_free(pair *p)
{
  for (int j = 0; j < PARTS; j++) {
    zm_frame_free(p->sel[j]);
    zm_frame_free(p->copy[j]);
  }
  zm_frame_free(p->m);
  zm_frame_free(p->plain);
}

/* ready gathers a column, done lets it go (and it gathers again the same),
 * keep makes it outlive done; other columns stay ungathered. */
static void test_col_ready_done_keep(void)
{
  pair p;
  pair_make(&p, check_tmpdir("rowsel-cols"), 1003);
  zm_frame *f = p.sel[1], *c = p.copy[1];
  if (!f || !c) {
    CHECK(0);
    pair_free(&p);
    return;
  }
  for (size_t j = 0; j < 4; j++) {
    CHECK_EQ_INT(zm_frame_col_ready(f, j), 0);
    CHECK(column_equal(&f->cols[j], &c->cols[j], c->nrow));
    CHECK_EQ_INT(zm_frame_col_ready(f, j), 0); /* gathered already: kept as is */
    zm_frame_col_done(f, j);
    CHECK(f->cols[j].data == NULL && f->cols[j].valid == NULL && f->cols[j].blob == NULL);
    CHECK_EQ_INT(f->cols[j].blob_len, 0);
    CHECK_EQ_INT(zm_frame_col_ready(f, j), 0);
    CHECK(column_equal(&f->cols[j], &c->cols[j], c->nrow));
    zm_frame_col_done(f, j);
  }
  CHECK_EQ_INT(zm_frame_col_keep(f, 3), 0);
  CHECK(f->cols[2].data == NULL);
  zm_frame_col_done(f, 3);
  CHECK(column_equal(&f->cols[3], &c->cols[3], c->nrow)); /* kept: still there */
  zm_frame_col_done(f, 2);
  CHECK_EQ_INT(zm_frame_col_ready(f, 99), 0); /* no such column: nothing to do */
  zm_frame_col_done(f, 99);
  CHECK_EQ_INT(zm_frame_col_keep(p.sel[2], 0), 0); /* the empty part */
  CHECK(p.sel[2]->cols[0].data != NULL);
  /* an ordinary frame: ready and keep have nothing to do, done leaves its data */
  const void *before = c->cols[0].data;
  CHECK_EQ_INT(zm_frame_col_ready(c, 0), 0);
  CHECK_EQ_INT(zm_frame_col_keep(c, 0), 0);
  zm_frame_col_done(c, 0);
  CHECK(c->cols[0].data == before);
  /* materializing after a kept column gives the copy's bytes all the same */
  CHECK_EQ_INT(zm_frame_materialize(f), 0);
  zm_buf a = encoded(f), b = encoded(c);
  CHECK(same_bytes(&a, &b));
  zm_buf_free(&a);
  zm_buf_free(&b);
  pair_free(&p);
}

/* Fit specs on part 0 and apply to part 1, of the selections and of the
 * copies: the same transform bytes and output bytes; the selections'
 * feature columns are read in place from the base, never gathered. */
static void fit_apply_same(pair *p, const zm_tf_spec *specs, size_t n, const char *const *labels,
                           size_t nl)
{
  zm_transform *ts = NULL, *tc = NULL;
  CHECK_EQ_INT(zm_transform_fit(&ts, specs, n, labels, nl, p->sel[0]), 0);
  CHECK_EQ_INT(zm_transform_fit(&tc, specs, n, labels, nl, p->copy[0]), 0);
  zm_buf a = ZM_BUF_INIT, b = ZM_BUF_INIT;
  zm_frame *gs = NULL, *gc = NULL;
  if (ts && tc) {
    CHECK_EQ_INT(zm_transform_save(&a, ts), 0);
    CHECK_EQ_INT(zm_transform_save(&b, tc), 0);
    CHECK(a.len > 0 && same_bytes(&a, &b));
    CHECK_EQ_INT(zm_transform_apply(&gs, ts, p->sel[1]), 0);
    CHECK_EQ_INT(zm_transform_apply(&gc, tc, p->copy[1]), 0);
  }
  if (gs && gc) {
    zm_buf_free(&a);
    zm_buf_free(&b);
    a = encoded(gs);
    b = encoded(gc);
    CHECK_EQ_INT(gs->nrow, p->copy[1]->nrow);
    CHECK(same_bytes(&a, &b));
  }
  for (size_t k = 0; k < n; k++)
    for (int part = 0; part < 2; part++) {
      long j = zm_frame_find(p->sel[part], specs[k].column);
      CHECK(j >= 0 && p->sel[part]->cols[j].data == NULL);
    }
  zm_buf_free(&a);
  zm_buf_free(&b);
  zm_frame_free(gs);
  zm_frame_free(gc);
  zm_transform_free(ts);
  zm_transform_free(tc);
}

/* Every family of method (moments, quantiles, categories of bool, int64
 * and strings, hashing) over columns with nulls, a label passed through,
 * on one worker and on two (300,001 rows: the threaded fit and apply). */
static void transform_in_place(size_t rows, int workers)
{
  pair p;
  pair_make(&p, check_tmpdir("rowsel-transform"), rows);
  zm_workers_set(workers);
  const zm_tf_spec numbers[] = {
      {.column = "x", .method = ZM_TF_ZSCORE, .fill = ZM_FILL_MEDIAN},
      {.column = "n", .method = ZM_TF_BUCKETIZE, .n = 7},
      {.column = "b", .method = ZM_TF_ONEHOT},
  };
  const char *label[] = {"s"};
  const zm_tf_spec categories[] = {
      {.column = "s", .method = ZM_TF_VOCAB, .oov_buckets = 3},
      {.column = "n", .method = ZM_TF_VOCAB, .top_k = 5},
      {.column = "x", .method = ZM_TF_MINMAX, .fill = ZM_FILL_MIN},
      {.column = "b", .method = ZM_TF_HASH, .n = 5},
  };
  if (p.sel[1] && p.copy[1]) {
    fit_apply_same(&p, numbers, 3, label, 1);
    fit_apply_same(&p, categories, 4, NULL, 0);
  } else {
    CHECK(0);
  }
  zm_workers_set(0);
  pair_free(&p);
}

static void test_transform_in_place(void)
{
  transform_in_place(1003, 1);
  transform_in_place(300001, 2);
}

/* The arguments a partition or an origin refuses. */
/* A slice of a selection is a selection of the same base (nothing
 * gathered) whose rows are the copy's slice: its bytes gathered and its
 * encoding read back both match; slices past the end are clipped. */
static void test_slice(void)
{
  pair p;
  pair_make(&p, check_tmpdir("rowsel-slice"), 1003);
  zm_frame *f = p.sel[1], *c = p.copy[1];
  if (!f || !c) {
    CHECK(0);
    pair_free(&p);
    return;
  }
  size_t starts[] = {0, 1, 7, c->nrow - 3, c->nrow, c->nrow + 5}, lens[] = {0, 1, 9, 40, 1000};
  for (size_t a = 0; a < sizeof starts / sizeof *starts; a++)
    for (size_t b = 0; b < sizeof lens / sizeof *lens; b++) {
      zm_frame *s = NULL, *want = NULL;
      CHECK_EQ_INT(zm_rowsel_slice(&s, f, starts[a], lens[b]), 0);
      CHECK_EQ_INT(zm_frame_slice(&want, c, starts[a], lens[b]), 0);
      if (!s || !want)
        continue;
      CHECK(s->sel != NULL && s->nrow == want->nrow && s->cols[0].data == NULL);
      zm_buf enc = ZM_BUF_INIT;
      CHECK_EQ_INT(zm_rowsel_encode(&enc, s), 0);
      zm_frame *back = NULL;
      CHECK_EQ_INT(zm_rowsel_read(&back, enc.data, enc.len, "slice", p.path, 0), 0);
      CHECK_EQ_INT(zm_frame_materialize(s), 0);
      zm_buf x = encoded(s), y = encoded(want);
      CHECK(same_bytes(&x, &y));
      if (back && zm_frame_materialize(back) == 0) {
        zm_buf z = encoded(back);
        CHECK(same_bytes(&z, &y));
        zm_buf_free(&z);
      }
      zm_buf_free(&x);
      zm_buf_free(&y);
      zm_buf_free(&enc);
      zm_frame_free(back);
      zm_frame_free(s);
      zm_frame_free(want);
    }
  zm_frame *none = NULL;
  CHECK_EQ_INT(zm_rowsel_slice(&none, c, 0, 1), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "not a row selection");
  pair_free(&p);
}

static void test_refusals(void)
{
  pair p;
  pair_make(&p, check_tmpdir("rowsel-refuse"), 20);
  CHECK_EQ_INT(zm_frame_set_origin(p.plain, "sha256:abc", p.path, 1), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "not an artifact id: sha256:abc");
  CHECK(p.plain->origin == NULL);
  zm_buf b = ZM_BUF_INIT;
  CHECK_EQ_INT(zm_rowsel_encode(&b, p.copy[0]), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "not a row selection");
  zm_frame *outs[PARTS];
  int assign[20] = {0};
  assign[2] = 5;
  CHECK_EQ_INT(zm_rowsel_partition(outs, p.m, assign, PARTS), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "row 3 is assigned to part 5; expected -1 (drop) to 2");
  CHECK(outs[0] == NULL && outs[2] == NULL);
  CHECK_EQ_INT(zm_rowsel_partition(outs, p.m, assign, 0), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "a partition needs at least one part");
  assign[2] = 0;
  CHECK_EQ_INT(zm_rowsel_partition(outs, p.plain, assign, 1), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "the frame is not a stored artifact");
  pair_free(&p);
}

/* Recompute the checksum as the writer does (the header with the field
 * zero, then the bitmap), so the checks behind it are reached. */
static void reseal(zm_buf *a)
{
  uint64_t zero = 0;
  memcpy(a->data + 40, &zero, 8);
  uint64_t sum = zm_frame_checksum(zm_frame_checksum(0, a->data, HEAD), a->data + HEAD,
                                   a->len - HEAD);
  memcpy(a->data + 40, &sum, 8);
}

static void put_u64(zm_buf *a, size_t at, uint64_t v)
{
  memcpy(a->data + at, &v, 8);
}

/* zm_rowsel_base_id on a fresh copy of `file` changed by `edit`, resealed
 * when asked: its error message (or "ok"). */
static const char *verdict(const zm_buf *file, size_t len, int seal, void (*edit)(zm_buf *))
{
  static char msg[512];
  zm_buf a = ZM_BUF_INIT;
  zm_buf_put(&a, file->data, file->len);
  if (edit)
    edit(&a);
  if (seal)
    reseal(&a);
  char id[ZM_ROWSEL_ID_SIZE];
  int rc = zm_rowsel_base_id(id, a.data, len ? len : a.len, "sel");
  snprintf(msg, sizeof msg, "%s", rc ? zm_error_last() : "ok");
  zm_buf_free(&a);
  return msg;
}

static void bad_magic(zm_buf *a) { a->data[3] = 'X'; }
static void version_2(zm_buf *a) { a->data[8] = 2; }
static void longer(zm_buf *a) { zm_buf_put(a, "", 1); }
static void more_rows(zm_buf *a) { put_u64(a, 24, 30); }      /* 4 bitmap bytes, not 3 */
static void flip_bit(zm_buf *a) { a->data[HEAD] ^= 0x10; }
static void upper_hex(zm_buf *a) { a->data[48 + 7] = 'A'; }
static void bad_prefix(zm_buf *a) { a->data[48 + 5] = '5'; }
static void short_id(zm_buf *a) { a->data[48 + 70] = 0; }
static void padding(zm_buf *a) { a->data[48 + 75] = 1; }
static void reserved(zm_buf *a) { a->data[12] = 1; }
static void nrow_plus(zm_buf *a)
{
  uint64_t n;
  memcpy(&n, a->data + 16, 8);
  put_u64(a, 16, n + 1);
}
/* bit 20 (past the 20 rows) set and nrow raised to match: only the rule
 * "bits past base_nrow zero" is broken */
static void stray_bit(zm_buf *a)
{
  a->data[HEAD + 2] |= 0x10;
  nrow_plus(a);
}

/* A selection file of a 20-row base (3 bitmap bytes, 4 bits unused). */
static zm_buf small_selection(pair *p)
{
  zm_buf b = ZM_BUF_INIT;
  pair_make(p, check_tmpdir("rowsel-file"), 20);
  CHECK_EQ_INT(zm_rowsel_encode(&b, p->sel[0]), 0);
  CHECK_EQ_INT(b.len, 131);
  return b;
}

static void test_file_checks(void)
{
  pair p;
  zm_buf file = small_selection(&p);
  CHECK_EQ_STR(verdict(&file, 0, 0, NULL), "ok");
  CHECK_EQ_STR(verdict(&file, 127, 0, NULL), "sel: truncated row selection (127 bytes)");
  CHECK_EQ_STR(verdict(&file, 0, 0, bad_magic), "sel: not a row selection (bad magic)");
  CHECK_EQ_STR(verdict(&file, 0, 0, version_2), "sel: row selection version 2 is not supported");
  CHECK_EQ_STR(verdict(&file, 130, 0, NULL), "sel: row selection of 130 bytes records 131 (20 rows)");
  CHECK_EQ_STR(verdict(&file, 0, 0, longer), "sel: row selection of 132 bytes records 131 (20 rows)");
  CHECK_EQ_STR(verdict(&file, 0, 1, more_rows), "sel: row selection of 131 bytes records 131 (30 rows)");
  CHECK_EQ_STR(verdict(&file, 0, 0, flip_bit), "sel: checksum mismatch in row selection");
  CHECK_EQ_STR(verdict(&file, 0, 0, reserved), "sel: checksum mismatch in row selection");
  void (*layout[])(zm_buf *) = {upper_hex, bad_prefix, short_id, padding, reserved, nrow_plus,
                                stray_bit, flip_bit};
  for (size_t i = 0; i < sizeof layout / sizeof *layout; i++)
    CHECK_EQ_STR(verdict(&file, 0, 1, layout[i]), "sel: bad row selection layout");
  CHECK_EQ_STR(verdict(&file, 0, 1, NULL), "ok"); /* resealing alone changes nothing */
  char id[ZM_ROWSEL_ID_SIZE];
  CHECK_EQ_INT(zm_rowsel_base_id(id, file.data, file.len, "sel"), 0);
  CHECK_EQ_STR(id, BASE_ID);
  CHECK(zm_rowsel_is(file.data, file.len) && !zm_rowsel_is(file.data, 7));
  zm_buf_free(&file);
  pair_free(&p);
}

/* Every single flipped bit of a selection file is refused (as
 * test_framefile.c does for frame files). */
static void test_every_flip_detected(void)
{
  pair p;
  zm_buf a = small_selection(&p);
  char id[ZM_ROWSEL_ID_SIZE];
  size_t missed = 0;
  for (size_t i = 0; i < a.len; i++)
    for (int bit = 0; bit < 8; bit++) {
      a.data[i] ^= (char)(1 << bit);
      missed += zm_rowsel_base_id(id, a.data, a.len, "sel") == 0;
      a.data[i] ^= (char)(1 << bit);
    }
  CHECK_EQ_INT(missed, 0);
  CHECK_EQ_INT(zm_rowsel_base_id(id, a.data, a.len, "sel"), 0);
  zm_buf_free(&a);
  pair_free(&p);
}

static void write_frame(const char *path, zm_frame *f)
{
  CHECK_EQ_INT(zm_frame_write(f, path), 0);
  zm_frame_free(f);
}

/* The base a selection names must be the frame it was made of. */
static void test_base_checks(void)
{
  pair p;
  zm_buf file = small_selection(&p);
  const char *dir = check_tmpdir("rowsel-base");
  char other[4200], text[4200], want[9000];
  zm_frame *out = (zm_frame *)1;
  /* fewer rows */
  snprintf(other, sizeof other, "%s/ten.zmf", dir);
  write_frame(other, make_frame(10));
  CHECK_EQ_INT(zm_rowsel_read(&out, file.data, file.len, "sel", other, 1), ZM_EINVALID);
  CHECK(out == NULL);
  snprintf(want, sizeof want, "sel: its base %s has 10 rows, not 20", other);
  CHECK_EQ_STR(zm_error_last(), want);
  /* gone */
  snprintf(other, sizeof other, "%s/absent.zmf", dir);
  CHECK_EQ_INT(zm_rowsel_read(&out, file.data, file.len, "sel", other, 1), ZM_ENOTFOUND);
  snprintf(want, sizeof want, "cannot open %s: No such file or directory", other);
  CHECK_EQ_STR(zm_error_last(), want);
  /* not a frame file: the selection itself */
  snprintf(text, sizeof text, "%s/sel.bin", dir);
  FILE *fp = fopen(text, "wb");
  if (fp) {
    fwrite(file.data, 1, file.len, fp);
    fclose(fp);
  }
  CHECK(zm_rowsel_read(&out, file.data, file.len, "sel", text, 1) != 0);
  snprintf(want, sizeof want, "%s: not a frame file (bad magic)", text);
  CHECK_EQ_STR(zm_error_last(), want);
  /* the file's own checks come first, with zm_rowsel_base_id's messages */
  CHECK_EQ_INT(zm_rowsel_read(&out, file.data, 100, "sel", p.path, 1), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "sel: truncated row selection (100 bytes)");
  /* 20 rows, other columns: a partition whose origin's file changed is
   * refused when a column is first gathered */
  zm_frame *g = NULL;
  zm_column *c;
  zm_frame_new(&g, 20);
  zm_frame_add(&c, g, "x", ZM_TYPE_I64); /* the name it had, another type */
  zm_frame_add(&c, g, "n", ZM_TYPE_I64);
  zm_frame_add(&c, g, "b", ZM_TYPE_BOOL);
  zm_frame_add(&c, g, "t", ZM_TYPE_STR);
  snprintf(other, sizeof other, "%s/twenty.zmf", dir);
  write_frame(other, g);
  CHECK_EQ_INT(zm_frame_set_origin(p.m, BASE_ID, other, 0), 0);
  zm_frame *parts[1] = {NULL};
  int assign[20] = {0};
  CHECK_EQ_INT(zm_frame_partition(parts, p.m, assign, 1), 0);
  snprintf(want, sizeof want, "%s: its base %s does not have its columns", BASE_ID, other);
  if (parts[0]) {
    CHECK_EQ_INT(zm_frame_col_ready(parts[0], 1), ZM_EINVALID);
    CHECK_EQ_STR(zm_error_last(), want);
    CHECK(parts[0]->cols[1].data == NULL);
    CHECK_EQ_INT(zm_frame_materialize(parts[0]), ZM_EINVALID);
    CHECK_EQ_STR(zm_error_last(), want);
  }
  zm_frame_free(parts[0]);
  zm_buf_free(&file);
  pair_free(&p);
}

static void test_file_base(void)
{
  pair p;
  zm_buf file = small_selection(&p);
  const char *dir = check_tmpdir("rowsel-filebase");
  char path[4200], id[ZM_ROWSEL_ID_SIZE];
  snprintf(path, sizeof path, "%s/sel.bin", dir);
  FILE *fp = fopen(path, "wb");
  if (fp) {
    fwrite(file.data, 1, file.len, fp);
    fclose(fp);
  }
  CHECK_EQ_INT(zm_rowsel_file_base(id, path), 1);
  CHECK_EQ_STR(id, BASE_ID);
  CHECK_EQ_INT(zm_rowsel_file_base(id, p.path), 0); /* a frame file */
  CHECK_EQ_INT(zm_rowsel_file_base(id, "/nonexistent/sel.bin"), 0);
  fp = fopen(path, "wb"); /* a header cut short */
  if (fp) {
    fwrite(file.data, 1, 100, fp);
    fclose(fp);
  }
  CHECK_EQ_INT(zm_rowsel_file_base(id, path), 0);
  zm_buf_free(&file);
  pair_free(&p);
}

typedef struct report_log {
  int n;
  char what[4][100];
  char problem[4][300];
} report_log;

static void log_report(void *ctx, const char *what, const char *problem)
{
  report_log *l = ctx;
  if (l->n < 4) {
    snprintf(l->what[l->n], sizeof l->what[0], "%s", what);
    snprintf(l->problem[l->n], sizeof l->problem[0], "%s", problem);
  }
  l->n++;
}

/* A base frame in a store and a selection of it naming its real id: gc
 * keeping only the selection keeps the base; check_ids names a lost base. */
static void test_store_keeps_base(void)
{
  zm_store *s = NULL;
  if (zm_store_open(&s, check_tmpdir("rowsel-store")) != 0) {
    fprintf(stderr, "%s\n", zm_error_last());
    CHECK(0);
    return;
  }
  char base[ZM_STORE_ID_SIZE], sel[ZM_STORE_ID_SIZE], drop[ZM_STORE_ID_SIZE], path[4200];
  zm_frame *f = make_frame(50), *m = NULL, *parts[PARTS] = {0};
  zm_buf bytes = encoded(f), file = ZM_BUF_INIT;
  CHECK_EQ_INT(zm_store_put_buf(base, s, bytes.data, bytes.len), 0);
  CHECK_EQ_INT(zm_store_path(path, sizeof path, s, base), 0);
  CHECK_EQ_INT(zm_frame_map(&m, path), 0);
  int *assign = assignment(50);
  if (m) {
    CHECK_EQ_INT(zm_frame_set_origin(m, base, path, 1), 0);
    CHECK_EQ_INT(zm_frame_partition(parts, m, assign, PARTS), 0);
  }
  if (parts[1])
    CHECK_EQ_INT(zm_rowsel_encode(&file, parts[1]), 0);
  CHECK_EQ_INT(zm_store_put_buf(sel, s, file.data, file.len), 0);
  CHECK_EQ_INT(zm_store_put_buf(drop, s, "unrelated", 9), 0);
  const char *keep[] = {sel};
  zm_store_gc_stats st = {0};
  CHECK_EQ_INT(zm_store_gc(&st, s, keep, 1, 0), 0);
  CHECK_EQ_INT(st.objects, 1);
  CHECK_EQ_INT(zm_store_exists(s, base), 1);
  CHECK_EQ_INT(zm_store_exists(s, sel), 1);
  CHECK_EQ_INT(zm_store_exists(s, drop), 0);
  /* the kept pair still reads as the rows of part 1 */
  zm_frame *back = NULL, *copy[PARTS] = {0};
  CHECK_EQ_INT(zm_rowsel_read(&back, file.data, file.len, sel, path, 0), 0);
  CHECK_EQ_INT(zm_frame_partition(copy, f, assign, PARTS), 0);
  if (back && copy[1]) {
    CHECK_EQ_INT(zm_frame_materialize(back), 0);
    zm_buf a = encoded(back), b = encoded(copy[1]);
    CHECK(same_bytes(&a, &b));
    zm_buf_free(&a);
    zm_buf_free(&b);
  }
  report_log log = {0};
  size_t missing = 9;
  CHECK_EQ_INT(zm_store_check_ids(&missing, s, keep, 1, log_report, &log), 0);
  CHECK_EQ_INT(missing, 0);
  /* the base's file removed by hand */
  char fan[4200];
  snprintf(fan, sizeof fan, "%s", path);
  *strrchr(fan, '/') = '\0';
  chmod(fan, 0755);
  CHECK_EQ_INT(unlink(path), 0);
  CHECK_EQ_INT(zm_store_check_ids(&missing, s, keep, 1, log_report, &log), 0);
  CHECK_EQ_INT(missing, 1);
  CHECK_EQ_INT(log.n, 1);
  char want[300];
  snprintf(want, sizeof want, "missing (the base of row selection %s)", sel);
  CHECK_EQ_STR(log.what[0], base);
  CHECK_EQ_STR(log.problem[0], want);
  CHECK_EQ_INT(zm_store_gc(&st, s, keep, 1, 0), 0); /* a lost base stops nothing */
  CHECK_EQ_INT(zm_store_exists(s, sel), 1);
  for (int j = 0; j < PARTS; j++) {
    zm_frame_free(parts[j]);
    zm_frame_free(copy[j]);
  }
  free(assign);
  zm_frame_free(back);
  zm_frame_free(m);
  zm_frame_free(f);
  zm_buf_free(&bytes);
  zm_buf_free(&file);
  zm_store_free(s);
}

int main(void)
{
  RUN(test_partition_matches_copy);
  RUN(test_partition_matches_copy_threaded);
  RUN(test_col_ready_done_keep);
  RUN(test_slice);
  RUN(test_transform_in_place);
  RUN(test_refusals);
  RUN(test_file_checks);
  RUN(test_every_flip_detected);
  RUN(test_base_checks);
  RUN(test_file_base);
  RUN(test_store_keeps_base);
  return CHECK_DONE();
}
