/* Single-precision GEMM for the decoder's thin matrices, in the GotoBLAS/BLIS layout.
 * op(B) is packed into panels of FACESH_SGEMM_NR columns and op(A) into panels of
 * FACESH_SGEMM_MR rows, each FACESH_SGEMM_KC deep, and a register-blocked micro-kernel
 * multiplies one A panel by one B panel. Each task owns a block of C, so tasks never write
 * the same element, and an element's sum over k runs in one fixed order whatever the
 * blocking into tasks. */
#include "facesh_sgemm.h"
#include "sgemm_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FACESH_HAVE_X86 1
#endif

/* The scalar stores below must round exactly as the vector ones do, which use a separate
 * multiply and add, so the compiler may not fuse them into FMAs. */
#pragma STDC FP_CONTRACT OFF

/* ---- Portable kernel ---- */

static void kernel_generic(long kc, const float *a, const float *b, float *c, long ldc,
                           float alpha, float beta, int mode) {
  float sums[MR][NR];
  memset(sums, 0, sizeof sums);
  for (long p = 0; p < kc; p++) {
    for (int i = 0; i < MR; i++) {
      float value = a[i];
      for (int j = 0; j < NR; j++) sums[i][j] += value * b[j];
    }
    a += MR;
    b += NR;
  }
  for (int i = 0; i < MR; i++) {
    float *row = c + i * ldc;
    for (int j = 0; j < NR; j++) {
      float product = alpha * sums[i][j];
      if (mode == STORE_OVERWRITE) {
        row[j] = product;
      } else if (mode == STORE_ADD) {
        row[j] = row[j] + product;
      } else {
        row[j] = beta * row[j] + product;
      }
    }
  }
}

/* ---- AVX2 + FMA kernel: 6×16 tile in 12 ymm accumulators ---- */

#ifdef FACESH_HAVE_X86
__attribute__((target("avx2,fma"))) static inline void store_row_avx2(
    float *row, __m256 low, __m256 high, __m256 alpha, __m256 beta, int mode) {
  __m256 product_low = _mm256_mul_ps(alpha, low);
  __m256 product_high = _mm256_mul_ps(alpha, high);
  if (mode == STORE_ADD) {
    product_low = _mm256_add_ps(_mm256_loadu_ps(row), product_low);
    product_high = _mm256_add_ps(_mm256_loadu_ps(row + 8), product_high);
  } else if (mode == STORE_SCALE) {
    product_low = _mm256_add_ps(_mm256_mul_ps(beta, _mm256_loadu_ps(row)), product_low);
    product_high = _mm256_add_ps(_mm256_mul_ps(beta, _mm256_loadu_ps(row + 8)), product_high);
  }
  _mm256_storeu_ps(row, product_low);
  _mm256_storeu_ps(row + 8, product_high);
}

__attribute__((target("avx2,fma"))) static void kernel_avx2(long kc, const float *a,
                                                            const float *b, float *c, long ldc,
                                                            float alpha, float beta, int mode) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (long p = 0; p < kc; p++) {
    __m256 b0 = _mm256_load_ps(b);
    __m256 b1 = _mm256_load_ps(b + 8);
    __m256 value = _mm256_broadcast_ss(a);
    c00 = _mm256_fmadd_ps(value, b0, c00);
    c01 = _mm256_fmadd_ps(value, b1, c01);
    value = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(value, b0, c10);
    c11 = _mm256_fmadd_ps(value, b1, c11);
    value = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(value, b0, c20);
    c21 = _mm256_fmadd_ps(value, b1, c21);
    value = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(value, b0, c30);
    c31 = _mm256_fmadd_ps(value, b1, c31);
    value = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(value, b0, c40);
    c41 = _mm256_fmadd_ps(value, b1, c41);
    value = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(value, b0, c50);
    c51 = _mm256_fmadd_ps(value, b1, c51);
    a += MR;
    b += NR;
  }
  __m256 alpha_vector = _mm256_set1_ps(alpha);
  __m256 beta_vector = _mm256_set1_ps(beta);
  store_row_avx2(c, c00, c01, alpha_vector, beta_vector, mode);
  store_row_avx2(c + ldc, c10, c11, alpha_vector, beta_vector, mode);
  store_row_avx2(c + 2 * ldc, c20, c21, alpha_vector, beta_vector, mode);
  store_row_avx2(c + 3 * ldc, c30, c31, alpha_vector, beta_vector, mode);
  store_row_avx2(c + 4 * ldc, c40, c41, alpha_vector, beta_vector, mode);
  store_row_avx2(c + 5 * ldc, c50, c51, alpha_vector, beta_vector, mode);
}
#endif

