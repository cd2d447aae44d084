/* Artifact ids (see objhash.h): plain SHA-256 up to one block, the digest
 * of the blocks' digests beyond, computed block by block on worker threads. */
#include "hash/objhash.h"
#include "hash/hash.h"
#include "core/error.h"
#include "core/workers.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIGEST 32

static int sha_start(EVP_MD_CTX *ctx)
{
  if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
    return zm_error_set(ZM_ERROR, "cannot start a SHA-256 digest");
  return 0;
}

static int sha_update(EVP_MD_CTX *ctx, const void *p, size_t n)
{
  if (n && EVP_DigestUpdate(ctx, p, n) != 1)
    return zm_error_set(ZM_ERROR, "SHA-256 update failed");
  return 0;
}

static int sha_end(unsigned char md[DIGEST], EVP_MD_CTX *ctx)
{
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx, md, &len) != 1 || len != DIGEST)
    return zm_error_set(ZM_ERROR, "SHA-256 finalisation failed");
  return 0;
}

static int starts_with_magic(const void *p, size_t len)
{
  return len >= ZM_OBJHASH_MAGIC_LEN && memcmp(p, ZM_OBJHASH_MAGIC, ZM_OBJHASH_MAGIC_LEN) == 0;
}

/* The root digest: MAGIC, the block digests, the length. */
static int root_digest(char out[65], const unsigned char *digests, size_t nblocks, uint64_t len)
{
  unsigned char md[DIGEST], le[8];
  for (int i = 0; i < 8; i++)
    le[i] = (unsigned char)(len >> (8 * i));
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int rc = ctx ? sha_start(ctx) : zm_error_set(ZM_ENOMEM, "out of memory");
  if (rc == 0 && (rc = sha_update(ctx, ZM_OBJHASH_MAGIC, ZM_OBJHASH_MAGIC_LEN)) == 0 &&
      (rc = sha_update(ctx, digests, nblocks * DIGEST)) == 0 &&
      (rc = sha_update(ctx, le, sizeof le)) == 0 && (rc = sha_end(md, ctx)) == 0)
    zm_hash_hex(out, md, DIGEST);
  EVP_MD_CTX_free(ctx);
  return rc;
}

/* The id from the block digests: the only block's digest when the object
 * is `plain` (one block, no magic), else the root digest. */
static int name_from_blocks(char out[65], const unsigned char *digests, size_t nblocks,
                            uint64_t len, int plain)
{
  if (!plain)
    return root_digest(out, digests, nblocks, len);
  zm_hash_hex(out, digests, DIGEST);
  return 0;
}

/* -- streaming ------------------------------------------------------------- */

struct zm_objhasher {
  EVP_MD_CTX *block;    /* the block being fed */
  size_t fill;          /* its bytes so far */
  uint64_t total;       /* bytes fed */
  unsigned char head[ZM_OBJHASH_MAGIC_LEN];
  unsigned char *digests; /* finished blocks' digests */
  size_t ndigests, cap;
};

static int push_digest(zm_objhasher *h)
{
  if (h->ndigests == h->cap) {
    size_t cap = h->cap ? 2 * h->cap : 64;
    unsigned char *p = realloc(h->digests, cap * DIGEST);
    if (!p)
      return zm_error_set(ZM_ENOMEM, "out of memory");
    h->digests = p;
    h->cap = cap;
  }
  int rc = sha_end(h->digests + h->ndigests * DIGEST, h->block);
  if (rc == 0)
    h->ndigests++;
  h->fill = 0;
  return rc ? rc : sha_start(h->block);
}

int zm_objhasher_new(zm_objhasher **out)
{
  zm_objhasher *h = calloc(1, sizeof *h);
  if (!h || !(h->block = EVP_MD_CTX_new())) {
    free(h);
    return zm_error_set(ZM_ENOMEM, "out of memory");
  }
  int rc = sha_start(h->block);
  if (rc) {
    zm_objhasher_free(h);
    return rc;
  }
  *out = h;
  return 0;
}

