"""The live ISO as a USB stick: the same file, written raw to a disk, boots
on BIOS and on UEFI to the desktop, running from memory (Tessera has no USB
driver; the firmware and GRUB read the stick). And the machine's power from
the desktop: the terminal's `poweroff` (ACPI S5: QEMU exits by itself) and
`reboot` (the FADT's reset register: the kernel banner comes again).
"""

import tempfile
import time

from common import BANNER, PANIC, READY, TROUBLE, check_banner_once, check_no_trouble, count
from qemu import DEFAULT_ISO, Qemu, QemuError
from test_gui import Desktop

DESKTOP = r'^gui: desktop on a \d+x\d+ display\s*$'


def _boot_stick(firmware):
    stick = ['-device', 'qemu-xhci,id=xhci',
             '-drive', f'file={DEFAULT_ISO},format=raw,if=none,id=stick,readonly=on',
             '-device', 'usb-storage,bus=xhci.0,drive=stick,bootindex=0']
    with Qemu(firmware=firmware, iso=None, gpu='virtio', extra_args=stick) as q:
        q.start()
        q.wait_for(DESKTOP, 180, fail_on=TROUBLE)
        q.wait_for(READY, 60, fail_on=TROUBLE)
        time.sleep(1)
        check_banner_once(q)
        check_no_trouble(q)


def test_iso_as_usb_stick_bios():
    _boot_stick('bios')


def test_iso_as_usb_stick_uefi():
    _boot_stick('uefi')


def _terminal_command(q, tmp, command):
    d = Desktop(q, tmp)
    start = len(q.serial_text())
    d.open_app('Terminal', 'Terminal', start)
    q.wait_for(r'^terminal: started', 30, start=start, fail_on=PANIC)
    time.sleep(0.5)
    d.type_text(command)
    try:
        q.type_keys(['ret'])
    except QemuError:
        pass   # the machine went off (or reset) between the key's press and release


def test_poweroff_is_acpi_s5():
    with Qemu(firmware='bios', gpu='virtio') as q, tempfile.TemporaryDirectory() as tmp:
        q.start()
        _terminal_command(q, tmp, 'poweroff')
        q.wait_for(r'^init: task \d+ asks to power off\s*$', 30, fail_on=PANIC)
        status = q.wait_exit(30)
        if status != 0:   # isa-debug-exit would give an odd status: S5 gives 0
            q.fail(f'QEMU exited with status {status}, not 0 (ACPI S5)')
        q.wait_for(r'^\[kernel\] powering off \(ACPI S5\)\s*$', 5)
        check_no_trouble(q)


def test_reboot_resets_the_machine():
    with Qemu(firmware='uefi', gpu='virtio', reboot=True) as q, tempfile.TemporaryDirectory() as tmp:
        q.start()
        _terminal_command(q, tmp, 'reboot')
        q.wait_for(r'^\[kernel\] restarting\s*$', 30, fail_on=PANIC)
        deadline = time.monotonic() + 120
        while count(BANNER, q.serial_text()) < 2:
            if time.monotonic() > deadline:
                q.fail('the kernel banner did not come again after reboot')
            time.sleep(0.5)
        q.wait_for(READY, 180, fail_on=PANIC)
        check_no_trouble(q)
