"""Shared helpers for natter's tests: real processes, real sockets on
loopback, and every wait bounded by a deadline (never a bare sleep).

    d = Natterd()                      # natterd -f on 127.0.0.1:0
    a = d.login("ann")                 # a Conn past "-----Chatting Room-----"
    a.send_line("hello")
    b.expect("[ann] : hello")
"""
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("NATTER_BUILD", os.path.join(HERE, "..", "build"))
DEFAULT_TIMEOUT = 10.0

_procs = []
_dirs = []


class Skip(Exception):
    """Raise to skip a test, with the reason."""


def bin_path(name):
    """A program of the build under test; NATTER_NATTERD, if set, is the
    natterd to run instead (tests/test_portable.py)."""
    if name == "natterd" and os.environ.get("NATTER_NATTERD"):
        return os.environ["NATTER_NATTERD"]
    return os.path.join(BUILD, name)


def tmpdir():
    d = tempfile.mkdtemp(prefix="natter-test-")
    _dirs.append(d)
    return d


def reachable_copy(*names):
    """A fresh directory anyone may enter (mode 0755) holding copies of
    the build's programs `names`: for tests that run them as another
    user, who cannot reach a build inside a home of mode 0700 (root
    cloning into /root).  natterd finds natter-broker and
    natter-session beside itself, so copy those with it."""
    d = tmpdir()
    os.chmod(d, 0o755)
    for name in names:
        to = os.path.join(d, name)
        shutil.copy(bin_path(name), to)
        os.chmod(to, 0o755)
    return d


def spawn(argv, **kw):
    """Popen in its own process group, killed at cleanup."""
    kw.setdefault("start_new_session", True)
    p = subprocess.Popen(argv, **kw)
    _procs.append(p)
    return p


def cleanup():
    for p in _procs:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
    for d in _dirs:
        shutil.rmtree(d, ignore_errors=True)


def new_pty(canonical=True):
    """A new pty: (master, slave).  canonical=False: the terminal hands
    over each byte as it comes (stty -icanon min 1), not whole lines."""
    import pty
    import termios
    master, slave = pty.openpty()
    if not canonical:
        a = termios.tcgetattr(slave)
        a[3] &= ~termios.ICANON
        a[6][termios.VMIN], a[6][termios.VTIME] = 1, 0
        termios.tcsetattr(slave, termios.TCSANOW, a)
    return master, slave


