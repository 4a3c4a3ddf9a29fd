#ifndef CFACEBLAS_H
#define CFACEBLAS_H

#include <cblas.h>

// LAPACK's symmetric eigensolver (divide and conquer), as exported by OpenBLAS.
// Fortran calling convention: every argument by pointer, column-major storage.
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork,
             int *info);

#endif
