"""QEMU harness for Tessera's boot scenarios and benchmarks.

Typical use:

    with Qemu(firmware='bios', cmdline='test=ktest') as q:
        q.start()
        q.wait_for(r'TESSERA READY', timeout=60)
        ...

Everything that waits takes a timeout; a failed wait raises QemuTimeout (an
AssertionError, so a scenario that runs out of time simply fails) whose message
carries the QEMU command line and the last serial lines.

The serial port is written by QEMU to a file and tailed by a background thread
into memory. When tests/run.py runs a scenario it sets a per-thread context
(see set_context) so that logs land in build/test-logs/ and sub-results can be
reported; used alone, everything lives in a temp dir that close() removes.
"""

import atexit
import codecs
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_ISO = REPO / 'build' / 'tessera.iso'
KERNEL_ELF = REPO / 'build' / 'kernel' / 'kernel.elf'
QEMU_BINARY = 'qemu-system-x86_64'

OVMF_CANDIDATES = [
    ('/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/OVMF/OVMF_VARS_4M.fd'),
    ('/usr/share/OVMF/OVMF_CODE.fd', '/usr/share/OVMF/OVMF_VARS.fd'),
]

GPU_ID = 'gpu0'  # screendump(device=GPU_ID) shows the virtio-gpu output
TAIL_LINES = 40
POLL_INTERVAL = 0.02


class QemuError(AssertionError):
    """QEMU could not be started, exited early, or misbehaved."""


class QemuTimeout(QemuError):
    """Something did not happen within its timeout."""


class QMPError(QemuError):
    """A QMP command returned an error or the connection failed."""


# ---------------------------------------------------------------------------
# Per-thread context, set by tests/run.py around each scenario.

class _Context(threading.local):
    def __init__(self):
        self.name = None        # scenario name, used for log file names
        self.log_dir = None     # where serial logs go (kept by the runner on failure)
        self.verbose = False    # echo serial lines to stdout
        self.instances = []     # Qemu objects created under this context
        self.subresults = []    # (name, passed, reason) reported by the scenario


_context = _Context()
_print_lock = threading.Lock()
_live = set()
_live_lock = threading.Lock()


def set_context(name=None, log_dir=None, verbose=False):
    """Start a fresh context for the calling thread and return it."""
    _context.name = name
    _context.log_dir = Path(log_dir) if log_dir else None
    _context.verbose = verbose
    _context.instances = []
    _context.subresults = []
    return _context


def get_context():
    return _context


def report(name, passed, reason=''):
    """Report one sub-result (e.g. one in-guest test) of the running scenario.

    Outside the runner the result is printed straight away."""
    _context.subresults.append((name, bool(passed), reason))
    if _context.name is None:
        log_line(f"{'PASS' if passed else 'FAIL'} {name}" + ('' if passed else f': {reason}'))


def log_line(text):
    """Print a line without interleaving with other threads' output."""
    with _print_lock:
        print(text, flush=True)


def _kill_leftovers():
    # A crashed script must not leave TCG guests burning CPU.
    with _live_lock:
        leftovers = list(_live)
    for q in leftovers:
        q.close()


atexit.register(_kill_leftovers)


def find_ovmf():
    for code, variables in OVMF_CANDIDATES:
        if os.path.exists(code) and os.path.exists(variables):
            return code, variables
    raise QemuError('OVMF firmware not found; looked for: '
                    + ', '.join(c for c, _ in OVMF_CANDIDATES))


def _escape_opt(value):
    # QEMU's option parser treats ',' as a separator; ',,' is a literal comma.
    return str(value).replace(',', ',,')


ANSI_ESCAPE = re.compile(r'\x1b(\[[0-9;=?]*[A-Za-z]|[()][A-Z0-9]|[=>])')


