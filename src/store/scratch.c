/* The store's scratch space, tmp/: the only place anything writes a
 * temporary file or folder inside the store. Entries are named
 * .tmp-<pid>.<host>-XXXXXX so that gc can tell whose they are and when they
 * are stale; a folder (a step's scratch folder, a datasource's staging of
 * files) is removed with everything in it. */
#define _XOPEN_SOURCE 700
#include "store/store_int.h"
#include "core/error.h"
#include "core/fs.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int store_in_tmp(const zm_store *s, const char *path)
{
  size_t n = strlen(s->tmp);
  return strncmp(path, s->tmp, n) == 0 && path[n] == '/' && path[n + 1] != '\0';
}

/* nftw has no context argument: the walk's state, per thread. */
static _Thread_local struct {
  uint64_t bytes;
  int dry_run;
  int err;
} walk;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)ftw;
  if (flag == FTW_F || flag == FTW_SL || flag == FTW_SLN)
    walk.bytes += S_ISREG(st->st_mode) ? (uint64_t)st->st_size : 0;
  if (walk.dry_run)
    return 0;
  int rc = (flag == FTW_DP || flag == FTW_D) ? rmdir(path) : unlink(path);
  if (rc != 0 && errno != ENOENT) {
    walk.err = zm_error_sys(ZM_EIO, "cannot remove %s", path);
    return 1;
  }
  return 0;
}

int store_tmp_remove_tree(uint64_t *bytes, const char *path, int dry_run)
{
  walk.bytes = 0;
  walk.dry_run = dry_run;
  walk.err = 0;
  int rc = nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  if (rc != 0 && walk.err == 0 && errno != ENOENT)
    walk.err = zm_error_sys(ZM_EIO, "cannot remove %s", path);
  if (bytes)
    *bytes += walk.bytes;
  return walk.err;
}

int zm_store_tmp_dir(char **out, zm_store *s)
{
  *out = NULL;
  char path[PATH_MAX];
  int rc = store_path_fmt(path, sizeof path, "%s/" TMP_PREFIX "%ld.%s-XXXXXX", s->tmp,
                          (long)getpid(), s->host);
  if (rc)
    return rc;
  if ((rc = zm_fs_mkdir_p(s->tmp)))
    return rc;
  if (!mkdtemp(path))
    return zm_error_sys(ZM_EIO, "cannot create a temporary folder in %s", s->tmp);
  *out = strdup(path);
  if (!*out) {
    rmdir(path);
    return zm_error_set(ZM_ENOMEM, "out of memory");
  }
  return 0;
}

int zm_store_tmp_remove(zm_store *s, const char *path)
{
  const char *name = strrchr(path, '/');
  long pid;
  int same_host;
  if (!store_in_tmp(s, path) || strchr(path + strlen(s->tmp) + 1, '/') ||
      !store_tmp_name(s, name + 1, &pid, &same_host))
    return zm_error_set(ZM_EINVALID, "%s is not a temporary entry of the artifact store %s", path,
                        s->root);
  return store_tmp_remove_tree(NULL, path, 0);
}
