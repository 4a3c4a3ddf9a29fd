/* One Adam step over a range of a tensor, in C so that the compiler vectorizes it. */
#include "CFaceBLAS.h"

#include <math.h>

/* Every multiply and add rounds on its own, as in Swift, so the weights do not depend on
 * whether the compiler would fuse them into FMAs. */
#pragma STDC FP_CONTRACT OFF

void facesh_adam_update(float *values, float *first_moment, float *second_moment,
                        const float *gradient, long count, float beta1, float beta2,
                        float epsilon, float rate, float correction2) {
  const float one_minus_beta1 = 1 - beta1, one_minus_beta2 = 1 - beta2;
  for (long i = 0; i < count; i++) {
    float g = gradient[i];
    float m = beta1 * first_moment[i] + one_minus_beta1 * g;
    float s = beta2 * second_moment[i] + one_minus_beta2 * g * g;
    first_moment[i] = m;
    second_moment[i] = s;
    values[i] -= rate * m / (sqrtf(s / correction2) + epsilon);
  }
}
