"""The ps2 and rtc drivers in the guest (test=inputtest; dm starts both and
offers them as "input" and "rtc"): keys, modifiers, lock keys, characters
and mouse motion, buttons and wheel injected through QMP come out of an
input subscription as the right events; a subscriber that ends is dropped;
the RTC agrees with the host's clock. Restarts: ps2.crash_after /
rtc.crash_after make a driver fault while inputtest uses it; dm restarts it
and inputtest carries on with the new instance."""

import re
import time

from common import PANIC, READY, TROUBLE, check_banner_once, check_no_trouble
from qemu import QemuError, Qemu

READY_LINE = r'^inputtest: ready\s*$'
KEY_RE = re.compile(r'^inputtest: key code=(\d+) down=(\d) mods=(\d+) char=(\S+) repeat=(\d)\s*$', re.M)
MOUSE_RE = re.compile(r'^inputtest: mouse dx=(-?\d+) dy=(-?\d+) buttons=(\d+) wheel=(-?\d+)\s*$', re.M)

# Key codes (Linux input codes, libs/tessera/include/tessera/input.h) and modifiers.
ESC, ONE, C, B, A, ENTER, LCTRL, LSHIFT, CAPS, NUMLOCK, KP1, UP = 1, 2, 46, 48, 30, 28, 29, 42, 58, 69, 79, 103
SHIFT, CTRL, CAPS_ON, NUM_ON = 1, 2, 16, 32


def _boot(q):
    q.start()
    q.wait_for(READY, 120, fail_on=TROUBLE)


def _press_escape(q):
    """Escape ends inputtest and so the machine: QEMU may be gone before it
    answers the QMP command, which is fine; the output tells."""
    try:
        q.send_key('esc', True)
    except QemuError:
        pass


def _end_inputtest(q, check_drops=False):
    """Escape ends inputtest (which then says whether it lost events) and
    init powers off with its success."""
    _press_escape(q)
    if check_drops:
        done = q.wait_for(r'^inputtest: done events=(\d+) dropped=(\d+)\s*$', 30, fail_on=PANIC)
        if done[2] != '0':
            q.fail(f'{done[2]} events were dropped')
    status = q.wait_exit(30)
    if status != 1:
        q.fail(f'QEMU exit status {status}, expected 1 (inputtest succeeded)')


def _keys(q, start):
    return [(int(m[1]), int(m[2]), int(m[3]), m[4]) for m in KEY_RE.finditer(q.serial_text(), start)]


def _mouse(q, start):
    return [tuple(int(x) for x in m.groups()) for m in MOUSE_RE.finditer(q.serial_text(), start)]


def _settle(q, start, regex, count, timeout=20):
    """Wait until `count` lines matching regex appeared after `start`, then a
    little longer for stragglers."""
    deadline = time.monotonic() + timeout
    while len(regex.findall(q.serial_text(), start)) < count:
        if time.monotonic() > deadline or not q.is_running():
            q.fail(f'expected {count} event lines, got {len(regex.findall(q.serial_text(), start))}')
        time.sleep(0.05)
    time.sleep(0.3)


def _check_keys(q, got, want, what):
    if got != want:
        q.fail(f'{what}: events\n  got  {got}\n  want {want}')


