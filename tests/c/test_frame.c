/* Frame operations: construction, select/filter/take/slice/concat, stats,
 * unique and describe. */
#include "check.h"
#include "core/error.h"
#include "core/workers.h"
#include "core/shardlog.h"
#include "frame/frame.h"

#include <math.h>

/* x: 1..5 (float64, row 3 null), n: 10,20,30,40,50, s: a,b,a,NULL,a */
static zm_frame *sample(void)
{
  zm_frame *f;
  zm_column *x, *n;
  if (zm_frame_new(&f, 5) || zm_frame_add(&x, f, "x", ZM_TYPE_F64))
    return NULL;
  for (int i = 0; i < 5; i++)
    ((double *)x->data)[i] = i + 1;
  zm_column_set_null(x, 2);
  if (zm_frame_add(&n, f, "n", ZM_TYPE_I64))
    return NULL;
  for (int i = 0; i < 5; i++)
    ((int64_t *)n->data)[i] = (i + 1) * 10;
  const char *s[] = {"a", "b", "a", NULL, "a"};
  if (zm_frame_add_strings(f, "s", s, NULL))
    return NULL;
  return f;
}

static const char *str_at(const zm_column *c, size_t i)
{
  static char out[64];
  size_t n;
  const char *s = zm_column_str(c, i, &n);
  snprintf(out, sizeof out, "%.*s", (int)n, s);
  return out;
}

static void test_select_filter_take(void)
{
  zm_frame *f = sample(), *g = NULL;
  CHECK(f != NULL);
  const char *names[] = {"s", "x"};
  CHECK_EQ_INT(zm_frame_select(&g, f, names, 2), 0);
  CHECK(g && g->ncol == 2 && strcmp(g->cols[0].name, "s") == 0);
  zm_frame_free(g);
  const char *bad[] = {"nope"};
  CHECK_EQ_INT(zm_frame_select(&g, f, bad, 1), ZM_ENOTFOUND);
  CHECK_EQ_STR(zm_error_last(), "no column named 'nope'");
  uint8_t mask[] = {1, 0, 1, 1, 0};
  CHECK_EQ_INT(zm_frame_filter(&g, f, mask), 0);
  CHECK_EQ_INT(g->nrow, 3);
  CHECK(zm_column_is_null(&g->cols[0], 1));
  CHECK(zm_column_is_null(&g->cols[2], 2));
  CHECK_EQ_STR(str_at(&g->cols[2], 1), "a");
  zm_frame_free(g);
  int64_t idx[] = {4, 0, 4};
  CHECK_EQ_INT(zm_frame_take(&g, f, idx, 3), 0);
  CHECK_EQ_INT(((int64_t *)g->cols[1].data)[0], 50);
  CHECK_EQ_INT(((int64_t *)g->cols[1].data)[2], 50);
  zm_frame_free(g);
  int64_t out_of_range[] = {5};
  CHECK_EQ_INT(zm_frame_take(&g, f, out_of_range, 1), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "row index 5 out of range (frame has 5 rows)");
  CHECK_EQ_INT(zm_frame_head(&g, f, 2), 0);
  CHECK_EQ_INT(g->nrow, 2);
  zm_frame_free(g);
  CHECK_EQ_INT(zm_frame_slice(&g, f, 3, 100), 0);
  CHECK_EQ_INT(g->nrow, 2);
  CHECK_EQ_STR(str_at(&g->cols[2], 1), "a");
  zm_frame_free(g);
  zm_frame_free(f);
}

static void test_concat(void)
{
  zm_frame *a = sample(), *b = sample();
  CHECK_EQ_INT(zm_frame_concat(a, b), 0);
  CHECK_EQ_INT(a->nrow, 10);
  CHECK(zm_column_is_null(&a->cols[0], 7));
  CHECK(!zm_column_is_null(&a->cols[0], 6));
  CHECK_EQ_STR(str_at(&a->cols[2], 6), "b");
  CHECK(zm_column_is_null(&a->cols[2], 8));
  zm_frame *c;
  const char *names[] = {"x"};
  zm_frame_select(&c, b, names, 1);
  CHECK_EQ_INT(zm_frame_concat(a, c), ZM_EINVALID);
  CHECK_EQ_STR(zm_error_last(), "cannot append a frame of 1 columns to one of 3");
  zm_frame_free(a);
  zm_frame_free(b);
  zm_frame_free(c);
}

/* Many distinct values (the table grows while counting): every one once,
 * most frequent first, ties in order of first appearance; nulls and NaN
 * are not values. */
static void test_unique_many(void)
{
  size_t n = 100000, distinct = 5003;
  zm_frame *f = NULL, *u = NULL;
  CHECK_EQ_INT(zm_frame_new(&f, n), 0);
  CHECK_EQ_INT(zm_frame_add(NULL, f, "k", ZM_TYPE_I64), 0);
  CHECK_EQ_INT(zm_frame_add(NULL, f, "x", ZM_TYPE_F64), 0);
  zm_column *c = &f->cols[0], *x = &f->cols[1]; /* both added: they stay put */
  for (size_t i = 0; i < n; i++) {
    /* value 7 also in every 10th row: the most frequent */
    ((int64_t *)c->data)[i] = i % 10 == 9 ? 7 : (int64_t)((i * 7919) % distinct);
    ((double *)x->data)[i] = i % 3 == 0 ? NAN : (double)(i % 4);
  }
  zm_column_set_null(c, 5);
  CHECK_EQ_INT(zm_column_unique(&u, c), 0);
  if (u) {
    CHECK_EQ_INT(u->nrow, distinct);
    const int64_t *v = u->cols[0].data, *k = u->cols[1].data;
    int64_t total = 0;
    int ordered = 1;
    for (size_t r = 0; r < u->nrow; r++) {
      total += k[r];
      if (r > 0)
        ordered &= k[r] <= k[r - 1];
    }
    CHECK_EQ_INT(total, n - 1);
    CHECK(ordered);
    CHECK_EQ_INT(v[0], 7);
    CHECK_EQ_INT(v[1], 0); /* row 0's value: the first of the ties */
  }
  zm_frame_free(u);
  u = NULL;
  CHECK_EQ_INT(zm_column_unique(&u, x), 0);
  CHECK_EQ_INT(u ? u->nrow : 0, 4);
  zm_frame_free(u);
  zm_frame_free(f);
}

