/* Self-contained model bundles on disk: a gzip-compressed tar of named
 * byte strings (manifest, transform, model, schema) written through
 * libarchive with fixed metadata, so the same contents give the same bytes. */
#ifndef ZM_ML_PACK_H
#define ZM_ML_PACK_H

#include "core/buf.h"

#include <stddef.h>

/* One file of a pack. */
typedef struct zm_pack_entry {
  const char *name;
  const void *data;
  size_t len;
} zm_pack_entry;

/* Append a .tar.gz holding entries[0..n) in order to out: mode 0644, owner
 * 0, mtime 0, no gzip timestamp. */
int zm_pack_write(zm_buf *out, const zm_pack_entry *entries, size_t n);

#endif
