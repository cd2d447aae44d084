/* CSV reading: map the file, read the header, split the rows into ranges at
 * safe line breaks, parse the ranges on threads, settle each column's type
 * and join the ranges into one frame. */
#include "frame/csv.h"
#include "frame/csv_internal.h"
#include "frame/internal.h"
#include "core/bigmem.h"
#include "core/error.h"
#include "core/workers.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CHUNKS 16
#define MIN_CHUNK_BYTES (1u << 20)
#define ROW_SAMPLE ((size_t)256 << 10) /* bytes of each sample that estimates rows */
#define MIN_CAP ((size_t)4096)         /* rows a chunk makes room for at least */
#define QUOTE_LOOK_HEAD ((size_t)1 << 20) /* bytes looked at for quotes: at the start */
#define QUOTE_LOOK ((size_t)256 << 10)    /* and at the end and around split points */

/* 1-based physical line of byte p (the header is line 1). */
static size_t line_of(const csv_reader *r, const char *p)
{
  size_t line = 1;
  for (const char *q = r->data; q < p;) {
    const char *nl = memchr(q, '\n', (size_t)(p - q));
    if (!nl)
      break;
    line++;
    q = nl + 1;
  }
  return line;
}

static int chunk_error(const csv_reader *r, const csv_chunk *ch)
{
  if (ch->rc == ZM_ENOMEM)
    return zm_error_set(ZM_ENOMEM, "%s: out of memory", r->name);
  return zm_error_set(ch->rc, "%s:%zu: %s", r->name, line_of(r, ch->err_at), ch->err);
}

/* The most frequent of , ; tab | outside quotes in the header line. */
static char detect_delimiter(const char *p, const char *end, char quote)
{
  static const char cand[] = {',', ';', '\t', '|'};
  size_t count[4] = {0};
  int inq = 0;
  for (; p < end && (inq || (*p != '\n' && *p != '\r')); p++) {
    if (*p == quote)
      inq = !inq;
    for (int k = 0; k < 4 && !inq; k++)
      count[k] += *p == cand[k];
  }
  int best = 0;
  for (int k = 1; k < 4; k++)
    if (count[k] > count[best])
      best = k;
  return cand[best];
}

/* Add `name` (made unique as pandas does: x, x.1, x.2) to r->names. */
static int add_name(csv_reader *r, const char *s, size_t n)
{
  char base[512];
  if (n > 500) {
    /* a long name is cut to 500 bytes, at a character's start: cutting
     * inside a UTF-8 sequence would make a name no CSV reader takes back */
    n = 500;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
      n--;
  }
  if (n == 0)
    snprintf(base, sizeof base, "column_%zu", r->ncol + 1);
  else
    snprintf(base, sizeof base, "%.*s", (int)n, s);
  char name[540];
  snprintf(name, sizeof name, "%s", base);
  for (int k = 1;; k++) {
    size_t j = 0;
    while (j < r->ncol && strcmp(r->names[j], name) != 0)
      j++;
    if (j == r->ncol)
      break;
    snprintf(name, sizeof name, "%s.%d", base, k);
  }
  if (n == 0 || strcmp(name, base) != 0) {
    int rc = n == 0 ? zm_buf_printf(&r->renamed, "%scolumn %zu has no name in the header; read as '%s'",
                                    r->renamed.len ? "\n" : "", r->ncol + 1, name)
                    : zm_buf_printf(&r->renamed, "%scolumn '%s' appears again in the header as column %zu; read as '%s'",
                                    r->renamed.len ? "\n" : "", base, r->ncol + 1, name);
    if (rc)
      return rc;
  }
  char **names = realloc(r->names, (r->ncol + 1) * sizeof *names);
  if (!names)
    return zm_error_set(ZM_ENOMEM, "out of memory");
  r->names = names;
  if (!(names[r->ncol] = strdup(name)))
    return zm_error_set(ZM_ENOMEM, "out of memory");
  r->ncol++;
  return 0;
}

