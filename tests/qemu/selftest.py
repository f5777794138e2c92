#!/usr/bin/env python3
"""Self-test of the QEMU harness that needs no Tessera build.

Not a scenario (run.py only collects test_*.py). Run: python3 tests/qemu/selftest.py
It boots a hand-assembled 512-byte boot sector (prints to COM1, then writes
to isa-debug-exit) and an empty machine (SeaBIOS "No bootable device").
"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402
from qemu import Qemu, QemuError, QemuTimeout, read_ppm, ppm_pixel  # noqa: E402

MESSAGE = b'bootsector says hi\r\nsecond line\r\n'
EXIT_VALUE = 2


def boot_sector(message=MESSAGE, exit_value=EXIT_VALUE):
    """Real-mode code: write `message` to port 0x3f8, then `exit_value` to
    isa-debug-exit (or, if None, halt forever like a panicked kernel)."""
    msg_offset = 29
    code = bytes([
        0xFA,                     # cli
        0xFC,                     # cld
        0x31, 0xC0,               # xor ax, ax
        0x8E, 0xD8,               # mov ds, ax
        0xBA, 0xF8, 0x03,         # mov dx, 0x3f8
        0xBE, (0x7C00 + msg_offset) & 0xFF, (0x7C00 + msg_offset) >> 8,  # mov si, msg
        0xAC,                     # next: lodsb
        0x84, 0xC0,               # test al, al
        0x74, 0x03,               # jz done
        0xEE,                     # out dx, al
        0xEB, 0xF8,               # jmp next
        0xBA, 0xF4, 0x00,         # done: mov dx, 0xf4
        0xB0, exit_value or 0,    # mov al, exit_value
        0xEE if exit_value is not None else 0x90,  # out dx, al (or nop)
        0xF4,                     # hang: hlt
        0xEB, 0xFD,               # jmp hang
    ])
    assert len(code) == msg_offset
    sector = code + message + b'\0'
    assert len(sector) <= 510, f'message too long by {len(sector) - 510} bytes'
    # SeaBIOS will not read a disk image smaller than a track; pad to 1 MiB.
    return (sector.ljust(510, b'\0') + b'\x55\xAA').ljust(1 << 20, b'\0')


def check(cond, message):
    if not cond:
        raise AssertionError(message)


def test_serial_and_exit(tmp):
    disk = tmp / 'boot.img'
    disk.write_bytes(boot_sector())
    with Qemu(iso=None, name='selftest-bootsector',
              extra_args=['-drive', f'if=ide,format=raw,file={disk}']) as q:
        q.start()
        m = q.wait_for(r'^bootsector says (\w+)$', 30)
        check(m.group(1) == 'hi', m.group(0))
        q.wait_for(r'^second line$', 5)
        status = q.wait_exit(10)
        check(status == (EXIT_VALUE << 1) | 1, f'exit status {status}')
        check(q.serial_lines() == ['bootsector says hi', 'second line'], repr(q.serial_lines()))
        # After exit a wait must fail at once, not after its timeout.
        t = time.monotonic()
        try:
            q.wait_for('never printed', 60)
            raise AssertionError('wait_for after exit did not fail')
        except QemuTimeout:
            raise AssertionError('wait_for after exit waited for its timeout')
        except QemuError as e:
            check('exited with status 5' in str(e), str(e))
            check('bootsector says hi' in str(e), 'serial tail missing from error')
        check(time.monotonic() - t < 5, 'wait_for after exit was slow')
        tmpdir = q.tmpdir
    check(not tmpdir.exists(), f'{tmpdir} not cleaned up')


def test_screen_input_timeouts(tmp):
    with Qemu(iso=None, name='selftest-empty',
              extra_args=['-device', 'virtio-tablet-pci']) as q:
        q.start()
        # Timeouts fire and carry diagnostics.
        t = time.monotonic()
        try:
            q.wait_for('will never appear', 2)
            raise AssertionError('wait_for did not time out')
        except QemuTimeout as e:
            check('qemu command:' in str(e), str(e))
        check(time.monotonic() - t < 4, 'timeout took too long')
        try:
            q.wait_exit(1)
            raise AssertionError('wait_exit did not time out')
        except QemuTimeout:
            pass
        time.sleep(3)  # let SeaBIOS draw its messages
        ppm = tmp / 'screen.ppm'
        png = tmp / 'screen.png'
        q.screendump(ppm, fmt='ppm')
        q.screendump(png, fmt='png')
        image = read_ppm(ppm)
        w, h, pixels = image
        check(w >= 320 and h >= 200, f'odd screen size {w}x{h}')
        lit = sum(1 for i in range(0, len(pixels), 3) if pixels[i:i + 3] != b'\0\0\0')
        check(lit > 100, f'screen looks blank ({lit} non-black pixels)')
        check(len(ppm_pixel(image, w - 1, h - 1)) == 3, 'ppm_pixel')
        check(png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n', 'PNG signature')
        gpu = tmp / 'gpu.ppm'
        q.screendump(gpu, fmt='ppm', device=qemu.GPU_ID)
        check(read_ppm(gpu)[0] > 0, 'virtio-gpu screendump')
        print(f'  screen {w}x{h}, {lit} non-black pixels')
        # Input events must be accepted by QEMU.
        q.send_key('a', True)
        q.send_key('a', False)
        q.type_keys(['h', 'i', ('shift', '1'), 'ret'], delay=0.01)
        q.mouse_move_rel(10, -5)
        q.mouse_move_abs(100, 50, width=w, height=h)
        q.mouse_button('left', True)
        q.mouse_button('left', False)
        check(q.is_running(), 'QEMU died')
        # -no-reboot turns a reset into an exit.
        q.qmp_cmd('system_reset')
        status = q.wait_exit(10)
        check(status == 0, f'exit status after reset {status}')


def test_uefi_starts(tmp):
    with Qemu(firmware='uefi', iso=None, name='selftest-uefi') as q:
        q.start()
        q.wait_for(r'\S', 90, partial=True)  # OVMF writes its boot messages to COM1
        print(f'  OVMF first serial output: {q.serial_lines()[:1]!r}')
        check(q.is_running(), 'QEMU died')
        vars_copy = q.vars_copy
        check(vars_copy.exists(), 'VARS copy missing')
    check(not vars_copy.exists(), 'VARS copy not cleaned up')


def test_bad_start(tmp):
    q = Qemu(iso=None, extra_args=['-no-such-option'])
    t = time.monotonic()
    try:
        q.start()
        raise AssertionError('start() with a bad option succeeded')
    except QemuError as e:
        check('no-such-option' in str(e), str(e))
    finally:
        q.close()
    check(time.monotonic() - t < 10, 'bad start was slow')
    q = Qemu(iso=tmp / 'missing.iso')
    try:
        q.start()
        raise AssertionError('missing ISO not detected')
    except QemuError as e:
        check('ISO not found' in str(e), str(e))
    check(not q.tmpdir.exists(), 'failed start() left its temp dir')


def test_ppm_reader(tmp):
    path = tmp / 'tiny.ppm'
    path.write_bytes(b'P6\n# comment\n2 1\n255\n' + bytes([1, 2, 3, 4, 5, 6]))
    image = read_ppm(path)
    check(image[:2] == (2, 1), repr(image))
    check(ppm_pixel(image, 1, 0) == (4, 5, 6), repr(image))


# Scenario logic, checked against scripted transcripts instead of Tessera.

GOOD_KTEST = (b'Tessera kernel 0.1\r\nTESSERA READY\r\nktest: PASS alpha\r\n'
              b'[kernel] task crashme (id 7) killed: page fault at 0x0 rip=0x401000\r\n'
              b'ktest: PASS beta\r\nktest: done 2 passed, 0 failed\r\n')
BAD_KTEST = (b'Tessera kernel 0.1\r\nTESSERA READY\r\nktest: PASS alpha\r\n'
             b'ktest: FAIL beta: expected 1 got 2\r\nktest: done 1 passed, 1 failed\r\n')
GOOD_PANIC = (b'Tessera kernel 0.1\r\nPANIC: panic_test requested\r\n'
              b'  #0 0xffffffff80101234 kpanic+0x1c\r\n  #1 0xffffffff80100010 kmain+0x10\r\n'
              b'System halted.\r\n')
REBOOTING_PANIC = GOOD_PANIC + b'Tessera kernel 0.1\r\n'
GOOD_BOOT = b'Tessera kernel 0.1\r\ninit: up\r\nTESSERA READY\r\n'
DOUBLE_BANNER = b'Tessera kernel 0.1\r\nTessera kernel 0.1\r\nTESSERA READY\r\n'


def _run_scenario(tmp, fn, module, transcript, exit_value):
    """Run scenario `fn` with its module's Qemu booting `transcript` instead."""
    import common
    disk = tmp / 'transcript.img'
    disk.write_bytes(boot_sector(transcript, exit_value))

    def fake(firmware='bios', **kwargs):
        return Qemu(firmware='bios', iso=None, name='selftest-transcript',
                    extra_args=['-drive', f'if=ide,format=raw,file={disk}'])
    saved = module.Qemu, common.kernel_symbols
    module.Qemu = fake
    module.kernel_symbols = lambda: {'kpanic': [0xffffffff80101218], 'kmain': [0xffffffff80100000]}
    ctx = qemu.set_context(name='selftest')
    try:
        fn()
        return None, ctx.subresults
    except AssertionError as e:
        return str(e), ctx.subresults
    finally:
        module.Qemu = saved[0]
        if hasattr(module, 'kernel_symbols'):
            module.kernel_symbols = saved[1]


