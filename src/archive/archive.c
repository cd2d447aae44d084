/* Archives through libarchive, one entry at a time. Only regular files
 * come out; every other entry is reported and skipped. The expansion
 * limits are checked on every block read, so a bomb stops early with its
 * memory bounded by the limit, never by the archive. */
#include "archive/archive.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/fault.h"

#include <archive.h>
#include <archive_entry.h>
#include "archive/la_calls.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_MAX_BYTES (4ull << 30)
#define DEFAULT_MAX_RATIO 200ull
#define DEFAULT_RATIO_FLOOR (64ull << 20)
#define DEFAULT_MAX_ENTRIES 1000000ull
#define NAME_MAX_LEN 4096

struct zm_archive {
  struct archive *ar;
  char *path;
  zm_archive_limits lim;
  uint64_t size;     /* bytes of the archive file */
  uint64_t expanded; /* bytes of entries read so far */
  uint64_t entries;
  zm_buf data;
  char name[NAME_MAX_LEN];
  zm_archive_problems problems;
};

static const char *const suffixes[] = {".tar", ".tar.gz", ".tgz", ".tar.zst", ".tar.xz",
                                       ".tar.bz2", ".zip", NULL};

int zm_archive_detect(const char *path)
{
  size_t n = strlen(path);
  for (int i = 0; suffixes[i]; i++) {
    size_t k = strlen(suffixes[i]);
    if (n > k && strcmp(path + n - k, suffixes[i]) == 0)
      return 1;
  }
  return 0;
}

int zm_archive_problem_add(zm_archive_problems *p, const char *what, const char *problem)
{
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 8;
    zm_archive_problem *items = realloc(p->items, cap * sizeof *items);
    if (!items)
      return zm_error_set(ZM_ENOMEM, "out of memory");
    p->items = items;
    p->cap = cap;
  }
  char *w = strdup(what), *q = strdup(problem);
  if (!w || !q) {
    free(w);
    free(q);
    return zm_error_set(ZM_ENOMEM, "out of memory");
  }
  p->items[p->n++] = (zm_archive_problem){w, q};
  return 0;
}

void zm_archive_problems_clear(zm_archive_problems *p)
{
  for (size_t i = 0; i < p->n; i++) {
    free(p->items[i].what);
    free(p->items[i].problem);
  }
  free(p->items);
  *p = (zm_archive_problems){0};
}

/* Append the part [s, s + n) to out, popping on ".."; -1 when it climbs out. */
static int push_part(char *out, size_t *len, size_t cap, const char *s, size_t n)
{
  if (n == 0 || (n == 1 && s[0] == '.'))
    return 0;
  if (n == 2 && s[0] == '.' && s[1] == '.') {
    if (*len == 0)
      return -1;
    char *slash = memrchr(out, '/', *len);
    *len = slash ? (size_t)(slash - out) : 0;
    out[*len] = '\0';
    return 0;
  }
  if (*len + n + 2 > cap)
    return -2;
  if (*len)
    out[(*len)++] = '/';
  memcpy(out + *len, s, n);
  *len += n;
  out[*len] = '\0';
  return 0;
}

int zm_archive_path_clean(char *out, size_t cap, const char *name)
{
  out[0] = '\0';
  if (name[0] == '/')
    return zm_error_set(ZM_EINVALID, "absolute path");
  if (strchr(name, '\n'))
    return zm_error_set(ZM_EINVALID, "name holds a newline");
  size_t len = 0;
  for (const char *p = name; *p;) {
    const char *end = strchrnul(p, '/');
    size_t n = (size_t)(end - p);
    if (n == 2 && p[0] == '.' && p[1] == '.')
      return zm_error_set(ZM_EINVALID, "path leaves the archive (..)");
    if (push_part(out, &len, cap, p, n) != 0)
      return zm_error_set(ZM_EINVALID, "name too long");
    p = *end ? end + 1 : end;
  }
  return 0;
}

