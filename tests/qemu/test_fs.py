"""The file system interface served by bootfs, tested in the guest (test=fstest)."""

import re

from common import run_guest_suite

FS_READY = r'^init: fs is ready\s*$'
# bootfs says so when it leaves archive entries out or finds the archive corrupt.
BOOTFS_TROUBLE = r'^bootfs: (left out|the archive is corrupt|the index is full|no )'


def test_fstest():
    log = run_guest_suite('fstest', timeout=180, prefix='fstest.')
    lines = log.splitlines()
    if not any(re.match(FS_READY, l) for l in lines):
        raise AssertionError('init never reported fs ready')
    trouble = [l for l in lines if 'PANIC' in l or 'killed:' in l or re.match(BOOTFS_TROUBLE, l)]
    if trouble:
        raise AssertionError('unexpected lines in the serial log:\n' + '\n'.join(trouble[:10]))
