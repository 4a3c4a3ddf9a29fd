/* Transposed convolutions with a 4×4 kernel and stride 2 by F(2×2, 2×2) Winograd filtering.
 *
 * Output row oy = 2m + p receives input rows m + s − 1 and m + s through kernel rows q + 2
 * and q, where q = (p + pad) mod 2 and s = (p + pad − q) / 2; columns alike. Within one of
 * the four parity classes the layer is therefore the correlation
 *   y[m] = d[m + s − 1]·g0 + d[m + s]·g1,   g0 = w[q + 2], g1 = w[q],
 * and F(2, 2) gets two outputs of it from three inputs with three multiplications:
 *   v = (d0 − d1, d1, d2 − d1),  u = (g0, g0 + g1, g1),  y = (m0 + m1, m1 + m2),  m = u·v.
 * In two dimensions the 3×3 products of a tile are summed over input channels by nine GEMMs
 * per class, (K × C) weights by (C × tiles) transformed inputs. A task transforms a block
 * of tiles into packed GEMM panels, multiplies, and turns the sums into output pixels with
 * the bias and activation, so no intermediate array leaves the cache. */
#include "CFaceBLAS.h"
#include "sgemm_internal.h"

#include <stdlib.h>
#include <string.h>

/* The transforms are sums and differences whose rounding must not depend on the compiler's
 * choices. */
#pragma STDC FP_CONTRACT OFF

enum { CLASSES = 4, ELEMENTS = 9 };

/* Tiles per task block: two panels of the GEMM's B operand. */
enum { BLOCK_PANELS = 2, BLOCK_TILES = BLOCK_PANELS * NR };

/* Floats added after each of the nine packed input blocks and sum blocks, so that the nine
 * do not start at addresses a power of two apart. The transforms touch all nine at once,
 * and nine streams that map to the same cache set would evict one another. */
enum { ELEMENT_PAD = 16 };

/* Tasks per thread to aim for when the blocks of tiles are too few. */
enum { TASKS_PER_THREAD = 1 };

/* Output rows of the smallest channel group, in kernel panels. */
enum { MIN_GROUP_PANELS = 4 };

static long min_long(long a, long b) { return a < b ? a : b; }

/* Kernel tap q and input offset s of output parity `parity` (see the top of the file). */
static void class_offsets(long parity, long pad, long *q, long *s) {
  long sum = parity + pad;
  *q = sum & 1;
  *s = (sum - *q) / 2;
}

/* Writes Bᵀ·d·B, the transform of a 3×3 window d, to lane[e·element_stride] for the nine
 * elements e: rows (d0 − d1, d1, d2 − d1), then the same within each row. */
static inline void transform_window(const float d[3][3], float *lane, long element_stride) {
  float e[3][3];
  for (int j = 0; j < 3; j++) {
    e[0][j] = d[0][j] - d[1][j];
    e[1][j] = d[1][j];
    e[2][j] = d[2][j] - d[1][j];
  }
  for (int a = 0; a < 3; a++) {
    lane[(a * 3 + 0) * element_stride] = e[a][0] - e[a][1];
    lane[(a * 3 + 1) * element_stride] = e[a][1];
    lane[(a * 3 + 2) * element_stride] = e[a][2] - e[a][1];
  }
}

/* Returns Aᵀ·M·A, the 2×2 tile of a tile's nine sums, element e at m[e·stride]. */
static inline void transform_sums(const float *m, long stride, float out[2][2]) {
  float r[2][3];
  for (int j = 0; j < 3; j++) {
    float top = m[j * stride], middle = m[(3 + j) * stride], bottom = m[(6 + j) * stride];
    r[0][j] = top + middle;
    r[1][j] = middle + bottom;
  }
  for (int i = 0; i < 2; i++) {
    out[i][0] = r[i][0] + r[i][1];
    out[i][1] = r[i][1] + r[i][2];
  }
}

/* Splits `rows` rows of the packed weight into groups that start at panel boundaries, until
 * `tasks` times the group count reaches `target` or groups would get too small. Returns the
 * number of groups and sets *group_rows. */
static long split_rows(long rows, long tasks, long target, long *group_rows) {
  long row_panels = panels(rows, MR);
  long groups = 1;
  while (tasks * groups < target && panels(row_panels, groups * 2) >= MIN_GROUP_PANELS) {
    groups *= 2;
  }
  *group_rows = panels(row_panels, groups) * MR;
  return panels(rows, *group_rows);
}

