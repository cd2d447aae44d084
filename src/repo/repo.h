/* The git repository a project lives in, through libgit2: where its work
 * tree is, which commit and branch it is on, whether it is dirty, and the
 * bytes of files as git recorded them (so a re-run can load a step's source
 * at its pinned blob even after the work tree changed).
 *
 * A zm_repo is not safe to use from two threads at once; each worker opens
 * its own. Object ids are 40 lowercase hex digits (SHA-1 repositories). */
#ifndef ZM_REPO_REPO_H
#define ZM_REPO_REPO_H

#include <stddef.h>

#define ZM_REPO_SHA_HEX 40

typedef struct zm_repo zm_repo;

/* Per-file state, from the most to the least pressing for "is it dirty?". */
typedef enum zm_repo_status {
  ZM_REPO_CLEAN = 0,  /* tracked, identical in HEAD, index and work tree */
  ZM_REPO_MODIFIED,   /* work tree differs from the index (edited, deleted) */
  ZM_REPO_STAGED,     /* index differs from HEAD, work tree matches the index */
  ZM_REPO_UNTRACKED,  /* present, not in the index, not ignored */
  ZM_REPO_IGNORED,    /* present, not in the index, ignored */
} zm_repo_status;

/* Paths relative to the work tree root, sorted as git sorts them. */
typedef struct zm_repo_paths {
  size_t count;
  char **paths;
} zm_repo_paths;

/* Find the git work tree at or above `start_folder` (stopping, as git does, at
 * GIT_CEILING_DIRECTORIES); ZM_ENOTFOUND outside git, ZM_EINVALID when bare. */
int zm_repo_discover(zm_repo **out, const char *start_folder);

/* Start libgit2 on a background thread, once per process, so that a
 * discover a few milliseconds later finds it ready. */
void zm_repo_warm_up(void);

/* Wait until a warm-up started is done and its thread gone. Call before
 * exiting: exit handlers must not tear down OpenSSL under a libgit2
 * start-up still running. */
void zm_repo_warm_up_wait(void);

/* Close the repository. Accepts NULL. */
void zm_repo_free(zm_repo *repo);

/* Absolute path of the work tree root, without a trailing slash. */
const char *zm_repo_root(const zm_repo *repo);

/* Hex id of HEAD's commit into `out`; "" when the repository has no commits. */
int zm_repo_head(char out[ZM_REPO_SHA_HEX + 1], zm_repo *repo);

/* Short name of the current branch (also when it has no commits yet), or NULL
 * when HEAD is detached. Free *out with free(). */
int zm_repo_branch(char **out, zm_repo *repo);

/* *out = 1 when anything is staged, modified or untracked-and-not-ignored. */
int zm_repo_dirty(int *out, zm_repo *repo);

/* Every dirty path (untracked folders expanded to their files). */
int zm_repo_dirty_paths(zm_repo_paths **out, zm_repo *repo);

/* Free a path list. Accepts NULL. */
void zm_repo_paths_free(zm_repo_paths *paths);

/* State of one file (path relative to the root); ZM_ENOTFOUND when it is
 * neither in the work tree nor in the index. */
int zm_repo_file_status(zm_repo_status *out, zm_repo *repo, const char *path);

/* "clean", "modified", "staged", "untracked" or "ignored". */
const char *zm_repo_status_name(zm_repo_status status);

/* Blob id of `path` (relative to the root) in HEAD's tree; ZM_ENOTFOUND when
 * HEAD has no such file or there are no commits. */
int zm_repo_blob_sha(char out[ZM_REPO_SHA_HEX + 1], zm_repo *repo, const char *path);

/* Blob id of the working-copy file `path` (relative to the root, or absolute)
 * after git's filters: what `git hash-object FILE` prints. */
int zm_repo_workfile_sha(char out[ZM_REPO_SHA_HEX + 1], zm_repo *repo, const char *path);

/* Blob id of `len` bytes, as git would store them (no filters, no repository). */
int zm_repo_hash_bytes(char out[ZM_REPO_SHA_HEX + 1], const void *data, size_t len);

/* Bytes of the blob `sha` (full hex id) into a NUL-terminated malloc'd
 * buffer; ZM_ENOTFOUND when git does not have it. Free *out with free(). */
int zm_repo_read_blob(char **out, size_t *out_len, zm_repo *repo, const char *sha);

/* Bytes of `path` as of `commit` (a hex id or any revision git understands,
 * such as "HEAD~1" or a branch name). Free *out with free(). */
int zm_repo_read_at(char **out, size_t *out_len, zm_repo *repo, const char *commit,
                    const char *path);

#endif
