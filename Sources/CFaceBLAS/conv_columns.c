/* Packing of op(B) straight from a transposed convolution's output gradient (implicit
 * im2col), for the backward pass's two GEMMs: dW = x·Dᵀ and dx = W·D, with D the column
 * matrix that facesh_conv_columns describes. Storing D first writes and reads back
 * K·R·S·B·H·W floats, 64 MiB for the 64×64 decoder's third transposed convolution at batch
 * 64. Packing from the gradient writes only the panels, which stay in cache. */
#include "sgemm_internal.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FACESH_HAVE_X86 1
#endif

/* Widest block of columns one task packs (MAX_BLOCK_PANELS_N panels in sgemm.c). */
enum { MAX_COLUMNS = 32 * NR };

/* Entry (t, u) of D is gradient[tap.offset + pixel.offset] when row tap.y + pixel.y and
 * column tap.x + pixel.x lie in the plane. A row past the end of D gets a y so negative that
 * it lies outside for any partner, which makes the padding of a panel zero. */
enum { OUTSIDE = -(1 << 30) };

typedef struct {
  int32_t offset[MAX_COLUMNS];
  int32_t y[MAX_COLUMNS];
  int32_t x[MAX_COLUMNS];
} index_list;

/* Lists taps [first, first + count) of D's rows; those at or past `end` lie outside. */
static void list_taps(const facesh_conv_columns *g, long first, long count, long end,
                      index_list *list) {
  long taps = g->kernel_height * g->kernel_width;
  long channel_stride = g->batch * g->out_height * g->out_width;
  for (long i = 0; i < count; i++) {
    long t = first + i;
    if (t >= end) {
      list->offset[i] = 0;
      list->y[i] = OUTSIDE;
      list->x[i] = 0;
      continue;
    }
    long k = t / taps, tap = t % taps;
    long ky = tap / g->kernel_width, kx = tap % g->kernel_width;
    list->offset[i] = (int32_t)(k * channel_stride + ky * g->out_width + kx);
    list->y[i] = (int32_t)ky;
    list->x[i] = (int32_t)kx;
  }
}

/* Lists pixels [first, first + count) of D's columns; those at or past `end` lie outside. */
static void list_pixels(const facesh_conv_columns *g, long first, long count, long end,
                        index_list *list) {
  long plane = g->height * g->width;
  for (long i = 0; i < count; i++) {
    long u = first + i;
    if (u >= end) {
      list->offset[i] = 0;
      list->y[i] = OUTSIDE;
      list->x[i] = 0;
      continue;
    }
    long b = u / plane, pixel = u % plane;
    long oy = (pixel / g->width) * g->stride_y - g->pad_y;
    long ox = (pixel % g->width) * g->stride_x - g->pad_x;
    list->offset[i] = (int32_t)(b * g->out_height * g->out_width + oy * g->out_width + ox);
    list->y[i] = (int32_t)oy;
    list->x[i] = (int32_t)ox;
  }
}

/* Writes panel after panel, each kc groups of NR values: value (p, j) pairs entry j of
 * `across` (the panel's columns) with entry p of `down` (the depth). */
static void pack_generic(const facesh_conv_columns *g, const index_list *across,
                         const index_list *down, long column_panels, long kc, float *out) {
  uint32_t height = (uint32_t)g->out_height, width = (uint32_t)g->out_width;
  for (long panel = 0; panel < column_panels; panel++) {
    float *target = out + panel * NR * kc;
    for (long p = 0; p < kc; p++) {
      for (long j = 0; j < NR; j++) {
        long column = panel * NR + j;
        uint32_t y = (uint32_t)(across->y[column] + down->y[p]);
        uint32_t x = (uint32_t)(across->x[column] + down->x[p]);
        float value = 0;
        if (y < height && x < width) {
          value = g->gradient[(long)across->offset[column] + down->offset[p]];
        }
        target[p * NR + j] = value;
      }
    }
  }
}

