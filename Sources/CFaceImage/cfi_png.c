// PNG decoding and encoding through libpng, from and to memory.

#include <png.h>
#include <setjmp.h>

#include "cfi_internal.h"

// Per-call state. It lives on the heap and everything that changes after `setjmp` is kept
// here, so its values are still valid after libpng's error handler longjmps back.
typedef struct {
  jmp_buf jump;
  char *message;
  int status;
  int truncated; // set by the read callback before it raises an error
  png_structp png;
  png_infop info;
  const uint8_t *input;
  size_t input_count;
  size_t input_offset;
  uint8_t *pixels;
  png_bytep *rows;
  png_textp texts;
  cfi_growable output;
} png_context;

static void on_png_error(png_structp png, png_const_charp text) {
  png_context *context = png_get_error_ptr(png);
  if (context->truncated) {
    snprintf(context->message, CFI_MESSAGE_CAPACITY, "the file is truncated (%s)", text);
  } else {
    snprintf(context->message, CFI_MESSAGE_CAPACITY, "invalid PNG data (libpng: %s)", text);
  }
  longjmp(context->jump, 1);
}

static void on_png_warning(png_structp png, png_const_charp text) {
  (void)png;
  (void)text;
}

static void read_from_memory(png_structp png, png_bytep data, size_t length) {
  png_context *context = png_get_io_ptr(png);
  if (length > context->input_count - context->input_offset) {
    context->truncated = 1;
    png_error(png, "unexpected end of PNG data");
  }
  memcpy(data, context->input + context->input_offset, length);
  context->input_offset += length;
}

static void write_to_memory(png_structp png, png_bytep data, size_t length) {
  png_context *context = png_get_io_ptr(png);
  cfi_append(&context->output, data, length);
  if (context->output.failed) {
    png_error(png, "out of memory");
  }
}

static void flush_nothing(png_structp png) { (void)png; }

// Blends RGBA pixels over `background` and packs them to RGB in place. The write position
// 3i + 2 stays below the next read position 4i + 4, so no unread sample is overwritten.
static void composite_over(uint8_t *pixels, size_t pixel_count, const uint8_t *background) {
  for (size_t i = 0; i < pixel_count; i++) {
    const uint8_t *source = pixels + 4 * i;
    unsigned alpha = source[3];
    uint8_t blended[3];
    for (int c = 0; c < 3; c++) {
      blended[c] = (uint8_t)((source[c] * alpha + background[c] * (255 - alpha) + 127) / 255);
    }
    memcpy(pixels + 3 * i, blended, 3);
  }
}

// Sets the libpng transformations that turn any PNG into 8-bit RGB or RGBA rows.
static void request_rgb8(png_structp png, png_infop info) {
  int depth = png_get_bit_depth(png, info);
  int color_type = png_get_color_type(png, info);
  if (color_type == PNG_COLOR_TYPE_PALETTE) {
    png_set_palette_to_rgb(png);
  }
  if (color_type == PNG_COLOR_TYPE_GRAY && depth < 8) {
    png_set_expand_gray_1_2_4_to_8(png);
  }
  // A tRNS chunk becomes an alpha channel; palette entries past its end stay opaque.
  if (png_get_valid(png, info, PNG_INFO_tRNS)) {
    png_set_tRNS_to_alpha(png);
  }
  // Samples are stored big-endian; scaling rounds to nearest (0x12F0 -> 0x13), where
  // png_set_strip_16 would truncate.
  if (depth == 16) {
    png_set_scale_16(png);
  }
  if ((color_type & PNG_COLOR_MASK_COLOR) == 0) {
    png_set_gray_to_rgb(png);
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
}

int cfi_png_decode(const uint8_t *bytes, size_t count, const uint8_t *background, int max_side,
                   cfi_image *out, char *message) {
  memset(out, 0, sizeof *out);
  out->orientation = 1;
  if (count < 8 || png_sig_cmp(bytes, 0, 8) != 0) {
    return cfi_fail(message, CFI_ERROR_DATA, "not a PNG file (the signature is missing)");
  }
  png_context *context = calloc(1, sizeof *context);
  if (context == NULL) {
    return cfi_fail(message, CFI_ERROR_MEMORY, "out of memory");
  }
  context->message = message;
  context->status = CFI_ERROR_DATA;
  context->input = bytes;
  context->input_count = count;
  if (setjmp(context->jump) != 0) {
    goto cleanup;
  }

  context->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, context, on_png_error,
                                        on_png_warning);
  context->info = context->png ? png_create_info_struct(context->png) : NULL;
  if (context->info == NULL) {
    context->status = cfi_fail(message, CFI_ERROR_MEMORY, "out of memory");
    goto cleanup;
  }
  png_structp png = context->png;
  png_infop info = context->info;

  // The limit below gives a clearer message than libpng's own user limits.
  png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
  png_set_read_fn(png, context, read_from_memory);
  png_read_info(png, info);
  png_uint_32 width = png_get_image_width(png, info);
  png_uint_32 height = png_get_image_height(png, info);
  if (width > (png_uint_32)max_side || height > (png_uint_32)max_side) {
    context->status = cfi_fail(message, CFI_ERROR_TOO_LARGE,
                               "the image is %ux%u pixels, larger than the %dx%d limit",
                               (unsigned)width, (unsigned)height, max_side, max_side);
    goto cleanup;
  }

  request_rgb8(png, info);
  size_t channels = png_get_channels(png, info);
  size_t row_bytes = png_get_rowbytes(png, info);
  if ((channels != 3 && channels != 4) || row_bytes != width * channels) {
    context->status = cfi_fail(message, CFI_ERROR_UNSUPPORTED,
                               "unexpected PNG layout after conversion (%zu channels)", channels);
    goto cleanup;
  }
  context->pixels = malloc(row_bytes * height);
  context->rows = malloc(sizeof(png_bytep) * height);
  if (context->pixels == NULL || context->rows == NULL) {
    context->status = cfi_fail(message, CFI_ERROR_MEMORY, "out of memory for %ux%u pixels",
                               (unsigned)width, (unsigned)height);
    goto cleanup;
  }
  for (png_uint_32 y = 0; y < height; y++) {
    context->rows[y] = context->pixels + y * row_bytes;
  }
  png_read_image(png, context->rows);
  png_read_end(png, NULL);

  if (channels == 4) {
    composite_over(context->pixels, (size_t)width * height, background);
    uint8_t *packed = realloc(context->pixels, (size_t)width * height * 3);
    if (packed != NULL) {
      context->pixels = packed;
    }
  }
  out->pixels = context->pixels;
  out->width = (int)width;
  out->height = (int)height;
  context->pixels = NULL;
  context->status = CFI_OK;

cleanup:;
  int status = context->status;
  if (context->png != NULL) {
    png_destroy_read_struct(&context->png, context->info ? &context->info : NULL, NULL);
  }
  free(context->pixels);
  free(context->rows);
  free(context);
  return status;
}

