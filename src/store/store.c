/* The artifact store: opening, ids, and durable puts (single and batched). */
#include "store/store_int.h"
#include "core/error.h"
#include "core/fault.h"
#include "core/fs.h"
#include "core/workers.h"
#include "hash/objhash.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_CHUNK (1u << 20)
#define WRITEBACK_CHUNK ((size_t)8 << 20)
#define ID_PREFIX "sha256:"
#define ID_PREFIX_LEN 7

int store_path_fmt(char *out, size_t cap, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(out, cap, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= cap)
    return zm_error_set(ZM_EINVALID, "path too long: %s...", out);
  return 0;
}

static char *join(const char *a, const char *b)
{
  size_t n = strlen(a) + strlen(b) + 2;
  char *p = malloc(n);
  if (p)
    snprintf(p, n, "%s/%s", a, b);
  return p;
}

static void host_name(char *out, size_t cap)
{
  char name[256] = "";
  gethostname(name, sizeof name - 1);
  size_t i = 0;
  /* Only [A-Za-z0-9_] so the name parses back unambiguously. */
  for (const char *p = name; *p && i + 1 < cap; p++)
    out[i++] = isalnum((unsigned char)*p) ? *p : '_';
  out[i] = '\0';
  if (i == 0)
    snprintf(out, cap, "localhost");
}

/* A new store gets its 256 fan-out folders at once, synced once: a run's
 * first few hundred puts then create only their own files (creating a folder
 * costs as much as creating a file, and a new one needs objects/ synced). */
static int make_fanout(zm_store *s)
{
  char dir[PATH_MAX];
  for (int i = 0; i < 256; i++) {
    snprintf(dir, sizeof dir, "%s/%02x", s->objects, i);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
      return zm_error_sys(ZM_EIO, "cannot create folder %s", dir);
    s->known_dirs[i] = 1;
  }
  return zm_fs_sync_parent(dir);
}

int zm_store_open(zm_store **out, const char *root)
{
  zm_store *s = calloc(1, sizeof *s);
  if (!s)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  int rc = 0;
  s->root = strdup(root);
  s->objects = join(root, "objects");
  s->tmp = join(root, "tmp");
  s->lock_slot = -1;
  pthread_mutex_init(&s->lock, NULL);
  pthread_mutex_init(&s->lent_lock, NULL);
  host_name(s->host, sizeof s->host);
  if (!s->root || !s->objects || !s->tmp) {
    rc = zm_error_set(ZM_ENOMEM, "out of memory");
    goto done;
  }
  int fresh = access(s->objects, F_OK) != 0;
  if ((rc = zm_fs_mkdir_p(s->objects)) || (rc = zm_fs_mkdir_p(s->tmp)) ||
      (fresh && (rc = make_fanout(s)))) {
    zm_error_wrap(rc, "cannot open artifact store %s", root);
    goto done;
  }
  if ((rc = store_lock_open(s)))
    goto done;
  *out = s;
  s = NULL;
done:
  zm_store_free(s);
  return rc;
}

void zm_store_free(zm_store *s)
{
  if (!s)
    return;
  /* Queued puts may already be referenced by metadata: keep them. */
  zm_store_write_behind(s, 0);
  store_lent_release(s);
  zm_store_batch_abort(s);
  store_lock_close(s);
  pthread_mutex_destroy(&s->lock);
  pthread_mutex_destroy(&s->lent_lock);
  free(s->root);
  free(s->objects);
  free(s->tmp);
  free(s);
}

const char *zm_store_root(const zm_store *s)
{
  return s->root;
}

int zm_store_id_check(const char *id)
{
  if (id && strncmp(id, ID_PREFIX, ID_PREFIX_LEN) == 0 && strlen(id) == ZM_STORE_ID_SIZE - 1) {
    const char *p = id + ID_PREFIX_LEN;
    while (*p && (isdigit((unsigned char)*p) || (*p >= 'a' && *p <= 'f')))
      p++;
    if (*p == '\0')
      return 0;
  }
  return zm_error_set(ZM_EINVALID, "invalid artifact id '%s'", id ? id : "(null)");
}

void store_object_path(char *out, size_t cap, const zm_store *s, const char *hex)
{
  snprintf(out, cap, "%s/%.2s/%s", s->objects, hex, hex + 2);
}