#ifdef FACESH_HAVE_X86
/* Returns whether entries [first, first + count) of `list` lie on one row of the plane,
 * each `step` columns and `step` floats right of the one before. */
static int is_run(const index_list *list, long first, long count, int32_t step) {
  if (list->y[first] == OUTSIDE) return 0;
  for (long j = 1; j < count; j++) {
    if (list->y[first + j] != list->y[first] ||
        list->x[first + j] != list->x[first] + (int32_t)j * step ||
        list->offset[first + j] != list->offset[first] + (int32_t)j * step) {
      return 0;
    }
  }
  return 1;
}

/* Returns the mask of lanes whose column x + lane lies in [0, width). */
__attribute__((target("avx2,fma"))) static inline __m256i lanes_inside(int32_t x,
                                                                        int32_t width) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  __m256i columns = _mm256_add_epi32(_mm256_set1_epi32(x), lanes);
  return _mm256_and_si256(_mm256_cmpgt_epi32(columns, _mm256_set1_epi32(-1)),
                          _mm256_cmpgt_epi32(_mm256_set1_epi32(width), columns));
}

/* Reads 8 values of D that lie on one gradient row: the row's floats from column x on, every
 * `step`-th (1 or 2), with columns outside [0, width) read as 0. Masked loads touch no float
 * outside the row. */
__attribute__((target("avx2,fma"))) static inline __m256 load_run(const float *row, int32_t x,
                                                                  int32_t width, int32_t step) {
  if (step == 1) return _mm256_maskload_ps(row + x, lanes_inside(x, width));
  __m256 low = _mm256_maskload_ps(row + x, lanes_inside(x, width));
  __m256 high = _mm256_maskload_ps(row + x + 8, lanes_inside(x + 8, width));
  /* Even lanes of low and high, interleaved by 128-bit half, then put in order. */
  __m256 even = _mm256_shuffle_ps(low, high, 0x88);
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(even), 0xD8));
}

/* Reads 4 consecutive values of one gradient row from column x on, with columns outside
 * [0, width) read as 0. */
__attribute__((target("avx2,fma"))) static inline __m128 load_run4(const float *row, int32_t x,
                                                                   int32_t width) {
  return _mm_maskload_ps(row + x, _mm256_castsi256_si128(lanes_inside(x, width)));
}

/* Gathers 8 values of D: entries [first, first + 8) of `across` paired with one depth entry,
 * with 8-lane masked gathers. A masked-off lane reads nothing and gives 0. */
__attribute__((target("avx2,fma"))) static inline __m256 gather8(
    const facesh_conv_columns *g, const index_list *across, long first, int32_t offset,
    int32_t y, int32_t x) {
  const __m256i minus_one = _mm256_set1_epi32(-1);
  __m256i rows = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(across->y + first)),
                                  _mm256_set1_epi32(y));
  __m256i columns = _mm256_add_epi32(
      _mm256_loadu_si256((const __m256i *)(across->x + first)), _mm256_set1_epi32(x));
  __m256i inside = _mm256_and_si256(
      _mm256_and_si256(_mm256_cmpgt_epi32(rows, minus_one),
                       _mm256_cmpgt_epi32(_mm256_set1_epi32((int32_t)g->out_height), rows)),
      _mm256_and_si256(_mm256_cmpgt_epi32(columns, minus_one),
                       _mm256_cmpgt_epi32(_mm256_set1_epi32((int32_t)g->out_width), columns)));
  __m256i offsets = _mm256_add_epi32(
      _mm256_loadu_si256((const __m256i *)(across->offset + first)), _mm256_set1_epi32(offset));
  return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), g->gradient, offsets,
                                  _mm256_castsi256_ps(inside), 4);
}

/* The same as pack_generic. Where 8 pixels of a panel lie on one input row (stride 1 or 2),
 * or each 4 taps on one kernel row, the values lie on one gradient row and are read with
 * masked loads. Other panels use masked gathers, which are slower. */
