/* The C kernels of the step library: frames side by side (frame/hstack.h),
 * split assignments by value and by cut points (frame/assign.h), and
 * deterministic .tar.gz bundles (ml/pack.h). */
#include "check.h"
#include "core/buf.h"
#include "core/error.h"
#include "frame/assign.h"
#include "frame/hstack.h"
#include "ml/pack.h"

#include <archive.h>
#include <archive_entry.h>
#include <math.h>

static zm_frame *numbers(const char *name, const double *v, size_t n)
{
  zm_frame *f;
  zm_column *c;
  if (zm_frame_new(&f, n) != 0 || zm_frame_add(&c, f, name, ZM_TYPE_F64) != 0)
    abort();
  for (size_t i = 0; i < n; i++)
    ((double *)c->data)[i] = v[i];
  return f;
}

static void test_hstack(void)
{
  const double a[] = {1, 2, 3}, b[] = {4, 5, 6};
  zm_frame *fa = numbers("a", a, 3), *fb = numbers("b", b, 3), *out = NULL;
  const char *const s[] = {"x", NULL, "zz"};
  CHECK_EQ_INT(zm_frame_add_strings(fb, "s", s, NULL), 0);
  const zm_frame *parts[] = {fa, fb};
  CHECK_EQ_INT(zm_frame_hstack(&out, parts, 2), 0);
  CHECK_EQ_INT(out->ncol, 3);
  CHECK_EQ_STR(out->cols[2].name, "s");
  CHECK(((double *)out->cols[1].data)[2] == 6);
  CHECK(zm_column_is_null(&out->cols[2], 1));
  size_t len;
  CHECK(zm_column_str(&out->cols[2], 2, &len) && len == 2);
  zm_frame_free(out);
  const zm_frame *twice[] = {fa, fa};
  CHECK_EQ_INT(zm_frame_hstack(&out, twice, 2), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "column 'a' is in more than one frame");
  CHECK(out == NULL);
  zm_frame *short_ = numbers("c", a, 2);
  const zm_frame *uneven[] = {fa, short_};
  CHECK_EQ_INT(zm_frame_hstack(&out, uneven, 2), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "frame 2 has 2 rows, frame 1 has 3");
  zm_frame_free(short_);
  zm_frame_free(fa);
  zm_frame_free(fb);
}

static void test_assign_by_value(void)
{
  zm_frame *f;
  zm_column *k;
  const char *const s[] = {"a", "b", NULL, "c", "a"};
  CHECK_EQ_INT(zm_frame_new(&f, 5), 0);
  CHECK_EQ_INT(zm_frame_add_strings(f, "s", s, NULL), 0);
  CHECK_EQ_INT(zm_frame_add(&k, f, "k", ZM_TYPE_I64), 0);
  for (int i = 0; i < 5; i++)
    ((int64_t *)k->data)[i] = i - 2;
  const char *const values[] = {"a", "c"};
  const int parts[] = {0, 1};
  int out[5];
  CHECK_EQ_INT(zm_assign_by_value(out, &f->cols[0], values, parts, 2, -1), 0);
  const int want[] = {0, -1, -1, 1, 0};
  CHECK(memcmp(out, want, sizeof want) == 0);
  CHECK_EQ_INT(zm_assign_by_value(out, &f->cols[0], values, parts, 2, 2), 0);
  CHECK_EQ_INT(out[1], 2);
  CHECK_EQ_INT(out[2], 2);
  const char *const ints[] = {"-2", "2"};
  CHECK_EQ_INT(zm_assign_by_value(out, &f->cols[1], ints, parts, 2, -1), 0);
  const int want_i[] = {0, -1, -1, -1, 1};
  CHECK(memcmp(out, want_i, sizeof want_i) == 0);
  zm_frame_free(f);
  const double x[] = {1.5};
  zm_frame *g = numbers("x", x, 1);
  CHECK_EQ_INT(zm_assign_by_value(out, &g->cols[0], values, parts, 2, -1), ZM_EINVALID);
  zm_frame_free(g);
}

static void test_assign_by_cuts(void)
{
  const double x[] = {0.5, 1, 1.5, 2, 9, NAN};
  zm_frame *f = numbers("x", x, 6);
  const double cuts[] = {1, 2};
  int out[6];
  CHECK_EQ_INT(zm_assign_by_cuts(out, &f->cols[0], cuts, NULL, 2, 0), 0);
  const int closed[] = {0, 1, 1, -1, -1, -1};
  CHECK(memcmp(out, closed, sizeof closed) == 0);
  CHECK_EQ_INT(zm_assign_by_cuts(out, &f->cols[0], cuts, NULL, 2, 1), 0);
  const int open[] = {0, 1, 1, 2, 2, -1};
  CHECK(memcmp(out, open, sizeof open) == 0);
  CHECK_EQ_INT(zm_assign_by_cuts(out, &f->cols[0], NULL, (const char *const[]){"a"}, 1, 0),
               ZM_EINVALID);
  zm_frame_free(f);
  zm_frame *g;
  const char *const days[] = {"2019-12-31", "2020-01-01", "2021", "2020"};
  CHECK_EQ_INT(zm_frame_new(&g, 4), 0);
  CHECK_EQ_INT(zm_frame_add_strings(g, "d", days, NULL), 0);
  const char *const scuts[] = {"2020", "2021"};
  CHECK_EQ_INT(zm_assign_by_cuts(out, &g->cols[0], NULL, scuts, 2, 1), 0);
  const int want[] = {0, 1, 2, 1};
  CHECK(memcmp(out, want, sizeof want) == 0);
  zm_frame_free(g);
}

static void test_pack(void)
{
  const zm_pack_entry e[] = {{"manifest.yaml", "a: 1\n", 5}, {"model.bin", "", 0}};
  zm_buf a = ZM_BUF_INIT, b = ZM_BUF_INIT;
  CHECK_EQ_INT(zm_pack_write(&a, e, 2), 0);
  sleep(1); /* a timestamp anywhere would now differ */
  CHECK_EQ_INT(zm_pack_write(&b, e, 2), 0);
  CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
  struct archive *r = archive_read_new();
  archive_read_support_filter_all(r);
  archive_read_support_format_all(r);
  CHECK_EQ_INT(archive_read_open_memory(r, a.data, a.len), ARCHIVE_OK);
  struct archive_entry *ae;
  CHECK_EQ_INT(archive_read_next_header(r, &ae), ARCHIVE_OK);
  CHECK_EQ_STR(archive_entry_pathname(ae), "manifest.yaml");
  char data[16] = {0};
  CHECK_EQ_INT(archive_read_data(r, data, sizeof data), 5);
  CHECK_EQ_STR(data, "a: 1\n");
  CHECK_EQ_INT(archive_read_next_header(r, &ae), ARCHIVE_OK);
  CHECK_EQ_STR(archive_entry_pathname(ae), "model.bin");
  CHECK_EQ_INT(archive_entry_size(ae), 0);
  CHECK_EQ_INT(archive_read_next_header(r, &ae), ARCHIVE_EOF);
  archive_read_free(r);
  zm_buf_free(&a);
  zm_buf_free(&b);
}

int main(void)
{
  RUN(test_hstack);
  RUN(test_assign_by_value);
  RUN(test_assign_by_cuts);
  RUN(test_pack);
  return CHECK_DONE();
}
