/* Frames built in place in their future frame file (see backed.h). */
#include "frame/backed.h"
#include "frame/framefile.h"
#include "frame/internal.h"
#include "core/buf.h"
#include "core/bigmem.h"
#include "core/error.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static pthread_mutex_t spill_lock = PTHREAD_MUTEX_INITIALIZER;
static zm_frame_spill_fn spill_fn;
static void *spill_ctx;
static void (*spill_release)(void *);

void zm_frame_set_spill(zm_frame_spill_fn fn, void *ctx, void (*release)(void *ctx))
{
  pthread_mutex_lock(&spill_lock);
  void *old = spill_ctx;
  void (*old_release)(void *) = spill_release;
  spill_fn = fn;
  spill_ctx = ctx;
  spill_release = release;
  pthread_mutex_unlock(&spill_lock);
  if (old_release)
    old_release(old);
}

/* Make a spill file, under the lock so the registration cannot change
 * meanwhile; 0 without one registered (*out_fd stays -1). */
static int spill(int *out_fd, char *path, size_t cap)
{
  pthread_mutex_lock(&spill_lock);
  int rc = spill_fn ? spill_fn(out_fd, path, cap, spill_ctx) : 0;
  pthread_mutex_unlock(&spill_lock);
  return rc;
}

/* Copy the schema of `shape` into `f` (names only; no buffers). */
static int copy_schema(zm_frame *f, const zm_frame *shape)
{
  for (size_t j = 0; j < shape->ncol; j++) {
    const zm_column *s = &shape->cols[j];
    zm_column *c;
    int rc = zm__frame_push(&c, f, s->name);
    if (rc)
      return rc;
    c->type = s->type;
    c->blob_len = s->blob_len;
  }
  return 0;
}

/* An ordinary frame of that shape. */
static int new_in_memory(zm_frame **out, const zm_frame *shape)
{
  zm_frame *f = NULL;
  int rc = zm_frame_new(&f, shape->nrow);
  for (size_t j = 0; rc == 0 && j < shape->ncol; j++) {
    const zm_column *s = &shape->cols[j];
    zm_column *c;
    if ((rc = zm__frame_push(&c, f, s->name)) == 0 &&
        (rc = zm__column_alloc(c, s->type, f->nrow, s->blob_len)) == 0 && s->valid)
      rc = zm__bitmap_ensure(&c->valid, f->nrow);
  }
  if (rc) {
    zm_frame_free(f);
    return rc;
  }
  *out = f;
  return 0;
}

/* Point the columns of `f` at their places in the mapping; bitmaps all valid. */
static void place_columns(zm_frame *f, const zm_frame *shape, const zm_frame_offsets *o)
{
  char *base = f->map;
  for (size_t j = 0; j < f->ncol; j++) {
    zm_column *c = &f->cols[j];
    c->data = base + o->cols[j].data;
    if (shape->cols[j].valid) {
      c->valid = (uint8_t *)base + o->cols[j].valid;
      memset(c->valid, 0xff, (f->nrow + 7) / 8);
    }
    if (c->type == ZM_TYPE_STR)
      c->blob = base + o->cols[j].blob;
  }
}

/* The frame in a new spill file, or *out NULL when none is registered. */
static int new_in_file(zm_frame **out, const zm_frame *shape, const zm_frame_offsets *o)
{
  char path[PATH_MAX];
  int fd = -1, rc = spill(&fd, path, sizeof path);
  if (rc || fd < 0)
    return rc;
  zm_frame *f = NULL;
  if ((rc = zm_frame_new(&f, shape->nrow)) || (rc = copy_schema(f, shape)))
    goto fail;
  if (ftruncate(fd, (off_t)o->file_len) != 0) {
    rc = zm_error_sys(ZM_EIO, "cannot size %s", path);
    goto fail;
  }
  void *map = mmap(NULL, o->file_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) {
    rc = zm_error_sys(ZM_EIO, "cannot map %s", path);
    goto fail;
  }
  f->map = map;
  f->map_len = o->file_len;
  f->backing_fd = fd;
  if (!(f->backing = strdup(path))) {
    rc = zm_error_set(ZM_ENOMEM, "out of memory");
    f->backing_fd = -1;
    goto fail;
  }
  zm_big_advise(map, o->file_len);
  place_columns(f, shape, o);
  *out = f;
  return 0;
fail:
  zm_frame_free(f);
  close(fd);
  unlink(path);
  return rc;
}

int zm_frame_new_shaped(zm_frame **out, size_t nrow, const zm_column *cols, size_t ncol,
                        size_t min_bytes)
{
  *out = NULL;
  /* a frame view of the description for the layout: borrowed names and
   * bitmap pointers (as flags), its own lengths; never freed as a frame */
  zm_column *view = malloc((ncol + 1) * sizeof *view);
  if (!view)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t j = 0; j < ncol; j++)
    view[j] = (zm_column){.name = cols[j].name, .type = cols[j].type, .len = nrow,
                          .valid = cols[j].valid, .blob_len = cols[j].blob_len};
  zm_frame shape = {.nrow = nrow, .ncol = ncol, .cols = view};
  zm_frame_offsets *o = NULL;
  int rc = zm_frame_file_offsets(&o, &shape);
  if (rc == 0 && o->file_len >= min_bytes)
    rc = new_in_file(out, &shape, o);
  free(o);
  if (rc == 0 && !*out)
    rc = new_in_memory(out, &shape);
  free(view);
  return rc;
}

