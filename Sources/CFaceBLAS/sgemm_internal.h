/* Parts of the SGEMM that the fused transposed convolution shares. */
#ifndef FACESH_SGEMM_INTERNAL_H
#define FACESH_SGEMM_INTERNAL_H

#include <stddef.h>

#include "facesh_sgemm.h"

enum { MR = FACESH_SGEMM_MR, NR = FACESH_SGEMM_NR, KC = FACESH_SGEMM_KC };

/* How a kernel combines its sums S with the tile of C it writes. */
enum store_mode {
  STORE_OVERWRITE, /* C = alpha·S */
  STORE_ADD,       /* C = C + alpha·S */
  STORE_SCALE,     /* C = beta·C + alpha·S */
};

enum kernel_id { KERNEL_GENERIC = 0, KERNEL_AVX2 = 1 };

/* Multiplies a packed MR×kc A panel by a packed kc×NR B panel and stores the MR×NR result
 * at c (row stride ldc) as `mode` says. */
typedef void (*micro_kernel)(long kc, const float *a, const float *b, float *c, long ldc,
                             float alpha, float beta, int mode);

/* Per-thread buffers: A and B panels of the SGEMM, and the column block of the fused
 * transposed convolution. */
enum { SCRATCH_A, SCRATCH_B, SCRATCH_COLUMNS, SCRATCH_SLOTS };

__attribute__((visibility("hidden"))) int sgemm_best_kernel(void);
__attribute__((visibility("hidden"))) micro_kernel sgemm_kernel(int id);
__attribute__((visibility("hidden"))) float *sgemm_scratch(int slot, size_t count);
/* Writes `column_panels` panels of op(B) from column `column` on, depth [depth, depth + kc),
 * each as kc groups of NR values; columns past n are zero. */
__attribute__((visibility("hidden"))) void sgemm_pack_b_block(int kernel, int transpose_b,
                                                              long n, const float *b, long ldb,
                                                              long column, long column_panels,
                                                              long depth, long kc, float *out);

/* The same for the implicit column matrix `columns` (op(B) = Dᵀ when transpose_b is set);
 * column_panels·NR is at most 512. */
__attribute__((visibility("hidden"))) void sgemm_pack_b_columns(
    int kernel, int transpose_b, long n, const facesh_conv_columns *columns, long column,
    long column_panels, long depth, long kc, float *out);

/* Applies activation `activation` (a FACESH_ACTIVATION_ value) to `count` floats in place;
 * `slope` is the leaky ReLU's. */
__attribute__((visibility("hidden"))) void facesh_apply_activation(int activation, float slope,
                                                                   float *values, long count);

static inline long panels(long count, long width) { return (count + width - 1) / width; }

#endif
