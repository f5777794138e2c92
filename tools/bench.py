#!/usr/bin/env python3
"""Tessera benchmarks (make bench). Not a test: it reports numbers, and exits
non-zero only if some figure could not be obtained.

Measures, under QEMU/TCG on this host (runs one QEMU at a time so they do not
compete for the CPU):
  * boot time: wall-clock seconds from launching QEMU to the 'TESSERA READY'
    serial line, BIOS and UEFI, median of --boots runs each. Includes firmware
    and GRUB time, so it is an emulator figure, not a hardware one.
  * IPC round trip (bench=ipc): the guest's own cycle counts (TSC under TCG,
    which follows host time) and, in a second boot with -icount shift=0 (TSC
    then counts guest instructions), instructions per round trip.
  * context switch and cross-CPU wake-up (bench=schedtest/switch, 2 CPUs),
    the same two ways. Under -icount the CPUs take turns, so a cross-CPU
    figure counts the instructions of both.
  * shared memory vs memcpy, spawn to exit, idle host CPU, Cairo binary size.
  * the desktop: a full-frame composite of 5 overlapping windows at 1280x800
    as a ratio to one full-frame memcpy (gui.bench=composite); in a 64 MiB
    machine with three apps open, the click-to-present latency of hello's
    button (in-OS timestamps) and the memory in use.
  * the installer: an unattended install (install.auto=vda) onto a blank
    2 GiB virtio disk (the installer's own time, and QEMU's wall time from
    start to power-off), then that disk booted alone to READY, BIOS and UEFI.
  Boot to READY is boot to the desktop: READY waits for its first frame.
"""

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tests' / 'qemu'))
from qemu import DEFAULT_ISO, Qemu, QemuError  # noqa: E402

READY = r'^TESSERA READY\s*$'
# The guest reads the TSC; under -icount shift=0 the TSC counts instructions.
BENCH_LINE = (r'^bench: ipc_roundtrip tsc '
              r'min=(?P<min>\d+) median=(?P<median>\d+)(?: iters=(?P<iters>\d+))?\s*$')
BENCH_DONE = r'^bench: done\s*$'


def boot_time(firmware, timeout):
    with Qemu(firmware=firmware, name=f'bench-boot-{firmware}') as q:
        q.start()
        q.wait_for(READY, timeout, fail_on=r'PANIC')
        # wait_for returns within one serial poll (20 ms) of the line arriving.
        return time.monotonic() - q.start_time


def ipc_bench(icount, timeout):
    """{unit: (min, median, iters)} for the lines printed by bench=ipc."""
    with Qemu(firmware='bios', cmdline='bench=ipc', icount=icount,
              name=f'bench-ipc{"-icount" if icount else ""}') as q:
        q.start()
        q.wait_for(BENCH_DONE, timeout, fail_on=r'PANIC')
        figures = {}
        for m in re.finditer(BENCH_LINE, q.serial_text(), re.MULTILINE):
            unit = 'instructions' if icount else 'cycles'
            figures[unit] = (int(m['min']), int(m['median']), m['iters'])
        try:
            q.wait_exit(30)
        except QemuError:
            pass  # powering off is not what is measured here
        return figures


def guest_bench(name, timeout, smp=1, icount=False):
    """The 'bench: KEY ...' lines a guest benchmark (bench=NAME) prints, by key."""
    with Qemu(firmware='bios', cmdline=f'bench={name}', smp=smp, icount=icount,
              name=f'bench-{name.replace("/", "-")}{"-icount" if icount else ""}') as q:
        q.start()
        q.wait_for(BENCH_DONE, timeout, fail_on=r'PANIC')
        lines = {}
        for m in re.finditer(r'^bench: (\S+) (.*)$', q.serial_text(), re.MULTILINE):
            lines[m[1]] = m[2].strip()
        return lines