def wait_until(pred, timeout=DEFAULT_TIMEOUT, what="condition", interval=0.01):
    """Polls pred() until it is true; fails after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(interval)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class LogReader:
    """Collects a process's output lines in a thread."""

    def __init__(self, stream):
        self.lines = []
        self.cond = threading.Condition()
        self.closed = False
        t = threading.Thread(target=self._run, args=(stream,), daemon=True)
        t.start()

    def _run(self, stream):
        for raw in iter(stream.readline, b""):
            with self.cond:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wait(self, pattern, timeout=DEFAULT_TIMEOUT, start=0):
        """Returns the first match of pattern in lines[start:]."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines[start:]:
                    m = rx.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or (self.closed and not left):
                    raise AssertionError("log never matched %r; log:\n%s" % (
                        pattern, "\n".join(self.lines[-40:])))
                self.cond.wait(min(left, 0.2))

    def text(self):
        with self.cond:
            return "\n".join(self.lines)


class Natterd:
    """A natterd in the foreground on a free loopback port."""

    def __init__(self, *args, handler=None, listen="127.0.0.1:0", env=None,
                 wait=True):
        self.dir = tmpdir()
        self.sock = os.path.join(self.dir, "run", "broker.sock")
        # the room logs: a directory of this natterd's own (the default,
        # /var/lib/natter for root, would be one for every test)
        self.state = os.path.join(self.dir, "state")
        argv = [bin_path("natterd"), "-f", "-s", self.sock]
        if "-D" not in args:
            argv += ["-D", self.state]
        if listen:
            argv += ["-l", listen]
        argv += list(args)
        if "-D" not in args:  # never the real /var/lib/natter or ~/.local
            argv += ["-D", os.path.join(self.dir, "state")]
        if handler:
            argv += ["--"] + list(handler)
        e = dict(os.environ)
        e.update(env or {})
        self.proc = spawn(argv, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          env=e)
        self.log = LogReader(self.proc.stderr)
        self.port = None
        if wait and listen:
            m = self.log.wait(r"listening on (\S+):(\d+)")
            self.host = m.group(1).strip("[]")
            self.port = int(m.group(2))
            wait_until(lambda: os.path.exists(self.sock), what="broker socket")

    def connect(self, **kw):
        return Conn(self.host, self.port, **kw)

    def login(self, name, password=None, timeout=DEFAULT_TIMEOUT):
        c = self.connect()
        c.expect("ID: ", timeout)
        c.send_line(name)
        if password is not None:
            c.expect("PW: ", timeout)
            c.send_line(password)
        c.expect("-----Chatting Room-----", timeout)
        return c

    def stop(self, sig=signal.SIGTERM, timeout=DEFAULT_TIMEOUT):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)


IAC = 255


def strip_telnet(data):
    """Removes telnet commands (IAC ...) from data."""
    out = bytearray()
    i = 0
    while i < len(data):
        c = data[i]
        if c != IAC:
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(data):
            break
        cmd = data[i + 1]
        if cmd == IAC:
            out.append(IAC)
            i += 2
        elif cmd in (251, 252, 253, 254):
            i += 3
        elif cmd == 250:  # SB ... IAC SE
            j = data.find(bytes([IAC, 240]), i + 2)
            i = len(data) if j < 0 else j + 2
        else:
            i += 2
    return bytes(out)


class Conn:
    """A TCP connection to a natter service, as a person's client."""

    def __init__(self, host="127.0.0.1", port=None, sock=None,
                 timeout=DEFAULT_TIMEOUT):
        if sock is None:
            fam = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.socket(fam, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect((host, port))
        sock.setblocking(False)
        self.sock = sock
        self.raw = b""     # every byte received
        self.pos = 0       # how far expect() has consumed (of the text)
        self.eof = False

    def _fill(self, timeout):
        if self.eof:
            return False
        r, _, _ = select.select([self.sock], [], [], max(timeout, 0))
        if not r:
            return False
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, BlockingIOError):
            data = b""
        if not data:
            self.eof = True
            return False
        self.raw += data
        return True

    @property
    def text(self):
        return strip_telnet(self.raw).decode("utf-8", errors="replace")

    def expect(self, literal, timeout=DEFAULT_TIMEOUT):
        """Waits for the literal string in the text after what earlier
        expects consumed; returns the match."""
        return self.expect_re(re.escape(literal), timeout)

    def expect_re(self, pattern, timeout=DEFAULT_TIMEOUT):
        """Like expect, for a regular expression."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            t = self.text
            m = rx.search(t, self.pos)
            if m:
                self.pos = m.end()
                return m
            left = deadline - time.monotonic()
            if left <= 0 or (self.eof and not self._fill(0)):
                raise AssertionError("expected %r; got after position %d:\n%r"
                                     % (pattern, self.pos, t[self.pos:][-2000:]))
            self._fill(min(left, 0.5))

    def expect_none(self, pattern, within=0.5):
        """Asserts pattern does not arrive within `within` seconds."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            self._fill(deadline - time.monotonic())
        t = self.text
        if rx.search(t, self.pos):
            raise AssertionError("unexpected %r in %r" % (pattern, t[self.pos:]))

    def expect_closed(self, timeout=DEFAULT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while not self.eof:
            if time.monotonic() > deadline:
                raise AssertionError("connection not closed; got %r"
                                     % self.text[self.pos:])
            self._fill(deadline - time.monotonic())

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.setblocking(True)
        self.sock.settimeout(DEFAULT_TIMEOUT)
        self.sock.sendall(data)
        self.sock.setblocking(False)

    def send_line(self, line, eol=b"\r\n"):
        if isinstance(line, str):
            line = line.encode()
        self.send(line + eol)

    def close(self):
        self.sock.close()


def procs_of(pattern):
    """Pids whose command line matches pattern (a regex)."""
    rx = re.compile(pattern)
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if rx.search(cmd):
            out.append(int(pid))
    return out


def is_launcher(pid):
    """A natterd launcher (natterd(8): "natterd: launcher" in ps)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().startswith(b"natterd: launcher")
    except OSError:
        return False


def cpu_share(pid, seconds=1.0):
    """The share of one CPU that pid used over the next `seconds` (a
    measuring window, not a wait): a process blocked in poll uses none,
    one spinning uses near 1.  Tests of "does not spin" require < 0.05,
    which a process at 30-40 % fails (the clock ticks are 10 ms)."""
    def ticks():
        with open("/proc/%d/stat" % pid) as f:
            st = f.read().rsplit(")", 1)[1].split()
        return int(st[11]) + int(st[12])
    t0, w0 = ticks(), time.monotonic()
    time.sleep(seconds)
    used = (ticks() - t0) / os.sysconf("SC_CLK_TCK")
    return used / (time.monotonic() - w0)


def children_of(pid, raw=False):
    """Pids whose parent is pid, with their state letter (Z = zombie).
    natterd's launchers, which start its sessions, are seen through:
    each stands for its children (the sessions), unless raw."""
    out = []
    for p, st in _children(pid):
        if not raw and is_launcher(p):
            out.extend(_children(p))
        else:
            out.append((p, st))
    return out


def _children(pid):
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                st = f.read()
        except OSError:
            continue
        rest = st[st.rfind(")") + 2:].split()
        if int(rest[1]) == pid:
            out.append((int(p), rest[0]))
    return out
