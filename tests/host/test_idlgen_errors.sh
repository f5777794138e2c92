#!/bin/bash
# Checks that tools/idlgen.py rejects bad .idl files with `file:line: error:`.
# Each tests/host/idl/bad/*.idl starts with a line
#   # expect: <line>: <text the error message must contain>
# Output, like the C host tests: one PASS/FAIL line per case; exit 1 on failure.
set -u

# The repository: two levels up from here (tests/host/, or build/host/ when
# the Makefile installs a copy there), else the current directory.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[ -f "$ROOT/tools/idlgen.py" ] || ROOT=$PWD
GEN="${PYTHON:-python3} $ROOT/tools/idlgen.py"
NAME=$(basename "$0")
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
failed=0

pass() { echo "PASS $NAME:$1"; }
fail() { echo "FAIL $NAME:$1: $2"; failed=$((failed + 1)); }

# Runs the generator on $1 and checks the error against "line: text".
expect_error() {
    local name=$1 file=$2 expect=$3
    local line=${expect%%:*} text=${expect#*: }
    local out rc
    out=$($GEN "$file" -o "$tmp/out.h" 2>&1)
    rc=$?
    if [ "$rc" != 1 ]; then
        fail "$name" "exit status $rc, expected 1 (output: $out)"
    elif [ -e "$tmp/out.h" ]; then
        fail "$name" "an output file was written despite the error"
    elif [[ "$out" != "$file:$line: error: "* ]]; then
        fail "$name" "expected '$file:$line: error: ...', got: $out"
    elif [[ "$out" != *"$text"* ]]; then
        fail "$name" "expected the message to contain '$text', got: $out"
    else
        pass "$name"
    fi
    rm -f "$tmp/out.h"
}

for file in "$ROOT"/tests/host/idl/bad/*.idl; do
    name=$(basename "$file" .idl)
    expect=$(sed -n '1s/^# expect: //p' "$file")
    if [ -z "$expect" ]; then
        fail "$name" "the first line has no '# expect: <line>: <text>'"
        continue
    fi
    expect_error "$name" "$file" "$expect"
done

# 256 messages in one interface: one too many.
{
    echo "interface a = 1 {"
    for i in $(seq 1 256); do echo "    oneway m$i();"; done
    echo "}"
} >"$tmp/many.idl"
expect_error too_many_messages "$tmp/many.idl" "257: more than 255 messages"

# A missing input file is an error too, without a traceback.
out=$($GEN "$tmp/nonexistent.idl" -o "$tmp/out.h" 2>&1)
if [ $? = 1 ] && [[ "$out" == "$tmp/nonexistent.idl: error: "* ]]; then
    pass missing_input
else
    fail missing_input "got: $out"
fi

# And the good files, the test ones and the project's real interfaces,
# generate headers that compile cleanly (also with clang, if installed).
shopt -s nullglob
for file in "$ROOT"/tests/host/idl/*.idl "$ROOT"/servers/*/*.idl "$ROOT"/tests/*/*.idl; do
    name=good_$(basename "$file" .idl)
    if ! out=$($GEN "$file" -o "$tmp/$(basename "$file" .idl).h" 2>&1); then
        fail "$name" "$out"
        continue
    fi
    echo "#include \"$(basename "$file" .idl).h\"" >"$tmp/inc.c"
    cc_ok=1
    for cc in gcc clang; do
        command -v $cc >/dev/null 2>&1 || continue
        if ! out=$($cc -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror \
                   -I "$ROOT/kernel/abi" -I "$ROOT/libs/tessera/include" -I "$tmp" \
                   -c "$tmp/inc.c" -o "$tmp/inc.o" 2>&1); then
            fail "$name" "$cc: $(head -n3 <<<"$out")"
            cc_ok=0
            break
        fi
    done
    [ $cc_ok = 1 ] && pass "$name"
done

[ "$failed" = 0 ]
