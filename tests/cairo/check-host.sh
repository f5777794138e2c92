#!/bin/bash
# Host checks of the Cairo proof test (tests/cairo/render.c), built for Linux
# against the Tessera sysroot (make cairo-host-check builds what it needs):
#
#   tests/cairo/check-host.sh BUILD_DIR
#
# The reference run, the same program laid out by libs/tessera/user.ld, and
# each way the inputs can be unusable. One "PASS cairo-host:NAME" or
# "FAIL cairo-host:NAME: why" line per check (tests/run.py counts them).
set -u
B=${1:?usage: check-host.sh BUILD_DIR}
RENDER=$B/cairo/render-host
FONT=$B/bootfs/fonts/DejaVuSans.ttf
PNG=$B/bootfs/data/cairo-test.png
BAD_PNG=$B/bootfs/data/cairo-corrupt.png
REFERENCE=$(grep '^cairo-render: sha256=' "$B/cairo/reference.txt")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
head -c 300 "$PNG" >"$TMP/truncated.png"

passed=0 failed=0
# check NAME STATUS PATTERN PROGRAM ARGS...: the program must exit with STATUS
# and its output (stdout and stderr) must contain PATTERN.
check() {
    local name=$1 want=$2 pattern=$3 status
    shift 3
    "$@" >"$TMP/out" 2>&1
    status=$?
    if [ "$status" = "$want" ] && grep -qF -- "$pattern" "$TMP/out"; then
        echo "PASS cairo-host:$name"
        passed=$((passed + 1))
    else
        echo "FAIL cairo-host:$name: exit status $status, expected $want and \"$pattern\":"
        if [ "$(wc -l <"$TMP/out")" -gt 12 ]; then
            { head -n 6 "$TMP/out"; echo "[...]"; tail -n 4 "$TMP/out"; } | sed 's/^/        /'
        else
            sed 's/^/        /' "$TMP/out"
        fi
        failed=$((failed + 1))
    fi
}

check "renders the reference scene" 0 "$REFERENCE" "$RENDER" "$FONT" "$PNG"
check "prints done" 0 "cairo-render: done" "$RENDER" "$FONT" "$PNG"
check "same pixels when laid out by user.ld" 0 "$REFERENCE" "$B/cairo/render-host-userld" "$FONT" "$PNG"
check "same pixels with every pixman SIMD path off" 0 "$REFERENCE" \
    env PIXMAN_DISABLE="fast mmx sse2 ssse3" "$RENDER" "$FONT" "$PNG"
check "missing font" 2 "cannot load font" "$RENDER" "$TMP/none.ttf" "$PNG"
check "a PNG given as the font" 2 "not a font" "$RENDER" "$PNG" "$PNG"
check "missing PNG" 3 "cannot read PNG" "$RENDER" "$FONT" "$TMP/none.png"
check "corrupt PNG data" 3 "cannot read PNG" "$RENDER" "$FONT" "$BAD_PNG"
check "truncated PNG" 3 "cannot read PNG" "$RENDER" "$FONT" "$TMP/truncated.png"
check "a font given as the PNG" 3 "cannot read PNG" "$RENDER" "$FONT" "$FONT"

[ "$failed" = 0 ]
