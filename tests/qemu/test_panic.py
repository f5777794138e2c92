"""A deliberate kernel panic prints a symbolized backtrace and halts for good."""

import re
import time

from common import BACKTRACE, BACKTRACE_FIELDS, check_banner_once, kernel_symbols
from qemu import Qemu


def test_panic():
    with Qemu(firmware='bios', cmdline='kernel.panic_test=1') as q:
        q.start()
        q.wait_for(r'PANIC:', 60)
        # partial: the kernel may stop without finishing the line.
        halted = q.wait_for(r'^System halted\.', 30, partial=True)
        text = q.serial_text()
        panic_at = text.find('PANIC:')
        frames = list(re.finditer(BACKTRACE_FIELDS, text[panic_at:halted.start()]))
        if not re.search(BACKTRACE, text[panic_at:halted.start()]):
            q.fail(f'no symbolized backtrace line (/{BACKTRACE}/) between PANIC: and System halted.')

        # The names must agree with the kernel ELF: symbol address + offset == frame address.
        symbols = kernel_symbols()
        if symbols is not None:
            for f in frames:
                addr, off = int(f['addr'], 16), int(f['off'], 16)
                starts = symbols.get(f['sym'])
                if starts is None:
                    q.fail(f"backtrace names {f['sym']!r}, which kernel.elf does not define: {f.group(0)}")
                if not any(s + off == addr for s in starts):
                    q.fail(f"backtrace line {f.group(0)!r} disagrees with kernel.elf "
                           f"({f['sym']} is at {', '.join(hex(s) for s in starts)})")

        time.sleep(3)
        if not q.is_running():
            q.fail(f'QEMU exited with status {q.proc.returncode} after the panic '
                   f'(a triple fault or reset instead of halting)')
        check_banner_once(q)
        after = q.serial_text()[halted.end():]
        if after.strip():
            q.fail(f'output after "System halted.": {after.strip()[:300]!r}')


def test_kernel_fault():
    """A page fault in kernel mode: registers, the faulting function by name,
    a backtrace, then a clean halt."""
    with Qemu(firmware='bios', cmdline='kernel.fault_test') as q:
        q.start()
        q.wait_for(r'exception in kernel mode: page fault at 0x10 \(read, not present\) at kmain\+0x', 60)
        q.wait_for(r'RIP=ffffffff8[0-9a-f]+ CS=0008', 10)
        q.wait_for(r'CR2=0000000000000010', 10)
        q.wait_for(r'^System halted\.', 10, partial=True)
        time.sleep(2)
        if not q.is_running():
            q.fail('QEMU exited after the kernel fault (a reboot or triple fault?)')
        check_banner_once(q)
