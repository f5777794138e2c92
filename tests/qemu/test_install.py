"""The installer (apps/installer, libs/install) in the guest.

Unattended (boot option install.auto=DISK, given through fw_cfg): the live
ISO installs onto a blank sparse 2 GiB disk on virtio-blk, AHCI and NVMe
and powers off (QEMU exits 0); the disk then boots alone, without the ISO,
on BIOS and on UEFI to the desktop and TESSERA READY, and the host's
fsck.fat -n finds both FAT partitions clean. On virtio the installed
system is used as a person would: the theme chosen in Settings is still
there after a power cut and a boot on the other firmware.

Bad input, each ending with a plain line on COM1 and QEMU status 3
(isa-debug-exit 1): no disk named, a disk that is not there, a 100 MiB
disk, a read-only disk (all refused, the disk untouched), and a write
error half-way (QEMU's blkdebug fails writes to one sector inside the
system partition) over an earlier installation, which must leave no
partition table at all behind.

The window, through QMP mouse clicks on the desktop: a disk that already
holds an installation is described as such before anything is erased;
confirm, install, wait for the result, Power off (QEMU exits 0); the disk
then boots alone.
"""

import re
import tempfile
import time
from pathlib import Path

from common import PANIC, READY, TROUBLE, check_no_trouble
from installed import (BUSES, INSTALL_DONE as DONE, blank_image, boot_alone, check_not_partitioned, disk_args,
                       fsck_partitions, make_image, read_gpt)
from qemu import Qemu, QemuError
from test_gui import Desktop

INSTALL_TIMEOUT = 300
DISK_MIB = 2048
# A sector inside the system partition's files (it starts at 66 MiB; the
# FATs take 4 MiB, then the kernel and boot.tar): blkdebug fails writes there.
BAD_SECTOR = 72 * 2048


def install_unattended(image, bus, cmdline=None, extra_args=None):
    """Boots the ISO with install.auto=DISK (or cmdline) and the disk; waits
    for the machine to power off. Returns (QEMU status, serial log)."""
    disk = BUSES[bus][0]
    with Qemu(firmware='bios', cmdline=cmdline or f'install.auto={disk}',
              extra_args=extra_args or disk_args(image, bus)) as q:
        q.start()
        status = q.wait_exit(INSTALL_TIMEOUT)
        if re.search(TROUBLE, q.serial_text(), re.M):
            check_no_trouble(q)
        return status, q.serial_text()


def expect(log, pattern, what):
    m = re.search(pattern, log, re.M)
    if not m:
        tail = '\n'.join(line for line in log.splitlines() if line.startswith(('installer:', 'init:')))
        raise AssertionError(f'{what}: no line matching /{pattern}/; the installer and init said:\n{tail}')
    return m


def _theme_persists(image, tmp, bus):
    """The installed system as its user meets it: boot it (BIOS), choose the
    dark theme in Settings, cut the power once it is saved; boot it again
    (UEFI): the desktop starts dark. The installed GRUB menu mounts /data
    (data.label=TESSERA): nothing is given through fw_cfg."""
    with Qemu(firmware='bios', iso=None, extra_args=disk_args(image, bus, boot=True)) as q:
        q.start()
        q.wait_for(r'^fatfs: mounted TESSERA \(', 120, fail_on=PANIC)
        d = Desktop(q, tmp)
        start = len(q.serial_text())
        d.open_app('Settings', 'Settings', start)
        q.wait_for(r'^settings: started', 30, start=start, fail_on=PANIC)
        q.type_keys(['tab', 'home'])
        q.wait_for(r'^gui: settings saved \(theme dark\)\s*$', 30, start=start, fail_on=PANIC)
        check_no_trouble(q)
        time.sleep(1)
        q.kill()   # a power cut
    with Qemu(firmware='uefi', iso=None, extra_args=disk_args(image, bus, boot=True)) as q:
        q.start()
        q.wait_for(r'^gui: desktop on a \d+x\d+ display\s*$', 150, fail_on=PANIC)
        q.wait_for(READY, 60, fail_on=PANIC)
        themes = re.findall(r'^gui: theme (\S+)\s*$', q.serial_text(), re.M)
        if themes != ['dark']:
            q.fail(f'the installed system should start in the saved theme dark; the gui chose {themes}')
        check_no_trouble(q)


