"""Plain boots: the system comes up cleanly on both firmwares."""

import time

from common import PANIC, READY, TROUBLE, check_banner_once, check_no_trouble
from qemu import Qemu


def _boot(firmware, timeout):
    with Qemu(firmware=firmware) as q:
        q.start()
        q.wait_for(READY, timeout, fail_on=TROUBLE)
        time.sleep(1)  # catch trouble printed right after READY
        check_banner_once(q)
        check_no_trouble(q)
        if not q.is_running():
            q.fail(f'QEMU exited (status {q.proc.returncode}) after READY')


def test_boot_bios():
    _boot('bios', 60)


def test_boot_uefi():
    _boot('uefi', 120)


def test_boot_services():
    """init starts the services in boot.conf and prints READY only after each
    reported ready (ktest's 'service' mode takes 200 ms to do so)."""
    with Qemu(firmware='bios', cmdline='init.test_service') as q:
        q.start()
        q.wait_for(r'^init: ktest-svc is ready\s*$', 60, fail_on=TROUBLE)
        q.wait_for(READY, 10, fail_on=TROUBLE)
        check_no_trouble(q)


def test_boot_service_broken():
    """A boot service that is missing, or crashes before it is ready, is
    reported in one line each; the boot goes on to READY."""
    with Qemu(firmware='bios', cmdline='init.test_broken') as q:
        q.start()
        q.wait_for(r'^init: cannot start broken \(tests/no-such-program\)', 60, fail_on=PANIC)
        q.wait_for(r'^\[kernel\] task crasher \(id \d+\) killed: page fault at 0x0', 30, fail_on=PANIC)
        q.wait_for(r'^init: boot service crasher ended before it was ready', 30, fail_on=PANIC)
        q.wait_for(READY, 10, fail_on=PANIC)


def test_boot_conf_missing():
    """No boot configuration at all: said plainly, and the system still comes up."""
    with Qemu(firmware='bios', cmdline='init.conf=etc/no-such.conf') as q:
        q.start()
        q.wait_for(r'^init: etc/no-such.conf: ', 60, fail_on=TROUBLE)
        q.wait_for(READY, 10, fail_on=TROUBLE)


def test_idle_system_leaves_host_idle():
    """Tickless idle: once booted, the system takes no timer interrupts it
    does not need, so QEMU itself stays (almost) idle on the host."""
    import os
    with Qemu(firmware='bios') as q:
        q.start()
        q.wait_for(READY, 60, fail_on=TROUBLE)
        time.sleep(2)
        tck = os.sysconf('SC_CLK_TCK')

        def cpu_seconds():
            fields = open(f'/proc/{q.proc.pid}/stat').read().rsplit(')', 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / tck
        before = cpu_seconds()
        time.sleep(5)
        share = (cpu_seconds() - before) / 5 * 100
        if share > 5:
            q.fail(f'QEMU used {share:.1f} % of a host core while the system was idle (want < 5 %)')
