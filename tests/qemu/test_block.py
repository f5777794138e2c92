"""The disk drivers through the block interface (test=blktest,
tests/blktest/main.c) with a fresh 64 MiB raw image on one bus, then the
image checked on the host: the pattern blktest wrote at sector 0 and in the
last 256 sectors, and "TESSERA-BLKTEST" at sector 2048.

- virtio-blk (servers/virtio_blk, vda), also read-only (writes refused with
  -E_ROFS, the image untouched)
- AHCI (servers/ahci): q35's built-in controller and an added `-device
  ahci` (at a lower PCI slot, so its disk is sda: names follow bus order);
  q35's controller with two disks of different sizes on ports 0 and 1 (the
  ISO's CD-ROM is on port 2): sda and sdb, blktest on each in turn (on sdb
  with ahci crashing mid-way: dm restarts it and it offers both names
  again), each image holding its own pattern and the other left as it was
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


def check_image(data, bus, size=IMAGE_BYTES):
    """The writes reached the medium: what blktest wrote, where it wrote it."""
    assert len(data) == size, f'{bus}: the image is {len(data)} bytes, not {size}'
    head = PATTERN_SECTORS * SECTOR
    assert data[:head] == expected_pattern(0, head), f'{bus}: sectors 0..255 do not hold the pattern'
    tail_start = size - head
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


def test_block_ahci_two_disks():
    """Two disks on q35's controller are two disks: sda (64 MiB, port 0) and
    sdb (32 MiB, port 1), blktest on one and then the other, each write
    landing on its own image only."""
    sizes = {'sda': IMAGE_BYTES, 'sdb': IMAGE_BYTES // 2}
    with tempfile.TemporaryDirectory(prefix='tessera-blk-') as tmp:
        images = {}
        extra = []
        for i, (disk, size) in enumerate(sizes.items()):
            images[disk] = Path(tmp) / f'{disk}.img'
            with open(images[disk], 'wb') as f:
                f.truncate(size)
            extra += ['-drive', f'file={images[disk]},if=none,format=raw,id=d{i}',
                      '-device', f'ide-hd,drive=d{i},bus=ide.{i}']
        # blktest on sda: sdb's image stays blank.
        log = run_guest_suite(TAG, cmdline=f'test={TAG} blktest.disk=sda', timeout=TIMEOUT, prefix='ahci-2/sda/',
                              extra_args=extra, fail_on=TROUBLE)
        for disk, port in (('sda', 0), ('sdb', 1)):
            mib = sizes[disk] >> 20
            assert re.search(rf'^ahci: {disk}: "[^"]*", \d+ sectors of 512 bytes \({mib} MiB\), port {port}\s*$', log,
                             re.M), f'ahci did not find {disk} ({mib} MiB) on port {port}'
        assert re.search(r'^dm: driver servers/ahci for 00:1f\.2 is ready: "sda"', log, re.M), 'no "sda" from dm'
        assert re.search(r'^dm: driver servers/ahci for 00:1f\.2 also offers "sdb"', log, re.M), 'no "sdb" from dm'
        sda = images['sda'].read_bytes()
        check_image(sda, 'ahci-2/sda', sizes['sda'])
        assert images['sdb'].read_bytes() == bytes(sizes['sdb']), 'blktest on sda wrote to sdb\'s image'
        # blktest on sdb, ahci crashing at its 60th request: the restarted
        # driver offers sdb again and blktest finds its data there. sdb's
        # image gets the pattern, sda's is left as it was.
        log = run_guest_suite(TAG, cmdline=f'test={TAG} blktest.disk=sdb blktest.restart=1 block.crash_after=60',
                              timeout=TIMEOUT, prefix='ahci-2/sdb/', extra_args=extra, fail_on=PANIC)
        assert re.search(r'^dm: driver servers/ahci .*restart', log, re.M), 'dm did not restart servers/ahci'
        assert re.search(r'^blktest: PASS driver_restart\s*$', log, re.M), 'the restart test did not run'
        offers = re.findall(r'^dm: driver servers/ahci for 00:1f\.2 also offers "sdb"', log, re.M)
        assert len(offers) == 2, f'"sdb" was offered {len(offers)} times, not twice (before and after the restart)'
        check_image(images['sdb'].read_bytes(), 'ahci-2/sdb', sizes['sdb'])
        assert images['sda'].read_bytes() == sda, 'blktest on sdb changed sda\'s image'


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