def _install_and_boot(bus, theme=False):
    disk = BUSES[bus][0]
    with tempfile.TemporaryDirectory(prefix='tessera-install-') as tmp:
        image = blank_image(Path(tmp) / 'disk.img', DISK_MIB)
        status, log = install_unattended(image, bus)
        expect(log, rf'^installer: {disk} holds: blank', 'the description of a blank disk')
        expect(log, rf'^installer: installing to {disk} \([^,]+, {DISK_MIB} MiB\)\s*$', 'the start')
        expect(log, DONE, 'the result')
        if status != 0:
            raise AssertionError(f'QEMU exited with status {status} after the install, not 0 (ACPI S5)')
        if theme:
            _theme_persists(image, tmp, bus)
        else:
            boot_alone(image, 'bios', bus)
            boot_alone(image, 'uefi', bus)
        fsck_partitions(image, tmp)


def test_install_unattended_virtio():
    """Also: the theme chosen on the installed system persists across a reboot."""
    _install_and_boot('virtio', theme=True)


def test_install_unattended_ahci():
    _install_and_boot('ahci')


def test_install_unattended_nvme():
    _install_and_boot('nvme')


def test_install_unattended_second_sata_disk():
    """Two disks on q35's AHCI controller (a 100 MiB one on port 0, a blank
    2 GiB one on port 1): the installer lists both, installs onto the
    second with install.auto=sdb and leaves the first alone; the second
    disk then boots by itself on BIOS to the desktop and READY, and its FAT
    partitions are clean."""
    with tempfile.TemporaryDirectory(prefix='tessera-install-') as tmp:
        first = blank_image(Path(tmp) / 'sda.img', 100)
        second = blank_image(Path(tmp) / 'sdb.img', DISK_MIB)
        sata = ['-drive', f'file={first},format=raw,if=none,id=d0', '-device', 'ide-hd,drive=d0,bus=ide.0',
                '-drive', f'file={second},format=raw,if=none,id=d1', '-device', 'ide-hd,drive=d1,bus=ide.1']
        status, log = install_unattended(second, 'ahci', cmdline='install.auto=sdb', extra_args=sata)
        expect(log, r'^installer: disks: sda \([^,]+, 100 MiB\), sdb \([^,]+, 2048 MiB\)\s*$', 'the list of both disks')
        expect(log, r'^installer: sdb holds: blank', 'the description of the second disk')
        expect(log, rf'^installer: installing to sdb \([^,]+, {DISK_MIB} MiB\)\s*$', 'the start')
        expect(log, DONE, 'the result')
        if status != 0:
            raise AssertionError(f'QEMU exited with status {status} after the install, not 0 (ACPI S5)')
        if first.read_bytes() != bytes(100 << 20):
            raise AssertionError('installing onto sdb wrote to sda')
        boot_alone(second, 'bios', 'ahci')
        fsck_partitions(second, tmp)


def _bad_input(pattern, size_mib=DISK_MIB, cmdline=None, readonly=False, untouched=True):
    with tempfile.TemporaryDirectory(prefix='tessera-install-') as tmp:
        image = blank_image(Path(tmp) / 'disk.img', size_mib)
        status, log = install_unattended(image, 'virtio', cmdline=cmdline,
                                         extra_args=disk_args(image, 'virtio', readonly=readonly))
        expect(log, pattern, 'the refusal')
        if re.search(DONE, log, re.M):
            raise AssertionError('the installer reported success')
        if status != 3:
            raise AssertionError(f'QEMU exited with status {status}, not 3 (isa-debug-exit 1: failure)')
        if untouched and image.read_bytes() != bytes(size_mib << 20):
            raise AssertionError('a refused disk was written to')


def test_install_refuses_no_disk_named():
    _bad_input(r'^installer: refused: no disk named', cmdline='install.auto=')


def test_install_refuses_missing_disk():
    _bad_input(r'^installer: refused: there is no disk vdb\s*$', cmdline='install.auto=vdb')


def test_install_refuses_small_disk():
    _bad_input(r'^installer: refused: the disk is too small: it has 100 MiB and Tessera needs at least '
               r'\d+ MiB\s*$', size_mib=100)


def test_install_refuses_read_only_disk():
    _bad_input(r'^installer: refused: vda is read-only', readonly=True)