/* The object path of a well-formed id into out[cap]. */
static int checked_object_path(char *out, size_t cap, const zm_store *s, const char *id)
{
  int rc = zm_store_id_check(id);
  if (rc)
    return rc;
  if (strlen(s->objects) + 68 >= cap)
    return zm_error_set(ZM_EINVALID, "path buffer too small for %s", id);
  store_object_path(out, cap, s, id + ID_PREFIX_LEN);
  return 0;
}

int zm_store_path(char *out, size_t cap, const zm_store *s, const char *id)
{
  int rc = checked_object_path(out, cap, s, id);
  /* A caller keeps a path for later: a queued object must be in place. */
  return rc ? rc : store_behind_settle(s, id + ID_PREFIX_LEN);
}

int zm_store_read_path(char *out, size_t cap, const zm_store *s, const char *id)
{
  int rc = checked_object_path(out, cap, s, id);
  if (rc == 0 && access(out, F_OK) != 0)
    store_behind_lend(out, cap, s, id + ID_PREFIX_LEN); /* else stays the object path */
  return rc;
}

static void make_id(char out[ZM_STORE_ID_SIZE], const char *hex)
{
  snprintf(out, ZM_STORE_ID_SIZE, ID_PREFIX "%s", hex);
}

/* The fan-out folder number of a digest: its first byte. */
static int hex_byte(const char *hex)
{
  unsigned v = 0;
  sscanf(hex, "%2x", &v);
  return (int)(v & 0xff);
}

static int object_exists(const zm_store *s, const char *hex)
{
  char path[PATH_MAX];
  store_object_path(path, sizeof path, s, hex);
  return access(path, F_OK) == 0 || store_behind_tmp(path, sizeof path, s, hex);
}

/* Whether a put syncs its own temp file: not in a batch, nor behind. */
static int durable(const zm_store *s, const store_batch *b)
{
  return b == NULL && !store_behind_active(s);
}

static int sync_dir(const char *dir)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return zm_error_sys(ZM_EIO, "cannot open folder %s", dir);
  int rc = fsync(fd) == 0 ? 0 : zm_error_sys(ZM_EIO, "cannot sync folder %s", dir);
  close(fd);
  return rc;
}

/* Make objects/ab for `hex`; when it is new and `durable`, sync objects/ so
 * the folder itself survives a crash. Batched puts pass 0: the commit's
 * syncfs covers the new folder, and a folder fsync here would force a
 * journal commit that stalls every file creation behind it. */
static int fanout_dir(char *dir, size_t cap, zm_store *s, const char *hex, int durable)
{
  snprintf(dir, cap, "%s/%.2s", s->objects, hex);
  int byte = hex_byte(hex);
  if (__atomic_load_n(&s->known_dirs[byte], __ATOMIC_RELAXED))
    return 0;
  if (mkdir(dir, 0777) == 0) {
    __atomic_store_n(&s->known_dirs[byte], 1, __ATOMIC_RELAXED);
    return durable ? sync_dir(s->objects) : 0;
  }
  if (errno == EEXIST) {
    __atomic_store_n(&s->known_dirs[byte], 1, __ATOMIC_RELAXED);
    return 0;
  }
  return zm_error_sys(ZM_EIO, "cannot create folder %s", dir);
}

/* A temp file in `dir`, named so gc can tell whose it is and when it is stale. */
static int tmp_create(int *out, char *path, size_t cap, const zm_store *s, const char *dir)
{
  int rc = store_path_fmt(path, cap, "%s/" TMP_PREFIX "%ld.%s-XXXXXX", dir, (long)getpid(),
                          s->host);
  if (rc)
    return rc;
  int fd = mkostemp(path, O_CLOEXEC);
  if (fd < 0)
    return zm_error_sys(ZM_EIO, "cannot create a temporary file in %s", dir);
  *out = fd;
  return 0;
}

int store_tmp_name(const zm_store *s, const char *name, long *out_pid, int *out_same_host)
{
  if (strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) != 0)
    return 0;
  const char *p = name + strlen(TMP_PREFIX);
  char *end;
  long pid = strtol(p, &end, 10);
  if (end == p || *end != '.')
    return 0;
  const char *host = end + 1, *dash = strrchr(host, '-');
  if (!dash)
    return 0;
  *out_pid = pid;
  *out_same_host = strlen(s->host) == (size_t)(dash - host) &&
                   strncmp(host, s->host, (size_t)(dash - host)) == 0;
  return 1;
}

