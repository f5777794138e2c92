"""The desktop as a person uses it, through QMP: mouse and keyboard in,
screendumps out, compared with golden images (tests/qemu/golden.py); the
gui server and the apps report on COM1 what they did, so a failure says
what went wrong. Plus the protocol suite (tests/guitest) from an app's side.

One boot walks through a session (start menu, hello, dragging, the
terminal, a theme switch, closing); others check the server survives apps
that crash or stop answering.
"""

import re
import tempfile
import time
from pathlib import Path

import golden
from common import PANIC, READY, check_no_trouble, run_guest_suite
from qemu import GPU_ID, Qemu, read_ppm

DESKTOP = r'^gui: desktop on a (?P<w>\d+)x(?P<h>\d+) display\s*$'
MENU_ITEM = re.compile(r'^gui: start menu item (?P<i>\d+) "(?P<name>[^"]*)" at (?P<x>-?\d+),(?P<y>-?\d+) '
                       r'(?P<w>\d+)x(?P<h>\d+)\s*$', re.M)
SHOWN = (r'^gui: window (?P<win>\d+) "(?P<title>{title})" of task (?P<task>\d+) shown at '
         r'(?P<x>-?\d+),(?P<y>-?\d+) (?P<w>\d+)x(?P<h>\d+) content at (?P<cx>-?\d+),(?P<cy>-?\d+)\s*$')


STEP = 100   # pixels per injected pointer move


