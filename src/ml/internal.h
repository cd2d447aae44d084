/* Private to src/ml: the model record every kind shares, the little-endian
 * byte writer and reader of the serialization format, and the optimizers. */
#ifndef ZM_ML_INTERNAL_H
#define ZM_ML_INTERNAL_H

#include "core/buf.h"
#include "ml/model.h"

#include <stddef.h>
#include <stdint.h>

#define ZM_MODEL_MAGIC "ZMML"
#define ZM_MODEL_FORMAT 1u

typedef struct zm_reader {
  const unsigned char *p;
  size_t len;
  size_t pos;
} zm_reader;

typedef struct zm_model_ops {
  int (*predict)(double *out, const zm_model *m, const double *X, size_t n);
  int (*save)(zm_buf *out, const zm_model *m);   /* the kind's payload only */
  int (*load)(zm_model *m, zm_reader *r);        /* fills m->impl */
  void (*release)(void *impl);
} zm_model_ops;

struct zm_model {
  zm_model_kind kind;
  zm_task task;
  size_t d; /* features */
  size_t k; /* classes, 0 for regression */
  const zm_model_ops *ops;
  void *impl;
};

extern const zm_model_ops zm_logreg_ops, zm_linreg_ops, zm_ffn_ops, zm_xgb_ops;

/* ZM_EINVALID naming the first feature of the n x d rows X that is NaN or
 * infinite; rows are numbered from first_row + 1 in the message. */
int zm__check_finite(const double *X, size_t n, size_t d, size_t first_row);

/* The training data every dense trainer needs: a non-empty n x d matrix of
 * finite features and a valid target (zm_target_check); ZM_EINVALID. */
int zm__check_data(const double *X, size_t n, size_t d, const zm_target *y);

/* A new model record of the given kind (impl NULL); ZM_ENOMEM. */
int zm__model_new(zm_model **out, zm_model_kind kind, zm_task task, size_t d, size_t k);

int zm__put_u32(zm_buf *b, uint32_t v);
int zm__put_u64(zm_buf *b, uint64_t v);
int zm__put_f64s(zm_buf *b, const double *v, size_t n);

int zm__get_u32(uint32_t *out, zm_reader *r);
int zm__get_u64(uint64_t *out, zm_reader *r);
int zm__get_size(size_t *out, zm_reader *r, size_t max);
int zm__get_f64s(double *out, zm_reader *r, size_t n);

/* Mini-batch optimizer state over one flat parameter vector. */
typedef struct zm_optim {
  zm_optimizer kind;
  double lr, beta1, beta2, eps;
  double b1t, b2t; /* beta^t for Adam's bias correction */
  size_t n;
  double *m, *v;
} zm_optim;

int zm__optim_init(zm_optim *o, zm_optimizer kind, double lr, size_t n);
/* One step: params -= update(grad). */
void zm__optim_step(zm_optim *o, double *params, const double *grad);
void zm__optim_free(zm_optim *o);

/* Numerically safe logistic function and log(1 + exp(x)). */
double zm__sigmoid(double x);
double zm__softplus(double x);

/* Row-wise softmax of z[n * k] in place. */
void zm__softmax_rows(double *z, size_t n, size_t k);

/* Pin OpenBLAS to one thread so sums are always taken in the same order. */
int zm__blas_single_thread(void);

/* Allocate n doubles set to zero (at least one), setting the error on failure. */
double *zm__zalloc(size_t n);

#endif

/* The order in which an epoch visits the training rows. Small matrices get
 * a fresh uniformly random permutation each epoch. Large ones are dealt
 * once into cache-sized buckets (each row to a
 * random bucket); each epoch then visits the buckets in a random order and
 * each bucket's rows in a random order, reading a bucket into cache first.
 * Jumping between random rows of a big matrix cost a TLB and cache miss per
 * row and made training several times slower; bucket-mates stay a random
 * sample, so the mini-batches are still unbiased. Rows from a source (no
 * whole X) are dealt straight from it, so only the dealt copy exists.
 * The copy holds the values as float32, as XGBoost and LightGBM hold
 * theirs: half the memory to fault in, deal and read five times over (W2:
 * 93 MB instead of 186 MB); the kernels widen a row to float64 as they
 * take it, and weights and sums stay float64. */
typedef struct zm_epoch {
  size_t n, d;
  size_t buckets;
  float *copy;        /* rows by bucket, or in order when there is one bucket */
  zm_target y_src;    /* the caller's target */
  zm_target y;        /* the target, regrouped along with copy */
  int *labels;        /* its storage */
  double *values;
  size_t *order;      /* the visit order, as rows of zm__epoch_base */
  size_t *start;      /* buckets + 1 offsets into copy */
  uint32_t *bucket_of;
  size_t *visit;      /* this epoch's order of the buckets */
  size_t *vstart;     /* buckets + 1 offsets into order, by visit */
  size_t warmed;      /* buckets already read into cache this epoch */
} zm_epoch;

struct zm_rng;
/* Set up the epochs over `rows`, dealing them into buckets now (drawing
 * from rng, row by row); rows from a source are checked finite on the way.
 * The rows are copied on `threads` threads (one for a source that fills
 * only in order): the layout is the same for any number. */
int zm__epoch_init(zm_epoch *e, const zm_rows *rows, const zm_target *y, struct zm_rng *rng,
                   size_t threads);
/* Draw the next epoch's order. */
void zm__epoch_next(zm_epoch *e, struct zm_rng *rng);
/* Read ahead, in sequence, the buckets holding order[0..upto), so the
 * random visits inside them hit the cache. */
void zm__epoch_warm(zm_epoch *e, size_t upto);
/* The rows the order indexes (float32, d a row). */
const float *zm__epoch_base(const zm_epoch *e);
/* The target indexed like zm__epoch_base. */
const zm_target *zm__epoch_target(const zm_epoch *e);
void zm__epoch_free(zm_epoch *e);

/* As zm__epoch_init, always in buckets (at least min_buckets, at most one
 * a row), dealt on `threads` threads: chunks of rows draw their buckets
 * from generators seeded from rng in chunk order, so the layout is the same
 * for every thread count (but not zm__epoch_init's). */
int zm__epoch_init_chunked(zm_epoch *e, const zm_rows *rows, const zm_target *y,
                           struct zm_rng *rng, size_t min_buckets, size_t threads);
/* The epochs over buckets [b0, b1) of whole (dealt by zm__epoch_init_chunked):
 * its own visit order over whole's rows; free with zm__epoch_view_free
 * while whole lives. */
int zm__epoch_view(zm_epoch *v, const zm_epoch *whole, size_t b0, size_t b1);
void zm__epoch_view_free(zm_epoch *v);

