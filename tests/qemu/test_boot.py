"""Plain boots: the system comes up cleanly on both firmwares."""

import time

from common import READY, TROUBLE, check_banner_once, check_no_trouble
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
