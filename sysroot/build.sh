#!/bin/bash
# Builds Tessera's user-space C library and graphics stack into BUILD_DIR/sysroot:
#
#   bash sysroot/build.sh BUILD_DIR
#
# musl, with its x86-64 system call layer replaced by sysroot/musl/ so that
# every system call is a call to __tessera_syscall(); then zlib, libpng,
# FreeType, pixman and Cairo, static, compiled with the tessera-cc wrapper it
# installs in BUILD_DIR/sysroot/bin. Sources are the Debian bookworm source
# packages pinned in versions.txt, fetched once with apt (a private apt state
# in BUILD_DIR/apt) into BUILD_DIR/sources and kept there.
#
# Nothing is done when BUILD_DIR/sysroot/.stamp holds the hash of the recipe
# (the files of this directory). Otherwise a package is rebuilt when its pin,
# its build function, the shared helpers or an earlier package changed.
# Logs: BUILD_DIR/sysroot-logs/NAME.log.
set -eu
# Nothing from the caller's make (e.g. "make CC=clang" reaches sub-makes
# through MAKEFLAGS) or environment may change how the packages are built.
unset MAKEFLAGS MFLAGS MAKELEVEL CC CPP CXX CFLAGS CPPFLAGS CXXFLAGS LDFLAGS LIBS \
      PKG_CONFIG_PATH PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR
export LC_ALL=C

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
[ $# = 1 ] || { echo "usage: bash sysroot/build.sh BUILD_DIR" >&2; exit 2; }
mkdir -p "$1"
BUILD=$(cd "$1" && pwd)
SYS=$BUILD/sysroot          # the result
WORK=$BUILD/sysroot-build   # unpacked sources, one directory per package
STAMPS=$SYS/.packages       # what each installed package was built from
LOGS=$BUILD/sysroot-logs
SRC=$BUILD/sources          # downloaded source packages, kept across builds
APT=$BUILD/apt              # private apt state; the host's is not touched
PACKAGES=(musl zlib libpng freetype pixman cairo)
GCC=$(command -v gcc) || { echo "sysroot: gcc not found" >&2; exit 1; }
JOBS=$(nproc)
# Configure scripts link their test programs: do it for Linux, with the same
# libc, so that libposix.a (built by the Makefile) is not needed yet.
TCC="$SYS/bin/tessera-cc --tessera-host"
CFLAGS_ALL="-O2 -ffile-prefix-map=$WORK/="

recipe_hash() {
    ( cd "$HERE" && find build.sh versions.txt tessera-cc.in host-glue.c musl -type f \
        | LC_ALL=C sort | xargs sha256sum
      "$GCC" --version | head -n1
      echo "$ROOT $BUILD" ) | sha256sum | cut -d' ' -f1
}

HASH=$(recipe_hash)
if [ -f "$SYS/.stamp" ] && [ "$(head -n1 "$SYS/.stamp")" = "$HASH" ]; then
    touch "$SYS/.stamp"    # newer than the recipe files, for make
    exit 0
fi

exec 3>&1    # the terminal, while a package's output goes to its log
say() { echo "sysroot: $*" >&3; }
die() { echo "sysroot: error: $*" >&2; exit 1; }
sha256() { sha256sum "$1" | cut -d' ' -f1; }

# Set while a package is being fetched or built; on failure the end of its
# log is shown.
CURRENT=
on_exit() {
    if [ "$1" != 0 ] && [ -n "$CURRENT" ]; then
        echo "sysroot: $CURRENT failed; the end of $LOGS/$CURRENT.log:" >&2
        tail -n 30 "$LOGS/$CURRENT.log" | sed 's/^/  | /' >&2
    fi
}
trap 'on_exit $?' EXIT

# ---- sources ----

APT_OPTS=(-q -o Dir::Etc::SourceList="$APT/sources.list" -o Dir::Etc::SourceParts=-
          -o Dir::State="$APT/state" -o Dir::Cache="$APT/cache" -o Acquire::Retries=3)
# These directories are root's: without this, apt would warn that its _apt
# download sandbox cannot write here.
[ "$(id -u)" = 0 ] && APT_OPTS+=(-o APT::Sandbox::User=root)
APT_READY=0
apt_update() {
    [ $APT_READY = 1 ] && return
    mkdir -p "$APT/state/lists/partial" "$APT/cache/archives/partial"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
         "http://deb.debian.org/debian bookworm main" >"$APT/sources.list"
    apt-get "${APT_OPTS[@]}" update
    APT_READY=1
}
apt_source() {
    (cd "$SRC" && apt-get "${APT_OPTS[@]}" source --download-only --only-source "$1")
}

# find_orig SRCPKG UPSTREAM SHA256: prints the upstream tarball in $SRC that
# has this sha256.
find_orig() {
    local f
    for f in "$SRC/${1}_${2}".orig.tar.*; do
        case $f in *.asc) continue ;; esac
        if [ -f "$f" ] && [ "$(sha256 "$f")" = "$3" ]; then
            echo "$f"
            return 0
        fi
    done
    return 1
}

