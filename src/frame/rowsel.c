/* Row selections (rowsel.h; the file layout is in docs/formats.md). */
#include "frame/rowsel.h"
#include "frame/framefile.h"
#include "frame/internal.h"
#include "frame/split.h"
#include "core/bigmem.h"
#include "core/error.h"
#include "core/workers.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char MAGIC[8] = {'Z', 'M', 'R', 'O', 'W', 'S', '\0', '\0'};
enum { HEAD = 128, SUM_AT = 40, ID_AT = 48, ID_ROOM = 80, VERSION = 1 };

typedef struct rowsel_head {
  char magic[8];
  uint32_t version, reserved0;
  uint64_t nrow, base_nrow, file_len, sum;
  char id[ID_ROOM];
} rowsel_head;

_Static_assert(sizeof(rowsel_head) == HEAD, "row selection header layout");

struct zm_frame_origin {
  char id[ZM_ROWSEL_ID_SIZE];
  char *path;
  int checked;
};

struct zm_rowsel {
  char base_id[ZM_ROWSEL_ID_SIZE];
  char *base_path;
  int check_base;   /* compare the base's column checksums when mapping it */
  size_t base_nrow;
  uint8_t *bits;    /* bit i of byte i / 8: row i of the base is selected */
  uint64_t *rows;   /* the selected base rows, ascending */
  zm_frame *base;   /* mapped on first need */
  uint8_t *kept;    /* per column: zm_frame_col_keep was asked */
  pthread_mutex_t lock;
};

static size_t bitmap_bytes(size_t n)
{
  return n / 8 + (n % 8 != 0);
}

int zm_rowsel_is(const void *p, size_t len)
{
  return len >= sizeof MAGIC && memcmp(p, MAGIC, sizeof MAGIC) == 0;
}

static int valid_id(const char *id)
{
  if (strncmp(id, "sha256:", 7) != 0 || strlen(id) != 71)
    return 0;
  for (const char *p = id + 7; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return 0;
  return 1;
}

int zm_frame_set_origin(zm_frame *f, const char *id, const char *path, int checked)
{
  if (!valid_id(id))
    return zm_error_set(ZM_EINVALID, "not an artifact id: %s", id);
  zm_frame_origin *o = calloc(1, sizeof *o);
  if (!o || !(o->path = strdup(path))) {
    free(o);
    return zm_error_set(ZM_ENOMEM, "out of memory");
  }
  memcpy(o->id, id, ZM_ROWSEL_ID_SIZE - 1);
  o->checked = checked;
  if (f->origin)
    free(f->origin->path);
  free(f->origin);
  f->origin = o;
  return 0;
}

static void rowsel_free(zm_rowsel *s)
{
  if (!s)
    return;
  zm_frame_free(s->base);
  free(s->base_path);
  free(s->bits);
  free(s->rows);
  free(s->kept);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

void zm_frame_rowsel_drop(zm_frame *f)
{
  rowsel_free(f->sel);
  f->sel = NULL;
  if (f->origin)
    free(f->origin->path);
  free(f->origin);
  f->origin = NULL;
}

/* A selection frame of nrow rows with the columns (names, types) of
 * `like`, no buffers yet, owning s. On failure s is freed. */
static int selection_frame(zm_frame **out, zm_rowsel *s, size_t nrow, const zm_frame *like)
{
  zm_frame *f = NULL;
  int rc = zm_frame_new(&f, nrow);
  if (rc == 0 && !(f->cols = calloc(like->ncol ? like->ncol : 1, sizeof *f->cols)))
    rc = zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t j = 0; rc == 0 && j < like->ncol; j++) {
    f->cols[j].type = like->cols[j].type;
    f->cols[j].len = nrow;
    if (!(f->cols[j].name = strdup(like->cols[j].name)))
      rc = zm_error_set(ZM_ENOMEM, "out of memory");
    f->ncol = j + 1;
  }
  if (rc == 0 && !(s->kept = calloc(like->ncol + 1, 1)))
    rc = zm_error_set(ZM_ENOMEM, "out of memory");
  if (rc) {
    zm_frame_free(f);
    rowsel_free(s);
    return rc;
  }
  f->sel = s;
  *out = f;
  return 0;
}

static zm_rowsel *rowsel_new(const char *base_id, const char *base_path, size_t base_nrow,
                             size_t nrow)
{
  zm_rowsel *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  pthread_mutex_init(&s->lock, NULL);
  memcpy(s->base_id, base_id, ZM_ROWSEL_ID_SIZE - 1);
  s->base_nrow = base_nrow;
  s->base_path = strdup(base_path);
  s->bits = calloc(bitmap_bytes(base_nrow) + 1, 1);
  s->rows = zm_big_malloc(nrow * sizeof *s->rows);
  if (!s->base_path || !s->bits || !s->rows) {
    rowsel_free(s);
    return NULL;
  }
  return s;
}

int zm_rowsel_partition(zm_frame **outs, const zm_frame *f, const int *assign, size_t k)
{
  memset(outs, 0, k * sizeof *outs);
  if (k == 0)
    return zm_error_set(ZM_EINVALID, "a partition needs at least one part");
  if (!f->origin)
    return zm_error_set(ZM_EINVALID, "the frame is not a stored artifact");
  size_t *counts = calloc(k, sizeof *counts);
  int rc = counts ? zm_split_counts(counts, assign, f->nrow, k)
                  : zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t j = 0; rc == 0 && j < k; j++) {
    zm_rowsel *s = rowsel_new(f->origin->id, f->origin->path, f->nrow, counts[j]);
    if (!s) {
      rc = zm_error_set(ZM_ENOMEM, "out of memory");
      break;
    }
    s->check_base = !f->origin->checked;
    size_t at = 0;
    for (size_t i = 0; i < f->nrow; i++)
      if (assign[i] == (int)j) {
        s->bits[i / 8] |= (uint8_t)(1u << (i % 8));
        s->rows[at++] = i;
      }
    rc = selection_frame(&outs[j], s, counts[j], f);
  }
  free(counts);
  if (rc)
    zm_frames_free(outs, k);
  return rc;
}

