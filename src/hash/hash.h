/* SHA-256 over buffers, files and many files at once, through OpenSSL's
 * libcrypto EVP interface (hardware-accelerated where the CPU has SHA
 * extensions). Digests are 64 lower-case hex characters plus a NUL, exactly
 * what sha256sum prints. */
#ifndef ZM_HASH_H
#define ZM_HASH_H

#include <stddef.h>

/* Size of a hex digest buffer: 64 hex characters and the NUL. */
#define ZM_HASH_HEX_SIZE 65

/* A streaming SHA-256 computation. */
typedef struct zm_hasher zm_hasher;

/* Start a streaming hash; free it with zm_hasher_free. */
int zm_hasher_new(zm_hasher **out);

/* Feed `len` bytes. */
int zm_hasher_update(zm_hasher *h, const void *data, size_t len);

/* Write the hex digest of everything fed so far; the hasher restarts empty. */
int zm_hasher_final(char out[ZM_HASH_HEX_SIZE], zm_hasher *h);

/* Release a hasher. Accepts NULL. */
void zm_hasher_free(zm_hasher *h);

/* Hex SHA-256 of a buffer. */
int zm_hash_buf(char out[ZM_HASH_HEX_SIZE], const void *data, size_t len);

/* Hex SHA-256 of a file's bytes; errors name the file. */
int zm_hash_file(char out[ZM_HASH_HEX_SIZE], const char *path);

/* Hex SHA-256 of what is left to read on an open descriptor; `name` is used
 * in error messages. Reads until end of file. */
int zm_hash_fd(char out[ZM_HASH_HEX_SIZE], int fd, const char *name);

/* Hash `n` files on up to `nthreads` threads (<= 0: one per core); out[i] is
 * the digest of paths[i]. Fails with the first failing file's error. */
int zm_hash_files(char (*out)[ZM_HASH_HEX_SIZE], const char **paths, size_t n, int nthreads);

/* Write the lower-case hex form of `n` bytes to `out` (2n+1 bytes). */
void zm_hash_hex(char *out, const unsigned char *bytes, size_t n);

#endif
