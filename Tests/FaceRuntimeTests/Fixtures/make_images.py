#!/usr/bin/env python3
"""Generate the image fixtures for the FaceRuntime image tests.

PNG files are written by hand with zlib and struct, which allows every colour type, bit
depth, tRNS layout and Adam7 interlacing. images/png/expected.txt lists the decoded RGB
bytes expected for each PNG as "name width height hex". They follow the decoder's
contract: 16-bit samples are rounded to 8 bits (v / 257) and low bit depths scaled to
0...255. Alpha is composited over white with (c * a + 255 * (255 - a) + 127) // 255.

JPEG files need Pillow (pip install pillow). Run from any folder:
    python3 Tests/FaceRuntimeTests/Fixtures/make_images.py
The outputs are committed, so the tests never need Python.
"""

import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "images")

GRAY, RGB, PALETTE, GRAY_ALPHA, RGBA = 0, 2, 3, 4, 6
CHANNELS = {GRAY: 1, RGB: 3, PALETTE: 1, GRAY_ALPHA: 2, RGBA: 4}

# Adam7 passes as (x start, y start, x step, y step).
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def pack_row(pixels, depth):
    """Packs a row of sample tuples at `depth` bits per sample, big-endian."""
    samples = [s for pixel in pixels for s in pixel]
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    if depth == 8:
        return bytes(samples)
    out = bytearray()
    per_byte = 8 // depth
    for start in range(0, len(samples), per_byte):
        byte = 0
        group = samples[start:start + per_byte]
        for i, s in enumerate(group):
            byte |= s << (8 - depth * (i + 1))
        out.append(byte)
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_rows(rows, bytes_per_pixel):
    """Filters each row, cycling through the five filter types so the decoder meets all."""
    out = bytearray()
    previous = bytes(len(rows[0])) if rows else b""
    for index, row in enumerate(rows):
        kind = index % 5
        filtered = bytearray()
        for i, x in enumerate(row):
            a = row[i - bytes_per_pixel] if i >= bytes_per_pixel else 0
            b = previous[i]
            c = previous[i - bytes_per_pixel] if i >= bytes_per_pixel else 0
            predictor = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
            filtered.append((x - predictor) & 0xFF)
        out.append(kind)
        out += filtered
        previous = row
    return bytes(out)


def png_bytes(image, color_type, depth, palette=None, trns=None, interlace=False):
    """Encodes `image` (rows of sample tuples) as a PNG file."""
    height, width = len(image), len(image[0])
    bytes_per_pixel = max(1, CHANNELS[color_type] * depth // 8)
    if interlace:
        raw = b""
        for x0, y0, dx, dy in ADAM7:
            sub = [row[x0::dx] for row in image[y0::dy]]
            sub = [r for r in sub if r]
            if sub:
                raw += filter_rows([pack_row(r, depth) for r in sub], bytes_per_pixel)
    else:
        raw = filter_rows([pack_row(r, depth) for r in image], bytes_per_pixel)
    header = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, int(interlace))
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    if palette is not None:
        data += chunk(b"PLTE", b"".join(bytes(c) for c in palette))
    if trns is not None:
        data += chunk(b"tRNS", trns)
    return data + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def to8(value, depth):
    """Maps a sample to 8 bits the way the decoder does."""
    if depth == 16:
        return (value * 2 + 257) // 514
    return value * 255 // ((1 << depth) - 1)


