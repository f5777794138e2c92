"""The display drivers on the screen (test=gputest, tests/gputest/main.c):
QEMU's screendump must show what gputest drew after each of its steps.

- virtio-gpu (servers/virtio_gpu): the pattern after show_buffer; after a
  flush of two rectangles, exactly those (one clipped by the driver), not a
  third one drawn but not flushed; then the driver dies (it faults on
  purpose with virtio_gpu.crash_after=1), dm restarts it and gputest's
  redrawn picture is on screen again.
- virtio-gpu reporting an absurd display size: the driver falls back to
  1024x768; then its device is reset under it (a device that stops
  answering): the driver times out, exits, and dm restarts it.
- the boot loader's framebuffer (servers/fbdev) with QEMU's standard VGA and
  no virtio-gpu, under BIOS (GRUB's VBE mode) and UEFI (OVMF's GOP); under
  BIOS with fbdev.crash_after=1 the restart as for virtio-gpu.

gputest waits for a key press after each step, so each screendump sees the
step it checks.
"""

import re

from common import PANIC, READY, check_banner_once
from qemu import GPU_ID, Qemu, QemuError, ppm_pixel, read_ppm, report

RED, GREEN, BLUE, YELLOW = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)
MAGENTA = (255, 0, 255)

PATTERN = r'^gputest: pattern shown (?P<w>\d+)x(?P<h>\d+)\s*$'
RECTS = (r'^gputest: rect flushed (?P<target>\d+ \d+ \d+ \d+) corner (?P<corner>\d+ \d+ \d+ \d+) '
         r'decoy (?P<decoy>\d+ \d+ \d+ \d+)\s*$')
REDRAWN = r'^gputest: redrawn after restart\s*$'
RESULT = r'^gputest: (?P<verdict>PASS|FAIL) (?P<name>[^:\s]+)(?:: (?P<reason>.*?))?\s*$'
DONE = r'^gputest: done (?P<passed>\d+) passed, (?P<failed>\d+) failed\s*$'
DM_RESTART = r'^dm: driver servers/(virtio_gpu|fbdev) for \S+ ended \(status -?\d+\); restarting\s*$'
NO_IRQ = r'^virtio_gpu: (commands finish without an interrupt|no MSI-X interrupt)'
# The driver may be killed on purpose (crash test); nothing else may be.
TROUBLE = r'PANIC|^gputest: FAIL|^\[kernel\] task (?!virtio_gpu |fbdev ).* killed:'
STEP_TIMEOUT = 30


def _rect(text):
    return tuple(int(v) for v in text.split())


