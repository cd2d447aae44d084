/* Tree artifacts: a folder stored as one object per file plus a manifest.
 * The manifest (docs/store.md) is text:
 *   zenml-tree 1
 *   <mode> <size> <id> <path>      one line per file, sorted by path bytes
 * with mode 644 or 755 and '/'-separated relative paths; no timestamps, so
 * the same folder content always gives the same tree id. */
#include "store/store_int.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/fault.h"
#include "core/fs.h"
#include "core/workers.h"
#include "hash/objhash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_CHUNK (1u << 20)

void tree_free(tree *t)
{
  if (!t)
    return;
  for (size_t i = 0; i < t->n; i++)
    free(t->items[i].path);
  free(t->items);
  t->items = NULL;
  t->n = t->cap = 0;
}

/* Append an entry, taking ownership of `path`. */
static int tree_add(tree *t, char *path, unsigned mode, uint64_t size)
{
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 32;
    tree_entry *p = realloc(t->items, cap * sizeof *p);
    if (!p) {
      free(path);
      return zm_error_set(ZM_ENOMEM, "out of memory");
    }
    t->items = p;
    t->cap = cap;
  }
  t->items[t->n++] = (tree_entry){.path = path, .mode = mode, .size = size};
  return 0;
}

/* Add the regular file `full` (relative name `rel`) after following links. */
static int walk_file(tree *t, const char *full, const char *rel)
{
  struct stat st;
  if (stat(full, &st) != 0)
    return zm_error_sys(ZM_EIO, "cannot stat %s", full);
  if (!S_ISREG(st.st_mode))
    return zm_error_set(ZM_EINVALID, "cannot store %s in a tree: not a regular file or folder",
                        full);
  if (strchr(rel, '\n'))
    return zm_error_set(ZM_EINVALID, "cannot store %s in a tree: its name holds a newline", full);
  char *copy = strdup(rel);
  if (!copy)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  return tree_add(t, copy, (st.st_mode & 0111) ? 0755 : 0644, (uint64_t)st.st_size);
}

/* Collect every file below `root`/`rel` (rel "" for the top). Folders that
 * are symbolic links are refused: following them could loop. */
static int walk(tree *t, const char *root, const char *rel)
{
  char dir[PATH_MAX];
  int rc = store_path_fmt(dir, sizeof dir, "%s%s%s", root, *rel ? "/" : "", rel);
  if (rc)
    return rc;
  DIR *d = opendir(dir);
  if (!d)
    return zm_error_sys(errno == ENOENT ? ZM_ENOTFOUND : ZM_EIO, "cannot open folder %s", dir);
  struct dirent *e;
  while (rc == 0 && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    char sub[PATH_MAX], full[PATH_MAX];
    struct stat st;
    if ((rc = store_path_fmt(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name)) ||
        (rc = store_path_fmt(full, sizeof full, "%s/%s", root, sub)))
      break;
    if (lstat(full, &st) != 0)
      rc = zm_error_sys(ZM_EIO, "cannot stat %s", full);
    else if (S_ISDIR(st.st_mode))
      rc = walk(t, root, sub);
    else
      rc = walk_file(t, full, sub);
  }
  closedir(d);
  return rc;
}

static int entry_cmp(const void *a, const void *b)
{
  return strcmp(((const tree_entry *)a)->path, ((const tree_entry *)b)->path);
}

static int manifest_text(zm_buf *out, const tree *t)
{
  int rc = zm_buf_puts(out, TREE_MAGIC);
  for (size_t i = 0; rc == 0 && i < t->n; i++) {
    const tree_entry *e = &t->items[i];
    rc = zm_buf_printf(out, "%o %llu %s %s\n", e->mode, (unsigned long long)e->size, e->id,
                       e->path);
  }
  return rc;
}

/* The entries of a tree being stored, a job each. */
typedef struct put_job {
  zm_store *s;
  store_batch *b;
  tree *t;
  const char *folder;
  int nested; /* several workers: each hashes its file on its own thread */
} put_job;

static int put_entry(void *arg, size_t i)
{
  put_job *j = arg;
  char full[PATH_MAX];
  int rc = store_path_fmt(full, sizeof full, "%s/%s", j->folder, j->t->items[i].path);
  int saved = zm_workers_get(0); /* the calling thread runs jobs too: restore its count */
  if (j->nested)
    zm_workers_set(1);
  if (rc == 0)
    rc = store_put_file(j->t->items[i].id, j->s, j->b, full);
  zm_workers_set(saved);
  if (rc == 0)
    zm_fault("snapshot.folder");
  return rc;
}

