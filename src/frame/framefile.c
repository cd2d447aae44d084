/* Frame files: encode (to a buffer or a file) and map with validation.
 * Layout and checks are documented in docs/formats.md. */
#include "frame/framefile.h"
#include "frame/internal.h"
#include "core/error.h"
#include "core/workers.h"
#include "core/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "frame files are little-endian and used in place: port the mapping for big-endian hosts"
#endif

static const char MAGIC[8] = {'Z', 'M', 'F', 'R', 'A', 'M', 'E', '\0'};
enum { HEADER_SIZE = 64, ENTRY_SIZE = 64, ALIGN = 64, HASH_AT = 40 };

typedef struct file_header {
  char magic[8];
  uint32_t version, ncol;
  uint64_t nrow, file_len, header_len, header_hash, reserved[2];
} file_header;

typedef struct file_entry {
  uint64_t name_off;
  uint32_t name_len;
  uint8_t type, has_valid;
  uint16_t reserved0;
  uint64_t data_off, valid_off, blob_off, blob_len, hash, reserved1;
} file_entry;

_Static_assert(sizeof(file_header) == HEADER_SIZE, "header layout");
_Static_assert(sizeof(file_entry) == ENTRY_SIZE, "entry layout");

#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull
#define P4 0x85EBCA77C2B2AE63ull
#define P5 0x27D4EB2F165667C5ull

static uint64_t rotl(uint64_t x, int r)
{
  return (x << r) | (x >> (64 - r));
}

static uint64_t lane(uint64_t acc, uint64_t w)
{
  return rotl(acc + w * P2, 31) * P1;
}

/* Four independent multiply-rotate lanes: several GB/s, so checking a
 * mapped file costs about as much as touching its pages. */
uint64_t zm_frame_checksum(uint64_t seed, const void *data, size_t len)
{
  const unsigned char *p = data, *end = p + len;
  uint64_t v[4] = {seed + P1 + P2, seed + P2, seed, seed - P1}, w;
  for (; end - p >= 32; p += 32)
    for (int k = 0; k < 4; k++) {
      memcpy(&w, p + 8 * k, 8);
      v[k] = lane(v[k], w);
    }
  uint64_t h = rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18) + (uint64_t)len;
  for (; end - p >= 8; p += 8) {
    memcpy(&w, p, 8);
    h = rotl(h ^ lane(0, w), 27) * P1 + P4;
  }
  for (; p < end; p++)
    h = rotl(h ^ (*p * P5), 11) * P1;
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  return h ^ (h >> 32);
}

static uint64_t align_up(uint64_t x)
{
  return (x + ALIGN - 1) & ~(uint64_t)(ALIGN - 1);
}

static uint64_t valid_bytes(size_t nrow)
{
  return (nrow + 7) / 8;
}

static uint64_t column_hash(const zm_column *c)
{
  uint64_t h = zm_frame_checksum(c->type, c->data, zm__column_data_bytes(c));
  if (c->valid)
    h = zm_frame_checksum(h, c->valid, valid_bytes(c->len));
  if (c->type == ZM_TYPE_STR)
    h = zm_frame_checksum(h, c->blob, c->blob_len);
  return h;
}

/* Below this many bytes one thread checksums a frame faster than two. */
#define PARALLEL_BYTES ((uint64_t)4 << 20)

/* Checksums of a frame's columns, taken from a shared counter. With `f` set
 * (a frame mapped from a file), each column's pages are let go once read. */
typedef struct hash_job {
  const zm_column *cols;
  uint64_t *out;
  size_t n, next;
  const zm_frame *f;
} hash_job;

static void *hash_columns(void *arg)
{
  hash_job *job = arg;
  for (;;) {
    size_t j = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED);
    if (j >= job->n)
      return NULL;
    job->out[j] = column_hash(&job->cols[j]);
    if (job->f)
      zm_frame_forget_column(job->f, &job->cols[j]);
  }
}

/* out[j] = column_hash(&cols[j]) for j < n, on two threads for big frames:
 * a second pass over every byte besides the SHA-256, so worth splitting. */
