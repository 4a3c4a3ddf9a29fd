/* Forward pass of a transposed convolution: the GEMM Wᵀ·x in blocks of a few output channels
 * by a few input rows, each scattered into the output (col2im) while it is still in cache.
 * Computing the whole column matrix first, as a plain GEMM does, writes and reads back
 * K·R·S·B·H·W floats (12.8 MB for one 2048×1564 layer at batch 1), which costs about as
 * much as the multiplication. */
#include "CFaceBLAS.h"
#include "sgemm_internal.h"

#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FACESH_HAVE_X86 1
#endif

/* Rows of Wᵀ (output channels × taps) per task, and input pixels per column block. The
 * block of columns, GROUP_ROWS × CHUNK_COLUMNS floats, is 96 KiB, and the packed input
 * block, KC × CHUNK_COLUMNS, is 256 KiB, so both stay in L2. */
enum { GROUP_ROWS = 96, CHUNK_COLUMNS = 256 };

/* Widest kernel the combined stride-2 scatter takes; wider ones add one tap at a time. */
enum { MAX_KERNEL_WIDTH = 16 };

/* Enough tasks that two to eight threads get even shares. */
enum { TARGET_TASKS = 8 };

static long greatest_common_divisor(long a, long b) {
  while (b != 0) {
    long rest = a % b;
    a = b;
    b = rest;
  }
  return a;
}

static long min_long(long a, long b) { return a < b ? a : b; }
static long max_long(long a, long b) { return a > b ? a : b; }

long facesh_conv_transpose_prepare(facesh_conv_transpose_plan *plan) {
  plan->kernel = sgemm_best_kernel();
  long taps = plan->kernel_height * plan->kernel_width;
  long plane = plan->height * plan->width;
  if (plan->output_channels <= 0 || plan->batch <= 0 || plan->out_height <= 0 ||
      plan->out_width <= 0 || plane <= 0 || taps <= 0) {
    plan->groups = plan->sample_blocks = plan->bands = 0;
    return 0;
  }

  /* Channel groups start at row multiples of MR, so that they begin at a panel of the
   * packed weight. */
  long step = MR / greatest_common_divisor(taps, MR);
  long group = (GROUP_ROWS / taps) / step * step;
  group = min_long(max_long(group, step), plan->output_channels);
  plan->group_channels = group;
  plan->groups = panels(plan->output_channels, group);

  /* Small planes: several samples per task, so that each GEMM has a few hundred columns. */
  long samples = min_long(plan->batch, max_long(1, CHUNK_COLUMNS / plane));
  while (samples > 1 && plan->groups * panels(plan->batch, samples) < TARGET_TASKS) {
    samples = (samples + 1) / 2;
  }
  plan->block_samples = samples;
  plan->sample_blocks = panels(plan->batch, samples);

  /* Too few tasks for the threads: split each output plane into bands of rows. A band
   * needs the input rows of its neighbours' edges too, so bands stay at least 8 strides
   * high to keep that repeated work small. */
  long tasks = plan->groups * plan->sample_blocks;
  plan->bands = 1;
  plan->band_rows = plan->out_height;
  if (samples == 1 && tasks < TARGET_TASKS) {
    long needed = panels(TARGET_TASKS, tasks);
    long max_bands = max_long(1, plan->out_height / (8 * plan->stride_y));
    long bands = min_long(needed, max_bands);
    plan->band_rows = panels(plan->out_height, bands);
    plan->bands = panels(plan->out_height, plan->band_rows);
  }
  plan->chunk_rows = max_long(1, CHUNK_COLUMNS / plan->width);
  return plan->groups * plan->sample_blocks * plan->bands;
}

/* Columns of input row `iy`'s kernel tap `kx` that land inside the output row. */
static void valid_columns(const facesh_conv_transpose_plan *plan, long kx, long *start,
                          long *end) {
  long low = plan->pad_x - kx;
  *start = low <= 0 ? 0 : (low + plan->stride_x - 1) / plan->stride_x;
  long high = plan->out_width - 1 + plan->pad_x - kx;
  *end = high < 0 ? 0 : min_long(plan->width, high / plan->stride_x + 1);
}

#ifdef FACESH_HAVE_X86
/* Blocks of 8 values of m that `stride2_layout` prepares masks for; rows with more (output
 * rows wider than 256) take the per-tap scatter. */
enum { MAX_STRIDE2_BLOCKS = 16 };

