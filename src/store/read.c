/* Reading objects out of the store. */
#include "store/store_int.h"
#include "core/error.h"
#include "core/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int not_found(const char *id)
{
  return zm_error_set(ZM_ENOTFOUND, "artifact %s not found in the store", id);
}

int zm_store_exists(const zm_store *s, const char *id)
{
  char path[PATH_MAX];
  int rc = zm_store_path(path, sizeof path, s, id);
  if (rc)
    return rc;
  return access(path, F_OK) == 0;
}

int zm_store_size(uint64_t *out, const zm_store *s, const char *id)
{
  char path[PATH_MAX];
  struct stat st;
  int rc = zm_store_path(path, sizeof path, s, id);
  if (rc)
    return rc;
  if (stat(path, &st) != 0)
    return errno == ENOENT ? not_found(id) : zm_error_sys(ZM_EIO, "cannot stat %s", path);
  *out = (uint64_t)st.st_size;
  return 0;
}

int zm_store_open_fd(int *out, const zm_store *s, const char *id)
{
  char path[PATH_MAX];
  int rc = zm_store_path(path, sizeof path, s, id);
  if (rc)
    return rc;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? not_found(id) : zm_error_sys(ZM_EIO, "cannot open %s", path);
  *out = fd;
  return 0;
}

int zm_store_read(char **out, size_t *out_len, const zm_store *s, const char *id)
{
  char path[PATH_MAX];
  int rc = zm_store_path(path, sizeof path, s, id);
  if (rc)
    return rc;
  rc = zm_fs_read(out, out_len, path);
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