def test_install_write_error_leaves_no_partition_table():
    """Writes to BAD_SECTOR fail (EIO) over a disk holding an installation:
    the failure is reported with the sector, and the old tables are gone."""
    with tempfile.TemporaryDirectory(prefix='tessera-install-') as tmp:
        image = make_image(Path(tmp) / 'disk.img', DISK_MIB)
        blkdebug = ['-blockdev', f'driver=file,node-name=f0,filename={image}',
                    '-blockdev', 'driver=blkdebug,node-name=dbg,image=f0,inject-error.0.event=pwritev,'
                                 f'inject-error.0.iotype=write,inject-error.0.sector={BAD_SECTOR},'
                                 'inject-error.0.errno=5',
                    '-blockdev', 'driver=raw,node-name=d0,file=dbg',
                    '-device', BUSES['virtio'][1].format(drive='d0')]
        status, log = install_unattended(image, 'virtio', extra_args=blkdebug)
        expect(log, r'^installer: vda holds: a Tessera installation', 'the description of the old disk')
        expect(log, r'^installer: failed: writing the system partition: .*\(the disk refused a write of \d+ '
                    r'sectors at sector \d+\)\s*$', 'the failure')
        if re.search(DONE, log, re.M):
            raise AssertionError('the installer reported success')
        if status != 3:
            raise AssertionError(f'QEMU exited with status {status}, not 3 (isa-debug-exit 1: failure)')
        check_not_partitioned(image, 'after a write error')


WINDOW = (r'^installer: window: list at (?P<lx>\d+),(?P<ly>\d+), row height (?P<rh>\d+), confirm at '
          r'(?P<cfx>\d+),(?P<cfy>\d+), install at (?P<ix>\d+),(?P<iy>\d+), restart at (?P<rx>\d+),(?P<ry>\d+), '
          r'power off at (?P<px>\d+),(?P<py>\d+)\s*$')


def _disk_guid(image):
    with open(image, 'rb') as f:
        f.seek(512 + 56)
        return f.read(16)


def test_install_window():
    with tempfile.TemporaryDirectory(prefix='tessera-install-') as tmp:
        image = make_image(Path(tmp) / 'disk.img', DISK_MIB)
        old_guid = _disk_guid(image)
        with Qemu(firmware='bios', gpu='virtio', extra_args=disk_args(image, 'virtio')) as q:
            q.start()
            d = Desktop(q, tmp)
            start = len(q.serial_text())
            m = d.open_app('Installer', 'Install Tessera', start)
            w = q.wait_for(WINDOW, 30, start=start, fail_on=PANIC)
            cx, cy = int(m['cx']), int(m['cy'])

            def at(x, y, dx, dy):
                return cx + int(w[x]) + dx, cy + int(w[y]) + dy

            # The first disk; what it holds is said before anything is erased.
            d.click(*at('lx', 'ly', 60, int(w['rh']) // 2))
            q.wait_for(r'^installer: vda holds: a Tessera installation \(GPT, 3 partitions\): BIOS boot '
                       r'"BIOS boot" 1 MiB, EFI system "TESSERA-ESP" 64 MiB, data "TESSERA" \d+ MiB\s*$',
                       30, start=start, fail_on=PANIC)
            # Install does nothing until the box is ticked.
            d.click(*at('ix', 'iy', 20, 12))
            d.click(*at('cfx', 'cfy', 8, 8))
            q.wait_for(r'^installer: confirmation given\s*$', 20, start=start, fail_on=PANIC)
            if re.search(r'^installer: installing', q.serial_text()[start:], re.M):
                q.fail('Install worked before the confirmation was given')
            d.click(*at('ix', 'iy', 20, 12))
            q.wait_for(r'^installer: installing to vda \([^,]+, 2048 MiB\)\s*$', 30, start=start, fail_on=PANIC)
            q.wait_for(DONE, INSTALL_TIMEOUT, start=start, fail_on=r'^installer: failed|' + PANIC)
            try:
                d.click(*at('px', 'py', 30, 12))
            except QemuError:
                pass   # the machine went off between the button's press and release
            q.wait_for(r'^installer: power off\s*$', 20, start=start, fail_on=PANIC)
            status = q.wait_exit(60)
            if status != 0:
                q.fail(f'QEMU exited with status {status} after Power off, not 0 (ACPI S5)')
            check_no_trouble(q)
        if read_gpt(image)[1] is None or _disk_guid(image) == old_guid:
            raise AssertionError('the disk does not hold a new partition table after the install')
        boot_alone(image, 'bios')
        fsck_partitions(image, tmp)
