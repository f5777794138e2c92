"""/data: the installed system's FAT32 volume served by servers/fatfs and
mounted by libposix. Each scenario makes a 2 GiB installed-disk image with
build/install/mkdisk (as test_install_image.py does) and boots it alone on
virtio-blk with data.label=TESSERA (given through fw_cfg):

- persist: posixtest's /data phase writes, renames and deletes files and
  directories and checks their modification times against the wall clock;
  a second boot of the same image reads them back, times included;
- settings: the theme chosen in the Settings app is saved to
  /data/settings/gui.conf; QEMU is killed (a power cut) once it is synced,
  and the next boot starts in that theme;
- read_only: a volume whose boot sector says FAT mirroring is off mounts
  read-only (every change EROFS), the desktop comes up, the partition's
  bytes are unchanged;
- refused: a volume whose FAT[0] does not match its media byte is refused
  (GRUB refuses it too, so this one boots from the ISO with the disk
  attached); the desktop comes up and the partition's bytes are unchanged.

After every boot that may write, the host's `fsck.fat -n` must find the
partition clean.
"""

import hashlib
import re
import struct
import tempfile
import time
from pathlib import Path

from common import PANIC, READY, check_no_trouble
from qemu import Qemu, report
from test_gui import Desktop
from installed import MIB, SYSTEM, fsck_region, make_image

LABEL = 'TESSERA'
MOUNTED = rf'^fatfs: mounted {LABEL} \(vda partition 3, \d+ MiB, \d+ MiB free\)\s*$'
GUEST_DONE = r'^posixtest: done (?P<passed>\d+) passed, (?P<failed>\d+) failed\s*$'
GUEST_RESULT = re.compile(r'^posixtest: (?P<verdict>PASS|FAIL) (?P<name>[^:\s]+)(?:: (?P<reason>.*?))?\s*$', re.M)


def _disk(image):
    return ['-drive', f'file={image},format=raw,if=none,id=d0',
            '-device', 'virtio-blk-pci,drive=d0,disable-legacy=on,bootindex=0']


def _guest_phase(image, phase, expect_mount=MOUNTED, timeout=240, extra='', fail_on=PANIC, then=None):
    """Boots the image alone with posixtest's /data phase; reports its tests.
    then(q): a last check on the boot."""
    cmdline = f'data.label={LABEL} test=posixtest posixtest.data={phase}' + (f' {extra}' if extra else '')
    with Qemu(firmware='bios', iso=None, cmdline=cmdline, extra_args=_disk(image)) as q:
        q.start()
        q.wait_for(expect_mount, 120, fail_on=PANIC)
        q.wait_for(READY, 120, fail_on=PANIC)
        done = q.wait_for(GUEST_DONE, timeout, fail_on=PANIC)
        results = list(GUEST_RESULT.finditer(q.serial_text()))
        for m in results:
            report(f'{phase}:{m["name"]}', m['verdict'] == 'PASS', m['reason'] or '')
        if not results or int(done['failed']) or int(done['passed']) != len(results):
            q.fail(f'posixtest /data phase {phase}: {done.group(0)}')
        q.wait_exit(30)
        if then:
            then(q)
        else:
            check_no_trouble(q)


def _partition_hash(image):
    h = hashlib.sha256()
    with open(image, 'rb') as f:
        f.seek(SYSTEM[0])
        left = SYSTEM[1]
        while left:
            chunk = f.read(min(left, 16 * MIB))
            if not chunk:
                break
            h.update(chunk)
            left -= len(chunk)
    return h.hexdigest()


def _boot_sector(image):
    with open(image, 'rb') as f:
        f.seek(SYSTEM[0])
        return bytearray(f.read(512))


def _poke(image, offset, data):
    with open(image, 'r+b') as f:
        f.seek(SYSTEM[0] + offset)
        f.write(data)


def test_data_persist():
    with tempfile.TemporaryDirectory(prefix='tessera-data-') as tmp:
        image = make_image(Path(tmp) / 'disk.img')
        _guest_phase(image, 'write')
        fsck_region(image, tmp, 'data', *SYSTEM)
        _guest_phase(image, 'check')
        fsck_region(image, tmp, 'data', *SYSTEM)


def test_data_survives_disk_driver_restart():
    """virtio_blk faults on purpose in the middle of the write phase
    (block.crash_after); dm restarts it, fatfs opens the disk again and
    retries, every test passes, and the volume is clean and complete."""
    def restarted(q):
        text = q.serial_text()
        if not re.search(r'^dm: driver servers/virtio_blk .*restarting', text, re.M):
            q.fail('virtio_blk did not crash and restart during the write phase')
        if not re.search(r'^fatfs: vda: the disk driver was restarted; opening the disk again\s*$', text, re.M):
            q.fail('fatfs did not say it opened the disk again')
    with tempfile.TemporaryDirectory(prefix='tessera-data-') as tmp:
        image = make_image(Path(tmp) / 'disk.img')
        _guest_phase(image, 'write', extra='block.crash_after=150', then=restarted)
        fsck_region(image, tmp, 'data', *SYSTEM)
        _guest_phase(image, 'check')
        fsck_region(image, tmp, 'data', *SYSTEM)


