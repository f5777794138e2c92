#!/bin/bash
# Installs the Debian 12 (bookworm) packages Tessera needs to build, run and
# test, then checks the toolchain with tools/check-tools.sh.
#
#   tools/setup.sh               check, install what is missing, write the stamp
#   tools/setup.sh --if-needed   do nothing when build/.setup-done matches the
#                                current package list (the Makefile's fast path)
#   tools/setup.sh -v            also print what is checked
#
# Environment: TESSERA_EXTRA_PACKAGES="a b" adds packages to the list (used to
# test the install path); BUILD_DIR overrides where the stamp goes (build/).
set -u

# The one list of Debian packages the build needs. Add new ones here.
PACKAGES=(
    build-essential
    gcc
    make
    binutils
    python3
    qemu-system-x86
    grub-pc-bin
    grub-efi-amd64-bin
    grub-common
    xorriso
    mtools
    ovmf
    fonts-dejavu-core
    clang-14
    dosfstools
    libclang-rt-14-dev
)

if [ -n "${TESSERA_EXTRA_PACKAGES:-}" ]; then
    # shellcheck disable=SC2206  # word splitting is wanted here
    PACKAGES+=(${TESSERA_EXTRA_PACKAGES})
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
STAMP=$BUILD_DIR/.setup-done

IF_NEEDED=0
VERBOSE=
for arg in "$@"; do
    case $arg in
        --if-needed) IF_NEEDED=1 ;;
        -v|--verbose) VERBOSE=-v ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "setup: unknown option '$arg' (see $0 --help)" >&2; exit 2 ;;
    esac
done

say() { echo "setup: $*"; }
die() { echo "setup: error: $*" >&2; exit 1; }

# The stamp holds a hash of the package list (and of check-tools.sh, whose
# requirements may change too), so a changed list makes the stamp stale.
HASH=$( { printf '%s\n' "${PACKAGES[@]}"; cat "$ROOT/tools/check-tools.sh"; } \
        | sha256sum | cut -d' ' -f1)

if [ "$IF_NEEDED" = 1 ] && [ -f "$STAMP" ] && [ "$(head -n1 "$STAMP")" = "$HASH" ]; then
    exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "setup: warning: dpkg-query not found; Tessera expects Debian 12." >&2
    echo "setup: warning: install the equivalents of: ${PACKAGES[*]}" >&2
else
    # One dpkg-query call for all packages; unknown ones are simply not listed.
    installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${PACKAGES[@]}" 2>/dev/null \
                | awk '$4 == "installed" { print $1 }')
    declare -A have=()
    while read -r name; do
        [ -n "$name" ] && have[$name]=1
    done <<<"$installed"
    missing=()
    for p in "${PACKAGES[@]}"; do
        [ -n "${have[$p]:-}" ] || missing+=("$p")
    done

    if [ ${#missing[@]} -eq 0 ]; then
        [ -n "$VERBOSE" ] && say "all ${#PACKAGES[@]} packages are installed"
    else
        SUDO=
        if [ "$(id -u)" != 0 ]; then
            if command -v sudo >/dev/null 2>&1; then
                SUDO=sudo
            else
                die "missing packages: ${missing[*]}
setup: not root and sudo is not installed; as root run:
setup:   apt-get install --no-install-recommends ${missing[*]}"
            fi
        fi
        say "installing: ${missing[*]}"
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q \
            || die "apt-get update failed (needed for: ${missing[*]})"
        $SUDO env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends "${missing[@]}" \
            || die "could not install: ${missing[*]}"
    fi
fi

bash "$ROOT/tools/check-tools.sh" $VERBOSE || exit 1

mkdir -p "$BUILD_DIR" || die "cannot create $BUILD_DIR"
if ! { printf '%s\n%s\n' "$HASH" "${PACKAGES[*]}" >"$STAMP.tmp" && mv "$STAMP.tmp" "$STAMP"; }; then
    die "cannot write $STAMP"
fi
exit 0
