// JPEG decoding through libjpeg-turbo, from memory, with the EXIF orientation tag read out.

#include <setjmp.h>
#include <stdio.h> // jpeglib.h needs FILE and size_t declared first

#include <jerror.h>
#include <jpeglib.h>

#include "cfi_internal.h"

// libjpeg calls `error_exit` through `cinfo->err`, so the standard manager must come first
// and the handler can cast back to this struct to find the jump target and message buffer.
typedef struct {
  struct jpeg_error_mgr base;
  jmp_buf jump;
  char *message;
} jpeg_errors;

// Per-call state, on the heap, holding everything that changes after `setjmp`.
typedef struct {
  struct jpeg_decompress_struct info;
  jpeg_errors errors;
  int created;
  int status;
  uint8_t *pixels;
  uint8_t *cmyk_row;
} jpeg_context;

static void on_jpeg_error(j_common_ptr info) {
  jpeg_errors *errors = (jpeg_errors *)info->err;
  char text[JMSG_LENGTH_MAX];
  errors->base.format_message(info, text);
  snprintf(errors->message, CFI_MESSAGE_CAPACITY, "invalid JPEG data (libjpeg: %s)", text);
  longjmp(errors->jump, 1);
}

// Drops warnings, except that running out of data is fatal: libjpeg would otherwise pad
// the rest of the image with gray and report success.
static void on_jpeg_message(j_common_ptr info, int level) {
  jpeg_errors *errors = (jpeg_errors *)info->err;
  if (level < 0 && errors->base.msg_code == JWRN_JPEG_EOF) {
    snprintf(errors->message, CFI_MESSAGE_CAPACITY,
             "the file is truncated (premature end of JPEG data)");
    longjmp(errors->jump, 1);
  }
}

static void on_jpeg_output(j_common_ptr info) { (void)info; }

static unsigned read_u16(const uint8_t *p, int little_endian) {
  return little_endian ? (unsigned)(p[0] | p[1] << 8) : (unsigned)(p[0] << 8 | p[1]);
}