def test_data_settings():
    with tempfile.TemporaryDirectory(prefix='tessera-data-') as tmp:
        image = make_image(Path(tmp) / 'disk.img')
        with Qemu(firmware='bios', iso=None, cmdline=f'data.label={LABEL}', extra_args=_disk(image)) as q:
            q.start()
            q.wait_for(MOUNTED, 120, fail_on=PANIC)
            d = Desktop(q, tmp)
            start = len(q.serial_text())
            d.open_app('Settings', 'Settings', start)
            q.wait_for(r'^settings: started', 30, start=start, fail_on=PANIC)
            q.type_keys(['tab', 'home'])
            q.wait_for(r'^gui: theme dark\s*$', 20, start=start, fail_on=PANIC)
            q.wait_for(r'^gui: settings saved \(theme dark\)\s*$', 30, start=start, fail_on=PANIC)
            check_no_trouble(q)
            time.sleep(1)
            q.kill()   # a power cut: nothing is shut down
        fsck_region(image, tmp, 'data', *SYSTEM)
        with Qemu(firmware='bios', iso=None, cmdline=f'data.label={LABEL}', extra_args=_disk(image)) as q:
            q.start()
            q.wait_for(r'^gui: desktop on a \d+x\d+ display\s*$', 120, fail_on=PANIC)
            q.wait_for(READY, 60, fail_on=PANIC)
            text = q.serial_text()
            themes = re.findall(r'^gui: theme (\S+)\s*$', text, re.M)
            if themes != ['dark']:
                q.fail(f'the desktop should have started in the saved theme dark; the gui chose {themes}')
            if 'garbled' in text:
                q.fail('the saved settings were read as garbled')
            check_no_trouble(q)
        fsck_region(image, tmp, 'data', *SYSTEM)


def test_data_read_only():
    with tempfile.TemporaryDirectory(prefix='tessera-data-') as tmp:
        image = make_image(Path(tmp) / 'disk.img')
        boot = _boot_sector(image)
        flags = struct.unpack_from('<H', boot, 40)[0]
        _poke(image, 40, struct.pack('<H', flags | 0x80))   # BPB_ExtFlags: mirroring off, FAT 0 active
        before = _partition_hash(image)
        ro = (rf'^fatfs: mounted {LABEL} read-only \(vda partition 3, \d+ MiB, \d+ MiB free\): '
              r'FAT mirroring disabled; mounted read-only\s*$')
        _guest_phase(image, 'ro', expect_mount=ro)
        cmdline = f'data.label={LABEL}'
        with Qemu(firmware='bios', iso=None, cmdline=cmdline, extra_args=_disk(image)) as q:
            q.start()
            q.wait_for(ro, 120, fail_on=PANIC)
            Desktop(q, tmp)   # the desktop comes up all the same
            check_no_trouble(q)
        if _partition_hash(image) != before:
            raise AssertionError('the read-only volume was written to')


def test_data_refused():
    with tempfile.TemporaryDirectory(prefix='tessera-data-') as tmp:
        image = make_image(Path(tmp) / 'disk.img')
        boot = _boot_sector(image)
        reserved, nfats, fat_sectors = struct.unpack_from('<H', boot, 14)[0], boot[16], \
            struct.unpack_from('<I', boot, 36)[0]
        for i in range(nfats):   # FAT[0] no longer matches the media byte (0xF8)
            _poke(image, (reserved + i * fat_sectors) * 512, struct.pack('<I', 0x0FFFFFF0))
        before = _partition_hash(image)
        # GRUB refuses such a volume as well: boot the ISO, with the disk attached.
        extra = ['-drive', f'file={image},format=raw,if=none,id=d0',
                 '-device', 'virtio-blk-pci,drive=d0,disable-legacy=on']
        with Qemu(firmware='bios', cmdline=f'data.label={LABEL}', extra_args=extra) as q:
            q.start()
            q.wait_for(rf'^fatfs: refusing {LABEL} \(vda partition 3\): FAT\[0\] does not match the media '
                       r'byte; /data is not mounted\s*$', 120, fail_on=PANIC)
            Desktop(q, tmp)
            check_no_trouble(q)
        if _partition_hash(image) != before:
            raise AssertionError('the refused volume was written to')
