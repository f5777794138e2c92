"""A normal boot (no test= or bench=) ends on the desktop (servers/gui):
the menu bar with the start button at its top-left corner and a running
clock at its right, over the wallpaper; on virtio-gpu and, with QEMU's
standard VGA and no virtio-gpu, on the boot framebuffer (fbdev)."""

import re
import tempfile
import time
from pathlib import Path

from common import PANIC, READY, check_no_trouble
from qemu import GPU_ID, Qemu, ppm_pixel, read_ppm

DESKTOP = r'^gui: desktop on a (?P<w>\d+)x(?P<h>\d+) display\s*$'
THEME = Path(__file__).resolve().parents[2] / 'themes' / 'light.theme'   # the default


def theme_colour(key):
    m = re.search(rf'^{key}\s*=\s*#([0-9a-fA-F]{{6}})', THEME.read_text(), re.M)
    return tuple(int(m[1][i:i + 2], 16) for i in (0, 2, 4))


BAR = theme_colour('menu_bar')
START = theme_colour('start_button')
WALL_TOP, WALL_BOTTOM = theme_colour('wallpaper_top'), theme_colour('wallpaper_bottom')


def _near(got, want, tol=6):
    return all(abs(a - b) <= tol for a, b in zip(got, want))


def _desktop(gpu, device):
    with Qemu(firmware='bios', gpu=gpu) as q, tempfile.TemporaryDirectory() as tmp:
        q.start()
        m = q.wait_for(DESKTOP, 90, fail_on=PANIC)   # TESSERA READY waits for the desktop
        q.wait_for(READY, 60, fail_on=PANIC)
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
        top, bottom = ppm_pixel(img, w - 8, 40), ppm_pixel(img, w - 8, h - 2)
        if not (_near(top, WALL_TOP, 24) and _near(bottom, WALL_BOTTOM, 24)):
            q.fail(f'no wallpaper gradient from {WALL_TOP} to {WALL_BOTTOM}: {top} near the top, '
                   f'{bottom} at the bottom')
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
