#!/usr/bin/env python3
"""Writes the PNG inputs of cairo-render (tests/cairo/render.c):

    mkpng.py OUT_DIR

OUT_DIR/cairo-test.png     48x40 RGBA: colour stripes, a ring and an alpha
                           ramp; each row uses one of the five PNG filters
OUT_DIR/cairo-corrupt.png  a valid header whose image data is not zlib data
                           (chunk CRCs are right, so libpng gets as far as
                           inflating it)
"""
import os
import struct
import sys
import zlib

W, H = 48, 40


def pixel(x, y):
    stripes = [(230, 60, 50), (250, 200, 40), (60, 180, 90), (50, 120, 230)]
    r, g, b = stripes[(x // 6) % 4]
    d2 = (x - 24) ** 2 + (y - 20) ** 2
    if 100 <= d2 <= 196:                     # a white ring
        r, g, b = 255, 255, 255
    a = 255 if y < 8 else 255 - (y - 8) * 7  # opaque on top, fading below
    return bytes((r, g, b, a))


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filtered_rows(rows):
    """Applies filter type y % 5 to row y (None, Sub, Up, Average, Paeth)."""
    out = bytearray()
    prev = bytes(len(rows[0]))
    for y, row in enumerate(rows):
        kind = y % 5
        line = bytearray()
        for i, v in enumerate(row):
            a = row[i - 4] if i >= 4 else 0
            b = prev[i]
            c = prev[i - 4] if i >= 4 else 0
            pred = (0, a, b, (a + b) // 2, paeth(a, b, c))[kind]
            line.append((v - pred) & 0xFF)
        out.append(kind)
        out += line
        prev = row
    return bytes(out)


def chunk(kind, data):
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png(idat):
    ihdr = struct.pack(">IIBBBBB", W, H, 8, 6, 0, 0, 0)   # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: mkpng.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rows = [b"".join(pixel(x, y) for x in range(W)) for y in range(H)]
    good = png(zlib.compress(filtered_rows(rows), 9))
    bad = png(b"this is not zlib data" * 8)
    for name, data in (("cairo-test.png", good), ("cairo-corrupt.png", bad)):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