static int is_ascii(const char *text) {
  for (; *text != '\0'; text++) {
    if ((unsigned char)*text >= 0x80) {
      return 0;
    }
  }
  return 1;
}

int cfi_png_encode(const uint8_t *pixels, int width, int height, const char *const *keys,
                   const char *const *values, int text_count, cfi_buffer *out, char *message) {
  memset(out, 0, sizeof *out);
  png_context *context = calloc(1, sizeof *context);
  if (context == NULL) {
    return cfi_fail(message, CFI_ERROR_MEMORY, "out of memory");
  }
  context->message = message;
  context->status = CFI_ERROR_DATA;
  if (setjmp(context->jump) != 0) {
    goto cleanup;
  }

  context->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, context, on_png_error,
                                         on_png_warning);
  context->info = context->png ? png_create_info_struct(context->png) : NULL;
  if (context->info == NULL) {
    context->status = cfi_fail(message, CFI_ERROR_MEMORY, "out of memory");
    goto cleanup;
  }
  png_structp png = context->png;
  png_infop info = context->info;
  png_set_write_fn(png, context, write_to_memory, flush_nothing);
  png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);

  // Text chunks go before the image data, where readers that stop early still see them.
  if (text_count > 0) {
    context->texts = calloc((size_t)text_count, sizeof(png_text));
    if (context->texts == NULL) {
      context->status = cfi_fail(message, CFI_ERROR_MEMORY, "out of memory");
      goto cleanup;
    }
    for (int i = 0; i < text_count; i++) {
      png_textp text = &context->texts[i];
      text->key = (png_charp)keys[i];
      text->text = (png_charp)values[i];
      text->text_length = strlen(values[i]);
      text->compression =
          is_ascii(values[i]) ? PNG_TEXT_COMPRESSION_NONE : PNG_ITXT_COMPRESSION_NONE;
      text->lang = (png_charp) "";
      text->lang_key = (png_charp) "";
    }
    png_set_text(png, info, context->texts, text_count);
  }

  png_write_info(png, info);
  for (int y = 0; y < height; y++) {
    png_write_row(png, pixels + (size_t)y * (size_t)width * 3);
  }
  png_write_end(png, NULL);
  out->bytes = context->output.bytes;
  out->count = context->output.count;
  context->output.bytes = NULL;
  context->status = CFI_OK;

cleanup:;
  int status = context->status;
  if (context->png != NULL) {
    png_destroy_write_struct(&context->png, context->info ? &context->info : NULL);
  }
  free(context->texts);
  free(context->output.bytes);
  free(context);
  return status;
}
