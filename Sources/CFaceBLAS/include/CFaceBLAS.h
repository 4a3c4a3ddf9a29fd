#ifndef CFACEBLAS_H
#define CFACEBLAS_H

#include <cblas.h>

#include "facesh_sgemm.h"
#include "facesh_winograd.h"

// LAPACK's symmetric eigensolver (divide and conquer), as exported by OpenBLAS.
// Fortran calling convention: every argument by pointer, column-major storage.
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
             double *w, double *work, const int *lwork, int *iwork, const int *liwork,
             int *info);

/// Raises glibc's thresholds for returning large blocks to the kernel, so buffers of tens of
/// megabytes that are freed and allocated again every training step stay in the heap.
void facesh_keep_large_allocations(void);

/// Element-wise activations in place over `count` floats; NaN stays NaN. Written in C so
/// the compiler vectorizes them. The exponential is a degree-7 polynomial after range
/// reduction (Cephes' expf coefficients) with inputs clamped to [-87.3, 88.3].
void facesh_relu(float *values, long count);
void facesh_leaky_relu(float *values, long count, float slope);
void facesh_sigmoid(float *values, long count);
void facesh_tanh(float *values, long count);

/// Multiplies `count` output gradients in place by the activation's derivative, computed from
/// the activation's output (ReLU, sigmoid, tanh) or input (leaky ReLU). Written in C so the
/// compiler vectorizes them.
void facesh_relu_backward(float *gradient, const float *output, long count);
void facesh_leaky_relu_backward(float *gradient, const float *input, long count, float slope);
void facesh_sigmoid_backward(float *gradient, const float *output, long count);
void facesh_tanh_backward(float *gradient, const float *output, long count);

/// Returns the sum of `count` floats, added in an order that depends only on `count`, so
/// the result is the same on every run.
float facesh_sum(const float *values, long count);

/// One Adam step over `count` elements: m = β₁·m + (1 − β₁)·g, v = β₂·v + (1 − β₂)·g·g,
/// value −= rate·m / (√(v / correction2) + ε), each operation rounded on its own. Elements
/// are independent, so a tensor may be updated in any division into ranges.
void facesh_adam_update(float *values, float *first_moment, float *second_moment,
                        const float *gradient, long count, float beta1, float beta2,
                        float epsilon, float rate, float correction2);

#endif
