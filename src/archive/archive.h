/* Reading the files a datasource is made of: archives (tar, tar.gz,
 * tar.zst, zip, ... through libarchive) and plain folders. Entries that
 * would land outside the archive (absolute paths, "..", links pointing
 * out) are reported and skipped; an archive that expands past the limits
 * stops with an error before it can exhaust memory. Nothing is written. */
#ifndef ZM_ARCHIVE_ARCHIVE_H
#define ZM_ARCHIVE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

/* How far an archive may expand; a zero field takes the default. */
typedef struct zm_archive_limits {
  uint64_t max_bytes;   /* total expanded bytes (default 4 GiB) */
  uint64_t max_ratio;   /* expanded bytes / archive size (default 200) ... */
  uint64_t ratio_floor; /* ... checked once this much has expanded (default 64 MiB) */
  uint64_t max_entries; /* entries of any kind (default 1,000,000) */
} zm_archive_limits;

/* One skipped entry and why. */
typedef struct zm_archive_problem {
  char *what;
  char *problem;
} zm_archive_problem;

/* A growing list of problems. */
typedef struct zm_archive_problems {
  size_t n, cap;
  zm_archive_problem *items;
} zm_archive_problems;

/* A regular file read from an archive; valid until the next zm_archive_next. */
typedef struct zm_archive_entry {
  const char *path; /* normalized, relative, no "." or ".." parts */
  const char *data;
  size_t len;
  int executable;
} zm_archive_entry;

typedef struct zm_archive zm_archive;

/* Regular files below a folder, sorted by path (bytewise). */
typedef struct zm_file_set {
  size_t n, cap;
  char **paths; /* relative to the folder */
  zm_archive_problems problems;
} zm_file_set;

/* 1 when `path` names an archive this module reads (by its extension). */
int zm_archive_detect(const char *path);

/* Open the archive at `path`; `lim` may be NULL for the defaults. */
int zm_archive_open(zm_archive **out, const char *path, const zm_archive_limits *lim);

/* The next safe regular file: 1 and *out set, 0 at the end, or an error
 * (a corrupt archive, or one that expands past the limits). */
int zm_archive_next(zm_archive_entry *out, zm_archive *a);

/* The entries skipped so far. */
const zm_archive_problems *zm_archive_problems_of(const zm_archive *a);

/* Close the archive. Accepts NULL. */
void zm_archive_free(zm_archive *a);

/* Normalize an entry name into `out`: 0, or ZM_EINVALID with the reason
 * ("absolute path", "path leaves the archive (..)", ...) as the message. */
int zm_archive_path_clean(char *out, size_t cap, const char *name);

/* 1 when the link target `target` of the entry `path` stays inside the root. */
int zm_archive_link_inside(const char *path, const char *target);

/* List the regular files under `folder`, following links only to files inside it. */
int zm_archive_walk(zm_file_set **out, const char *folder);

/* Release a file set. Accepts NULL. */
void zm_file_set_free(zm_file_set *s);

/* Append a problem (both strings are copied). */
int zm_archive_problem_add(zm_archive_problems *p, const char *what, const char *problem);

/* Release the problems' memory (the list may be reused). */
void zm_archive_problems_clear(zm_archive_problems *p);

#endif
