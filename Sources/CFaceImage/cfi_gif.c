// Animated GIF encoding: libimagequant picks the colours, giflib writes the file to memory.

#include <gif_lib.h>
#include <libimagequant.h>

#include "cfi_internal.h"

// Per-call state, released in one place by `finish`.
typedef struct {
  liq_attr *attr;
  liq_histogram *histogram;
  liq_result *result;
  liq_image *image;
  uint8_t *rgba;
  uint8_t *indices;
  ColorMapObject *color_map;
  GifFileType *gif;
  cfi_growable output;
} gif_context;

static int write_to_memory(GifFileType *gif, const GifByteType *bytes, int count) {
  cfi_growable *output = gif->UserData;
  cfi_append(output, bytes, (size_t)count);
  return output->failed ? 0 : count;
}

// Creates an opaque RGBA copy of one RGB frame in `context->rgba` and wraps it in a
// libimagequant image, which reads the buffer without copying it.
static liq_image *make_image(gif_context *context, const uint8_t *rgb, int width, int height) {
  size_t pixel_count = (size_t)width * (size_t)height;
  for (size_t i = 0; i < pixel_count; i++) {
    memcpy(context->rgba + 4 * i, rgb + 3 * i, 3);
    context->rgba[4 * i + 3] = 255;
  }
  return liq_image_create_rgba(context->attr, context->rgba, width, height, 0);
}

// Copies a libimagequant palette into a giflib colour map, whose size must be a power of
// two from 2 to 256; unused entries stay black.
static ColorMapObject *make_color_map(const liq_palette *palette) {
  int size = 2;
  while (size < (int)palette->count) {
    size *= 2;
  }
  ColorMapObject *map = GifMakeMapObject(size, NULL);
  if (map == NULL) {
    return NULL;
  }
  memset(map->Colors, 0, sizeof(GifColorType) * (size_t)size);
  for (unsigned i = 0; i < palette->count; i++) {
    map->Colors[i].Red = palette->entries[i].r;
    map->Colors[i].Green = palette->entries[i].g;
    map->Colors[i].Blue = palette->entries[i].b;
  }
  return map;
}

// Writes the NETSCAPE2.0 application extension: sub-block 1 with a loop count of 0,
// which means repeat forever.
static int put_loop_extension(GifFileType *gif) {
  const uint8_t loop_forever[3] = {1, 0, 0};
  if (EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
      EGifPutExtensionBlock(gif, 11, "NETSCAPE2.0") == GIF_ERROR ||
      EGifPutExtensionBlock(gif, 3, loop_forever) == GIF_ERROR ||
      EGifPutExtensionTrailer(gif) == GIF_ERROR) {
    return GIF_ERROR;
  }
  return GIF_OK;
}

// Builds one palette from the colour histogram of all frames, so colours stay steady
// from frame to frame.
static int quantize_frames(gif_context *context, const uint8_t *const *frames, int frame_count,
                           int width, int height, char *message) {
  context->histogram = liq_histogram_create(context->attr);
  if (context->histogram == NULL) {
    return cfi_fail(message, CFI_ERROR_MEMORY, "out of memory");
  }
  for (int i = 0; i < frame_count; i++) {
    liq_image *image = make_image(context, frames[i], width, height);
    if (image == NULL) {
      return cfi_fail(message, CFI_ERROR_UNSUPPORTED,
                      "libimagequant rejected a %dx%d frame", width, height);
    }
    liq_error error = liq_histogram_add_image(context->histogram, context->attr, image);
    liq_image_destroy(image);
    if (error != LIQ_OK) {
      return cfi_fail(message, CFI_ERROR_MEMORY, "libimagequant failed (error %d)", error);
    }
  }
  liq_error error = liq_histogram_quantize(context->histogram, context->attr, &context->result);
  if (error != LIQ_OK) {
    return cfi_fail(message, CFI_ERROR_MEMORY, "libimagequant failed (error %d)", error);
  }
  liq_set_dithering_level(context->result, 1.0f);
  return CFI_OK;
}

