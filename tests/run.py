#!/usr/bin/env python3
"""Tessera test runner (make test). Run from anywhere after the build.

1. Host unit tests: every executable build/host/test_*; each prints
   'PASS suite:name' / 'FAIL suite:name: ...' lines.
2. QEMU scenarios: every test_* function in tests/qemu/test_*.py, two at a
   time. A scenario passes if it returns, fails if it raises. Scenarios may
   report sub-results (qemu.report), each counted on its own.

Every result is printed as 'PASS <name>' or 'FAIL <name>: <reason>' (details
indented below); the last line is 'N passed, M failed'. Exit status 0 iff M == 0.
Serial logs of failed scenarios are kept in build/test-logs/.
"""

import argparse
import fnmatch
import importlib.util
import os
import queue
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HOST_DIR = REPO / 'build' / 'host'
QEMU_TESTS = REPO / 'tests' / 'qemu'
LOG_DIR = REPO / 'build' / 'test-logs'

HOST_TIMEOUT = 120          # per host test binary
SCENARIO_LIMIT = 8 * 60     # a scenario still running after this has its QEMUs killed
SUITE_LIMIT = 18 * 60       # hard stop for the QEMU part, to stay under 20 minutes
SANITIZER_MARKERS = ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer',
                     'runtime error:', 'ERROR: UndefinedBehaviorSanitizer')

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, str(QEMU_TESTS))
import qemu as harness  # noqa: E402


def rel(path):
    try:
        return str(Path(path).relative_to(REPO))
    except ValueError:
        return str(path)


def indent(text, prefix='    '):
    return '\n'.join(prefix + line for line in text.splitlines())


def matches(pattern, *names):
    """-k: a glob if it has wildcards, otherwise a substring."""
    if not pattern:
        return True
    if any(c in pattern for c in '*?['):
        return any(fnmatch.fnmatchcase(n, pattern) for n in names)
    return any(pattern in n for n in names)


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def add(self, name, ok, reason='', details=''):
        if ok:
            self.passed += 1
            line = f'PASS {name}'
        else:
            self.failed += 1
            first, _, rest = (reason or 'failed').partition('\n')
            line = f'FAIL {name}: {first}'
            rest = '\n'.join(filter(None, [rest.rstrip(), details.rstrip()]))
            if rest:
                line += '\n' + indent(rest)
        harness.log_line(line)


# ---------------------------------------------------------------------------
# Host unit tests

def host_binaries():
    if not HOST_DIR.is_dir():
        return []
    return sorted(p for p in HOST_DIR.glob('test_*')
                  if p.is_file() and os.access(p, os.X_OK))


def run_host(results, pattern, verbose):
    binaries = host_binaries()
    if not binaries:
        harness.log_line(f'note: no host test binaries in {rel(HOST_DIR)}')
    env = dict(os.environ)
    # Make any UBSan report fatal so it cannot scroll by unnoticed.
    env.setdefault('UBSAN_OPTIONS', 'print_stacktrace=1:halt_on_error=1')
    for binary in binaries:
        name = binary.name
        try:
            proc = subprocess.run([str(binary)], cwd=REPO, env=env, capture_output=True,
                                  stdin=subprocess.DEVNULL, timeout=HOST_TIMEOUT)
            status, timed_out = proc.returncode, False
            out, err = proc.stdout, proc.stderr
        except subprocess.TimeoutExpired as e:
            status, timed_out = None, True
            out, err = e.stdout or b'', e.stderr or b''
        except OSError as e:
            if matches(pattern, name):
                results.add(name, False, f'could not run: {e}')
            continue
        out = out.decode(errors='replace')
        err = err.decode(errors='replace')
        if verbose:
            # Result lines are printed below anyway; show only the rest.
            other = [l for l in out.splitlines() if not l.startswith(('PASS ', 'FAIL '))]
            harness.log_line('\n'.join([f'--- {name} (exit status {status})'] + other
                                        + err.splitlines()))

        lines = 0
        failed_lines = 0
        for line in out.splitlines():
            verdict, _, rest = line.partition(' ')
            if verdict not in ('PASS', 'FAIL') or not rest:
                continue
            lines += 1
            test, _, reason = rest.partition(': ')
            if verdict == 'FAIL':
                failed_lines += 1
            if matches(pattern, test, name):
                results.add(test, verdict == 'PASS', reason)

        # Failures of the binary as a whole: crash, sanitizer report, silence.
        problem = None
        sanitizer = next((l for l in err.splitlines() if any(m in l for m in SANITIZER_MARKERS)), None)
        if timed_out:
            problem = f'timed out after {HOST_TIMEOUT}s'
        elif status < 0:
            problem = f'killed by signal {-status}'
        elif sanitizer:
            problem = sanitizer.strip()
        elif lines == 0:
            problem = f'printed no PASS/FAIL lines (exit status {status})'
        elif status != 0 and failed_lines == 0:
            problem = f'exit status {status} but no FAIL line (crashed?)'
        elif status == 0 and failed_lines:
            problem = f'{failed_lines} FAIL line(s) but exit status 0'
        if problem and matches(pattern, name):
            tail_out = '\n'.join(out.splitlines()[-5:])
            err_lines = err.splitlines()
            if sanitizer:
                # The report's head (error and stack) matters, not the shadow map.
                first = err_lines.index(sanitizer)
                head = err_lines[first:first + 25]
                summary = next((i for i, l in enumerate(head) if l.startswith('SUMMARY:')), None)
                tail_err = '\n'.join(head if summary is None else head[:summary + 1])
            else:
                tail_err = '\n'.join(err_lines[-30:])
            details = '\n'.join(filter(None, [
                tail_out and 'last stdout lines:\n' + tail_out,
                tail_err and 'stderr:\n' + tail_err]))
            results.add(name, False, problem, details)