static void test_stats_unique_describe(void)
{
  zm_frame *f = sample(), *u = NULL, *d = NULL;
  zm_stats s;
  zm_column_stats(&s, &f->cols[0]);
  CHECK_EQ_INT(s.count, 4);
  CHECK_EQ_INT(s.nulls, 1);
  CHECK(s.sum == 12 && s.mean == 3 && s.min == 1 && s.max == 5);
  CHECK(fabs(s.std - sqrt(10.0 / 3)) < 1e-12);
  CHECK_EQ_INT(zm_column_unique(&u, &f->cols[2]), 0);
  CHECK_EQ_INT(u->nrow, 2);
  CHECK_EQ_STR(str_at(&u->cols[0], 0), "a");
  CHECK_EQ_INT(((int64_t *)u->cols[1].data)[0], 3);
  zm_frame_free(u);
  /* the step's shard log gets the kernel's line: one worker, every column */
  CHECK_EQ_INT(zm_shardlog_open(), 0);
  CHECK_EQ_INT(zm_frame_describe(&d, f), 0);
  zm_shardlog_line *lines;
  size_t nlines;
  zm_shardlog_close(&lines, &nlines);
  CHECK_EQ_INT(nlines, 1);
  if (nlines == 1) {
    CHECK_EQ_STR(lines[0].kernel, "describe");
    CHECK_EQ_INT(lines[0].worker, 1);
    CHECK_EQ_INT(lines[0].items, f->ncol);
  }
  free(lines);
  CHECK_EQ_INT(d->nrow, 3);
  long q50 = zm_frame_find(d, "50%"), top = zm_frame_find(d, "top");
  CHECK(q50 > 0 && top > 0);
  CHECK(((double *)d->cols[q50].data)[0] == 3); /* median of 1 2 4 5 */
  CHECK(((double *)d->cols[q50].data)[1] == 30);
  CHECK(zm_column_is_null(&d->cols[q50], 2));
  CHECK_EQ_STR(str_at(&d->cols[top], 2), "a");
  CHECK(zm_column_is_null(&d->cols[top], 0));
  zm_frame_free(d);
  zm_frame_free(f);
}

static void test_memory_per_cell(void)
{
  /* 8 bytes per float64 cell: no per-cell allocation */
  zm_frame *f;
  zm_column *c;
  zm_frame_new(&f, 1000);
  zm_frame_add(&c, f, "x", ZM_TYPE_F64);
  CHECK(c->valid == NULL && c->blob == NULL);
  zm_frame_free(f);
  zm_frame_free(NULL);
}

/* describe() on 1, 2 and 7 workers (core/workers.h): the same cells. */
static void test_describe_workers(void)
{
  size_t n = 100000;
  zm_frame *f, *d[3];
  zm_frame_new(&f, n);
  for (int j = 0; j < 5; j++) {
    zm_column *c;
    char name[8];
    snprintf(name, sizeof name, "c%d", j);
    zm_frame_add(&c, f, name, j == 4 ? ZM_TYPE_I64 : ZM_TYPE_F64);
    for (size_t i = 0; i < n; i++) {
      uint64_t v = (i * 2654435761u + (uint64_t)j * 97) % 10007;
      if (j == 4)
        ((int64_t *)c->data)[i] = (int64_t)v;
      else
        ((double *)c->data)[i] = (double)v / 3.0;
    }
  }
  const char **s = malloc(n * sizeof *s);
  static const char *levels[] = {"x", "y", "z"};
  for (size_t i = 0; i < n; i++)
    s[i] = levels[i % 3];
  zm_frame_add_strings(f, "s", s, NULL);
  free(s);
  static const int workers[] = {1, 2, 7};
  for (int k = 0; k < 3; k++) {
    zm_workers_set(workers[k]);
    CHECK_EQ_INT(zm_frame_describe(&d[k], f), 0);
  }
  zm_workers_set(0);
  for (int k = 1; k < 3; k++) {
    CHECK_EQ_INT(d[k]->ncol, d[0]->ncol);
    CHECK_EQ_INT(d[k]->nrow, d[0]->nrow);
    for (size_t j = 0; j < d[0]->ncol; j++)
      if (d[0]->cols[j].type == ZM_TYPE_F64)
        CHECK(memcmp(d[k]->cols[j].data, d[0]->cols[j].data, d[0]->nrow * sizeof(double)) == 0);
    zm_frame_free(d[k]);
  }
  zm_frame_free(d[0]);
  zm_frame_free(f);
}

int main(void)
{
  RUN(test_select_filter_take);
  RUN(test_concat);
  RUN(test_stats_unique_describe);
  RUN(test_unique_many);
  RUN(test_describe_workers);
  RUN(test_memory_per_cell);
  return CHECK_DONE();
}
