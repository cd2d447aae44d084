/* CSV reader and writer: whatever parses, written back as CSV, parses again
 * to an equal frame (names, types, nulls, values bit for bit), with the
 * delimiter detected or given. */
#include "core/buf.h"
#include "core/error.h"
#include "frame/csv.h"
#include "fuzz.h"

static void same_column(const zm_column *a, const zm_column *b, size_t nrow)
{
  if (strcmp(a->name, b->name) != 0)
    fuzz_fail("column '%s' came back as '%s'", a->name, b->name);
  if (a->type != b->type)
    fuzz_fail("column '%s': %s came back as %s", a->name, zm_type_name(a->type),
              zm_type_name(b->type));
  for (size_t i = 0; i < nrow; i++) {
    int null = zm_column_is_null(a, i);
    if (null != zm_column_is_null(b, i))
      fuzz_fail("column '%s' row %zu: null %d came back as %d", a->name, i, null, !null);
    if (null)
      continue;
    size_t na, nb;
    const char *sa, *sb;
    switch (a->type) {
    case ZM_TYPE_STR:
      sa = zm_column_str(a, i, &na);
      sb = zm_column_str(b, i, &nb);
      if (na != nb || memcmp(sa, sb, na) != 0)
        fuzz_fail("column '%s' row %zu: '%.*s' came back as '%.*s'", a->name, i, (int)na, sa,
                  (int)nb, sb);
      break;
    case ZM_TYPE_BOOL:
      if (((const uint8_t *)a->data)[i] != ((const uint8_t *)b->data)[i])
        fuzz_fail("column '%s' row %zu: bool changed", a->name, i);
      break;
    default: /* float64 and int64: the same 8 bytes */
      if (memcmp((const char *)a->data + i * 8, (const char *)b->data + i * 8, 8) != 0)
        fuzz_fail("column '%s' row %zu: value changed", a->name, i);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
  /* The input's length picks the dialect (stable for a given input): the
   * delimiter detected and ',' written, or one given for reading and writing. */
  static const char delims[] = {0, ',', ';', '\t', '|'};
  zm_csv_options opts = {.threads = 1, .delimiter = delims[len % sizeof delims]};
  zm_frame *f = NULL, *g = NULL;
  zm_buf csv = ZM_BUF_INIT;
  if (zm_frame_parse_csv(&f, "fuzz.csv", (const char *)data, len, &opts) != 0)
    return 0;
  if (zm_frame_format_csv(&csv, f, opts.delimiter) != 0)
    fuzz_fail("cannot write a frame read from CSV: %s", zm_error_last());
  if (zm_frame_parse_csv(&g, "written.csv", csv.data, csv.len, &opts) != 0)
    fuzz_fail("the CSV written does not read back: %s\n%.*s", zm_error_last(), (int)csv.len,
              csv.data);
  if (f->ncol != g->ncol || f->nrow != g->nrow)
    fuzz_fail("%zu x %zu came back as %zu x %zu", f->nrow, f->ncol, g->nrow, g->ncol);
  for (size_t j = 0; j < f->ncol; j++)
    same_column(&f->cols[j], &g->cols[j], f->nrow);
  zm_buf_free(&csv);
  zm_frame_free(f);
  zm_frame_free(g);
  return 0;
}
