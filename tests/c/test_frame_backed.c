/* Frames built in place in their frame file: the file is byte for byte what
 * the ordinary encoder writes, the store adopts it under the same id, and a
 * change of shape moves the frame back into ordinary memory. */
#include "check.h"
#include "core/buf.h"
#include "core/error.h"
#include "frame/backed.h"
#include "frame/framefile.h"
#include "store/store.h"

#include <stdint.h>
#include <sys/uio.h>

enum { ROWS = 1000 };

static int spill_into_store(int *out_fd, char *path, size_t cap, void *ctx)
{
  return zm_store_tmp_open(out_fd, path, cap, ctx);
}

static void release_store(void *ctx)
{
  zm_store_free(ctx);
}

/* float64, int64 with nulls, bool, string: every kind of buffer. */
static const zm_column shape[] = {
    {.name = "x", .type = ZM_TYPE_F64},
    {.name = "n", .type = ZM_TYPE_I64, .valid = (uint8_t *)shape},
    {.name = "b", .type = ZM_TYPE_BOOL},
    {.name = "s", .type = ZM_TYPE_STR, .blob_len = 3 * ROWS},
};

static void fill(zm_frame *f)
{
  double *x = f->cols[0].data;
  int64_t *n = f->cols[1].data;
  uint8_t *b = f->cols[2].data;
  uint64_t *off = f->cols[3].data;
  for (size_t i = 0; i < ROWS; i++) {
    x[i] = (double)i / 7;
    n[i] = (int64_t)i * 3;
    b[i] = i % 2;
    off[i] = 3 * i;
    memcpy(f->cols[3].blob + 3 * i, "abc", 3);
  }
  off[ROWS] = 3 * ROWS;
  f->cols[1].valid[0] &= (uint8_t)~1u; /* row 0 of n is null */
  f->cols[1].valid[5] &= (uint8_t)~4u;
}

static zm_frame *make(size_t min_bytes)
{
  zm_frame *f = NULL;
  CHECK_EQ_INT(zm_frame_new_shaped(&f, ROWS, shape, 4, min_bytes), 0);
  if (f)
    fill(f);
  return f;
}

static void test_in_memory_without_spill(void)
{
  zm_frame_set_spill(NULL, NULL, NULL);
  zm_frame *f = make(0);
  zm_frame_sealed sealed;
  CHECK(f && f->map == NULL && f->backing == NULL);
  CHECK_EQ_INT(zm_frame_seal(&sealed, f), 0);
  zm_frame_free(f);
}

static void test_file_is_the_encoding_and_store_adopts_it(void)
{
  zm_store *s = NULL;
  CHECK_EQ_INT(zm_store_open(&s, check_tmpdir("frame-backed")), 0);
  zm_store *own = NULL;
  CHECK_EQ_INT(zm_store_open(&own, zm_store_root(s)), 0);
  zm_frame_set_spill(spill_into_store, own, release_store);
  zm_frame *plain = NULL, *f = make(0), *small = make(1u << 30);
  CHECK(f && f->backing && zm_store_is_tmp(s, f->backing));
  CHECK(small && small->backing == NULL); /* below min_bytes: ordinary memory */
  /* the same frame in ordinary memory, for the reference bytes and id */
  zm_frame_set_spill(NULL, NULL, NULL);
  plain = make(0);
  zm_buf want = ZM_BUF_INIT;
  CHECK_EQ_INT(zm_frame_encode(&want, plain), 0);
  /* writeback started column by column (and asked for past the last
   * column, and for a frame in ordinary memory) changes no byte */
  zm_frame_backing_kick(f, 0, 2);
  zm_frame_backing_kick(f, 2, 9);
  zm_frame_backing_kick(plain, 0, 4);
  zm_frame_sealed sealed;
  CHECK_EQ_INT(zm_frame_seal(&sealed, f), 1);
  CHECK(sealed.len == want.len && memcmp(sealed.data, want.data, want.len) == 0);
  char id[ZM_STORE_ID_SIZE], again[ZM_STORE_ID_SIZE];
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s", sealed.path);
  CHECK_EQ_INT(zm_store_put_mapped(id, s, sealed.data, sealed.len, sealed.fd, sealed.path), 0);
  zm_frame_sealed_taken(f);
  CHECK(f->backing == NULL && access(tmp, F_OK) != 0);
  zm_frame_iov v;
  CHECK_EQ_INT(zm_frame_iov_build(&v, plain), 0);
  CHECK_EQ_INT(zm_store_put_iov(again, s, v.iov, v.n), 0);
  zm_frame_iov_free(&v);
  CHECK_EQ_STR(id, again);
  CHECK(((double *)f->cols[0].data)[7] == 1.0); /* still readable */
  zm_buf_free(&want);
  zm_frame_free(plain);
  zm_frame_free(small);
  zm_frame_free(f);
  zm_store_free(s);
}

static void test_change_of_shape_moves_to_memory(void)
{
  zm_store *own = NULL;
  CHECK_EQ_INT(zm_store_open(&own, check_tmpdir("frame-backed-unback")), 0);
  zm_frame_set_spill(spill_into_store, own, release_store);
  zm_frame *f = make(0);
  CHECK(f && f->backing);
  char path[4200];
  snprintf(path, sizeof path, "%s", f->backing);
  zm_column *extra = NULL;
  CHECK_EQ_INT(zm_frame_add(&extra, f, "extra", ZM_TYPE_F64), 0);
  CHECK(f->backing == NULL && f->map == NULL && access(path, F_OK) != 0);
  CHECK(f->ncol == 5 && ((int64_t *)f->cols[1].data)[9] == 27);
  CHECK(!zm_column_is_null(&f->cols[1], 1) && zm_column_is_null(&f->cols[1], 42));
  CHECK_EQ_STR(f->cols[3].name, "s");
  zm_frame_sealed sealed;
  CHECK_EQ_INT(zm_frame_seal(&sealed, f), 0);
  /* a frame freed before it was stored leaves no file behind */
  zm_frame *g = make(0);
  snprintf(path, sizeof path, "%s", g ? g->backing : "");
  zm_frame_free(g);
  CHECK(access(path, F_OK) != 0);
  zm_frame_set_spill(NULL, NULL, NULL);
  zm_frame_free(f);
}

int main(void)
{
  RUN(test_in_memory_without_spill);
  RUN(test_file_is_the_encoding_and_store_adopts_it);
  RUN(test_change_of_shape_moves_to_memory);
  zm_frame_set_spill(NULL, NULL, NULL);
  return CHECK_DONE();
}