def tail(text, n=TAIL_LINES, width=200):
    """Last n lines for error messages: terminal escapes (GRUB, OVMF) removed,
    long lines cut."""
    lines = ANSI_ESCAPE.sub('', text).splitlines()[-n:]
    return '\n'.join(l if len(l) <= width else l[:width] + ' [...]' for l in lines)


# ---------------------------------------------------------------------------
# QMP

class QMP:
    """Minimal QMP client over a unix socket."""

    def __init__(self, path, timeout=10.0, alive=None):
        """Connect to `path`, retrying until QEMU has created the socket.

        `alive` is an optional callable; when it returns False we stop waiting
        (QEMU died during startup)."""
        self.path = str(path)
        self.timeout = timeout
        self.events = []
        self._next_id = 0
        self._lock = threading.Lock()
        deadline = time.monotonic() + timeout
        last_error = None
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            try:
                sock.connect(self.path)
                break
            except OSError as e:
                sock.close()
                last_error = e
            if alive is not None and not alive():
                raise QMPError(f'QEMU exited before its QMP socket accepted a connection ({last_error})')
            if time.monotonic() > deadline:
                raise QMPError(f'could not connect to QMP socket {self.path} within {timeout}s: {last_error}')
            time.sleep(0.05)
        self.sock = sock
        self._file = sock.makefile('rb')
        greeting = self._read()
        if 'QMP' not in greeting:
            raise QMPError(f'unexpected QMP greeting: {greeting}')
        self.cmd('qmp_capabilities')

    def _read(self):
        try:
            line = self._file.readline()
        except socket.timeout:
            raise QMPError(f'timed out after {self.timeout}s waiting for QMP') from None
        except OSError as e:
            raise QMPError(f'QMP connection failed: {e}') from None
        if not line:
            raise QMPError('QMP connection closed by QEMU')
        try:
            return json.loads(line)
        except ValueError:
            raise QMPError(f'bad QMP message: {line!r}') from None

    def cmd(self, name, args=None, **kwargs):
        """Run command `name` and return its 'return' value.

        Arguments come from `args` (a dict, for names with '-') and/or kwargs."""
        arguments = dict(args or {})
        arguments.update(kwargs)
        with self._lock:
            self._next_id += 1
            request = {'execute': name, 'id': self._next_id}
            if arguments:
                request['arguments'] = arguments
            try:
                self.sock.sendall(json.dumps(request).encode() + b'\n')
            except OSError as e:
                raise QMPError(f'QMP send of {name} failed: {e}') from None
            while True:
                msg = self._read()
                if 'event' in msg:
                    self.events.append(msg)
                    continue
                if msg.get('id') != self._next_id:
                    continue
                if 'error' in msg:
                    err = msg['error']
                    raise QMPError(f"QMP {name} failed: {err.get('class')}: {err.get('desc')}")
                return msg.get('return')

    def close(self):
        for closer in (getattr(self, '_file', None), getattr(self, 'sock', None)):
            try:
                if closer:
                    closer.close()
            except OSError:
                pass


# ---------------------------------------------------------------------------
# PPM reading (screendump's default format), no PIL needed.

def read_ppm(path):
    """Read a binary PPM (P6) file and return (width, height, rgb_bytes)."""
    data = Path(path).read_bytes()
    fields = []
    pos = 0
    # Header: magic, width, height, maxval separated by whitespace; '#' starts a comment.
    while len(fields) < 4:
        while pos < len(data) and data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b'#':
            while pos < len(data) and data[pos:pos + 1] not in (b'\n', b'\r'):
                pos += 1
            continue
        start = pos
        while pos < len(data) and not data[pos:pos + 1].isspace():
            pos += 1
        if start == pos:
            raise ValueError(f'{path}: truncated PPM header')
        fields.append(data[start:pos])
    pos += 1  # exactly one whitespace byte before the pixels
    if fields[0] != b'P6':
        raise ValueError(f'{path}: not a binary PPM (magic {fields[0]!r})')
    width, height, maxval = int(fields[1]), int(fields[2]), int(fields[3])
    if maxval > 255:
        raise ValueError(f'{path}: 16-bit PPM not supported')
    pixels = data[pos:pos + width * height * 3]
    if len(pixels) != width * height * 3:
        raise ValueError(f'{path}: expected {width * height * 3} pixel bytes, got {len(pixels)}')
    return width, height, pixels