# fetch NAME: sets ORIG to the checked upstream tarball of NAME, downloading
# the pinned source package first if it is not in $SRC yet.
fetch() {
    local srcpkg version sha upstream dsc
    read -r _ srcpkg version sha <<<"$(grep "^$1 " "$HERE/versions.txt")"
    [ -n "$sha" ] || die "$1 is not pinned in versions.txt"
    upstream=${version#*:}
    upstream=${upstream%-*}
    VERSION=$version
    if ORIG=$(find_orig "$srcpkg" "$upstream" "$sha"); then
        return
    fi
    apt_update
    mkdir -p "$SRC"
    # apt checks each file it fetches against the signed Sources index. Its
    # exit status is not enough: pixman's .diff.gz is missing on the mirror
    # (the orig tarball alone is used), so look at what arrived.
    apt_source "$srcpkg=$version" || true
    dsc=$SRC/${srcpkg}_${version#*:}.dsc
    if [ ! -f "$dsc" ]; then
        # A point release replaced this revision: take the current one, which
        # must have the same upstream tarball.
        apt_source "$srcpkg" || true
        dsc=$(ls -t "$SRC/${srcpkg}_${upstream}"-*.dsc 2>/dev/null | head -n1)
        [ -n "$dsc" ] || die "could not download the source package $srcpkg"
        say "note: $srcpkg $version has left bookworm; using $(basename "$dsc" .dsc)"
    fi
    ORIG=$(find_orig "$srcpkg" "$upstream" "$sha") \
        || die "$srcpkg: no upstream tarball with the pinned sha256 $sha"
    # The .dsc, checked by apt, must list the same tarball and hash.
    grep -q "^ $sha [0-9]* $(basename "$ORIG")\$" "$dsc" \
        || die "$srcpkg: $(basename "$ORIG") does not match $(basename "$dsc")"
}

# ---- helpers shared by the package builds (part of every package's key) ----

# unpack NAME: a fresh source tree in $WORK/NAME.
unpack() {
    rm -rf "$WORK/$1"
    mkdir -p "$WORK/$1"
    tar -xf "$ORIG" -C "$WORK/$1" --strip-components=1
}

# A pkg-config that knows no packages: cairo's configure insists on having
# one, but every package is told where its dependencies are, so the result
# does not depend on whether, or with which .pc files, the host has one.
make_pkg_config() {
    mkdir -p "$WORK/bin"
    printf '%s\n' '#!/bin/sh' 'case $1 in' '--version) echo 0.29.2 ;;' \
        '--atleast-pkgconfig-version) ;;' '*) exit 1 ;;' 'esac' >"$WORK/bin/pkg-config"
    chmod +x "$WORK/bin/pkg-config"
}

# configure_gnu ARGS: an autotools package, static, for x86_64-linux-musl
# (config.sub knows no "tessera"; the triple only has to name musl). With
# both --build and --host, configure runs no test programs. Programs and
# documentation go to a scrap directory, not into the sysroot.
configure_gnu() {
    ./configure --build=x86_64-pc-linux-gnu --host=x86_64-linux-musl \
        --prefix="$SYS" --bindir="$WORK/scrap/bin" --datarootdir="$WORK/scrap/share" \
        --disable-shared --enable-static --disable-dependency-tracking \
        CC="$TCC" CFLAGS="$CFLAGS_ALL" CXX=false AR=ar RANLIB=ranlib NM=nm STRIP=strip \
        PKG_CONFIG="$WORK/bin/pkg-config" "$@"
}

COMMON_FUNCS=(unpack make_pkg_config configure_gnu)

# ---- the packages ----

build_musl() {
    # The files of sysroot/musl/ replace, one for one, every x86-64 file of
    # musl with a `syscall` instruction: each must exist, or musl's generic C
    # version (e.g. a __clone that fails with ENOSYS) would silently take its
    # place.
    local f n overlay=(arch/x86_64/syscall_arch.h src/thread/x86_64/syscall_cp.s
        src/thread/x86_64/__set_thread_area.s src/thread/x86_64/clone.s
        src/thread/x86_64/__unmapself.s src/signal/x86_64/restore.s
        src/process/x86_64/vfork.s)
    [ "$(cd "$HERE/musl" && find . -type f | wc -l)" = ${#overlay[@]} ] \
        || die "sysroot/musl/ has files that build_musl does not list"
    for f in "${overlay[@]}"; do
        [ -f "$f" ] || die "musl has no $f any more: revise sysroot/musl/"
        cp "$HERE/musl/$f" "$f"
    done
    # -fno-pie: position-dependent code, like the programs (Debian's gcc
    # defaults to PIE, which would make musl build libc.a from PIC objects).
    ./configure --prefix="$SYS" --disable-shared --disable-wrapper CC="$GCC" \
        CFLAGS="-fno-pie -ffile-prefix-map=$WORK/="
    make -j"$JOBS"
    make install
    for f in "${overlay[@]}"; do
        case $f in *.s) ls "obj/${f%.s}".o >/dev/null || die "no object built from $f" ;; esac
    done
    # No system call instruction may be left (labels such as <syscall> are
    # not instructions, hence the look at the mnemonic column).
    n=$(objdump -d --no-show-raw-insn "$SYS/lib/libc.a" "$SYS"/lib/crt*.o \
        | grep -cE $'^ +[0-9a-f]+:\t(syscall|sysenter|int +\\$0x80)\\b' || true)
    echo "raw system call instructions in libc.a and crt*.o: $n"
    echo "objdump -d libc.a | grep -cw syscall: $(objdump -d "$SYS/lib/libc.a" | grep -cw syscall || true)" \
         "(the <syscall> labels of musl's syscall() function)"
    [ "$n" = 0 ] || die "musl still makes $n raw system calls"
}

build_zlib() {
    CC="$TCC" CFLAGS="$CFLAGS_ALL" AR=ar RANLIB=ranlib ./configure --static --prefix="$SYS"
    make -j"$JOBS" libz.a
    make install man3dir="$WORK/scrap/man3"
}

build_libpng() {
    configure_gnu --enable-hardware-optimizations=no
    make -j"$JOBS"
    make install
}

build_freetype() {
    configure_gnu --with-zlib=yes --without-bzip2 --without-png --without-harfbuzz \
        --without-brotli ZLIB_CFLAGS="-I$SYS/include" ZLIB_LIBS="-L$SYS/lib -lz"
    make -j"$JOBS"
    make install
}

build_pixman() {
    configure_gnu --disable-openmp --disable-gtk --disable-libpng --disable-timers
    make -j"$JOBS" -C pixman
    make -C pixman install
    make install-pkgconfigDATA
}

# Only the image surface, with FreeType fonts and PNG reading and writing.
build_cairo() {
    local no=(xlib xlib-xrender xcb xlib-xcb xcb-shm qt quartz quartz-font quartz-image
              win32 win32-font os2 beos drm gallium gl glesv2 glesv3 cogl directfb vg
              egl glx wgl script fc ps pdf svg test-surfaces tee xml gobject trace
              interpreter symbol-lookup valgrind gtk-doc)
    configure_gnu "${no[@]/#/--disable-}" --enable-ft=yes --enable-png=yes --enable-pthread=yes \
        pixman_CFLAGS="-I$SYS/include/pixman-1" pixman_LIBS="-L$SYS/lib -lpixman-1" \
        FREETYPE_CFLAGS="-I$SYS/include/freetype2" FREETYPE_LIBS="-L$SYS/lib -lfreetype -lz" \
        png_REQUIRES=libpng png_CFLAGS="-I$SYS/include/libpng16" png_LIBS="-L$SYS/lib -lpng16 -lz"
    make -j"$JOBS" -C src
    make -C src install
}

# The wrapper and the host glue; cheap, so always redone.
install_wrapper() {
    mkdir -p "$SYS/bin" "$SYS/lib"
    sed -e "s|@SYSROOT@|$SYS|g" -e "s|@BUILD@|$BUILD|g" \
        -e "s|@USER_LD@|$ROOT/libs/tessera/user.ld|g" -e "s|@GCC@|$GCC|g" \
        -e "s|@GCC_INCLUDE@|$("$GCC" -print-file-name=include)|g" \
        -e "s|@LIBGCC@|$("$GCC" -print-libgcc-file-name)|g" \
        "$HERE/tessera-cc.in" >"$SYS/bin/tessera-cc.tmp"
    chmod +x "$SYS/bin/tessera-cc.tmp"
    mv "$SYS/bin/tessera-cc.tmp" "$SYS/bin/tessera-cc"
    "$GCC" -c -O2 "$HERE/host-glue.c" -o "$SYS/lib/tessera-host-glue.o"
}

# pkg_key NAME PREVIOUS_KEY: what a package's build depends on.
pkg_key() {
    { echo "$2"
      grep "^$1 " "$HERE/versions.txt"
      declare -f "build_$1" "${COMMON_FUNCS[@]}"
      if [ "$1" = musl ]; then
          (cd "$HERE" && find musl -type f | LC_ALL=C sort | xargs sha256sum)
      else
          cat "$HERE/tessera-cc.in" "$HERE/host-glue.c"
      fi
      "$GCC" --version | head -n1
      echo "$ROOT $BUILD $TCC $CFLAGS_ALL"; } | sha256sum | cut -d' ' -f1
}

# ---- main ----

mkdir -p "$SYS" "$WORK" "$LOGS"
rm -f "$SYS/.stamp"
make_pkg_config
start=$SECONDS
key=
for name in "${PACKAGES[@]}"; do
    key=$(pkg_key "$name" "$key")
    if [ -f "$STAMPS/$name" ] && [ "$(cat "$STAMPS/$name")" = "$key" ]; then
        say "$name: up to date"
    else
        CURRENT=$name
        t=$SECONDS
        rm -f "$STAMPS/$name"
        if [ "$name" = musl ]; then
            rm -rf "$SYS"    # everything is rebuilt after musl: start clean
            mkdir -p "$SYS"
        fi
        fetch "$name" >"$LOGS/$name.log" 2>&1
        unpack "$name" >>"$LOGS/$name.log" 2>&1
        (cd "$WORK/$name" && "build_$name") >>"$LOGS/$name.log" 2>&1
        mkdir -p "$STAMPS"
        echo "$key" >"$STAMPS/$name"
        rm -rf "${WORK:?}/$name"    # built and installed; a failed tree stays for a look
        CURRENT=
        say "$name $VERSION: built in $((SECONDS - t)) s"
    fi
    if [ "$name" = musl ]; then
        install_wrapper
    fi
done
rm -rf "$WORK/scrap"
rm -f "$SYS"/lib/*.la    # libtool archives: not needed for static linking
{ echo "$HASH"; echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) from:"; cut -c1-200 "$HERE/versions.txt" | grep -v '^#'; } \
    >"$SYS/.stamp"
say "ready in $((SECONDS - start)) s: $SYS (compiler: $SYS/bin/tessera-cc)"
