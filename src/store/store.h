/* The content-addressed artifact store: immutable objects named by the
 * SHA-256 of their bytes, under a root folder:
 *   root/objects/ab/cdef...   the object whose id is sha256:abcdef...
 *   root/tmp/                 temporary files of puts whose id is not known yet
 * Every write goes to a temporary file (.tmp-<pid>.<host>-XXXXXX), is made
 * durable, then renamed into place read-only, so a crash never leaves a
 * partial object. docs/store.md describes the layout and the tree format.
 *
 * A zm_store handle may be shared by threads for puts and reads; a batch
 * belongs to the handle, so begin and commit it from the thread that owns
 * the work. */
#ifndef ZM_STORE_H
#define ZM_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Size of an id buffer: "sha256:" + 64 hex characters + NUL. */
#define ZM_STORE_ID_SIZE 72

typedef struct zm_store zm_store;

/* Reads up to `cap` bytes into `buf`: returns the count, 0 at the end, or a
 * negative ZM_E* code after setting the error message. */
typedef ssize_t (*zm_store_reader)(void *ctx, void *buf, size_t cap);

/* Called once per problem found by verify/check: `what` is an id (or a
 * path relative to the root for a stray file), `problem` says what is wrong. */
typedef void (*zm_store_report)(void *ctx, const char *what, const char *problem);

/* What gc removed (or would remove, in a dry run). */
typedef struct zm_store_gc_stats {
  size_t objects; /* unreferenced objects */
  size_t temps;   /* stale temporary files */
  uint64_t bytes; /* bytes of both */
} zm_store_gc_stats;

/* A read-only memory mapping of one object. */
typedef struct zm_store_map {
  const void *data;
  size_t len;
} zm_store_map;

/* Open (creating root/objects and root/tmp as needed) the store at `root`. */
int zm_store_open(zm_store **out, const char *root);

/* Close a store; an uncommitted batch is abandoned (its temp files removed). Accepts NULL. */
void zm_store_free(zm_store *s);

/* The root folder the store was opened with. */
const char *zm_store_root(const zm_store *s);

/* 0 if `id` is exactly "sha256:" + 64 lower-case hex, else ZM_EINVALID with
 * the message "invalid artifact id '<id>'". */
int zm_store_id_check(const char *id);

/* Store `len` bytes; `out` receives the id. Existing content is a no-op. */
int zm_store_put_buf(char out[ZM_STORE_ID_SIZE], zm_store *s, const void *data, size_t len);

/* Store the bytes of the file at `path`. */
int zm_store_put_file(char out[ZM_STORE_ID_SIZE], zm_store *s, const char *path);

/* Store everything left to read on `fd`; `name` is used in error messages. */
int zm_store_put_fd(char out[ZM_STORE_ID_SIZE], zm_store *s, int fd, const char *name);

/* Store everything `read` yields until it returns 0. */
int zm_store_put_stream(char out[ZM_STORE_ID_SIZE], zm_store *s, zm_store_reader read,
                        void *ctx);

/* Start a batch: later puts through this handle write temp files without
 * their own fsync, and become visible only at zm_store_batch_commit. */
int zm_store_batch_begin(zm_store *s);

/* Make every batched put durable with one syncfs, rename them into place and
 * sync each touched folder once. Without an open batch this is a no-op. */
int zm_store_batch_commit(zm_store *s);

/* Drop an open batch, removing its temp files. No-op without one. */
void zm_store_batch_abort(zm_store *s);

/* Write the object path of `id` to `out` (whether or not it exists); a
 * queued write-behind put is settled first, so the path stays valid. */
int zm_store_path(char *out, size_t cap, const zm_store *s, const char *id);

/* Write to `out` a path this process can read object `id` from now,
 * without waiting for write-behind: its object path, or while a
 * write-behind put of it waits, its temp file. That file keeps its name
 * (beside the object's, once committed) until the handle that queued it
 * closes, so a reader in this process may open it later too. For a path
 * that lasts, or that another process may open, use zm_store_path. */
int zm_store_read_path(char *out, size_t cap, const zm_store *s, const char *id);

/* 1 if the object exists, 0 if not, ZM_EINVALID for a malformed id. */
int zm_store_exists(const zm_store *s, const char *id);

/* 1 when this process stored object `id` from its own bytes (hashed here,
 * so a reader may skip checking them again), else 0: an object that was
 * there already, or one another process stored, counts as not written. */
int zm_store_wrote(const zm_store *s, const char *id);

/* Size in bytes of an object; ZM_ENOTFOUND when absent. */
int zm_store_size(uint64_t *out, const zm_store *s, const char *id);

/* Open an object for reading (O_RDONLY | O_CLOEXEC); the caller closes it. */
int zm_store_open_fd(int *out, const zm_store *s, const char *id);

/* Read a whole object into a NUL-terminated malloc'd buffer (caller frees). */
int zm_store_read(char **out, size_t *out_len, const zm_store *s, const char *id);