int zm_rowsel_slice(zm_frame **out, const zm_frame *f, size_t start, size_t n)
{
  *out = NULL;
  const zm_rowsel *from = f->sel;
  if (!from)
    return zm_error_set(ZM_EINVALID, "not a row selection");
  if (start > f->nrow)
    start = f->nrow;
  if (n > f->nrow - start)
    n = f->nrow - start;
  zm_rowsel *s = rowsel_new(from->base_id, from->base_path, from->base_nrow, n);
  if (!s)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  /* a base f has mapped was checked then (the object is immutable): the
   * slice's own mapping of it need not compare every column again, which
   * for a job-array task's many blocks of one part was a pass over the
   * whole base per block */
  s->check_base = from->base ? 0 : from->check_base;
  for (size_t i = 0; i < n; i++) {
    uint64_t r = from->rows[start + i];
    s->rows[i] = r;
    s->bits[r / 8] |= (uint8_t)(1u << (r % 8));
  }
  return selection_frame(out, s, n, f);
}

/* The file's checksum: its header's (the checksum field read as zero),
 * chained into its bitmap's. */
static uint64_t file_sum(const rowsel_head *h, const uint8_t *bits, size_t nbits)
{
  rowsel_head copy = *h;
  copy.sum = 0;
  return zm_frame_checksum(zm_frame_checksum(0, &copy, sizeof copy), bits, nbits);
}

int zm_rowsel_encode(zm_buf *out, const zm_frame *f)
{
  const zm_rowsel *s = f->sel;
  if (!s)
    return zm_error_set(ZM_EINVALID, "not a row selection");
  size_t nb = bitmap_bytes(s->base_nrow);
  rowsel_head h = {.version = VERSION, .nrow = f->nrow, .base_nrow = s->base_nrow,
                   .file_len = HEAD + nb};
  memcpy(h.magic, MAGIC, sizeof MAGIC);
  memcpy(h.id, s->base_id, ZM_ROWSEL_ID_SIZE - 1);
  h.sum = file_sum(&h, s->bits, nb);
  int rc = zm_buf_put(out, &h, sizeof h);
  return rc ? rc : zm_buf_put(out, s->bits, nb);
}

static size_t popcount(const uint8_t *bits, size_t n)
{
  size_t c = 0;
  for (size_t i = 0; i < n; i++)
    c += (size_t)__builtin_popcount(bits[i]);
  return c;
}