static void column_hashes(uint64_t *out, const zm_column *cols, size_t n, const zm_frame *f)
{
  hash_job job = {cols, out, n, 0, f};
  uint64_t bytes = 0;
  for (size_t j = 0; j < n; j++)
    bytes += zm__column_data_bytes(&cols[j]);
  pthread_t thread;
  int two = n > 1 && bytes >= PARALLEL_BYTES && zm_workers_get(2) > 1 &&
            pthread_create(&thread, NULL, hash_columns, &job) == 0;
  hash_columns(&job);
  if (two)
    pthread_join(thread, NULL);
}

/* Fill every entry but its hash: names after the entries, then each
 * column's buffers aligned. Returns the header length; *file_len the total. */
static uint64_t lay_out(file_entry *e, uint64_t *file_len, const zm_frame *f)
{
  uint64_t names = HEADER_SIZE + (uint64_t)f->ncol * ENTRY_SIZE, pos = names;
  for (size_t j = 0; j < f->ncol; j++)
    pos += strlen(f->cols[j].name);
  uint64_t header_len = pos;
  for (size_t j = 0; j < f->ncol; j++) {
    const zm_column *c = &f->cols[j];
    e[j].name_off = names;
    e[j].name_len = (uint32_t)strlen(c->name);
    names += e[j].name_len;
    e[j].type = (uint8_t)c->type;
    e[j].has_valid = c->valid != NULL;
    e[j].data_off = pos = align_up(pos);
    pos += zm__column_data_bytes(c);
    if (c->valid) {
      e[j].valid_off = pos = align_up(pos);
      pos += valid_bytes(f->nrow);
    }
    if (c->type == ZM_TYPE_STR) {
      e[j].blob_off = pos = align_up(pos);
      e[j].blob_len = c->blob_len;
      pos += c->blob_len;
    }
  }
  *file_len = pos;
  return header_len;
}

int zm_frame_file_offsets(zm_frame_offsets **out, const zm_frame *f)
{
  *out = NULL;
  file_entry *e = calloc(f->ncol + 1, sizeof *e);
  zm_frame_offsets *o = calloc(1, sizeof *o + (f->ncol + 1) * sizeof o->cols[0]);
  if (!e || !o) {
    free(e);
    free(o);
    return zm_error_set(ZM_ENOMEM, "out of memory");
  }
  o->header_len = lay_out(e, &o->file_len, f);
  for (size_t j = 0; j < f->ncol; j++)
    o->cols[j] = (zm_frame_col_offsets){e[j].data_off, e[j].valid_off, e[j].blob_off};
  free(e);
  *out = o;
  return 0;
}

/* The header, entries and names; payload offsets laid out after them. */
static int build_header(zm_buf *h, const zm_frame *f)
{
  file_header fh = {.version = ZM_FRAMEFILE_VERSION, .ncol = (uint32_t)f->ncol,
                    .nrow = f->nrow};
  memcpy(fh.magic, MAGIC, 8);
  file_entry *e = calloc(f->ncol + 1, sizeof *e);
  uint64_t *hashes = malloc((f->ncol + 1) * sizeof *hashes);
  if (!e || !hashes) {
    free(e);
    free(hashes);
    return zm_error_set(ZM_ENOMEM, "out of memory");
  }
  fh.header_len = lay_out(e, &fh.file_len, f);
  column_hashes(hashes, f->cols, f->ncol, NULL);
  for (size_t j = 0; j < f->ncol; j++)
    e[j].hash = hashes[j];
  free(hashes);
  int rc = zm_buf_put(h, &fh, sizeof fh);
  if (rc == 0 && f->ncol)
    rc = zm_buf_put(h, e, f->ncol * sizeof *e);
  for (size_t j = 0; rc == 0 && j < f->ncol; j++)
    rc = zm_buf_puts(h, f->cols[j].name);
  free(e);
  if (rc == 0) {
    uint64_t hh = zm_frame_checksum(0, h->data, h->len);
    memcpy(h->data + HASH_AT, &hh, 8);
  }
  return rc;
}

/* Where encoded bytes go: a buffer, a file descriptor, or a segment list
 * that points at them (the header buffer must then outlive the list). */