/* Where each kernel tap of an input row lands in an output row for horizontal stride 2, and
 * the lane masks of every block of 8 output pairs. It depends only on the layer's shapes,
 * so `scatter` builds it once for all the rows it adds. Output column 2m + q receives the
 * taps with kx ≡ q + pad_x (mod 2), from input column m + (pad_x + q − kx) / 2. */
typedef struct {
  long offsets[2][MAX_KERNEL_WIDTH / 2]; /* kx · tap_stride, per parity */
  long shifts[2][MAX_KERNEL_WIDTH / 2];  /* (pad_x + q − kx) / 2 */
  int counts[2];
  long blocks;
  /* Per block: whether every tap's 8 input columns exist, which lanes of each tap exist
   * otherwise, and which of the block's 16 output columns exist. */
  int inside[MAX_STRIDE2_BLOCKS];
  __m256i tap_masks[MAX_STRIDE2_BLOCKS][2][MAX_KERNEL_WIDTH / 2];
  __m256i output_masks[MAX_STRIDE2_BLOCKS][2];
} stride2_layout;

/* Fills `layout`; returns 0 when the output row is too wide for it. */
__attribute__((target("avx2,fma"))) static int stride2_layout_init(
    const facesh_conv_transpose_plan *plan, long tap_stride, stride2_layout *layout) {
  long width = plan->width, out_width = plan->out_width, pad = plan->pad_x;
  long half = (out_width + 1) / 2;
  layout->blocks = panels(half, 8);
  if (layout->blocks > MAX_STRIDE2_BLOCKS) return 0;
  layout->counts[0] = layout->counts[1] = 0;
  for (long kx = 0; kx < plan->kernel_width; kx++) {
    int parity = (int)((kx + pad) & 1);
    int index = layout->counts[parity]++;
    layout->offsets[parity][index] = kx * tap_stride;
    layout->shifts[parity][index] = (pad + parity - kx) / 2;
  }
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (long block = 0; block < layout->blocks; block++) {
    long m = block * 8;
    int inside = 2 * m + 16 <= out_width;
    for (int parity = 0; parity < 2; parity++) {
      for (int t = 0; t < layout->counts[parity]; t++) {
        long first = m + layout->shifts[parity][t];
        if (first < 0 || first + 8 > width) inside = 0;
        /* Lanes whose input column first + lane lies in [0, width). */
        __m256i column = _mm256_add_epi32(_mm256_set1_epi32((int)first), lanes);
        layout->tap_masks[block][parity][t] = _mm256_and_si256(
            _mm256_cmpgt_epi32(column, _mm256_set1_epi32(-1)),
            _mm256_cmpgt_epi32(_mm256_set1_epi32((int)width), column));
      }
    }
    layout->inside[block] = inside;
    __m256i limit = _mm256_set1_epi32((int)(out_width - 2 * m));
    layout->output_masks[block][0] = _mm256_cmpgt_epi32(limit, lanes);
    layout->output_masks[block][1] =
        _mm256_cmpgt_epi32(limit, _mm256_add_epi32(lanes, _mm256_set1_epi32(8)));
  }
  return 1;
}

/* Adds one input row's kernel taps (rows of the column block from `taps` on) into an output
 * row. Eight values of m are summed per parity in vector registers and interleaved, so each
 * output value is read and written once. Near the row's ends, masked loads skip input
 * columns that do not exist and masked stores skip output columns past the row. */
__attribute__((target("avx2,fma"))) static void add_row_stride2_avx2(
    const stride2_layout *layout, const float *taps, float *out) {
  for (long block = 0; block < layout->blocks; block++) {
    long m = block * 8;
    __m256 sums[2];
    for (int parity = 0; parity < 2; parity++) {
      __m256 sum = _mm256_setzero_ps();
      for (int t = 0; t < layout->counts[parity]; t++) {
        /* The address of lane 0 may lie before the row; masked-off lanes are not read. */
        const float *source = (const float *)((uintptr_t)(taps + layout->offsets[parity][t]) +
                                              (uintptr_t)((m + layout->shifts[parity][t]) *
                                                          (long)sizeof(float)));
        __m256 values = layout->inside[block]
                            ? _mm256_loadu_ps(source)
                            : _mm256_maskload_ps(source, layout->tap_masks[block][parity][t]);
        sum = _mm256_add_ps(sum, values);
      }
      sums[parity] = sum;
    }
    __m256 low = _mm256_unpacklo_ps(sums[0], sums[1]);
    __m256 high = _mm256_unpackhi_ps(sums[0], sums[1]);
    __m256 first_half = _mm256_permute2f128_ps(low, high, 0x20);
    __m256 second_half = _mm256_permute2f128_ps(low, high, 0x31);
    float *target = out + 2 * m;
    if (layout->inside[block]) {
      _mm256_storeu_ps(target, _mm256_add_ps(_mm256_loadu_ps(target), first_half));
      _mm256_storeu_ps(target + 8, _mm256_add_ps(_mm256_loadu_ps(target + 8), second_half));
      continue;
    }
    __m256i first_mask = layout->output_masks[block][0];
    __m256i second_mask = layout->output_masks[block][1];
    _mm256_maskstore_ps(target, first_mask,
                        _mm256_add_ps(_mm256_maskload_ps(target, first_mask), first_half));
    _mm256_maskstore_ps(target + 8, second_mask,
                        _mm256_add_ps(_mm256_maskload_ps(target + 8, second_mask), second_half));
  }
}
#endif