int zm_archive_link_inside(const char *path, const char *target)
{
  char buf[NAME_MAX_LEN * 2];
  size_t len = 0;
  buf[0] = '\0';
  if (target[0] == '/')
    return 0;
  const char *slash = strrchr(path, '/');
  size_t dirlen = slash ? (size_t)(slash - path) : 0;
  if (dirlen >= sizeof buf)
    return 0;
  memcpy(buf, path, dirlen);
  len = dirlen;
  buf[len] = '\0';
  for (const char *p = target; *p;) {
    const char *end = strchrnul(p, '/');
    if (push_part(buf, &len, sizeof buf, p, (size_t)(end - p)) != 0)
      return 0;
    p = *end ? end + 1 : end;
  }
  return 1;
}

/* libarchive's reason, which it does not always give. */
static const char *why(struct archive *ar)
{
  const char *s = archive_error_string(ar);
  return s ? s : "damaged or not an archive";
}

int zm_archive_open(zm_archive **out, const char *path, const zm_archive_limits *lim)
{
  *out = NULL;
  struct stat st;
  if (stat(path, &st) != 0)
    return zm_error_sys(ZM_ENOTFOUND, "cannot open %s", path);
  int rc = zm_la_load();
  if (rc)
    return rc;
  zm_archive *a = calloc(1, sizeof *a);
  if (!a || !(a->path = strdup(path)) || !(a->ar = archive_read_new())) {
    zm_archive_free(a);
    return zm_error_set(ZM_ENOMEM, "out of memory");
  }
  a->size = (uint64_t)st.st_size;
  a->lim = lim ? *lim : (zm_archive_limits){0};
  a->lim.max_bytes = a->lim.max_bytes ? a->lim.max_bytes : DEFAULT_MAX_BYTES;
  a->lim.max_ratio = a->lim.max_ratio ? a->lim.max_ratio : DEFAULT_MAX_RATIO;
  a->lim.ratio_floor = a->lim.ratio_floor ? a->lim.ratio_floor : DEFAULT_RATIO_FLOOR;
  a->lim.max_entries = a->lim.max_entries ? a->lim.max_entries : DEFAULT_MAX_ENTRIES;
  archive_read_support_filter_all(a->ar);
  archive_read_support_format_tar(a->ar);
  archive_read_support_format_gnutar(a->ar);
  archive_read_support_format_zip(a->ar);
  if (archive_read_open_filename(a->ar, path, 1 << 16) != ARCHIVE_OK) {
    int rc = zm_error_set(ZM_EINVALID, "%s: cannot read archive: %s", path, why(a->ar));
    zm_archive_free(a);
    return rc;
  }
  *out = a;
  return 0;
}

/* "4.0 GiB"-style text for the limit messages. */
static void human(char *out, size_t cap, uint64_t n)
{
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = (double)n;
  int i = 0;
  while (v >= 1024 && i < 4) {
    v /= 1024;
    i++;
  }
  if (i == 0)
    snprintf(out, cap, "%llu B", (unsigned long long)n);
  else
    snprintf(out, cap, "%.1f %s", v, units[i]);
}

/* Stop when the bytes expanded so far pass a limit. */
static int check_limits(zm_archive *a)
{
  char lim[32], got[32], size[32];
  if (a->expanded > a->lim.max_bytes) {
    human(lim, sizeof lim, a->lim.max_bytes);
    return zm_error_set(ZM_EINVALID,
                        "%s: expands past %s (the limit) at entry '%s'; stopped: "
                        "this looks like an archive bomb",
                        a->path, lim, a->name);
  }
  if (a->expanded > a->lim.ratio_floor && a->expanded / (a->size ? a->size : 1) > a->lim.max_ratio) {
    human(got, sizeof got, a->expanded);
    human(size, sizeof size, a->size);
    return zm_error_set(ZM_EINVALID,
                        "%s: expands more than %llu times its size (%s from %s) at entry "
                        "'%s'; stopped: this looks like an archive bomb",
                        a->path, (unsigned long long)a->lim.max_ratio, got, size, a->name);
  }
  return 0;
}

static int read_error(zm_archive *a)
{
  return zm_error_set(ZM_EINVALID, "%s: cannot read archive: %s", a->path, why(a->ar));
}

