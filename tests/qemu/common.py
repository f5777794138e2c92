"""What Tessera prints on COM1, and checks shared by the scenarios."""

import re
import shutil
import subprocess

from qemu import KERNEL_ELF

BANNER = r'^Tessera kernel'
READY = r'^TESSERA READY\s*$'
PANIC = r'PANIC'
KILLED = r'^\[kernel\] task (?P<task>.+?) \(id (?P<id>\d+)\) killed:(?P<reason>.*)$'
KTEST_RESULT = r'^ktest: (?P<verdict>PASS|FAIL) (?P<name>[^:\s]+)(?:: (?P<reason>.*?))?\s*$'
KTEST_DONE = r'^ktest: done (?P<passed>\d+) passed, (?P<failed>\d+) failed\s*$'
BACKTRACE = r'#\d+ 0x[0-9a-f]+ \w+\+0x[0-9a-f]+'
BACKTRACE_FIELDS = r'#(?P<depth>\d+) 0x(?P<addr>[0-9a-f]+) (?P<sym>\w+)\+0x(?P<off>[0-9a-f]+)'

# Boots that are not about failure should never show these; fail fast on them.
TROUBLE = r'PANIC|^\[kernel\] task .* killed:'


def count(pattern, text):
    return len(re.findall(pattern, text, re.MULTILINE))


def check_banner_once(q):
    n = count(BANNER, q.serial_text())
    if n != 1:
        q.fail(f"kernel banner 'Tessera kernel' appeared {n} times (expected once; "
               f"more means the machine rebooted)")


def check_no_trouble(q):
    text = q.serial_text()
    bad = [line for line in text.splitlines() if 'PANIC' in line or 'killed:' in line]
    if bad:
        q.fail('unexpected PANIC/killed lines:\n' + '\n'.join(bad[:10]))


def kernel_symbols():
    """{name: [addresses]} from build/kernel/kernel.elf via nm, or None if unavailable."""
    if not KERNEL_ELF.is_file() or shutil.which('nm') is None:
        return None
    try:
        out = subprocess.run(['nm', str(KERNEL_ELF)], capture_output=True, text=True,
                             timeout=30, check=True).stdout
    except (subprocess.SubprocessError, OSError):
        return None
    symbols = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            symbols.setdefault(parts[2], []).append(int(parts[0], 16))
    return symbols


def run_guest_suite(program, firmware='bios', timeout=180, cmdline=None, prefix=None, smp=1,
                    parallel=False, extra_args=(), fail_on=PANIC):
    """Boot with test=PROGRAM and check an in-guest suite that prints
    'PROGRAM: PASS name' / 'PROGRAM: FAIL name: why' lines and a closing
    'PROGRAM: done N passed, M failed', then powers off with success. Every
    in-guest test is reported as a result of its own. smp: number of CPUs;
    parallel: multi-threaded TCG (the CPUs really run at once). extra_args
    go to QEMU (devices, drives); fail_on ends the wait at once (default: a
    panic). Returns the serial log."""
    import time
    from qemu import Qemu, report
    tag = re.escape(program)
    result_re = rf'^{tag}: (?P<verdict>PASS|FAIL) (?P<name>[^:\s]+)(?:: (?P<reason>.*?))?\s*$'
    done_re = rf'^{tag}: done (?P<passed>\d+) passed, (?P<failed>\d+) failed\s*$'
    deadline = time.monotonic() + timeout
    with Qemu(firmware=firmware, cmdline=cmdline or f'test={program}', smp=smp, parallel=parallel,
              extra_args=extra_args) as q:
        q.start()
        try:
            q.wait_for(READY, timeout, fail_on=fail_on)
            done = q.wait_for(done_re, max(deadline - time.monotonic(), 1), fail_on=fail_on)
        finally:
            results = list(re.finditer(result_re, q.serial_text(), re.MULTILINE))
            for m in results:
                report((prefix or '') + m['name'], m['verdict'] == 'PASS', m['reason'] or '')
        passed = sum(1 for m in results if m['verdict'] == 'PASS')
        failed = len(results) - passed
        want_passed, want_failed = int(done['passed']), int(done['failed'])
        if (passed, failed) != (want_passed, want_failed):
            q.fail(f'{program} summary says {want_passed} passed, {want_failed} failed, but '
                   f'{passed} PASS and {failed} FAIL lines were printed')
        if want_failed:
            names = ', '.join(m['name'] for m in results if m['verdict'] == 'FAIL')
            q.fail(f'{want_failed} in-guest test(s) failed: {names}')
        if want_passed == 0:
            q.fail(f'{program} ran no tests')
        status = q.wait_exit(30)
        if status != 1:
            q.fail(f'QEMU exit status {status}, expected 1 (isa-debug-exit value 0 = success)')
        check_banner_once(q)
        return q.serial_text()