static int read_header(csv_reader *r)
{
  csv_chunk ch = {.r = r, .end = r->data + r->len};
  const char *p = r->data;
  int rc = 0;
  for (;;) {
    const char *s;
    size_t n;
    int quoted;
    const char *q = csv_scan_field(&ch, p, &s, &n, &quoted);
    if (!q) {
      rc = zm_error_set(ZM_EINVALID, "%s:1: %s", r->name, ch.err);
      break;
    }
    if (memchr(s, 0, n)) {
      rc = zm_error_set(ZM_EINVALID, "%s:1: a NUL byte in the header (zenml reads UTF-8 CSV; is the file UTF-16?)",
                        r->name);
      break;
    }
    if (!csv_utf8_valid(s, n)) {
      rc = zm_error_set(ZM_EINVALID, "%s:1: invalid UTF-8 in the header", r->name);
      break;
    }
    /* column names are C strings: a NUL would cut one short without a word */
    if (memchr(s, '\0', n)) {
      rc = zm_error_set(ZM_EINVALID, "%s:1: NUL byte in the name of column %zu", r->name,
                        r->ncol + 1);
      break;
    }
    if ((rc = add_name(r, s, n)) != 0)
      break;
    p = q;
    if (p < ch.end && *p == r->delim) {
      p++;
      continue;
    }
    if (p < ch.end && *p == '\r')
      p++;
    if (p < ch.end && *p == '\n')
      p++;
    r->body = p;
    break;
  }
  free(ch.scratch);
  return rc;
}

static int apply_schema(csv_reader *r, const zm_csv_options *o)
{
  if (!(r->forced = malloc((r->ncol ? r->ncol : 1) * sizeof *r->forced)))
    return zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t j = 0; j < r->ncol; j++)
    r->forced[j] = -1;
  for (size_t k = 0; o && k < o->nschema; k++) {
    size_t j = 0;
    while (j < r->ncol && strcmp(r->names[j], o->schema[k].name) != 0)
      j++;
    if (j == r->ncol)
      return zm_error_set(ZM_ENOTFOUND, "%s: the schema names column '%s', which is not in the header",
                          r->name, o->schema[k].name);
    r->forced[j] = (int)o->schema[k].type;
  }
  return 0;
}

/* Set up a chunk's columns with room for cap rows; `kinds` (or the schema
 * when NULL) fixes types. */
static int chunk_init(csv_chunk *ch, const csv_reader *r, const int *kinds, size_t cap)
{
  ch->r = r;
  ch->cap = cap;
  if (!(ch->cols = calloc(r->ncol ? r->ncol : 1, sizeof *ch->cols)))
    return zm_error_set(ZM_ENOMEM, "out of memory");
  for (size_t j = 0; j < r->ncol; j++) {
    int kind = kinds ? kinds[j] : r->forced[j];
    ch->cols[j].kind = KIND_UNKNOWN;
    ch->cols[j].locked = kind >= 0;
    if (kind >= 0) {
      ch->cols[j].kind = kind;
      ch->cols[j].data = csv_col_data(ch->cap, kind, 0);
      if (!ch->cols[j].data)
        return zm_error_set(ZM_ENOMEM, "out of memory");
    }
  }
  return 0;
}

/* The first line break at or after p that is outside quotes, judged by the
 * parity of quotes since `from`; the caller checks the guess by parsing. */
static const char *safe_split(const csv_reader *r, const char *from, const char *p,
                              const char *end, int has_quotes)
{
  int odd = 0;
  if (has_quotes)
    for (const char *q = from; (q = memchr(q, r->quote, (size_t)(p - q))) != NULL; q++)
      odd = !odd;
  for (; p < end; p++) {
    if (*p == r->quote)
      odd = !odd;
    else if (*p == '\n' && !odd)
      return p + 1;
  }
  return end;
}

static void *chunk_thread(void *arg)
{
  csv_parse_chunk(arg);
  return NULL;
}

/* Parse the n chunks, one a thread (n - 1 threads plus this one). */
static void run_chunks(csv_chunk *ch, size_t n)
{
  pthread_t tid[MAX_CHUNKS];
  int started[MAX_CHUNKS] = {0};
  for (size_t i = 1; i < n; i++)
    started[i] = pthread_create(&tid[i], NULL, chunk_thread, &ch[i]) == 0;
  csv_parse_chunk(&ch[0]);
  for (size_t i = 1; i < n; i++) {
    if (started[i])
      pthread_join(tid[i], NULL);
    else
      csv_parse_chunk(&ch[i]);
  }
}

