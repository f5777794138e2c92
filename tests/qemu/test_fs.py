"""The file system interface served by bootfs, tested in the guest (test=fstest)."""

import re
import time

from common import PANIC, READY, TROUBLE, check_banner_once, check_no_trouble
from qemu import Qemu, report

TIMEOUT = 180
FS_READY = r'^init: fs is ready\s*$'
FSTEST_RESULT = r'^fstest: (?P<verdict>PASS|FAIL) (?P<name>[^:\s]+)(?:: (?P<reason>.*?))?\s*$'
FSTEST_DONE = r'^fstest: done (?P<passed>\d+) passed, (?P<failed>\d+) failed\s*$'
# bootfs says so when it leaves archive entries out or finds the archive corrupt.
BOOTFS_TROUBLE = r'^bootfs: (left out|the archive is corrupt|the index is full|no )'


def test_fstest():
    deadline = time.monotonic() + TIMEOUT
    with Qemu(firmware='bios', cmdline='test=fstest') as q:
        q.start()
        try:
            q.wait_for(FS_READY, TIMEOUT, fail_on=TROUBLE)
            q.wait_for(READY, max(deadline - time.monotonic(), 1), fail_on=TROUBLE)
            done = q.wait_for(FSTEST_DONE, max(deadline - time.monotonic(), 1), fail_on=PANIC)
        finally:
            # Report every in-guest result seen, even when the run broke off.
            results = list(re.finditer(FSTEST_RESULT, q.serial_text(), re.MULTILINE))
            for m in results:
                report('fstest.' + m['name'], m['verdict'] == 'PASS', m['reason'] or '')
        passed = sum(1 for m in results if m['verdict'] == 'PASS')
        failed = len(results) - passed
        want_passed, want_failed = int(done['passed']), int(done['failed'])
        if (passed, failed) != (want_passed, want_failed):
            q.fail(f'fstest summary says {want_passed} passed, {want_failed} failed, but '
                   f'{passed} PASS and {failed} FAIL lines were printed')
        if want_failed:
            names = ', '.join(m['name'] for m in results if m['verdict'] == 'FAIL')
            q.fail(f'{want_failed} in-guest test(s) failed: {names}')
        if want_passed == 0:
            q.fail('fstest ran no tests')
        status = q.wait_exit(30)
        if status != 1:
            q.fail(f'QEMU exit status {status}, expected 1 (isa-debug-exit value 0 = success)')
        check_banner_once(q)
        check_no_trouble(q)
        bad = [l for l in q.serial_text().splitlines() if re.match(BOOTFS_TROUBLE, l)]
        if bad:
            q.fail('bootfs complained about the boot archive:\n' + '\n'.join(bad[:10]))
