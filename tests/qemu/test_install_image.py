"""An installed disk, made on the host by tools/mkdisk.c (the installer's
libs/gpt + libs/fat and GRUB images from `make install-images`): a sparse
2 GiB GPT image with GRUB for BIOS (boot.img + core.img in the BIOS boot
partition) and UEFI (\\EFI\\BOOT\\BOOTX64.EFI on the ESP), booted alone on
virtio-blk, no ISO, to TESSERA READY on both firmwares. Both FAT partitions
are checked by the host's fsck.fat.
"""

import subprocess
import tempfile
import time
from pathlib import Path

from common import READY, TROUBLE, check_banner_once, check_no_trouble
from qemu import REPO, Qemu, QemuError

BUILD = REPO / 'build'
MKDISK = BUILD / 'install' / 'mkdisk'
SIZE_MIB = 2048
MIB = 1 << 20
# libs/gpt's plan: ESP at 2 MiB (64 MiB), system from 66 MiB to the last
# whole MiB before the backup table.
ESP = (2 * MIB, 64 * MIB)
SYSTEM = (66 * MIB, (SIZE_MIB - 1 - 66) * MIB)


def _make_image(tmp):
    if not MKDISK.is_file():
        raise QemuError(f'{MKDISK} not found (make install-images)')
    image = Path(tmp) / 'disk.img'
    subprocess.run([str(MKDISK), str(image), str(SIZE_MIB), str(BUILD / 'install'),
                    str(BUILD / 'kernel' / 'kernel.elf'), str(BUILD / 'boot.tar'),
                    str(REPO / 'iso' / 'install' / 'grub.cfg')],
                   check=True, capture_output=True, text=True, timeout=60)
    return image


def _fsck(image, tmp, name, offset, length):
    part = Path(tmp) / f'{name}.img'
    subprocess.run(['dd', f'if={image}', f'of={part}', 'bs=1M', f'skip={offset // MIB}',
                    f'count={length // MIB}', 'conv=sparse', 'status=none'], check=True, timeout=60)
    r = subprocess.run(['fsck.fat', '-n', str(part)], capture_output=True, text=True, timeout=60)
    part.unlink()
    if r.returncode != 0:
        raise AssertionError(f'fsck.fat -n on the {name} partition failed:\n{r.stdout}{r.stderr}')


def _boot(firmware, timeout):
    with tempfile.TemporaryDirectory(prefix='tessera-install-') as tmp:
        image = _make_image(tmp)
        extra = ['-drive', f'file={image},format=raw,if=none,id=d0',
                 '-device', 'virtio-blk-pci,drive=d0,disable-legacy=on,bootindex=0']
        with Qemu(firmware=firmware, iso=None, extra_args=extra) as q:
            q.start()
            q.wait_for(READY, timeout, fail_on=TROUBLE)
            time.sleep(1)
            check_banner_once(q)
            check_no_trouble(q)
        # The system ran with the disk attached; its file systems stay clean.
        _fsck(image, tmp, 'ESP', *ESP)
        _fsck(image, tmp, 'system', *SYSTEM)


def test_install_image_bios():
    _boot('bios', 90)


def test_install_image_uefi():
    _boot('uefi', 150)