size_t facesh_winograd_weight_count(long input_channels, long output_channels) {
  return (size_t)(CLASSES * ELEMENTS) *
         facesh_sgemm_packed_a_count(output_channels, input_channels);
}

void facesh_winograd_transform_weight(const float *weight, long input_channels,
                                      long output_channels, float *work, float *packed) {
  long C = input_channels, K = output_channels;
  size_t matrix = facesh_sgemm_packed_a_count(K, C);
  /* One set of nine matrices per pair of kernel tap parities (qy, qx): the class's kernel
   * rows are qy + 2 and qy, its columns qx + 2 and qx. `work` stores each matrix transposed,
   * C × K, so that the weight and `work` are both read and written in order. */
  for (long qy = 0; qy < 2; qy++) {
    for (long qx = 0; qx < 2; qx++) {
      for (long c = 0; c < C; c++) {
        for (long k = 0; k < K; k++) {
          const float *taps = weight + (c * K + k) * 16;
          float g[2][2] = {
            {taps[(qy + 2) * 4 + qx + 2], taps[(qy + 2) * 4 + qx]},
            {taps[qy * 4 + qx + 2], taps[qy * 4 + qx]},
          };
          float h[3][2];
          for (int j = 0; j < 2; j++) {
            h[0][j] = g[0][j];
            h[1][j] = g[0][j] + g[1][j];
            h[2][j] = g[1][j];
          }
          for (int a = 0; a < 3; a++) {
            float u[3] = {h[a][0], h[a][0] + h[a][1], h[a][1]};
            for (int b = 0; b < 3; b++) work[((a * 3 + b) * C + c) * K + k] = u[b];
          }
        }
      }
      for (int element = 0; element < ELEMENTS; element++) {
        facesh_sgemm_pack_a(1, K, C, work + element * C * K, K,
                            packed + ((qy * 2 + qx) * ELEMENTS + element) * matrix);
      }
    }
  }
}

long facesh_winograd_prepare(facesh_winograd_plan *plan) {
  plan->kernel = sgemm_best_kernel();
  /* Tile (ty, tx) covers the 4×4 output block from (4·ty, 4·tx): a 2×2 tile of each class. */
  plan->tiles_y = panels(plan->out_height, 4);
  plan->tiles_x = panels(plan->out_width, 4);
  long K = plan->output_channels;
  long tiles = plan->batch * plan->tiles_y * plan->tiles_x;
  if (K <= 0 || tiles <= 0 || plan->input_channels <= 0) {
    plan->blocks = plan->groups = 0;
    return 0;
  }
  plan->block_tiles = tiles > NR ? BLOCK_TILES : NR;
  plan->blocks = panels(tiles, plan->block_tiles);

  /* With too few blocks for the threads, a block's even and odd output rows go to separate
   * tasks. Two tasks that wrote even and odd columns instead would share every cache line.
   * Then the output channels are split into groups that start at panel boundaries of the
   * packed weight. Every output value is computed by the same operations however the work
   * is divided, so the division may depend on the thread count. */
  long target = plan->threads > 1 ? TASKS_PER_THREAD * plan->threads : 1;
  plan->halves = plan->blocks < target ? 2 : 1;
  plan->groups = split_rows(K, plan->blocks * plan->halves, target, &plan->group_rows);
  return plan->blocks * plan->halves * plan->groups;
}

/* A tile of the task's block: its sample, its 4×4 output block and how much of that block
 * lies inside the output. */
typedef struct {
  long sample;
  long row, column; /* output block origin, 4·ty and 4·tx */
  long output_offset; /* of the block origin, from the sample's first output plane */
  int rows, columns;  /* valid output rows and columns of the block, 1 to 4 */
} tile_place;

/* Writes the transformed inputs of class (sy, sx) for tiles [0, count) and channels
 * [depth, depth + kc) into nine packed B blocks of `block_panels` panels each, with zeros in
 * lanes past `count`. A tile's 3×3 window starts at input row 2·ty + sy − 1 and column
 * 2·tx + sx − 1. */
