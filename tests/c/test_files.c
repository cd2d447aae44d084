/* Unit tests for src/frame/files.c: a folder's files read into a frame on
 * worker threads: the same frame for 1, 2 and 5 workers, labels from the
 * folder names, and the first failing file (lowest index) named. */
#include "check.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/workers.h"
#include "frame/files.h"
#include "frame/framefile.h"

#include <sys/stat.h>

static void put(const char *dir, const char *rel, const char *text, size_t reps)
{
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, rel);
  char *slash = strrchr(path, '/');
  *slash = '\0';
  mkdir(path, 0755);
  *slash = '/';
  FILE *f = fopen(path, "wb");
  for (size_t i = 0; i < reps; i++)
    fputs(text, f);
  fclose(f);
}

static const char *const RELS[] = {"a.txt", "cats/1.bin", "cats/2.bin", "deep/dogs/3.bin",
                                   "empty.bin"};
#define N (sizeof RELS / sizeof RELS[0])

static void test_same_frame_for_any_worker_count(void)
{
  const char *dir = check_tmpdir("files-read");
  put(dir, "a.txt", "top\n", 1);
  put(dir, "cats/1.bin", "meow", 1000);
  put(dir, "cats/2.bin", "purr", 3);
  char sub[4200];
  snprintf(sub, sizeof sub, "%s/deep", dir);
  mkdir(sub, 0755);
  put(dir, "deep/dogs/3.bin", "woof", 2);
  put(dir, "empty.bin", "", 0);
  zm_buf first = ZM_BUF_INIT;
  int workers[] = {1, 2, 5};
  for (int k = 0; k < 3; k++) {
    zm_workers_set(workers[k]);
    zm_frame *f = NULL;
    size_t bad = 99;
    CHECK_EQ_INT(zm_frame_read_files(&f, &bad, dir, RELS, N), 0);
    CHECK_EQ_INT((int)bad, (int)N);
    CHECK_EQ_INT((int)f->nrow, (int)N);
    CHECK_EQ_INT((int)f->ncol, 4);
    CHECK_EQ_STR(f->cols[0].name, "path");
    CHECK_EQ_INT((int)((int64_t *)f->cols[1].data)[1], 4000);
    size_t len;
    const char *b = zm_column_str(&f->cols[2], 1, &len);
    CHECK(len == 4000 && memcmp(b, "meowmeow", 8) == 0);
    b = zm_column_str(&f->cols[2], 4, &len);
    CHECK_EQ_INT((int)len, 0);
    b = zm_column_str(&f->cols[3], 0, &len);
    CHECK_EQ_INT((int)len, 0);
    b = zm_column_str(&f->cols[3], 3, &len);
    CHECK(len == 4 && memcmp(b, "dogs", 4) == 0);
    b = zm_column_str(&f->cols[3], 2, &len);
    CHECK(len == 4 && memcmp(b, "cats", 4) == 0);
    zm_buf enc = ZM_BUF_INIT;
    CHECK_EQ_INT(zm_frame_encode(&enc, f), 0);
    if (k == 0)
      first = enc;
    else {
      CHECK(enc.len == first.len && memcmp(enc.data, first.data, enc.len) == 0);
      zm_buf_free(&enc);
    }
    zm_frame_free(f);
  }
  zm_buf_free(&first);
  zm_workers_set(0);
}

static void test_first_failing_file_is_named(void)
{
  const char *dir = check_tmpdir("files-missing");
  put(dir, "a.txt", "x", 1);
  put(dir, "c.txt", "y", 1);
  const char *rels[] = {"a.txt", "b.txt", "c.txt", "d.txt"};
  char want[4300];
  snprintf(want, sizeof want, "cannot open %s/b.txt: No such file or directory", dir);
  for (int w = 1; w <= 3; w += 2) {
    zm_workers_set(w);
    zm_frame *f = NULL;
    size_t bad = 0;
    CHECK_EQ_INT(zm_frame_read_files(&f, &bad, dir, rels, 4), ZM_ENOTFOUND);
    CHECK(f == NULL);
    CHECK_EQ_INT((int)bad, 1);
    CHECK_EQ_STR(zm_error_last(), want);
  }
  zm_workers_set(0);
  zm_frame *f = NULL;
  CHECK_EQ_INT(zm_frame_read_files(&f, NULL, dir, rels, 0), 0);
  CHECK_EQ_INT((int)f->nrow, 0);
  zm_frame_free(f);
}

int main(void)
{
  RUN(test_same_frame_for_any_worker_count);
  RUN(test_first_failing_file_is_named);
  return CHECK_DONE();
}
