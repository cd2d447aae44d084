/* A folder's files as a frame, read on worker threads (see files.h): every
 * file is sized first, the bytes column is laid out from the sizes, and each
 * worker reads whole files straight into their place, so the frame is the
 * same bytes whatever the number of workers. */
#include "frame/files.h"
#include "frame/internal.h"
#include "core/error.h"
#include "core/workers.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct files_job {
  const char *root;
  const char *const *rels;
  uint64_t *size;     /* pass 1: each file's size */
  const uint64_t *at; /* pass 2: where each file's bytes go in `blob` */
  char *blob;
} files_job;

static int open_file(int *fd, char *path, size_t cap, const files_job *j, size_t i)
{
  if ((size_t)snprintf(path, cap, "%s/%s", j->root, j->rels[i]) >= cap)
    return zm_error_set(ZM_EINVALID, "path too long: %s/%s", j->root, j->rels[i]);
  *fd = open(path, O_RDONLY | O_CLOEXEC);
  if (*fd < 0)
    return zm_error_sys(errno == ENOENT ? ZM_ENOTFOUND : ZM_EIO, "cannot open %s", path);
  return 0;
}

static int size_file(void *arg, size_t i)
{
  files_job *j = arg;
  char path[PATH_MAX];
  int fd = -1, rc = open_file(&fd, path, sizeof path, j, i);
  if (rc)
    return rc;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    rc = zm_error_set(ZM_EIO, "%s is not a readable regular file", path);
  else
    j->size[i] = (uint64_t)st.st_size;
  close(fd);
  return rc;
}

static int read_file(void *arg, size_t i)
{
  files_job *j = arg;
  char path[PATH_MAX];
  int fd = -1, rc = open_file(&fd, path, sizeof path, j, i);
  if (rc)
    return rc;
  char *p = j->blob + j->at[i];
  uint64_t want = j->size[i], got = 0;
  while (rc == 0 && got < want) {
    ssize_t k = read(fd, p + got, (size_t)(want - got));
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0)
      rc = zm_error_sys(ZM_EIO, "cannot read %s", path);
    else if (k == 0)
      rc = zm_error_set(ZM_EIO, "%s changed while it was being read", path);
    else
      got += (uint64_t)k;
  }
  char extra;
  if (rc == 0 && read(fd, &extra, 1) > 0)
    rc = zm_error_set(ZM_EIO, "%s changed while it was being read", path);
  close(fd);
  return rc;
}

/* The label of a relative path: its folder's own name, "" at the top. */
static void label_of(const char *rel, const char **out, size_t *len)
{
  const char *slash = strrchr(rel, '/');
  if (!slash) {
    *out = "";
    *len = 0;
    return;
  }
  const char *start = slash;
  while (start > rel && start[-1] != '/')
    start--;
  *out = start;
  *len = (size_t)(slash - start);
}

static int build(zm_frame **out, files_job *j, size_t n)
{
  const char **labels = malloc((n + 1) * sizeof *labels);
  size_t *label_lens = malloc((n + 1) * sizeof *label_lens);
  zm_frame *f = NULL;
  int rc = labels && label_lens ? zm_frame_new(&f, n) : zm_error_set(ZM_ENOMEM, "out of memory");
  if (rc == 0)
    rc = zm_frame_add_strings(f, "path", (const char *const *)j->rels, NULL);
  zm_column *c = NULL;
  if (rc == 0 && (rc = zm_frame_add(&c, f, "size", ZM_TYPE_I64)) == 0)
    for (size_t i = 0; i < n; i++)
      ((int64_t *)c->data)[i] = (int64_t)j->size[i];
  if (rc == 0 && (rc = zm__frame_push(&c, f, "bytes")) == 0) {
    /* the blob read in place becomes the column's: no copy */
    c->type = ZM_TYPE_STR;
    c->len = n;
    c->data = malloc((n + 1) * sizeof(uint64_t));
    if (!c->data)
      rc = zm_error_set(ZM_ENOMEM, "out of memory");
    else {
      memcpy(c->data, j->at, n * sizeof(uint64_t));
      ((uint64_t *)c->data)[n] = n ? j->at[n - 1] + j->size[n - 1] : 0;
      c->blob = j->blob;
      c->blob_len = ((uint64_t *)c->data)[n];
      j->blob = NULL;
    }
  }
  for (size_t i = 0; rc == 0 && i < n; i++)
    label_of(j->rels[i], &labels[i], &label_lens[i]);
  if (rc == 0)
    rc = zm_frame_add_strings(f, "label", labels, label_lens);
  free(labels);
  free(label_lens);
  if (rc) {
    zm_frame_free(f);
    return rc;
  }
  *out = f;
  return 0;
}

int zm_frame_read_files(zm_frame **out, size_t *out_bad, const char *root,
                        const char *const *rels, size_t n)
{
  *out = NULL;
  size_t bad = n, nw = (size_t)zm_workers_or_cores();
  files_job j = {.root = root, .rels = rels};
  uint64_t *at = malloc((n + 1) * sizeof *at);
  j.size = malloc((n + 1) * sizeof *j.size);
  int rc = at && j.size ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
  if (rc == 0)
    rc = zm_jobs_run(n, nw, size_file, &j, &bad);
  uint64_t total = 0;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    at[i] = total;
    total += j.size[i];
  }
  j.at = at;
  if (rc == 0 && !(j.blob = malloc(total ? total : 1)))
    rc = zm_error_set(ZM_ENOMEM, "out of memory reading %llu bytes of files",
                      (unsigned long long)total);
  if (rc == 0)
    rc = zm_jobs_run(n, nw, read_file, &j, &bad);
  if (rc == 0)
    rc = build(out, &j, n);
  if (out_bad)
    *out_bad = rc ? bad : n;
  free(j.blob);
  free(j.size);
  free(at);
  return rc;
}
