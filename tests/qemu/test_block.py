"""The disk drivers through the block interface (test=blktest,
tests/blktest/main.c) with a fresh 64 MiB raw image on one bus, then the
image checked on the host: the pattern blktest wrote at sector 0 and in the
last 256 sectors, and "TESSERA-BLKTEST" at sector 2048.

- virtio-blk (servers/virtio_blk, vda), also read-only (writes refused with
  -E_ROFS, the image untouched)
- AHCI (servers/ahci, sda) and NVMe (servers/nvme, nvme0): defined only
  once their drivers are built.
"""

import re
import tempfile
from pathlib import Path

from common import TROUBLE, run_guest_suite
from qemu import REPO, report

IMAGE_BYTES = 64 << 20
SECTOR = 512
PATTERN_SECTORS = 256
MARKER = b'TESSERA-BLKTEST'
MARKER_OFFSET = 2048 * SECTOR
TIMEOUT = 240
TAG = 'blktest'

BUSES = {
    'virtio': ('vda', lambda drive: ['-device', f'virtio-blk-pci,drive={drive},disable-legacy=on']),
    'ahci': ('sda', lambda drive: ['-device', f'ide-hd,drive={drive},bus=ide.0']),
    'nvme': ('nvme0', lambda drive: ['-device', f'nvme,serial=tessera0,drive={drive}']),
}


def pattern_byte(offset):
    """What blktest's pattern_byte() puts at byte `offset` of the disk."""
    return (((offset >> 9) * 7 + offset) ^ 0xa5) & 0xff


def expected_pattern(first_byte, length):
    return bytes(pattern_byte(first_byte + i) for i in range(length))


def run_block_suite(bus, readonly=False, cmdline_extra='', prefix=None):
    """Boots test=blktest with a fresh image on `bus`, checks the in-guest
    suite (drivers may log device errors; nothing may crash) and returns
    (serial log, image bytes)."""
    disk, device_args = BUSES[bus]
    with tempfile.TemporaryDirectory(prefix='tessera-blk-') as tmp:
        image = Path(tmp) / 'disk.img'
        with open(image, 'wb') as f:
            f.truncate(IMAGE_BYTES)
        ro = ',readonly=on' if readonly else ''
        extra = ['-drive', f'file={image},if=none,format=raw,id=d0{ro}'] + device_args('d0')
        cmdline = f'test={TAG} blktest.disk={disk}' + (f' {cmdline_extra}' if cmdline_extra else '')
        log = run_guest_suite(TAG, cmdline=cmdline, timeout=TIMEOUT, prefix=prefix or f'{bus}/',
                              extra_args=extra, fail_on=TROUBLE)
        return log, image.read_bytes()


def check_image(data, bus):
    """The writes reached the medium: what blktest wrote, where it wrote it."""
    assert len(data) == IMAGE_BYTES, f'{bus}: the image is {len(data)} bytes, not {IMAGE_BYTES}'
    head = PATTERN_SECTORS * SECTOR
    assert data[:head] == expected_pattern(0, head), f'{bus}: sectors 0..255 do not hold the pattern'
    tail_start = IMAGE_BYTES - head
    assert data[tail_start:] == expected_pattern(tail_start, head), \
        f'{bus}: the last 256 sectors do not hold the pattern'
    got = data[MARKER_OFFSET:MARKER_OFFSET + len(MARKER)]
    assert got == MARKER, f'{bus}: {got!r} at byte {MARKER_OFFSET}, expected {MARKER!r}'
    report(f'{bus}/image', True)


def test_block_virtio():
    _, data = run_block_suite('virtio')
    check_image(data, 'virtio')


def test_block_virtio_readonly():
    log, data = run_block_suite('virtio', readonly=True, prefix='virtio-ro/')
    assert re.search(r'^blktest: PASS read_only\s*$', log, re.M), 'the read-only test did not run'
    assert data == bytes(IMAGE_BYTES), 'a read-only disk was written to'


# The other disk drivers are being written: test them once they are built.
if (REPO / 'build' / 'bootfs' / 'servers' / 'ahci').exists():
    def test_block_ahci():
        _, data = run_block_suite('ahci')
        check_image(data, 'ahci')

if (REPO / 'build' / 'bootfs' / 'servers' / 'nvme').exists():
    def test_block_nvme():
        _, data = run_block_suite('nvme')
        check_image(data, 'nvme')