__attribute__((target("avx2,fma"))) static void pack_avx2(const facesh_conv_columns *g,
                                                          int transpose_b,
                                                          const index_list *across,
                                                          const index_list *down,
                                                          long column_panels, long kc,
                                                          float *out) {
  const int32_t height = (int32_t)g->out_height, width = (int32_t)g->out_width;
  const int32_t stride = (int32_t)g->stride_x;
  for (long panel = 0; panel < column_panels; panel++) {
    float *target = out + panel * NR * kc;
    const long first = panel * NR;
    if (!transpose_b && (stride == 1 || stride == 2)) {
      /* Pixels across: each half of the panel is one run of 8 when it lies on one row. */
      int runs[2] = {is_run(across, first, 8, stride), is_run(across, first + 8, 8, stride)};
      for (long p = 0; p < kc; p++) {
        for (int half = 0; half < 2; half++) {
          long lane = first + half * 8;
          __m256 values;
          if (runs[half]) {
            int32_t y = across->y[lane] + down->y[p];
            values = _mm256_setzero_ps();
            if (y >= 0 && y < height) {
              const float *row = g->gradient + (across->offset[lane] + down->offset[p]) -
                                 (across->x[lane] + down->x[p]);
              values = load_run(row, across->x[lane] + down->x[p], width, stride);
            }
          } else {
            values = gather8(g, across, lane, down->offset[p], down->y[p], down->x[p]);
          }
          _mm256_storeu_ps(target + p * NR + half * 8, values);
        }
      }
      continue;
    }
    int quarters = transpose_b && is_run(across, first, 4, 1) && is_run(across, first + 4, 4, 1) &&
                   is_run(across, first + 8, 4, 1) && is_run(across, first + 12, 4, 1);
    for (long p = 0; p < kc; p++) {
      if (quarters) {
        /* Taps across: four runs of 4 along kernel rows. */
        __m128 parts[4];
        for (int quarter = 0; quarter < 4; quarter++) {
          long lane = first + quarter * 4;
          int32_t y = across->y[lane] + down->y[p];
          parts[quarter] = _mm_setzero_ps();
          if (y >= 0 && y < height) {
            int32_t x = across->x[lane] + down->x[p];
            const float *row = g->gradient + (across->offset[lane] + down->offset[p]) - x;
            parts[quarter] = load_run4(row, x, width);
          }
        }
        _mm256_storeu_ps(target + p * NR, _mm256_set_m128(parts[1], parts[0]));
        _mm256_storeu_ps(target + p * NR + 8, _mm256_set_m128(parts[3], parts[2]));
        continue;
      }
      _mm256_storeu_ps(target + p * NR,
                       gather8(g, across, first, down->offset[p], down->y[p], down->x[p]));
      _mm256_storeu_ps(target + p * NR + 8,
                       gather8(g, across, first + 8, down->offset[p], down->y[p], down->x[p]));
    }
  }
}
#endif

void sgemm_pack_b_columns(int kernel, int transpose_b, long n, const facesh_conv_columns *g,
                          long column, long column_panels, long depth, long kc, float *out) {
  static _Thread_local index_list across, down;
  long taps = g->channels * g->kernel_height * g->kernel_width;
  long pixels = g->batch * g->height * g->width;
  long width = column_panels * NR;
  if (transpose_b) {
    /* op(B) = Dᵀ: columns are taps, depth runs over pixels. */
    list_taps(g, column, width, n < taps ? n : taps, &across);
    list_pixels(g, depth, kc, pixels, &down);
  } else {
    list_pixels(g, column, width, n < pixels ? n : pixels, &across);
    list_taps(g, depth, kc, taps, &down);
  }
#ifdef FACESH_HAVE_X86
  if (kernel == KERNEL_AVX2) {
    pack_avx2(g, transpose_b, &across, &down, column_panels, kc, out);
    return;
  }
#endif
  (void)kernel;
  pack_generic(g, &across, &down, column_panels, kc, out);
}
