/* Frame file reader (docs/formats.md): decode the input, touch every value,
 * and encode what was accepted, which must give the input back byte for
 * byte (the reader checks every byte; the writer is deterministic).
 *
 * Random bytes almost never pass the 64-bit checksums, so each input is
 * decoded twice: as it is, and with the column and header checksums
 * recomputed from its bytes, so the checks behind them are reached. */
#include "core/buf.h"
#include "core/error.h"
#include "frame/framefile.h"
#include "fuzz.h"

/* The on-disk header and column entry (docs/formats.md, "Layout"). */
typedef struct fz_header {
  char magic[8];
  uint32_t version, ncol;
  uint64_t nrow, file_len, header_len, header_hash, reserved[2];
} fz_header;

typedef struct fz_entry {
  uint64_t name_off;
  uint32_t name_len;
  uint8_t type, has_valid;
  uint16_t reserved0;
  uint64_t data_off, valid_off, blob_off, blob_len, hash, reserved1;
} fz_entry;

_Static_assert(sizeof(fz_header) == 64 && sizeof(fz_entry) == 64, "frame file layout");

static int inside(uint64_t off, uint64_t n, uint64_t len)
{
  return off <= len && n <= len - off;
}

/* Recompute column j's checksum when its buffers lie inside the input. */
static void fix_column(uint8_t *p, size_t len, const fz_header *h, size_t j)
{
  fz_entry e;
  memcpy(&e, p + 64 + j * 64, sizeof e);
  if (e.type > 3 || h->nrow >= len)
    return;
  uint64_t cells = e.type == 3 ? h->nrow + 1 : h->nrow;
  uint64_t data = cells * (e.type == 2 ? 1 : 8), valid = (h->nrow + 7) / 8;
  if (!inside(e.data_off, data, len) || (e.has_valid && !inside(e.valid_off, valid, len)) ||
      (e.type == 3 && !inside(e.blob_off, e.blob_len, len)))
    return;
  uint64_t sum = zm_frame_checksum(e.type, p + e.data_off, data);
  if (e.has_valid)
    sum = zm_frame_checksum(sum, p + e.valid_off, valid);
  if (e.type == 3)
    sum = zm_frame_checksum(sum, p + e.blob_off, e.blob_len);
  memcpy(p + 64 + j * 64 + offsetof(fz_entry, hash), &sum, 8);
}

static void fix_checksums(uint8_t *p, size_t len)
{
  fz_header h;
  if (len < 64)
    return;
  memcpy(&h, p, sizeof h);
  if (h.header_len < 64 || h.header_len > len || (h.header_len - 64) / 64 < h.ncol)
    return;
  for (size_t j = 0; j < h.ncol; j++)
    fix_column(p, len, &h, j);
  memset(p + offsetof(fz_header, header_hash), 0, 8);
  uint64_t sum = zm_frame_checksum(0, p, h.header_len);
  memcpy(p + offsetof(fz_header, header_hash), &sum, 8);
}

/* Read every cell, as a step would; the sum keeps the reads. */
static uint64_t touch(const zm_frame *f)
{
  uint64_t sum = 0;
  for (size_t j = 0; j < f->ncol; j++) {
    const zm_column *c = &f->cols[j];
    sum += strlen(c->name) + zm_column_nulls(c);
    for (size_t i = 0; i < f->nrow; i++) {
      size_t n;
      if (zm_column_is_null(c, i))
        continue;
      if (c->type == ZM_TYPE_STR) {
        const char *s = zm_column_str(c, i, &n);
        for (size_t k = 0; k < n; k++)
          sum += (uint8_t)s[k];
      } else if (c->type == ZM_TYPE_BOOL) {
        sum += ((const uint8_t *)c->data)[i];
      } else {
        uint64_t v;
        memcpy(&v, (const char *)c->data + i * 8, 8);
        sum += v;
      }
    }
  }
  return sum;
}

static void check(const uint8_t *data, size_t len)
{
  zm_frame *f = NULL;
  zm_buf again = ZM_BUF_INIT;
  if (zm_frame_decode(&f, "fuzz.frame", data, len) != 0)
    return;
  volatile uint64_t sink = touch(f);
  (void)sink;
  if (zm_frame_encode(&again, f) != 0)
    fuzz_fail("cannot encode a decoded frame: %s", zm_error_last());
  size_t at = 0;
  while (at < len && at < again.len && (uint8_t)again.data[at] == data[at])
    at++;
  if (again.len != len || at < len)
    fuzz_fail("a decoded frame encodes to other bytes (%zu bytes, read %zu; first difference "
              "at offset %zu)", again.len, len, at);
  zm_buf_free(&again);
  zm_frame_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
  check(data, len);
  uint8_t *fixed = malloc(len ? len : 1);
  if (!fixed)
    return 0;
  memcpy(fixed, data, len);
  fix_checksums(fixed, len);
  check(fixed, len);
  free(fixed);
  return 0;
}
