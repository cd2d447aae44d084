/* Frames built in place in their future frame file. A frame that is about
 * to be stored costs three passes over fresh memory the usual way: filling
 * anonymous pages, copying them into the page cache, hashing. Built inside a
 * shared mapping of a temporary file laid out as its frame file will be, it
 * costs the fill and the hash: the store adopts the file instead of a copy.
 * The temporary file comes from a "spill" function the artifact store's
 * binding registers (so it lies inside the store, named as its temp files). */
#ifndef ZM_FRAME_BACKED_H
#define ZM_FRAME_BACKED_H

#include "frame/frame.h"

#include <stddef.h>

/* Create an empty temporary file: fd and path (cap bytes) out; 0 or error. */
typedef int (*zm_frame_spill_fn)(int *out_fd, char *path, size_t cap, void *ctx);

/* Register where big new frames are built (NULL: in ordinary memory). The
 * previous registration's ctx is returned to `release` (may be NULL). */
void zm_frame_set_spill(zm_frame_spill_fn fn, void *ctx, void (*release)(void *ctx));

/* A new zero-filled frame of `nrow` rows with columns like cols[0..ncol):
 * their names and types; a bitmap (all valid) where cols[j].valid is set;
 * blob_len bytes of blob for strings. Only those fields are read. It is
 * built in a spill file when one is registered and its file would be at
 * least `min_bytes`, else in ordinary memory. Either way a normal frame:
 * fill its buffers, but add no columns to it. */
int zm_frame_new_shaped(zm_frame **out, size_t nrow, const zm_column *cols, size_t ncol,
                        size_t min_bytes);

/* A frame built in a spill file, finished for storing: its header written in
 * place. Fields borrow the frame's. */
typedef struct zm_frame_sealed {
  const void *data; /* the whole file's bytes, mapped */
  size_t len;
  int fd;           /* open on `path`; the taker closes it */
  const char *path;
} zm_frame_sealed;

/* 1 and `out` filled when `f` is built in a spill file (and laid out as
 * when made); 0 when it is not (store it the usual way); negative on error. */
int zm_frame_seal(zm_frame_sealed *out, zm_frame *f);

/* After a sealed frame's file was handed to the store (which closed its fd
 * and renamed or removed it): the frame stays valid, now read-only. */
void zm_frame_sealed_taken(zm_frame *f);

/* Move a frame built in a spill file into ordinary memory (before a change
 * to its shape: adding columns, appending rows). No-op for other frames. */
int zm_frame_unback(zm_frame *f);

/* Start writing back the bytes of columns cols[first .. first + n) of a
 * frame built in a spill file (no-op for other frames): a kernel that fills
 * columns one after another calls it as each is done, so the disk works
 * while the rest are computed and the store's sync finds little left.
 * Advice only: it neither waits nor fails. */
void zm_frame_backing_kick(const zm_frame *f, size_t first, size_t n);

/* Close and remove a frame's spill file if it still has one (frame free). */
void zm_frame_backing_drop(zm_frame *f);

#endif
