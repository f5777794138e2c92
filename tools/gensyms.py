#!/usr/bin/env python3
"""Turn `nm -n` output of the kernel into the .ksyms table (assembly) that
kernel/core/ksyms.c searches for backtraces. Empty input gives an empty table."""
import sys

syms = []
for line in sys.stdin:
    parts = line.split()
    if len(parts) == 3 and parts[1] in ("T", "t") and not parts[2].startswith("."):
        syms.append((int(parts[0], 16), parts[2]))
syms.sort()

out = ['    .section .ksyms, "a"', "    .balign 8", "    .global ksyms_table", "ksyms_table:",
       f"    .quad {len(syms)}"]
offset = 0
for addr, name in syms:
    out.append(f"    .quad 0x{addr:x}, {offset}")
    offset += len(name) + 1
for _, name in syms:
    out.append(f'    .asciz "{name}"')
out.append('    .section .note.GNU-stack, "", @progbits')
print("\n".join(out))
