/* OpenBLAS, loaded on first use with dlopen. Linked, it starts a thread pool
 * in every zenml process that spins on the other core for a while (~0.1 s
 * of CPU per start) and costs ~3 ms of start-up; only training and
 * predicting with the dense models need it. It is always used
 * single-threaded (OPENBLAS_NUM_THREADS=1 before loading), which also keeps
 * sums in a fixed order for bit-identical models. */
#ifndef ZM_ML_BLAS_API_H
#define ZM_ML_BLAS_API_H

#include <cblas.h>

#define ZM_BLAS_FUNCS(X) X(cblas_dgemm) X(cblas_dgemv) X(cblas_dsyrk)

typedef struct zm_blas_api {
#define ZM_BLAS_FIELD(name) __typeof__(&name) name;
  ZM_BLAS_FUNCS(ZM_BLAS_FIELD)
#undef ZM_BLAS_FIELD
} zm_blas_api;

/* Load OpenBLAS once; 0, or an error saying it is not available. */
int zm_blas_load(void);

/* The loaded API (zm_blas_load must have succeeded). */
const zm_blas_api *zm_blas(void);

#endif