def test_scenario_logic(tmp):
    import test_boot
    import test_ktest
    import test_panic
    cases = [
        (test_boot.test_boot_bios, test_boot, GOOD_BOOT, None, None),
        (test_boot.test_boot_bios, test_boot, DOUBLE_BANNER, None, 'appeared 2 times'),
        (test_ktest.test_ktest_bios, test_ktest, GOOD_KTEST, 0, None),
        (test_ktest.test_ktest_bios, test_ktest, BAD_KTEST, 1, 'in-guest test(s) failed: beta'),
        (test_ktest.test_ktest_bios, test_ktest, GOOD_KTEST, 1, 'exit status 3'),
        (test_ktest.test_fault_report, test_ktest, GOOD_KTEST, 0, None),
        (test_ktest.test_fault_report, test_ktest, BAD_KTEST, 1, 'QEMU exited'),
        (test_panic.test_panic, test_panic, GOOD_PANIC, None, None),
        (test_panic.test_panic, test_panic, REBOOTING_PANIC, None, 'appeared 2 times'),
        (test_panic.test_panic, test_panic, GOOD_PANIC, 3, 'QEMU exited with status 7'),
    ]
    for fn, module, transcript, exit_value, expect in cases:
        error, subresults = _run_scenario(tmp, fn, module, transcript, exit_value)
        what = f'{fn.__name__} on {transcript[:60]!r}... exit {exit_value}'
        if expect is None:
            check(error is None, f'{what}: unexpected failure: {error}')
        else:
            check(error is not None and expect in error,
                  f'{what}: expected failure containing {expect!r}, got: {error}')
        if fn is test_ktest.test_ktest_bios:
            check([(n, ok) for n, ok, _ in subresults][:2] == [('alpha', True), ('beta', expect is None or 'exit' in expect)],
                  f'{what}: sub-results {subresults}')
        print(f'  ok: {fn.__name__} {"passes" if expect is None else "fails: " + expect}')


def main():
    failed = 0
    only = sys.argv[1:]
    with tempfile.TemporaryDirectory(prefix='tessera-selftest-') as d:
        tmp = Path(d)
        for name, fn in list(globals().items()):
            if name.startswith('test_') and callable(fn) and (not only or name in only):
                t = time.monotonic()
                try:
                    fn(tmp)
                    print(f'PASS {name} ({time.monotonic() - t:.1f}s)')
                except Exception as e:  # report everything, keep going
                    failed += 1
                    print(f'FAIL {name}: {type(e).__name__}: {e}')
    print('selftest ' + ('failed' if failed else 'passed'))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
