/* zm_frame_partition on a frame big enough to be moved on two threads:
 * every part holds exactly the rows assigned to it, in order, for every
 * column type, with nulls where the source had them. */
#include "check.h"
#include "frame/split.h"

#include <stdint.h>

enum { ROWS = 300000 }; /* x 5 columns: above the two-thread threshold */

static zm_frame *make_frame(void)
{
  zm_frame *f = NULL;
  zm_column *c;
  CHECK_EQ_INT(zm_frame_new(&f, ROWS), 0);
  CHECK_EQ_INT(zm_frame_add(&c, f, "f", ZM_TYPE_F64), 0);
  for (size_t i = 0; i < ROWS; i++)
    ((double *)c->data)[i] = (double)i * 0.5;
  CHECK_EQ_INT(zm_frame_add(&c, f, "i", ZM_TYPE_I64), 0);
  for (size_t i = 0; i < ROWS; i++)
    ((int64_t *)c->data)[i] = (int64_t)i * 3;
  CHECK_EQ_INT(zm_frame_add(&c, f, "b", ZM_TYPE_BOOL), 0);
  for (size_t i = 0; i < ROWS; i++)
    ((uint8_t *)c->data)[i] = (uint8_t)(i % 3 == 0);
  static char text[ROWS][8];
  static const char *values[ROWS];
  for (size_t i = 0; i < ROWS; i++) {
    snprintf(text[i], sizeof text[i], "s%zu", i % 1000);
    values[i] = i % 7 == 0 ? NULL : text[i];
  }
  CHECK_EQ_INT(zm_frame_add_strings(f, "s", values, NULL), 0);
  CHECK_EQ_INT(zm_frame_add(&c, f, "n", ZM_TYPE_F64), 0);
  for (size_t i = 0; i < ROWS; i += 11)
    CHECK_EQ_INT(zm_column_set_null(c, i), 0);
  return f;
}

static int row_ok(const zm_frame *p, size_t at, size_t i)
{
  size_t len;
  const char *s = zm_column_str(&p->cols[3], at, &len);
  char want[8];
  snprintf(want, sizeof want, "s%zu", i % 1000);
  int str_ok = i % 7 == 0 ? zm_column_is_null(&p->cols[3], at)
                          : !zm_column_is_null(&p->cols[3], at) && len == strlen(want) &&
                                memcmp(s, want, len) == 0;
  return ((double *)p->cols[0].data)[at] == (double)i * 0.5 &&
         ((int64_t *)p->cols[1].data)[at] == (int64_t)i * 3 &&
         ((uint8_t *)p->cols[2].data)[at] == (i % 3 == 0) && str_ok &&
         zm_column_is_null(&p->cols[4], at) == (i % 11 == 0);
}

static void test_big_partition(void)
{
  zm_frame *f = make_frame(), *parts[3] = {NULL, NULL, NULL};
  static int assign[ROWS];
  for (size_t i = 0; i < ROWS; i++)
    assign[i] = (int)(((i * 2654435761u) >> 7) % 4) - 1; /* -1 drops */
  CHECK_EQ_INT(zm_frame_partition(parts, f, assign, 3), 0);
  size_t at[3] = {0, 0, 0}, bad = 0;
  for (size_t i = 0; i < ROWS && parts[0]; i++)
    if (assign[i] >= 0 && !row_ok(parts[assign[i]], at[assign[i]]++, i))
      bad++;
  CHECK_EQ_INT(bad, 0);
  for (int j = 0; j < 3 && parts[0]; j++) {
    CHECK_EQ_INT(parts[j]->nrow, at[j]);
    CHECK_EQ_INT(parts[j]->ncol, 5);
    CHECK(parts[j]->cols[4].valid != NULL);
    CHECK(parts[j]->cols[0].valid == NULL);
  }
  for (int j = 0; j < 3; j++)
    zm_frame_free(parts[j]);
  zm_frame_free(f);
}

int main(void)
{
  RUN(test_big_partition);
  return CHECK_DONE();
}
