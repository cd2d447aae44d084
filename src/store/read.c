/* Reading objects out of the store. */
#include "store/store_int.h"
#include "core/error.h"
#include "core/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int not_found(const char *id)
{
  return zm_error_set(ZM_ENOTFOUND, "artifact %s not found in the store", id);
}

/* Point `out` at object `hex`: its final path, or while a write-behind put
 * waits, its temp file (returns 1). A temp file can be renamed into place
 * at any moment, so a caller that finds it gone retries the final path. */
static int where(char *out, size_t cap, const zm_store *s, const char *id)
{
  int rc = zm_store_id_check(id);
  if (rc)
    return rc;
  const char *hex = id + strlen("sha256:");
  store_object_path(out, cap, s, hex);
  if (access(out, F_OK) == 0)
    return 0;
  return store_behind_tmp(out, cap, s, hex);
}

/* `where`, then the final path again if the temp file went away meanwhile. */
static int renamed(char *path, size_t cap, const zm_store *s, const char *id, int was_tmp)
{
  if (!was_tmp || errno != ENOENT)
    return 0;
  store_object_path(path, cap, s, id + strlen("sha256:"));
  return 1;
}

int zm_store_exists(const zm_store *s, const char *id)
{
  char path[PATH_MAX];
  int rc = where(path, sizeof path, s, id);
  if (rc < 0)
    return rc;
  return access(path, F_OK) == 0 || (renamed(path, sizeof path, s, id, rc) &&
                                     access(path, F_OK) == 0);
}

int zm_store_size(uint64_t *out, const zm_store *s, const char *id)
{
  char path[PATH_MAX];
  struct stat st;
  int rc = where(path, sizeof path, s, id);
  if (rc < 0)
    return rc;
  if (stat(path, &st) != 0 && !(renamed(path, sizeof path, s, id, rc) && stat(path, &st) == 0))
    return errno == ENOENT ? not_found(id) : zm_error_sys(ZM_EIO, "cannot stat %s", path);
  *out = (uint64_t)st.st_size;
  return 0;
}

int zm_store_open_fd(int *out, const zm_store *s, const char *id)
{
  char path[PATH_MAX];
  int rc = where(path, sizeof path, s, id);
  if (rc < 0)
    return rc;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && renamed(path, sizeof path, s, id, rc))
    fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? not_found(id) : zm_error_sys(ZM_EIO, "cannot open %s", path);
  *out = fd;
  return 0;
}

int zm_store_read(char **out, size_t *out_len, const zm_store *s, const char *id)
{
  char path[PATH_MAX];
  int rc = where(path, sizeof path, s, id);
  if (rc < 0)
    return rc;
  int tmp = rc;
  rc = zm_fs_read(out, out_len, path);
  if (rc == ZM_ENOTFOUND && tmp) {
    store_object_path(path, sizeof path, s, id + strlen("sha256:"));
    rc = zm_fs_read(out, out_len, path);
  }
  return rc == ZM_ENOTFOUND ? not_found(id) : rc;
}

int zm_store_map_open(zm_store_map **out, const zm_store *s, const char *id)
{
  int fd, rc = zm_store_open_fd(&fd, s, id);
  if (rc)
    return rc;
  zm_store_map *m = calloc(1, sizeof *m);
  struct stat st;
  if (!m) {
    rc = zm_error_set(ZM_ENOMEM, "out of memory");
    goto done;
  }
  if (fstat(fd, &st) != 0) {
    rc = zm_error_sys(ZM_EIO, "cannot stat artifact %s", id);
    goto done;
  }
  m->len = (size_t)st.st_size;
  m->data = "";
  if (m->len > 0) {
    void *p = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      rc = zm_error_sys(ZM_EIO, "cannot map artifact %s", id);
      goto done;
    }
    m->data = p;
  }
  *out = m;
  m = NULL;
done:
  free(m);
  close(fd);
  return rc;
}

void zm_store_map_free(zm_store_map *m)
{
  if (!m)
    return;
  if (m->len > 0)
    munmap((void *)m->data, m->len);
  free(m);
}