/* Whether every buffer of `f` still sits where its file layout puts it. */
static int laid_out(const zm_frame *f, const zm_frame_offsets *o)
{
  const char *base = f->map;
  if (o->file_len != f->map_len)
    return 0;
  for (size_t j = 0; j < f->ncol; j++) {
    const zm_column *c = &f->cols[j];
    if ((const char *)c->data != base + o->cols[j].data ||
        (c->valid && (const char *)c->valid != base + o->cols[j].valid) ||
        (c->type == ZM_TYPE_STR && c->blob != base + o->cols[j].blob))
      return 0;
  }
  return 1;
}

int zm_frame_seal(zm_frame_sealed *out, zm_frame *f)
{
  if (!f->backing)
    return 0;
  zm_frame_offsets *o = NULL;
  zm_buf h = ZM_BUF_INIT;
  int rc = zm_frame_file_offsets(&o, f);
  if (rc == 0 && !laid_out(f, o))
    rc = 1; /* not as made: store it the usual way */
  if (rc == 0 && (rc = zm_frame_header(&h, f)) == 0)
    memcpy(f->map, h.data, h.len); /* h.len is o->header_len, before any buffer */
  free(o);
  zm_buf_free(&h);
  if (rc == 1)
    return 0;
  if (rc)
    return rc;
  *out = (zm_frame_sealed){f->map, f->map_len, f->backing_fd, f->backing};
  return 1;
}

void zm_frame_sealed_taken(zm_frame *f)
{
  free(f->backing);
  f->backing = NULL;
  f->backing_fd = -1;
  /* the bytes now are (or duplicate) a stored object: never write them again */
  mprotect(f->map, f->map_len, PROT_READ);
  f->map_file = 1;
}

/* sync_file_range on the whole pages of [p, p + len) inside f's mapping. */
static void kick_range(const zm_frame *f, const void *p, size_t len)
{
  const char *base = f->map, *at = p;
  if (!p || len == 0 || at < base || at + len > base + f->map_len)
    return;
  sync_file_range(f->backing_fd, (off_t)(at - base), (off_t)len, SYNC_FILE_RANGE_WRITE);
}

void zm_frame_backing_kick(const zm_frame *f, size_t first, size_t n)
{
  if (!f->backing || f->backing_fd < 0 || !f->map)
    return;
  for (size_t j = first; j < first + n && j < f->ncol; j++) {
    const zm_column *c = &f->cols[j];
    kick_range(f, c->data, zm__column_data_bytes(c));
    if (c->valid)
      kick_range(f, c->valid, (c->len + 7) / 8);
    if (c->blob)
      kick_range(f, c->blob, (size_t)c->blob_len);
  }
}

void zm_frame_backing_drop(zm_frame *f)
{
  if (!f->backing)
    return;
  close(f->backing_fd);
  unlink(f->backing);
  free(f->backing);
  f->backing = NULL;
  f->backing_fd = -1;
}

/* Copy `n` bytes at `p` into new memory at *slot (left alone when p is NULL). */
static int own_copy(void **slot, const void *p, size_t n)
{
  if (!p)
    return 0;
  void *q = malloc(n ? n : 1);
  if (!q)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  memcpy(q, p, n);
  *slot = q;
  return 0;
}

int zm_frame_unback(zm_frame *f)
{
  if (!f->backing)
    return 0;
  size_t n = f->ncol;
  zm_column *copy = calloc(n + 1, sizeof *copy);
  int rc = copy ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t j = 0; rc == 0 && j < n; j++) {
    const zm_column *c = &f->cols[j];
    copy[j] = (zm_column){.type = c->type, .len = c->len, .blob_len = c->blob_len};
    if ((rc = own_copy(&copy[j].data, c->data, zm__column_data_bytes(c))) == 0 &&
        (rc = own_copy((void **)&copy[j].valid, c->valid, (c->len + 7) / 8)) == 0)
      rc = own_copy((void **)&copy[j].blob, c->type == ZM_TYPE_STR ? c->blob : NULL,
                    c->blob_len);
  }
  if (rc) {
    for (size_t j = 0; copy && j < n; j++)
      zm__column_release(&copy[j], 1); /* names are still the frame's: none here */
    free(copy);
    return rc;
  }
  for (size_t j = 0; j < n; j++) {
    copy[j].name = f->cols[j].name;
    f->cols[j] = copy[j];
  }
  free(copy);
  munmap(f->map, f->map_len);
  f->map = NULL;
  f->map_len = 0;
  zm_frame_backing_drop(f);
  return 0;
}
