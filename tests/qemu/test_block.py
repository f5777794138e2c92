"""The disk drivers through the block interface (test=blktest,
tests/blktest/main.c) with a fresh 64 MiB raw image on one bus, then the
image checked on the host: the pattern blktest wrote at sector 0 and in the
last 256 sectors, and "TESSERA-BLKTEST" at sector 2048.

- virtio-blk (servers/virtio_blk, vda), also read-only (writes refused with
  -E_ROFS, the image untouched)
- AHCI (servers/ahci): q35's built-in controller and an added `-device
  ahci` (at a lower PCI slot, so its disk is sda: names follow bus order)
- NVMe (servers/nvme, nvme0)
- each driver crashing on purpose mid-way (block.crash_after): dm restarts
  it, the client opens the disk again and finds its data
"""

import re
import tempfile
from pathlib import Path

from common import PANIC, TROUBLE, run_guest_suite
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
    'ahci-added': ('sda', lambda drive: ['-device', 'ahci,id=ahci1', '-device', f'ide-hd,drive={drive},bus=ahci1.0']),
}
DRIVERS = {'virtio': 'virtio_blk', 'ahci': 'ahci', 'nvme': 'nvme'}


def pattern_byte(offset):
    """What blktest's pattern_byte() puts at byte `offset` of the disk."""
    return (((offset >> 9) * 7 + offset) ^ 0xa5) & 0xff


def expected_pattern(first_byte, length):
    return bytes(pattern_byte(first_byte + i) for i in range(length))


def run_block_suite(bus, readonly=False, cmdline_extra='', prefix=None, fail_on=TROUBLE):
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
                              extra_args=extra, fail_on=fail_on)
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


def test_block_ahci():
    _, data = run_block_suite('ahci')
    check_image(data, 'ahci')


def test_block_ahci_added_controller():
    _, data = run_block_suite('ahci-added')
    check_image(data, 'ahci-added')


def test_block_nvme():
    _, data = run_block_suite('nvme')
    check_image(data, 'nvme')


def test_block_driver_restart():
    """Each disk driver faults on purpose at its 60th request; dm restarts it."""
    for bus, driver in DRIVERS.items():
        log, data = run_block_suite(bus, cmdline_extra='blktest.restart=1 block.crash_after=60',
                                    prefix=f'{bus}-restart/', fail_on=PANIC)
        assert re.search(rf'^dm: driver servers/{driver} .*restart', log, re.M), \
            f'{bus}: dm did not say it restarted servers/{driver}'
        assert re.search(r'^blktest: PASS driver_restart\s*$', log, re.M), f'{bus}: the restart test did not run'
        check_image(data, f'{bus}-restart')