static int write_all(int fd, const void *data, size_t len, const char *path)
{
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return zm_error_sys(ZM_EIO, "cannot write %s", path);
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Finish a written temp file: fsync unless batched, make it read-only, close.
 * Closes `fd` and removes the file on failure. */
static int tmp_finish(int fd, const char *tmp, int durable)
{
  int rc = 0;
  if (durable && fdatasync(fd) != 0)
    rc = zm_error_sys(ZM_EIO, "cannot sync %s", tmp);
  else if (fchmod(fd, 0444) != 0)
    rc = zm_error_sys(ZM_EIO, "cannot make %s read-only", tmp);
  if (close(fd) != 0 && rc == 0)
    rc = zm_error_sys(ZM_EIO, "cannot close %s", tmp);
  if (rc)
    unlink(tmp);
  return rc;
}

static int batch_add(store_batch *b, const char *tmp, const char *hex)
{
  if (b->n == b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 64;
    pending *p = realloc(b->items, cap * sizeof *p);
    if (!p)
      return zm_error_set(ZM_ENOMEM, "out of memory");
    b->items = p;
    b->cap = cap;
  }
  char *copy = strdup(tmp);
  if (!copy)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  b->items[b->n].tmp = copy;
  memcpy(b->items[b->n].hex, hex, 65);
  b->n++;
  return 0;
}

/* Rename a finished temp file into place (durable put) or queue it. The
 * rename may replace an identical object another process just stored. */
static int settle_here(zm_store *s, store_batch *b, const char *tmp, const char *hex)
{
  int rc;
  if (!b && store_behind_active(s))
    return store_behind_add(s, tmp, hex);
  if (b) {
    pthread_mutex_lock(&s->lock);
    rc = batch_add(b, tmp, hex);
    pthread_mutex_unlock(&s->lock);
    if (rc)
      unlink(tmp);
    return rc;
  }
  char dir[PATH_MAX], path[PATH_MAX];
  if ((rc = fanout_dir(dir, sizeof dir, s, hex, 1))) {
    unlink(tmp);
    return rc;
  }
  store_object_path(path, sizeof path, s, hex);
  zm_fault("store.put.written");
  if (rename(tmp, path) != 0) {
    rc = zm_error_sys(ZM_EIO, "cannot rename %s to %s", tmp, path);
    unlink(tmp);
    return rc;
  }
  zm_fault("store.put.renamed");
  return sync_dir(dir);
}

/* Settle, remembering that these bytes were this process's own. */
static int settle(zm_store *s, store_batch *b, const char *tmp, const char *hex)
{
  int rc = settle_here(s, b, tmp, hex);
  if (rc == 0)
    store_note_written(s, hex);
  return rc;
}

/* The end of a put whose temp file `tmp` (open as `fd`) holds the bytes
 * of digest `hex`: drop it when the object exists, else sync and place it. */
static int place_written(char out[ZM_STORE_ID_SIZE], zm_store *s, int fd, const char *tmp,
                         const char *hex)
{
  make_id(out, hex);
  if (object_exists(s, hex)) {
    close(fd);
    unlink(tmp);
    return 0;
  }
  int rc = tmp_finish(fd, tmp, durable(s, NULL));
  return rc ? rc : settle(s, NULL, tmp, hex);
}

int zm_store_tmp_open(int *out, char *path, size_t cap, const zm_store *s)
{
  return tmp_create(out, path, cap, s, s->tmp);
}

int zm_store_is_tmp(const zm_store *s, const char *path)
{
  size_t n = strlen(s->tmp);
  return strncmp(path, s->tmp, n) == 0 && path[n] == '/' && !strchr(path + n + 1, '/');
}

int zm_store_put_mapped(char out[ZM_STORE_ID_SIZE], zm_store *s, const void *data, size_t len,
                        int fd, const char *tmp)
{
  char hex[65];
  /* Start writing the pages back now: the disk works while we hash, and the
   * sync before the rename (or the write-behind commit) finds little left. */
  sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  int rc = zm_store_is_tmp(s, tmp)
               ? zm_objhash_buf(hex, data, len, 0)
               : zm_error_set(ZM_EINVALID, "%s is not a temporary file of store %s", tmp, s->root);
  if (rc) {
    close(fd);
    unlink(tmp);
    return rc;
  }
  return place_written(out, s, fd, tmp, hex);
}

/* The id of a list of segments, computed on its own thread (with the
 * caller's worker count: thread-local, so passed): error messages are
 * thread-local too, so a failure's text is copied out. */
typedef struct iov_hash {
  const struct iovec *iov;
  size_t n;
  int threads;
  char hex[65];
  int rc;
  char msg[512];
} iov_hash;

static void *hash_iov(void *arg)
{
  iov_hash *job = arg;
  int rc = zm_objhash_iov(job->hex, job->iov, job->n, job->threads);
  if (rc)
    snprintf(job->msg, sizeof job->msg, "%s", zm_error_last());
  job->rc = rc;
  return NULL;
}

/* Write the segments, asking the kernel to start writing each chunk back
 * as soon as it is in the page cache: the fdatasync before the rename then
 * finds little left to flush, instead of all of it. done(ctx, i + 1), when
 * given, follows segment i. */
static int write_iov(int fd, const struct iovec *iov, size_t n, const char *tmp,
                     void (*done)(void *ctx, size_t k), void *ctx)
{
  size_t written = 0, flushed = 0;
  for (size_t i = 0; i < n; i++) {
    const char *p = iov[i].iov_base;
    size_t left = iov[i].iov_len;
    while (left > 0) {
      size_t k = left < WRITEBACK_CHUNK ? left : WRITEBACK_CHUNK;
      int rc = write_all(fd, p, k, tmp);
      if (rc)
        return rc;
      p += k;
      left -= k;
      written += k;
      if (written - flushed >= WRITEBACK_CHUNK) {
        sync_file_range(fd, (off_t)flushed, (off_t)(written - flushed), SYNC_FILE_RANGE_WRITE);
        flushed = written;
      }
    }
    if (done)
      done(ctx, i + 1);
  }
  return 0;
}

int zm_store_put_iov(char out[ZM_STORE_ID_SIZE], zm_store *s, const struct iovec *iov, size_t n)
{
  char tmp[PATH_MAX];
  iov_hash job = {.iov = iov, .n = n, .threads = zm_workers_or_cores()};
  pthread_t thread;
  int fd = -1, rc = tmp_create(&fd, tmp, sizeof tmp, s, s->tmp);
  if (rc)
    return rc;
  /* The bytes are in memory already: hashing them beside the write costs
   * no extra pass over the file. Without a thread (or with one worker
   * allowed, Threads {workers = 1}), hash first. */
  int threaded = job.threads > 1 && pthread_create(&thread, NULL, hash_iov, &job) == 0;
  if (!threaded)
    hash_iov(&job);
  rc = write_iov(fd, iov, n, tmp, NULL, NULL);
  if (threaded)
    pthread_join(thread, NULL);
  if (rc == 0 && job.rc)
    rc = zm_error_set(job.rc, "%s", job.msg);
  if (rc) {
    close(fd);
    unlink(tmp);
    return rc;
  }
  return place_written(out, s, fd, tmp, job.hex);
}

int zm_store_put_iov_each(char out[ZM_STORE_ID_SIZE], zm_store *s, const struct iovec *iov,
                          size_t n, void (*done)(void *ctx, size_t k), void *ctx)
{
  char hex[65], tmp[PATH_MAX];
  int fd = -1, rc = zm_objhash_iov(hex, iov, n, zm_workers_or_cores());
  if (rc)
    return rc;
  if (object_exists(s, hex)) {
    make_id(out, hex);
    done(ctx, n);
    return 0;
  }
  if ((rc = tmp_create(&fd, tmp, sizeof tmp, s, s->tmp)))
    return rc;
  if ((rc = write_iov(fd, iov, n, tmp, done, ctx))) {
    close(fd);
    unlink(tmp);
    return rc;
  }
  return place_written(out, s, fd, tmp, hex);
}

int store_put_buf(char out[ZM_STORE_ID_SIZE], zm_store *s, store_batch *b, const void *data,
                  size_t len)
{
  char hex[65], dir[PATH_MAX], tmp[PATH_MAX];
  int fd = -1, rc = zm_objhash_buf(hex, data, len, 0);
  if (rc)
    return rc;
  make_id(out, hex);
  if (object_exists(s, hex))
    return 0;
  if ((rc = fanout_dir(dir, sizeof dir, s, hex, durable(s, b))) ||
      (rc = tmp_create(&fd, tmp, sizeof tmp, s, dir)))
    return rc;
  if ((rc = write_all(fd, data, len, tmp))) {
    close(fd);
    unlink(tmp);
    return rc;
  }
  if ((rc = tmp_finish(fd, tmp, durable(s, b))))
    return rc;
  return settle(s, b, tmp, hex);
}

/* Copy everything `read` yields into a new temp file in `dir`, hashing it on
 * the way; on success the temp file is finished and its path is in `tmp`. */
static int spool(char hex[65], char *tmp, size_t cap, zm_store *s, const char *dir, int durable,
                 zm_store_reader read, void *ctx)
{
  zm_objhasher *h = NULL;
  char *buf = malloc(COPY_CHUNK);
  int fd = -1, rc = buf ? zm_objhasher_new(&h) : zm_error_set(ZM_ENOMEM, "out of memory");
  if (rc || (rc = tmp_create(&fd, tmp, cap, s, dir)))
    goto done;
  for (;;) {
    ssize_t got = read(ctx, buf, COPY_CHUNK);
    if (got < 0) {
      rc = (int)got;
      goto done;
    }
    if (got == 0)
      break;
    if ((rc = zm_objhasher_update(h, buf, (size_t)got)) || (rc = write_all(fd, buf, (size_t)got, tmp)))
      goto done;
  }
  if ((rc = zm_objhasher_final(hex, h)))
    goto done;
  rc = tmp_finish(fd, tmp, durable);
  fd = -1;
done:
  if (fd >= 0) {
    close(fd);
    unlink(tmp);
  }
  zm_objhasher_free(h);
  free(buf);
  return rc;
}

typedef struct fd_source {
  int fd;
  const char *name;
} fd_source;

static ssize_t fd_read(void *ctx, void *buf, size_t cap)
{
  fd_source *src = ctx;
  for (;;) {
    ssize_t got = read(src->fd, buf, cap);
    if (got >= 0)
      return got;
    if (errno != EINTR)
      return zm_error_sys(ZM_EIO, "cannot read %s", src->name);
  }
}

static int put_stream_in(char out[ZM_STORE_ID_SIZE], zm_store *s, store_batch *b,
                         zm_store_reader read, void *ctx)
{
  /* The id is unknown until the last byte, so spool into tmp/ and rename
   * across folders (same file system) once it is known. */
  char hex[65], tmp[PATH_MAX];
  int rc = spool(hex, tmp, sizeof tmp, s, s->tmp, durable(s, b), read, ctx);
  if (rc)
    return rc;
  make_id(out, hex);
  if (object_exists(s, hex)) {
    unlink(tmp);
    return 0;
  }
  return settle(s, b, tmp, hex);
}

int store_put_file(char out[ZM_STORE_ID_SIZE], zm_store *s, store_batch *b, const char *path)
{
  /* Hash first: storing a file that is already there then costs one read
   * and no write. The copy is re-hashed so a file changed in between is
   * caught rather than stored under the wrong id. */
  char hex[65], again[65], dir[PATH_MAX], tmp[PATH_MAX];
  int rc = zm_objhash_file(hex, path, 0);
  if (rc)
    return rc;
  make_id(out, hex);
  if (object_exists(s, hex))
    return 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return zm_error_sys(errno == ENOENT ? ZM_ENOTFOUND : ZM_EIO, "cannot open %s", path);
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  fd_source src = {fd, path};
  if (!(rc = fanout_dir(dir, sizeof dir, s, hex, durable(s, b))))
    rc = spool(again, tmp, sizeof tmp, s, dir, durable(s, b), fd_read, &src);
  close(fd);
  if (rc)
    return rc;
  if (strcmp(hex, again) != 0) {
    unlink(tmp);
    return zm_error_set(ZM_EIO, "%s changed while it was being stored", path);
  }
  return settle(s, b, tmp, hex);
}

static store_batch *current_batch(zm_store *s)
{
  pthread_mutex_lock(&s->lock);
  store_batch *b = s->batch;
  pthread_mutex_unlock(&s->lock);
  return b;
}

int zm_store_put_buf(char out[ZM_STORE_ID_SIZE], zm_store *s, const void *data, size_t len)
{
  return store_put_buf(out, s, current_batch(s), data, len);
}

int zm_store_put_file(char out[ZM_STORE_ID_SIZE], zm_store *s, const char *path)
{
  return store_put_file(out, s, current_batch(s), path);
}

int zm_store_put_fd(char out[ZM_STORE_ID_SIZE], zm_store *s, int fd, const char *name)
{
  fd_source src = {fd, name};
  return put_stream_in(out, s, current_batch(s), fd_read, &src);
}

int zm_store_put_stream(char out[ZM_STORE_ID_SIZE], zm_store *s, zm_store_reader read,
                        void *ctx)
{
  return put_stream_in(out, s, current_batch(s), read, ctx);
}

void store_batch_abort(store_batch *b)
{
  if (!b)
    return;
  for (size_t i = 0; i < b->n; i++) {
    unlink(b->items[i].tmp);
    free(b->items[i].tmp);
  }
  free(b->items);
  free(b);
}

/* Flush every dirty page and inode of the store's file system at once: far
 * cheaper than one fsync per file when there are thousands. */
int store_sync_fs(const zm_store *s)
{
  int fd = open(s->objects, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return zm_error_sys(ZM_EIO, "cannot open folder %s", s->objects);
  int rc = syncfs(fd) == 0 ? 0 : zm_error_sys(ZM_EIO, "cannot sync the file system of %s",
                                              s->objects);
  close(fd);
  return rc;
}

/* Rename one synced temp file into place; marks its fan-out folder touched. */
static int batch_place(zm_store *s, const pending *p, unsigned char touched[256])
{
  char dir[PATH_MAX], path[PATH_MAX];
  /* After the syncfs, so a folder made now must be synced on its own. */
  int rc = fanout_dir(dir, sizeof dir, s, p->hex, 1);
  if (rc)
    return rc;
  store_object_path(path, sizeof path, s, p->hex);
  zm_fault("store.put.written");
  if (rename(p->tmp, path) != 0)
    return zm_error_sys(ZM_EIO, "cannot rename %s to %s", p->tmp, path);
  touched[strtoul((char[3]){p->hex[0], p->hex[1], 0}, NULL, 16)] = 1;
  return 0;
}

int store_batch_commit(zm_store *s, store_batch *b)
{
  unsigned char touched[256] = {0};
  int rc = b->n ? store_sync_fs(s) : 0;
  /* Contents are durable before any rename, so a crash from here on can
   * only expose complete objects. */
  for (size_t i = 0; rc == 0 && i < b->n; i++) {
    rc = batch_place(s, &b->items[i], touched);
    if (rc == 0) {
      free(b->items[i].tmp);
      b->items[i].tmp = NULL;
    }
  }
  for (int d = 0; rc == 0 && d < 256; d++) {
    char dir[PATH_MAX];
    if (!touched[d])
      continue;
    snprintf(dir, sizeof dir, "%s/%02x", s->objects, d);
    rc = sync_dir(dir);
  }
  for (size_t i = 0; i < b->n; i++) {
    if (b->items[i].tmp)
      unlink(b->items[i].tmp);
    free(b->items[i].tmp);
  }
  free(b->items);
  free(b);
  return rc;
}

int zm_store_batch_begin(zm_store *s)
{
  store_batch *b = calloc(1, sizeof *b);
  if (!b)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  pthread_mutex_lock(&s->lock);
  store_batch *old = s->batch;
  if (!old)
    s->batch = b;
  pthread_mutex_unlock(&s->lock);
  if (old) {
    free(b);
    return zm_error_set(ZM_EINVALID, "a batch is already open on store %s", s->root);
  }
  return 0;
}

int zm_store_batch_commit(zm_store *s)
{
  pthread_mutex_lock(&s->lock);
  store_batch *b = s->batch;
  s->batch = NULL;
  pthread_mutex_unlock(&s->lock);
  return b ? store_batch_commit(s, b) : 0;
}

void zm_store_batch_abort(zm_store *s)
{
  pthread_mutex_lock(&s->lock);
  store_batch *b = s->batch;
  s->batch = NULL;
  pthread_mutex_unlock(&s->lock);
  store_batch_abort(b);
}
