/* Artifact ids: the digest that names an object in the store.
 *
 * An object of at most ZM_OBJHASH_BLOCK bytes is named by the SHA-256 of its
 * bytes (what sha256sum prints). A longer one is cut into blocks of
 * ZM_OBJHASH_BLOCK bytes and named by
 *
 *   SHA-256( MAGIC || SHA-256(block 0) || ... || SHA-256(block n-1) || length )
 *
 * with MAGIC the 16 bytes ZM_OBJHASH_MAGIC and length the object's size as a
 * little-endian 64-bit integer, so its blocks hash on several cores at once
 * and the id does not depend on how many. An object that starts with MAGIC
 * is named the second way whatever its size: no object's plain digest can
 * then equal another's block digest. docs/store.md states the scheme. */
#ifndef ZM_OBJHASH_H
#define ZM_OBJHASH_H

#include <stddef.h>
#include <sys/uio.h>

#define ZM_OBJHASH_BLOCK ((size_t)4 << 20)
#define ZM_OBJHASH_MAGIC "\0zenml-blocks-1\n"
#define ZM_OBJHASH_MAGIC_LEN 16

/* A streaming object digest (one block at a time, on the caller's thread). */
typedef struct zm_objhasher zm_objhasher;

int zm_objhasher_new(zm_objhasher **out);

/* Feed `len` bytes. */
int zm_objhasher_update(zm_objhasher *h, const void *data, size_t len);

/* Write the hex digest (65 bytes with the NUL) of everything fed; the hasher
 * restarts empty. */
int zm_objhasher_final(char out[65], zm_objhasher *h);

/* Release a hasher. Accepts NULL. */
void zm_objhasher_free(zm_objhasher *h);

/* The digest of the bytes of `n` segments in order, the blocks hashed on up
 * to `threads` threads (<= 0: the calling thread's worker count, default
 * every core). */
int zm_objhash_iov(char out[65], const struct iovec *iov, size_t n, int threads);

/* The digest of one buffer, as zm_objhash_iov. */
int zm_objhash_buf(char out[65], const void *data, size_t len, int threads);

/* The digest of a file's bytes, as zm_objhash_iov; errors name the file. */
int zm_objhash_file(char out[65], const char *path, int threads);

#endif