class Screen:
    """What gputest should have on screen: the quadrants, then rectangles."""

    def __init__(self, width, height):
        self.width, self.height = width, height
        self.magenta = []   # (x, y, w, h) shown in magenta
        self.hidden = []    # drawn into the buffer but never flushed: must not show

    def expected(self, x, y):
        for rx, ry, rw, rh in self.magenta:
            if rx <= x < rx + rw and ry <= y < ry + rh:
                return MAGENTA
        left, top = x < self.width // 2, y < self.height // 2
        return {(True, True): RED, (False, True): GREEN, (True, False): BLUE, (False, False): YELLOW}[left, top]

    def samples(self):
        w, h = self.width, self.height
        points = []
        # Each quadrant's centre and points just inside its corners.
        for x0, x1 in ((0, w // 2), (w // 2, w)):
            for y0, y1 in ((0, h // 2), (h // 2, h)):
                points += [((x0 + x1) // 2, (y0 + y1) // 2), (x0 + 1, y0 + 1), (x1 - 2, y0 + 1),
                           (x0 + 1, y1 - 2), (x1 - 2, y1 - 2)]
        # The rectangles' corners from inside and outside, and their middles.
        for rx, ry, rw, rh in self.magenta + self.hidden:
            for x, y in ((rx, ry), (rx + rw - 1, ry), (rx, ry + rh - 1), (rx + rw - 1, ry + rh - 1),
                         (rx + rw // 2, ry + rh // 2), (rx - 1, ry), (rx, ry - 1), (rx + rw, ry + rh - 1),
                         (rx + rw - 1, ry + rh)):
                if 0 <= x < w and 0 <= y < h:
                    points.append((x, y))
        return points


def _check_screen(q, screen, device, step, n):
    path = q.tmpdir / f'screen-{n}.ppm'
    q.screendump(path, fmt='ppm', device=device)
    image = read_ppm(path)
    if image[:2] != (screen.width, screen.height):
        q.fail(f'{step}: the screen is {image[0]}x{image[1]}, gputest drew {screen.width}x{screen.height}')
    wrong = [(x, y, ppm_pixel(image, x, y), screen.expected(x, y)) for x, y in screen.samples()
             if ppm_pixel(image, x, y) != screen.expected(x, y)]
    if wrong:
        q.fail(f'{step}: {len(wrong)} wrong pixels, e.g. ' +
               ', '.join(f'({x},{y}) is {got} not {want}' for x, y, got, want in wrong[:6]))


def _go(q):
    """The key press gputest waits for. After the last step the guest may
    power off before QMP answers, which is fine."""
    try:
        q.send_key('g', True)
        q.send_key('g', False)
    except QemuError:
        pass


def _run_gputest(firmware='bios', gpu='virtio', gpu_props=None, cmdline='test=gputest', size=None,
                 restart=False, driver_line=None):
    device = GPU_ID if gpu == 'virtio' else None
    with Qemu(firmware=firmware, cmdline=cmdline, gpu=gpu, gpu_props=gpu_props) as q:
        q.start()
        try:
            q.wait_for(READY, 90, fail_on=PANIC)
            m = q.wait_for(PATTERN, STEP_TIMEOUT, fail_on=TROUBLE)
            screen = Screen(int(m['w']), int(m['h']))
            if size and (screen.width, screen.height) != size:
                q.fail(f'gputest drew {screen.width}x{screen.height}, expected {size[0]}x{size[1]}')
            _check_screen(q, screen, device, 'after show_buffer', 1)
            _go(q)

            m = q.wait_for(RECTS, STEP_TIMEOUT, fail_on=TROUBLE)
            screen.magenta = [_rect(m['target']), _rect(m['corner'])]
            screen.hidden = [_rect(m['decoy'])]
            _check_screen(q, screen, device, 'after flush', 2)
            _go(q)

            if restart:
                q.wait_for(REDRAWN, STEP_TIMEOUT, fail_on=TROUBLE)
                if not re.search(DM_RESTART, q.serial_text(), re.MULTILINE):
                    q.fail('gputest redrew after a restart, but dm did not say it restarted the driver')
                _check_screen(q, screen, device, 'after the driver restarted', 3)
                _go(q)

            done = q.wait_for(DONE, STEP_TIMEOUT, fail_on=PANIC)
        finally:
            for r in re.finditer(RESULT, q.serial_text(), re.MULTILINE):
                report(r['name'], r['verdict'] == 'PASS', r['reason'] or '')
        if int(done['failed']):
            q.fail(f"gputest: {done['failed']} in-guest test(s) failed")
        if restart and not re.search(r'^gputest: PASS restart\s*$', q.serial_text(), re.MULTILINE):
            q.fail('gputest did not pass its restart test')
        if driver_line and not re.search(driver_line, q.serial_text(), re.MULTILINE):
            q.fail(f'no line /{driver_line}/ in the log')
        if re.search(NO_IRQ, q.serial_text(), re.MULTILINE):
            q.fail('virtio_gpu got no completion interrupts (MSI-X): it polled')
        status = q.wait_exit(30)
        if status != 1:
            q.fail(f'QEMU exit status {status}, expected 1 (gputest exits 0 and init powers off)')
        check_banner_once(q)


def test_gpu_virtio():
    _run_gputest(cmdline='test=gputest virtio_gpu.crash_after=1', size=(1280, 800), restart=True,
                 driver_line=r'^virtio_gpu: 1280x800 \(preferred 1280x800\), MSI-X\s*$')


def test_gpu_virtio_absurd_size():
    _run_gputest(gpu_props={'xres': 9000, 'yres': 600}, size=(1024, 768), restart=True,
                 driver_line=r'^virtio_gpu: scanout 0 reports 9000x600 \(enabled 1\); using 1024x768\s*$')


def test_gpu_fbdev_bios():
    _run_gputest(gpu='std', cmdline='test=gputest fbdev.crash_after=1', size=(1024, 768), restart=True,
                 driver_line=r'^fbdev: crash test: faulting on purpose after 1 flushes\s*$')


def test_gpu_fbdev_uefi():
    _run_gputest(firmware='uefi', gpu='std', size=(1024, 768), driver_line=r'^fbdev: 1024x768, 32 bpp')