typedef struct sink {
  zm_buf *buf;
  int fd;
  zm_frame_iov *iov;
  uint64_t pos;
} sink;

static int emit(sink *s, const void *p, uint64_t n)
{
  s->pos += n;
  if (s->buf)
    return zm_buf_put(s->buf, p, n);
  if (s->iov) {
    s->iov->iov[s->iov->n++] = (struct iovec){(void *)p, n};
    return 0;
  }
  for (const char *q = p; n;) {
    ssize_t w = write(s->fd, q, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return zm_error_sys(ZM_EIO, "cannot write frame file");
    q += w;
    n -= (uint64_t)w;
  }
  return 0;
}

static int pad(sink *s)
{
  static const char zeros[ALIGN];
  uint64_t n = align_up(s->pos) - s->pos;
  return n ? emit(s, zeros, n) : 0;
}

/* Encode through `s`, building the header in `h` (the caller frees it). */
static int encode_with(sink *s, zm_buf *h, const zm_frame *f)
{
  int rc = build_header(h, f);
  if (rc == 0)
    rc = emit(s, h->data, h->len);
  for (size_t j = 0; rc == 0 && j < f->ncol; j++) {
    const zm_column *c = &f->cols[j];
    if ((rc = pad(s)) == 0)
      rc = emit(s, c->data, zm__column_data_bytes(c));
    if (rc == 0 && c->valid && (rc = pad(s)) == 0)
      rc = emit(s, c->valid, valid_bytes(f->nrow));
    if (rc == 0 && c->type == ZM_TYPE_STR && (rc = pad(s)) == 0)
      rc = emit(s, c->blob, c->blob_len);
    if (s->iov)
      s->iov->col_end[j] = s->iov->n;
  }
  return rc;
}

int zm_frame_header(zm_buf *out, const zm_frame *f)
{
  return build_header(out, f);
}

static int encode(sink *s, const zm_frame *f)
{
  zm_buf h = ZM_BUF_INIT;
  int rc = encode_with(s, &h, f);
  zm_buf_free(&h);
  return rc;
}

int zm_frame_encode(zm_buf *out, const zm_frame *f)
{
  sink s = {.buf = out, .fd = -1};
  return encode(&s, f);
}

int zm_frame_iov_build(zm_frame_iov *out, const zm_frame *f)
{
  memset(out, 0, sizeof *out);
  /* the header, then at most a pad and a buffer for each of 3 per column */
  out->iov = malloc((1 + 6 * f->ncol) * sizeof *out->iov);
  out->col_end = malloc((f->ncol + 1) * sizeof *out->col_end);
  if (!out->iov || !out->col_end) {
    zm_frame_iov_free(out);
    return zm_error_set(ZM_ENOMEM, "out of memory");
  }
  sink s = {.fd = -1, .iov = out};
  int rc = encode_with(&s, &out->header, f);
  if (rc)
    zm_frame_iov_free(out);
  return rc;
}

void zm_frame_iov_free(zm_frame_iov *v)
{
  if (!v)
    return;
  zm_buf_free(&v->header);
  free(v->iov);
  free(v->col_end);
  memset(v, 0, sizeof *v);
}

int zm_frame_write(const zm_frame *f, const char *path)
{
  static unsigned counter;
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp-%d-%u", path, (int)getpid(),
           __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return zm_error_sys(ZM_EIO, "cannot create %s", tmp);
  sink s = {.fd = fd};
  int rc = encode(&s, f);
  if (rc == 0 && fsync(fd) != 0)
    rc = zm_error_sys(ZM_EIO, "cannot sync %s", tmp);
  if (close(fd) != 0 && rc == 0)
    rc = zm_error_sys(ZM_EIO, "cannot write %s", tmp);
  if (rc == 0 && rename(tmp, path) != 0)
    rc = zm_error_sys(ZM_EIO, "cannot rename %s to %s", tmp, path);
  if (rc == 0)
    rc = zm_fs_sync_parent(path);
  if (rc)
    unlink(tmp);
  return rc;
}

/* Is [off, off + n) inside the file and aligned? */
static int in_file(uint64_t off, uint64_t n, uint64_t len)
{
  return off % ALIGN == 0 && off <= len && n <= len - off;
}

static int check_entry(const char *name, const file_entry *e, uint64_t nrow, uint64_t len,
                       size_t j)
{
  uint64_t width = e->type == ZM_TYPE_BOOL ? 1 : 8;
  uint64_t cells = e->type == ZM_TYPE_STR ? nrow + 1 : nrow;
  int ok = e->type <= ZM_TYPE_STR && e->name_off <= len && e->name_len <= len - e->name_off &&
           cells <= len / width && in_file(e->data_off, cells * width, len) &&
           (!e->has_valid || in_file(e->valid_off, valid_bytes(nrow), len)) &&
           (e->type != ZM_TYPE_STR || in_file(e->blob_off, e->blob_len, len));
  if (!ok)
    return zm_error_set(ZM_EINVALID, "%s: corrupt frame file (column %zu lies outside the file)",
                        name, j + 1);
  return 0;
}

static int check_header(const char *name, const char *base, uint64_t len)
{
  file_header h;
  if (len < HEADER_SIZE)
    return zm_error_set(ZM_EINVALID, "%s: truncated frame file (%llu bytes)", name,
                        (unsigned long long)len);
  memcpy(&h, base, sizeof h);
  if (memcmp(h.magic, MAGIC, 8) != 0)
    return zm_error_set(ZM_EINVALID, "%s: not a frame file (bad magic)", name);
  if (h.version != ZM_FRAMEFILE_VERSION)
    return zm_error_set(ZM_EVERSION, "%s: frame file version %u is not supported (this zenml reads version %d)",
                        name, h.version, ZM_FRAMEFILE_VERSION);
  if (h.file_len != len)
    return zm_error_set(ZM_EINVALID, "%s: %s frame file (%llu bytes, header says %llu)", name,
                        len < h.file_len ? "truncated" : "oversized", (unsigned long long)len,
                        (unsigned long long)h.file_len);
  if (h.header_len > len || h.header_len < HEADER_SIZE ||
      (h.header_len - HEADER_SIZE) / ENTRY_SIZE < h.ncol)
    return zm_error_set(ZM_EINVALID, "%s: corrupt frame file (bad header length)", name);
  char *copy = malloc(h.header_len);
  if (!copy)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  memcpy(copy, base, h.header_len);
  memset(copy + HASH_AT, 0, 8);
  uint64_t sum = zm_frame_checksum(0, copy, h.header_len);
  free(copy);
  if (sum != h.header_hash)
    return zm_error_set(ZM_EINVALID, "%s: corrupt frame file (header checksum mismatch)", name);
  return 0;
}

static int check_offsets(const char *name, const zm_column *c, size_t j)
{
  const uint64_t *off = c->data;
  int ok = off[0] == 0 && off[c->len] == c->blob_len;
  for (size_t i = 0; ok && i < c->len; i++)
    ok = off[i] <= off[i + 1];
  if (!ok)
    return zm_error_set(ZM_EINVALID, "%s: corrupt frame file (bad string offsets in column %zu)",
                        name, j + 1);
  return 0;
}

/* Bytes [from, to) must be zero padding. */
static int zero_gap(const char *base, uint64_t from, uint64_t to)
{
  for (uint64_t i = from; i < to; i++)
    if (base[i])
      return 0;
  return 1;
}

/* The regions must sit exactly where the writer puts them, with zeros
 * between: then every byte of the file is checked by something. */
static int check_layout(const char *name, const char *base, const file_header *h)
{
  uint64_t pos = h->header_len, names = HEADER_SIZE + (uint64_t)h->ncol * ENTRY_SIZE;
  if (h->reserved[0] || h->reserved[1])
    return zm_error_set(ZM_EINVALID, "%s: corrupt frame file (bad layout in the header)", name);
  for (size_t j = 0; j < h->ncol; j++) {
    file_entry e;
    memcpy(&e, base + HEADER_SIZE + j * ENTRY_SIZE, sizeof e);
    /* names packed in column order right after the entries, as lay_out puts them */
    if (e.name_off != names || e.has_valid > 1 || memchr(base + e.name_off, '\0', e.name_len))
      return zm_error_set(ZM_EINVALID, "%s: corrupt frame file (bad layout at column %zu)",
                          name, j + 1);
    names += e.name_len;
    uint64_t cells = e.type == ZM_TYPE_STR ? h->nrow + 1 : h->nrow;
    uint64_t off[3] = {e.data_off, e.valid_off, e.blob_off};
    uint64_t len[3] = {cells * (e.type == ZM_TYPE_BOOL ? 1 : 8), valid_bytes(h->nrow), e.blob_len};
    int present[3] = {1, e.has_valid, e.type == ZM_TYPE_STR};
    for (int k = 0; k < 3; k++) {
      if (!present[k] && off[k] == 0 && (k != 2 || len[k] == 0))
        continue;
      if (!present[k] || off[k] != align_up(pos) || !zero_gap(base, pos, off[k]))
        return zm_error_set(ZM_EINVALID, "%s: corrupt frame file (bad layout at column %zu)",
                            name, j + 1);
      pos = off[k] + len[k];
    }
    if (e.reserved0 || e.reserved1)
      return zm_error_set(ZM_EINVALID, "%s: corrupt frame file (bad layout at column %zu)", name,
                          j + 1);
  }
  if (names != h->header_len)
    return zm_error_set(ZM_EINVALID, "%s: corrupt frame file (bad header length)", name);
  if (pos != h->file_len)
    return zm_error_set(ZM_EINVALID, "%s: corrupt frame file (bad layout at the end)", name);
  return 0;
}

/* Point column j of f at its buffers in the mapping. */
static int load_column(zm_frame *f, const file_entry *e, size_t j)
{
  char *base = f->map;
  zm_column *c = &f->cols[j];
  c->name = strndup(base + e->name_off, e->name_len);
  if (!c->name)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  f->ncol = j + 1;
  c->type = (zm_type)e->type;
  c->len = f->nrow;
  c->data = base + e->data_off;
  c->valid = e->has_valid ? (uint8_t *)base + e->valid_off : NULL;
  c->blob = c->type == ZM_TYPE_STR ? base + e->blob_off : NULL;
  c->blob_len = c->type == ZM_TYPE_STR ? e->blob_len : 0;
  return 0;
}

static uint64_t entry_hash(const zm_frame *f, size_t j)
{
  file_entry e;
  memcpy(&e, (char *)f->map + HEADER_SIZE + j * ENTRY_SIZE, sizeof e);
  return e.hash;
}

/* Compare the first f->ncol columns with their checksums (hashed on two
 * threads, letting go of the pages as it goes) and check string offsets;
 * the first bad column in file order is the one reported. */
static int verify_columns(zm_frame *f, const char *name)
{
  uint64_t *sums = malloc((f->ncol + 1) * sizeof *sums);
  if (!sums)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  column_hashes(sums, f->cols, f->ncol, f);
  int rc = 0;
  for (size_t j = 0; rc == 0 && j < f->ncol; j++) {
    zm_column *c = &f->cols[j];
    if (sums[j] != entry_hash(f, j))
      rc = zm_error_set(ZM_EINVALID, "%s: corrupt frame file (checksum mismatch in column '%s')",
                        name, c->name);
    else if (c->type == ZM_TYPE_STR)
      rc = check_offsets(name, c, j);
  }
  free(sums);
  return rc;
}

/* Drop the whole pages inside [p, p + len) from the process (never a page
 * shared with a neighbour's bytes: those may still be in use). */
static void forget_range(const void *p, uint64_t len)
{
  static long page;
  if (!page)
    page = sysconf(_SC_PAGESIZE);
  uintptr_t a = ((uintptr_t)p + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
  uintptr_t e = ((uintptr_t)p + len) & ~((uintptr_t)page - 1);
  if (e > a)
    madvise((void *)a, e - a, MADV_DONTNEED); /* advice only: failure is harmless */
}

void zm_frame_forget_column(const zm_frame *f, const zm_column *c)
{
  if (!f->map || !f->map_file)
    return;
  forget_range(c->data, zm__column_data_bytes(c));
  if (c->valid)
    forget_range(c->valid, valid_bytes(c->len));
  if (c->type == ZM_TYPE_STR)
    forget_range(c->blob, c->blob_len);
}

void zm_frame_forget_rows(const zm_frame *f, size_t first, size_t count)
{
  if (!f->map || !f->map_file || first >= f->nrow)
    return;
  count = count < f->nrow - first ? count : f->nrow - first;
  for (size_t j = 0; j < f->ncol; j++) {
    const zm_column *c = &f->cols[j];
    size_t w = zm__type_width(c->type);
    forget_range((const char *)c->data + first * w, count * w);
    size_t lo = (first + 7) / 8, hi = (first + count) / 8; /* bytes of whole rows only */
    if (c->valid && hi > lo)
      forget_range(c->valid + lo, hi - lo);
  }
}

/* Validate a mapping and build the frame over it; takes the mapping. With
 * `check_columns` 0 the columns' checksums are not compared (bytes this
 * process hashed when it stored them); the header and layout still are. */
static int load(zm_frame **out, const char *name, void *map, size_t len, int is_file,
                int check_columns)
{
  int rc = check_header(name, map, len);
  if (rc) {
    munmap(map, len);
    return rc;
  }
  file_header h;
  memcpy(&h, map, sizeof h);
  zm_frame *f = calloc(1, sizeof *f);
  zm_column *cols = calloc(h.ncol + 1, sizeof *cols);
  if (!f || !cols) {
    free(f);
    free(cols);
    munmap(map, len);
    return zm_error_set(ZM_ENOMEM, "out of memory");
  }
  f->map = map;
  f->map_len = len;
  f->nrow = h.nrow;
  f->cols = cols;
  /* Checking reads every page in; a step uses its inputs a column at a
   * time, so they are let go as checked and come back as needed. */
  f->map_file = is_file;
  size_t bad = h.ncol; /* the first column whose entry is out of bounds */
  for (size_t j = 0; rc == 0 && j < h.ncol && bad == h.ncol; j++) {
    file_entry e;
    memcpy(&e, (char *)map + HEADER_SIZE + j * ENTRY_SIZE, sizeof e);
    if (check_entry(name, &e, h.nrow, len, j) != 0)
      bad = j;
    else
      rc = load_column(f, &e, j);
  }
  if (rc == 0 && check_columns)
    rc = verify_columns(f, name);
  if (rc == 0 && bad < h.ncol) {
    file_entry e;
    memcpy(&e, (char *)map + HEADER_SIZE + bad * ENTRY_SIZE, sizeof e);
    rc = check_entry(name, &e, h.nrow, len, bad);
  }
  if (rc == 0)
    rc = check_layout(name, map, &h);
  if (rc) {
    zm_frame_free(f);
    return rc;
  }
  *out = f;
  return 0;
}

int zm_frame_map(zm_frame **out, const char *path)
{
  return zm_frame_map_checked(out, path, 1);
}

int zm_frame_map_checked(zm_frame **out, const char *path, int check_columns)
{
  *out = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return zm_error_sys(errno == ENOENT ? ZM_ENOTFOUND : ZM_EIO, "cannot open %s", path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return zm_error_sys(ZM_EIO, "cannot read %s", path);
  }
  if (st.st_size < HEADER_SIZE) {
    close(fd);
    return zm_error_set(ZM_EINVALID, "%s: truncated frame file (%lld bytes)", path,
                        (long long)st.st_size);
  }
  void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED)
    return zm_error_sys(ZM_EIO, "cannot map %s", path);
  return load(out, path, map, (size_t)st.st_size, 1, check_columns);
}

int zm_frame_decode(zm_frame **out, const char *name, const void *data, size_t len)
{
  *out = NULL;
  if (len < HEADER_SIZE)
    return zm_error_set(ZM_EINVALID, "%s: truncated frame file (%zu bytes)", name, len);
  void *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED)
    return zm_error_sys(ZM_ENOMEM, "cannot allocate %zu bytes", len);
  memcpy(map, data, len);
  return load(out, name, map, len, 0, 1);
}
