"""A normal boot (no test= or bench=) ends on the desktop (servers/gui):
the menu bar with the start button at its top-left corner and a running
clock at its right, over the wallpaper; on virtio-gpu and, with QEMU's
standard VGA and no virtio-gpu, on the boot framebuffer (fbdev)."""

import tempfile
import time
from pathlib import Path

from common import PANIC, READY, check_no_trouble
from qemu import GPU_ID, Qemu, ppm_pixel, read_ppm

DESKTOP = r'^gui: desktop on a (?P<w>\d+)x(?P<h>\d+) display\s*$'
BAR = (33, 38, 46)          # the menu bar (0.13, 0.15, 0.18)
START = (51, 115, 204)      # the start button (0.20, 0.45, 0.80)


def _near(got, want, tol=6):
    return all(abs(a - b) <= tol for a, b in zip(got, want))


def _desktop(gpu, device):
    with Qemu(firmware='bios', gpu=gpu) as q, tempfile.TemporaryDirectory() as tmp:
        q.start()
        q.wait_for(READY, 90, fail_on=PANIC)
        m = q.wait_for(DESKTOP, 60, fail_on=PANIC)
        w, h = int(m['w']), int(m['h'])
        shots = []
        for i in range(2):
            if i:
                time.sleep(2.5)   # the clock moves on
            path = Path(tmp) / f'desktop{i}.ppm'
            q.screendump(path, fmt='ppm', device=device)
            shots.append(read_ppm(path))
        img = shots[0]
        if (img[0], img[1]) != (w, h):
            q.fail(f'the screen is {img[0]}x{img[1]}, gui said {w}x{h}')
        checks = {
            'menu bar': ((w // 2, 4), BAR),
            'start button (top left)': ((8, 8), START),
        }
        for what, ((x, y), want) in checks.items():
            got = ppm_pixel(img, x, y)
            if not _near(got, want):
                q.fail(f'{what} at ({x},{y}) is {got}, expected about {want}')
        top, bottom = ppm_pixel(img, w // 2, 40), ppm_pixel(img, w // 2, h - 2)
        if not (top[2] > bottom[2] + 30 and top != BAR):
            q.fail(f'no wallpaper gradient: {top} near the top, {bottom} at the bottom')
        # The clock (right end of the bar) changed, nothing else did.
        clock = [(x, y) for x in range(w - 170, w - 4) for y in range(4, 24)]
        if all(ppm_pixel(shots[0], x, y) == ppm_pixel(shots[1], x, y) for x, y in clock):
            q.fail('the clock did not change in 2.5 s')
        for x, y in ((w // 2, 14), (8, 8), (w // 3, h // 2)):
            if ppm_pixel(shots[0], x, y) != ppm_pixel(shots[1], x, y):
                q.fail(f'({x},{y}) changed between frames: only the clock should')
        check_no_trouble(q)


def test_desktop_virtio():
    _desktop('virtio', GPU_ID)


def test_desktop_fbdev():
    _desktop('std', None)