/* Every check of a selection file but its base's; the header out. */
static int check_file(rowsel_head *h, const void *data, size_t len, const char *name)
{
  if (len < HEAD || !zm_rowsel_is(data, len))
    return zm_error_set(ZM_EINVALID, len < HEAD ? "%s: truncated row selection (%zu bytes)"
                                                : "%s: not a row selection (bad magic)",
                        name, len);
  memcpy(h, data, sizeof *h);
  const uint8_t *bits = (const uint8_t *)data + HEAD;
  if (h->version != VERSION)
    return zm_error_set(ZM_EINVALID, "%s: row selection version %u is not supported", name,
                        h->version);
  if (h->file_len != len || h->base_nrow > (uint64_t)(len - HEAD) * 8 ||
      HEAD + bitmap_bytes(h->base_nrow) != len)
    return zm_error_set(ZM_EINVALID, "%s: row selection of %zu bytes records %llu (%llu rows)",
                        name, len, (unsigned long long)h->file_len,
                        (unsigned long long)h->base_nrow);
  if (file_sum(h, bits, len - HEAD) != h->sum)
    return zm_error_set(ZM_EINVALID, "%s: checksum mismatch in row selection", name);
  char id[ZM_ROWSEL_ID_SIZE] = {0};
  memcpy(id, h->id, ZM_ROWSEL_ID_SIZE - 1);
  int bad = h->reserved0 != 0 || !valid_id(id);
  for (size_t i = ZM_ROWSEL_ID_SIZE - 1; i < ID_ROOM; i++)
    bad |= h->id[i] != 0;
  if (h->base_nrow % 8)
    bad |= (bits[h->base_nrow / 8] >> (h->base_nrow % 8)) != 0;
  if (bad || popcount(bits, len - HEAD) != h->nrow)
    return zm_error_set(ZM_EINVALID, "%s: bad row selection layout", name);
  return 0;
}

int zm_rowsel_base_id(char id[ZM_ROWSEL_ID_SIZE], const void *data, size_t len,
                      const char *name)
{
  rowsel_head h;
  int rc = check_file(&h, data, len, name);
  if (rc == 0) {
    memset(id, 0, ZM_ROWSEL_ID_SIZE);
    memcpy(id, h.id, ZM_ROWSEL_ID_SIZE - 1);
  }
  return rc;
}

int zm_rowsel_file_base(char id[ZM_ROWSEL_ID_SIZE], const char *path)
{
  rowsel_head h;
  FILE *fp = fopen(path, "rb");
  size_t got = fp ? fread(&h, 1, sizeof h, fp) : 0;
  if (fp)
    fclose(fp);
  if (got < sizeof h || !zm_rowsel_is(&h, got))
    return 0;
  memset(id, 0, ZM_ROWSEL_ID_SIZE);
  memcpy(id, h.id, ZM_ROWSEL_ID_SIZE - 1);
  return valid_id(id);
}

/* Map s's base (once; under its lock) and check it is the frame the
 * selection was made of. */
static int base_ready(zm_rowsel *s, const zm_frame *f, const char *name)
{
  pthread_mutex_lock(&s->lock);
  int rc = 0;
  if (!s->base) {
    zm_frame *b = NULL;
    rc = zm_frame_map_checked(&b, s->base_path, s->check_base);
    if (rc == 0 && b->nrow != s->base_nrow)
      rc = zm_error_set(ZM_EINVALID, "%s: its base %s has %zu rows, not %zu", name,
                        s->base_path, b->nrow, s->base_nrow);
    for (size_t j = 0; rc == 0 && f && j < f->ncol; j++)
      if (j >= b->ncol || strcmp(b->cols[j].name, f->cols[j].name) != 0 ||
          b->cols[j].type != f->cols[j].type)
        rc = zm_error_set(ZM_EINVALID, "%s: its base %s does not have its columns", name,
                          s->base_path);
    if (rc)
      zm_frame_free(b);
    else
      s->base = b;
  }
  pthread_mutex_unlock(&s->lock);
  return rc;
}

int zm_rowsel_read(zm_frame **out, const void *data, size_t len, const char *name,
                   const char *base_path, int check_base)
{
  *out = NULL;
  rowsel_head h;
  int rc = check_file(&h, data, len, name);
  if (rc)
    return rc;
  char id[ZM_ROWSEL_ID_SIZE] = {0};
  memcpy(id, h.id, ZM_ROWSEL_ID_SIZE - 1);
  zm_rowsel *s = rowsel_new(id, base_path, h.base_nrow, h.nrow);
  if (!s)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  s->check_base = check_base;
  memcpy(s->bits, (const uint8_t *)data + HEAD, len - HEAD);
  for (size_t i = 0, at = 0; i < h.base_nrow; i++)
    if (s->bits[i / 8] >> (i % 8) & 1)
      s->rows[at++] = i;
  if ((rc = base_ready(s, NULL, name))) {
    rowsel_free(s);
    return rc;
  }
  return selection_frame(out, s, h.nrow, s->base);
}