/* Map an object read-only into memory; free with zm_store_map_free. */
int zm_store_map_open(zm_store_map **out, const zm_store *s, const char *id);

/* Unmap and free a mapping. Accepts NULL. */
void zm_store_map_free(zm_store_map *m);

/* Store every file under `folder` and then its manifest; `out` is the
 * manifest's id, which is the tree's id. */
int zm_store_put_tree(char out[ZM_STORE_ID_SIZE], zm_store *s, const char *folder);

/* Write the tree `id` into `dest` (created as needed), verifying each file's
 * hash; refuses absolute entry paths and ones with "..", "." or empty parts. */
int zm_store_checkout_tree(zm_store *s, const char *id, const char *dest);

/* 1 if the object `id` is a tree manifest, 0 if not, negative on error. */
int zm_store_is_tree(const zm_store *s, const char *id);

/* Re-hash every object, reporting each corrupt or stray one; `out_bad` gets
 * the count (may be NULL). Returns 0 even when problems were found. */
int zm_store_verify(size_t *out_bad, zm_store *s, zm_store_report report, void *ctx);

/* Report each of `ids` that is missing (and, for trees, each missing entry). */
int zm_store_check_ids(size_t *out_missing, zm_store *s, const char *const *ids, size_t n,
                       zm_store_report report, void *ctx);

/* Remove every object not in `keep` (trees keep their entries) and every
 * stale temp file (dead pid or older than an hour); with `dry_run` only count. */
int zm_store_gc(zm_store_gc_stats *out, zm_store *s, const char *const *keep, size_t n,
                int dry_run);

/* The gc lock: every handle holds it shared from zm_store_open to
 * zm_store_free (one lock per store per process). gc converts it to
 * exclusive, so no process that may have put an object it has not recorded
 * yet is running: 0 when held, 1 when other processes hold it and `wait` is
 * 0, or an error. Without a lock file (a read-only store) always 0. */
int zm_store_lock_exclusive(zm_store *s, int wait);

/* Back to the shared lock after gc. */
int zm_store_lock_shared(zm_store *s);

/* A new, empty temporary folder in the store's tmp/ (*out, to free), named
 * so gc removes it once this process is gone; remove it with
 * zm_store_tmp_remove when done. */
int zm_store_tmp_dir(char **out, zm_store *s);

/* Remove a temporary file or folder the store made (with everything in it);
 * ZM_EINVALID for any other path. */
int zm_store_tmp_remove(zm_store *s, const char *path);

/* Remove only the stale temp files (zenml verify --repair); objects stay. */
int zm_store_clean_temps(zm_store_gc_stats *out, zm_store *s, int dry_run);

/* Store the concatenation of `n` memory segments (unchanged during the
 * call): a second thread hashes them while this one writes them, writeback
 * starting chunk by chunk; as durable as any put. For large frames. */
int zm_store_put_iov(char out[ZM_STORE_ID_SIZE], zm_store *s, const struct iovec *iov, size_t n);

/* zm_store_put_iov for a caller that frees each segment's memory once it
 * is stored, so the page cache takes those warm pages for the segments
 * after it (docs/store.md, "Big puts"): the digest is taken first (on the
 * workers), an object already stored is not written again, and done(ctx,
 * k) follows the writing of segments [0, k) (k = n at once when the object
 * exists). After an error, segments may have been given back already. */
int zm_store_put_iov_each(char out[ZM_STORE_ID_SIZE], zm_store *s, const struct iovec *iov,
                          size_t n, void (*done)(void *ctx, size_t k), void *ctx);

/* Create an empty temporary file in the store's tmp/ (named so gc knows
 * whose it is): `out` gets its fd, `path` (cap bytes) its path. */
int zm_store_tmp_open(int *out, char *path, size_t cap, const zm_store *s);

/* 1 if `path` names a file directly in the store's tmp/ (as
 * zm_store_tmp_open makes them), else 0. */
int zm_store_is_tmp(const zm_store *s, const char *path);

/* Store the complete contents of temporary file `tmp` (from
 * zm_store_tmp_open, open as `fd`), given mapped as `data`: hashed from
 * memory, then synced and renamed into place like any put (or removed when
 * the object exists). Takes `fd` and `tmp` in every case. */
int zm_store_put_mapped(char out[ZM_STORE_ID_SIZE], zm_store *s, const void *data, size_t len,
                        int fd, const char *tmp);

/* Write-behind: from now on single puts through this handle write their
 * temp files without syncing each, and a background thread makes them
 * durable together (one syncfs, renames, one syncfs) once the oldest has
 * waited `max_ms`. A queued object is readable at once (exists, size,
 * open_fd, read, map; path settles first). A crash loses at most the last
 * max_ms of puts and never exposes a partial object. 0 settles and stops. */
int zm_store_write_behind(zm_store *s, unsigned max_ms);

/* Make every queued write-behind put durable and visible in place now;
 * reports an error a background commit met since the last settle. */
int zm_store_settle(const zm_store *s);

#endif
