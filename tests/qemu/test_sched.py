"""Scheduling in the guest (test=schedtest) with 1, 2 and 4 CPUs: priority
preemption, round-robin fairness, affinity, quantum events reaching a
scheduler, a scheduler that dies, timers, refused arguments, and the sched
server's policy (a hog demoted while a sleeping task keeps its latency)."""

from common import run_guest_suite


def _schedtest(smp):
    prefix = f'smp{smp}:' if smp > 1 else None
    # More than one CPU: multi-threaded TCG, so the CPUs really run at the
    # same time and cross-CPU wake-ups, kills and IPIs race as on hardware.
    run_guest_suite('schedtest', timeout=240, prefix=prefix, smp=smp, parallel=smp > 1)


def test_schedtest():
    _schedtest(1)


def test_schedtest_smp2():
    _schedtest(2)


def test_schedtest_smp4():
    _schedtest(4)
