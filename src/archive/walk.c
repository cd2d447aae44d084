/* The regular files under a folder, for datasources made of a folder.
 * Links are followed only to files inside the folder: anything else is
 * reported and skipped, as for archive entries. */
#include "archive/archive.h"
#include "core/error.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int add_path(zm_file_set *s, const char *rel)
{
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    char **paths = realloc(s->paths, cap * sizeof *paths);
    if (!paths)
      return zm_error_set(ZM_ENOMEM, "out of memory");
    s->paths = paths;
    s->cap = cap;
  }
  if (!(s->paths[s->n] = strdup(rel)))
    return zm_error_set(ZM_ENOMEM, "out of memory");
  s->n++;
  return 0;
}

/* A symbolic link: kept when it resolves to a regular file under `real_root`. */
static int visit_link(zm_file_set *s, const char *real_root, const char *full, const char *rel)
{
  char target[PATH_MAX], resolved[PATH_MAX], why[PATH_MAX + 96];
  ssize_t n = readlink(full, target, sizeof target - 1);
  target[n > 0 ? n : 0] = '\0';
  struct stat st;
  size_t k = strlen(real_root);
  if (!realpath(full, resolved) || stat(resolved, &st) != 0) {
    snprintf(why, sizeof why, "broken symbolic link to '%s'; skipped", target);
  } else if (strncmp(resolved, real_root, k) != 0 || resolved[k] != '/') {
    snprintf(why, sizeof why, "symbolic link to '%s' points outside the folder; skipped", target);
  } else if (!S_ISREG(st.st_mode)) {
    snprintf(why, sizeof why, "symbolic link to '%s' is not a regular file; skipped", target);
  } else {
    return add_path(s, rel);
  }
  return zm_archive_problem_add(&s->problems, rel, why);
}

static int walk(zm_file_set *s, const char *root, const char *real_root, const char *rel)
{
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s%s%s", root, *rel ? "/" : "", rel);
  DIR *d = opendir(dir);
  if (!d)
    return zm_error_sys(errno == ENOENT ? ZM_ENOTFOUND : ZM_EIO, "cannot open folder %s", dir);
  int rc = 0;
  struct dirent *e;
  while (rc == 0 && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    char sub[PATH_MAX], full[PATH_MAX];
    struct stat st;
    if ((size_t)snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name) >= sizeof sub ||
        (size_t)snprintf(full, sizeof full, "%s/%s", root, sub) >= sizeof full) {
      rc = zm_archive_problem_add(&s->problems, e->d_name, "name too long; skipped");
      continue;
    }
    if (lstat(full, &st) != 0)
      rc = zm_error_sys(ZM_EIO, "cannot stat %s", full);
    else if (S_ISDIR(st.st_mode))
      rc = walk(s, root, real_root, sub);
    else if (S_ISLNK(st.st_mode))
      rc = visit_link(s, real_root, full, sub);
    else if (S_ISREG(st.st_mode))
      rc = add_path(s, sub);
    else
      rc = zm_archive_problem_add(&s->problems, sub, "not a regular file; skipped");
  }
  closedir(d);
  return rc;
}

static int path_cmp(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int zm_archive_walk(zm_file_set **out, const char *folder)
{
  *out = NULL;
  char real_root[PATH_MAX];
  if (!realpath(folder, real_root))
    return zm_error_sys(errno == ENOENT ? ZM_ENOTFOUND : ZM_EIO, "cannot open folder %s", folder);
  zm_file_set *s = calloc(1, sizeof *s);
  if (!s)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  int rc = walk(s, folder, real_root, "");
  if (rc) {
    zm_file_set_free(s);
    return rc;
  }
  if (s->n)
    qsort(s->paths, s->n, sizeof *s->paths, path_cmp);
  *out = s;
  return 0;
}

void zm_file_set_free(zm_file_set *s)
{
  if (!s)
    return;
  for (size_t i = 0; i < s->n; i++)
    free(s->paths[i]);
  free(s->paths);
  zm_archive_problems_clear(&s->problems);
  free(s);
}
