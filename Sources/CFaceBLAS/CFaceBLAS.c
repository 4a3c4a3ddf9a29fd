#include "CFaceBLAS.h"

#include <malloc.h>

void facesh_keep_large_allocations(void) {
#ifdef M_MMAP_THRESHOLD
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

#include <stdint.h>
#include <string.h>

/* e^x for x already clamped to [-87.3, 88.3]: x = k ln 2 + r, |r| <= ln 2 / 2. */
static inline float clamped_exp(float x) {
  /* Adding and subtracting 1.5 * 2^23 rounds to the nearest integer in float arithmetic. */
  float k = (x * 1.44269504f + 12582912.0f) - 12582912.0f;
  float r = x - k * 0.693359375f + k * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  uint32_t bits = (uint32_t)((int32_t)k + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

static inline float clamp_exponent(float x) {
  x = x < -87.3f ? -87.3f : x;
  return x > 88.3f ? 88.3f : x;
}

void facesh_relu(float *values, long count) {
  for (long i = 0; i < count; i++) {
    float x = values[i];
    values[i] = x < 0.0f ? 0.0f : x;
  }
}

void facesh_leaky_relu(float *values, long count, float slope) {
  for (long i = 0; i < count; i++) {
    float x = values[i];
    values[i] = x < 0.0f ? x * slope : x;
  }
}

void facesh_sigmoid(float *values, long count) {
  for (long i = 0; i < count; i++) {
    float x = values[i];
    float y = 1.0f / (1.0f + clamped_exp(clamp_exponent(-x)));
    values[i] = x != x ? x : y;
  }
}

void facesh_tanh(float *values, long count) {
  for (long i = 0; i < count; i++) {
    float x = values[i];
    /* tanh(x) = 1 - 2 / (1 + e^{2x}); the absolute error stays near float rounding. */
    float y = 1.0f - 2.0f / (1.0f + clamped_exp(clamp_exponent(2.0f * x)));
    values[i] = x != x ? x : y;
  }
}

void facesh_relu_backward(float *gradient, const float *output, long count) {
  for (long i = 0; i < count; i++) gradient[i] = output[i] <= 0.0f ? 0.0f : gradient[i];
}

void facesh_leaky_relu_backward(float *gradient, const float *input, long count, float slope) {
  for (long i = 0; i < count; i++) {
    gradient[i] = input[i] < 0.0f ? gradient[i] * slope : gradient[i];
  }
}

void facesh_sigmoid_backward(float *gradient, const float *output, long count) {
  for (long i = 0; i < count; i++) gradient[i] *= output[i] * (1.0f - output[i]);
}

void facesh_tanh_backward(float *gradient, const float *output, long count) {
  for (long i = 0; i < count; i++) gradient[i] *= 1.0f - output[i] * output[i];
}

/* 32 running sums, one per residue of the index modulo 32, so that the compiler can keep
 * them in vector registers. The order of additions depends only on `count`. */
float facesh_sum(const float *values, long count) {
  float sums[32] = {0};
  long i = 0;
  for (; i + 32 <= count; i += 32) {
    for (int j = 0; j < 32; j++) sums[j] += values[i + j];
  }
  for (int j = 0; i + j < count; j++) sums[j] += values[i + j];
  for (int width = 16; width >= 1; width /= 2) {
    for (int j = 0; j < width; j++) sums[j] += sums[j + width];
  }
  return sums[0];
}