static int kind_join(int a, int b)
{
  if (a == KIND_UNKNOWN)
    return b;
  if (b == KIND_UNKNOWN || a == b)
    return a;
  if ((a == ZM_TYPE_I64 && b == ZM_TYPE_F64) || (a == ZM_TYPE_F64 && b == ZM_TYPE_I64))
    return ZM_TYPE_F64;
  return ZM_TYPE_STR;
}

/* Bring a chunk column to the final kind in place; 1 if it must be re-read. */
static int settle(csv_chunk *ch, csv_col *c, int kind)
{
  if (c->kind == kind)
    return 0;
  if (c->kind == KIND_UNKNOWN) {
    /* every row so far was null: a bitmap of them (none for a chunk of no
     * rows, so the frame's bytes do not depend on how the body was cut) */
    size_t cap = ch->cap;
    c->data = csv_col_data(cap, kind, ch->nrow);
    c->valid = ch->nrow ? calloc(cap / 8 + 1, 1) : NULL;
    if (!c->data || (ch->nrow && !c->valid))
      return zm_error_set(ZM_ENOMEM, "out of memory");
    c->kind = kind;
    return 0;
  }
  if (c->kind == ZM_TYPE_I64 && kind == ZM_TYPE_F64) {
    csv_int_to_float(c, ch->nrow);
    return 0;
  }
  return 1;
}

/* What the chunks saw of column j's text values, to decide whether they are
 * null tokens in a column of numbers. */
typedef struct col_summary {
  csv_token tok[ZM_CSV_MAX_TOKENS];
  int ntok, over, auto_null, has_float;
  size_t numbers, tokens;
  const char *overflow_at;
  char overflow_text[ZM_CSV_TOKEN_MAX];
} col_summary;

static void merge_token(col_summary *sm, const csv_token *t)
{
  for (int k = 0; k < sm->ntok; k++)
    if (sm->tok[k].len == t->len && memcmp(sm->tok[k].text, t->text, t->len) == 0) {
      sm->tok[k].count += t->count; /* chunks are in order: the first stays */
      return;
    }
  if (sm->ntok == ZM_CSV_MAX_TOKENS)
    sm->over = 1;
  else
    sm->tok[sm->ntok++] = *t;
}

static void summarize(col_summary *sm, const csv_chunk *ch, size_t n, size_t j)
{
  const unsigned numeric = (1u << ZM_TYPE_I64) | (1u << ZM_TYPE_F64);
  memset(sm, 0, sizeof *sm);
  for (size_t i = 0; i < n; i++) {
    const csv_col *c = &ch[i].cols[j];
    sm->over |= c->tok_over || c->locked || c->kind == KIND_SKIP || c->kind == ZM_TYPE_BOOL;
    if (c->kind == ZM_TYPE_I64 || c->kind == ZM_TYPE_F64) {
      sm->numbers += ch[i].nrow - c->nnull;
      sm->has_float |= c->kind == ZM_TYPE_F64;
    } else if (c->kind == ZM_TYPE_STR) {
      sm->numbers += c->ntyped;
      sm->over |= (c->typed_mask & ~numeric) != 0;
      sm->has_float |= (c->typed_mask & (1u << ZM_TYPE_F64)) != 0;
    }
    if (c->overflow_at && !sm->overflow_at) {
      sm->overflow_at = c->overflow_at;
      memcpy(sm->overflow_text, c->overflow_text, sizeof sm->overflow_text);
    }
    for (int k = 0; k < c->ntok; k++)
      merge_token(sm, &c->tok[k]);
  }
  for (int k = 0; k < sm->ntok; k++)
    sm->tokens += sm->tok[k].count;
  /* the tokens are fewer than 1 in ZM_CSV_TOKEN_SHARE of the non-null cells */
  sm->auto_null = !sm->over && sm->ntok > 0 && sm->numbers > 0 &&
                  sm->tokens * (ZM_CSV_TOKEN_SHARE - 1) < sm->numbers;
}