static void transform_input(const facesh_winograd_plan *plan, const tile_place *tiles,
                            long count, long sy, long sx, long block_panels, long depth,
                            long kc, float *packed) {
  long H = plan->height, W = plan->width;
  long plane = H * W;
  long element_stride = block_panels * NR * kc + ELEMENT_PAD;
  long lanes = block_panels * NR;
  long corners[BLOCK_TILES];
  int inside[BLOCK_TILES];
  for (long u = 0; u < count; u++) {
    long row = tiles[u].row / 2 + sy - 1, column = tiles[u].column / 2 + sx - 1;
    corners[u] = tiles[u].sample * plane + row * W + column;
    inside[u] = row >= 0 && row + 3 <= H && column >= 0 && column + 3 <= W;
  }
  for (long cc = 0; cc < kc; cc++) {
    const float *channel = plan->input + (depth + cc) * plan->batch * plane;
    float *lane_base = packed + cc * NR;
    for (long u = 0; u < lanes; u++) {
      float d[3][3];
      if (u >= count) {
        memset(d, 0, sizeof d);
      } else if (inside[u]) {
        const float *corner = channel + corners[u];
        for (int i = 0; i < 3; i++) {
          for (int j = 0; j < 3; j++) d[i][j] = corner[i * W + j];
        }
      } else {
        long row = tiles[u].row / 2 + sy - 1, column = tiles[u].column / 2 + sx - 1;
        const float *source = channel + tiles[u].sample * plane;
        for (int i = 0; i < 3; i++) {
          long y = row + i;
          for (int j = 0; j < 3; j++) {
            long x = column + j;
            d[i][j] = (y >= 0 && y < H && x >= 0 && x < W) ? source[y * W + x] : 0.0f;
          }
        }
      }
      transform_window(d, lane_base + (u / NR) * NR * kc + (u % NR), element_stride);
    }
  }
}


/* Turns the class's sums into output pixels: Y = Aᵀ·M·A for every tile, plus the bias,
 * then the activation. */
static void transform_output(const facesh_winograd_plan *plan, const tile_place *tiles,
                             long count, long py, long px, const float *sums, long rows,
                             long columns, long k_start, long k_end) {
  long P = plan->out_height, Q = plan->out_width;
  long channel_stride = plan->batch * P * Q;
  long stride = rows * columns + ELEMENT_PAD;
  /* Offsets of the class's four pixels in a tile, and which exist. */
  long pixel[4];
  for (int i = 0; i < 2; i++) {
    for (int j = 0; j < 2; j++) pixel[i * 2 + j] = (2 * i + py) * Q + 2 * j + px;
  }
  float values[4][BLOCK_TILES];
  for (long k = k_start; k < k_end; k++) {
    const float *m = sums + (k - k_start) * columns;
    float bias = plan->bias[k];
    for (long u = 0; u < count; u++) {
      float tile[2][2];
      transform_sums(m + u, stride, tile);
      for (int i = 0; i < 4; i++) values[i][u] = tile[i / 2][i % 2] + bias;
    }
    if (plan->activation != FACESH_ACTIVATION_NONE) {
      for (int i = 0; i < 4; i++) {
        facesh_apply_activation(plan->activation, plan->slope, values[i], count);
      }
    }
    float *channel = plan->output + k * channel_stride;
    for (long u = 0; u < count; u++) {
      float *block = channel + tiles[u].output_offset;
      if (tiles[u].rows == 4 && tiles[u].columns == 4) {
        for (int i = 0; i < 4; i++) block[pixel[i]] = values[i][u];
        continue;
      }
      for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++) {
          if (2 * i + py < tiles[u].rows && 2 * j + px < tiles[u].columns) {
            block[pixel[i * 2 + j]] = values[i * 2 + j][u];
          }
        }
      }
    }
  }
}

