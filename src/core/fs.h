/* Small file-system helpers shared by the stores and the YAML writer. */
#ifndef ZM_CORE_FS_H
#define ZM_CORE_FS_H

#include <stddef.h>
#include <sys/types.h>

/* Create a folder and its parents (mode 0777 & ~umask); existing is fine. */
int zm_fs_mkdir_p(const char *path);

/* Read a whole file into a NUL-terminated malloc'd buffer; *out_len may be NULL. */
int zm_fs_read(char **out, size_t *out_len, const char *path);

/* Write `len` bytes durably: temp file in the same folder, fsync, rename over
 * `path`, fsync the folder, then chmod to `mode`. A crash leaves either the
 * old file or the new one, never a part. */
int zm_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* fsync the folder that contains `path` (so a rename into it is durable). */
int zm_fs_sync_parent(const char *path);

/* 1 if `path` exists (any type), 0 if not. */
int zm_fs_exists(const char *path);

#endif
