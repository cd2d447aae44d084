/* Hashing files through the stat cache, at once or on a thread while the
 * caller does something else (a datasource parses the file it hashes). */
#include "core/error.h"
#include "hash/hash.h"
#include "meta/meta_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct zm_meta_hash_job {
  char *path;
  struct stat before;
  char hex[65];
  int cached;   /* the digest came from the stat cache */
  int threaded; /* `thread` runs (or ran) the hash */
  int deferred; /* not cached and not started yet (zm_meta_hash_probe) */
  pthread_t thread;
  int rc;
  char msg[512]; /* the thread's error message (messages are thread-local) */
};

static int64_t mtime_ns(const struct stat *st)
{
  return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static int same_file(const struct stat *a, const struct stat *b)
{
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
         mtime_ns(a) == mtime_ns(b);
}

/* A file written within this window may still be changing inside the same
 * mtime tick, so its hash is not remembered (git's "racy clean" problem). */
#define RACY_NS 2000000000LL

static void *hash_thread(void *arg)
{
  zm_meta_hash_job *j = arg;
  j->rc = zm_hash_file(j->hex, j->path);
  if (j->rc)
    snprintf(j->msg, sizeof j->msg, "%s", zm_error_last());
  return NULL;
}

int zm_meta_hash_probe(zm_meta_hash_job **out, zm_meta *m, const char *path)
{
  *out = NULL;
  zm_meta_hash_job *j = calloc(1, sizeof *j);
  if (!j || !(j->path = strdup(path))) {
    free(j);
    return zm_error_set(ZM_ENOMEM, "out of memory");
  }
  int rc = 0;
  if (stat(path, &j->before) != 0) {
    rc = zm_error_sys(ZM_EIO, "cannot read %s", path);
    goto done;
  }
  if (!S_ISREG(j->before.st_mode)) { /* /dev/zero or a FIFO would never end */
    rc = zm_error_set(ZM_EINVALID, "%s: not a regular file", path);
    goto done;
  }
  rc = zm_meta_stat_get(j->hex, m, (int64_t)j->before.st_dev, (int64_t)j->before.st_ino,
                        (int64_t)j->before.st_size, mtime_ns(&j->before));
  if (rc != ZM_ENOTFOUND) {
    j->cached = rc == 0;
    goto done;
  }
  rc = 0;
  j->deferred = 1;
done:
  if (rc) {
    zm_meta_hash_job_free(j);
    return rc;
  }
  *out = j;
  return 0;
}

void zm_meta_hash_start(zm_meta_hash_job *j, int threaded)
{
  if (!j->deferred)
    return;
  j->deferred = 0;
  if (threaded && pthread_create(&j->thread, NULL, hash_thread, j) == 0)
    j->threaded = 1;
  else
    hash_thread(j);
}

int zm_meta_hash_begin(zm_meta_hash_job **out, zm_meta *m, const char *path, int threaded)
{
  int rc = zm_meta_hash_probe(out, m, path);
  if (rc == 0)
    zm_meta_hash_start(*out, threaded);
  return rc;
}

int zm_meta_hash_pending(const zm_meta_hash_job *j)
{
  return j->threaded || j->deferred;
}

int zm_meta_hash_end(char out[65], zm_meta *m, zm_meta_hash_job *j)
{
  zm_meta_hash_start(j, 0);
  if (j->threaded) {
    pthread_join(j->thread, NULL);
    j->threaded = 0;
  }
  int rc = j->rc ? zm_error_set(j->rc, "%s", j->msg) : 0;
  if (rc == 0)
    memcpy(out, j->hex, 65);
  if (rc || j->cached)
    return rc;
  struct stat after;
  int64_t now_ns = (int64_t)(zm__meta_now() * 1e9);
  if (stat(j->path, &after) != 0 || !same_file(&j->before, &after) ||
      now_ns - mtime_ns(&after) < RACY_NS)
    return 0;
  return zm_meta_stat_put(m, (int64_t)after.st_dev, (int64_t)after.st_ino,
                          (int64_t)after.st_size, mtime_ns(&after), out);
}

void zm_meta_hash_job_free(zm_meta_hash_job *j)
{
  if (!j)
    return;
  if (j->threaded)
    pthread_join(j->thread, NULL);
  free(j->path);
  free(j);
}

int zm_meta_hash_file(char out[65], zm_meta *m, const char *path)
{
  zm_meta_hash_job *j = NULL;
  int rc = zm_meta_hash_begin(&j, m, path, 0);
  if (rc == 0)
    rc = zm_meta_hash_end(out, m, j);
  zm_meta_hash_job_free(j);
  return rc;
}
