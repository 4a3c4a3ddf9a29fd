#include <stdlib.h>

#include "CFaceImage.h"

void cfi_free(void *pointer) { free(pointer); }
