/* src/archive: entry name cleaning, link checks, folder walks, archives
 * with unsafe entries, the expansion limits, and SQLite queries. */
#include "archive/archive.h"
#include "archive/query.h"
#include "core/error.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sh(const char *fmt, const char *dir)
{
  char cmd[8192];
  snprintf(cmd, sizeof cmd, fmt, dir, dir, dir, dir);
  if (system(cmd) != 0) {
    fprintf(stderr, "command failed: %s\n", cmd);
    exit(2);
  }
}

static void test_path_clean(void)
{
  char out[256];
  CHECK_EQ_INT(zm_archive_path_clean(out, sizeof out, "./a//b/./c.txt"), 0);
  CHECK_EQ_STR(out, "a/b/c.txt");
  CHECK_EQ_INT(zm_archive_path_clean(out, sizeof out, "/etc/passwd"), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "absolute path");
  CHECK_EQ_INT(zm_archive_path_clean(out, sizeof out, "a/../../b"), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "path leaves the archive (..)");
  CHECK_EQ_INT(zm_archive_path_clean(out, sizeof out, "a\nb"), ZM_EINVALID);
}

static void test_link_inside(void)
{
  CHECK(zm_archive_link_inside("a/b/link", "../c"));
  CHECK(zm_archive_link_inside("a/link", "b/../c"));
  CHECK(!zm_archive_link_inside("a/link", "../../c"));
  CHECK(!zm_archive_link_inside("link", "/etc/passwd"));
}

static void test_detect(void)
{
  CHECK(zm_archive_detect("x.tar.gz"));
  CHECK(zm_archive_detect("x.zip"));
  CHECK(zm_archive_detect("x.tar.zst"));
  CHECK(!zm_archive_detect("x.csv"));
}

static void test_walk(void)
{
  const char *dir = check_tmpdir("archive-walk");
  sh("mkdir -p %s/f/b %s/f/a && echo 1 > %s/f/b/x && echo 2 > %s/f/a/y", dir);
  sh("ln -s /etc/hostname %s/f/out && ln -s b/x %s/f/in && true %s %s", dir);
  char folder[4200];
  snprintf(folder, sizeof folder, "%s/f", dir);
  zm_file_set *s = NULL;
  CHECK_EQ_INT(zm_archive_walk(&s, folder), 0);
  CHECK_EQ_INT(s->n, 3);
  CHECK_EQ_STR(s->paths[0], "a/y");
  CHECK_EQ_STR(s->paths[1], "b/x");
  CHECK_EQ_STR(s->paths[2], "in");
  CHECK_EQ_INT(s->problems.n, 1);
  CHECK_EQ_STR(s->problems.items[0].what, "out");
  zm_file_set_free(s);
  snprintf(folder, sizeof folder, "%s/missing", dir);
  CHECK_EQ_INT(zm_archive_walk(&s, folder), ZM_ENOTFOUND);
  CHECK(s == NULL);
}

static void test_unsafe_entries(void)
{
  const char *dir = check_tmpdir("archive-unsafe");
  sh("cd %s && python3 -c \"import tarfile, io\n"
     "t = tarfile.open('e.tar', 'w')\n"
     "for n in ['ok.txt', '../up.txt', '/abs.txt']:\n"
     "    i = tarfile.TarInfo(n); i.size = 2; t.addfile(i, io.BytesIO(b'hi'))\n"
     "l = tarfile.TarInfo('l'); l.type = tarfile.SYMTYPE; l.linkname = '/etc'; t.addfile(l)\n"
     "t.close()\" && true %s %s %s", dir);
  char path[4200];
  snprintf(path, sizeof path, "%s/e.tar", dir);
  zm_archive *a = NULL;
  zm_archive_entry e;
  CHECK_EQ_INT(zm_archive_open(&a, path, NULL), 0);
  CHECK_EQ_INT(zm_archive_next(&e, a), 1);
  CHECK_EQ_STR(e.path, "ok.txt");
  CHECK_EQ_INT(e.len, 2);
  CHECK_EQ_INT(zm_archive_next(&e, a), 0);
  const zm_archive_problems *p = zm_archive_problems_of(a);
  CHECK_EQ_INT(p->n, 3);
  CHECK_EQ_STR(p->items[0].problem, "path leaves the archive (..); skipped");
  CHECK_EQ_STR(p->items[1].problem, "absolute path; skipped");
  CHECK_EQ_STR(p->items[2].problem, "symbolic link to '/etc' points outside the archive; skipped");
  zm_archive_free(a);
}