def test_input_keyboard_and_mouse():
    with Qemu(firmware='bios', cmdline='test=inputtest') as q:
        _boot(q)
        q.wait_for(r'^inputtest: dead subscriber dropped\s*$', 60, fail_on=TROUBLE)
        q.wait_for(READY_LINE, 60, fail_on=TROUBLE)

        # Keys: plain, shifted, caps lock on and off, Enter, an E0 key, ctrl.
        start = len(q.serial_text())
        q.type_keys(['a', ('shift', 'b'), 'caps_lock', 'a', ('shift', '1'), 'ret', 'caps_lock',
                     'up', ('ctrl', 'c')])
        want = [
            (A, 1, 0, 'a'), (A, 0, 0, '-'),
            (LSHIFT, 1, SHIFT, '-'), (B, 1, SHIFT, 'B'), (B, 0, SHIFT, '-'), (LSHIFT, 0, 0, '-'),
            (CAPS, 1, CAPS_ON, '-'), (CAPS, 0, CAPS_ON, '-'),
            (A, 1, CAPS_ON, 'A'), (A, 0, CAPS_ON, '-'),
            (LSHIFT, 1, CAPS_ON | SHIFT, '-'), (ONE, 1, CAPS_ON | SHIFT, '!'),
            (ONE, 0, CAPS_ON | SHIFT, '-'), (LSHIFT, 0, CAPS_ON, '-'),
            (ENTER, 1, CAPS_ON, '0x0a'), (ENTER, 0, CAPS_ON, '-'),
            (CAPS, 1, 0, '-'), (CAPS, 0, 0, '-'),
            (UP, 1, 0, '-'), (UP, 0, 0, '-'),
            (LCTRL, 1, CTRL, '-'), (C, 1, CTRL, 'c'), (C, 0, CTRL, '-'), (LCTRL, 0, 0, '-'),
        ]
        _settle(q, start, KEY_RE, len(want))
        _check_keys(q, _keys(q, start), want, 'keyboard')

        # Num lock and the keypad.
        start = len(q.serial_text())
        q.type_keys(['num_lock', 'kp_1', 'num_lock', 'kp_1'])
        want = [(NUMLOCK, 1, NUM_ON, '-'), (NUMLOCK, 0, NUM_ON, '-'),
                (KP1, 1, NUM_ON, '1'), (KP1, 0, NUM_ON, '-'),
                (NUMLOCK, 1, 0, '-'), (NUMLOCK, 0, 0, '-'),
                (KP1, 1, 0, '-'), (KP1, 0, 0, '-')]
        _settle(q, start, KEY_RE, len(want))
        _check_keys(q, _keys(q, start), want, 'keypad')

        # Motion: QEMU may split or merge packets, so compare sums. QMP's y
        # grows downwards, as ours does.
        for dx, dy in [(10, -5), (-3, 7)]:
            start = len(q.serial_text())
            q.mouse_move_rel(dx, dy)
            _settle(q, start, MOUSE_RE, 1)
            packets = _mouse(q, start)
            got = (sum(p[0] for p in packets), sum(p[1] for p in packets))
            if got != (dx, dy) or any(p[2] or p[3] for p in packets):
                q.fail(f'moved by {(dx, dy)}: packets {packets}')

        # Buttons: each press shows alone, each release clears it.
        for button, bit in [('left', 1), ('right', 2), ('middle', 4)]:
            start = len(q.serial_text())
            q.mouse_button(button, True)
            _settle(q, start, MOUSE_RE, 1)
            q.mouse_button(button, False)
            _settle(q, start, MOUSE_RE, 2)
            states = [p[2] for p in _mouse(q, start)]
            if states[0] != bit or states[-1] != 0 or any(s not in (0, bit) for s in states):
                q.fail(f'{button} button: button states {states}, expected {bit} then 0')

        # The wheel: up is positive.
        for button, sign in [('wheel-up', 1), ('wheel-down', -1), ('wheel-up', 1)]:
            start = len(q.serial_text())
            q.mouse_button(button, True)
            q.mouse_button(button, False)
            _settle(q, start, MOUSE_RE, 1)
            packets = _mouse(q, start)
            if sum(p[3] for p in packets) != sign or any(p[0] or p[1] or p[2] for p in packets):
                q.fail(f'{button}: packets {packets}, expected a wheel total of {sign}')

        # Escape ends the program, which reports no lost events.
        _end_inputtest(q, check_drops=True)
        check_banner_once(q)
        check_no_trouble(q)


def test_rtc_time():
    """The rtc server's time (as inputtest prints it) is the host's, within a
    few seconds: QEMU's RTC starts at the host's UTC time."""
    with Qemu(firmware='bios', cmdline='test=inputtest') as q:
        _boot(q)
        m = q.wait_for(r'^rtc: unix=(\d+)\s*$', 60, fail_on=TROUBLE)
        host = time.time()
        guest = int(m[1])
        if abs(guest - host) > 5:
            q.fail(f'guest RTC says {guest}, host clock {host:.0f} (off by {guest - host:.0f} s)')
        q.wait_for(READY_LINE, 60, fail_on=TROUBLE)
        _end_inputtest(q)


