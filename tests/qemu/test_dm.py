"""The device manager (servers/dm): PCI enumeration on bus 0 and behind a
bridge, drivers matched, started, restarted after a crash or a hang, given up
on when they keep crashing; the driver SDK against a real virtio device
(tests/dmtest, dm's test driver, on with etc/boot-dmtest.conf)."""

import re
import time

from common import PANIC, READY, TROUBLE, check_banner_once, check_no_trouble
from qemu import Qemu, report

ROOT_PORT = ['-device', 'pcie-root-port,id=rp1,chassis=1,slot=1']
DM_READY = r'^init: dm is ready\s*$'
DEVICE_LINE = re.compile(r'^dm: ([0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) ([0-9a-f]{4}):([0-9a-f]{4}) class ([0-9a-f]{6}) -> (.+?)\s*$', re.M)


def _devices(q):
    """{location: (vendor:device, class, driver)} from dm's lines; each location once."""
    found = {}
    for m in DEVICE_LINE.finditer(q.serial_text()):
        if m[1] in found:
            q.fail(f'dm listed {m[1]} twice')
        found[m[1]] = (f'{m[2]}:{m[3]}', m[4], m[5])
    return found


def _expect(q, devices, loc, ids, cls, driver):
    got = devices.get(loc)
    if got != (ids, cls, driver):
        q.fail(f'{loc}: expected {ids} class {cls} -> {driver}, dm said {got}; all: {devices}')


def _check_ready_order(q):
    text = q.serial_text()
    dm = re.search(DM_READY, text, re.M)
    ready = re.search(READY, text, re.M)
    if not dm or not ready or dm.start() > ready.start():
        q.fail('dm did not report ready before TESSERA READY')


def test_dm_enumeration():
    """Every function on bus 0 (multi-function 00:1f too) and on the bus
    behind a PCIe root port, once each, with its driver or 'no driver'; the
    virtio-gpu goes to servers/virtio_gpu; dm is ready before READY."""
    extra = ['-device', 'virtio-rng-pci,addr=0x6'] + ROOT_PORT + ['-device', 'virtio-rng-pci,bus=rp1']
    with Qemu(firmware='bios', extra_args=extra) as q:
        q.start()
        q.wait_for(READY, 60, fail_on=TROUBLE)
        time.sleep(0.5)
        devices = _devices(q)
        gpu = [loc for loc, d in devices.items() if d[0] == '1af4:1050']
        if len(gpu) != 1:
            q.fail(f'expected one virtio-gpu, dm listed {devices}')
        _expect(q, devices, gpu[0], '1af4:1050', '038000', 'servers/virtio_gpu')
        _expect(q, devices, '00:00.0', '8086:29c0', '060000', 'no driver')      # q35 host bridge
        _expect(q, devices, '00:06.0', '1af4:1005', '00ff00', 'no driver')      # virtio-rng, transitional
        _expect(q, devices, '01:00.0', '1af4:1044', '00ff00', 'no driver')      # behind the root port: modern
        for func in ('00:1f.0', '00:1f.2', '00:1f.3'):                          # ICH9: one multi-function slot
            if func not in devices:
                q.fail(f'dm missed {func} of the multi-function ICH9: {sorted(devices)}')
        bridges = [loc for loc, d in devices.items() if d[0] == '1b36:000c']
        if len(bridges) != 1 or devices[bridges[0]][1] != '060400':
            q.fail(f'expected the root port as a PCI-PCI bridge, got {devices}')
        q.wait_for(r'^dm: \d+ devices, \d+ of \d+ drivers ready\s*$', 5, start=0)
        _check_ready_order(q)
        check_banner_once(q)
        check_no_trouble(q)


def test_dm_driver_restart():
    """tests/dmtest drives virtio-rng behind the root port (MSI-X, a
    virtqueue, dm's refusals checked from the driver side); crashed, it is
    restarted and dm.lookup gives the new one; hung, dm's ping finds it,
    kills and restarts it; the virtio-balloon driver crashes every time and
    dm gives up on it; the virtio-input driver never reports ready and dm
    goes on after its 5 s boot wait; the boot goes on to READY."""
    extra = ROOT_PORT + ['-device', 'virtio-rng-pci,bus=rp1',
                         '-device', 'virtio-balloon-pci,disable-legacy=on,addr=0x7',
                         '-device', 'virtio-tablet-pci,addr=0x8']
    tag = 'dmtest'
    result_re = rf'^{tag}: (?P<verdict>PASS|FAIL) (?P<name>[^:\s]+)(?:: (?P<reason>.*?))?\s*$'
    done_re = rf'^{tag}: done (?P<passed>\d+) passed, (?P<failed>\d+) failed\s*$'
    with Qemu(firmware='bios', cmdline='init.conf=etc/boot-dmtest.conf test=dmtest', extra_args=extra) as q:
        q.start()
        try:
            q.wait_for(r'^dm: test drivers on\s*$', 60, fail_on=PANIC)
            q.wait_for(READY, 60, fail_on=PANIC)
            done = q.wait_for(done_re, 90, fail_on=PANIC)
        finally:
            results = list(re.finditer(result_re, q.serial_text(), re.M))
            for m in results:
                report('dm_' + m['name'], m['verdict'] == 'PASS', m['reason'] or '')
        if int(done['failed']) or int(done['passed']) != len(results) or not results:
            q.fail(f"dmtest: {done['passed']} passed, {done['failed']} failed")
        status = q.wait_exit(30)
        if status != 1:
            q.fail(f'QEMU exit status {status}, expected 1 (isa-debug-exit value 0 = success)')
        text = q.serial_text()
        devices = _devices(q)
        _expect(q, devices, '01:00.0', '1af4:1044', '00ff00', 'tests/dmtest')
        _expect(q, devices, '00:07.0', '1af4:1045', '00ff00', 'tests/dmtest')
        _expect(q, devices, '00:08.0', '1af4:1052', '098000', 'tests/dmtest')
        want = [
            r'^dmtest: driver read 16 random bytes \(interrupt seen\)',
            r'^dm: driver tests/dmtest for 01:00\.0 is ready: "dmtest"',
            r'^dm: driver tests/dmtest for 01:00\.0 ended \(status -1000\); restarting\s*$',
            r'^dm: driver tests/dmtest for 01:00\.0 does not answer pings; killing it\s*$',
            r'^dm: driver tests/dmtest for 01:00\.0 ended \(status -1001\); restarting\s*$',
            r'^dm: driver tests/dmtest for 00:07\.0 ended \(status -1000\) and keeps failing; giving up\s*$',
            r'^dm: driver tests/dmtest for 00:08\.0 is not ready after 5 s; going on without it\s*$',
            r'^dm: \d+ devices, 5 of 7 drivers ready\s*$',   # + q35's own AHCI controller
        ]
        for pattern in want:
            if not re.search(pattern, text, re.M):
                q.fail(f'no line matching {pattern!r}')
        restarts = len(re.findall(r'^dm: driver tests/dmtest for 00:07\.0 ended \(status -1000\); restarting',
                                  text, re.M))
        if restarts != 5:
            q.fail(f'the always-crashing driver was restarted {restarts} times, expected 5')
        if re.search(r'driver check \d+ failed', text):
            q.fail('the test driver saw dm allow or refuse the wrong thing:\n'
                   + '\n'.join(l for l in text.splitlines() if 'driver check' in l))
        _check_ready_order(q)
        check_banner_once(q)