def over_white(rgb, alpha):
    return tuple((c * alpha + 255 * (255 - alpha) + 127) // 255 for c in rgb)


def expected_rgb(image, color_type, depth, palette=None, trns=None):
    """The decoded RGB bytes that the decoder must produce for `image`."""
    out = bytearray()
    for row in image:
        for pixel in row:
            if color_type == PALETTE:
                rgb = palette[pixel[0]]
                alpha = trns[pixel[0]] if trns is not None and pixel[0] < len(trns) else 255
            else:
                channels = [to8(s, depth) for s in pixel]
                rgb = channels[:3] if color_type in (RGB, RGBA) else channels[:1] * 3
                alpha = channels[-1] if color_type in (GRAY_ALPHA, RGBA) else 255
                if trns is not None:
                    key = struct.unpack(">" + "H" * (len(trns) // 2), trns)
                    alpha = 0 if tuple(pixel) == key else 255
            out += bytes(over_white(rgb, alpha))
    return bytes(out)


def pattern(width, height, channels, depth, seed):
    """Deterministic samples that differ from pixel to pixel and channel to channel."""
    top = (1 << depth) - 1
    rows = []
    for y in range(height):
        row = []
        for x in range(width):
            row.append(tuple((seed * 7 + x * 97 + y * 193 + c * 61) * 2654435761 % (top + 1)
                             for c in range(channels)))
        rows.append(row)
    return rows


def png_fixtures():
    """Returns (name, file bytes, width, height, expected RGB) for every PNG case."""
    cases = []

    def add(name, image, color_type, depth, palette=None, trns=None, interlace=False):
        data = png_bytes(image, color_type, depth, palette, trns, interlace)
        expected = expected_rgb(image, color_type, depth, palette, trns)
        cases.append((name, data, len(image[0]), len(image), expected))

    for depth in (1, 2, 4, 8, 16):
        add("gray%d" % depth, pattern(5, 3, 1, depth, depth), GRAY, depth)
    # Known 16-bit samples: 0x1234 -> 0x12, 0x12F0 -> 0x13 (rounded, not truncated).
    add("gray16-known", [[(0x1234,), (0x12F0,), (0xFFFF,), (0x0000,)]], GRAY, 16)
    add("rgb16-known", [[(0x1234, 0xABCD, 0x00FF), (0xFF00, 0x8080, 0x0180)]], RGB, 16)
    for depth in (8, 16):
        add("gray-alpha%d" % depth, pattern(4, 3, 2, depth, 20 + depth), GRAY_ALPHA, depth)
        add("rgb%d" % depth, pattern(5, 3, 3, depth, 30 + depth), RGB, depth)
        add("rgba%d" % depth, pattern(4, 3, 4, depth, 40 + depth), RGBA, depth)
    # Alpha 0, 128 and 255 over white.
    add("rgba8-known", [[(10, 20, 30, 0), (200, 100, 0, 128), (1, 2, 3, 255)]], RGBA, 8)

    colors = [(255, 0, 0), (0, 128, 0), (0, 0, 255), (250, 200, 10), (40, 40, 40),
              (90, 10, 160), (0, 255, 255), (128, 128, 128)]
    for depth in (1, 2, 4, 8):
        palette = colors[:min(len(colors), 1 << depth)]
        image = [[((x + 3 * y) % len(palette),) for x in range(7)] for y in range(3)]
        add("palette%d" % depth, image, PALETTE, depth, palette)
    # tRNS with 3 entries for a 6-colour palette: entries 3, 4 and 5 stay opaque.
    palette = colors[:6]
    image = [[((x + 2 * y) % 6,) for x in range(6)] for y in range(2)]
    add("palette4-trns-short", image, PALETTE, 4, palette, bytes([0, 100, 200]))
    # tRNS colour keys: samples equal to the key are transparent.
    add("gray8-trns", [[(7,), (8,), (7,)]], GRAY, 8, trns=struct.pack(">H", 7))
    add("rgb8-trns", [[(1, 2, 3), (1, 2, 4)]], RGB, 8, trns=struct.pack(">HHH", 1, 2, 3))

    add("interlaced-1x1", [[(12, 34, 56)]], RGB, 8, interlace=True)
    add("interlaced-3x5", pattern(3, 5, 3, 8, 50), RGB, 8, interlace=True)
    add("interlaced-rgba16", pattern(9, 10, 4, 16, 60), RGBA, 16, interlace=True)
    image = [[((x * 5 + y * 3) % 4,) for x in range(11)] for y in range(9)]
    add("interlaced-palette2", image, PALETTE, 2, colors[:4], interlace=True)
    add("interlaced-gray1", pattern(10, 9, 1, 1, 70), GRAY, 1, interlace=True)
    return cases


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def make_pngs():
    lines = []
    for name, data, width, height, expected in png_fixtures():
        write(os.path.join(OUT, "png", name + ".png"), data)
        lines.append("%s %d %d %s" % (name, width, height, expected.hex()))
    write(os.path.join(OUT, "png", "expected.txt"), ("\n".join(lines) + "\n").encode())
    # A PNG under a JPEG name, and an empty file, for the file-reading tests.
    rgb = png_bytes([[(255, 0, 0), (0, 0, 255)]], RGB, 8)
    write(os.path.join(OUT, "png-named.jpg"), rgb)
    write(os.path.join(OUT, "empty.png"), b"")


# Colours of the 3x2 grid of 16x16 blocks in the orientation fixtures, left to right, top
# to bottom. They are far apart so JPEG error cannot confuse them.
GRID = [(220, 30, 30), (30, 200, 30), (30, 30, 220), (230, 230, 40), (30, 220, 220),
        (210, 40, 210)]


def make_jpegs():
    from PIL import Image, ImageOps

    def grid_image():
        image = Image.new("RGB", (48, 32))
        for index, color in enumerate(GRID):
            x, y = index % 3 * 16, index // 3 * 16
            image.paste(color, (x, y, x + 16, y + 16))
        return image

    folder = os.path.join(OUT, "jpeg")
    os.makedirs(folder, exist_ok=True)
    upright = grid_image()
    upright.save(os.path.join(folder, "baseline.jpg"), quality=95)
    upright.save(os.path.join(folder, "progressive.jpg"), quality=95, progressive=True)
    upright.convert("L").save(os.path.join(folder, "gray.jpg"), quality=95)

    # Pillow stores CMYK inverted and adds an Adobe APP14 segment, as Photoshop does.
    cmyk = Image.new("CMYK", (32, 16))
    cmyk.paste((255, 0, 0, 0), (0, 0, 16, 16))      # cyan -> RGB (0, 255, 255)
    cmyk.paste((0, 0, 0, 128), (16, 0, 32, 16))     # half black -> about (127, 127, 127)
    cmyk.save(os.path.join(folder, "cmyk.jpg"), quality=95)

    # Orientation n: store the image so that applying n turns it upright again. The
    # inverse transposes follow Pillow's ImageOps.exif_transpose table.
    inverse = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
               4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
               6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
               8: Image.Transpose.ROTATE_270}
    for orientation in range(1, 9):
        stored = upright if orientation == 1 else upright.transpose(inverse[orientation])
        exif = Image.Exif()
        exif[0x0112] = orientation
        path = os.path.join(folder, "orientation-%d.jpg" % orientation)
        stored.save(path, quality=95, exif=exif.tobytes())
        # Pillow, turning the file upright on its own, must see the grid again.
        check = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
        assert check.size == (48, 32), (orientation, check.size)
        for index, color in enumerate(GRID):
            seen = check.getpixel((index % 3 * 16 + 8, index // 3 * 16 + 8))
            assert max(abs(a - b) for a, b in zip(seen, color)) <= 8, (orientation, seen)

    # Orientation 6 in a big-endian ("MM") TIFF header with one IFD entry.
    tiff = b"MM" + struct.pack(">HI", 42, 8) + struct.pack(">H", 1)
    tiff += struct.pack(">HHIHH", 0x0112, 3, 1, 6, 0) + struct.pack(">I", 0)
    stored = upright.transpose(inverse[6])
    stored.save(os.path.join(folder, "orientation-6-big-endian.jpg"), quality=95,
                exif=b"Exif\x00\x00" + tiff)


if __name__ == "__main__":
    make_pngs()
    make_jpegs()