int zm_objhasher_update(zm_objhasher *h, const void *data, size_t len)
{
  const unsigned char *p = data;
  while (len > 0) {
    if (h->fill == ZM_OBJHASH_BLOCK) {
      int rc = push_digest(h);
      if (rc)
        return rc;
    }
    size_t k = ZM_OBJHASH_BLOCK - h->fill < len ? ZM_OBJHASH_BLOCK - h->fill : len;
    if (h->total < ZM_OBJHASH_MAGIC_LEN) {
      size_t m = ZM_OBJHASH_MAGIC_LEN - (size_t)h->total < k ? ZM_OBJHASH_MAGIC_LEN - (size_t)h->total : k;
      memcpy(h->head + h->total, p, m);
    }
    int rc = sha_update(h->block, p, k);
    if (rc)
      return rc;
    h->fill += k;
    h->total += k;
    p += k;
    len -= k;
  }
  return 0;
}

int zm_objhasher_final(char out[65], zm_objhasher *h)
{
  int rc = 0;
  /* the last block, partial or whole; an empty object is one empty block */
  if (h->fill > 0 || h->ndigests == 0)
    rc = push_digest(h);
  if (rc == 0)
    rc = name_from_blocks(out, h->digests, h->ndigests, h->total,
                          h->ndigests == 1 && !starts_with_magic(h->head, (size_t)h->total));
  h->ndigests = 0;
  h->fill = 0;
  h->total = 0;
  return rc ? rc : sha_start(h->block);
}

void zm_objhasher_free(zm_objhasher *h)
{
  if (!h)
    return;
  EVP_MD_CTX_free(h->block);
  free(h->digests);
  free(h);
}

/* -- blocks on threads ----------------------------------------------------- */

typedef struct block_job {
  const struct iovec *iov;
  size_t n;
  uint64_t len;
  unsigned char *digests;
} block_job;

/* Block k's digest: SHA-256 of its bytes [from, to) of the segments. */
static int hash_block(void *arg, size_t k)
{
  const block_job *j = arg;
  uint64_t from = (uint64_t)k * ZM_OBJHASH_BLOCK;
  uint64_t to = from + ZM_OBJHASH_BLOCK < j->len ? from + ZM_OBJHASH_BLOCK : j->len;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int rc = ctx ? sha_start(ctx) : zm_error_set(ZM_ENOMEM, "out of memory");
  uint64_t base = 0;
  for (size_t i = 0; rc == 0 && i < j->n && base < to; i++) {
    uint64_t seg_end = base + j->iov[i].iov_len;
    if (seg_end > from) {
      uint64_t lo = from > base ? from : base, hi = to < seg_end ? to : seg_end;
      rc = sha_update(ctx, (const char *)j->iov[i].iov_base + (lo - base), (size_t)(hi - lo));
    }
    base = seg_end;
  }
  if (rc == 0)
    rc = sha_end(j->digests + k * DIGEST, ctx);
  EVP_MD_CTX_free(ctx);
  return rc;
}

/* Threads for n blocks: `threads` (<= 0: the worker count), at most n. */
static size_t threads_for(int threads, size_t n)
{
  size_t t = (size_t)(threads > 0 ? threads : zm_workers_or_cores());
  return t < n ? t : n;
}

/* The first bytes of the segments, up to the magic's length. */
static size_t head_bytes(unsigned char *head, const struct iovec *iov, size_t n)
{
  size_t got = 0;
  for (size_t i = 0; i < n && got < ZM_OBJHASH_MAGIC_LEN; i++) {
    size_t k = iov[i].iov_len < ZM_OBJHASH_MAGIC_LEN - got ? iov[i].iov_len
                                                            : ZM_OBJHASH_MAGIC_LEN - got;
    memcpy(head + got, iov[i].iov_base, k);
    got += k;
  }
  return got;
}

