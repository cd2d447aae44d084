/* The frame file format: round trip, determinism, corruption, truncation. */
#include "check.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/fs.h"
#include "frame/csv.h"
#include "frame/framefile.h"

static zm_frame *sample(void)
{
  const char *text = "id,name,score,ok\n1,Ann,3.5,true\n2,\"Smith, Bob\",,false\n3,,2,true\n";
  zm_frame *f = NULL;
  zm_frame_parse_csv(&f, "s.csv", text, strlen(text), NULL);
  return f;
}

static void test_round_trip(void)
{
  const char *dir = check_tmpdir("framefile");
  char path[4200];
  snprintf(path, sizeof path, "%s/f.zmf", dir);
  zm_frame *f = sample(), *g = NULL;
  CHECK(f != NULL);
  CHECK_EQ_INT(zm_frame_write(f, path), 0);
  CHECK_EQ_INT(zm_frame_map(&g, path), 0);
  CHECK(g && g->map && g->nrow == 3 && g->ncol == 4);
  if (g) {
    CHECK(((uintptr_t)g->cols[0].data & 63) == 0);
    zm_buf a = ZM_BUF_INIT, b = ZM_BUF_INIT;
    zm_frame_format_csv(&a, f, 0);
    zm_frame_format_csv(&b, g, 0);
    CHECK_EQ_STR(a.data, b.data);
    zm_buf_free(&a);
    zm_buf_free(&b);
  }
  zm_frame_free(g);
  zm_frame_free(f);
}

static void test_deterministic(void)
{
  zm_frame *f = sample(), *g = sample();
  zm_buf a = ZM_BUF_INIT, b = ZM_BUF_INIT;
  CHECK_EQ_INT(zm_frame_encode(&a, f), 0);
  CHECK_EQ_INT(zm_frame_encode(&b, g), 0);
  CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
  zm_frame *h = NULL;
  CHECK_EQ_INT(zm_frame_decode(&h, "mem", a.data, a.len), 0);
  zm_buf c = ZM_BUF_INIT;
  CHECK_EQ_INT(zm_frame_encode(&c, h), 0);
  CHECK(c.len == a.len && memcmp(c.data, a.data, a.len) == 0);
  zm_frame_free(h);
  zm_buf_free(&a);
  zm_buf_free(&b);
  zm_buf_free(&c);
  zm_frame_free(f);
  zm_frame_free(g);
}