void facesh_winograd_run_task(const facesh_winograd_plan *plan, long task) {
  long group = task % plan->groups;
  long half = (task / plan->groups) % plan->halves;
  long block = task / (plan->groups * plan->halves);
  long C = plan->input_channels, K = plan->output_channels;
  long P = plan->out_height, Q = plan->out_width;
  long tiles_y = plan->tiles_y, tiles_x = plan->tiles_x;
  long first_tile = block * plan->block_tiles;
  long count = min_long(plan->block_tiles, plan->batch * tiles_y * tiles_x - first_tile);
  long block_panels = panels(count, NR);
  long columns = block_panels * NR;

  tile_place tiles[BLOCK_TILES];
  long tx = first_tile % tiles_x;
  long ty = (first_tile / tiles_x) % tiles_y;
  long b = first_tile / (tiles_x * tiles_y);
  for (long u = 0; u < count; u++) {
    tile_place *tile = &tiles[u];
    tile->sample = b;
    tile->row = 4 * ty;
    tile->column = 4 * tx;
    tile->output_offset = b * P * Q + tile->row * Q + tile->column;
    tile->rows = (int)min_long(4, P - tile->row);
    tile->columns = (int)min_long(4, Q - tile->column);
    if (++tx == tiles_x) {
      tx = 0;
      if (++ty == tiles_y) {
        ty = 0;
        b++;
      }
    }
  }

  long k_start = group * plan->group_rows;
  long k_end = min_long(K, k_start + plan->group_rows);
  long rows = panels(k_end - k_start, MR) * MR;
  long padded_k = panels(K, MR) * MR;
  size_t matrix = facesh_sgemm_packed_a_count(K, C);
  micro_kernel kernel = sgemm_kernel(plan->kernel);
  float *packed_input =
      sgemm_scratch(SCRATCH_B, (size_t)ELEMENTS * (columns * KC + ELEMENT_PAD));
  float *sums = sgemm_scratch(SCRATCH_COLUMNS, (size_t)ELEMENTS * (rows * columns + ELEMENT_PAD));

  long first_class = plan->halves == 2 ? half * 2 : 0;
  long end_class = plan->halves == 2 ? first_class + 2 : CLASSES;
  for (long cls = first_class; cls < end_class; cls++) {
    long py = cls / 2, px = cls % 2;
    long qy, sy, qx, sx;
    class_offsets(py, plan->pad_y, &qy, &sy);
    class_offsets(px, plan->pad_x, &qx, &sx);
    /* The weight matrices are stored by the class's kernel tap parities. */
    const float *class_weight = plan->packed_weight + (qy * 2 + qx) * ELEMENTS * matrix;
    for (long depth = 0; depth < C; depth += KC) {
      long kc = min_long(KC, C - depth);
      int mode = depth == 0 ? STORE_OVERWRITE : STORE_ADD;
      transform_input(plan, tiles, count, sy, sx, block_panels, depth, kc, packed_input);
      for (int element = 0; element < ELEMENTS; element++) {
        const float *weight_block = class_weight + element * matrix + depth * padded_k;
        const float *input_block = packed_input + element * (columns * kc + ELEMENT_PAD);
        float *element_sums = sums + element * (rows * columns + ELEMENT_PAD);
        for (long row = 0; row < rows; row += MR) {
          const float *a_panel = weight_block + (k_start + row) * kc;
          for (long panel = 0; panel < block_panels; panel++) {
            kernel(kc, a_panel, input_block + panel * NR * kc,
                   element_sums + row * columns + panel * NR, columns, 1.0f, 0.0f, mode);
          }
        }
      }
    }
    transform_output(plan, tiles, count, py, px, sums, rows, columns, k_start, k_end);
  }
}

/* ---- Input gradient ----
 *
 * The backward pass's input gradient, dX[c, iy, ix] = Σ W[c, k, ky, kx]·dY[k, oy, ox] over
 * the taps with oy = 2·iy − pad_y + ky and ox = 2·ix − pad_x + kx, splits over the same four
 * classes of output pixels. Class (py, px), subsampled to dYc[k, m, n] = dY[k, 2m + py,
 * 2n + px], reaches input row iy from class rows iy − s (tap q) and iy − s + 1 (tap q + 2):
 *   dX[iy] = Σ over classes and k of  dYc[iy − s]·h0 + dYc[iy − s + 1]·h1,
 *   h0 = W[q], h1 = W[q + 2],
 * in each direction. That is again a 2×2 correlation, and F(2×2, 2×2) computes a 2×2 tile
 * of dX from a 3×3 tile of each class. All four classes land in the same tiles of dX, so
 * one GEMM per tile element sums over classes and output channels together: depth 4·K. */

static long backward_depth(long output_channels) { return CLASSES * output_channels; }

size_t facesh_winograd_backward_weight_count(long input_channels, long output_channels) {
  return (size_t)ELEMENTS *
         facesh_sgemm_packed_a_count(input_channels, backward_depth(output_channels));
}