# ---------------------------------------------------------------------------
# QEMU scenarios

def discover_scenarios(results, pattern):
    """[(name, function)] in file and definition order."""
    scenarios = []
    for path in sorted(QEMU_TESTS.glob('test_*.py')):
        try:
            spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        except Exception:
            results.add(f'qemu/{path.name}', False, 'could not import', traceback.format_exc())
            continue
        for attr, fn in vars(module).items():
            if attr.startswith('test_') and callable(fn) and getattr(fn, '__module__', None) == path.stem:
                name = attr[len('test_'):]
                if matches(pattern, name, f'qemu/{name}'):
                    scenarios.append((name, fn))
    return scenarios


def clean_logs():
    if LOG_DIR.is_dir():
        for p in list(LOG_DIR.glob('*.serial.log')) + list(LOG_DIR.glob('*.failure.txt')):
            p.unlink()


def run_scenario(name, fn, verbose, running, lock):
    """Runs in a worker thread; returns (name, ok, reason, details, subresults)."""
    ctx = harness.set_context(name=name, log_dir=LOG_DIR, verbose=verbose)
    with lock:
        running[name] = (time.monotonic(), ctx.instances)
    ok, reason, details = True, '', ''
    try:
        fn()
    except AssertionError as e:
        ok, reason = False, str(e) or 'assertion failed'
        if not str(e):
            details = traceback.format_exc()
    except Exception as e:
        ok, reason = False, f'{type(e).__name__}: {e}'
        details = traceback.format_exc()
    finally:
        for q in ctx.instances:
            q.close()  # a scenario that forgot its 'with' must not leak QEMUs
        with lock:
            start, _ = running.pop(name)
    if ctx.instances and time.monotonic() - start > SCENARIO_LIMIT:
        ok = False
        reason = f'scenario exceeded {SCENARIO_LIMIT}s and was stopped\n{reason}'
    logs = [q.serial_path for q in ctx.instances if q.serial_path.exists()]
    for log in [q.serial_path for q in ctx.instances if q.proc is None and q.serial_path.exists()]:
        log.unlink()  # QEMU never ran: the empty log would only mislead
        logs.remove(log)
    if ok:
        for log in logs:
            log.unlink()
    else:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        (LOG_DIR / f'{name}.failure.txt').write_text(f'{reason}\n{details}')
        details = '\n'.join(filter(None, [details.rstrip()] + [f'log: {rel(l)}' for l in logs]))
    return name, ok, reason, details, list(ctx.subresults)


def run_qemu(results, pattern, verbose, jobs):
    scenarios = discover_scenarios(results, pattern)
    if not scenarios:
        return
    clean_logs()
    todo = queue.Queue()
    for item in scenarios:
        todo.put(item)
    done = queue.Queue()
    running = {}
    lock = threading.Lock()

    def worker():
        while True:
            try:
                name, fn = todo.get_nowait()
            except queue.Empty:
                return
            done.put(run_scenario(name, fn, verbose, running, lock))

    for _ in range(min(jobs, len(scenarios))):
        threading.Thread(target=worker, daemon=True).start()

    suite_deadline = time.monotonic() + SUITE_LIMIT
    finished = set()
    while len(finished) < len(scenarios):
        try:
            name, ok, reason, details, subresults = done.get(timeout=1)
        except queue.Empty:
            now = time.monotonic()
            with lock:
                for start, instances in running.values():
                    if now - start > SCENARIO_LIMIT or now > suite_deadline:
                        for q in instances:
                            q.kill()  # its waits then fail promptly
            if now > suite_deadline + 60:
                break  # workers are stuck outside the harness; give up on them
            continue
        finished.add(name)
        for sub, sub_ok, sub_reason in subresults:
            results.add(f'qemu/{name}/{sub}', sub_ok, sub_reason)
        results.add(f'qemu/{name}', ok, reason, details)
    for name, _ in scenarios:
        if name not in finished:
            results.add(f'qemu/{name}', False, f'did not finish within the {SUITE_LIMIT}s suite limit')
    harness._kill_leftovers()


def main():
    parser = argparse.ArgumentParser(description='Run Tessera host unit tests and QEMU scenarios.')
    which = parser.add_mutually_exclusive_group()
    which.add_argument('--host-only', action='store_true', help='only host unit tests')
    which.add_argument('--qemu-only', action='store_true', help='only QEMU scenarios')
    parser.add_argument('-k', metavar='PATTERN',
                        help='run only matching tests (substring, or glob with * ? [])')
    parser.add_argument('-v', action='store_true', help='stream serial output and test output')
    parser.add_argument('-j', type=int, default=2, metavar='N',
                        help='QEMU scenarios run at once (default 2)')
    args = parser.parse_args()

    results = Results()
    started = time.monotonic()
    try:
        if not args.qemu_only:
            run_host(results, args.k, args.v)
        if not args.host_only:
            run_qemu(results, args.k, args.v, max(args.j, 1))
    except KeyboardInterrupt:
        harness._kill_leftovers()
        harness.log_line('interrupted')
        return 130
    if args.v:
        harness.log_line(f'(took {time.monotonic() - started:.0f}s)')
    harness.log_line(f'{results.passed} passed, {results.failed} failed')
    return 0 if results.failed == 0 else 1


if __name__ == '__main__':
    code = main()
    sys.stdout.flush()
    # Skip interpreter shutdown: a stuck daemon thread must not print after the summary.
    os._exit(code)