/* Store each entry's file into batch `b`, on the calling thread's worker
 * count (files at once; every core by default); the first failing entry's
 * error, in path order. */
static int put_entries(zm_store *s, store_batch *b, tree *t, const char *folder)
{
  size_t nw = (size_t)zm_workers_or_cores();
  put_job j = {s, b, t, folder, nw > 1 && t->n > 1};
  return zm_jobs_run(t->n, nw, put_entry, &j, NULL);
}

int zm_store_put_tree(char out[ZM_STORE_ID_SIZE], zm_store *s, const char *folder)
{
  tree t = {0};
  zm_buf text = ZM_BUF_INIT;
  store_batch *own = NULL;
  pthread_mutex_lock(&s->lock);
  store_batch *user = s->batch;
  pthread_mutex_unlock(&s->lock);
  int rc = walk(&t, folder, "");
  if (rc)
    goto done;
  qsort(t.items, t.n, sizeof *t.items, entry_cmp);
  /* Outside a user's batch, use a private one: one syncfs for all files
   * instead of one fsync each, then a durable manifest after them. */
  if (!user && !(own = calloc(1, sizeof *own))) {
    rc = zm_error_set(ZM_ENOMEM, "out of memory");
    goto done;
  }
  if ((rc = put_entries(s, user ? user : own, &t, folder)))
    goto done;
  if (own) {
    rc = store_batch_commit(s, own);
    own = NULL;
    if (rc)
      goto done;
  }
  if ((rc = manifest_text(&text, &t)) == 0)
    rc = store_put_buf(out, s, user, text.data, text.len);
done:
  store_batch_abort(own);
  zm_buf_free(&text);
  tree_free(&t);
  return rc;
}

static int bad_manifest(const char *id, int line)
{
  return zm_error_set(ZM_EINVALID, "artifact %s is not a valid tree manifest (line %d)", id,
                      line);
}

/* Parse "<mode> <size> <id> <path>" (no newline) into `t`. */
static int parse_line(tree *t, const char *line, size_t len)
{
  char *end;
  unsigned long mode = strtoul(line, &end, 8);
  if (end != line + 3 || *end != ' ' || (mode != 0644 && mode != 0755))
    return ZM_EINVALID;
  const char *p = end + 1;
  if (*p < '0' || *p > '9')
    return ZM_EINVALID;
  unsigned long long size = strtoull(p, &end, 10);
  if (*end != ' ')
    return ZM_EINVALID;
  p = end + 1;
  const char *stop = line + len;
  if (stop - p < ZM_STORE_ID_SIZE || p[ZM_STORE_ID_SIZE - 1] != ' ')
    return ZM_EINVALID;
  char id[ZM_STORE_ID_SIZE];
  memcpy(id, p, ZM_STORE_ID_SIZE - 1);
  id[ZM_STORE_ID_SIZE - 1] = '\0';
  if (zm_store_id_check(id) != 0)
    return ZM_EINVALID;
  p += ZM_STORE_ID_SIZE;
  char *path = strndup(p, (size_t)(stop - p));
  if (!path || memchr(p, '\0', (size_t)(stop - p)))
    return free(path), ZM_EINVALID;
  if (tree_add(t, path, (unsigned)mode, size) != 0)
    return ZM_ENOMEM;
  memcpy(t->items[t->n - 1].id, id, sizeof id);
  return 0;
}

int tree_parse(tree *out, const char *text, size_t len, const char *id)
{
  size_t magic = strlen(TREE_MAGIC);
  if (len < magic || memcmp(text, TREE_MAGIC, magic) != 0)
    return bad_manifest(id, 1);
  tree t = {0};
  const char *p = text + magic, *end = text + len;
  for (int line = 2; p < end; line++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    int rc = nl && nl > p ? parse_line(&t, p, (size_t)(nl - p)) : ZM_EINVALID;
    if (rc == 0 && t.n > 1 && strcmp(t.items[t.n - 2].path, t.items[t.n - 1].path) >= 0)
      rc = ZM_EINVALID; /* unsorted or duplicate: not something we wrote */
    if (rc) {
      tree_free(&t);
      return rc == ZM_ENOMEM ? zm_error_set(rc, "out of memory") : bad_manifest(id, line);
    }
    p = nl + 1;
  }
  *out = t;
  return 0;
}

