#!/usr/bin/env python3
"""Makes examples/photo.png, the stand-in photo that examples/edit-photo.face fits.

The photo is a face that the default model generated, enlarged to 192x192 with bilinear
interpolation and written without facesh's text chunks, so facesh fits its pixels as it
would a camera photo. A real photo cannot ship here: the training photos' terms forbid
redistributing them.

Usage (from the repository root, after `swift build`):
    .build/debug/facesh -o /tmp -e 'save(random(13), "face.png")'
    python3 scripts/make-example-photo.py /tmp/face.png examples/photo.png
Only the Python standard library is needed.
"""

import struct
import sys
import zlib


def read_png(path):
    """Returns width, height and rows of RGB bytes of an 8-bit RGB, non-interlaced PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG file")
    offset, idat = 8, b""
    width = height = None
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour != 2 or interlace != 0:
                sys.exit(f"{path}: expected 8-bit RGB without interlacing, as facesh writes")
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    raw = zlib.decompress(idat)
    stride = width * 3
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - 3] if i >= 3 else 0
            up = previous[i]
            corner = previous[i - 3] if i >= 3 else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                if pa <= pb and pa <= pc:
                    nearest = left
                elif pb <= pc:
                    nearest = up
                else:
                    nearest = corner
                line[i] = (line[i] + nearest) & 255
        rows.append(line)
        previous = line
    return width, height, rows


def enlarge(width, height, rows, size):
    """Bilinear resampling to size x size, pixel centres aligned."""
    out = []
    for y in range(size):
        sy = min(max((y + 0.5) * height / size - 0.5, 0), height - 1)
        y0 = int(sy)
        y1 = min(y0 + 1, height - 1)
        fy = sy - y0
        line = bytearray()
        for x in range(size):
            sx = min(max((x + 0.5) * width / size - 0.5, 0), width - 1)
            x0 = int(sx)
            x1 = min(x0 + 1, width - 1)
            fx = sx - x0
            for c in range(3):
                top = rows[y0][x0 * 3 + c] * (1 - fx) + rows[y0][x1 * 3 + c] * fx
                bottom = rows[y1][x0 * 3 + c] * (1 - fx) + rows[y1][x1 * 3 + c] * fx
                line.append(int(round(top * (1 - fy) + bottom * fy)))
        out.append(line)
    return out


def write_png(path, rows):
    size = len(rows)

    def chunk(kind, body):
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + bytes(line) for line in rows)
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    with open(path, "wb") as file:
        file.write(b"\x89PNG\r\n\x1a\n")
        file.write(chunk(b"IHDR", header))
        file.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        file.write(chunk(b"IEND", b""))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    width, height, rows = read_png(sys.argv[1])
    write_png(sys.argv[2], enlarge(width, height, rows, 192))