/* Adds the column block of input rows [row_start, row_end) (global rows b·H + iy) for
 * channels [k_start, k_end) into the output rows [oy_start, oy_end). */
static void scatter(const facesh_conv_transpose_plan *plan, const float *columns,
                    long column_stride, long k_start, long k_end, long row_start,
                    long row_end, long oy_start, long oy_end) {
  long out_plane = plan->out_height * plan->out_width;
  long kernel_width = plan->kernel_width;
  long taps = plan->kernel_height * kernel_width;
  long starts[kernel_width], ends[kernel_width];
  for (long kx = 0; kx < kernel_width; kx++) valid_columns(plan, kx, &starts[kx], &ends[kx]);
  int combined = 0;
#ifdef FACESH_HAVE_X86
  stride2_layout layout;
  combined = plan->kernel == KERNEL_AVX2 && plan->stride_x == 2 && kernel_width % 2 == 0 &&
             kernel_width <= MAX_KERNEL_WIDTH &&
             stride2_layout_init(plan, column_stride, &layout);
#endif

  for (long row = row_start; row < row_end; row++) {
    long b = row / plan->height;
    long iy = row - b * plan->height;
    const float *row_columns = columns + (row - row_start) * plan->width;
    for (long k = k_start; k < k_end; k++) {
      float *target = plan->output + (k * plan->batch + b) * out_plane;
      const float *channel_taps = row_columns + (k - k_start) * taps * column_stride;
      for (long ky = 0; ky < plan->kernel_height; ky++) {
        long oy = iy * plan->stride_y - plan->pad_y + ky;
        if (oy < oy_start || oy >= oy_end) continue;
        float *target_row = target + oy * plan->out_width;
        const float *row_taps = channel_taps + ky * kernel_width * column_stride;
#ifdef FACESH_HAVE_X86
        if (combined) {
          add_row_stride2_avx2(&layout, row_taps, target_row);
          continue;
        }
#endif
        for (long kx = 0; kx < kernel_width; kx++) {
          const float *source = row_taps + kx * column_stride;
          float *destination = target_row - plan->pad_x + kx;
          if (plan->stride_x == 1) {
            for (long ix = starts[kx]; ix < ends[kx]; ix++) destination[ix] += source[ix];
          } else if (plan->stride_x == 2) {
            for (long ix = starts[kx]; ix < ends[kx]; ix++) destination[2 * ix] += source[ix];
          } else {
            for (long ix = starts[kx]; ix < ends[kx]; ix++) {
              destination[ix * plan->stride_x] += source[ix];
            }
          }
        }
      }
    }
  }
}

void facesh_apply_activation(int activation, float slope, float *values, long count) {
  switch (activation) {
    case FACESH_ACTIVATION_RELU: facesh_relu(values, count); break;
    case FACESH_ACTIVATION_LEAKY_RELU: facesh_leaky_relu(values, count, slope); break;
    case FACESH_ACTIVATION_SIGMOID: facesh_sigmoid(values, count); break;
    case FACESH_ACTIVATION_TANH: facesh_tanh(values, count); break;
    default: break;
  }
}

/* Computes the column block of input rows [row_start, row_end) for weight rows
 * [weight_row, weight_row + rows) into `columns` (row stride `column_stride`). */
