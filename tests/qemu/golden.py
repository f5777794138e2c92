"""Golden images for the screenshot tests: regions of a screendump compared
with PNGs kept in tests/qemu/golden/, within a small tolerance.

TESSERA_UPDATE_GOLDEN=1 writes the regions as the new goldens instead of
comparing (look at them before committing). A failed comparison saves what
the screen showed and a difference image under build/test-logs/ and says so.

PNGs are read and written here with zlib only (no PIL): 8-bit RGB, any
filter on reading.
"""

import os
import struct
import zlib
from pathlib import Path

GOLDEN_DIR = Path(__file__).resolve().parent / 'golden'
FAIL_DIR = Path(__file__).resolve().parents[2] / 'build' / 'test-logs'

# A pixel "differs" when a channel is off by more than CHANNEL_TOL; a region
# matches when at most BAD_FRACTION of its pixels differ (font rasterisation
# and anti-aliasing may shift by a hair between builds; a layout change or a
# wrong colour changes far more).
CHANNEL_TOL = 40
BAD_FRACTION = 0.01


def write_png(path, width, height, rgb):
    """rgb: width*height*3 bytes."""
    raw = bytearray()
    stride = width * 3
    for y in range(height):
        raw.append(0)
        raw += rgb[y * stride:(y + 1) * stride]

    def chunk(kind, data):
        body = kind + data
        return struct.pack('>I', len(data)) + body + struct.pack('>I', zlib.crc32(body) & 0xffffffff)

    png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0))
    png += chunk(b'IDAT', zlib.compress(bytes(raw), 9)) + chunk(b'IEND', b'')
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(png)


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def read_png(path):
    """(width, height, rgb bytes) of an 8-bit RGB or RGBA PNG."""
    data = Path(path).read_bytes()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError(f'{path}: not a PNG')
    pos, idat, width = 8, b'', None
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b'IHDR':
            width, height, depth, ctype = struct.unpack('>IIBB', body[:10])
            if depth != 8 or ctype not in (2, 6) or body[12] != 0:
                raise ValueError(f'{path}: only 8-bit RGB/RGBA, not interlaced')
            bpp = 3 if ctype == 2 else 4
        elif kind == b'IDAT':
            idat += body
        elif kind == b'IEND':
            break
    if width is None:
        raise ValueError(f'{path}: no IHDR')
    raw = zlib.decompress(idat)
    stride = width * bpp
    out = bytearray(width * height * 3)
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 255
            elif f == 4:
                line[i] = (line[i] + _paeth(a, b, c)) & 255
        for x in range(width):
            out[(y * width + x) * 3:(y * width + x) * 3 + 3] = line[x * bpp:x * bpp + 3]
        prev = line
    return width, height, bytes(out)


def crop(image, x, y, w, h):
    """A region of a (width, height, rgb) image, clamped to it."""
    width, height, rgb = image
    x, y = max(0, x), max(0, y)
    w, h = min(w, width - x), min(h, height - y)
    out = bytearray()
    for row in range(y, y + h):
        out += rgb[(row * width + x) * 3:(row * width + x + w) * 3]
    return w, h, bytes(out)


def compare(name, image, rect, q=None):
    """Checks region rect=(x, y, w, h) of a screendump (read_ppm's tuple)
    against tests/qemu/golden/NAME.png. Returns None if it matches, else a
    reason (the caller fails with it)."""
    region = crop(image, *rect)
    golden = GOLDEN_DIR / f'{name}.png'
    if os.environ.get('TESSERA_UPDATE_GOLDEN'):
        write_png(golden, *region)
        return None
    if not golden.is_file():
        return f'no golden image {golden} (make one with TESSERA_UPDATE_GOLDEN=1)'
    gw, gh, grgb = read_png(golden)
    w, h, rgb = region
    seen = FAIL_DIR / f'{name}-seen.png'
    if (gw, gh) != (w, h):
        write_png(seen, *region)
        return f'{name}: region is {w}x{h}, golden {gw}x{gh} (screen saved as {seen})'
    bad = 0
    diff = bytearray(len(rgb))
    for i in range(0, len(rgb), 3):
        if max(abs(rgb[i] - grgb[i]), abs(rgb[i + 1] - grgb[i + 1]), abs(rgb[i + 2] - grgb[i + 2])) > CHANNEL_TOL:
            bad += 1
            diff[i] = 255
    if bad <= BAD_FRACTION * w * h:
        return None
    write_png(seen, *region)
    write_png(FAIL_DIR / f'{name}-diff.png', w, h, bytes(diff))
    return (f'{name}: {bad} of {w * h} pixels differ from {golden.name} '
            f'(screen saved as {seen}, differences in {name}-diff.png)')


def same_region(a, b, rect):
    """Whether two screendumps agree (within the tolerance) in rect."""
    _, _, ra = crop(a, *rect)
    _, _, rb = crop(b, *rect)
    return all(abs(x - y) <= CHANNEL_TOL for x, y in zip(ra, rb))
