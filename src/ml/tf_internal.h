/* Private to the transform code (transform.c, transform_io.c, strtab.c):
 * the fitted state of each column and a small string hash table. */
#ifndef ZM_ML_TF_INTERNAL_H
#define ZM_ML_TF_INTERNAL_H

#include "ml/transform.h"

#include <stddef.h>
#include <stdint.h>

/* Distinct strings with counts, in order of first insertion. */
typedef struct zm_strtab {
  char **keys;     /* NUL-terminated copies */
  size_t *lens;
  uint64_t *hashes;
  size_t *counts;
  size_t n, cap;
  int64_t *slots;  /* open addressing: index into keys, -1 empty */
  size_t nslots;   /* a power of two, at least 2 * cap */
} zm_strtab;

/* 64-bit FNV-1a of s[0..len). */
uint64_t zm__fnv1a(const char *s, size_t len);

/* Count one occurrence of s, inserting it if new; *idx (may be NULL) gets its index. */
int zm__strtab_add(zm_strtab *t, const char *s, size_t len, size_t *idx);

/* The index of s, or -1. */
long zm__strtab_find(const zm_strtab *t, const char *s, size_t len);

/* Release the table's memory (the struct is the caller's). */
void zm__strtab_free(zm_strtab *t);

/* One input column's spec, resolved and fitted. */
typedef struct zm_tf_col {
  char *name;
  zm_type type;          /* its type at fit time */
  zm_tf_method method;   /* never ZM_TF_AUTO once resolved */
  zm_tf_fill fill;       /* never ZM_FILL_AUTO once resolved */
  double lo, hi;
  uint64_t n, top_k, oov;
  double fill_value;     /* numbers: the fitted fill */
  char *fill_string;     /* categories: the key that stands for null */
  double mean, std, min, max;
  double *bounds;        /* bucketize: n - 1 boundaries */
  size_t nbounds;
  zm_strtab cats;        /* vocabulary (by frequency) or one_hot (sorted) categories */
  size_t nout;           /* output columns (one_hot: categories; else 1) */
} zm_tf_col;

struct zm_transform {
  zm_tf_col *cols;
  size_t ncol;
  char **labels;
  size_t nlabels;
  char **outnames;       /* every output feature column, in order */
  size_t nout;
};

/* The values a kernel reads: rows at[0..n) of column c (a row selection's
 * base rows, frame/rowsel.h), or rows 0..n of c when at is NULL. */
typedef struct zm_tf_in {
  const zm_column *c;
  const uint64_t *at;
  size_t n;
} zm_tf_in;

/* The row of in->c that holds value i. */
static inline size_t zm__tf_row(const zm_tf_in *in, size_t i)
{
  return in->at ? (size_t)in->at[i] : i;
}

/* Column j of frame f as a kernel's input (zm_frame_col_rows). */
int zm__tf_in(zm_tf_in *in, zm_frame *f, size_t j);

/* 1 for methods that read a column's values as categories. */
int zm__tf_categorical(zm_tf_method m);

/* Build t->outnames from the fitted columns. */
int zm__tf_outnames(zm_transform *t);

/* The category key of row i (string bytes, decimal int, true/false; the fill
 * key when null); buf holds at least 32 bytes. */
const char *zm__tf_key(const zm_tf_col *tc, const zm_column *c, size_t i, char *buf, size_t *len);

#endif
