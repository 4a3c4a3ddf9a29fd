#ifndef FACESH_SGEMM_H
#define FACESH_SGEMM_H

#include <stddef.h>

/// Rows and columns of the micro-kernel's tile of C. Every kernel uses the same tile, so a
/// matrix packed by `facesh_sgemm_pack_a` works with each of them.
#define FACESH_SGEMM_MR 6
#define FACESH_SGEMM_NR 16
/// Depth of one packed block. Sums over k are split at multiples of this value only, so the
/// result does not depend on how the work is divided into tasks.
#define FACESH_SGEMM_KC 256

/// The column matrix of a transposed convolution's output gradient, read in place instead of
/// stored (implicit im2col). Entry (t, u), for kernel tap t = (k·R + ky)·S + kx and input
/// pixel u = (b·H + iy)·W + ix, is gradient[k, b, oy, ox] with oy = iy·stride_y − pad_y + ky
/// and ox = ix·stride_x − pad_x + kx, or 0 where (oy, ox) lies outside the P×Q plane. The
/// gradient is channel-major, (K, B, P, Q), and must have fewer than 2³¹ elements.
typedef struct {
  const float *gradient;
  long channels, batch, height, width, out_height, out_width;
  long kernel_height, kernel_width, stride_y, stride_x, pad_y, pad_x;
} facesh_conv_columns;

/// One single-precision GEMM, C = alpha·op(A)·op(B) + beta·C, with op(A) M×K and op(B) K×N,
/// cut into tasks that may run in any order and on any threads.
///
/// A and B are row-major with leading dimensions `lda` and `ldb`. Element (i, j) of C is at
/// `c[i * c_row_stride + j * c_column_stride]`, so a column-major C is allowed too. When
/// `packed_a` is not NULL it must hold op(A) as written by `facesh_sgemm_pack_a`, and `a`,
/// `lda` and `transpose_a` are ignored. When `columns` is not NULL, B is that column matrix
/// (K·R·S rows, B·H·W columns; op(B) is its transpose when `transpose_b` is set), and `b` and
/// `ldb` are ignored. With beta = 0, C is not read, so it may hold NaN.
typedef struct {
  int transpose_a;
  int transpose_b;
  long m, n, k;
  float alpha, beta;
  const float *a;
  long lda;
  const float *packed_a;
  const float *b;
  long ldb;
  const facesh_conv_columns *columns;
  float *c;
  long c_row_stride;
  long c_column_stride;
  /* Filled in by facesh_sgemm_prepare. */
  long block_rows;
  long block_columns;
  long tasks_m;
  long tasks_n;
  int kernel;
} facesh_sgemm_plan;

/// Chooses the kernel and the division into tasks, and returns the number of tasks. Each
/// task writes its own block of C. Every element of C is computed by the same sequence of
/// operations whatever the number of tasks, so results are bit-identical from run to run
/// and across thread counts on one machine.
long facesh_sgemm_prepare(facesh_sgemm_plan *plan);

/// Computes task `task` (0 ≤ task < the count `facesh_sgemm_prepare` returned).
void facesh_sgemm_run_task(const facesh_sgemm_plan *plan, long task);

/// Number of floats `facesh_sgemm_pack_a` writes for an M×K op(A).
size_t facesh_sgemm_packed_a_count(long m, long k);

/// Writes op(A) (M×K) in the kernels' panel order into `packed`, which must hold
/// `facesh_sgemm_packed_a_count(m, k)` floats.
void facesh_sgemm_pack_a(int transpose_a, long m, long k, const float *a, long lda,
                         float *packed);

/// Name of the kernel `facesh_sgemm_prepare` selects: "avx2-fma" or "generic".
const char *facesh_sgemm_kernel_name(void);

/// Makes `facesh_sgemm_prepare` select the portable C kernel even where AVX2 and FMA are
/// available (nonzero), or the fastest one again (zero). For tests.
void facesh_sgemm_force_generic(int force);

/// Activation applied to a transposed convolution's output (`activation` field).
enum {
  FACESH_ACTIVATION_NONE = 0,
  FACESH_ACTIVATION_RELU = 1,
  FACESH_ACTIVATION_LEAKY_RELU = 2,
  FACESH_ACTIVATION_SIGMOID = 3,
  FACESH_ACTIVATION_TANH = 4,
};

/// A 2-D transposed convolution computed as GEMM and scatter (col2im) in blocks small enough
/// to stay in cache, with the bias and an optional activation. The column matrix
/// Wᵀ·x of the whole layer is never stored.
///
/// Shapes, channel-major: input (C, B, H, W), output (K, B, P, Q), weight (C, K, R, S)
/// packed as Wᵀ (K·R·S rows, C columns) by `facesh_sgemm_pack_a(1, K·R·S, C, weight,
/// K·R·S, packed)`. Output pixel (oy, ox) receives input pixel (iy, ix) through kernel tap
/// (ky, kx) when oy = iy·stride_y − pad_y + ky and ox = ix·stride_x − pad_x + kx.
typedef struct {
  const float *packed_weight;
  const float *input;
  const float *bias;
  float *output;
  long input_channels, output_channels, batch;
  long height, width, out_height, out_width;
  long kernel_height, kernel_width, stride_y, stride_x, pad_y, pad_x;
  int activation;
  float slope;
  /* Filled in by facesh_conv_transpose_prepare: each task computes `group_channels` output
   * channels of `block_samples` samples, restricted to `band_rows` output rows when the
   * plane is split into bands (then block_samples is 1). */
  long group_channels, groups;
  long block_samples, sample_blocks;
  long band_rows, bands;
  long chunk_rows;
  int kernel;
} facesh_conv_transpose_plan;

/// Chooses the division into tasks and returns their number. Tasks write disjoint parts of
/// the output. The division depends only on the shapes, so results are bit-identical from
/// run to run and across thread counts.
long facesh_conv_transpose_prepare(facesh_conv_transpose_plan *plan);

/// Computes task `task` (0 ≤ task < the count `facesh_conv_transpose_prepare` returned).
void facesh_conv_transpose_run_task(const facesh_conv_transpose_plan *plan, long task);

#endif
