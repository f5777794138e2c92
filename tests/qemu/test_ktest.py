"""The in-guest kernel test suite (test=ktest), and fault reporting seen in it."""

import re
import time

from common import KILLED, KTEST_DONE, PANIC, READY, run_guest_suite
from qemu import Qemu

TIMEOUT = 180


def _ktest(firmware):
    run_guest_suite('ktest', firmware=firmware, timeout=TIMEOUT)


def test_ktest_bios():
    _ktest('bios')


def test_ktest_uefi():
    _ktest('uefi')


def test_fault_report():
    """A faulting user task is reported with its rip, and the system carries on."""
    with Qemu(firmware='bios', cmdline='test=ktest') as q:
        q.start()
        deadline = time.monotonic() + TIMEOUT
        q.wait_for(READY, TIMEOUT, fail_on=PANIC)
        killed = q.wait_for(KILLED, max(deadline - time.monotonic(), 1), fail_on=PANIC)
        line = killed.group(0)
        if not re.search(r'rip=0x[0-9a-fA-F]+', line):
            q.fail(f'fault report has no rip=0x...: {line!r}')
        reason = killed['reason']
        if not re.search(r'page fault at 0x[0-9a-fA-F]+|[A-Za-z]{3,}', reason.split('rip=')[0]):
            q.fail(f'fault report names no fault (page fault at 0x... or exception name): {line!r}')
        # Searching on from the killed line: the suite must still finish.
        q.wait_for(KTEST_DONE, max(deadline - time.monotonic(), 1), fail_on=PANIC)


def _ktest_smp(n):
    """The kernel suite with n CPUs running at once (multi-threaded TCG):
    IPC, faults, kills and the fuzzer across CPUs."""
    run_guest_suite('ktest', timeout=300, prefix=f'smp{n}:', smp=n, parallel=True)


def test_ktest_smp2():
    _ktest_smp(2)


def test_ktest_smp4():
    _ktest_smp(4)


def test_boot_smp4():
    """Four CPUs come up and the system boots."""
    with Qemu(firmware='bios', smp=4) as q:
        q.start()
        q.wait_for(r'^\[kernel\] 4 CPUs online', 120, fail_on=PANIC)
        q.wait_for(READY, 120, fail_on=PANIC)
