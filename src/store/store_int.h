/* Internals shared by the store's source files; not part of its public face. */
#ifndef ZM_STORE_INT_H
#define ZM_STORE_INT_H

#include "store/store.h"

#include <pthread.h>
#include <stdint.h>

#define TMP_PREFIX ".tmp-"
#define TREE_MAGIC "zenml-tree 1\n"

/* A batched put waiting for commit: its temp file and its digest. */
typedef struct pending {
  char *tmp;
  char hex[65];
  int lent;   /* write-behind: a reader was given the temp path (store_behind_lend) */
  int placed; /* write-behind: in objects/ now */
} pending;

typedef struct store_batch {
  pending *items;
  size_t n, cap;
} store_batch;

typedef struct store_behind store_behind;

struct zm_store {
  char *root, *objects, *tmp;
  char host[40]; /* sanitised host name, part of temp file names */
  pthread_mutex_t lock;
  store_batch *batch; /* the handle's open batch, or NULL */
  store_behind *behind; /* write-behind state (behind.c), or NULL */
  pthread_mutex_t lent_lock;
  char **lent;          /* temp names kept for readers until the handle closes */
  size_t nlent, lent_cap;
  unsigned char known_dirs[256]; /* fan-out folders this handle has seen exist */
  int lock_slot;                 /* the process's shared gc lock (lock.c), or -1 */
};

/* Take the process's shared gc lock on the store (waiting while a gc runs);
 * a store whose lock file cannot be made (read-only) goes without. */
int store_lock_open(zm_store *s);

/* Release this handle's hold on the gc lock. */
void store_lock_close(zm_store *s);

/* Whether `path` is an entry of the store's tmp/ folder. */
int store_in_tmp(const zm_store *s, const char *path);

/* Remove a file or a folder with everything in it, never following symbolic
 * links; adds the bytes of the files to *bytes. With `dry_run` only counts. */
int store_tmp_remove_tree(uint64_t *bytes, const char *path, int dry_run);

/* One file of a tree manifest. */
typedef struct tree_entry {
  char *path;
  unsigned mode; /* 0644 or 0755 */
  uint64_t size;
  char id[ZM_STORE_ID_SIZE];
} tree_entry;

typedef struct tree {
  tree_entry *items;
  size_t n, cap;
} tree;

/* snprintf into a path buffer; ZM_EINVALID "path too long" when it does not fit. */
int store_path_fmt(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* objects/ab/cdef... for a 64-hex digest. */
void store_object_path(char *out, size_t cap, const zm_store *s, const char *hex);

/* Puts into an explicit batch (NULL: fully durable on their own). */
int store_put_buf(char out[ZM_STORE_ID_SIZE], zm_store *s, store_batch *b, const void *data,
                  size_t len);
int store_put_file(char out[ZM_STORE_ID_SIZE], zm_store *s, store_batch *b, const char *path);
int store_batch_commit(zm_store *s, store_batch *b);
void store_batch_abort(store_batch *b);

/* 1 when the file at `path` is named by the plain SHA-256 of its bytes,
 * `hex`: how zenml named objects over 4 MiB before their ids hashed blocks
 * (docs/store.md). Such an object is intact, not corrupt (written.c). */
int store_legacy_name(const char *path, const char *hex);

/* Remember that this process wrote the bytes of object `hex` (written.c). */
void store_note_written(const zm_store *s, const char *hex);

/* syncfs(2) on the store's file system: every dirty page and inode at once. */
int store_sync_fs(const zm_store *s);

/* 1 while write-behind is on. */
int store_behind_active(const zm_store *s);

/* Queue a finished, unsynced temp file holding digest `hex`; removes it on failure. */
int store_behind_add(zm_store *s, const char *tmp, const char *hex);

/* 1 and its temp path in `out` if `hex` is queued or being committed by a
 * handle on this store in this process, else 0. */
int store_behind_tmp(char *out, size_t cap, const zm_store *s, const char *hex);

/* store_behind_tmp for a reader that keeps the path: the temp file stays
 * in place after the commit (a second name of the object) until the
 * handle that queued it closes (store_lent_release). */
int store_behind_lend(char *out, size_t cap, const zm_store *s, const char *hex);

/* Remove the temp names kept for readers; the handle is closing. */
void store_lent_release(zm_store *s);

/* Commit the queue that holds `hex`, if any; 0 or that queue's error. */
int store_behind_settle(const zm_store *s, const char *hex);

/* Parse a temp file name: 1 and pid/host-match if it is one of ours, else 0. */
int store_tmp_name(const zm_store *s, const char *name, long *out_pid, int *out_same_host);

/* Parse a manifest (`id` names it in errors); ZM_EINVALID if it is not one. */
int tree_parse(tree *out, const char *text, size_t len, const char *id);

/* Read and parse the manifest `id`. */
int tree_load(tree *out, const zm_store *s, const char *id);

/* Release a tree's entries. */
void tree_free(tree *t);

#endif