class Desktop:
    """A booted desktop and a pointer we know the position of."""

    def __init__(self, q, tmp):
        self.q, self.tmp = q, Path(tmp)
        m = q.wait_for(DESKTOP, 120, fail_on=PANIC)
        self.w, self.h = int(m['w']), int(m['h'])
        q.wait_for(READY, 120, fail_on=PANIC)
        # The pointer starts at the centre of the screen; motion is 1:1.
        self.x, self.y = self.w // 2, self.h // 2
        self.shots = 0

    def move_to(self, x, y):
        """QEMU turns a relative move into PS/2 packets a few at a time, so
        big moves go in steps (or later clicks would land early)."""
        while (self.x, self.y) != (x, y):
            dx = max(-STEP, min(STEP, x - self.x))
            dy = max(-STEP, min(STEP, y - self.y))
            self.q.mouse_move_rel(dx, dy)
            self.x += dx
            self.y += dy
            time.sleep(0.05)
        time.sleep(0.25)

    def click(self, x, y, button='left'):
        self.move_to(x, y)
        self.q.mouse_button(button, True)
        time.sleep(0.15)
        self.q.mouse_button(button, False)
        time.sleep(0.3)

    def drag(self, x0, y0, x1, y1):
        self.move_to(x0, y0)
        self.q.mouse_button('left', True)
        time.sleep(0.2)
        steps = 4
        for i in range(1, steps + 1):
            self.move_to(x0 + (x1 - x0) * i // steps, y0 + (y1 - y0) * i // steps)
        self.q.mouse_button('left', False)
        time.sleep(0.3)

    QCODES = {' ': 'spc', '.': 'dot', '/': 'slash', '-': 'minus', '=': 'equal', ',': 'comma'}

    def type_text(self, text):
        """Lower-case letters, digits and a little punctuation, as keys."""
        self.q.type_keys([self.QCODES.get(c, c) for c in text])

    def park_pointer(self):
        """Out of the way of what is compared (bottom-right corner)."""
        self.move_to(self.w - 1, self.h - 1)

    def screen(self):
        self.shots += 1
        path = self.tmp / f'shot{self.shots}.ppm'
        time.sleep(0.5)   # let the last frame be presented
        self.q.screendump(path, fmt='ppm', device=GPU_ID)
        return read_ppm(path)

    def expect_golden(self, name, rect):
        self.park_pointer()
        why = golden.compare(name, self.screen(), rect)
        if why:
            self.q.fail(why)

    def open_app(self, name, title, start=None):
        """Start menu (top-left corner) -> the app called `name`; returns the
        SHOWN match of its window. Serial output from `start` on (default:
        now) is searched, so the app's own start-up lines can be waited for
        from the same place."""
        if start is None:
            start = len(self.q.serial_text())
        self.click(20, 12)
        self.q.wait_for(r'^gui: start menu open\s*$', 20, start=start, fail_on=PANIC)
        time.sleep(0.3)
        items = {m['name']: m for m in MENU_ITEM.finditer(self.q.serial_text()[start:])}
        if name not in items:
            self.q.fail(f'start menu has no "{name}": {sorted(items)}')
        it = items[name]
        self.click(int(it['x']) + int(it['w']) // 2, int(it['y']) + int(it['h']) // 2)
        self.q.wait_for(rf'^gui: launching apps/\w+/\w+\s*$', 20, start=start, fail_on=PANIC)
        return self.q.wait_for(SHOWN.format(title=re.escape(title)), 60, start=start, fail_on=PANIC)


def frame_rect(m):
    return int(m['x']), int(m['y']), int(m['w']), int(m['h'])


def test_gui_protocol():
    """tests/guitest: malformed and oversized trees, limits, a crashing app,
    themes and the display, from an app's side."""
    run_guest_suite('guitest', cmdline='test=guitest init.desktop', timeout=240)


def test_desktop_session():
    with Qemu(firmware='bios', gpu='virtio') as q, tempfile.TemporaryDirectory() as tmp:
        q.start()
        d = Desktop(q, tmp)
        text = q.serial_text()
        if text.find('init: gui is ready') < 0 or text.find('init: gui is ready') > text.find('TESSERA READY'):
            q.fail('TESSERA READY came before the desktop was on screen')

        # The start menu opens from the top-left corner and lists the five apps.
        start = len(q.serial_text())
        d.click(20, 12)
        q.wait_for(r'^gui: start menu open\s*$', 20, start=start, fail_on=PANIC)
        time.sleep(0.5)
        items = [m['name'] for m in MENU_ITEM.finditer(q.serial_text()[start:])]
        for want in ('Clock', 'Hello', 'Settings', 'System Monitor', 'Terminal'):
            if want not in items:
                q.fail(f'start menu lacks {want}: {items}')
        last = list(MENU_ITEM.finditer(q.serial_text()[start:]))[-1]
        menu = (0, 0, int(last['x']) + int(last['w']) + 8, int(last['y']) + int(last['h']) + 8)
        d.expect_golden('start-menu', (menu[0], 30, menu[2], menu[3] - 30))
        d.click(d.w // 2, d.h // 2)   # an outside click closes it
        q.wait_for(r'^gui: start menu closed\s*$', 20, start=start, fail_on=PANIC)

        # hello: the seed's example; its button changes its text.
        start = len(q.serial_text())
        m = d.open_app('Hello', 'My first application', start)
        q.wait_for(r'^hello: started', 30, start=start, fail_on=PANIC)
        cx, cy = int(m['cx']), int(m['cy'])
        d.expect_golden('hello', (cx, cy, 200, 300))
        start = len(q.serial_text())
        d.click(cx + 40, cy + 72)
        q.wait_for(r'^hello: clicked', 20, start=start, fail_on=PANIC)
        d.expect_golden('hello-clicked', (cx, cy, 200, 300))

        # Dragging the title bar moves the window (content and all).
        x, y = int(m['x']), int(m['y'])
        start = len(q.serial_text())
        d.drag(x + 60, y + 10, x + 60 + 180, y + 10 + 90)
        q.wait_for(rf'^gui: window {m["win"]} moved to {x + 180},{y + 90}\s*$', 20, start=start,
                   fail_on=PANIC)
        d.expect_golden('hello-clicked', (cx + 180, cy + 90, 200, 300))

        # The terminal: typing into its text input shows the text; its close
        # button closes it.
        start = len(q.serial_text())
        t = d.open_app('Terminal', 'Terminal', start)
        q.wait_for(r'^terminal: started', 30, start=start, fail_on=PANIC)
        time.sleep(0.5)
        d.type_text('echo hello tessera')
        tcx, tcy = int(t['cx']), int(t['cy'])
        fx, fy, fw, fh = frame_rect(t)
        d.expect_golden('terminal-typed', (tcx, fy + fh - 60, fw - 2, 56))
        start = len(q.serial_text())
        q.type_keys(['ret'])
        q.wait_for(r'^terminal: \$ echo hello tessera', 20, start=start, fail_on=PANIC)
        d.click(fx + fw - 16, fy + 15)
        q.wait_for(rf'^gui: window {t["win"]} closed\s*$', 20, start=start, fail_on=PANIC)

        # Settings: choosing another theme (keyboard: Tab to the theme list,
        # Home) re-renders every window live.
        before = d.screen()
        start = len(q.serial_text())
        s = d.open_app('Settings', 'Settings', start)
        q.wait_for(r'^settings: started', 30, start=start, fail_on=PANIC)
        q.type_keys(['tab', 'home'])
        q.wait_for(r'^settings: theme dark\s*$', 20, start=start, fail_on=PANIC)
        q.wait_for(r'^gui: theme dark\s*$', 20, start=start, fail_on=PANIC)
        fx, fy, fw, fh = frame_rect(s)
        d.click(fx + fw - 16, fy + 15)
        q.wait_for(rf'^gui: window {s["win"]} closed\s*$', 20, start=start, fail_on=PANIC)
        d.expect_golden('hello-dark', (cx + 180, cy + 90, 200, 300))
        after = d.screen()
        if golden.same_region(before, after, (d.w // 2, 2, 4, 4)):
            q.fail('the menu bar did not change colour with the theme')
        check_no_trouble(q)


GALLERY_CELLS = ('text', 'button', 'text-input', 'checkbox', 'slider', 'image', 'list', 'canvas', 'hello-text')
CELL_W, CELL_H, MARGIN = 220, 110, 10   # tests/uigallery/main.c


def test_widget_gallery():
    """Every widget rendered by the server (one golden image each; they are
    also docs/libui.md's pictures), and input routed to each: a button
    click, a checkbox toggle, a slider drag, a list selection, typing into a
    text input."""
    with Qemu(firmware='bios', gpu='virtio', cmdline='test=uigallery init.desktop') as q, \
            tempfile.TemporaryDirectory() as tmp:
        q.start()
        d = Desktop(q, tmp)
        m = q.wait_for(SHOWN.format(title='libui gallery'), 60, fail_on=PANIC)
        q.wait_for(r'^uigallery: ready', 30, fail_on=PANIC)
        cx, cy = int(m['cx']), int(m['cy'])

        def cell(i):
            return cx + MARGIN + (i % 3) * CELL_W, cy + MARGIN + (i // 3) * CELL_H

        d.park_pointer()
        shot = d.screen()
        problems = []
        for i, name in enumerate(GALLERY_CELLS):
            x, y = cell(i)
            why = golden.compare(f'widget-{name}', shot, (x - 4, y - 4, CELL_W - 6, CELL_H - 6))
            if why:
                problems.append(why)
        if problems:
            q.fail('\n'.join(problems))

        start = len(q.serial_text())
        x, y = cell(1)
        d.click(x + 20, y + 14)                       # the OK button
        q.wait_for(r'^uigallery: button clicked', 20, start=start, fail_on=PANIC)
        x, y = cell(3)
        d.click(x + 8, y + 8)                         # the checked box
        q.wait_for(r'^uigallery: changed to 0\s*$', 20, start=start, fail_on=PANIC)
        x, y = cell(2)
        d.click(x + 150, y + 14)                      # into the text input, then type
        q.type_keys(['end'])
        q.send_key('shift', True)
        q.type_keys(['1'])
        q.send_key('shift', False)
        q.wait_for(r'^uigallery: text "Hello, Tessera!"\s*$', 20, start=start, fail_on=PANIC)
        x, y = cell(2)
        d.expect_golden('widget-text-input-typed', (x - 4, y - 4, CELL_W - 6, CELL_H - 6))
        check_no_trouble(q)


def test_gpu_driver_restart_keeps_windows():
    """virtio_gpu crashes (virtio_gpu.crash_after: after that many requests)
    while an app's window is open: dm restarts it, the gui re-acquires the
    buffers and redraws everything, and the window is still there."""
    with Qemu(firmware='bios', gpu='virtio', cmdline='virtio_gpu.crash_after=50') as q, \
            tempfile.TemporaryDirectory() as tmp:
        q.start()
        d = Desktop(q, tmp)
        start = len(q.serial_text())
        m = d.open_app('Hello', 'My first application', start)
        q.wait_for(r'^gui: display lost', 120, start=start, fail_on=PANIC)
        q.wait_for(r'^gui: display back \(\d+x\d+\); everything redrawn', 60, fail_on=PANIC)
        d.expect_golden('hello', (int(m['cx']), int(m['cy']), 200, 300))
        if not re.search(r'^dm: driver servers/virtio_gpu .* restarting', q.serial_text(), re.M):
            q.fail('dm did not say it restarted virtio_gpu')
