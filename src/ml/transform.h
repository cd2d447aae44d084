/* Preprocessing transforms: per-column statistics fitted on a training frame
 * (means, ranges, quantiles, vocabularies), applied to any frame of the same
 * schema to give a float64 frame a model can take, and serialized to
 * deterministic bytes so inference reuses exactly what training fitted.
 * docs/models.md ("Transforms") gives every method's formula. */
#ifndef ZM_ML_TRANSFORM_H
#define ZM_ML_TRANSFORM_H

#include "core/buf.h"
#include "frame/frame.h"

#include <stddef.h>
#include <stdint.h>

typedef enum zm_tf_method {
  ZM_TF_AUTO = 0,      /* by type: numbers z_score, strings vocabulary, bool none */
  ZM_TF_NONE = 1,      /* the value as a number (bool 0/1) */
  ZM_TF_ZSCORE = 2,    /* (x - mean) / std (population std; 1 when 0) */
  ZM_TF_MINMAX = 3,    /* (x - min) / (max - min) * (hi - lo) + lo */
  ZM_TF_TO01 = 4,      /* min_max to [0, 1] */
  ZM_TF_LOG = 5,       /* log1p(x); x must be > -1 */
  ZM_TF_BUCKETIZE = 6, /* quantile bucket 0..n-1 */
  ZM_TF_VOCAB = 7,     /* index in the vocabulary, most frequent first */
  ZM_TF_ONEHOT = 8,    /* one 0/1 column per category seen in fit */
  ZM_TF_HASH = 9,      /* FNV-1a 64 of the value's text, mod n */
} zm_tf_method;

typedef enum zm_tf_fill {
  ZM_FILL_AUTO = 0,     /* numbers mean, bool constant 0, strings constant "" */
  ZM_FILL_MEAN = 1,
  ZM_FILL_MEDIAN = 2,
  ZM_FILL_MIN = 3,
  ZM_FILL_MAX = 4,
  ZM_FILL_CONSTANT = 5, /* fill_value (numbers, bool) or fill_string (categories) */
  ZM_FILL_NONE = 6,     /* leave nulls: they come out as NaN */
} zm_tf_fill;

/* How to transform one column. Zero-initialized means "defaults by type". */
typedef struct zm_tf_spec {
  const char *column;
  zm_tf_method method;
  double lo, hi;       /* min_max output range; lo == hi == 0 means [0, 1] */
  size_t n;            /* bucketize: buckets (default 10); hash: buckets (default 100) */
  size_t top_k;        /* vocabulary: keep the top_k most frequent (0 = all) */
  size_t oov_buckets;  /* vocabulary: unseen values hash into this many extra indexes;
                          0 maps them to -1 */
  zm_tf_fill fill;
  double fill_value;
  const char *fill_string; /* NULL means "" */
} zm_tf_spec;

typedef struct zm_transform zm_transform;

/* Parse a method name ("z_score", "min_max", "to_0_1", "log", "bucketize",
 * "vocabulary", "one_hot", "hash_strings", "no_transform", "auto"). */
int zm_tf_method_parse(zm_tf_method *out, const char *name);

/* The name of a method, as zm_tf_method_parse takes it. */
const char *zm_tf_method_name(zm_tf_method m);

/* Parse a fill name ("mean", "median", "min", "max", "constant", "none", "auto"). */
int zm_tf_fill_parse(zm_tf_fill *out, const char *name);

/* Fit specs[n] on frame f; labels[n_labels] are passed through by apply.
 * Errors name a missing column (and list the frame's columns) or a method
 * that does not fit the column's type. */
int zm_transform_fit(zm_transform **out, const zm_tf_spec *specs, size_t n,
                     const char *const *labels, size_t n_labels, const zm_frame *f);

/* A new float64 frame: the transformed features in spec order (one_hot
 * expands to `col=value` columns), then the label columns as they are (each
 * only when f has it). Fails naming every column whose presence or type
 * differs from the fitted frame. */
int zm_transform_apply(zm_frame **out, const zm_transform *t, const zm_frame *f);

/* Number of output feature columns and their names (pointers into t). */
size_t zm_transform_outputs(const zm_transform *t, const char *const **names);

/* Number of label columns and their names (pointers into t). */
size_t zm_transform_labels(const zm_transform *t, const char *const **names);

/* Append the fitted transform's deterministic bytes (docs/models.md) to out. */
int zm_transform_save(zm_buf *out, const zm_transform *t);

/* Load a transform from bytes written by zm_transform_save. */
int zm_transform_load(zm_transform **out, const void *data, size_t len);

/* Release a transform; NULL is fine. */
void zm_transform_free(zm_transform *t);

#endif