/* The final kind of column j and whether it is mixed, from the chunks. */
static int column_kind(const csv_chunk *ch, size_t n, size_t j, const col_summary *sm,
                       int *mixed)
{
  int kind = KIND_UNKNOWN;
  *mixed = 0;
  for (size_t i = 0; i < n; i++) {
    const csv_col *c = &ch[i].cols[j];
    kind = kind_join(kind, c->kind == KIND_SKIP ? ZM_TYPE_STR : c->kind);
    *mixed |= c->mixed || (c->seen_typed && c->seen_text);
  }
  if (sm->auto_null) {
    *mixed = 0;
    return sm->has_float ? ZM_TYPE_F64 : ZM_TYPE_I64;
  }
  if (sm->ntok > 0 && sm->numbers > 0) { /* too many to be nulls: text */
    *mixed = 1;
    return ZM_TYPE_STR;
  }
  return kind == KIND_UNKNOWN ? ZM_TYPE_STR : kind;
}

/* Decide each column's type over all chunks; re-read chunks that cannot
 * be converted in place (with the decided null tokens fixed). */
static int settle_types(csv_chunk *ch, size_t n, const csv_reader *r, int *kinds, int *mixed,
                        col_summary *sm)
{
  for (size_t j = 0; j < r->ncol; j++) {
    summarize(&sm[j], ch, n, j);
    kinds[j] = column_kind(ch, n, j, &sm[j], &mixed[j]);
    if (r->forced[j] >= 0)
      mixed[j] = 0; /* the caller said what it is */
  }
  for (size_t i = 0; i < n; i++) {
    int redo = 0;
    for (size_t j = 0; j < r->ncol; j++) {
      int rc = settle(&ch[i], &ch[i].cols[j], kinds[j]);
      if (rc < 0)
        return rc;
      redo |= rc;
    }
    if (!redo)
      continue;
    csv_chunk again = {0};
    int rc = chunk_init(&again, r, kinds, ch[i].cap);
    if (rc) {
      csv_chunk_release(&again);
      return rc;
    }
    for (size_t j = 0; j < r->ncol; j++)
      if (sm[j].auto_null) {
        memcpy(again.cols[j].tok, sm[j].tok, sizeof sm[j].tok);
        again.cols[j].ntok = sm[j].ntok;
        again.cols[j].tok_fixed = 1;
      }
    again.beg = ch[i].beg;
    again.stop = again.end = ch[i].stopped;
    csv_parse_chunk(&again);
    csv_chunk_release(&ch[i]);
    ch[i] = again;
    if (again.rc)
      return chunk_error(r, &again);
  }
  return 0;
}

/* "'?' in 2 cells, first at line 7" for each token, joined by ", ". */
static int describe_tokens(zm_buf *b, const csv_reader *r, const col_summary *sm)
{
  int rc = 0;
  for (int k = 0; rc == 0 && k < sm->ntok; k++)
    rc = zm_buf_printf(b, "%s'%.*s' in %zu cell%s, first at line %zu", k ? ", " : "",
                       (int)sm->tok[k].len, sm->tok[k].text, sm->tok[k].count,
                       sm->tok[k].count == 1 ? "" : "s", line_of(r, sm->tok[k].first));
  return rc;
}

/* The note lines of column j: null tokens, int64 overflow, mixed types. */
static int column_note(zm_buf *note, const csv_reader *r, size_t j, int kind, int mixed,
                       const col_summary *sm)
{
  const char *name = r->names[j];
  int rc = 0;
  if (sm->auto_null) {
    rc = zm_buf_printf(note, "%scolumn '%s' is numbers but for ", note->len ? "\n" : "", name);
    if (rc == 0)
      rc = describe_tokens(note, r, sm);
    if (rc == 0)
      rc = zm_buf_puts(note, ": read as nulls");
  }
  if (rc == 0 && sm->overflow_at && kind == ZM_TYPE_F64)
    rc = zm_buf_printf(note,
                       "%scolumn '%s': %s at line %zu does not fit in int64; the column is read "
                       "as float64 (integers beyond 2^53 lose precision)",
                       note->len ? "\n" : "", name, sm->overflow_text,
                       line_of(r, sm->overflow_at));
  if (rc == 0 && mixed && kind == ZM_TYPE_STR) {
    rc = zm_buf_printf(note, "%scolumn '%s' has values of mixed types; read as string",
                       note->len ? "\n" : "", name);
    if (rc == 0 && !sm->over && sm->ntok > 0 && sm->numbers > 0) {
      rc = zm_buf_puts(note, " (numbers, and ");
      if (rc == 0)
        rc = describe_tokens(note, r, sm);
      if (rc == 0)
        rc = zm_buf_puts(note, ": too many to read as nulls unless listed in null_values)");
    }
  }
  return rc;
}

