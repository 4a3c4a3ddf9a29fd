#include "CFaceBLAS.h"

#include <malloc.h>

void facesh_keep_large_allocations(void) {
#ifdef M_MMAP_THRESHOLD
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}
