"""An ordinary POSIX program on musl + libposix (test=posixtest)."""

from common import run_guest_suite


def test_posixtest():
    log = run_guest_suite('posixtest', timeout=240)
    # An unsupported call fails loudly, once: socket() is Linux call 41.
    lines = [l for l in log.splitlines() if 'system call 41 ' in l]
    if len(lines) != 1 or 'libposix: posixtest:' not in lines[0] or 'not supported' not in lines[0]:
        raise AssertionError(f'expected one libposix line about system call 41, got {lines!r}')
