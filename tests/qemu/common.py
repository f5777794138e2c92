"""What Tessera prints on COM1, and checks shared by the scenarios."""

import re
import shutil
import subprocess

from qemu import KERNEL_ELF

BANNER = r'^Tessera kernel'
READY = r'^TESSERA READY\s*$'
PANIC = r'PANIC'
KILLED = r'^\[kernel\] task (?P<task>.+?) \(id (?P<id>\d+)\) killed:(?P<reason>.*)$'
KTEST_RESULT = r'^ktest: (?P<verdict>PASS|FAIL) (?P<name>[^:\s]+)(?:: (?P<reason>.*?))?\s*$'
KTEST_DONE = r'^ktest: done (?P<passed>\d+) passed, (?P<failed>\d+) failed\s*$'
BACKTRACE = r'#\d+ 0x[0-9a-f]+ \w+\+0x[0-9a-f]+'
BACKTRACE_FIELDS = r'#(?P<depth>\d+) 0x(?P<addr>[0-9a-f]+) (?P<sym>\w+)\+0x(?P<off>[0-9a-f]+)'

# Boots that are not about failure should never show these; fail fast on them.
TROUBLE = r'PANIC|^\[kernel\] task .* killed:'


def count(pattern, text):
    return len(re.findall(pattern, text, re.MULTILINE))


def check_banner_once(q):
    n = count(BANNER, q.serial_text())
    if n != 1:
        q.fail(f"kernel banner 'Tessera kernel' appeared {n} times (expected once; "
               f"more means the machine rebooted)")


def check_no_trouble(q):
    text = q.serial_text()
    bad = [line for line in text.splitlines() if 'PANIC' in line or 'killed:' in line]
    if bad:
        q.fail('unexpected PANIC/killed lines:\n' + '\n'.join(bad[:10]))


def kernel_symbols():
    """{name: [addresses]} from build/kernel/kernel.elf via nm, or None if unavailable."""
    if not KERNEL_ELF.is_file() or shutil.which('nm') is None:
        return None
    try:
        out = subprocess.run(['nm', str(KERNEL_ELF)], capture_output=True, text=True,
                             timeout=30, check=True).stdout
    except (subprocess.SubprocessError, OSError):
        return None
    symbols = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            symbols.setdefault(parts[2], []).append(int(parts[0], 16))
    return symbols