static void multiply_chunk(const facesh_conv_transpose_plan *plan, micro_kernel kernel,
                           long weight_row, long rows, long row_start, long row_end,
                           float *columns, long column_stride) {
  long taps = plan->kernel_height * plan->kernel_width;
  long padded_weight_rows = panels(plan->output_channels * taps, MR) * MR;
  long input_stride = plan->batch * plan->height * plan->width;
  long first_column = row_start * plan->width;
  long end_column = row_end * plan->width;
  long column_panels = column_stride / NR;
  float *packed_input = sgemm_scratch(SCRATCH_B, (size_t)column_panels * NR * KC);
  for (long depth = 0; depth < plan->input_channels; depth += KC) {
    long kc = min_long(KC, plan->input_channels - depth);
    int mode = depth == 0 ? STORE_OVERWRITE : STORE_ADD;
    sgemm_pack_b_block(plan->kernel, 0, end_column, plan->input, input_stride, first_column,
                       column_panels, depth, kc, packed_input);
    const float *weight_block = plan->packed_weight + depth * padded_weight_rows;
    for (long row = 0; row < rows; row += MR) {
      const float *a_panel = weight_block + (weight_row + row) * kc;
      for (long panel = 0; panel < column_panels; panel++) {
        kernel(kc, a_panel, packed_input + panel * NR * kc,
               columns + row * column_stride + panel * NR, column_stride, 1.0f, 0.0f, mode);
      }
    }
  }
}

void facesh_conv_transpose_run_task(const facesh_conv_transpose_plan *plan, long task) {
  long band = task % plan->bands;
  long sample_block = (task / plan->bands) % plan->sample_blocks;
  long group = task / (plan->bands * plan->sample_blocks);
  long k_start = group * plan->group_channels;
  long k_end = min_long(plan->output_channels, k_start + plan->group_channels);
  long b_start = sample_block * plan->block_samples;
  long b_end = min_long(plan->batch, b_start + plan->block_samples);
  long oy_start = band * plan->band_rows;
  long oy_end = min_long(plan->out_height, oy_start + plan->band_rows);
  long out_plane = plan->out_height * plan->out_width;
  long band_count = (oy_end - oy_start) * plan->out_width;
  micro_kernel kernel = sgemm_kernel(plan->kernel);

  /* Global input rows b·H + iy that reach the band. With one band that is every row of the
   * task's samples, which are contiguous in the input. */
  long row_start = b_start * plan->height;
  long row_end = b_end * plan->height;
  if (plan->bands > 1) {
    long low = oy_start + plan->pad_y - (plan->kernel_height - 1);
    long first_iy = low <= 0 ? 0 : (low + plan->stride_y - 1) / plan->stride_y;
    long last_iy = min_long(plan->height, (oy_end - 1 + plan->pad_y) / plan->stride_y + 1);
    if (last_iy < first_iy) last_iy = first_iy;
    row_start = b_start * plan->height + first_iy;
    row_end = b_start * plan->height + last_iy;
  }

  /* Start every output row of the task from the bias. */
  for (long k = k_start; k < k_end; k++) {
    for (long b = b_start; b < b_end; b++) {
      float *values = plan->output + (k * plan->batch + b) * out_plane + oy_start * plan->out_width;
      float bias = plan->bias[k];
      for (long i = 0; i < band_count; i++) values[i] = bias;
    }
  }

  /* Multiply and scatter a few input rows at a time. */
  long taps = plan->kernel_height * plan->kernel_width;
  long weight_rows = (k_end - k_start) * taps;
  long padded_rows = panels(weight_rows, MR) * MR;
  for (long row = row_start; row < row_end; row += plan->chunk_rows) {
    long chunk_end = min_long(row_end, row + plan->chunk_rows);
    long column_stride = panels((chunk_end - row) * plan->width, NR) * NR;
    float *columns = sgemm_scratch(SCRATCH_COLUMNS, (size_t)padded_rows * column_stride);
    multiply_chunk(plan, kernel, k_start * taps, weight_rows, row, chunk_end, columns,
                   column_stride);
    scatter(plan, columns, column_stride, k_start, k_end, row, chunk_end, oy_start, oy_end);
  }

  /* Apply the activation while the rows are in cache. */
  if (plan->activation != FACESH_ACTIVATION_NONE) {
    for (long k = k_start; k < k_end; k++) {
      for (long b = b_start; b < b_end; b++) {
        float *row = plan->output + (k * plan->batch + b) * out_plane + oy_start * plan->out_width;
        facesh_apply_activation(plan->activation, plan->slope, row, band_count);
      }
    }
  }
}
