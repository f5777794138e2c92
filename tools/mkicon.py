#!/usr/bin/env python3
"""Turns an app's icon.txt into its 32x32 RGBA icon.png (each pixel doubled).

icon.txt: a palette, one colour per line as `c = #RRGGBB` (or #RRGGBBAA),
then 16 rows of 16 characters, each a palette character or '.' for
transparent. Blank lines are ignored. Only the standard library is used.

    python3 tools/mkicon.py apps/hello/icon.txt build/bootfs/apps/hello/icon.png
"""
import re
import struct
import sys
import zlib

SIDE = 16
SCALE = 2
PALETTE_LINE = re.compile(r"^(\S)\s*=\s*#([0-9a-fA-F]{6})([0-9a-fA-F]{2})?\s*$")


def parse(path):
    palette = {".": (0, 0, 0, 0)}
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip():
                continue
            m = PALETTE_LINE.match(line)
            if m and not rows:
                char, rgb, alpha = m.group(1), m.group(2), m.group(3) or "ff"
                if char == ".":
                    raise ValueError(f"{path}:{number}: '.' is always transparent")
                palette[char] = tuple(bytes.fromhex(rgb + alpha))
                continue
            if len(line) != SIDE:
                raise ValueError(f"{path}:{number}: a row has {SIDE} characters, this one {len(line)}")
            unknown = sorted(set(line) - set(palette))
            if unknown:
                raise ValueError(f"{path}:{number}: not in the palette: {' '.join(unknown)}")
            rows.append(line)
    if len(rows) != SIDE:
        raise ValueError(f"{path}: {SIDE} rows expected, found {len(rows)}")
    return palette, rows


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(palette, rows):
    side = SIDE * SCALE
    raw = bytearray()
    for row in rows:
        line = bytearray([0])   # filter: none
        for char in row:
            line += bytes(palette[char]) * SCALE
        raw += bytes(line) * SCALE
    header = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)   # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
            + chunk(b"IEND", b""))


def main():
    if len(sys.argv) != 3:
        print("usage: mkicon.py IN.txt OUT.png", file=sys.stderr)
        return 2
    try:
        palette, rows = parse(sys.argv[1])
    except (OSError, ValueError) as e:
        print(f"mkicon: {e}", file=sys.stderr)
        return 1
    with open(sys.argv[2], "wb") as f:
        f.write(png(palette, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
