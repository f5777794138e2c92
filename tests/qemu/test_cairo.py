"""The proof that an ordinary C program with the Cairo stack runs on Tessera:
tests/cairo/render.c, built with tessera-cc against musl + libposix, renders
its reference scene in the guest (fonts and PNG read from the boot file
system) and must produce exactly the pixels of the same program on Linux."""

import re
from pathlib import Path

from common import PANIC, READY, check_no_trouble
from qemu import Qemu

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / 'build' / 'cairo' / 'reference.txt'
HASH = r'^cairo-render: sha256=(?P<hash>[0-9a-f]{64})\s*$'


def test_cairo_render_matches_host():
    m = re.search(HASH, REFERENCE.read_text(), re.MULTILINE) if REFERENCE.is_file() else None
    if not m:
        raise AssertionError(f'{REFERENCE} has no reference hash: run make first')
    with Qemu(firmware='bios', cmdline='test=cairo-render') as q:
        q.start()
        q.wait_for(READY, 120, fail_on=PANIC)
        got = q.wait_for(HASH, 300, fail_on=PANIC)
        q.wait_for(r'^cairo-render: done\s*$', 30, fail_on=PANIC)
        if got['hash'] != m['hash']:
            q.fail(f"Tessera rendered {got['hash']}, Linux rendered {m['hash']}: the images differ")
        status = q.wait_exit(30)
        if status != 1:
            q.fail(f'QEMU exit status {status}, expected 1 (the program exits 0 and init powers off)')
        check_no_trouble(q)
