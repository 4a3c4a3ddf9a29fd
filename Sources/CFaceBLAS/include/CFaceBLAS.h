#ifndef CFACEBLAS_H
#define CFACEBLAS_H

#include <cblas.h>

// LAPACK's symmetric eigensolver (divide and conquer), as exported by OpenBLAS.
// Fortran calling convention: every argument by pointer, column-major storage.
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork,
             int *info);

/// Raises glibc's thresholds for returning large blocks to the kernel, so buffers of tens of
/// megabytes that are freed and allocated again every training step stay in the heap.
void facesh_keep_large_allocations(void);

#endif