/* ---- Kernel selection ---- */

static int force_generic = 0;

void facesh_sgemm_force_generic(int force) { force_generic = force != 0; }

int sgemm_best_kernel(void) {
  if (force_generic) return KERNEL_GENERIC;
#ifdef FACESH_HAVE_X86
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return KERNEL_AVX2;
#endif
  return KERNEL_GENERIC;
}

const char *facesh_sgemm_kernel_name(void) {
  return sgemm_best_kernel() == KERNEL_AVX2 ? "avx2-fma" : "generic";
}

micro_kernel sgemm_kernel(int id) {
#ifdef FACESH_HAVE_X86
  if (id == KERNEL_AVX2) return kernel_avx2;
#endif
  (void)id;
  return kernel_generic;
}

/* ---- Packing ---- */

/* Packing only moves values, so the AVX2 and portable versions give the same panels. The
 * AVX2 ones transpose 8×8 blocks in registers where the source is contiguous along k. */

#ifdef FACESH_HAVE_X86
/* Replaces rows r[0..8) of an 8×8 block by its columns. */
__attribute__((target("avx2,fma"))) static inline void transpose_8x8(__m256 r[8]) {
  __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/* Packs MR full rows that are contiguous along k; returns how many depth steps it packed
 * (a multiple of 8). Each 8-wide store also writes two lanes into the next group, which the
 * next store overwrites; the last store of a block is masked so it stays inside the panel. */
__attribute__((target("avx2,fma"))) static long pack_rows_avx2(const float *a, long lda,
                                                               long kc, float *out) {
  const __m256i six_lanes = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
  long p = 0;
  for (; p + 8 <= kc; p += 8) {
    __m256 r[8];
    for (int i = 0; i < MR; i++) r[i] = _mm256_loadu_ps(a + i * lda + p);
    r[6] = r[7] = _mm256_setzero_ps();
    transpose_8x8(r);
    for (int q = 0; q < 7; q++) _mm256_storeu_ps(out + (p + q) * MR, r[q]);
    _mm256_maskstore_ps(out + (p + 7) * MR, six_lanes, r[7]);
  }
  return p;
}

/* Packs NR full columns of a transposed B (each column contiguous along k); returns how
 * many depth steps it packed (a multiple of 8). */
__attribute__((target("avx2,fma"))) static long pack_columns_avx2(const float *b, long ldb,
                                                                  long kc, float *out) {
  long p = 0;
  for (; p + 8 <= kc; p += 8) {
    for (int half = 0; half < 2; half++) {
      __m256 r[8];
      for (int j = 0; j < 8; j++) r[j] = _mm256_loadu_ps(b + (half * 8 + j) * ldb + p);
      transpose_8x8(r);
      for (int q = 0; q < 8; q++) _mm256_storeu_ps(out + (p + q) * NR + half * 8, r[q]);
    }
  }
  return p;
}
#endif

/* Writes rows [row, row + MR) of op(A), depth [depth, depth + kc), as kc groups of MR
 * values; rows past m are zero. */
static void pack_a_panel(int kernel, int transpose_a, long m, const float *a, long lda,
                         long row, long depth, long kc, float *out) {
  long rows = m - row < MR ? m - row : MR;
  if (rows < MR) memset(out, 0, sizeof(float) * MR * kc);
  if (transpose_a) {
    /* op(A)(i, p) = a[p·lda + i]: each depth step reads `rows` contiguous values. */
    for (long p = 0; p < kc; p++) {
      const float *source = a + (depth + p) * lda + row;
      for (long i = 0; i < rows; i++) out[p * MR + i] = source[i];
    }
    return;
  }
  long done = 0;
#ifdef FACESH_HAVE_X86
  if (kernel == KERNEL_AVX2 && rows == MR) {
    done = pack_rows_avx2(a + row * lda + depth, lda, kc, out);
  }
#endif
  (void)kernel;
  for (long i = 0; i < rows; i++) {
    const float *source = a + (row + i) * lda + depth;
    for (long p = done; p < kc; p++) out[p * MR + i] = source[p];
  }
}

/* Writes `column_panels` panels of op(B) from column `column` on, depth [depth, depth + kc),
 * each as kc groups of NR values; columns past n are zero. */
void sgemm_pack_b_block(int kernel, int transpose_b, long n, const float *b, long ldb,
                        long column, long column_panels, long depth, long kc, float *out) {
  long columns = n - column < column_panels * NR ? n - column : column_panels * NR;
  if (columns < column_panels * NR) memset(out, 0, sizeof(float) * column_panels * NR * kc);
  if (!transpose_b) {
    /* Eight rows at a time across all panels: the reads stream along each row, and the
     * writes fill 8·NR contiguous values per panel instead of jumping a panel per row. */
    long full_panels = columns / NR;
    for (long p0 = 0; p0 < kc; p0 += 8) {
      long p_end = p0 + 8 < kc ? p0 + 8 : kc;
      for (long panel = 0; panel < full_panels; panel++) {
        float *target = out + panel * NR * kc;
        for (long p = p0; p < p_end; p++) {
          memcpy(target + p * NR, b + (depth + p) * ldb + column + panel * NR, sizeof(float) * NR);
        }
      }
      for (long j = full_panels * NR; j < columns; j++) {
        float *target = out + (j / NR) * NR * kc + j % NR;
        for (long p = p0; p < p_end; p++) target[p * NR] = b[(depth + p) * ldb + column + j];
      }
    }
    return;
  }
  /* op(B)(p, j) = b[j·ldb + p], each column contiguous along k. */
  for (long panel = 0; panel < column_panels; panel++) {
    long first = panel * NR;
    long count = columns - first < NR ? columns - first : NR;
    float *target = out + panel * NR * kc;
    long done = 0;
#ifdef FACESH_HAVE_X86
    if (kernel == KERNEL_AVX2 && count == NR) {
      done = pack_columns_avx2(b + (column + first) * ldb + depth, ldb, kc, target);
    }
#endif
    for (long j = 0; j < count; j++) {
      const float *source = b + (column + first + j) * ldb + depth;
      for (long p = done; p < kc; p++) target[p * NR + j] = source[p];
    }
  }
  (void)kernel;
}

size_t facesh_sgemm_packed_a_count(long m, long k) {
  return (size_t)(panels(m, MR) * MR) * (size_t)(k > 0 ? k : 0);
}

/* Layout: for each depth block of KC (the last one may be shorter), every row panel in
 * order, each kc × MR. Block `depth` therefore starts at depth · (padded row count). */
void facesh_sgemm_pack_a(int transpose_a, long m, long k, const float *a, long lda,
                         float *packed) {
  long padded = panels(m, MR) * MR;
  int kernel = sgemm_best_kernel();
  for (long depth = 0; depth < k; depth += KC) {
    long kc = k - depth < KC ? k - depth : KC;
    float *block = packed + depth * padded;
    for (long row = 0; row < m; row += MR) {
      pack_a_panel(kernel, transpose_a, m, a, lda, row, depth, kc,
                   block + (row / MR) * MR * kc);
    }
  }
}

/* ---- Per-thread scratch ---- */

/* Packing buffers, one set per thread, grown as needed and kept until the thread exits:
 * Dispatch reuses its worker threads, so later GEMMs find them allocated. */
typedef struct {
  float *buffers[SCRATCH_SLOTS];
  size_t counts[SCRATCH_SLOTS];
} scratch_set;

static pthread_key_t scratch_key;
static pthread_once_t scratch_key_once = PTHREAD_ONCE_INIT;

static void free_scratch_set(void *pointer) {
  scratch_set *set = pointer;
  for (int slot = 0; slot < SCRATCH_SLOTS; slot++) free(set->buffers[slot]);
  free(set);
}

static void create_scratch_key(void) {
  if (pthread_key_create(&scratch_key, free_scratch_set) != 0) abort();
}

float *sgemm_scratch(int slot, size_t count) {
  pthread_once(&scratch_key_once, create_scratch_key);
  scratch_set *set = pthread_getspecific(scratch_key);
  if (set == NULL) {
    set = calloc(1, sizeof *set);
    if (set == NULL || pthread_setspecific(scratch_key, set) != 0) abort();
  }
  if (count > set->counts[slot]) {
    free(set->buffers[slot]);
    /* 64-byte alignment for the kernels' aligned loads; the size must be a multiple. */
    size_t bytes = (count * sizeof(float) + 63) & ~(size_t)63;
    set->buffers[slot] = aligned_alloc(64, bytes);
    if (set->buffers[slot] == NULL) abort();
    set->counts[slot] = count;
  }
  return set->buffers[slot];
}

/* ---- Plan and tasks ---- */

/* Largest block of C one task computes: 144 rows by 512 columns. The packed B block
 * (KC × 512 floats, 512 KiB) stays in L2 while A panels stream past it. Smaller blocks, made
 * only to have enough tasks, keep at least 24 rows and 64 columns. */
enum {
  MAX_BLOCK_PANELS_M = 24,
  MAX_BLOCK_PANELS_N = 32,
  MIN_BLOCK_PANELS_M = 4,
  MIN_BLOCK_PANELS_N = 4,
};

/* Enough tasks that two to eight threads get even shares. */
enum { TARGET_TASKS = 8 };

long facesh_sgemm_prepare(facesh_sgemm_plan *plan) {
  plan->kernel = sgemm_best_kernel();
  long panels_m = panels(plan->m, MR);
  long panels_n = panels(plan->n, NR);
  if (plan->m <= 0 || plan->n <= 0) {
    plan->tasks_m = plan->tasks_n = 0;
    plan->block_rows = plan->block_columns = 0;
    return 0;
  }
  long tasks_n = panels(panels_n, MAX_BLOCK_PANELS_N);
  long tasks_m = panels(panels_m, MAX_BLOCK_PANELS_M);
  /* Each task packs its own rows of op(A) and columns of op(B). Another row of tasks packs
   * op(B) once more (N·K values), another column of tasks op(A) (M·K, none when A comes
   * packed), so split the way that repeats less. */
  while (tasks_m * tasks_n < TARGET_TASKS) {
    int can_split_m = panels(panels_m, tasks_m + 1) >= MIN_BLOCK_PANELS_M && tasks_m < panels_m;
    int can_split_n = panels(panels_n, tasks_n + 1) >= MIN_BLOCK_PANELS_N && tasks_n < panels_n;
    long cost_m = plan->n;
    long cost_n = plan->packed_a != NULL ? 0 : plan->m;
    if (can_split_m && (!can_split_n || cost_m < cost_n)) {
      tasks_m++;
    } else if (can_split_n) {
      tasks_n++;
    } else {
      break;
    }
  }
  long block_panels_m = panels(panels_m, tasks_m);
  long block_panels_n = panels(panels_n, tasks_n);
  plan->block_rows = block_panels_m * MR;
  plan->block_columns = block_panels_n * NR;
  plan->tasks_m = panels(plan->m, plan->block_rows);
  plan->tasks_n = panels(plan->n, plan->block_columns);
  return plan->tasks_m * plan->tasks_n;
}

/* Multiplies one MR×NR tile. Tiles that are cut off by the edge of C, or whose columns are
 * not contiguous, go through a dense copy so that the kernel's arithmetic is the same. */
static void run_tile(const facesh_sgemm_plan *plan, micro_kernel kernel, long kc,
                     const float *a_panel, const float *b_panel, long row, long column,
                     int mode) {
  long rows = plan->m - row < MR ? plan->m - row : MR;
  long columns = plan->n - column < NR ? plan->n - column : NR;
  float *c = plan->c + row * plan->c_row_stride + column * plan->c_column_stride;
  if (rows == MR && columns == NR && plan->c_column_stride == 1) {
    kernel(kc, a_panel, b_panel, c, plan->c_row_stride, plan->alpha, plan->beta, mode);
    return;
  }
  float tile[MR * NR];
  memset(tile, 0, sizeof tile);
  if (mode != STORE_OVERWRITE) {
    for (long i = 0; i < rows; i++) {
      for (long j = 0; j < columns; j++) {
        tile[i * NR + j] = c[i * plan->c_row_stride + j * plan->c_column_stride];
      }
    }
  }
  kernel(kc, a_panel, b_panel, tile, NR, plan->alpha, plan->beta, mode);
  for (long i = 0; i < rows; i++) {
    for (long j = 0; j < columns; j++) {
      c[i * plan->c_row_stride + j * plan->c_column_stride] = tile[i * NR + j];
    }
  }
}

/* C = beta·C over a block, for K = 0. */
static void scale_block(const facesh_sgemm_plan *plan, long row_end, long column_end,
                        long row_start, long column_start) {
  for (long i = row_start; i < row_end; i++) {
    for (long j = column_start; j < column_end; j++) {
      float *element = plan->c + i * plan->c_row_stride + j * plan->c_column_stride;
      *element = plan->beta == 0.0f ? 0.0f : plan->beta * *element;
    }
  }
}

void facesh_sgemm_run_task(const facesh_sgemm_plan *plan, long task) {
  long row_start = (task / plan->tasks_n) * plan->block_rows;
  long column_start = (task % plan->tasks_n) * plan->block_columns;
  long row_end = row_start + plan->block_rows < plan->m ? row_start + plan->block_rows : plan->m;
  long column_end = column_start + plan->block_columns < plan->n
                        ? column_start + plan->block_columns
                        : plan->n;
  if (plan->k <= 0) {
    scale_block(plan, row_end, column_end, row_start, column_start);
    return;
  }
  micro_kernel kernel = sgemm_kernel(plan->kernel);
  long padded_m = panels(plan->m, MR) * MR;
  long column_panels = panels(column_end - column_start, NR);
  float *b_block = sgemm_scratch(SCRATCH_B, (size_t)column_panels * NR * KC);
  float *a_buffer = sgemm_scratch(SCRATCH_A, (size_t)MR * KC);

  for (long depth = 0; depth < plan->k; depth += KC) {
    long kc = plan->k - depth < KC ? plan->k - depth : KC;
    int mode = STORE_ADD;
    if (depth == 0) {
      if (plan->beta == 0.0f) {
        mode = STORE_OVERWRITE;
      } else if (plan->beta != 1.0f) {
        mode = STORE_SCALE;
      }
    }

    /* Pack this task's columns of op(B) for the depth block. */
    if (plan->columns != NULL) {
      sgemm_pack_b_columns(plan->kernel, plan->transpose_b, plan->n, plan->columns,
                           column_start, column_panels, depth, kc, b_block);
    } else {
      sgemm_pack_b_block(plan->kernel, plan->transpose_b, plan->n, plan->b, plan->ldb,
                         column_start, column_panels, depth, kc, b_block);
    }

    /* Multiply each row panel of op(A) with every packed column panel. */
    for (long row = row_start; row < row_end; row += MR) {
      const float *a_panel;
      if (plan->packed_a != NULL) {
        a_panel = plan->packed_a + depth * padded_m + (row / MR) * MR * kc;
      } else {
        pack_a_panel(plan->kernel, plan->transpose_a, plan->m, plan->a, plan->lda, row, depth,
                     kc, a_buffer);
        a_panel = a_buffer;
      }
      for (long panel = 0; panel < column_panels; panel++) {
        run_tile(plan, kernel, kc, a_panel, b_block + panel * NR * kc, row,
                 column_start + panel * NR, mode);
      }
    }
  }
}
