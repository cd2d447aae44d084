/* From frames to the dense matrices and targets the models take, and back:
 * a row-major double matrix from chosen numeric columns, class labels of any
 * type mapped to ids 0..k-1 in sorted order of their values (the names kept
 * so predictions map back), regression targets as doubles, and a "bundle"
 * that carries a model with its feature and class names so it can predict
 * on a frame alone. */
#ifndef ZM_ML_BRIDGE_H
#define ZM_ML_BRIDGE_H

#include "core/buf.h"
#include "frame/frame.h"
#include "ml/model.h"

#include <stddef.h>

/* The classes of a label: their text (decimal for numbers, true/false for
 * bools) in sorted order of their values, and the label's type. */
typedef struct zm_classes {
  char **names;
  size_t k;
  zm_type type;
} zm_classes;

/* A model with the names that make it usable on a frame. */
typedef struct zm_bundle {
  zm_model *model;
  char **features;    /* d input column names, in matrix order */
  size_t d;
  char *label;        /* the label column's name */
  zm_classes classes; /* k == 0 for regression */
} zm_bundle;

/* The n x d row-major matrix of columns cols[d] (float64, int64 or bool) of
 * f into a new array (caller frees). Nulls become NaN when allow_missing,
 * else fail naming the column and row. */
int zm_frame_matrix(double **out, const zm_frame *f, const char *const *cols, size_t d,
                    int allow_missing);

/* A row source (zm_rows) over columns cols[d] of f, filled as
 * zm_frame_matrix would; f must outlive it. Free with zm_frame_rows_free. */
int zm_frame_rows(zm_rows *out, const zm_frame *f, const char *const *cols, size_t d,
                  int allow_missing);

/* Release what zm_frame_rows allocated (not the frame). Accepts NULL. */
void zm_frame_rows_free(zm_rows *r);

/* The distinct non-null values of cols[n] (all numeric, or all of one type)
 * as sorted classes; free with zm_classes_free. */
int zm_classes_fit(zm_classes *out, const zm_column *const *cols, size_t n);

/* Class id of each row of c into out[c->len]; a null, NaN or unknown value
 * fails naming the column and the first such row. */
int zm_classes_ids(int *out, const zm_classes *cl, const zm_column *c);

/* Release the names (the struct is the caller's); NULL is fine. */
void zm_classes_free(zm_classes *cl);

/* A regression target: column `col` of f (numeric or bool) as a new array of
 * doubles; a null or NaN fails naming the column and the first row. */
int zm_frame_values(double **out, const zm_frame *f, const char *col);

/* Predict on frame f (which must have the bundle's feature columns): a new
 * frame with a `prediction` column (the class in the label's type, or a
 * float64 value) and, for classifiers, one `p_<class>` column per class. */
int zm_bundle_predict(zm_frame **out, const zm_bundle *b, const zm_frame *f);

/* Append the bundle's bytes (docs/models.md, "Model bundle") to out. */
int zm_bundle_save(zm_buf *out, const zm_bundle *b);

/* Load a bundle written by zm_bundle_save. */
int zm_bundle_load(zm_bundle **out, const void *data, size_t len);

/* Release a bundle and its model; NULL is fine. */
void zm_bundle_free(zm_bundle *b);

#endif
