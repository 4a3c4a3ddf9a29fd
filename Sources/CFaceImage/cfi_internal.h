#ifndef CFI_INTERNAL_H
#define CFI_INTERNAL_H

// Helpers shared by the codec files; not part of the public header.

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "CFaceImage.h"

// Writes a printf-style message into `message` (CFI_MESSAGE_CAPACITY bytes) and returns
// `code`, so error paths read `return cfi_fail(message, CFI_ERROR_DATA, "...")`.
static inline int cfi_fail(char *message, int code, const char *format, ...) {
  va_list arguments;
  va_start(arguments, format);
  vsnprintf(message, CFI_MESSAGE_CAPACITY, format, arguments);
  va_end(arguments);
  return code;
}

// A byte buffer that doubles its capacity as encoders append to it.
typedef struct {
  uint8_t *bytes;
  size_t count;
  size_t capacity;
  int failed; // set when an allocation failed; later appends are ignored
} cfi_growable;

static inline void cfi_append(cfi_growable *buffer, const uint8_t *bytes, size_t count) {
  if (buffer->failed) {
    return;
  }
  if (buffer->count + count > buffer->capacity) {
    size_t capacity = buffer->capacity < 4096 ? 4096 : buffer->capacity;
    while (capacity < buffer->count + count) {
      capacity *= 2;
    }
    uint8_t *grown = realloc(buffer->bytes, capacity);
    if (grown == NULL) {
      buffer->failed = 1;
      return;
    }
    buffer->bytes = grown;
    buffer->capacity = capacity;
  }
  memcpy(buffer->bytes + buffer->count, bytes, count);
  buffer->count += count;
}

#endif
