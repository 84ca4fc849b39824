"""natter under attack: what a hostile person can send, and what the
others must still get.  Real natterd, broker and natter-session on
loopback; every random choice from random.Random(1234), so a failure
replays exactly.

The standard (issue 3, "What it must withstand"): nothing a person sends
reaches another person's terminal as a control sequence; a slow or
hostile person cannot hurt the others; nothing the others type is lost
or garbled; every bound behaves as natter-session(8) and natterd(8)
say."""
import os
import random
import re
import select
import socket
import time

from harness import (Natterd, Conn, bin_path, wait_until, children_of,
                     strip_telnet, DEFAULT_TIMEOUT)

SESSION = bin_path("natter-session")
SEED = 1234
IAC, SB, SE, WILL, WONT, DO, DONT = 255, 250, 240, 251, 252, 253, 254

NAME = r"[A-Za-z0-9_-]{1,16}"
ROOM = r"[A-Za-z0-9_-]{1,32}"
# Every line a chatting person may receive (natter-session(8)).
LINE_FORMS = [re.compile(p) for p in (
    r"\[%s\] : .*" % NAME,
    r"\[%s\] \(private\) : .*" % NAME,
    r"\* %s .*" % NAME,
    r"\[%s\] has joined the chat" % NAME,
    r"\[%s\] has left the chat" % NAME,
    r"\[%s\] has moved to room %s" % (NAME, ROOM),
    r"\*\*\* .*",
)]
CHAT_START = b"-----Chatting Room-----\r\n"


# --- helpers ---------------------------------------------------------------

def session_pid(d, conn):
    """natterd's child serving conn: its TCPREMOTEPORT is conn's port."""
    port = b"TCPREMOTEPORT=%d" % conn.sock.getsockname()[1]

    def find():
        for pid, state in children_of(d.proc.pid):
            try:
                with open("/proc/%d/environ" % pid, "rb") as f:
                    if port in f.read().split(b"\0") and state != "Z":
                        return pid
            except OSError:
                pass
        return None
    return wait_until(find, what="the session's pid")


def vmrss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def live_sessions(d):
    """natterd's children that are natter-session and not zombies."""
    out = []
    for pid, state in children_of(d.proc.pid):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if b"natter-session" in f.read() and state != "Z":
                    out.append(pid)
        except OSError:
            pass
    return out


def read_all(sock, timeout=DEFAULT_TIMEOUT):
    """Everything until the peer closes."""
    sock.setblocking(False)
    data = b""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, "not closed; got %r" % data
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            continue
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


