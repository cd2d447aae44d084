/* Unit tests for src/hash/objhash.c: artifact ids. Up to one block the id
 * is the plain SHA-256 (checked against sha256sum); past it, the digest of
 * the block digests, recomputed here by hand from zm_hash_buf; and the same
 * id whatever the thread count, the segmentation or the streaming pieces. */
#include "check.h"
#include "core/error.h"
#include "hash/hash.h"
#include "hash/objhash.h"

#include <stdint.h>

#define B ZM_OBJHASH_BLOCK

static unsigned char *random_bytes(size_t len, unsigned seed)
{
  unsigned char *p = malloc(len ? len : 1);
  unsigned x = seed * 2654435761u + 1;
  for (size_t i = 0; i < len; i++) {
    x = x * 1103515245u + 12345u;
    p[i] = (unsigned char)(x >> 16);
  }
  return p;
}

static void unhex(unsigned char *out, const char *hex)
{
  for (int i = 0; i < 32; i++) {
    unsigned v;
    sscanf(hex + 2 * i, "%2x", &v);
    out[i] = (unsigned char)v;
  }
}

/* The block form computed the slow, obvious way. */
static void by_hand(char out[65], const unsigned char *data, size_t len)
{
  size_t nblocks = len == 0 ? 1 : (len + B - 1) / B;
  size_t n = ZM_OBJHASH_MAGIC_LEN + 32 * nblocks + 8;
  unsigned char *pre = malloc(n);
  memcpy(pre, ZM_OBJHASH_MAGIC, ZM_OBJHASH_MAGIC_LEN);
  for (size_t k = 0; k < nblocks; k++) {
    char hex[65];
    size_t from = k * B, m = len - from < B ? len - from : B;
    zm_hash_buf(hex, data + from, m);
    unhex(pre + ZM_OBJHASH_MAGIC_LEN + 32 * k, hex);
  }
  for (int i = 0; i < 8; i++)
    pre[n - 8 + (size_t)i] = (unsigned char)((uint64_t)len >> (8 * i));
  zm_hash_buf(out, pre, n);
  free(pre);
}

static void test_small_objects_are_plain_sha256(void)
{
  char id[65], plain[65];
  CHECK_EQ_INT(zm_objhash_buf(id, "", 0, 1), 0);
  CHECK_EQ_STR(id, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK_EQ_INT(zm_objhash_buf(id, "abc", 3, 2), 0);
  CHECK_EQ_STR(id, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  unsigned char *p = random_bytes(B, 3);
  CHECK_EQ_INT(zm_objhash_buf(id, p, B, 2), 0); /* exactly one block: still plain */
  zm_hash_buf(plain, p, B);
  CHECK_EQ_STR(id, plain);
  free(p);
}

static void test_large_objects_hash_their_blocks(void)
{
  size_t sizes[] = {B + 1, 2 * B, 3 * B + 12345};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    unsigned char *p = random_bytes(sizes[i], (unsigned)i);
    char want[65], got[65], plain[65];
    by_hand(want, p, sizes[i]);
    zm_hash_buf(plain, p, sizes[i]);
    CHECK(strcmp(want, plain) != 0);
    for (int threads = 1; threads <= 7; threads += 3) {
      CHECK_EQ_INT(zm_objhash_buf(got, p, sizes[i], threads), 0);
      CHECK_EQ_STR(got, want);
    }
    free(p);
  }
}

static void test_magic_prefix_takes_the_block_form(void)
{
  /* a small object that starts like a block list is never named by its
   * plain digest, so it cannot pass for a large object */
  unsigned char p[64] = {0};
  memcpy(p, ZM_OBJHASH_MAGIC, ZM_OBJHASH_MAGIC_LEN);
  char id[65], plain[65], want[65];
  CHECK_EQ_INT(zm_objhash_buf(id, p, sizeof p, 1), 0);
  zm_hash_buf(plain, p, sizeof p);
  by_hand(want, p, sizeof p);
  CHECK(strcmp(id, plain) != 0);
  CHECK_EQ_STR(id, want);
  /* one byte short of the magic: plain */
  CHECK_EQ_INT(zm_objhash_buf(id, p, ZM_OBJHASH_MAGIC_LEN - 1, 1), 0);
  zm_hash_buf(plain, p, ZM_OBJHASH_MAGIC_LEN - 1);
  CHECK_EQ_STR(id, plain);
}

static void test_segments_and_streams_agree(void)
{
  size_t len = 2 * B + 777;
  unsigned char *p = random_bytes(len, 9);
  char want[65], got[65];
  by_hand(want, p, len);
  /* segments cut across the block boundaries and inside the magic */
  struct iovec iov[5] = {{p, 5}, {p + 5, B - 5 + 3}, {p + B + 3, 0}, {p + B + 3, B}, {p + 2 * B + 3, 774}};
  CHECK_EQ_INT(zm_objhash_iov(got, iov, 5, 2), 0);
  CHECK_EQ_STR(got, want);
  zm_objhasher *h = NULL;
  CHECK_EQ_INT(zm_objhasher_new(&h), 0);
  for (size_t off = 0, step = 1; off < len; off += step, step = step * 3 + 1) {
    size_t k = len - off < step ? len - off : step;
    CHECK_EQ_INT(zm_objhasher_update(h, p + off, k), 0);
  }
  CHECK_EQ_INT(zm_objhasher_final(got, h), 0);
  CHECK_EQ_STR(got, want);
  /* final restarts it: exactly one block streamed is plain SHA-256 */
  CHECK_EQ_INT(zm_objhasher_update(h, p, B), 0);
  CHECK_EQ_INT(zm_objhasher_final(got, h), 0);
  zm_hash_buf(want, p, B);
  CHECK_EQ_STR(got, want);
  CHECK_EQ_INT(zm_objhasher_final(got, h), 0);
  CHECK_EQ_STR(got, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  zm_objhasher_free(h);
  zm_objhasher_free(NULL);
  free(p);
}

static void test_files(void)
{
  const char *dir = check_tmpdir("objhash");
  char path[4200], got[65], want[65];
  size_t sizes[] = {0, 100, B, 2 * B + 1};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    unsigned char *p = random_bytes(sizes[i], 20 + (unsigned)i);
    snprintf(path, sizeof path, "%s/f%zu", dir, i);
    FILE *f = fopen(path, "wb");
    fwrite(p, 1, sizes[i], f);
    fclose(f);
    zm_objhash_buf(want, p, sizes[i], 1);
    for (int threads = 1; threads <= 2; threads++) {
      CHECK_EQ_INT(zm_objhash_file(got, path, threads), 0);
      CHECK_EQ_STR(got, want);
    }
    free(p);
  }
  CHECK_EQ_INT(zm_objhash_file(got, "/nonexistent/x.bin", 2), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "cannot open /nonexistent/x.bin: No such file or directory");
  CHECK_EQ_INT(zm_objhash_file(got, dir, 2), ZM_EIO);
  char msg[4300];
  snprintf(msg, sizeof msg, "%s is not a regular file", dir);
  CHECK_EQ_STR(zm_error_last(), msg);
}

int main(void)
{
  RUN(test_small_objects_are_plain_sha256);
  RUN(test_large_objects_hash_their_blocks);
  RUN(test_magic_prefix_takes_the_block_form);
  RUN(test_segments_and_streams_agree);
  RUN(test_files);
  return CHECK_DONE();
}
