"""Installed disks on the host side, shared by test_install_image.py (disks
made by tools/mkdisk), test_install.py (disks made by the installer in the
guest) and tools/bench.py: making an image, attaching it on a bus, reading
its GPT, checking its FAT partitions with fsck.fat, and booting it alone.
"""

import struct
import subprocess
import time
import zlib
from pathlib import Path

from common import READY, TROUBLE, check_banner_once, check_no_trouble
from qemu import REPO, Qemu, QemuError

BUILD = REPO / 'build'
MKDISK = BUILD / 'install' / 'mkdisk'
SECTOR = 512
MIB = 1 << 20
DESKTOP = r'^gui: desktop on a \d+x\d+ display\s*$'
# apps/installer's line for a finished install.
INSTALL_DONE = r'^installer: done: wrote (?P<mib>\d+) MiB in (?P<ms>\d+) ms, verified\s*$'

# QEMU devices for a disk on each bus and the name Tessera gives it.
BUSES = {
    'virtio': ('vda', 'virtio-blk-pci,drive={drive},disable-legacy=on'),
    'ahci': ('sda', 'ide-hd,drive={drive},bus=ide.0'),   # q35's built-in AHCI controller
    'nvme': ('nvme0', 'nvme,serial=tessera0,drive={drive}'),
}


def disk_args(image, bus, boot=False, readonly=False, drive='d0'):
    """-drive/-device arguments attaching a raw image on `bus`; boot: the
    firmware boots from it (bootindex=0)."""
    ro = ',readonly=on' if readonly else ''
    device = BUSES[bus][1].format(drive=drive) + (',bootindex=0' if boot else '')
    return ['-drive', f'file={image},format=raw,if=none,id={drive}{ro}', '-device', device]


def blank_image(path, size_mib):
    """A sparse image of zeros."""
    with open(path, 'wb') as f:
        f.truncate(size_mib * MIB)
    return Path(path)


def make_image(path, size_mib=2048):
    """An installed disk written on the host by tools/mkdisk (make install-images)."""
    if not MKDISK.is_file():
        raise QemuError(f'{MKDISK} not found (make install-images)')
    subprocess.run([str(MKDISK), str(path), str(size_mib), str(BUILD / 'install'),
                    str(BUILD / 'kernel' / 'kernel.elf'), str(BUILD / 'boot.tar'),
                    str(REPO / 'iso' / 'install' / 'grub.cfg')],
                   check=True, capture_output=True, text=True, timeout=60)
    return Path(path)


def _header(f, lba):
    """The GPT header at lba if its signature and CRC hold, else None."""
    f.seek(lba * SECTOR)
    h = f.read(SECTOR)
    if len(h) < 92 or h[:8] != b'EFI PART':
        return None
    size = struct.unpack_from('<I', h, 12)[0]
    if size < 92 or size > SECTOR:
        return None
    crc = struct.unpack_from('<I', h, 16)[0]
    if zlib.crc32(h[:16] + b'\0\0\0\0' + h[20:size]) != crc:
        return None
    return h


def read_gpt(image):
    """What a firmware would find: (protective MBR?, [partitions from the
    primary table, or the backup]) with each partition (first_lba,
    last_lba, name); None for the list if neither header is valid."""
    with open(image, 'rb') as f:
        mbr = f.read(SECTOR)
        protective = mbr[510:512] == b'\x55\xaa' and any(mbr[446 + 16 * i + 4] == 0xEE for i in range(4))
        f.seek(0, 2)
        last = f.tell() // SECTOR - 1
        h = _header(f, 1) or _header(f, last)
        if h is None:
            return protective, None
        entries_lba, count, entry_size, entries_crc = struct.unpack_from('<QIII', h, 72)
        f.seek(entries_lba * SECTOR)
        table = f.read(count * entry_size)
        if zlib.crc32(table) != entries_crc:
            return protective, None
        parts = []
        for i in range(count):
            e = table[i * entry_size:(i + 1) * entry_size]
            if e[:16] == bytes(16):
                continue
            first, end = struct.unpack_from('<QQ', e, 32)
            name = e[56:128].decode('utf-16-le').rstrip('\0')
            parts.append((first, end, name))
        return protective, parts


def check_not_partitioned(image, why):
    """A failed or refused install leaves no partition table a firmware
    would take: no protective MBR and no valid GPT header."""
    protective, parts = read_gpt(image)
    if protective or parts is not None:
        raise AssertionError(f'{why}: the disk still looks partitioned (protective MBR: {protective}, '
                             f'partitions: {parts})')


# libs/gpt's plan for a 2 GiB disk, in bytes (offset, length): the system
# partition from 66 MiB to the last whole MiB before the backup table.
SYSTEM = (66 * MIB, (2048 - 1 - 66) * MIB)


def fsck_region(image, tmp, name, offset, length):
    """fsck.fat -n on length bytes at offset of the image (whole MiB)."""
    if offset % MIB or length % MIB:
        raise AssertionError(f'{name} at {offset}+{length} is not MiB-aligned')
    part = Path(tmp) / f'{name}.img'
    subprocess.run(['dd', f'if={image}', f'of={part}', 'bs=1M', f'skip={offset // MIB}',
                    f'count={length // MIB}', 'conv=sparse', 'status=none'], check=True, timeout=120)
    r = subprocess.run(['fsck.fat', '-n', str(part)], capture_output=True, text=True, timeout=60)
    part.unlink()
    if r.returncode != 0:
        raise AssertionError(f'fsck.fat -n on the {name} partition failed:\n{r.stdout}{r.stderr}')


def fsck_partitions(image, tmp):
    """fsck.fat -n on the ESP and the system partition (found in the GPT)."""
    protective, parts = read_gpt(image)
    if not protective or not parts:
        raise AssertionError(f'{image}: no GPT behind a protective MBR')
    fats = {name: (first, end) for first, end, name in parts if name in ('TESSERA-ESP', 'TESSERA')}
    if len(fats) != 2:
        raise AssertionError(f'{image}: partitions {parts}, expected TESSERA-ESP and TESSERA')
    for name, (first, end) in fats.items():
        fsck_region(image, tmp, name, first * SECTOR, (end + 1 - first) * SECTOR)


def boot_alone(image, firmware, bus='virtio', timeout=150):
    """Boots the disk by itself (no ISO) to the desktop and TESSERA READY;
    returns the seconds from QEMU's start to READY."""
    with Qemu(firmware=firmware, iso=None, extra_args=disk_args(image, bus, boot=True)) as q:
        q.start()
        q.wait_for(DESKTOP, timeout, fail_on=TROUBLE)
        q.wait_for(READY, 60, fail_on=TROUBLE)
        seconds = time.monotonic() - q.start_time
        time.sleep(1)
        check_banner_once(q)
        check_no_trouble(q)
        return seconds
