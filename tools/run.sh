#!/usr/bin/env bash
# Boot build/tessera.iso in QEMU (TCG). With a display: a window, serial log on
# the terminal. Without one: headless, serial console on the terminal.
#   tools/run.sh [--debug] [--uefi]      extra boot options: TESSERA_CMDLINE="test=ktest"
set -eu
cd "$(dirname "$0")/.."
iso=build/tessera.iso
debug=0 uefi=0
for arg in "$@"; do
    case "$arg" in
        --debug) debug=1 ;;
        --uefi) uefi=1 ;;
        *) echo "usage: $0 [--debug] [--uefi]" >&2; exit 2 ;;
    esac
done

args=(-machine q35 -cpu max -m 512M -accel tcg -no-reboot
      -device virtio-gpu-pci -device isa-debug-exit,iobase=0xf4,iosize=0x04
      -cdrom "$iso" -boot d)
if [ -n "${TESSERA_CMDLINE:-}" ]; then
    args+=(-fw_cfg "name=opt/tessera/cmdline,string=$TESSERA_CMDLINE")
fi
if [ "$uefi" = 1 ]; then
    code=/usr/share/OVMF/OVMF_CODE_4M.fd vars=/usr/share/OVMF/OVMF_VARS_4M.fd
    [ -f "$code" ] || { code=/usr/share/OVMF/OVMF_CODE.fd; vars=/usr/share/OVMF/OVMF_VARS.fd; }
    mkdir -p build
    cp "$vars" build/run-ovmf-vars.fd
    args+=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code"
           -drive "if=pflash,format=raw,unit=1,file=build/run-ovmf-vars.fd")
fi

# A window only when there is a display and this QEMU has a GUI.
display=none
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    for ui in gtk sdl; do
        if qemu-system-x86_64 -display help 2>/dev/null | grep -qx "$ui"; then
            display=$ui
            break
        fi
    done
fi
if [ "$display" = none ]; then
    echo "tessera: no display; running headless, serial console below (Ctrl-A X quits)" >&2
    args+=(-display none -serial mon:stdio)
else
    args+=(-display "$display" -serial stdio)
fi

if [ "$debug" = 1 ]; then
    args+=(-s -S)
    cat >&2 <<EOT
tessera: QEMU waits for gdb on localhost:1234. In another terminal:
    gdb build/kernel/kernel.elf -ex 'target remote localhost:1234'
  then e.g. 'break kmain', 'continue'. User programs' symbols:
    (gdb) add-symbol-file build/bootfs/servers/init
EOT
fi
exec qemu-system-x86_64 "${args[@]}"