int tree_load(tree *out, const zm_store *s, const char *id)
{
  char *text = NULL;
  size_t len = 0;
  int rc = zm_store_read(&text, &len, s, id);
  if (rc == 0)
    rc = tree_parse(out, text, len, id);
  free(text);
  return rc;
}

int zm_store_is_tree(const zm_store *s, const char *id)
{
  char head[sizeof TREE_MAGIC];
  int fd, rc = zm_store_open_fd(&fd, s, id);
  if (rc)
    return rc;
  ssize_t got = read(fd, head, sizeof head - 1);
  close(fd);
  return got == (ssize_t)(sizeof head - 1) && memcmp(head, TREE_MAGIC, sizeof head - 1) == 0;
}

/* 1 if `path` is a safe relative path: no leading '/', no "", "." or ".." part. */
static int safe_path(const char *path)
{
  if (*path == '/' || *path == '\0')
    return 0;
  for (const char *p = path;;) {
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
      return 0;
    if (!slash)
      return 1;
    p = slash + 1;
  }
}

/* Copy object `e` to `dest`, checking its hash on the way. */
static int copy_out(const zm_store *s, const tree_entry *e, const char *dest)
{
  char hex[65], *buf = malloc(COPY_CHUNK);
  zm_objhasher *h = NULL;
  int in = -1, outfd = -1, rc = buf ? zm_objhasher_new(&h) : zm_error_set(ZM_ENOMEM, "out of memory");
  if (rc || (rc = zm_store_open_fd(&in, s, e->id)))
    goto done;
  outfd = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (outfd < 0) {
    rc = zm_error_sys(ZM_EIO, "cannot create %s", dest);
    goto done;
  }
  ssize_t got;
  while ((got = read(in, buf, COPY_CHUNK)) > 0) {
    if ((rc = zm_objhasher_update(h, buf, (size_t)got)))
      goto done;
    for (ssize_t off = 0; off < got;) {
      ssize_t n = write(outfd, buf + off, (size_t)(got - off));
      if (n < 0 && errno != EINTR) {
        rc = zm_error_sys(ZM_EIO, "cannot write %s", dest);
        goto done;
      }
      off += n > 0 ? n : 0;
    }
  }
  if (got < 0)
    rc = zm_error_sys(ZM_EIO, "cannot read artifact %s", e->id);
  else if ((rc = zm_objhasher_final(hex, h)) == 0 && strcmp(hex, e->id + 7) != 0 &&
           !store_legacy_name(dest, e->id + 7))
    rc = zm_error_set(ZM_EIO, "artifact %s is corrupt (content hash is sha256:%s)", e->id, hex);
  else if (rc == 0 && fchmod(outfd, e->mode) != 0)
    rc = zm_error_sys(ZM_EIO, "cannot set the mode of %s", dest);
done:
  if (in >= 0)
    close(in);
  if (outfd >= 0 && close(outfd) != 0 && rc == 0)
    rc = zm_error_sys(ZM_EIO, "cannot write %s", dest);
  zm_objhasher_free(h);
  free(buf);
  return rc;
}

static int checkout_entry(const zm_store *s, const tree_entry *e, const char *dest)
{
  char full[PATH_MAX];
  int rc = store_path_fmt(full, sizeof full, "%s/%s", dest, e->path);
  if (rc)
    return rc;
  char *slash = strrchr(full, '/');
  *slash = '\0';
  rc = zm_fs_mkdir_p(full);
  *slash = '/';
  return rc ? rc : copy_out(s, e, full);
}

int zm_store_checkout_tree(zm_store *s, const char *id, const char *dest)
{
  tree t = {0};
  int rc = tree_load(&t, s, id);
  if (rc)
    return rc;
  /* Check every path before writing anything, so a hostile manifest
   * cannot leave half a checkout behind. */
  for (size_t i = 0; i < t.n; i++)
    if (!safe_path(t.items[i].path)) {
      rc = zm_error_set(ZM_EINVALID, "refusing unsafe path '%s' in tree %s", t.items[i].path, id);
      goto done;
    }
  if ((rc = zm_fs_mkdir_p(dest)))
    goto done;
  for (size_t i = 0; rc == 0 && i < t.n; i++)
    rc = checkout_entry(s, &t.items[i], dest);
done:
  tree_free(&t);
  return rc;
}