def test_ps2_no_controller():
    """A machine without an i8042: ps2 says so in one line and the boot goes on."""
    with Qemu(firmware='bios', extra_args=['-machine', 'q35,i8042=off']) as q:
        q.start()
        q.wait_for(r'^ps2: no i8042 controller', 60, fail_on=TROUBLE)
        q.wait_for(READY, 60, fail_on=TROUBLE)
        if count_lines(q, r'^ps2: ') != 1:
            q.fail('expected exactly one line from ps2')
        check_no_trouble(q)


# A driver killed on purpose (the crash tests); nothing else may be.
def _trouble_but(task):
    return r'PANIC|^\[kernel\] task (?!' + task + r' ).* killed:'


def test_ps2_restart():
    """ps2.crash_after=4: ps2 faults once it has delivered four key events
    (each instance does); dm restarts it, inputtest notices (input.stats
    fails with -E_PEER), subscribes to the new instance, and keys typed
    afterwards arrive with the right codes. Two restarts, then Escape ends
    inputtest as usual."""
    trouble = _trouble_but('ps2')
    crash = r'^ps2: crash test: faulting on purpose after 4 key events\s*$'
    ended = r'^dm: driver servers/ps2 for i8042 ended \(status -?\d+\); restarting\s*$'
    resubscribed = r'^inputtest: resubscribed after a restart\s*$'
    with Qemu(firmware='bios', cmdline='test=inputtest ps2.crash_after=4') as q:
        _boot(q)
        q.wait_for(READY_LINE, 60, fail_on=trouble)
        rounds = [(['a', 'b'], [(A, 1, 0, 'a'), (A, 0, 0, '-'), (B, 1, 0, 'b'), (B, 0, 0, '-')]),
                  ([('shift', 'c')], [(LSHIFT, 1, SHIFT, '-'), (C, 1, SHIFT, 'C'), (C, 0, SHIFT, '-'),
                                      (LSHIFT, 0, 0, '-')])]
        for n, (keys, want) in enumerate(rounds, 1):
            start = len(q.serial_text())
            q.type_keys(keys)
            _settle(q, start, KEY_RE, len(want))
            _check_keys(q, _keys(q, start), want, f'instance {n}')
            q.wait_for(crash, 30, start=start, fail_on=PANIC)
            q.wait_for(ended, 30, start=start, fail_on=PANIC)
            q.wait_for(resubscribed, 60, start=start, fail_on=trouble)
        _end_inputtest(q, check_drops=True)
        check_banner_once(q)


def test_rtc_restart():
    """rtc.crash_after=2: the rtc driver faults at inputtest's third read of
    the clock; dm restarts it, inputtest looks "rtc" up again and every
    reading stays sane across the restart."""
    trouble = _trouble_but('rtc')
    with Qemu(firmware='bios', cmdline='test=inputtest rtc.crash_after=2') as q:
        q.start()
        q.wait_for(READY, 120, fail_on=trouble)
        m = q.wait_for(r'^rtc: restart survived: reads=(\d+) failures=(\d+)\s*$', 60, fail_on=trouble)
        if int(m[2]) < 1:
            q.fail('inputtest never saw the rtc driver fail: no restart was tested')
        text = q.serial_text()
        for line in (r'^rtc: crash test: faulting on purpose after 2 get_time calls\s*$',
                     r'^dm: driver servers/rtc for rtc ended \(status -?\d+\); restarting\s*$'):
            if not re.search(line, text, re.M):
                q.fail(f'no line /{line}/ in the log')
        m = re.search(r'^rtc: unix=(\d+)\s*$', text, re.M)
        if not m or abs(int(m[1]) - time.time()) > 10:
            q.fail(f'guest RTC says {m and m[1]}, host clock {time.time():.0f}')
        q.wait_for(READY_LINE, 60, fail_on=trouble)
        _end_inputtest(q)


def count_lines(q, pattern):
    return len(re.findall(pattern, q.serial_text(), re.M))
