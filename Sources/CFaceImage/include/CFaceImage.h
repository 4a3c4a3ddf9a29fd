#ifndef CFACEIMAGE_H
#define CFACEIMAGE_H

// A thin C layer over libpng, libjpeg-turbo, giflib and libimagequant.
//
// libpng and libjpeg report fatal errors by calling a handler that must not return. The
// handlers here longjmp back into the function that started the work. So every function
// below returns a status code and writes a message instead of aborting the process.
// Each call keeps its state in its own context, so calls on different threads never share
// mutable data. Warnings from the libraries are dropped.

#include <stddef.h>
#include <stdint.h>

// Status codes returned by every function below.
enum {
  CFI_OK = 0,
  CFI_ERROR_DATA = 1,        // the bytes are not a valid image of the format
  CFI_ERROR_TOO_LARGE = 2,   // a side exceeds the `max_side` limit passed in
  CFI_ERROR_UNSUPPORTED = 3, // valid, but uses a feature this layer does not handle
  CFI_ERROR_MEMORY = 4,      // an allocation failed
};

// Capacity of the `message` buffers the caller passes in; longer messages are cut.
#define CFI_MESSAGE_CAPACITY 256

// A decoded image: 8-bit RGB, rows top to bottom, `width * height * 3` bytes allocated with
// malloc. Release `pixels` with `cfi_free`.
typedef struct {
  uint8_t *pixels;
  int width;
  int height;
  // EXIF orientation 1...8 found in a JPEG's APP1 segment, 1 when absent or invalid. The
  // pixels are stored as in the file; the caller applies the orientation.
  int orientation;
} cfi_image;

// An encoded file in memory, allocated with malloc. Release `bytes` with `cfi_free`.
typedef struct {
  uint8_t *bytes;
  size_t count;
} cfi_buffer;

// Frees memory handed out by this layer; NULL is allowed.
void cfi_free(void *pointer);

// Decodes a PNG of any bit depth and colour type, interlaced or not, to 8-bit RGB.
// 16-bit samples are scaled to 8 bits with rounding. Alpha (an alpha channel or a tRNS
// chunk) is composited over `background` (3 bytes, RGB). Rejects images wider or taller
// than `max_side` with CFI_ERROR_TOO_LARGE before allocating pixel memory.
int cfi_png_decode(const uint8_t *bytes, size_t count, const uint8_t *background, int max_side,
                   cfi_image *out, char *message);

// Encodes 8-bit RGB pixels as a non-interlaced PNG. `keys` and `values` hold `text_count`
// NUL-terminated UTF-8 strings. A pair is written as a tEXt chunk when the value is ASCII,
// otherwise as an uncompressed iTXt chunk. Keys must already be valid PNG keywords
// (1 to 79 printable Latin-1 characters); invalid keys make libpng skip the pair.
int cfi_png_encode(const uint8_t *pixels, int width, int height, const char *const *keys,
                   const char *const *values, int text_count, cfi_buffer *out, char *message);

// Decodes a baseline or progressive JPEG (grayscale, YCbCr, RGB, CMYK or YCCK)
// to 8-bit RGB and reports its EXIF orientation in `out->orientation`. CMYK data written
// with an Adobe APP14 marker is taken as inverted, as Adobe applications write it. A file
// that ends before its last scan is an error, not a gray-filled image.
int cfi_jpeg_decode(const uint8_t *bytes, size_t count, int max_side, cfi_image *out,
                    char *message);

// Encodes `frame_count` frames of 8-bit RGB, each `width * height * 3` bytes, as an
// animated GIF89a. One palette of up to 256 colours for all frames is chosen by
// libimagequant from the histogram of every frame, and each frame is remapped to it with
// dithering level 1.0.
// `delay` is in hundredths of a second per frame. When `loop` is nonzero a NETSCAPE2.0
// extension makes viewers repeat the animation forever.
int cfi_gif_encode(const uint8_t *const *frames, int frame_count, int width, int height,
                   int delay, int loop, cfi_buffer *out, char *message);

#endif
