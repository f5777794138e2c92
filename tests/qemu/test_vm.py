"""The vm server in the guest (test=vmtest): lazy memory, protection, shared
memory by handle, memory exhaustion, 1,000 spawn/exit cycles."""

from common import run_guest_suite


def test_vmtest():
    run_guest_suite('vmtest', timeout=300)