class Pump:
    """Drives several connections at once without ever blocking: queued
    bytes are written as the sockets take them, and everything that
    arrives is kept (in a bytearray: cheap for megabytes)."""

    def __init__(self, *conns):
        self.conns = list(conns)
        self.got = {c: bytearray() for c in conns}
        self.out = {c: bytearray() for c in conns}
        self.closed = set()

    def queue(self, conn, data):
        self.out[conn] += data

    def pending(self):
        return sum(len(b) for b in self.out.values())

    def step(self, timeout):
        rd = [c.sock for c in self.conns if c not in self.closed]
        wr = [c.sock for c in self.conns
              if self.out[c] and c not in self.closed]
        r, w, _ = select.select(rd, wr, [], max(timeout, 0))
        by_sock = {c.sock: c for c in self.conns}
        for s in w:
            c = by_sock[s]
            try:
                n = s.send(bytes(self.out[c][:262144]))
            except BlockingIOError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                self.closed.add(c)
                continue
            del self.out[c][:n]
        for s in r:
            c = by_sock[s]
            try:
                data = s.recv(1 << 20)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                data = b""
            if data:
                self.got[c] += data
            else:
                self.closed.add(c)

    def until(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        while not pred():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out waiting for " + what)
            self.step(min(left, 0.2))


def chat_lines(raw):
    """The lines a person got once chatting, checked to be clean."""
    assert_clean(raw)
    i = raw.find(CHAT_START)
    assert i >= 0, raw[:300]
    text = strip_telnet(raw[i + len(CHAT_START):]).decode("utf-8")
    lines = text.split("\r\n")
    return lines[:-1]


def assert_clean(raw):
    """The bytes a person received, telnet negotiation removed: strict
    UTF-8, no C0 control but CR LF pairs at line ends, no DEL, no C1."""
    data = strip_telnet(raw)
    text = data.decode("utf-8")   # strict: no overlong, surrogate, ...
    for n, line in enumerate(text.split("\r\n")):
        for ch in line:
            o = ord(ch)
            assert o >= 0x20 and not 0x7f <= o <= 0x9f, (
                "control U+%04X in line %d: %r" % (o, n, line[:200]))


def assert_forms(lines):
    for line in lines:
        assert any(f.fullmatch(line) for f in LINE_FORMS), (
            "a line of no documented form: %r" % line[:300])


def forget(conn):
    """Drops what conn has received so far: later expects are cheap."""
    conn._fill(0)
    conn.raw = b""
    conn.pos = 0


def hostile_bytes(rng, size):
    """About size bytes of everything a terminal or parser may choke on."""
    def run():
        return rng.randbytes(rng.randrange(1, 80))

    def sb():
        body = bytes(b for b in rng.randbytes(rng.randrange(0, 40))
                     if b != IAC)
        return bytes([IAC, SB]) + body + bytes([IAC, SE])

    def csi():
        return b"\x1b[" + str(rng.randrange(100)).encode() + b";" + \
            str(rng.randrange(100)).encode() + rng.choice(b"HJKmhlr").to_bytes(1, "big")

    pieces = [
        run, run, run, run,
        lambda: rng.choice([b"\r", b"\n", b"\r\n", b"\r\0"]),
        lambda: rng.choice([b"\r", b"\n", b"\r\n", b"\r\0"]),
        lambda: bytes([IAC, rng.choice([WILL, WONT, DO, DONT]),
                       rng.randrange(256)]),
        lambda: bytes([IAC, rng.randrange(256)]),
        lambda: bytes([IAC, IAC]),
        sb,
        lambda: rng.choice([b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98", b"\xf4"]),
        lambda: rng.choice([b"\xc0\xaf", b"\xc1\xbf", b"\xe0\x80\xaf",
                            b"\xf0\x80\x80\xaf", b"\xf8\x88\x80\x80\x80"]),
        lambda: rng.choice([b"\xed\xa0\x80", b"\xed\xbf\xbf",
                            b"\xed\xa0\xbd\xed\xb8\x80"]),
        lambda: rng.choice([b"\xef\xbf\xbe", b"\xef\xbf\xbf",
                            b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80"]),
        lambda: bytes([0xc2, 0x80 + rng.randrange(32)]),
        lambda: bytes([0x80 + rng.randrange(32)]),
        csi,
        lambda: b"\x1b]0;pwned title\x07",
        lambda: b"\x1b]52;c;cm0gLXJmIH4=\x1b\\",
        lambda: b"\x1bP+q544e\x1b\\",
        lambda: b"\x1b" + bytes([rng.randrange(256)]),
        lambda: b"\x00\x07\x08\x7f\x0e\x0f\x1b",
        lambda: "h\u00e9llo \u2713 \U0001F600 \u202e".encode(),
    ]
    out = bytearray()
    while len(out) < size:
        out += rng.choice(pieces)()
    return bytes(out)


def resync(eol=b"\r\n"):
    """Bytes that end whatever state the flood left the session in: a
    pending telnet command or subnegotiation, a long or partial line."""
    return b"\r\n" + bytes([IAC, SE]) + eol + eol


# --- 1. random bytes -------------------------------------------------------

def test_hostile_random_megabyte_reaches_no_terminal():
    rng = random.Random(SEED)
    d = Natterd(handler=[SESSION, "-r", "0"])
    w = d.login("watcher")
    bob = d.login("bob")
    h = d.login("mallory")
    w.expect("[mallory] has joined the chat")
    flood = hostile_bytes(rng, 1 << 20)
    pump = Pump(w, bob, h)
    pump.queue(h, flood + resync() + b"/join lobby\r\nEND-OF-FLOOD\r\n")
    # bob talks all the while: none of it may be lost or garbled
    bob_lines = ["bob %d %s" % (i, "\u00e9\u2713" * (i % 5)) for i in range(400)]
    for i in range(0, 400, 40):
        pump.queue(bob, "".join(l + "\r\n" for l in bob_lines[i:i + 40])
                   .encode())
    start = time.monotonic()
    pump.until(lambda: b"[mallory] : END-OF-FLOOD\r\n" in pump.got[w] and
               b"[bob] : bob 399" in pump.got[w],
               timeout=30, what="the flood's end at the watcher")
    assert time.monotonic() - start < 30
    assert w not in pump.closed and bob not in pump.closed
    lines = chat_lines(bytes(w.raw) + bytes(pump.got[w]))
    assert_forms(lines)
    said = [l for l in lines if l.startswith("[mallory] : ")]
    assert len(said) > 2000, len(said)   # the flood did get through
    assert [l[len("[bob] : "):] for l in lines
            if l.startswith("[bob] : ")] == bob_lines
    # what mallory got back (notices, others' lines) is clean too
    assert_forms(chat_lines(bytes(h.raw) + bytes(pump.got[h])))
    # the server is fine: a newcomer chats with the watcher
    forget(w)
    carol = d.login("carol")
    w.expect("[carol] has joined the chat")
    carol.send_line("hello after the storm")
    w.expect("[carol] : hello after the storm\r\n")
    w.send_line("welcome")
    carol.expect("[watcher] : welcome\r\n")
    assert d.proc.poll() is None
