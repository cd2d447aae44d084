/* Joining the chunks of a parsed CSV body into one frame (csv_internal.h). */
#include "frame/csv_internal.h"
#include "frame/internal.h"
#include "core/bigmem.h"
#include "core/error.h"
#include "core/workers.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Move column j of all chunks into one frame column. */
static int join_column(zm_column *out, csv_chunk *ch, size_t n, size_t j, int kind)
{
  size_t rows = 0, blob = 0, w = kind == ZM_TYPE_BOOL ? 1 : 8;
  int nulls = 0;
  for (size_t i = 0; i < n; i++) {
    rows += ch[i].nrow;
    blob += ch[i].cols[j].blob_len;
    nulls |= ch[i].cols[j].valid != NULL;
  }
  csv_col *c0 = &ch[0].cols[j];
  size_t cells = kind == ZM_TYPE_STR ? rows + 1 : rows;
  /* chunk 0 has room for every row unless the estimate fell short: then it
   * grows (a copy of its rows onto new huge pages, core/bigmem.h) */
  size_t room = kind == ZM_TYPE_STR ? ch[0].cap + 1 : ch[0].cap; /* cells */
  size_t used = kind == ZM_TYPE_STR ? ch[0].nrow + 1 : ch[0].nrow;
  void *data = cells <= room ? c0->data : zm_big_realloc(c0->data, used * w, cells * w);
  if (!data)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  c0->data = NULL;
  out->data = data;
  out->type = (zm_type)kind;
  out->len = rows;
  if (kind == ZM_TYPE_STR) {
    char *b = zm_big_realloc(c0->blob, c0->blob_len, blob ? blob : 1);
    if (!b)
      return zm_error_set(ZM_ENOMEM, "out of memory");
    c0->blob = NULL;
    out->blob = b;
    out->blob_len = blob;
  }
  if (nulls && !(out->valid = calloc(rows / 8 + 1, 1)))
    return zm_error_set(ZM_ENOMEM, "out of memory");
  size_t at = 0, bat = c0->blob_len;
  for (size_t i = 0; i < n; i++) {
    csv_col *c = &ch[i].cols[j];
    if (nulls)
      zm__bitmap_copy(out->valid, at, c->valid, ch[i].nrow);
    if (i > 0 && kind == ZM_TYPE_STR) {
      if (c->blob_len) /* a range of no rows may have no blob at all */
        memcpy(out->blob + bat, c->blob, c->blob_len);
      const uint64_t *off = c->data;
      for (size_t k = 1; k <= ch[i].nrow; k++)
        ((uint64_t *)data)[at + k] = bat + off[k];
      bat += c->blob_len;
    } else if (i > 0 && ch[i].nrow > 0) {
      memcpy((char *)data + at * w, c->data, ch[i].nrow * w);
    }
    if (i > 0) {
      free(c->data);
      free(c->blob);
      c->data = NULL;
      c->blob = NULL;
    }
    at += ch[i].nrow;
  }
  return 0;
}

/* The columns of the chunks joined into a frame's, a job each (each joined
 * whole by one worker: the same bytes whatever their number). */
typedef struct join_job {
  zm_frame *f;
  csv_chunk *ch;
  size_t n;
  const int *kinds;
} join_job;

static int join_one(void *arg, size_t c)
{
  join_job *j = arg;
  return join_column(&j->f->cols[c], j->ch, j->n, c, j->kinds[c]);
}

/* Below this many cells the columns are joined on the calling thread. */
#define JOIN_THREAD_CELLS ((size_t)1 << 20)

static int join_columns(zm_frame *f, csv_chunk *ch, size_t n, const int *kinds)
{
  join_job job = {f, ch, n, kinds};
  size_t nw = f->nrow * f->ncol < JOIN_THREAD_CELLS ? 1 : (size_t)zm_workers_get(2);
  return zm_jobs_run(f->ncol, nw, join_one, &job, NULL);
}

int csv_join(zm_frame **out, csv_chunk *ch, size_t n, size_t rows, const char *const *names,
             size_t ncol, const int *kinds)
{
  *out = NULL;
  zm_frame *f = NULL;
  int rc = zm_frame_new(&f, rows);
  for (size_t j = 0; rc == 0 && j < ncol; j++) {
    zm_column *c;
    rc = zm__frame_push(&c, f, names[j]);
  }
  if (rc == 0)
    rc = join_columns(f, ch, n, kinds);
  if (rc) {
    zm_frame_free(f);
    return rc;
  }
  *out = f;
  return 0;
}