static int build_frame(zm_frame **out, csv_chunk *ch, size_t n, const csv_reader *r,
                       const int *kinds, const int *mixed, const col_summary *sm)
{
  size_t rows = 0;
  for (size_t i = 0; i < n; i++)
    rows += ch[i].nrow;
  zm_frame *f = NULL;
  int rc = csv_join(&f, ch, n, rows, (const char *const *)r->names, r->ncol, kinds);
  zm_buf note = ZM_BUF_INIT;
  if (rc == 0 && r->renamed.len)
    rc = zm_buf_puts(&note, r->renamed.data);
  for (size_t j = 0; rc == 0 && j < r->ncol; j++)
    rc = column_note(&note, r, j, kinds[j], mixed[j], &sm[j]);
  if (rc) {
    zm_buf_free(&note);
    zm_frame_free(f);
    return rc;
  }
  f->note = note.len ? zm_buf_detach(&note) : NULL;
  zm_buf_free(&note);
  *out = f;
  return 0;
}

/* Whether bytes [at, at + n) of the body (clipped to it) hold the quote. */
static int quote_in(const csv_reader *r, size_t at, size_t n)
{
  size_t len = (size_t)(r->data + r->len - r->body);
  if (at >= len)
    return 0;
  return memchr(r->body + at, r->quote, len - at < n ? len - at : n) != NULL;
}

/* Whether the body seems to quote fields: a quote in its first MiB, its
 * last 256 KiB or around one of the n - 1 guessed split points. Only then
 * are the quotes before each split point counted (a serial pass over the
 * body). Otherwise a split is guessed at the line break after the point,
 * and a guess that lands inside a quoted field is caught after parsing
 * (parse_all) and the body is parsed again in one range. */
static int quotes_seen(const csv_reader *r, size_t n)
{
  size_t len = (size_t)(r->data + r->len - r->body), look = QUOTE_LOOK;
  if (quote_in(r, 0, QUOTE_LOOK_HEAD) || quote_in(r, len > look ? len - look : 0, look))
    return 1;
  for (size_t i = 1; i < n; i++) {
    size_t at = len / n * i;
    if (quote_in(r, at > look / 2 ? at - look / 2 : 0, look))
      return 1;
  }
  return 0;
}

/* Split the body into ranges and set up one chunk per range. */
static size_t plan_chunks(csv_chunk *ch, const csv_reader *r, size_t threads)
{
  const char *end = r->data + r->len;
  size_t len = (size_t)(end - r->body);
  size_t n = threads;
  if (n > MAX_CHUNKS)
    n = MAX_CHUNKS;
  while (n > 1 && len / n < MIN_CHUNK_BYTES)
    n--;
  int has_quotes = quotes_seen(r, n);
  const char *beg = r->body;
  for (size_t i = 0; i < n; i++) {
    const char *stop = i + 1 == n ? end : safe_split(r, r->body, r->body + len / n * (i + 1), end, has_quotes);
    if (stop < beg)
      stop = beg;
    ch[i].beg = beg;
    ch[i].stop = stop;
    ch[i].end = end;
    beg = stop;
  }
  return n;
}

/* Rows to make room for in [beg, end): the line breaks in three samples
 * (start, middle, end) scaled to its length, and 1/32 more. Room costs
 * address space only until rows are written (csv_col_data). */
