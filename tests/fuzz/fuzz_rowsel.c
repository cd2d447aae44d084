/* Row selection reader (docs/formats.md, "Row selections"): the input is
 * a selection file of a fixed 37-row base frame written once at start-up.
 * What zm_rowsel_base_id accepts is read against that base; what reads
 * must encode back to the input byte for byte (the reader takes only the
 * bytes the writer makes), and gathered it must be, byte for byte, the
 * frame a copying partition of the base by the same bitmap makes.
 *
 * Random bytes almost never pass the 64-bit checksum, so each input is
 * tried twice: as it is, and with its length, row count and checksum
 * recomputed from its bytes, so the checks behind them are reached. */
#include "core/buf.h"
#include "core/error.h"
#include "frame/framefile.h"
#include "frame/rowsel.h"
#include "frame/split.h"
#include "fuzz.h"

enum { HEAD = 128, BASE_ROWS = 37 };

static char base_path[4200];
static zm_frame *base; /* mapped, no origin: partitions of it copy */

/* 37 rows of each type, with nulls in some rows of each. */
static void write_base(void)
{
  zm_frame *f = NULL;
  zm_column *c;
  zm_buf b = ZM_BUF_INIT;
  static const char *words[] = {"", "a", "bc", "def", NULL};
  const char *values[BASE_ROWS];
  if (zm_frame_new(&f, BASE_ROWS) || zm_frame_add(&c, f, "x", ZM_TYPE_F64))
    fuzz_fail("cannot make the base frame: %s", zm_error_last());
  for (size_t i = 0; i < BASE_ROWS; i++)
    ((double *)c->data)[i] = (double)i / 3;
  zm_column_set_null(c, 4);
  if (zm_frame_add(&c, f, "n", ZM_TYPE_I64))
    fuzz_fail("cannot make the base frame: %s", zm_error_last());
  for (size_t i = 0; i < BASE_ROWS; i++)
    ((int64_t *)c->data)[i] = (int64_t)i * 1000 - 5;
  zm_column_set_null(c, 36);
  if (zm_frame_add(&c, f, "b", ZM_TYPE_BOOL))
    fuzz_fail("cannot make the base frame: %s", zm_error_last());
  for (size_t i = 0; i < BASE_ROWS; i++)
    ((uint8_t *)c->data)[i] = (uint8_t)(i % 2);
  for (size_t i = 0; i < BASE_ROWS; i++)
    values[i] = words[i % 5];
  if (zm_frame_add_strings(f, "s", values, NULL) || zm_frame_encode(&b, f))
    fuzz_fail("cannot make the base frame: %s", zm_error_last());
  snprintf(base_path, sizeof base_path, "%s", fuzz_write_file("base.frame", (uint8_t *)b.data,
                                                               b.len));
  zm_buf_free(&b);
  zm_frame_free(f);
  if (zm_frame_map(&base, base_path))
    fuzz_fail("cannot map the base frame: %s", zm_error_last());
}

/* Set the fields a mutation most often breaks from the input's own bytes:
 * the file length, the number of set bits, then the checksum (the header
 * with the field zero, then the bitmap, as the writer computes it). */
static void fix_fields(uint8_t *p, size_t len)
{
  if (len < HEAD)
    return;
  uint64_t file_len = len, nrow = 0, zero = 0;
  for (size_t i = HEAD; i < len; i++)
    nrow += (uint64_t)__builtin_popcount(p[i]);
  memcpy(p + 16, &nrow, 8);
  memcpy(p + 32, &file_len, 8);
  memcpy(p + 40, &zero, 8);
  uint64_t sum = zm_frame_checksum(zm_frame_checksum(0, p, HEAD), p + HEAD, len - HEAD);
  memcpy(p + 40, &sum, 8);
}

static zm_buf encoded(const zm_frame *f, const char *what)
{
  zm_buf b = ZM_BUF_INIT;
  int rc = f->sel ? zm_rowsel_encode(&b, f) : zm_frame_encode(&b, f);
  if (rc)
    fuzz_fail("cannot encode %s: %s", what, zm_error_last());
  return b;
}

static size_t first_difference(const zm_buf *a, const uint8_t *b, size_t len)
{
  size_t at = 0;
  while (at < len && at < a->len && (uint8_t)a->data[at] == b[at])
    at++;
  return at;
}

/* The frame a copying partition makes of the base rows the bitmap sets. */
static zm_buf copied(const uint8_t *bits)
{
  int assign[BASE_ROWS];
  for (size_t i = 0; i < BASE_ROWS; i++)
    assign[i] = bits[i / 8] >> (i % 8) & 1 ? 0 : -1;
  zm_frame *part[1] = {NULL};
  if (zm_frame_partition(part, base, assign, 1))
    fuzz_fail("cannot partition the base: %s", zm_error_last());
  zm_buf b = encoded(part[0], "the copying partition");
  zm_frame_free(part[0]);
  return b;
}

static void check(const uint8_t *data, size_t len)
{
  char id[ZM_ROWSEL_ID_SIZE];
  if (zm_rowsel_base_id(id, data, len, "fuzz.rows") != 0)
    return;
  zm_frame *f = NULL;
  if (zm_rowsel_read(&f, data, len, "fuzz.rows", base_path, 1) != 0)
    return; /* a selection of another base: its row count differs */
  zm_buf again = encoded(f, "a selection that was read");
  size_t at = first_difference(&again, data, len);
  if (again.len != len || at < len)
    fuzz_fail("a selection that was read encodes to other bytes (%zu bytes, read %zu; first "
              "difference at offset %zu)", again.len, len, at);
  if (zm_frame_materialize(f) != 0)
    fuzz_fail("cannot gather a selection that was read: %s", zm_error_last());
  zm_buf got = encoded(f, "a gathered selection"), want = copied(data + HEAD);
  at = first_difference(&got, (const uint8_t *)want.data, want.len);
  if (got.len != want.len || at < want.len)
    fuzz_fail("a gathered selection is not the copying partition's frame (%zu bytes, %zu; "
              "first difference at offset %zu)", got.len, want.len, at);
  zm_buf_free(&again);
  zm_buf_free(&got);
  zm_buf_free(&want);
  zm_frame_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
  if (!base)
    write_base();
  check(data, len);
  uint8_t *fixed = malloc(len ? len : 1);
  if (!fixed)
    return 0;
  memcpy(fixed, data, len);
  fix_fields(fixed, len);
  check(fixed, len);
  free(fixed);
  return 0;
}
