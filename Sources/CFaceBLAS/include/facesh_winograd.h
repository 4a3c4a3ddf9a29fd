#ifndef FACESH_WINOGRAD_H
#define FACESH_WINOGRAD_H

#include <stddef.h>

/// A 2-D transposed convolution with a 4×4 kernel and stride 2 in both directions, computed
/// with Winograd's minimal filtering algorithm F(2×2, 2×2).
///
/// Each output pixel (oy, ox) falls into one of four classes by the parities of oy and ox.
/// Within a class the layer is an ordinary 2×2 correlation of the input, because two input
/// rows and two input columns reach each output pixel. F(2×2, 2×2) computes a 2×2 tile of such a
/// correlation from a 3×3 input tile with 9 multiplications per input channel instead of
/// 16, so the layer does 9/16 of the multiplications of the plain GEMM and scatter. The
/// transforms only add and subtract, so the result differs from the plain method by
/// rounding alone.
///
/// Shapes, channel-major: input (C, B, H, W), output (K, B, P, Q), weight (C, K, 4, 4),
/// with output pixel (oy, ox) receiving input pixel (iy, ix) through kernel tap (ky, kx)
/// when oy = 2·iy − pad_y + ky and ox = 2·ix − pad_x + kx. `packed_weight` holds the
/// weight as `facesh_winograd_transform_weight` writes it.
typedef struct {
  const float *packed_weight;
  const float *input;
  const float *bias;
  float *output;
  long input_channels, output_channels, batch;
  long height, width, out_height, out_width;
  long pad_y, pad_x;
  int activation;
  float slope;
  /* Threads that will run the tasks; the division into tasks follows it. */
  long threads;
  /* Filled in by facesh_winograd_prepare. */
  long tiles_y, tiles_x;
  long block_tiles, blocks, halves;
  long group_rows, groups;
  int kernel;
} facesh_winograd_plan;

/// Number of floats `facesh_winograd_transform_weight` writes for C input and K output
/// channels: 36 packed K×C matrices, 2.25 times the weight itself.
size_t facesh_winograd_weight_count(long input_channels, long output_channels);

/// Transforms a (C, K, 4, 4) weight into the 36 matrices the algorithm multiplies by (one
/// per output class and tile element), each packed for the SGEMM kernels. `work` must hold
/// 9·K·C floats.
void facesh_winograd_transform_weight(const float *weight, long input_channels,
                                      long output_channels, float *work, float *packed);

/// Chooses the division into tasks and returns their number. Tasks write disjoint parts of
/// the output, every output value exactly once. Each value is computed by the same
/// operations however the work is divided, so results are bit-identical from run to run
/// and across thread counts.
long facesh_winograd_prepare(facesh_winograd_plan *plan);

/// Computes task `task` (0 ≤ task < the count `facesh_winograd_prepare` returned).
void facesh_winograd_run_task(const facesh_winograd_plan *plan, long task);

/// The input gradient of the same layer, dX[c, b, iy, ix] = Σ W[c, k, ky, kx]·dY[k, b, oy, ox]
/// over the taps that connect them, by F(2×2, 2×2): each class of output pixels is a 2×2
/// correlation reaching a 2×2 tile of dX from a 3×3 tile of the class, and one GEMM per tile
/// element sums over the four classes and the K output channels together.
///
/// Shapes, channel-major: gradient dY (K, B, P, Q), input gradient dX (C, B, H, W), every
/// value of which is written. `packed_weight` is the weight as
/// `facesh_winograd_transform_weight_backward` writes it.
typedef struct {
  const float *packed_weight;
  const float *gradient;
  float *input_gradient;
  long input_channels, output_channels, batch;
  long height, width, out_height, out_width;
  long pad_y, pad_x;
  /* Threads that will run the tasks; the division into tasks follows it. */
  long threads;
  /* Filled in by facesh_winograd_backward_prepare. */
  long tiles_y, tiles_x;
  long block_tiles, blocks;
  long group_rows, groups;
  int kernel;
} facesh_winograd_backward_plan;

/// Number of floats `facesh_winograd_transform_weight_backward` writes: 9 packed C×4K
/// matrices.
size_t facesh_winograd_backward_weight_count(long input_channels, long output_channels);

/// Transforms a (C, K, 4, 4) weight for `facesh_winograd_backward_run_task`. `work` must hold
/// 36·C·K floats.
void facesh_winograd_transform_weight_backward(const float *weight, long input_channels,
                                               long output_channels, float *work,
                                               float *packed);

/// Chooses the division into tasks and returns their number. Tasks write disjoint parts of
/// dX; each value is computed by the same operations however the work is divided.
long facesh_winograd_backward_prepare(facesh_winograd_backward_plan *plan);

/// Computes task `task` (0 ≤ task < the count `facesh_winograd_backward_prepare` returned).
void facesh_winograd_backward_run_task(const facesh_winograd_backward_plan *plan, long task);

#endif
