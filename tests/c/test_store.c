/* Unit tests for src/store: puts and reads, ids, durability under concurrent
 * writers and kill -9, trees, verify, gc, batches and write-behind. Timings are printed,
 * never asserted. */
#include "check.h"
#include "core/error.h"
#include "core/fs.h"
#include "hash/hash.h"
#include "hash/objhash.h"
#include "store/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static zm_store *open_store(const char *name)
{
  zm_store *s = NULL;
  if (zm_store_open(&s, check_tmpdir(name)) != 0) {
    fprintf(stderr, "%s\n", zm_error_last());
    exit(2);
  }
  return s;
}

static void write_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "wb");
  fputs(text, f);
  fclose(f);
}

/* Number of entries whose name starts with `prefix` in `dir`. */
static int count_prefixed(const char *dir, const char *prefix)
{
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL)
    n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
  if (d)
    closedir(d);
  return n;
}

static void test_put_read_round_trip(void)
{
  zm_store *s = open_store("store-rt");
  char id[ZM_STORE_ID_SIZE], path[4200], *data = NULL;
  size_t len = 0;
  CHECK_EQ_INT(zm_store_put_buf(id, s, "abc", 3), 0);
  CHECK_EQ_STR(id, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK_EQ_INT(zm_store_path(path, sizeof path, s, id), 0);
  char want[4200];
  snprintf(want, sizeof want, "%s/objects/ba/"
           "7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", zm_store_root(s));
  CHECK_EQ_STR(path, want);
  CHECK_EQ_INT(zm_store_read(&data, &len, s, id), 0);
  CHECK_EQ_INT(len, 3);
  CHECK_EQ_STR(data, "abc");
  free(data);
  CHECK_EQ_INT(zm_store_exists(s, id), 1);
  uint64_t size = 0;
  CHECK_EQ_INT(zm_store_size(&size, s, id), 0);
  CHECK_EQ_INT(size, 3);
  zm_store_map *m = NULL;
  CHECK_EQ_INT(zm_store_map_open(&m, s, id), 0);
  CHECK(m && m->len == 3 && memcmp(m->data, "abc", 3) == 0);
  zm_store_map_free(m);
  zm_store_map_free(NULL);
  /* the empty object */
  CHECK_EQ_INT(zm_store_put_buf(id, s, "", 0), 0);
  CHECK_EQ_STR(id, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK_EQ_INT(zm_store_map_open(&m, s, id), 0);
  CHECK(m && m->len == 0);
  zm_store_map_free(m);
  zm_store_free(s);
}

static void test_put_file_fd_and_missing(void)
{
  zm_store *s = open_store("store-file");
  char src[4200], id[ZM_STORE_ID_SIZE], id2[ZM_STORE_ID_SIZE];
  snprintf(src, sizeof src, "%s/input.txt", zm_store_root(s));
  write_file(src, "abc");
  CHECK_EQ_INT(zm_store_put_file(id, s, src), 0);
  CHECK_EQ_STR(id, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  int fd = open(src, O_RDONLY);
  CHECK_EQ_INT(zm_store_put_fd(id2, s, fd, src), 0);
  close(fd);
  CHECK_EQ_STR(id2, id);
  CHECK_EQ_INT(zm_store_put_file(id, s, "/nonexistent/in.txt"), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "cannot open /nonexistent/in.txt: No such file or directory");
  char missing[] = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
  char *data = NULL;
  CHECK_EQ_INT(zm_store_exists(s, missing), 0);
  CHECK_EQ_INT(zm_store_read(&data, NULL, s, missing), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "artifact sha256:0000000000000000000000000000000000000000000000000000"
               "000000000000 not found in the store");
  char tmpdir[4200];
  snprintf(tmpdir, sizeof tmpdir, "%s/tmp", zm_store_root(s));
  CHECK_EQ_INT(count_prefixed(tmpdir, ".tmp-"), 0);
  zm_store_free(s);
}

static void test_idempotent_and_read_only(void)
{
  zm_store *s = open_store("store-idem");
  char a[ZM_STORE_ID_SIZE], b[ZM_STORE_ID_SIZE], path[4200];
  CHECK_EQ_INT(zm_store_put_buf(a, s, "hello", 5), 0);
  zm_store_path(path, sizeof path, s, a);
  struct stat before, after;
  stat(path, &before);
  CHECK_EQ_INT(zm_store_put_buf(b, s, "hello", 5), 0);
  CHECK_EQ_STR(a, b);
  stat(path, &after);
  CHECK_EQ_INT(before.st_ino, after.st_ino); /* not rewritten */
  CHECK_EQ_INT(after.st_mode & 0777, 0444);
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/objects/%.2s", zm_store_root(s), a + 7);
  CHECK_EQ_INT(count_prefixed(dir, ".tmp-"), 0);
  zm_store_free(s);
}

static void test_invalid_ids(void)
{
  zm_store *s = open_store("store-ids");
  const char *bad[] = {
      "../x", "/etc/passwd", "sha256:XYZ",
      "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
      "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
      "sha256:../../../../../../../../../../../../../../../../../etc/passwd..",
      "md5:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0",
  };
  char path[4200], msg[300];
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(msg, sizeof msg, "invalid artifact id '%s'", bad[i]);
    CHECK_EQ_INT(zm_store_path(path, sizeof path, s, bad[i]), ZM_EINVALID);
    CHECK_EQ_STR(zm_error_last(), msg);
    CHECK_EQ_INT(zm_store_exists(s, bad[i]), ZM_EINVALID);
    char *data = NULL;
    CHECK_EQ_INT(zm_store_read(&data, NULL, s, bad[i]), ZM_EINVALID);
    CHECK_EQ_STR(zm_error_last(), msg);
  }
  zm_store_free(s);
}

typedef struct report_log {
  int n;
  char what[8][100];
  char problem[8][300];
} report_log;

static void log_report(void *ctx, const char *what, const char *problem)
{
  report_log *l = ctx;
  if (l->n < 8) {
    snprintf(l->what[l->n], sizeof l->what[0], "%s", what);
    snprintf(l->problem[l->n], sizeof l->problem[0], "%s", problem);
  }
  l->n++;
}

static void test_verify_finds_corruption(void)
{
  zm_store *s = open_store("store-verify");
  char a[ZM_STORE_ID_SIZE], b[ZM_STORE_ID_SIZE], path[4200];
  zm_store_put_buf(a, s, "good content", 12);
  zm_store_put_buf(b, s, "abc", 3);
  report_log log = {0};
  size_t bad = 99;
  CHECK_EQ_INT(zm_store_verify(&bad, s, log_report, &log), 0);
  CHECK_EQ_INT(bad, 0);
  zm_store_path(path, sizeof path, s, b);
  chmod(path, 0644);
  int fd = open(path, O_WRONLY);
  CHECK(pwrite(fd, "x", 1, 1) == 1); /* "abc" -> "axc" */
  close(fd);
  CHECK_EQ_INT(zm_store_verify(&bad, s, log_report, &log), 0);
  CHECK_EQ_INT(bad, 1);
  CHECK_EQ_INT(log.n, 1);
  CHECK_EQ_STR(log.what[0], b);
  char want[200];
  char hex[65];
  zm_hash_buf(hex, "axc", 3);
  snprintf(want, sizeof want, "corrupt: content hash is sha256:%s", hex);
  CHECK_EQ_STR(log.problem[0], want);
  /* check_ids: a present, b present (corrupt but there), one missing */
  const char *ids[] = {a, b,
                       "sha256:1111111111111111111111111111111111111111111111111111111111111111"};
  report_log miss = {0};
  size_t missing = 0;
  CHECK_EQ_INT(zm_store_check_ids(&missing, s, ids, 3, log_report, &miss), 0);
  CHECK_EQ_INT(missing, 1);
  CHECK_EQ_STR(miss.what[0], ids[2]);
  CHECK_EQ_STR(miss.problem[0], "missing");
  zm_store_free(s);
}

/* Fill `buf` with bytes that depend on `seed`. */
static void fill(unsigned char *buf, size_t n, unsigned seed)
{
  unsigned x = seed * 2654435761u + 7;
  for (size_t i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    buf[i] = (unsigned char)(x >> 16);
  }
}

static void test_two_processes_same_content(void)
{
  zm_store *s = open_store("store-race");
  const char *root = zm_store_root(s);
  enum { SIZE = 4 << 20, ROUNDS = 20 };
  unsigned char *data = malloc(SIZE);
  fill(data, SIZE, 3);
  pid_t kids[2];
  for (int k = 0; k < 2; k++) {
    kids[k] = fork();
    if (kids[k] == 0) {
      zm_store *mine = NULL;
      char id[ZM_STORE_ID_SIZE];
      int rc = zm_store_open(&mine, root);
      for (int r = 0; rc == 0 && r < ROUNDS; r++)
        rc = zm_store_put_buf(id, mine, data, SIZE);
      if (rc)
        fprintf(stderr, "child: %s\n", zm_error_last());
      _exit(rc ? 1 : 0);
    }
  }
  for (int k = 0; k < 2; k++) {
    int status = 0;
    waitpid(kids[k], &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  char id[ZM_STORE_ID_SIZE], *back = NULL;
  size_t len = 0;
  zm_store_put_buf(id, s, data, SIZE);
  CHECK_EQ_INT(zm_store_read(&back, &len, s, id), 0);
  CHECK(len == SIZE && memcmp(back, data, SIZE) == 0);
  free(back);
  size_t bad = 1;
  zm_store_verify(&bad, s, NULL, NULL);
  CHECK_EQ_INT(bad, 0);
  free(data);
  zm_store_free(s);
}

/* A slow stream: 64 KiB pieces of seeded bytes, sleeping between pieces. */
typedef struct slow_source {
  size_t left;
  unsigned seed;
} slow_source;

static ssize_t slow_read(void *ctx, void *buf, size_t cap)
{
  slow_source *src = ctx;
  size_t n = src->left < 65536 ? src->left : 65536;
  n = n < cap ? n : cap;
  if (n == 0)
    return 0;
  fill(buf, n, src->seed++);
  src->left -= n;
  usleep(2000);
  return (ssize_t)n;
}

static void test_kill_during_put(void)
{
  zm_store *s = open_store("store-kill");
  const char *root = zm_store_root(s);
  enum { TOTAL = 64 << 20 };
  /* The id the full stream would have, computed without the store. */
  slow_source src = {TOTAL, 1};
  zm_hasher *h = NULL;
  zm_hasher_new(&h);
  unsigned char *piece = malloc(65536);
  for (ssize_t n; (n = slow_read(&src, piece, 65536)) > 0;)
    zm_hasher_update(h, piece, (size_t)n);
  char hex[65], id[ZM_STORE_ID_SIZE], tmpdir[4200];
  zm_hasher_final(hex, h);
  zm_hasher_free(h);
  free(piece);
  snprintf(id, sizeof id, "sha256:%s", hex);
  snprintf(tmpdir, sizeof tmpdir, "%s/tmp", root);
  pid_t kid = fork();
  if (kid == 0) {
    zm_store *mine = NULL;
    char got[ZM_STORE_ID_SIZE];
    slow_source mine_src = {TOTAL, 1};
    zm_store_open(&mine, root);
    zm_store_put_stream(got, mine, slow_read, &mine_src);
    _exit(0);
  }
  /* Wait until the child's temp file exists and holds some bytes. */
  for (int i = 0; i < 500 && count_prefixed(tmpdir, ".tmp-") == 0; i++)
    usleep(10000);
  usleep(100000);
  kill(kid, SIGKILL);
  int status = 0;
  waitpid(kid, &status, 0);
  CHECK(WIFSIGNALED(status));
  CHECK_EQ_INT(count_prefixed(tmpdir, ".tmp-"), 1);
  CHECK_EQ_INT(zm_store_exists(s, id), 0);
  zm_store_gc_stats st = {0};
  CHECK_EQ_INT(zm_store_gc(&st, s, NULL, 0, 1), 0);
  CHECK_EQ_INT(st.temps, 1);
  CHECK_EQ_INT(count_prefixed(tmpdir, ".tmp-"), 1); /* dry run */
  CHECK_EQ_INT(zm_store_gc(&st, s, NULL, 0, 0), 0);
  CHECK_EQ_INT(st.temps, 1);
  CHECK(st.bytes > 0);
  CHECK_EQ_INT(count_prefixed(tmpdir, ".tmp-"), 0);
  zm_store_free(s);
}

static void make_folder(char *out, size_t cap, const char *base)
{
  char p[4300];
  snprintf(out, cap, "%s/src", base);
  snprintf(p, sizeof p, "%s/a/b/c", out);
  zm_fs_mkdir_p(p);
  snprintf(p, sizeof p, "%s/top.txt", out);
  write_file(p, "top\n");
  snprintf(p, sizeof p, "%s/a/mid.txt", out);
  write_file(p, "middle\n");
  snprintf(p, sizeof p, "%s/a/b/c/deep.bin", out);
  write_file(p, "deep\n");
  snprintf(p, sizeof p, "%s/a/run.sh", out);
  write_file(p, "#!/bin/sh\necho hi\n");
  chmod(p, 0755);
  snprintf(p, sizeof p, "%s/a/b/empty", out);
  write_file(p, "");
}

static void test_tree_round_trip(void)
{
  zm_store *s = open_store("store-tree");
  char src[4200], dest[4200], id[ZM_STORE_ID_SIZE], again[ZM_STORE_ID_SIZE];
  make_folder(src, sizeof src, zm_store_root(s));
  CHECK_EQ_INT(zm_store_put_tree(id, s, src), 0);
  CHECK_EQ_INT(zm_store_put_tree(again, s, src), 0);
  CHECK_EQ_STR(id, again); /* deterministic */
  CHECK_EQ_INT(zm_store_is_tree(s, id), 1);
  char *text = NULL, want[1000], h[5][65];
  zm_hash_buf(h[0], "deep\n", 5);
  zm_hash_buf(h[1], "", 0);
  zm_hash_buf(h[2], "middle\n", 7);
  zm_hash_buf(h[3], "#!/bin/sh\necho hi\n", 18);
  zm_hash_buf(h[4], "top\n", 4);
  snprintf(want, sizeof want,
           "zenml-tree 1\n644 5 sha256:%s a/b/c/deep.bin\n644 0 sha256:%s a/b/empty\n"
           "644 7 sha256:%s a/mid.txt\n755 18 sha256:%s a/run.sh\n644 4 sha256:%s top.txt\n",
           h[0], h[1], h[2], h[3], h[4]);
  zm_store_read(&text, NULL, s, id);
  CHECK_EQ_STR(text, want);
  free(text);
  snprintf(dest, sizeof dest, "%s/out/x", zm_store_root(s));
  CHECK_EQ_INT(zm_store_checkout_tree(s, id, dest), 0);
  char cmd[8500];
  snprintf(cmd, sizeof cmd, "diff -r '%s' '%s'", src, dest);
  CHECK_EQ_INT(system(cmd), 0);
  snprintf(cmd, sizeof cmd, "%s/a/run.sh", dest);
  struct stat st;
  stat(cmd, &st);
  CHECK_EQ_INT(st.st_mode & 0777, 0755);
  CHECK_EQ_INT(zm_store_checkout_tree(s, "sha256:XYZ", dest), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "invalid artifact id 'sha256:XYZ'");
  zm_store_free(s);
}

static void test_tree_refuses_unsafe_paths(void)
{
  zm_store *s = open_store("store-unsafe");
  char blob[ZM_STORE_ID_SIZE], tree[ZM_STORE_ID_SIZE], text[400], dest[4200], msg[400];
  zm_store_put_buf(blob, s, "evil", 4);
  const char *paths[] = {"../escape", "/etc/evil", "a/../../b", "a//b", "./a"};
  snprintf(dest, sizeof dest, "%s/dest", zm_store_root(s));
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    snprintf(text, sizeof text, "zenml-tree 1\n644 4 %s %s\n", blob, paths[i]);
    zm_store_put_buf(tree, s, text, strlen(text));
    CHECK_EQ_INT(zm_store_checkout_tree(s, tree, dest), ZM_EINVALID);
    snprintf(msg, sizeof msg, "refusing unsafe path '%s' in tree %s", paths[i], tree);
    CHECK_EQ_STR(zm_error_last(), msg);
  }
  CHECK(!zm_fs_exists(dest));
  char parent[4300];
  snprintf(parent, sizeof parent, "%s/escape", zm_store_root(s));
  CHECK(!zm_fs_exists(parent));
  /* not a manifest at all */
  CHECK_EQ_INT(zm_store_checkout_tree(s, blob, dest), ZM_EINVALID);
  snprintf(msg, sizeof msg, "artifact %s is not a valid tree manifest (line 1)", blob);
  CHECK_EQ_STR(zm_error_last(), msg);
  zm_store_free(s);
}

static void test_gc(void)
{
  zm_store *s = open_store("store-gc");
  char src[4200], tree[ZM_STORE_ID_SIZE], keep[ZM_STORE_ID_SIZE], drop[ZM_STORE_ID_SIZE];
  make_folder(src, sizeof src, zm_store_root(s));
  zm_store_put_tree(tree, s, src);
  zm_store_put_buf(keep, s, "keep me", 7);
  zm_store_put_buf(drop, s, "drop me!", 8);
  const char *roots[] = {tree, keep};
  zm_store_gc_stats st = {0};
  CHECK_EQ_INT(zm_store_gc(&st, s, roots, 2, 1), 0);
  CHECK_EQ_INT(st.objects, 1);
  CHECK_EQ_INT(st.bytes, 8);
  CHECK_EQ_INT(zm_store_exists(s, drop), 1); /* dry run removed nothing */
  CHECK_EQ_INT(zm_store_gc(&st, s, roots, 2, 0), 0);
  CHECK_EQ_INT(st.objects, 1);
  CHECK_EQ_INT(zm_store_exists(s, drop), 0);
  size_t missing = 9;
  CHECK_EQ_INT(zm_store_check_ids(&missing, s, roots, 2, NULL, NULL), 0);
  CHECK_EQ_INT(missing, 0);
  /* keeping only the blob drops the tree and its five entries */
  CHECK_EQ_INT(zm_store_gc(&st, s, roots + 1, 1, 0), 0);
  CHECK_EQ_INT(st.objects, 6);
  CHECK_EQ_INT(zm_store_exists(s, keep), 1);
  const char *bad[] = {"../x"};
  CHECK_EQ_INT(zm_store_gc(&st, s, bad, 1, 0), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "invalid artifact id '../x'");
  CHECK_EQ_INT(zm_store_exists(s, keep), 1);
  zm_store_free(s);
}

static void write_text(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  if (f) {
    fputs(text, f);
    fclose(f);
  }
}

/* tmp/ belongs to the store: it makes the temporary folders (a step's
 * scratch space, a datasource's staged files) and removes them with what is
 * in them; gc removes stale ones, folders included (they used to stop gc
 * with "Is a directory"), and verify never reports anything in tmp/. */
static void test_tmp_folders(void)
{
  zm_store *s = open_store("store-tmp");
  char *dir = NULL, path[8800], tmp[4300];
  CHECK(snprintf(tmp, sizeof tmp, "%s/tmp", zm_store_root(s)) < (int)sizeof tmp);
  CHECK_EQ_INT(zm_store_tmp_dir(&dir, s), 0);
  CHECK(dir && strncmp(dir, tmp, strlen(tmp)) == 0 && strstr(dir, "/.tmp-"));
  CHECK(snprintf(path, sizeof path, "%s/sub", dir) < (int)sizeof path);
  CHECK_EQ_INT(mkdir(path, 0777), 0);
  CHECK(snprintf(path, sizeof path, "%s/sub/a.txt", dir) < (int)sizeof path);
  write_text(path, "abc");
  CHECK_EQ_INT(zm_store_tmp_remove(s, dir), 0);
  CHECK(!zm_fs_exists(dir));
  CHECK_EQ_INT(zm_store_tmp_remove(s, "/etc"), ZM_EINVALID);
  CHECK(snprintf(path, sizeof path, "%s/objects", zm_store_root(s)) < (int)sizeof path);
  CHECK_EQ_INT(zm_store_tmp_remove(s, path), ZM_EINVALID);
  CHECK(zm_fs_exists(path));

  /* a folder of a process that is gone, named by the store */
  pid_t kid = fork();
  if (kid == 0)
    _exit(0);
  waitpid(kid, NULL, 0);
  char *live = NULL;
  CHECK_EQ_INT(zm_store_tmp_dir(&live, s), 0);
  /* the same name but the dead child's pid: .tmp-<pid>.<host>-XXXXXX */
  const char *base = strrchr(live, '/') + 1;
  const char *rest = strchr(base + strlen(".tmp-"), '.');
  char dead[8800];
  CHECK(snprintf(dead, sizeof dead, "%s/.tmp-%ld%s", tmp, (long)kid, rest) < (int)sizeof dead);
  CHECK_EQ_INT(mkdir(dead, 0777), 0);
  CHECK(snprintf(path, sizeof path, "%s/staged.bin", dead) < (int)sizeof path);
  write_text(path, "0123456789");
  /* an older zenml's folder, an hour old, and a fresh one */
  char old[8800], fresh[8800];
  CHECK(snprintf(old, sizeof old, "%s/step-1-2-3", tmp) < (int)sizeof old);
  CHECK(snprintf(fresh, sizeof fresh, "%s/step-4-5-6", tmp) < (int)sizeof fresh);
  CHECK_EQ_INT(mkdir(old, 0777), 0);
  CHECK_EQ_INT(mkdir(fresh, 0777), 0);
  CHECK(snprintf(path, sizeof path, "%s/x", old) < (int)sizeof path);
  write_text(path, "x");
  struct timespec ts[2] = {{time(NULL) - 7200, 0}, {time(NULL) - 7200, 0}};
  CHECK_EQ_INT(utimensat(AT_FDCWD, old, ts, 0), 0);

  size_t bad = 9;
  CHECK_EQ_INT(zm_store_verify(&bad, s, NULL, NULL), 0);
  CHECK_EQ_INT(bad, 0);
  char keep[ZM_STORE_ID_SIZE];
  zm_store_put_buf(keep, s, "keep", 4);
  const char *roots[] = {keep};
  zm_store_gc_stats st = {0};
  CHECK_EQ_INT(zm_store_gc(&st, s, roots, 1, 0), 0);
  CHECK_EQ_INT(st.temps, 2);
  CHECK_EQ_INT(st.bytes, 11);
  CHECK(!zm_fs_exists(dead));
  CHECK(!zm_fs_exists(old));
  CHECK(zm_fs_exists(fresh));
  CHECK(zm_fs_exists(live)); /* this process is alive */
  CHECK_EQ_INT(zm_store_tmp_remove(s, live), 0);
  free(live);
  free(dir);
  zm_store_free(s);
}

/* Segments spanning several writeback chunks store under the id of their
 * concatenation (its block form: 20 MiB is five blocks), the same id a
 * buffer, a file or a stream of those bytes gets; they read back intact
 * and read-only, verify passes, and a second put is a no-op. */
static void test_put_iov(void)
{
  zm_store *s = open_store("store-iov");
  size_t big = (size_t)20 << 20;
  char *data = malloc(big + 7), id[ZM_STORE_ID_SIZE], again[ZM_STORE_ID_SIZE];
  char want[ZM_STORE_ID_SIZE] = "sha256:", hex[ZM_HASH_HEX_SIZE], *back = NULL;
  for (size_t i = 0; i < big + 7; i++)
    data[i] = (char)(i * 2654435761u >> 13);
  struct iovec iov[] = {{data, 7}, {data + 7, 0}, {data + 7, big - 100}, {data + big - 93, 100}};
  CHECK_EQ_INT(zm_objhash_buf(hex, data, big + 7, 2), 0);
  strcat(want, hex);
  double t0 = now();
  CHECK_EQ_INT(zm_store_put_iov(id, s, iov, 4), 0);
  printf("  put_iov of 20 MiB: %.1f ms\n", (now() - t0) * 1e3);
  CHECK_EQ_STR(id, want);
  size_t len = 0;
  CHECK_EQ_INT(zm_store_read(&back, &len, s, id), 0);
  CHECK(back && len == big + 7 && memcmp(back, data, len) == 0);
  CHECK_EQ_INT(zm_store_put_iov(again, s, iov, 4), 0);
  CHECK_EQ_STR(again, want);
  zm_store *other = open_store("store-iov-other");
  CHECK_EQ_INT(zm_store_put_buf(again, other, data, big + 7), 0);
  CHECK_EQ_STR(again, want);
  char file[4200];
  snprintf(file, sizeof file, "%s/big.bin", check_tmpdir("store-iov-file"));
  FILE *f = fopen(file, "wb");
  fwrite(data, 1, big + 7, f);
  fclose(f);
  zm_store *third = open_store("store-iov-third");
  CHECK_EQ_INT(zm_store_put_file(again, third, file), 0);
  CHECK_EQ_STR(again, want);
  int fd = open(file, O_RDONLY);
  zm_store *fourth = open_store("store-iov-fourth");
  CHECK_EQ_INT(zm_store_put_fd(again, fourth, fd, "big.bin"), 0);
  CHECK_EQ_STR(again, want);
  close(fd);
  size_t bad = 9;
  CHECK_EQ_INT(zm_store_verify(&bad, third, NULL, NULL), 0);
  CHECK_EQ_INT((int)bad, 0);
  /* an object an earlier zenml named by the plain SHA-256 of its bytes
   * verifies; a damaged one is reported with its block digest */
  char plain[ZM_HASH_HEX_SIZE], legacy[4400];
  CHECK_EQ_INT(zm_hash_buf(plain, data, big + 7), 0);
  snprintf(legacy, sizeof legacy, "%s/objects/%.2s/%s", zm_store_root(third), plain, plain + 2);
  *strrchr(legacy, '/') = '\0';
  mkdir(legacy, 0755); /* the fan-out folder: every store has it already */
  snprintf(legacy, sizeof legacy, "%s/objects/%.2s/%s", zm_store_root(third), plain, plain + 2);
  f = fopen(legacy, "wb");
  fwrite(data, 1, big + 7, f);
  fclose(f);
  CHECK_EQ_INT(zm_store_verify(&bad, third, NULL, NULL), 0);
  CHECK_EQ_INT((int)bad, 0);
  f = fopen(legacy, "r+b");
  fseek(f, 12345, SEEK_SET);
  fputc(data[12345] ^ 1, f);
  fclose(f);
  CHECK_EQ_INT(zm_store_verify(&bad, third, NULL, NULL), 0);
  CHECK_EQ_INT((int)bad, 1);
  unlink(legacy);
  zm_store_free(other);
  zm_store_free(third);
  zm_store_free(fourth);
  char tmpdir[4200];
  snprintf(tmpdir, sizeof tmpdir, "%s/tmp", zm_store_root(s));
  CHECK_EQ_INT(count_prefixed(tmpdir, ".tmp-"), 0);
  CHECK_EQ_INT(zm_store_put_iov(id, s, NULL, 0), 0);
  CHECK_EQ_STR(id, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  free(back);
  free(data);
  zm_store_free(s);
}

static void test_batch(void)
{
  zm_store *s = open_store("store-batch");
  enum { N = 10000 };
  char id[ZM_STORE_ID_SIZE], first[ZM_STORE_ID_SIZE], text[64];
  double t = now();
  CHECK_EQ_INT(zm_store_batch_begin(s), 0);
  CHECK_EQ_INT(zm_store_batch_begin(s), ZM_EINVALID);
  int rc = 0;
  for (int i = 0; i < N && rc == 0; i++) {
    int n = snprintf(text, sizeof text, "small artifact %d", i);
    rc = zm_store_put_buf(id, s, text, (size_t)n);
    if (i == 0)
      memcpy(first, id, sizeof id);
  }
  CHECK_EQ_INT(rc, 0);
  CHECK_EQ_INT(zm_store_exists(s, first), 0); /* visible only after commit */
  double puts = now() - t;
  CHECK_EQ_INT(zm_store_batch_commit(s), 0);
  t = now() - t;
  printf("timing: %d batched puts of small artifacts: %.3f s (puts %.3f s, commit %.3f s)\n",
         N, t, puts, t - puts);
  CHECK_EQ_INT(zm_store_exists(s, first), 1);
  CHECK_EQ_INT(zm_store_exists(s, id), 1);
  char tmpdir[4200];
  snprintf(tmpdir, sizeof tmpdir, "%s/objects/%.2s", zm_store_root(s), id + 7);
  CHECK_EQ_INT(count_prefixed(tmpdir, ".tmp-"), 0);
  /* aborting removes the temp files */
  zm_store_batch_begin(s);
  zm_store_put_buf(id, s, "aborted", 7);
  zm_store_batch_abort(s);
  CHECK_EQ_INT(zm_store_exists(s, id), 0);
  snprintf(tmpdir, sizeof tmpdir, "%s/objects/%.2s", zm_store_root(s), id + 7);
  CHECK_EQ_INT(count_prefixed(tmpdir, ".tmp-"), 0);
  /* single durable puts, for comparison */
  t = now();
  for (int i = 0; i < 100; i++) {
    int n = snprintf(text, sizeof text, "durable artifact %d", i);
    zm_store_put_buf(id, s, text, (size_t)n);
  }
  printf("timing: single durable put: %.2f ms each (100 puts)\n", (now() - t) * 10);
  zm_store_free(s);
}

/* Whether object `id` sits at its final path (not just as a temp file). */
static int in_place(zm_store *s, const char *id)
{
  char path[4200];
  snprintf(path, sizeof path, "%s/objects/%.2s/%s", zm_store_root(s), id + 7, id + 9);
  return access(path, F_OK) == 0;
}

static void test_write_behind(void)
{
  zm_store *s = open_store("store-behind");
  char id[ZM_STORE_ID_SIZE], again[ZM_STORE_ID_SIZE], dir[4200], path[4200], *back = NULL;
  size_t len = 0;
  uint64_t size = 0;
  int fd = -1;
  CHECK_EQ_INT(zm_store_write_behind(s, 60000), 0); /* too long to fire in this test */
  CHECK_EQ_INT(zm_store_put_buf(id, s, "queued", 6), 0);
  CHECK(!in_place(s, id));
  CHECK_EQ_INT(zm_store_exists(s, id), 1);
  CHECK_EQ_INT(zm_store_size(&size, s, id), 0);
  CHECK(size == 6);
  CHECK_EQ_INT(zm_store_read(&back, &len, s, id), 0);
  CHECK(back && len == 6 && memcmp(back, "queued", 6) == 0);
  CHECK_EQ_INT(zm_store_open_fd(&fd, s, id), 0);
  CHECK(fd >= 0 && close(fd) == 0);
  /* the same bytes again while queued: no second temp file */
  CHECK_EQ_INT(zm_store_put_buf(again, s, "queued", 6), 0);
  CHECK_EQ_STR(again, id);
  snprintf(dir, sizeof dir, "%s/objects/%.2s", zm_store_root(s), id + 7);
  CHECK_EQ_INT(count_prefixed(dir, ".tmp-"), 1);
  /* another handle on the same store in this process sees it too, and
   * asking it for a path settles the queue that holds it */
  zm_store *other = NULL;
  CHECK_EQ_INT(zm_store_open(&other, zm_store_root(s)), 0);
  CHECK_EQ_INT(zm_store_exists(other, id), 1);
  free(back);
  back = NULL;
  CHECK_EQ_INT(zm_store_read(&back, &len, other, id), 0);
  CHECK(back && len == 6 && memcmp(back, "queued", 6) == 0);
  CHECK_EQ_INT(zm_store_path(path, sizeof path, other, id), 0);
  CHECK(in_place(s, id));
  zm_store_free(other);
  /* a caller keeps a path for later, so asking for one settles */
  CHECK_EQ_INT(zm_store_put_buf(id, s, "queued again", 12), 0);
  CHECK(!in_place(s, id));
  snprintf(dir, sizeof dir, "%s/objects/%.2s", zm_store_root(s), id + 7);
  CHECK_EQ_INT(zm_store_path(path, sizeof path, s, id), 0);
  CHECK(in_place(s, id));
  CHECK_EQ_INT(count_prefixed(dir, ".tmp-"), 0);
  /* the thread settles on its own once the oldest put has waited max_ms */
  CHECK_EQ_INT(zm_store_write_behind(s, 20), 0);
  CHECK_EQ_INT(zm_store_put_buf(id, s, "settled in time", 15), 0);
  double t0 = now();
  while (!in_place(s, id) && now() - t0 < 5)
    usleep(2000);
  CHECK(in_place(s, id));
  /* stopping settles; so does closing the store */
  CHECK_EQ_INT(zm_store_write_behind(s, 60000), 0);
  CHECK_EQ_INT(zm_store_put_buf(id, s, "at stop", 7), 0);
  CHECK_EQ_INT(zm_store_write_behind(s, 0), 0);
  CHECK(in_place(s, id));
  CHECK_EQ_INT(zm_store_write_behind(s, 60000), 0);
  CHECK_EQ_INT(zm_store_put_buf(id, s, "at close", 8), 0);
  CHECK(!in_place(s, id));
  char root[4200];
  snprintf(root, sizeof root, "%s", zm_store_root(s));
  zm_store_free(s);
  s = NULL;
  CHECK_EQ_INT(zm_store_open(&s, root), 0);
  CHECK(in_place(s, id));
  snprintf(dir, sizeof dir, "%s/objects/%.2s", zm_store_root(s), id + 7);
  CHECK_EQ_INT(count_prefixed(dir, ".tmp-"), 0);
  free(back);
  zm_store_free(s);
}

/* The bytes of the file at `path` are `want`. */
static int file_holds(const char *path, const char *want)
{
  char buf[64] = {0};
  FILE *f = fopen(path, "rb");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f)
    fclose(f);
  return f && n == strlen(want) && memcmp(buf, want, n) == 0;
}

/* A reader given a queued object's temp file keeps it past the commit (and
 * past stopping write-behind) until the handle closes; the object is in
 * place meanwhile and nothing was synced for the reader. */
static void test_read_path_while_queued(void)
{
  zm_store *s = open_store("store-lend");
  char id[ZM_STORE_ID_SIZE], lent[4200], again[4200], final[4200], root[4200];
  CHECK_EQ_INT(zm_store_write_behind(s, 60000), 0);
  CHECK_EQ_INT(zm_store_put_buf(id, s, "lent bytes", 10), 0);
  CHECK_EQ_INT(zm_store_read_path(lent, sizeof lent, s, id), 0);
  CHECK(strstr(lent, "/.tmp-") != NULL);
  CHECK(!in_place(s, id)); /* no settle */
  CHECK(file_holds(lent, "lent bytes"));
  /* another handle borrows the same file from the queue that holds it */
  zm_store *other = NULL;
  CHECK_EQ_INT(zm_store_open(&other, zm_store_root(s)), 0);
  CHECK_EQ_INT(zm_store_read_path(again, sizeof again, other, id), 0);
  CHECK_EQ_STR(again, lent);
  zm_store_free(other);
  CHECK_EQ_INT(zm_store_settle(s), 0);
  CHECK(in_place(s, id));
  CHECK(file_holds(lent, "lent bytes"));
  CHECK_EQ_INT(zm_store_read_path(again, sizeof again, s, id), 0);
  CHECK_EQ_INT(zm_store_path(final, sizeof final, s, id), 0);
  CHECK_EQ_STR(again, final);
  /* stopping write-behind keeps it; closing the handle removes it */
  CHECK_EQ_INT(zm_store_write_behind(s, 0), 0);
  CHECK(file_holds(lent, "lent bytes"));
  snprintf(root, sizeof root, "%s", zm_store_root(s));
  zm_store_free(s);
  CHECK(access(lent, F_OK) != 0);
  CHECK_EQ_INT(zm_store_open(&s, root), 0);
  CHECK(in_place(s, id));
  CHECK_EQ_INT(zm_store_path(final, sizeof final, s, id), 0);
  CHECK(file_holds(final, "lent bytes"));
  /* an object not borrowed is moved, not linked: no name is left behind */
  CHECK_EQ_INT(zm_store_write_behind(s, 60000), 0);
  CHECK_EQ_INT(zm_store_put_buf(id, s, "not lent", 8), 0);
  CHECK_EQ_INT(zm_store_settle(s), 0);
  CHECK(in_place(s, id));
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/objects/%.2s", zm_store_root(s), id + 7);
  CHECK_EQ_INT(count_prefixed(dir, ".tmp-"), 0);
  zm_store_free(s);
}

/* What zm_store_put_iov_each told its caller: each `done` count in turn. */
typedef struct done_log {
  size_t calls, last, seen[16];
} done_log;

static void note_done(void *arg, size_t k)
{
  done_log *d = arg;
  if (d->calls < 16)
    d->seen[d->calls] = k;
  d->calls++;
  d->last = k;
}

/* A put whose caller frees each segment once it is stored: told after
 * every segment in order, the same id and bytes as put_iov; an object
 * already stored is not written and every segment is let go at once. */
static void test_put_iov_each(void)
{
  zm_store *s = open_store("store-iov-each");
  size_t big = (size_t)9 << 20;
  char *data = malloc(big), id[ZM_STORE_ID_SIZE], want[ZM_STORE_ID_SIZE], *back = NULL;
  for (size_t i = 0; i < big; i++)
    data[i] = (char)(i * 40503u >> 7);
  struct iovec iov[] = {{data, 5}, {data + 5, 0}, {data + 5, big - 4096}, {data + big - 4091, 4091}};
  zm_store *plain = open_store("store-iov-each-plain");
  CHECK_EQ_INT(zm_store_put_iov(want, plain, iov, 4), 0);
  done_log d = {0};
  CHECK_EQ_INT(zm_store_put_iov_each(id, s, iov, 4, note_done, &d), 0);
  CHECK_EQ_STR(id, want);
  CHECK(d.calls == 4 && d.seen[0] == 1 && d.seen[1] == 2 && d.seen[2] == 3 && d.seen[3] == 4);
  size_t len = 0;
  CHECK_EQ_INT(zm_store_read(&back, &len, s, id), 0);
  CHECK(back && len == big && memcmp(back, data, len) == 0);
  d = (done_log){0};
  CHECK_EQ_INT(zm_store_put_iov_each(id, s, iov, 4, note_done, &d), 0);
  CHECK_EQ_STR(id, want);
  CHECK(d.calls == 1 && d.last == 4);
  free(back);
  free(data);
  zm_store_free(plain);
  zm_store_free(s);
}

int main(void)
{
  RUN(test_put_read_round_trip);
  RUN(test_put_file_fd_and_missing);
  RUN(test_idempotent_and_read_only);
  RUN(test_invalid_ids);
  RUN(test_verify_finds_corruption);
  RUN(test_two_processes_same_content);
  RUN(test_kill_during_put);
  RUN(test_tree_round_trip);
  RUN(test_tree_refuses_unsafe_paths);
  RUN(test_gc);
  RUN(test_tmp_folders);
  RUN(test_batch);
  RUN(test_put_iov);
  RUN(test_put_iov_each);
  RUN(test_write_behind);
  RUN(test_read_path_while_queued);
  return CHECK_DONE();
}