static size_t estimate_rows(const char *beg, const char *end)
{
  size_t len = (size_t)(end - beg), part = len / 3 < ROW_SAMPLE ? len / 3 : ROW_SAMPLE;
  if (part == 0)
    return MIN_CAP;
  size_t lines = 0;
  for (int k = 0; k < 3; k++) {
    const char *p = beg + (len - part) / 2 * (size_t)k, *e = p + part;
    while ((p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
      lines++;
      p++;
    }
  }
  double est = (double)lines * (double)len / (double)(3 * part);
  size_t rows = (size_t)(est + est / 32) + 16;
  return rows < MIN_CAP ? MIN_CAP : rows;
}

/* Parse all ranges; when a guessed split was not a row boundary (a quote
 * inside an unquoted field fools the parity scan), parse in one range.
 * The first range has room for every row: the others join it in place. */
static int parse_all(csv_chunk *ch, size_t *n, const csv_reader *r, int threads)
{
  size_t workers = (size_t)(threads > 0 ? threads : zm_workers_get(2));
  *n = plan_chunks(ch, r, workers);
  for (size_t i = 0; i < *n; i++) {
    size_t cap = estimate_rows(i == 0 ? ch[0].beg : ch[i].beg, i == 0 ? ch[*n - 1].stop : ch[i].stop);
    if (chunk_init(&ch[i], r, NULL, cap) != 0)
      return ZM_ENOMEM;
  }
  run_chunks(ch, *n);
  for (size_t i = 0; i < *n; i++) {
    if (ch[i].rc)
      return chunk_error(r, &ch[i]);
    if (i + 1 < *n && ch[i].stopped != ch[i + 1].beg) {
      for (size_t k = 0; k < *n; k++)
        csv_chunk_release(&ch[k]);
      memset(ch, 0, *n * sizeof *ch);
      return parse_all(ch, n, r, 1);
    }
  }
  return 0;
}

static int read_rows(zm_frame **out, csv_reader *r, const zm_csv_options *o)
{
  csv_chunk ch[MAX_CHUNKS];
  memset(ch, 0, sizeof ch);
  size_t n = 0;
  int *kinds = malloc((r->ncol + 1) * sizeof *kinds), *mixed = malloc((r->ncol + 1) * sizeof *mixed);
  col_summary *sm = malloc((r->ncol + 1) * sizeof *sm);
  int rc = kinds && mixed && sm ? 0 : zm_error_set(ZM_ENOMEM, "out of memory");
  if (rc == 0)
    rc = parse_all(ch, &n, r, o ? o->threads : 0);
  if (rc == 0)
    rc = settle_types(ch, n, r, kinds, mixed, sm);
  if (rc == 0)
    rc = build_frame(out, ch, n, r, kinds, mixed, sm);
  for (size_t i = 0; i < MAX_CHUNKS; i++)
    csv_chunk_release(&ch[i]);
  free(kinds);
  free(mixed);
  free(sm);
  return rc;
}

static void reader_release(csv_reader *r)
{
  for (size_t j = 0; j < r->ncol; j++)
    free(r->names[j]);
  free(r->names);
  zm_buf_free(&r->renamed);
  free(r->forced);
}

/* Set up r on the input: BOM and leading blank lines skipped, delimiter,
 * header and schema. */
static int reader_open(csv_reader *r, const char *name, const char *data, size_t len,
                       const zm_csv_options *o, int mapped)
{
  *r = (csv_reader){.name = name, .data = data, .len = len, .mapped = mapped};
  if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
    r->data += 3;
    r->len -= 3;
  }
  while (r->len && (*r->data == '\n' || *r->data == '\r')) {
    r->data++;
    r->len--;
  }
  if (r->len == 0)
    return zm_error_set(ZM_EINVALID, "%s: empty file", name);
  if (o) {
    r->nulls = o->null_values;
    r->nnulls = o->null_values ? o->nnull_values : 0;
  }
  r->quote = o && o->quote ? o->quote : '"';
  r->delim = o && o->delimiter ? o->delimiter : detect_delimiter(r->data, r->data + r->len, r->quote);
  int rc = read_header(r);
  if (rc == 0)
    rc = apply_schema(r, o);
  return rc;
}