def idle_cpu(seconds=10, smp=1):
    """Host CPU used by QEMU (user + system) while the booted system idles."""
    import os
    with Qemu(firmware='bios', name=f'bench-idle-smp{smp}', smp=smp) as q:
        q.start()
        q.wait_for(READY, 120, fail_on=r'PANIC')
        time.sleep(2)   # let start-up settle
        tck = os.sysconf('SC_CLK_TCK')

        def used():
            fields = open(f'/proc/{q.proc.pid}/stat').read().rsplit(')', 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / tck
        a = used()
        time.sleep(seconds)
        return (used() - a) / seconds * 100


def composite_bench(timeout):
    with Qemu(firmware='bios', cmdline='gpu.mode=1280x800 gui.bench=composite', name='bench-composite') as q:
        q.start()
        return q.wait_for(r'^gui: bench composite (?P<size>\d+x\d+) windows=(?P<n>\d+) full=(?P<full>\d+) us '
                          r'memcpy=(?P<memcpy>\d+) us ratio=(?P<ratio>[\d.]+)\s*$', timeout, fail_on=r'PANIC')


def desktop_session(timeout):
    """64 MiB of memory, hello, the terminal and the clock open from the start
    menu; hello's button clicked. Returns (click latency us, memory line)."""
    import tempfile
    from test_gui import Desktop
    with Qemu(firmware='bios', memory='64M', name='bench-desktop') as q, tempfile.TemporaryDirectory() as tmp:
        q.start()
        d = Desktop(q, tmp)
        hello = d.open_app('Hello', 'My first application')
        d.open_app('Clock', 'Clock')
        start = len(q.serial_text())
        term = d.open_app('Terminal', 'Terminal', start)
        q.wait_for(r'^terminal: started', timeout, start=start, fail_on=r'PANIC')
        start = len(q.serial_text())
        d.click(int(hello['x']) + 40, int(hello['y']) + 10)   # raise hello
        d.click(int(hello['cx']) + 40, int(hello['cy']) + 72)
        lat = q.wait_for(r'^gui: click to present (?P<us>\d+) us\s*$', timeout, start=start, fail_on=r'PANIC')
        d.click(int(term['cx']) + 40, int(term['cy']) + int(term['h']) - 50)
        d.type_text('mem')
        q.type_keys(['ret'])
        mem = q.wait_for(r'^terminal: \$ mem -> (?P<line>.*)$', timeout, start=start, fail_on=r'PANIC')
        return int(lat['us']), mem['line'].strip()


# Each disk driver's device on QEMU, as tests/qemu/test_block.py attaches it.
DISKS = {
    'virtio-blk': ('vda', ['-device', 'virtio-blk-pci,drive=d0,disable-legacy=on']),
    'AHCI': ('sda', ['-device', 'ide-hd,drive=d0,bus=ide.0']),
    'NVMe': ('nvme0', ['-device', 'nvme,serial=tessera0,drive=d0']),
}


def disk_bench(bus, timeout):
    """Sequential 64 MiB write then read through one disk driver
    (bench=blktest/seq) against dd on the host with the same image file:
    (guest, host) MiB/s for write and read."""
    import subprocess
    import tempfile
    name, device = DISKS[bus]
    with tempfile.TemporaryDirectory() as tmp:
        img = Path(tmp) / 'disk.img'
        with open(img, 'wb') as f:
            f.truncate(256 << 20)
        extra = ['-drive', f'file={img},if=none,format=raw,id=d0', *device]
        with Qemu(firmware='bios', cmdline=f'bench=blktest/seq blktest.disk={name}', extra_args=extra,
                  name=f'bench-disk-{name}') as q:
            q.start()
            q.wait_for(BENCH_DONE, timeout, fail_on=r'PANIC')
            text = q.serial_text()
        guest = {k: float(re.search(rf'^bench: blk_{k} MiBps=([\d.]+)', text, re.M)[1]) for k in ('write', 'read')}
        host = {}
        for key, args in (('write', ['if=/dev/zero', f'of={img}', 'conv=notrunc']),
                          ('read', [f'if={img}', 'of=/dev/null'])):
            t0 = time.monotonic()
            subprocess.run(['dd', *args, 'bs=128K', 'count=512'], check=True, capture_output=True)
            host[key] = 64 / max(time.monotonic() - t0, 1e-6)
        return guest, host


def install_bench(timeout):
    """Installs onto a blank sparse 2 GiB virtio disk and boots it alone:
    (MiB written, installer ms, wall s to power-off, BIOS s, UEFI s)."""
    import tempfile
    from installed import INSTALL_DONE, blank_image, boot_alone, disk_args
    with tempfile.TemporaryDirectory() as tmp:
        img = blank_image(Path(tmp) / 'disk.img', 2048)
        with Qemu(firmware='bios', cmdline='install.auto=vda', extra_args=disk_args(img, 'virtio'),
                  name='bench-install') as q:
            q.start()
            status = q.wait_exit(timeout)
            wall = time.monotonic() - q.start_time
            m = re.search(INSTALL_DONE, q.serial_text(), re.M)
            if status != 0 or not m:
                raise QemuError(f'the install did not finish (QEMU status {status})')
        return int(m['mib']), int(m['ms']), wall, boot_alone(img, 'bios', timeout=timeout), \
            boot_alone(img, 'uefi', timeout=timeout)


def subprocess_error():
    import subprocess
    return subprocess.SubprocessError


def first_line(error):
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--boots', type=int, default=3, help='boots per firmware (default 3)')
    parser.add_argument('--timeout', type=float, default=120, help='seconds per boot (default 120)')
    args = parser.parse_args()

    if not DEFAULT_ISO.is_file():
        print(f'bench: {DEFAULT_ISO} not found; build it first')
        return 1

    rows = []      # (measurement, value text)
    missing = []

    for firmware in ('bios', 'uefi'):
        times, errors = [], []
        for i in range(args.boots):
            try:
                t = boot_time(firmware, args.timeout)
                times.append(t)
                print(f'boot {firmware} #{i + 1}: {t:.2f} s', flush=True)
            except QemuError as e:
                errors.append(first_line(e))
                print(f'boot {firmware} #{i + 1}: FAILED: {first_line(e)}', flush=True)
        label = f'boot to READY, {firmware.upper()} (wall s)'
        if times:
            runs = ', '.join(f'{t:.2f}' for t in times)
            rows.append((label, f'median {statistics.median(times):.2f}  (runs: {runs})'))
        else:
            rows.append((label, 'NOT OBTAINED'))
            missing.append(f'{label}: {errors[0] if errors else "no runs"}')

    for icount, unit, how in ((False, 'cycles', 'TSC, TCG'),
                              (True, 'instructions', 'TSC with -icount shift=0')):
        label = f'IPC round trip, {unit} ({how})'
        try:
            figures = ipc_bench(icount, args.timeout)
            print(f'ipc bench{" (icount)" if icount else ""}: {figures or "no bench lines"}', flush=True)
        except QemuError as e:
            figures = {}
            print(f'ipc bench{" (icount)" if icount else ""}: FAILED: {first_line(e)}', flush=True)
            missing.append(f'{label}: {first_line(e)}')
        if unit in figures:
            lo, med, iters = figures[unit]
            rows.append((label, f'min {lo}  median {med}' + (f'  (iters {iters})' if iters else '')))
        else:
            rows.append((label, 'NOT OBTAINED'))
            if not any(m.startswith(label) for m in missing):
                missing.append(f'{label}: no "bench: ipc_roundtrip {unit}" line')

    # Memory (vm server): 64 MiB through shared memory vs memcpy, spawn-to-exit.
    for name, keys in (('vmtest/shm', ('memcpy_64mib', 'shm_64mib')), ('vmtest/spawn', ('spawn_exit',))):
        try:
            lines = guest_bench(name, args.timeout * 2)
        except QemuError as e:
            lines = {}
            missing.append(f'{name}: {first_line(e)}')
        for key in keys:
            rows.append((f'{key} ({name})', lines.get(key, 'NOT OBTAINED')))
            if key not in lines:
                missing.append(f'{name}: no "bench: {key}" line')
        if 'memcpy_64mib' in lines and 'shm_64mib' in lines:
            copy = int(re.search(r'us=(\d+)', lines['memcpy_64mib'])[1])
            share = int(re.search(r'us=(\d+)', lines['shm_64mib'])[1])
            rows.append(('shm / memcpy time ratio (64 MiB)', f'{share / max(copy, 1):.3f}'))

    # Scheduling (two CPUs): a context switch on one CPU (two tasks yielding
    # to each other), and an IPC round trip across CPUs next to one on a CPU.
    keys = ('context_switch', 'ipc_roundtrip_same_cpu', 'ipc_roundtrip_cross_cpu')
    for icount, unit, how in ((False, 'cycles', 'TSC, TCG'), (True, 'instructions', '-icount shift=0')):
        try:
            lines = guest_bench('schedtest/switch', args.timeout * 2, smp=2, icount=icount)
        except QemuError as e:
            lines = {}
            missing.append(f'schedtest/switch ({how}): {first_line(e)}')
        for key in keys:
            m = re.match(r'tsc min=(\d+) median=(\d+)', lines.get(key, ''))
            rows.append((f'{key.replace("_", " ")}, {unit} ({how})',
                         f'min {m[1]}  median {m[2]}' if m else 'NOT OBTAINED'))
            if not m:
                missing.append(f'schedtest/switch ({how}): no "bench: {key}" line')

    for smp in (1, 4):
        try:
            rows.append((f'host CPU used by QEMU, idle system, {smp} CPU(s), 10 s',
                         f'{idle_cpu(smp=smp):.1f} % of a core'))
        except QemuError as e:
            missing.append(f'idle CPU ({smp} CPUs): {first_line(e)}')

    try:
        m = composite_bench(args.timeout)
        rows.append((f'full-frame composite, {m["n"]} windows, {m["size"]} / one memcpy',
                     f'{m["ratio"]}x  (composite {m["full"]} us, memcpy {m["memcpy"]} us)'))
    except QemuError as e:
        missing.append(f'composite: {first_line(e)}')
    try:
        latency, memory = desktop_session(args.timeout)
        rows.append(('click to present (hello button, 64 MiB, 3 apps)', f'{latency} us'))
        rows.append(('memory with the desktop and 3 apps (64 MiB machine)', memory))
    except QemuError as e:
        missing.append(f'desktop session: {first_line(e)}')

    for bus in DISKS:
        try:
            guest, host = disk_bench(bus, args.timeout * 2)
            for key in ('write', 'read'):
                rows.append((f'{bus} sequential {key}, 64 MiB (guest / host dd, same file)',
                             f'{guest[key]:.0f} / {host[key]:.0f} MiB/s = {guest[key] / host[key]:.2f}'))
        except (QemuError, TypeError, subprocess_error()) as e:
            missing.append(f'disk {bus}: {first_line(e)}')

    try:
        mib, ms, wall, bios, uefi = install_bench(args.timeout * 2)
        rows.append(('install to a blank 2 GiB virtio disk (installer)',
                     f'{ms} ms for {mib} MiB written and read back  ({wall:.1f} s from QEMU start to power-off)'))
        rows.append(('installed disk: boot to READY, BIOS (wall s)', f'{bios:.2f}'))
        rows.append(('installed disk: boot to READY, UEFI (wall s)', f'{uefi:.2f}'))
    except (QemuError, subprocess_error()) as e:
        missing.append(f'install: {first_line(e)}')

    cairo = DEFAULT_ISO.parent / 'bootfs' / 'tests' / 'cairo-render'
    if cairo.is_file():
        rows.append(('Cairo test binary (static, with symbols)', f'{cairo.stat().st_size:,} bytes'))

    width = max(len(r[0]) for r in rows)
    print()
    print('Tessera benchmark summary (QEMU TCG on this host; not hardware numbers)')
    print(f'{"measurement".ljust(width)}  value')
    print(f'{"-" * width}  {"-" * 40}')
    for label, value in rows:
        print(f'{label.ljust(width)}  {value}')
    if missing:
        print()
        print('Could not obtain:')
        for m in missing:
            print(f'  {m}')
    return 1 if missing else 0


if __name__ == '__main__':
    sys.exit(main())