void facesh_winograd_transform_weight_backward(const float *weight, long input_channels,
                                               long output_channels, float *work,
                                               float *packed) {
  long C = input_channels, K = output_channels, D = backward_depth(K);
  /* `work` stores matrix e as C rows of D = 4·K values, depth index class·K + k. */
  for (long c = 0; c < C; c++) {
    /* Depth index (2·qy + qx)·K + k: the class whose kernel tap parities are (qy, qx). */
    for (long cls = 0; cls < CLASSES; cls++) {
      long qy = cls / 2, qx = cls % 2;
      for (long k = 0; k < K; k++) {
        const float *taps = weight + (c * K + k) * 16;
        float h[2][2] = {
          {taps[qy * 4 + qx], taps[qy * 4 + qx + 2]},
          {taps[(qy + 2) * 4 + qx], taps[(qy + 2) * 4 + qx + 2]},
        };
        float rows[3][2];
        for (int j = 0; j < 2; j++) {
          rows[0][j] = h[0][j];
          rows[1][j] = h[0][j] + h[1][j];
          rows[2][j] = h[1][j];
        }
        for (int a = 0; a < 3; a++) {
          float u[3] = {rows[a][0], rows[a][0] + rows[a][1], rows[a][1]};
          for (int b = 0; b < 3; b++) work[((a * 3 + b) * C + c) * D + cls * K + k] = u[b];
        }
      }
    }
  }
  size_t matrix = facesh_sgemm_packed_a_count(C, D);
  for (int element = 0; element < ELEMENTS; element++) {
    facesh_sgemm_pack_a(0, C, D, work + element * C * D, D, packed + element * matrix);
  }
}

long facesh_winograd_backward_prepare(facesh_winograd_backward_plan *plan) {
  plan->kernel = sgemm_best_kernel();
  plan->tiles_y = panels(plan->height, 2);
  plan->tiles_x = panels(plan->width, 2);
  long C = plan->input_channels;
  long tiles = plan->batch * plan->tiles_y * plan->tiles_x;
  if (C <= 0 || tiles <= 0 || plan->output_channels <= 0) {
    plan->blocks = plan->groups = 0;
    return 0;
  }
  plan->block_tiles = tiles > NR ? BLOCK_TILES : NR;
  plan->blocks = panels(tiles, plan->block_tiles);
  /* Split the input channels into groups when there are too few blocks for the threads.
   * Each value is computed by the same operations however the work is divided. */
  long target = plan->threads > 1 ? TASKS_PER_THREAD * plan->threads : 1;
  plan->groups = split_rows(C, plan->blocks, target, &plan->group_rows);
  return plan->blocks * plan->groups;
}

/* A tile of dX: its sample and the origin of its 2×2 block of pixels. */
typedef struct {
  long sample, row, column;
} gradient_tile;

/* Writes the transformed output gradient of depth indices [depth, depth + kc) for tiles
 * [0, count) into nine packed B blocks, with zeros in lanes past `count`. Depth index
 * (2·qy + qx)·K + k is output channel k of the class whose kernel tap parities are (qy, qx),
 * in the order of the weight's depth. */
static void transform_gradient(const facesh_winograd_backward_plan *plan,
                               const gradient_tile *tiles, long count, long block_panels,
                               long depth, long kc, float *packed) {
  long K = plan->output_channels;
  long P = plan->out_height, Q = plan->out_width;
  long element_stride = block_panels * NR * kc + ELEMENT_PAD;
  long lanes = block_panels * NR;
  for (long dd = 0; dd < kc; dd++) {
    long index = depth + dd;
    long taps = index / K, k = index % K;
    /* q = (p + pad) mod 2, so p = (q + pad) mod 2. */
    long py = (taps / 2 + plan->pad_y) & 1, px = (taps % 2 + plan->pad_x) & 1;
    long qy, sy, qx, sx;
    class_offsets(py, plan->pad_y, &qy, &sy);
    class_offsets(px, plan->pad_x, &qx, &sx);
    /* Rows and columns of the class: dY rows 2m + py < P. */
    long class_rows = P > py ? (P - py + 1) / 2 : 0;
    long class_columns = Q > px ? (Q - px + 1) / 2 : 0;
    float *lane_base = packed + dd * NR;
    for (long u = 0; u < lanes; u++) {
      float d[3][3];
      if (u >= count) {
        memset(d, 0, sizeof d);
      } else {
        const float *source = plan->gradient + (k * plan->batch + tiles[u].sample) * P * Q;
        long m0 = tiles[u].row - sy, n0 = tiles[u].column - sx;
        for (int i = 0; i < 3; i++) {
          long m = m0 + i;
          int row_inside = m >= 0 && m < class_rows;
          const float *row = source + (2 * m + py) * Q + px;
          for (int j = 0; j < 3; j++) {
            long n = n0 + j;
            d[i][j] = row_inside && n >= 0 && n < class_columns ? row[2 * n] : 0.0f;
          }
        }
      }
      transform_window(d, lane_base + (u / NR) * NR * kc + (u % NR), element_stride);
    }
  }
}