/* Read the current entry's bytes into a->data, checking the limits per block. */
static int read_data(zm_archive *a)
{
  a->data.len = 0;
  for (;;) {
    const void *block;
    size_t n;
    la_int64_t offset;
    int r = archive_read_data_block(a->ar, &block, &n, &offset);
    if (r == ARCHIVE_EOF)
      return 0;
    if (r < ARCHIVE_WARN)
      return read_error(a);
    if (offset < 0 || (uint64_t)offset < a->data.len)
      return zm_error_set(ZM_EINVALID, "%s: entry '%s' has overlapping blocks", a->path,
                          a->name);
    uint64_t end = (uint64_t)offset + n;
    a->expanded += end - a->data.len;
    int rc = check_limits(a);
    if (rc)
      return rc;
    if (zm_buf_grow(&a->data, end - a->data.len + 1) != 0)
      return ZM_ENOMEM;
    memset(a->data.data + a->data.len, 0, (size_t)offset - a->data.len); /* sparse hole */
    if (n) /* a stored zip's empty block comes with a NULL pointer */
      memcpy(a->data.data + offset, block, n);
    a->data.len = end;
  }
}

/* Why a non-regular entry is skipped. */
static int skip_reason(char *out, size_t cap, struct archive_entry *e, const char *name)
{
  const char *hard = archive_entry_hardlink(e);
  const char *sym = archive_entry_symlink(e);
  if (hard)
    snprintf(out, cap, "hard link to '%s'; skipped", hard);
  else if (sym && !zm_archive_link_inside(name, sym))
    snprintf(out, cap, "symbolic link to '%s' points outside the archive; skipped", sym);
  else if (sym)
    snprintf(out, cap, "symbolic link to '%s'; skipped (links are not followed)", sym);
  else
    snprintf(out, cap, "not a regular file; skipped");
  return 0;
}

/* Handle one header: 1 when it is a regular file to return, 0 to go on. */
static int take_entry(zm_archive *a, struct archive_entry *e)
{
  const char *raw = archive_entry_pathname(e);
  raw = raw ? raw : "";
  snprintf(a->name, sizeof a->name, "%s", raw);
  char clean[NAME_MAX_LEN], why[NAME_MAX_LEN + 64];
  mode_t type = archive_entry_filetype(e);
  if (zm_archive_path_clean(clean, sizeof clean, raw) != 0) {
    snprintf(why, sizeof why, "%s; skipped", zm_error_last());
    return zm_archive_problem_add(&a->problems, raw, why);
  }
  if (type == AE_IFDIR || clean[0] == '\0')
    return 0;
  if (type != AE_IFREG || archive_entry_hardlink(e)) {
    skip_reason(why, sizeof why, e, clean);
    return zm_archive_problem_add(&a->problems, clean, why);
  }
  snprintf(a->name, sizeof a->name, "%s", clean);
  return 1;
}

int zm_archive_next(zm_archive_entry *out, zm_archive *a)
{
  for (;;) {
    struct archive_entry *e;
    zm_fault("snapshot.archive");
    int r = archive_read_next_header(a->ar, &e);
    if (r == ARCHIVE_EOF)
      return 0;
    if (r < ARCHIVE_WARN)
      return read_error(a);
    if (++a->entries > a->lim.max_entries)
      return zm_error_set(ZM_EINVALID,
                          "%s: more than %llu entries; stopped: this looks like an archive bomb",
                          a->path, (unsigned long long)a->lim.max_entries);
    int take = take_entry(a, e);
    if (take < 0)
      return take;
    if (take == 0)
      continue;
    int rc = read_data(a);
    if (rc)
      return rc;
    *out = (zm_archive_entry){a->name, a->data.data ? a->data.data : "", a->data.len,
                              (archive_entry_perm(e) & 0111) != 0};
    return 1;
  }
}

const zm_archive_problems *zm_archive_problems_of(const zm_archive *a)
{
  return &a->problems;
}

void zm_archive_free(zm_archive *a)
{
  if (!a)
    return;
  if (a->ar)
    archive_read_free(a->ar);
  zm_buf_free(&a->data);
  zm_archive_problems_clear(&a->problems);
  free(a->path);
  free(a);
}