static uint32_t read_u32(const uint8_t *p, int little_endian) {
  return little_endian
             ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
             : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

// Returns the Orientation tag (0x0112) of IFD0 in an "Exif\0\0" APP1 segment, or 1.
// The segment contains a TIFF header: byte order "II" or "MM", the number 42, and the offset
// of IFD0, whose 12-byte entries are tag, type, count and a 4-byte value field.
static int exif_orientation(j_decompress_ptr info) {
  for (jpeg_saved_marker_ptr marker = info->marker_list; marker; marker = marker->next) {
    if (marker->marker != JPEG_APP0 + 1 || marker->data_length < 6 + 8 ||
        memcmp(marker->data, "Exif\0\0", 6) != 0) {
      continue;
    }
    const uint8_t *tiff = marker->data + 6;
    size_t size = marker->data_length - 6;
    int little_endian;
    if (tiff[0] == 'I' && tiff[1] == 'I') {
      little_endian = 1;
    } else if (tiff[0] == 'M' && tiff[1] == 'M') {
      little_endian = 0;
    } else {
      continue;
    }
    if (read_u16(tiff + 2, little_endian) != 42) {
      continue;
    }
    size_t ifd = read_u32(tiff + 4, little_endian);
    if (ifd + 2 > size) {
      continue;
    }
    unsigned entry_count = read_u16(tiff + ifd, little_endian);
    for (unsigned i = 0; i < entry_count; i++) {
      size_t entry = ifd + 2 + 12 * (size_t)i;
      if (entry + 12 > size) {
        break;
      }
      // A SHORT value with count 1 sits in the first two bytes of the value field.
      if (read_u16(tiff + entry, little_endian) == 0x0112 &&
          read_u16(tiff + entry + 2, little_endian) == 3) {
        unsigned orientation = read_u16(tiff + entry + 8, little_endian);
        return orientation >= 1 && orientation <= 8 ? (int)orientation : 1;
      }
    }
  }
  return 1;
}

// Converts one row of CMYK samples to RGB. Adobe applications store CMYK inverted
// (0 means full ink) and mark such files with an APP14 segment; other files store ink
// amounts directly.
static void cmyk_to_rgb(const uint8_t *cmyk, uint8_t *rgb, size_t width, int inverted) {
  for (size_t x = 0; x < width; x++) {
    unsigned k = inverted ? cmyk[4 * x + 3] : 255u - cmyk[4 * x + 3];
    for (int c = 0; c < 3; c++) {
      unsigned ink = inverted ? cmyk[4 * x + c] : 255u - cmyk[4 * x + c];
      rgb[3 * x + c] = (uint8_t)((ink * k + 127) / 255);
    }
  }
}

int cfi_jpeg_decode(const uint8_t *bytes, size_t count, int max_side, cfi_image *out,
                    char *message) {
  memset(out, 0, sizeof *out);
  out->orientation = 1;
  jpeg_context *context = calloc(1, sizeof *context);
  if (context == NULL) {
    return cfi_fail(message, CFI_ERROR_MEMORY, "out of memory");
  }
  j_decompress_ptr info = &context->info;
  context->status = CFI_ERROR_DATA;
  context->errors.message = message;
  info->err = jpeg_std_error(&context->errors.base);
  context->errors.base.error_exit = on_jpeg_error;
  context->errors.base.emit_message = on_jpeg_message;
  context->errors.base.output_message = on_jpeg_output;
  if (setjmp(context->errors.jump) != 0) {
    goto cleanup;
  }

  jpeg_create_decompress(info);
  context->created = 1;
  jpeg_mem_src(info, bytes, (unsigned long)count);
  jpeg_save_markers(info, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(info, TRUE);
  if (info->image_width > (JDIMENSION)max_side || info->image_height > (JDIMENSION)max_side) {
    context->status = cfi_fail(message, CFI_ERROR_TOO_LARGE,
                               "the image is %ux%u pixels, larger than the %dx%d limit",
                               (unsigned)info->image_width, (unsigned)info->image_height,
                               max_side, max_side);
    goto cleanup;
  }
  out->orientation = exif_orientation(info);

  // libjpeg-turbo converts grayscale, YCbCr and RGB to RGB itself, and YCCK to CMYK.
  int cmyk = info->jpeg_color_space == JCS_CMYK || info->jpeg_color_space == JCS_YCCK;
  info->out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_start_decompress(info);
  size_t width = info->output_width;
  size_t height = info->output_height;
  if (info->output_components != (cmyk ? 4 : 3)) {
    context->status = cfi_fail(message, CFI_ERROR_UNSUPPORTED,
                               "unsupported JPEG colour layout (%d components)",
                               info->output_components);
    goto cleanup;
  }
  context->pixels = malloc(width * height * 3);
  context->cmyk_row = cmyk ? malloc(width * 4) : NULL;
  if (context->pixels == NULL || (cmyk && context->cmyk_row == NULL)) {
    context->status = cfi_fail(message, CFI_ERROR_MEMORY, "out of memory for %zux%zu pixels",
                               width, height);
    goto cleanup;
  }
  while (info->output_scanline < height) {
    uint8_t *rgb = context->pixels + (size_t)info->output_scanline * width * 3;
    JSAMPROW row = cmyk ? context->cmyk_row : rgb;
    jpeg_read_scanlines(info, &row, 1);
    if (cmyk) {
      cmyk_to_rgb(context->cmyk_row, rgb, width, info->saw_Adobe_marker);
    }
  }
  jpeg_finish_decompress(info);

  out->pixels = context->pixels;
  out->width = (int)width;
  out->height = (int)height;
  context->pixels = NULL;
  context->status = CFI_OK;

cleanup:;
  int status = context->status;
  if (context->created) {
    jpeg_destroy_decompress(info);
  }
  free(context->pixels);
  free(context->cmyk_row);
  free(context);
  return status;
}