/* Column b's rows[0..n) into the empty column out (name, type, len set). */
static int gather(zm_column *out, const zm_column *b, const uint64_t *rows, size_t n)
{
  size_t w = b->type == ZM_TYPE_BOOL ? 1 : 8, cells = b->type == ZM_TYPE_STR ? n + 1 : n;
  void *data = zm_big_malloc(cells * w + 1);
  if (!data)
    return zm_error_set(ZM_ENOMEM, "out of memory for a column of %zu rows", n);
  out->data = data;
  if (b->type == ZM_TYPE_BOOL) {
    for (size_t i = 0; i < n; i++)
      ((uint8_t *)data)[i] = ((const uint8_t *)b->data)[rows[i]];
  } else if (b->type != ZM_TYPE_STR) {
    for (size_t i = 0; i < n; i++)
      ((uint64_t *)data)[i] = ((const uint64_t *)b->data)[rows[i]];
  } else {
    const uint64_t *off = b->data;
    uint64_t *o = data, total = 0;
    for (size_t i = 0; i < n; i++) {
      o[i] = total;
      total += off[rows[i] + 1] - off[rows[i]];
    }
    o[n] = total;
    if (!(out->blob = zm_big_malloc(total + 1)))
      return zm_error_set(ZM_ENOMEM, "out of memory for a column of %zu rows", n);
    out->blob_len = total;
    for (size_t i = 0; i < n; i++)
      memcpy(out->blob + o[i], b->blob + off[rows[i]], o[i + 1] - o[i]);
  }
  for (size_t i = 0; b->valid && i < n; i++) /* a bitmap only where a null lands */
    if (zm_column_is_null(b, rows[i])) {
      int rc = zm_column_set_null(out, i);
      if (rc)
        return rc;
    }
  return 0;
}

static void column_clear(zm_column *c)
{
  free(c->data);
  free(c->valid);
  free(c->blob);
  c->data = NULL;
  c->valid = NULL;
  c->blob = NULL;
  c->blob_len = 0;
}

int zm_frame_col_ready(zm_frame *f, size_t j)
{
  zm_rowsel *s = f->sel;
  if (!s || j >= f->ncol || f->cols[j].data)
    return 0;
  int rc = base_ready(s, f, s->base_id);
  if (rc == 0)
    rc = gather(&f->cols[j], &s->base->cols[j], s->rows, f->nrow);
  if (rc)
    column_clear(&f->cols[j]);
  else
    zm_frame_forget_column(s->base, &s->base->cols[j]); /* its rows live on in f */
  return rc;
}

int zm_frame_col_rows(const zm_column **c, const uint64_t **rows, zm_frame *f, size_t j)
{
  zm_rowsel *s = f->sel;
  *c = j < f->ncol ? &f->cols[j] : NULL;
  *rows = NULL;
  if (!s || j >= f->ncol || f->cols[j].data)
    return 0;
  int rc = base_ready(s, f, s->base_id);
  if (rc == 0) {
    *c = &s->base->cols[j];
    *rows = s->rows;
  }
  return rc;
}

int zm_frame_col_keep(zm_frame *f, size_t j)
{
  int rc = zm_frame_col_ready(f, j);
  if (rc == 0 && f->sel && j < f->ncol)
    f->sel->kept[j] = 1;
  return rc;
}

void zm_frame_col_done(zm_frame *f, size_t j)
{
  if (j >= f->ncol)
    return;
  if (f->sel && !f->sel->kept[j])
    column_clear(&f->cols[j]);
  if (f->sel && f->sel->base)
    zm_frame_forget_column(f->sel->base, &f->sel->base->cols[j]);
  if (!f->sel)
    zm_frame_forget_column(f, &f->cols[j]);
}

static int ready_one(void *arg, size_t j)
{
  return zm_frame_col_ready(arg, j);
}

/* Below this many cells the columns are gathered on the calling thread. */
#define THREAD_CELLS ((size_t)1 << 20)

int zm_frame_materialize(zm_frame *f)
{
  if (!f->sel)
    return 0;
  size_t nw = f->nrow * f->ncol < THREAD_CELLS ? 1 : (size_t)zm_workers_get(2);
  int rc = zm_jobs_run(f->ncol, nw, ready_one, f, NULL);
  if (rc)
    return rc;
  rowsel_free(f->sel);
  f->sel = NULL;
  return 0;
}