/* The segments, concatenated, are exactly the encoded bytes. */
static void test_iov_matches_encode(void)
{
  zm_frame *f = sample();
  zm_buf a = ZM_BUF_INIT, b = ZM_BUF_INIT;
  zm_frame_iov v;
  CHECK_EQ_INT(zm_frame_encode(&a, f), 0);
  CHECK_EQ_INT(zm_frame_iov_build(&v, f), 0);
  for (size_t i = 0; i < v.n; i++)
    zm_buf_put(&b, v.iov[i].iov_base, v.iov[i].iov_len);
  CHECK(v.n > 4 && a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
  zm_frame_iov_free(&v);
  zm_frame_iov_free(&v); /* idempotent */
  zm_frame_iov_free(NULL);
  zm_buf_free(&a);
  zm_buf_free(&b);
  zm_frame_free(f);
}

/* 200,000 rows of float64, and int64 with nulls. */
static zm_frame *big_sample(void)
{
  zm_frame *f = NULL;
  zm_column *c;
  zm_frame_new(&f, 200000);
  zm_frame_add(&c, f, "x", ZM_TYPE_F64);
  for (size_t i = 0; i < f->nrow; i++)
    ((double *)c->data)[i] = (double)i / 7;
  zm_frame_add(&c, f, "n", ZM_TYPE_I64);
  for (size_t i = 0; i < f->nrow; i++)
    ((int64_t *)c->data)[i] = (int64_t)(i * i);
  for (size_t i = 0; i < f->nrow; i += 3)
    zm_column_set_null(c, i);
  return f;
}

/* Forgetting pages of a mapped frame changes nothing it reads; a frame in
 * ordinary or anonymous memory is left alone. */
static void test_forget(void)
{
  const char *dir = check_tmpdir("framefile-forget");
  char path[4200];
  snprintf(path, sizeof path, "%s/f.zmf", dir);
  zm_frame *f = big_sample(), *g = NULL, *h = NULL;
  zm_buf want = ZM_BUF_INIT, got = ZM_BUF_INIT, enc = ZM_BUF_INIT;
  CHECK_EQ_INT(zm_frame_write(f, path), 0);
  CHECK_EQ_INT(zm_frame_encode(&enc, f), 0);
  CHECK_EQ_INT(zm_frame_map(&g, path), 0);
  CHECK_EQ_INT(zm_frame_decode(&h, "mem", enc.data, enc.len), 0);
  zm_frame_format_csv(&want, f, 0);
  zm_frame *all[] = {f, g, h};
  for (int k = 0; k < 3 && g && h; k++) {
    zm_frame_forget_column(all[k], &all[k]->cols[0]);
    zm_frame_forget_rows(all[k], 1001, 150000);
    zm_frame_forget_rows(all[k], 190000, 50000); /* past the end: clipped */
    zm_frame_forget_rows(all[k], 300000, 5);
    got.len = 0;
    zm_frame_format_csv(&got, all[k], 0);
    CHECK(got.len == want.len && memcmp(got.data, want.data, want.len) == 0);
  }
  zm_buf_free(&want);
  zm_buf_free(&got);
  zm_buf_free(&enc);
  zm_frame_free(f);
  zm_frame_free(g);
  zm_frame_free(h);
  /* big enough to be checked on two threads: a flipped bit in the last
   * column's null bitmap is still found and named */
  FILE *fp = fopen(path, "r+b");
  CHECK(fp != NULL);
  if (fp) {
    fseek(fp, -10000, SEEK_END);
    int byte = fgetc(fp);
    fseek(fp, -10000, SEEK_END);
    fputc(byte ^ 4, fp);
    fclose(fp);
  }
  g = (zm_frame *)1;
  CHECK_EQ_INT(zm_frame_map(&g, path), ZM_EINVALID);
  CHECK(g == NULL);
  char msg[4400];
  snprintf(msg, sizeof msg, "%s: corrupt frame file (checksum mismatch in column 'n')", path);
  CHECK_EQ_STR(zm_error_last(), msg);
}

static void test_corruption(void)
{
  zm_frame *f = sample(), *g = NULL;
  zm_buf a = ZM_BUF_INIT;
  zm_frame_encode(&a, f);
  /* every single flipped byte is caught */
  int missed = 0;
  for (size_t i = 0; i < a.len; i++) {
    a.data[i] ^= 0x20;
    if (zm_frame_decode(&g, "f.zmf", a.data, a.len) == 0) {
      missed++;
      zm_frame_free(g);
    }
    a.data[i] ^= 0x20;
  }
  CHECK_EQ_INT(missed, 0);
  a.data[0] = 'X';
  CHECK(zm_frame_decode(&g, "f.zmf", a.data, a.len) != 0);
  CHECK_EQ_STR(zm_error_last(), "f.zmf: not a frame file (bad magic)");
  a.data[0] = 'Z';
  a.data[8] = 9;
  CHECK_EQ_INT(zm_frame_decode(&g, "f.zmf", a.data, a.len), ZM_EVERSION);
  CHECK_EQ_STR(zm_error_last(), "f.zmf: frame file version 9 is not supported (this zenml reads version 1)");
  a.data[8] = 1;
  char msg[200];
  snprintf(msg, sizeof msg, "f.zmf: truncated frame file (%zu bytes, header says %zu)", a.len - 1, a.len);
  CHECK(zm_frame_decode(&g, "f.zmf", a.data, a.len - 1) != 0);
  CHECK_EQ_STR(zm_error_last(), msg);
  CHECK(zm_frame_decode(&g, "f.zmf", a.data, 10) != 0);
  CHECK_EQ_STR(zm_error_last(), "f.zmf: truncated frame file (10 bytes)");
  a.data[a.len - 1] ^= 1; /* the last column's data */
  CHECK(zm_frame_decode(&g, "f.zmf", a.data, a.len) != 0);
  CHECK_EQ_STR(zm_error_last(), "f.zmf: corrupt frame file (checksum mismatch in column 'ok')");
  CHECK_EQ_INT(zm_frame_map(&g, "/nonexistent/f.zmf"), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "cannot open /nonexistent/f.zmf: No such file or directory");
  zm_buf_free(&a);
  zm_frame_free(f);
}

/* Recompute the header checksum (offset 40, over [0, header_len)), as a
 * crafted file would. */
static void reseal(zm_buf *a)
{
  uint64_t header_len, zero = 0;
  memcpy(&header_len, a->data + 32, 8);
  memcpy(a->data + 40, &zero, 8);
  uint64_t sum = zm_frame_checksum(0, a->data, header_len);
  memcpy(a->data + 40, &sum, 8);
}

/* Found by tests/fuzz: a crafted file with its checksums recomputed could
 * carry bytes the writer never puts there (reserved header fields, a null
 * flag of 2, names elsewhere in the header) and still load: the same frame
 * in other bytes, so another artifact id. Every such byte is refused now. */
static void test_only_canonical_bytes(void)
{
  zm_frame *f = sample(), *g = NULL;
  zm_buf a = ZM_BUF_INIT;
  zm_frame_encode(&a, f);
  static const struct {
    size_t at;
    uint8_t value;
    const char *msg;
  } cases[] = {
      {48, 1, "f.zmf: corrupt frame file (bad layout in the header)"},  /* reserved */
      {63, 0x80, "f.zmf: corrupt frame file (bad layout in the header)"},
      {64 + 64 + 13, 2, "f.zmf: corrupt frame file (bad layout at column 2)"}, /* has_valid */
      {64 + 64 + 0, 0x5d, "f.zmf: corrupt frame file (bad layout at column 2)"}, /* name_off */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    uint8_t old = (uint8_t)a.data[cases[i].at];
    a.data[cases[i].at] = (char)cases[i].value;
    reseal(&a);
    CHECK(zm_frame_decode(&g, "f.zmf", a.data, a.len) != 0);
    CHECK_EQ_STR(zm_error_last(), cases[i].msg);
    zm_frame_free(g);
    g = NULL;
    a.data[cases[i].at] = (char)old;
  }
  reseal(&a);
  CHECK_EQ_INT(zm_frame_decode(&g, "f.zmf", a.data, a.len), 0);
  zm_frame_free(g);
  zm_buf_free(&a);
  zm_frame_free(f);
}

int main(void)
{
  RUN(test_round_trip);
  RUN(test_deterministic);
  RUN(test_iov_matches_encode);
  RUN(test_forget);
  RUN(test_corruption);
  RUN(test_only_canonical_bytes);
  return CHECK_DONE();
}