static int parse(zm_frame **out, const char *name, const char *data, size_t len,
                 const zm_csv_options *o, int mapped)
{
  *out = NULL;
  csv_reader r;
  int rc = reader_open(&r, name, data, len, o, mapped);
  if (rc == 0)
    rc = read_rows(out, &r, o);
  reader_release(&r);
  return rc;
}

/* The line of data row `row` (0-based) of r, rows counted as the reader
 * counts them (blank lines skipped, quoted line breaks inside a row); the
 * number of rows into *rows when there are fewer. */
static int find_row_line(const csv_reader *r, size_t row, size_t *line, size_t *rows)
{
  csv_chunk ch = {.r = r, .end = r->data + r->len};
  const char *p = r->body, *end = ch.end;
  size_t k = 0;
  int rc = ZM_ENOTFOUND;
  while (rc == ZM_ENOTFOUND && p < end) {
    if (*p == '\n' || *p == '\r') {
      p++;
      continue;
    }
    if (k == row) {
      *line = line_of(r, p);
      rc = 0;
      break;
    }
    for (;;) { /* the fields of one row */
      const char *s;
      size_t n;
      int quoted;
      const char *q = csv_scan_field(&ch, p, &s, &n, &quoted);
      if (!q) {
        rc = zm_error_set(ZM_EINVALID, "%s:%zu: %s", r->name, line_of(r, ch.err_at), ch.err);
        break;
      }
      p = q;
      if (p < end && *p == r->delim) {
        p++;
        continue;
      }
      break;
    }
    if (p < end && *p == '\r')
      p++;
    if (p < end && *p == '\n')
      p++;
    k++;
  }
  free(ch.scratch);
  if (rc == ZM_ENOTFOUND) {
    *rows = k;
    zm_error_set(ZM_ENOTFOUND, "%s has %zu rows, no row %zu", r->name, k, row + 1);
  }
  return rc;
}

int zm_frame_parse_csv(zm_frame **out, const char *name, const char *data, size_t len,
                       const zm_csv_options *opts)
{
  return parse(out, name, data, len, opts, 0);
}

/* Map the regular file at path; a FIFO or device is refused without
 * reading from it (O_NONBLOCK: opening a FIFO would wait for a writer). */
static int map_file(char **out, size_t *len, const char *path)
{
  *out = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return zm_error_sys(errno == ENOENT ? ZM_ENOTFOUND : ZM_EIO, "cannot open %s", path);
  struct stat st;
  int rc = 0;
  if (fstat(fd, &st) != 0)
    rc = zm_error_sys(ZM_EIO, "cannot read %s", path);
  else if (S_ISDIR(st.st_mode))
    rc = zm_error_set(ZM_EINVALID, "%s: is a folder, not a CSV file", path);
  else if (!S_ISREG(st.st_mode))
    rc = zm_error_set(ZM_EINVALID, "%s: not a regular file", path);
  else if (st.st_size == 0)
    rc = zm_error_set(ZM_EINVALID, "%s: empty file", path);
  if (rc == 0) {
    *len = (size_t)st.st_size;
    *out = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (*out == MAP_FAILED) {
      *out = NULL;
      rc = zm_error_sys(ZM_EIO, "cannot map %s", path);
    }
  }
  close(fd);
  return rc;
}

int zm_frame_read_csv(zm_frame **out, const char *path, const zm_csv_options *opts)
{
  *out = NULL;
  char *data;
  size_t len;
  int rc = map_file(&data, &len, path);
  if (rc)
    return rc;
  madvise(data, len, MADV_SEQUENTIAL);
  rc = parse(out, path, data, len, opts, 1);
  munmap(data, len);
  return rc;
}

int zm_csv_row_line(size_t *out_line, size_t *out_rows, const char *path, size_t row,
                    const zm_csv_options *opts)
{
  *out_line = 0;
  *out_rows = 0;
  char *data;
  size_t len;
  int rc = map_file(&data, &len, path);
  if (rc)
    return rc;
  csv_reader r;
  rc = reader_open(&r, path, data, len, opts, 1);
  if (rc == 0)
    rc = find_row_line(&r, row, out_line, out_rows);
  reader_release(&r);
  munmap(data, len);
  return rc;
}