// Remaps one frame to the shared palette and writes its graphics control extension,
// image descriptor and pixel rows. libimagequant documents that remapping may refine the
// palette, so each frame carries the palette reported after its remapping as a local
// colour map, which keeps indices and colours consistent.
static int put_frame(gif_context *context, const uint8_t *frame, int width, int height,
                     int delay, char *message) {
  context->image = make_image(context, frame, width, height);
  if (context->image == NULL) {
    return cfi_fail(message, CFI_ERROR_UNSUPPORTED, "libimagequant rejected a frame");
  }
  size_t pixel_count = (size_t)width * (size_t)height;
  liq_error error = liq_write_remapped_image(context->result, context->image, context->indices,
                                             pixel_count);
  liq_image_destroy(context->image);
  context->image = NULL;
  if (error != LIQ_OK) {
    return cfi_fail(message, CFI_ERROR_MEMORY, "libimagequant remapping failed (error %d)",
                    error);
  }
  ColorMapObject *map = make_color_map(liq_get_palette(context->result));
  if (map == NULL) {
    return cfi_fail(message, CFI_ERROR_MEMORY, "out of memory");
  }

  GraphicsControlBlock control = {
      .DisposalMode = DISPOSE_DO_NOT,
      .UserInputFlag = false,
      .DelayTime = delay,
      .TransparentColor = NO_TRANSPARENT_COLOR,
  };
  GifByteType extension[4];
  size_t extension_size = EGifGCBToExtension(&control, extension);
  GifFileType *gif = context->gif;
  int status = EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, (int)extension_size, extension);
  if (status != GIF_ERROR) {
    // giflib copies the colour map, so it is freed right after.
    status = EGifPutImageDesc(gif, 0, 0, width, height, false, map);
  }
  GifFreeMapObject(map);
  for (int y = 0; y < height && status != GIF_ERROR; y++) {
    status = EGifPutLine(gif, context->indices + (size_t)y * (size_t)width, width);
  }
  if (status == GIF_ERROR) {
    return cfi_fail(message, CFI_ERROR_DATA, "giflib failed: %s", GifErrorString(gif->Error));
  }
  return CFI_OK;
}

static int finish(gif_context *context, int status, cfi_buffer *out, char *message) {
  if (context->gif != NULL) {
    int error = 0;
    if (EGifCloseFile(context->gif, &error) == GIF_ERROR && status == CFI_OK) {
      status = cfi_fail(message, CFI_ERROR_DATA, "giflib failed: %s", GifErrorString(error));
    }
  }
  if (status == CFI_OK && context->output.failed) {
    status = cfi_fail(message, CFI_ERROR_MEMORY, "out of memory");
  }
  if (status == CFI_OK) {
    out->bytes = context->output.bytes;
    out->count = context->output.count;
  } else {
    free(context->output.bytes);
  }
  if (context->result != NULL) {
    liq_result_destroy(context->result);
  }
  if (context->histogram != NULL) {
    liq_histogram_destroy(context->histogram);
  }
  if (context->attr != NULL) {
    liq_attr_destroy(context->attr);
  }
  free(context->rgba);
  free(context->indices);
  free(context);
  return status;
}

int cfi_gif_encode(const uint8_t *const *frames, int frame_count, int width, int height,
                   int delay, int loop, cfi_buffer *out, char *message) {
  memset(out, 0, sizeof *out);
  if (frame_count < 1 || width < 1 || height < 1 || width > 65535 || height > 65535 ||
      delay < 0 || delay > 65535) {
    return cfi_fail(message, CFI_ERROR_UNSUPPORTED,
                    "invalid GIF request: %d frames of %dx%d, delay %d", frame_count, width,
                    height, delay);
  }
  gif_context *context = calloc(1, sizeof *context);
  if (context == NULL) {
    return cfi_fail(message, CFI_ERROR_MEMORY, "out of memory");
  }
  size_t pixel_count = (size_t)width * (size_t)height;
  context->attr = liq_attr_create();
  context->rgba = malloc(pixel_count * 4);
  context->indices = malloc(pixel_count);
  if (context->attr == NULL || context->rgba == NULL || context->indices == NULL) {
    return finish(context, cfi_fail(message, CFI_ERROR_MEMORY, "out of memory"), out, message);
  }
  liq_set_max_colors(context->attr, 256);

  int status = quantize_frames(context, frames, frame_count, width, height, message);
  if (status != CFI_OK) {
    return finish(context, status, out, message);
  }

  int error = 0;
  context->gif = EGifOpen(&context->output, write_to_memory, &error);
  if (context->gif == NULL) {
    status = cfi_fail(message, CFI_ERROR_MEMORY, "giflib failed: %s", GifErrorString(error));
    return finish(context, status, out, message);
  }
  // Without this giflib writes a GIF87a header, which has no extension blocks.
  EGifSetGifVersion(context->gif, true);
  ColorMapObject *screen_map = make_color_map(liq_get_palette(context->result));
  if (screen_map == NULL) {
    return finish(context, cfi_fail(message, CFI_ERROR_MEMORY, "out of memory"), out, message);
  }
  int gif_status = EGifPutScreenDesc(context->gif, width, height, 8, 0, screen_map);
  GifFreeMapObject(screen_map);
  if (gif_status != GIF_ERROR && loop) {
    gif_status = put_loop_extension(context->gif);
  }
  if (gif_status == GIF_ERROR) {
    status = cfi_fail(message, CFI_ERROR_DATA, "giflib failed: %s",
                      GifErrorString(context->gif->Error));
    return finish(context, status, out, message);
  }
  for (int i = 0; i < frame_count && status == CFI_OK; i++) {
    status = put_frame(context, frames[i], width, height, delay, message);
  }
  return finish(context, status, out, message);
}