void facesh_winograd_backward_run_task(const facesh_winograd_backward_plan *plan, long task) {
  long group = task % plan->groups;
  long block = task / plan->groups;
  long C = plan->input_channels, D = backward_depth(plan->output_channels);
  long H = plan->height, W = plan->width;
  long tiles_y = plan->tiles_y, tiles_x = plan->tiles_x;
  long first_tile = block * plan->block_tiles;
  long count = min_long(plan->block_tiles, plan->batch * tiles_y * tiles_x - first_tile);
  long block_panels = panels(count, NR);
  long columns = block_panels * NR;

  gradient_tile tiles[BLOCK_TILES];
  long tx = first_tile % tiles_x;
  long ty = (first_tile / tiles_x) % tiles_y;
  long b = first_tile / (tiles_x * tiles_y);
  for (long u = 0; u < count; u++) {
    tiles[u] = (gradient_tile){b, 2 * ty, 2 * tx};
    if (++tx == tiles_x) {
      tx = 0;
      if (++ty == tiles_y) {
        ty = 0;
        b++;
      }
    }
  }

  long c_start = group * plan->group_rows;
  long c_end = min_long(C, c_start + plan->group_rows);
  long rows = panels(c_end - c_start, MR) * MR;
  long padded_c = panels(C, MR) * MR;
  size_t matrix = facesh_sgemm_packed_a_count(C, D);
  micro_kernel kernel = sgemm_kernel(plan->kernel);
  float *packed_input =
      sgemm_scratch(SCRATCH_B, (size_t)ELEMENTS * (columns * KC + ELEMENT_PAD));
  float *sums = sgemm_scratch(SCRATCH_COLUMNS, (size_t)ELEMENTS * (rows * columns + ELEMENT_PAD));

  for (long depth = 0; depth < D; depth += KC) {
    long kc = min_long(KC, D - depth);
    int mode = depth == 0 ? STORE_OVERWRITE : STORE_ADD;
    transform_gradient(plan, tiles, count, block_panels, depth, kc, packed_input);
    for (int element = 0; element < ELEMENTS; element++) {
      const float *weight_block = plan->packed_weight + element * matrix + depth * padded_c;
      const float *input_block = packed_input + element * (columns * kc + ELEMENT_PAD);
      float *element_sums = sums + element * (rows * columns + ELEMENT_PAD);
      for (long row = 0; row < rows; row += MR) {
        const float *a_panel = weight_block + (c_start + row) * kc;
        for (long panel = 0; panel < block_panels; panel++) {
          kernel(kc, a_panel, input_block + panel * NR * kc,
                 element_sums + row * columns + panel * NR, columns, 1.0f, 0.0f, mode);
        }
      }
    }
  }

  /* Output transform: the 2×2 block of dX of every tile. */
  long stride = rows * columns + ELEMENT_PAD;
  for (long c = c_start; c < c_end; c++) {
    const float *m = sums + (c - c_start) * columns;
    for (long u = 0; u < count; u++) {
      float values[2][2];
      transform_sums(m + u, stride, values);
      float *plane = plan->input_gradient + (c * plan->batch + tiles[u].sample) * H * W;
      for (int i = 0; i < 2; i++) {
        long iy = tiles[u].row + i;
        if (iy >= H) continue;
        for (int j = 0; j < 2; j++) {
          long ix = tiles[u].column + j;
          if (ix < W) plane[iy * W + ix] = values[i][j];
        }
      }
    }
  }
}
