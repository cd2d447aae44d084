/* Unit tests for src/hash: known SHA-256 vectors, files against sha256sum,
 * many files on threads. With ZM_HASH_BENCH=<file> it also times hashing that
 * file, and with ZM_HASH_BENCH_DIR=<folder> it times 1,000 x 1 MiB files on
 * one and two threads (prints only; never asserts on time). */
#include "check.h"
#include "core/error.h"
#include "hash/hash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <time.h>

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Write `len` pseudo-random bytes (seeded) to `path`. */
static void write_random(const char *path, size_t len, unsigned seed)
{
  FILE *f = fopen(path, "wb");
  if (!f) {
    fprintf(stderr, "cannot create %s\n", path);
    exit(2);
  }
  unsigned x = seed * 2654435761u + 1;
  for (size_t i = 0; i < len; i++) {
    x = x * 1103515245u + 12345u;
    fputc((int)(x >> 16) & 255, f);
  }
  fclose(f);
}

/* sha256sum's digest of `path`, through the real tool. */
static void sha256sum(char out[65], const char *path)
{
  char cmd[4400];
  snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
  FILE *p = popen(cmd, "r");
  out[0] = '\0';
  if (p) {
    if (fscanf(p, "%64s", out) != 1)
      out[0] = '\0';
    pclose(p);
  }
}

static void test_known_vectors(void)
{
  char hex[ZM_HASH_HEX_SIZE];
  CHECK_EQ_INT(zm_hash_buf(hex, "", 0), 0);
  CHECK_EQ_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK_EQ_INT(zm_hash_buf(hex, "abc", 3), 0);
  CHECK_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_streaming_matches_one_shot(void)
{
  zm_hasher *h = NULL;
  char a[ZM_HASH_HEX_SIZE], b[ZM_HASH_HEX_SIZE];
  const char *text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  CHECK_EQ_INT(zm_hasher_new(&h), 0);
  for (size_t i = 0; text[i]; i++)
    zm_hasher_update(h, text + i, 1);
  CHECK_EQ_INT(zm_hasher_final(a, h), 0);
  CHECK_EQ_STR(a, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  /* final restarts the hasher empty */
  zm_hasher_final(b, h);
  CHECK_EQ_STR(b, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  zm_hasher_free(h);
  zm_hasher_free(NULL);
}

static void test_file_matches_sha256sum(void)
{
  const char *dir = check_tmpdir("hash-file");
  char path[4200], mine[ZM_HASH_HEX_SIZE], theirs[65];
  snprintf(path, sizeof path, "%s/one-mib.bin", dir);
  write_random(path, (1u << 20) + 17, 1);
  CHECK_EQ_INT(zm_hash_file(mine, path), 0);
  sha256sum(theirs, path);
  CHECK_EQ_STR(mine, theirs);
  snprintf(path, sizeof path, "%s/empty", dir);
  write_random(path, 0, 0);
  CHECK_EQ_INT(zm_hash_file(mine, path), 0);
  CHECK_EQ_STR(mine, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_missing_file_is_named(void)
{
  char hex[ZM_HASH_HEX_SIZE];
  CHECK_EQ_INT(zm_hash_file(hex, "/nonexistent/x.bin"), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "cannot open /nonexistent/x.bin: No such file or directory");
}

static void test_many_files_on_threads(void)
{
  const char *dir = check_tmpdir("hash-many");
  enum { N = 40 };
  char names[N][4200];
  const char *paths[N];
  char got[N][ZM_HASH_HEX_SIZE], want[65];
  for (int i = 0; i < N; i++) {
    snprintf(names[i], sizeof names[i], "%s/f%02d", dir, i);
    write_random(names[i], (size_t)i * 1000, (unsigned)i);
    paths[i] = names[i];
  }
  CHECK_EQ_INT(zm_hash_files(got, paths, N, 3), 0);
  for (int i = 0; i < N; i += 7) {
    sha256sum(want, paths[i]);
    CHECK_EQ_STR(got[i], want);
  }
  char one[ZM_HASH_HEX_SIZE];
  zm_hash_file(one, paths[N - 1]);
  CHECK_EQ_STR(got[N - 1], one);
  paths[5] = "/nonexistent/five";
  CHECK_EQ_INT(zm_hash_files(got, paths, N, 2), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "cannot open /nonexistent/five: No such file or directory");
  CHECK_EQ_INT(zm_hash_files(got, paths, 0, 2), 0);
}

static void bench_file(const char *path)
{
  char hex[ZM_HASH_HEX_SIZE];
  zm_hash_file(hex, path); /* warm the page cache */
  double best = 1e9;
  for (int i = 0; i < 3; i++) {
    double t = now();
    if (zm_hash_file(hex, path) != 0) {
      fprintf(stderr, "%s\n", zm_error_last());
      return;
    }
    t = now() - t;
    best = t < best ? t : best;
  }
  printf("bench: zm_hash_file %s: best of 3 %.3f s (%s)\n", path, best, hex);
}

static void bench_dir(const char *dir)
{
  enum { N = 1000 };
  static char names[N][4200];
  static const char *paths[N];
  static char out[N][ZM_HASH_HEX_SIZE];
  for (int i = 0; i < N; i++) {
    snprintf(names[i], sizeof names[i], "%s/f%04d", dir, i);
    if (access(names[i], R_OK) != 0)
      write_random(names[i], 1u << 20, (unsigned)i);
    paths[i] = names[i];
  }
  zm_hash_files(out, paths, N, 2); /* warm */
  for (int threads = 1; threads <= 2; threads++) {
    double best = 1e9;
    for (int r = 0; r < 3; r++) {
      double t = now();
      zm_hash_files(out, paths, N, threads);
      t = now() - t;
      best = t < best ? t : best;
    }
    printf("bench: 1000 x 1 MiB on %d thread(s): best of 3 %.3f s\n", threads, best);
  }
}

int main(void)
{
  RUN(test_known_vectors);
  RUN(test_streaming_matches_one_shot);
  RUN(test_file_matches_sha256sum);
  RUN(test_missing_file_is_named);
  RUN(test_many_files_on_threads);
  if (getenv("ZM_HASH_BENCH"))
    bench_file(getenv("ZM_HASH_BENCH"));
  if (getenv("ZM_HASH_BENCH_DIR"))
    bench_dir(getenv("ZM_HASH_BENCH_DIR"));
  return CHECK_DONE();
}
