#!/bin/bash
# Checks up front that the build tools are the ones Tessera is built with
# (Debian 12's), so a wrong or missing tool gives one clear message here
# instead of a cryptic failure in the middle of the build.
#
#   tools/check-tools.sh [-v]     quiet when all is fine; -v lists each tool
#
# Honours CC (gcc, or clang 14), LD (GNU ld or ld.lld 14), OBJCOPY, NM,
# PYTHON, QEMU and OVMF_CODE (a firmware file) from the environment.
set -u

VERBOSE=0
case "${1:-}" in
    -v|--verbose) VERBOSE=1 ;;
    "") ;;
    *) echo "tools: usage: $0 [-v]" >&2; exit 2 ;;
esac

CC=${CC:-gcc}
LD=${LD:-ld}
OBJCOPY=${OBJCOPY:-objcopy}
NM=${NM:-nm}
PYTHON=${PYTHON:-python3}
QEMU=${QEMU:-qemu-system-x86_64}

# The code-generation flags every kernel object is compiled with.
KERNEL_FLAGS="-ffreestanding -mcmodel=kernel -mno-red-zone -mgeneral-regs-only -fno-pic -fno-stack-protector"

errors=0
ok() { [ "$VERBOSE" = 1 ] && echo "tools: $* ok"; return 0; }
bad() { echo "tools: error: $*" >&2; errors=$((errors + 1)); }
# The first version-looking number in a tool's output.
version_of() { grep -oE '[0-9]+\.[0-9]+(\.[0-9]+)?' | head -n1; }
have() { command -v "$1" >/dev/null 2>&1; }
hint="(run tools/setup.sh to install Debian 12's packages)"

# ---- C compiler ----
if ! have "$CC"; then
    bad "C compiler '$CC' not found (CC=$CC) $hint"
else
    banner=$("$CC" --version 2>/dev/null | head -n1)
    if grep -qi clang <<<"$banner"; then
        v=$("$CC" -dumpversion 2>/dev/null)
        if [ "${v%%.*}" = 14 ]; then ok "clang $v"; else
            bad "$CC is clang ${v:-(unknown version)}, but Tessera needs clang 14 (Debian 12) or gcc 12"
        fi
    elif "$CC" -dumpfullversion >/dev/null 2>&1 && grep -qiE 'gcc|free software' <<<"$("$CC" --version 2>/dev/null)"; then
        v=$("$CC" -dumpfullversion 2>/dev/null)
        if [ "${v%%.*}" = 12 ]; then ok "gcc $v"; else
            bad "$CC is gcc $v, but Tessera needs gcc 12 (Debian 12's) $hint"
        fi
    else
        bad "$CC is neither gcc nor clang ('$banner'); set CC=gcc"
    fi

    # The kernel flags must be accepted as they are: compile an empty file.
    tmp=$(mktemp -d) || { echo "tools: error: mktemp failed" >&2; exit 1; }
    trap 'rm -rf "$tmp"' EXIT
    : >"$tmp/empty.c"
    # shellcheck disable=SC2086  # KERNEL_FLAGS is a list of words
    if out=$("$CC" $KERNEL_FLAGS -Werror -x c -c "$tmp/empty.c" -o "$tmp/empty.o" 2>&1); then
        ok "kernel flags with $CC"
    else
        bad "$CC rejects the kernel flags ($KERNEL_FLAGS): $(head -n1 <<<"$out")"
    fi
fi

# ---- Linker ----
if ! have "$LD"; then
    bad "linker '$LD' not found (LD=$LD) $hint"
else
    banner=$("$LD" --version 2>/dev/null | head -n1)
    v=$(version_of <<<"$banner")
    if grep -q '^GNU ld' <<<"$banner"; then
        ok "GNU ld $v"
    elif grep -q 'LLD' <<<"$banner"; then
        if [ "${v%%.*}" = 14 ]; then ok "ld.lld $v"; else
            bad "$LD is LLD ${v:-(unknown version)}, but Tessera needs GNU ld or ld.lld 14"
        fi
    else
        bad "$LD is neither GNU ld nor ld.lld ('$banner'); set LD=ld"
    fi
fi

# ---- Other binutils ----
for tool in "$OBJCOPY" "$NM"; do
    if ! have "$tool"; then
        bad "'$tool' not found $hint"
    elif ! out=$("$tool" --version 2>/dev/null); then
        bad "'$tool --version' failed; is $tool broken?"
    else
        ok "$tool $(version_of <<<"$out")"
    fi
done

# ---- Python ----
if ! have "$PYTHON"; then
    bad "'$PYTHON' not found; Tessera needs python3 >= 3.9 $hint"
else
    v=$("$PYTHON" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null)
    if "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
        ok "python $v"
    else
        bad "$PYTHON is Python ${v:-(unknown version)}, but Tessera needs >= 3.9"
    fi
fi

# ---- Image and emulator tools: name, Debian package ----
while read -r tool pkg; do
    if have "$tool"; then
        ok "$tool $("$tool" --version 2>&1 </dev/null | version_of)"
    else
        bad "'$tool' not found (Debian package $pkg) $hint"
    fi
done <<EOF
grub-mkrescue grub-common
xorriso xorriso
mformat mtools
$QEMU qemu-system-x86
EOF

# ---- UEFI firmware ----
found=
for f in ${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_CODE.fd}; do
    if [ -r "$f" ]; then found=$f; break; fi
done
if [ -n "$found" ]; then
    ok "OVMF firmware $found"
else
    bad "OVMF firmware not found (looked for ${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd or OVMF_CODE.fd}; Debian package ovmf) $hint"
fi

if [ "$errors" -gt 0 ]; then
    echo "tools: $errors problem(s) with the build tools; see above" >&2
    exit 1
fi
exit 0