def ppm_pixel(image, x, y):
    """(r, g, b) at (x, y) of an image returned by read_ppm."""
    width, _, pixels = image
    i = (y * width + x) * 3
    return tuple(pixels[i:i + 3])


# ---------------------------------------------------------------------------
# The QEMU instance

class Qemu:
    """One QEMU process running Tessera (or anything else) under TCG."""

    def __init__(self, firmware='bios', cmdline=None, smp=1, memory='512M',
                 extra_args=(), icount=False, iso=DEFAULT_ISO, name=None,
                 serial_log=None, verbose=None, qmp_timeout=10.0, parallel=False,
                 gpu='virtio', gpu_props=None, reboot=False):
        """reboot: let a guest reset restart the machine (default: QEMU
        exits, -no-reboot). gpu: the displays. 'virtio': the machine's standard VGA plus a
        virtio-gpu-pci with id GPU_ID (gpu_props: its properties, e.g.
        {'xres': 1024, 'yres': 768}); 'std': the standard VGA alone (the boot
        loader's framebuffer is all there is); None: no display at all."""
        if firmware not in ('bios', 'uefi'):
            raise ValueError(f"firmware must be 'bios' or 'uefi', not {firmware!r}")
        if gpu not in ('virtio', 'std', None):
            raise ValueError(f"gpu must be 'virtio', 'std' or None, not {gpu!r}")
        if gpu_props and gpu != 'virtio':
            raise ValueError('gpu_props are for the virtio-gpu')
        self.gpu = gpu
        self.gpu_props = dict(gpu_props or {})
        self.firmware = firmware
        self.reboot = reboot
        self.cmdline = cmdline
        self.smp = smp
        self.memory = memory
        self.extra_args = list(extra_args)
        self.icount = icount
        # parallel: one host thread per vCPU (multi-threaded TCG), so that
        # the CPUs really run at the same time and races can show.
        self.parallel = parallel
        self.iso = Path(iso) if iso is not None else None
        self.qmp_timeout = qmp_timeout

        ctx = _context
        self.name = name or ctx.name or 'qemu'
        self.verbose = ctx.verbose if verbose is None else verbose
        ctx.instances.append(self)

        self.tmpdir = Path(tempfile.mkdtemp(prefix='tessera-qemu-'))
        self.qmp_path = self.tmpdir / 'qmp.sock'
        self.stderr_path = self.tmpdir / 'qemu-stderr.txt'
        if serial_log is not None:
            self.serial_path = Path(serial_log)
        elif ctx.log_dir is not None:
            self.serial_path = self._unique_log_path(ctx.log_dir)
        else:
            self.serial_path = self.tmpdir / 'serial.log'

        self.proc = None
        self.qmp = None
        self.start_time = None
        self.cursor = 0          # where the next wait_for starts searching
        self._text = ''
        self._bytes_read = 0
        self._cond = threading.Condition()
        self._reader = None
        self._stop = threading.Event()
        self._stderr_file = None
        self._closed = False
        with _live_lock:
            _live.add(self)  # so the temp dir goes even if close() is never called
        try:
            self.args = self._build_args()
        except BaseException:
            self.close()
            raise

    def _unique_log_path(self, log_dir):
        # Claim the name at once so two instances of one scenario never share a log.
        log_dir.mkdir(parents=True, exist_ok=True)
        base = re.sub(r'[^\w.-]', '_', self.name)
        path = log_dir / f'{base}.serial.log'
        n = 2
        while path.exists():
            path = log_dir / f'{base}-{n}.serial.log'
            n += 1
        path.write_bytes(b'')
        return path

    # -- command line ------------------------------------------------------

    def _build_args(self):
        args = [QEMU_BINARY,
                '-machine', 'q35', '-cpu', 'max', '-m', str(self.memory),
                '-smp', str(self.smp),
                '-accel', 'tcg,thread=multi' if self.parallel else 'tcg',
                *([] if self.reboot else ['-no-reboot']),
                '-display', 'none', '-monitor', 'none',
                '-chardev', f'file,id=serial0,path={_escape_opt(self.serial_path)}',
                '-serial', 'chardev:serial0']
        if self.gpu == 'virtio':
            props = ''.join(f',{k}={_escape_opt(v)}' for k, v in self.gpu_props.items())
            args += ['-device', f'virtio-gpu-pci,id={GPU_ID}{props}']
        elif self.gpu is None:
            args += ['-vga', 'none']
        args += ['-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
                 '-qmp', f'unix:{_escape_opt(self.qmp_path)},server=on,wait=off']
        if self.icount:
            # TSC then follows the instruction count: "cycles" become instructions.
            args += ['-icount', 'shift=0']
        if self.firmware == 'uefi':
            code, variables = find_ovmf()
            self.vars_copy = self.tmpdir / 'OVMF_VARS.fd'
            shutil.copyfile(variables, self.vars_copy)
            args += ['-drive', f'if=pflash,format=raw,unit=0,readonly=on,file={_escape_opt(code)}',
                     '-drive', f'if=pflash,format=raw,unit=1,file={_escape_opt(self.vars_copy)}']
        if self.iso is not None:
            args += ['-cdrom', str(self.iso), '-boot', 'd']
        # iso=None: the firmware boots from a disk in extra_args (bootindex=0).
        if self.cmdline:
            args += ['-fw_cfg', f'name=opt/tessera/cmdline,string={_escape_opt(self.cmdline)}']
        args += self.extra_args
        return args

    def command_line(self):
        return shlex.join(self.args)

    # -- lifecycle ---------------------------------------------------------

    def start(self):
        """Launch QEMU and connect QMP. On failure everything is cleaned up."""
        if self.proc is not None or self._closed:
            raise QemuError('start() may be called once per Qemu object')
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def _start(self):
        if self.iso is not None and not self.iso.is_file():
            raise QemuError(f'ISO not found: {self.iso} (build it first)')
        if shutil.which(QEMU_BINARY) is None:
            raise QemuError(f'{QEMU_BINARY} not found in PATH')
        # Create the log ourselves so the reader can open it before QEMU writes.
        self.serial_path.parent.mkdir(parents=True, exist_ok=True)
        self.serial_path.write_bytes(b'')
        self._stderr_file = open(self.stderr_path, 'wb')
        self.start_time = time.monotonic()
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                     stdout=self._stderr_file, stderr=subprocess.STDOUT)
        self._reader = threading.Thread(target=self._read_serial, daemon=True,
                                        name=f'serial-{self.name}')
        self._reader.start()
        try:
            self.qmp = QMP(self.qmp_path, timeout=self.qmp_timeout,
                           alive=lambda: self.proc.poll() is None)
        except QMPError as e:
            self.kill()
            raise QemuError(self._describe(f'QEMU did not start properly: {e}')) from None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def is_running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """Stop QEMU (SIGTERM, then SIGKILL) and return its exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        return self.proc.returncode

    def close(self):
        """Kill QEMU, stop the serial reader and delete temp files. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self.kill()
        finally:
            if self.qmp is not None:
                self.qmp.close()
            self._stop.set()
            if self._reader is not None:
                self._reader.join(timeout=5)
            if self._stderr_file is not None:
                self._stderr_file.close()
            self._stderr_text = self._read_stderr()
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            with _live_lock:
                _live.discard(self)

    def wait_exit(self, timeout):
        """Wait for QEMU to exit on its own and return its exit status.

        isa-debug-exit value v gives status (v << 1) | 1."""
        if self.proc is None:
            raise QemuError('QEMU was not started')
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise QemuTimeout(self._describe(f'QEMU did not exit within {timeout:.0f}s')) from None
        self._drain()
        return self.proc.returncode

    # -- serial ------------------------------------------------------------

    def _read_serial(self):
        decoder = codecs.getincrementaldecoder('utf-8')(errors='replace')
        pending = ''  # partial line kept for verbose echo
        with open(self.serial_path, 'rb') as f:
            while True:
                stopping = self._stop.is_set()
                chunk = f.read(65536)
                if chunk:
                    text = decoder.decode(chunk).replace('\r', '')
                    with self._cond:
                        self._text += text
                        self._bytes_read += len(chunk)
                        self._cond.notify_all()
                    if self.verbose:
                        pending += text
                        *lines, pending = pending.split('\n')
                        for line in lines:
                            log_line(f'[{self.name}] {line}')
                    continue
                if stopping:
                    break
                self._stop.wait(POLL_INTERVAL)
        if self.verbose and pending:
            log_line(f'[{self.name}] {pending}')

    def _drain(self):
        """Give the reader a moment to pick up the last bytes QEMU wrote."""
        if self._reader is None or not self._reader.is_alive():
            return
        size = self.serial_path.stat().st_size if self.serial_path.exists() else 0
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            with self._cond:
                if self._bytes_read >= size:
                    return
            time.sleep(POLL_INTERVAL)

    def serial_text(self):
        """Everything the guest printed so far ('\\r' removed)."""
        with self._cond:
            return self._text

    def serial_lines(self):
        return self.serial_text().splitlines()

    def wait_for(self, pattern, timeout, start=None, fail_on=None, partial=False):
        """Wait until regex `pattern` matches the serial output; return the match.

        The search starts at `start` (default: the end of the previous
        wait_for match, so consecutive waits find things in order) and uses
        re.MULTILINE. Unless `partial` is set, only complete lines are searched,
        so a pattern cannot match a half-printed line. If regex `fail_on`
        appears first, or QEMU exits, fail at once instead of waiting."""
        if self.proc is None:
            raise QemuError('wait_for() before start()')
        regex = re.compile(pattern, re.MULTILINE)
        bad = re.compile(fail_on, re.MULTILINE) if fail_on else None
        pos = self.cursor if start is None else start
        deadline = time.monotonic() + timeout
        exited = False
        while True:
            with self._cond:
                text = self._text
                if not partial and not exited:
                    text = text[:text.rfind('\n') + 1]
                m = regex.search(text, pos)
                b = bad.search(text, pos) if bad else None
                if m and not (b and b.start() < m.start()):
                    self.cursor = m.end()
                    return m
                if b:
                    line_start = text.rfind('\n', 0, b.start()) + 1
                    line_end = text.find('\n', b.start())
                    line = text[line_start:line_end if line_end >= 0 else None]
                    raise QemuError(self._describe(
                        f'/{fail_on}/ appeared while waiting for /{pattern}/: {line!r}'))
                if exited:
                    raise QemuError(self._describe(
                        f'QEMU exited with status {self.proc.returncode} before /{pattern}/ appeared'))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise QemuTimeout(self._describe(f'/{pattern}/ did not appear within {timeout:.0f}s'))
                self._cond.wait(min(remaining, 0.25))
            if self.proc is not None and self.proc.poll() is not None:
                self._drain()
                exited = True  # one last search over everything, then give up

    # -- QMP helpers -------------------------------------------------------

    def qmp_cmd(self, name, args=None, **kwargs):
        if self.qmp is None:
            raise QemuError('QEMU was not started')
        return self.qmp.cmd(name, args, **kwargs)

    cmd = qmp_cmd

    def screendump(self, path, fmt='png', device=None, head=None):
        """Save a display to `path` as 'png' or 'ppm' (see read_ppm).

        By default QEMU's first console (the machine's standard VGA: firmware,
        GRUB, early text); device=GPU_ID for the virtio-gpu display."""
        if fmt not in ('png', 'ppm'):
            raise ValueError(f"fmt must be 'png' or 'ppm', not {fmt!r}")
        args = {'filename': str(Path(path).resolve()), 'format': fmt}
        if device is not None:
            args['device'] = device
        if head is not None:
            args['head'] = head
        self.qmp_cmd('screendump', args)
        # The file should be complete when the command returns; allow for lag anyway.
        deadline = time.monotonic() + 5
        while not (os.path.exists(path) and os.path.getsize(path) > 0):
            if time.monotonic() > deadline:
                raise QemuTimeout(f'screendump did not produce {path}')
            time.sleep(POLL_INTERVAL)
        return path

    def send_events(self, events):
        self.qmp_cmd('input-send-event', events=events)

    def send_key(self, qcode, down):
        """Press (down=True) or release a key given by QEMU qcode ('a', 'ret', 'shift'...)."""
        self.send_events([{'type': 'key', 'data': {
            'down': bool(down), 'key': {'type': 'qcode', 'data': qcode}}}])

    def type_keys(self, keys, delay=0.05):
        """Press and release each key in turn. An item may be a qcode or a
        list/tuple of qcodes pressed together, e.g. ('ctrl', 'c')."""
        for item in keys:
            chord = [item] if isinstance(item, str) else list(item)
            for qcode in chord:
                self.send_key(qcode, True)
            time.sleep(delay)
            for qcode in reversed(chord):
                self.send_key(qcode, False)
            time.sleep(delay)

    def mouse_move_rel(self, dx, dy):
        self.send_events([{'type': 'rel', 'data': {'axis': 'x', 'value': int(dx)}},
                          {'type': 'rel', 'data': {'axis': 'y', 'value': int(dy)}}])

    ABS_MAX = 0x7fff

    def mouse_move_abs(self, x, y, width=None, height=None):
        """Move an absolute pointer. Coordinates are QEMU's 0..0x7fff range,
        or pixels if the screen width/height are given. Needs an absolute
        device in the guest (e.g. extra_args=['-device', 'virtio-tablet-pci']),
        otherwise QEMU rejects the event."""
        if width:
            x = x * self.ABS_MAX // max(width - 1, 1)
        if height:
            y = y * self.ABS_MAX // max(height - 1, 1)
        self.send_events([{'type': 'abs', 'data': {'axis': 'x', 'value': int(x)}},
                          {'type': 'abs', 'data': {'axis': 'y', 'value': int(y)}}])

    def mouse_button(self, button, down):
        """button: 'left', 'middle', 'right', 'wheel-up', 'wheel-down', ..."""
        self.send_events([{'type': 'btn', 'data': {'down': bool(down), 'button': button}}])

    # -- diagnostics -------------------------------------------------------

    def _read_stderr(self):
        try:
            return self.stderr_path.read_text(errors='replace')
        except OSError:
            return getattr(self, '_stderr_text', '')

    def stderr_text(self):
        return self._read_stderr()

    def _describe(self, message):
        """`message` plus everything needed to debug it."""
        parts = [message, f'qemu command: {self.command_line()}']
        if self.proc is not None and self.proc.poll() is not None:
            parts.append(f'qemu exit status: {self.proc.returncode}')
        err = self._read_stderr().strip()
        if err:
            parts.append('qemu stderr:\n' + tail(err, 10))
        parts.append(f'serial log: {self.serial_path}')
        serial = tail(self.serial_text())
        parts.append(f'last {TAIL_LINES} serial lines:\n' + (serial if serial else '(no serial output)'))
        return '\n'.join(parts)

    def fail(self, message):
        """Raise an AssertionError carrying the QEMU context."""
        raise AssertionError(self._describe(message))
