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

/* Taps [first, first + count) of D's rows; those at or past `end` lie outside. */
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

/* Pixels [first, first + count) of D's columns; those at or past `end` lie outside. */
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
/* The same with 8-lane masked gathers; a masked-off lane reads nothing and gives 0. */
__attribute__((target("avx2,fma"))) static void pack_avx2(const facesh_conv_columns *g,
                                                          const index_list *across,
                                                          const index_list *down,
                                                          long column_panels, long kc,
                                                          float *out) {
  const __m256i height = _mm256_set1_epi32((int32_t)g->out_height);
  const __m256i width = _mm256_set1_epi32((int32_t)g->out_width);
  const __m256i minus_one = _mm256_set1_epi32(-1);
  for (long panel = 0; panel < column_panels; panel++) {
    float *target = out + panel * NR * kc;
    const long first = panel * NR;
    __m256i offset0 = _mm256_loadu_si256((const __m256i *)(across->offset + first));
    __m256i offset1 = _mm256_loadu_si256((const __m256i *)(across->offset + first + 8));
    __m256i y0 = _mm256_loadu_si256((const __m256i *)(across->y + first));
    __m256i y1 = _mm256_loadu_si256((const __m256i *)(across->y + first + 8));
    __m256i x0 = _mm256_loadu_si256((const __m256i *)(across->x + first));
    __m256i x1 = _mm256_loadu_si256((const __m256i *)(across->x + first + 8));
    for (long p = 0; p < kc; p++) {
      __m256i down_offset = _mm256_set1_epi32(down->offset[p]);
      __m256i down_y = _mm256_set1_epi32(down->y[p]);
      __m256i down_x = _mm256_set1_epi32(down->x[p]);
      __m256i y = _mm256_add_epi32(y0, down_y), x = _mm256_add_epi32(x0, down_x);
      __m256i inside = _mm256_and_si256(
          _mm256_and_si256(_mm256_cmpgt_epi32(y, minus_one), _mm256_cmpgt_epi32(height, y)),
          _mm256_and_si256(_mm256_cmpgt_epi32(x, minus_one), _mm256_cmpgt_epi32(width, x)));
      __m256 low = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), g->gradient,
                                            _mm256_add_epi32(offset0, down_offset),
                                            _mm256_castsi256_ps(inside), 4);
      y = _mm256_add_epi32(y1, down_y);
      x = _mm256_add_epi32(x1, down_x);
      inside = _mm256_and_si256(
          _mm256_and_si256(_mm256_cmpgt_epi32(y, minus_one), _mm256_cmpgt_epi32(height, y)),
          _mm256_and_si256(_mm256_cmpgt_epi32(x, minus_one), _mm256_cmpgt_epi32(width, x)));
      __m256 high = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), g->gradient,
                                             _mm256_add_epi32(offset1, down_offset),
                                             _mm256_castsi256_ps(inside), 4);
      _mm256_storeu_ps(target + p * NR, low);
      _mm256_storeu_ps(target + p * NR + 8, high);
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
    pack_avx2(g, &across, &down, column_panels, kc, out);
    return;
  }
#endif
  (void)kernel;
  pack_generic(g, &across, &down, column_panels, kc, out);
}
