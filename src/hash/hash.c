#include "hash/hash.h"
#include "core/error.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 1 MiB reads: large enough that the syscall cost vanishes next to the
 * hashing, small enough to stay in L2/L3 between read() and the digest. */
#define READ_CHUNK (1u << 20)

struct zm_hasher {
  EVP_MD_CTX *ctx;
};

void zm_hash_hex(char *out, const unsigned char *bytes, size_t n)
{
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 15];
  }
  out[2 * n] = '\0';
}

int zm_hasher_new(zm_hasher **out)
{
  zm_hasher *h = calloc(1, sizeof *h);
  if (!h)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  h->ctx = EVP_MD_CTX_new();
  if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
    zm_hasher_free(h);
    return zm_error_set(ZM_ERROR, "cannot start a SHA-256 digest");
  }
  *out = h;
  return 0;
}

int zm_hasher_update(zm_hasher *h, const void *data, size_t len)
{
  if (EVP_DigestUpdate(h->ctx, data, len) != 1)
    return zm_error_set(ZM_ERROR, "SHA-256 update failed");
  return 0;
}

int zm_hasher_final(char out[ZM_HASH_HEX_SIZE], zm_hasher *h)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(h->ctx, md, &len) != 1 || len != 32 ||
      EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
    return zm_error_set(ZM_ERROR, "SHA-256 finalisation failed");
  zm_hash_hex(out, md, 32);
  return 0;
}

void zm_hasher_free(zm_hasher *h)
{
  if (!h)
    return;
  EVP_MD_CTX_free(h->ctx);
  free(h);
}

int zm_hash_buf(char out[ZM_HASH_HEX_SIZE], const void *data, size_t len)
{
  unsigned char md[32];
  unsigned int mdlen = 0;
  if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
    return zm_error_set(ZM_ERROR, "SHA-256 failed");
  zm_hash_hex(out, md, 32);
  return 0;
}

/* Hash an open descriptor using a caller-provided buffer. */
static int hash_fd_with(char out[ZM_HASH_HEX_SIZE], int fd, const char *name,
                        zm_hasher *h, unsigned char *buf)
{
  for (;;) {
    ssize_t got = read(fd, buf, READ_CHUNK);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return zm_error_sys(ZM_EIO, "cannot read %s", name);
    if (got == 0)
      break;
    int rc = zm_hasher_update(h, buf, (size_t)got);
    if (rc)
      return zm_error_wrap(rc, "%s", name);
  }
  return zm_hasher_final(out, h);
}

/* One worker's scratch: a hasher and a read buffer, reused across files. */
typedef struct scratch {
  zm_hasher *h;
  unsigned char *buf;
} scratch;

static int scratch_init(scratch *s)
{
  s->buf = NULL;
  int rc = zm_hasher_new(&s->h);
  if (rc)
    return rc;
  s->buf = malloc(READ_CHUNK);
  if (!s->buf) {
    zm_hasher_free(s->h);
    return zm_error_set(ZM_ENOMEM, "out of memory");
  }
  return 0;
}

static void scratch_free(scratch *s)
{
  zm_hasher_free(s->h);
  free(s->buf);
}

static int hash_path_with(char out[ZM_HASH_HEX_SIZE], const char *path, scratch *s)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return zm_error_sys(errno == ENOENT ? ZM_ENOTFOUND : ZM_EIO, "cannot open %s", path);
  /* Tell the kernel to read ahead aggressively: this is a straight scan. */
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  int rc = hash_fd_with(out, fd, path, s->h, s->buf);
  close(fd);
  return rc;
}

int zm_hash_fd(char out[ZM_HASH_HEX_SIZE], int fd, const char *name)
{
  scratch s;
  int rc = scratch_init(&s);
  if (rc)
    return rc;
  rc = hash_fd_with(out, fd, name, s.h, s.buf);
  scratch_free(&s);
  return rc;
}

int zm_hash_file(char out[ZM_HASH_HEX_SIZE], const char *path)
{
  scratch s;
  int rc = scratch_init(&s);
  if (rc)
    return rc;
  rc = hash_path_with(out, path, &s);
  scratch_free(&s);
  return rc;
}

/* Shared state of a zm_hash_files call: workers take the next index under
 * the lock; the first failure is kept (message copied, as messages are
 * thread-local) and stops the others. */
typedef struct job {
  char (*out)[ZM_HASH_HEX_SIZE];
  const char **paths;
  size_t n, next;
  int rc;
  char msg[2048];
  pthread_mutex_t lock;
} job;

static int job_take(job *j, size_t *out)
{
  pthread_mutex_lock(&j->lock);
  int ok = j->rc == 0 && j->next < j->n;
  if (ok)
    *out = j->next++;
  pthread_mutex_unlock(&j->lock);
  return ok;
}

static void job_fail(job *j, int rc)
{
  pthread_mutex_lock(&j->lock);
  if (j->rc == 0) {
    j->rc = rc;
    snprintf(j->msg, sizeof j->msg, "%s", zm_error_last());
  }
  pthread_mutex_unlock(&j->lock);
}

static void *job_worker(void *arg)
{
  job *j = arg;
  scratch s;
  int rc = scratch_init(&s);
  if (rc) {
    job_fail(j, rc);
    return NULL;
  }
  size_t i;
  while (job_take(j, &i)) {
    rc = hash_path_with(j->out[i], j->paths[i], &s);
    if (rc)
      job_fail(j, rc);
  }
  scratch_free(&s);
  return NULL;
}

int zm_hash_files(char (*out)[ZM_HASH_HEX_SIZE], const char **paths, size_t n, int nthreads)
{
  if (nthreads <= 0) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    nthreads = cores > 0 ? (int)cores : 1;
  }
  if ((size_t)nthreads > n)
    nthreads = n > 0 ? (int)n : 1;
  job j = {.out = out, .paths = paths, .n = n};
  pthread_mutex_init(&j.lock, NULL);
  pthread_t *tids = calloc((size_t)nthreads, sizeof *tids);
  if (!tids) {
    pthread_mutex_destroy(&j.lock);
    return zm_error_set(ZM_ENOMEM, "out of memory");
  }
  int started = 0;
  for (; started < nthreads - 1; started++)
    if (pthread_create(&tids[started], NULL, job_worker, &j) != 0)
      break;
  job_worker(&j); /* the calling thread works too */
  for (int t = 0; t < started; t++)
    pthread_join(tids[t], NULL);
  free(tids);
  pthread_mutex_destroy(&j.lock);
  if (j.rc)
    return zm_error_set(j.rc, "%s", j.msg);
  return 0;
}
