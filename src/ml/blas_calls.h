/* BLAS calls go through the table zm_blas_load filled. Include after
 * "ml/blas_api.h" in a file that calls BLAS; its entry points load first. */
#ifndef ZM_ML_BLAS_CALLS_H
#define ZM_ML_BLAS_CALLS_H

#include "ml/blas_api.h"

#define cblas_dgemm (zm_blas()->cblas_dgemm)
#define cblas_dgemv (zm_blas()->cblas_dgemv)
#define cblas_dsyrk (zm_blas()->cblas_dsyrk)

#endif
