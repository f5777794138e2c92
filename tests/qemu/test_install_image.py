"""An installed disk, made on the host by tools/mkdisk.c (the installer's
own procedure, libs/install, with GRUB images from `make install-images`):
a sparse 2 GiB GPT image with GRUB for BIOS (boot.img + core.img in the
BIOS boot partition) and UEFI (\\EFI\\BOOT\\BOOTX64.EFI on the ESP), booted
alone on virtio-blk, no ISO, to the desktop and TESSERA READY on both
firmwares. Both FAT partitions are then checked by the host's fsck.fat.
"""

import tempfile
from pathlib import Path

from installed import boot_alone, fsck_partitions, make_image


def _boot(firmware):
    with tempfile.TemporaryDirectory(prefix='tessera-install-') as tmp:
        image = make_image(Path(tmp) / 'disk.img')
        boot_alone(image, firmware)
        # The system ran with the disk attached; its file systems stay clean.
        fsck_partitions(image, tmp)


def test_install_image_bios():
    _boot('bios')


def test_install_image_uefi():
    _boot('uefi')