int zm_objhash_iov(char out[65], const struct iovec *iov, size_t n, int threads)
{
  uint64_t len = 0;
  for (size_t i = 0; i < n; i++)
    len += iov[i].iov_len;
  unsigned char head[ZM_OBJHASH_MAGIC_LEN];
  size_t nblocks = len == 0 ? 1 : (size_t)((len + ZM_OBJHASH_BLOCK - 1) / ZM_OBJHASH_BLOCK);
  int plain = nblocks == 1 && !starts_with_magic(head, head_bytes(head, iov, n));
  block_job j = {iov, n, len, NULL};
  if (!(j.digests = malloc(nblocks * DIGEST)))
    return zm_error_set(ZM_ENOMEM, "out of memory");
  int rc = zm_jobs_run(nblocks, threads_for(threads, nblocks), hash_block, &j, NULL);
  if (rc == 0)
    rc = name_from_blocks(out, j.digests, nblocks, len, plain);
  free(j.digests);
  return rc;
}

int zm_objhash_buf(char out[65], const void *data, size_t len, int threads)
{
  struct iovec one = {(void *)data, len};
  return zm_objhash_iov(out, &one, 1, threads);
}

/* Blocks of an open file, read with pread in pieces into each job's own
 * buffer: a file that shrinks meanwhile gives a short read and an error,
 * never the SIGBUS a mapping would. */
typedef struct file_job {
  int fd;
  const char *path;
  uint64_t len;
  unsigned char *digests;
} file_job;

#define READ_PIECE ((size_t)64 << 10)

static int read_block(unsigned char *buf, const file_job *j, uint64_t from, size_t want)
{
  for (size_t got = 0; got < want;) {
    ssize_t k = pread(j->fd, buf + got, want - got, (off_t)(from + got));
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0)
      return zm_error_sys(ZM_EIO, "cannot read %s", j->path);
    if (k == 0)
      return zm_error_set(ZM_EIO, "%s changed while it was being read", j->path);
    got += (size_t)k;
  }
  return 0;
}

/* Block k's digest, read a piece at a time (a buffer on the stack: no
 * fresh 4 MiB each block). */
static int hash_file_block(void *arg, size_t k)
{
  const file_job *j = arg;
  unsigned char buf[READ_PIECE];
  uint64_t from = (uint64_t)k * ZM_OBJHASH_BLOCK;
  uint64_t to = from + ZM_OBJHASH_BLOCK < j->len ? from + ZM_OBJHASH_BLOCK : j->len;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int rc = ctx ? sha_start(ctx) : zm_error_set(ZM_ENOMEM, "out of memory");
  for (uint64_t at = from; rc == 0 && at < to; at += READ_PIECE) {
    size_t want = (size_t)(to - at < READ_PIECE ? to - at : READ_PIECE);
    if ((rc = read_block(buf, j, at, want)) == 0)
      rc = sha_update(ctx, buf, want);
  }
  if (rc == 0)
    rc = sha_end(j->digests + k * DIGEST, ctx);
  EVP_MD_CTX_free(ctx);
  return rc;
}

int zm_objhash_file(char out[65], const char *path, int threads)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return zm_error_sys(errno == ENOENT ? ZM_ENOTFOUND : ZM_EIO, "cannot open %s", path);
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int rc = S_ISREG(st.st_mode) ? zm_error_sys(ZM_EIO, "cannot read %s", path)
                                 : zm_error_set(ZM_EIO, "%s is not a regular file", path);
    close(fd);
    return rc;
  }
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  uint64_t len = (uint64_t)st.st_size;
  unsigned char head[ZM_OBJHASH_MAGIC_LEN];
  size_t nblocks = len == 0 ? 1 : (size_t)((len + ZM_OBJHASH_BLOCK - 1) / ZM_OBJHASH_BLOCK);
  file_job j = {fd, path, len, NULL};
  size_t headlen = len < ZM_OBJHASH_MAGIC_LEN ? (size_t)len : ZM_OBJHASH_MAGIC_LEN;
  int rc = read_block(head, &j, 0, headlen);
  if (rc == 0 && !(j.digests = malloc(nblocks * DIGEST)))
    rc = zm_error_set(ZM_ENOMEM, "out of memory");
  if (rc == 0 && (rc = zm_jobs_run(nblocks, threads_for(threads, nblocks), hash_file_block, &j,
                                    NULL)) == 0)
    rc = name_from_blocks(out, j.digests, nblocks, len,
                          nblocks == 1 && !starts_with_magic(head, headlen));
  free(j.digests);
  close(fd);
  return rc;
}
