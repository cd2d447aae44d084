#include "core/fs.h"
#include "core/error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int zm_fs_mkdir_p(const char *path)
{
  char tmp[PATH_MAX];
  size_t n = strlen(path);
  if (n == 0 || n >= sizeof tmp)
    return zm_error_set(ZM_EINVALID, "bad folder path '%s'", path);
  memcpy(tmp, path, n + 1);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
      return zm_error_sys(ZM_EIO, "cannot create folder %s", tmp);
    *p = '/';
  }
  if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
    return zm_error_sys(ZM_EIO, "cannot create folder %s", tmp);
  return 0;
}

int zm_fs_read(char **out, size_t *out_len, const char *path)
{
  int rc = 0;
  char *data = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return zm_error_sys(errno == ENOENT ? ZM_ENOTFOUND : ZM_EIO, "cannot open %s", path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    rc = zm_error_sys(ZM_EIO, "cannot stat %s", path);
    goto done;
  }
  size_t cap = st.st_size > 0 ? (size_t)st.st_size : 4096, len = 0;
  data = malloc(cap + 1);
  if (!data) {
    rc = zm_error_set(ZM_ENOMEM, "out of memory reading %s", path);
    goto done;
  }
  for (;;) {
    if (len == cap) {
      char *p = realloc(data, cap * 2 + 1);
      if (!p) {
        rc = zm_error_set(ZM_ENOMEM, "out of memory reading %s", path);
        goto done;
      }
      data = p;
      cap *= 2;
    }
    ssize_t got = read(fd, data + len, cap - len);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      rc = zm_error_sys(ZM_EIO, "cannot read %s", path);
      goto done;
    }
    if (got == 0)
      break;
    len += (size_t)got;
  }
  data[len] = '\0';
  *out = data;
  data = NULL;
  if (out_len)
    *out_len = len;
done:
  free(data);
  close(fd);
  return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int zm_fs_sync_parent(const char *path)
{
  char dir[PATH_MAX];
  const char *slash = strrchr(path, '/');
  if (!slash)
    snprintf(dir, sizeof dir, ".");
  else if (slash == path)
    snprintf(dir, sizeof dir, "/");
  else
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return zm_error_sys(ZM_EIO, "cannot open folder %s", dir);
  int rc = fsync(fd) == 0 ? 0 : zm_error_sys(ZM_EIO, "cannot sync folder %s", dir);
  close(fd);
  return rc;
}

int zm_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
  char tmp[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp)
    return zm_error_set(ZM_EINVALID, "path too long: %s", path);
  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0)
    return zm_error_sys(ZM_EIO, "cannot create a temporary file beside %s", path);
  int rc = 0;
  if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
    rc = zm_error_sys(ZM_EIO, "cannot write %s", tmp);
    close(fd);
    unlink(tmp);
    return rc;
  }
  if (fchmod(fd, mode) != 0 || close(fd) != 0) {
    rc = zm_error_sys(ZM_EIO, "cannot finish %s", tmp);
    unlink(tmp);
    return rc;
  }
  if (rename(tmp, path) != 0) {
    rc = zm_error_sys(ZM_EIO, "cannot rename %s to %s", tmp, path);
    unlink(tmp);
    return rc;
  }
  return zm_fs_sync_parent(path);
}

int zm_fs_exists(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0;
}