static void test_limits(void)
{
  const char *dir = check_tmpdir("archive-limits");
  sh("cd %s && head -c 100000 /dev/zero > z && tar cf z.tar z && true %s %s %s", dir);
  char path[4200];
  snprintf(path, sizeof path, "%s/z.tar", dir);
  zm_archive *a = NULL;
  zm_archive_entry e;
  zm_archive_limits lim = {.max_bytes = 50000};
  CHECK_EQ_INT(zm_archive_open(&a, path, &lim), 0);
  CHECK_EQ_INT(zm_archive_next(&e, a), ZM_EINVALID);
  char want[4400];
  snprintf(want, sizeof want,
           "%s: expands past 48.8 KiB (the limit) at entry 'z'; stopped: this looks like an "
           "archive bomb", path);
  CHECK_EQ_STR(zm_error_last(), want);
  zm_archive_free(a);
  snprintf(path, sizeof path, "%s/nothing.tar", dir);
  CHECK_EQ_INT(zm_archive_open(&a, path, NULL), ZM_ENOTFOUND);
  zm_archive_free(NULL);
}

/* A stored (uncompressed) zip: libarchive hands over empty blocks with a NULL
 * pointer, which must not reach memcpy (UBSan stopped the ASan build here). */
static void test_stored_zip(void)
{
  const char *dir = check_tmpdir("archive-zip0");
  sh("cd %s && python3 -c \"import zipfile\n"
     "z = zipfile.ZipFile('s.zip', 'w', zipfile.ZIP_STORED)\n"
     "z.writestr('a.txt', 'abc'); z.writestr('empty.txt', ''); z.close()\" && true %s %s %s",
     dir);
  char path[4200];
  snprintf(path, sizeof path, "%s/s.zip", dir);
  zm_archive *a = NULL;
  zm_archive_entry e;
  CHECK_EQ_INT(zm_archive_open(&a, path, NULL), 0);
  CHECK_EQ_INT(zm_archive_next(&e, a), 1);
  CHECK_EQ_STR(e.path, "a.txt");
  CHECK_EQ_INT(e.len, 3);
  CHECK_EQ_INT(zm_archive_next(&e, a), 1);
  CHECK_EQ_STR(e.path, "empty.txt");
  CHECK_EQ_INT(e.len, 0);
  CHECK_EQ_INT(zm_archive_next(&e, a), 0);
  zm_archive_free(a);
}

/* A damaged archive says why, never "(null)". */
static void test_corrupt_zip(void)
{
  const char *dir = check_tmpdir("archive-corrupt");
  sh("cd %s && printf 'PK\\003\\004garbage-that-is-not-a-zip' > c.zip && true %s %s %s", dir);
  char path[4200];
  snprintf(path, sizeof path, "%s/c.zip", dir);
  zm_archive *a = NULL;
  zm_archive_entry e;
  int rc = zm_archive_open(&a, path, NULL);
  if (rc == 0)
    rc = zm_archive_next(&e, a);
  CHECK_EQ_INT(rc, ZM_EINVALID);
  CHECK(strstr(zm_error_last(), "(null)") == NULL);
  CHECK(strstr(zm_error_last(), "cannot read archive: ") != NULL);
  zm_archive_free(a);
}

static void test_sqlite(void)
{
  const char *dir = check_tmpdir("archive-sqlite");
  sh("cd %s && sqlite3 d.db \"create table t(a int, b text, c); "
     "insert into t values (1, 'x', 1), (2, null, 'q');\" && true %s %s %s", dir);
  char path[4200];
  snprintf(path, sizeof path, "%s/d.db", dir);
  zm_frame *f = NULL;
  CHECK_EQ_INT(zm_query_sqlite(&f, path, "select * from t order by a"), 0);
  CHECK_EQ_INT(f->nrow, 2);
  CHECK_EQ_INT(f->cols[0].type, ZM_TYPE_I64);
  CHECK_EQ_INT(f->cols[1].type, ZM_TYPE_STR);
  CHECK(zm_column_is_null(&f->cols[1], 1));
  CHECK_EQ_INT(f->cols[2].type, ZM_TYPE_STR);
  CHECK_EQ_STR(f->note, "column 'c' has values of mixed types; read as string");
  zm_frame_free(f);
  CHECK_EQ_INT(zm_query_sqlite(&f, path, "delete from t"), ZM_EINVALID);
  CHECK(f == NULL);
  CHECK_EQ_INT(zm_query_sqlite(&f, path, "select nope from t"), ZM_EINVALID);
}

int main(void)
{
  RUN(test_path_clean);
  RUN(test_link_inside);
  RUN(test_detect);
  RUN(test_walk);
  RUN(test_unsafe_entries);
  RUN(test_limits);
  RUN(test_stored_zip);
  RUN(test_corrupt_zip);
  RUN(test_sqlite);
  return CHECK_DONE();
}
