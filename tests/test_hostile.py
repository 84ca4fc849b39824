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
import signal
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
    r"\[you -> %s\] \(private\) : .*" % NAME,
    r"\* %s .*" % NAME,
    r"\[%s\] has joined the chat" % NAME,
    r"\[%s\] has left the chat" % NAME,
    r"\[%s\] has moved to room %s" % (NAME, ROOM),
    r"\[%s\] has come in from room %s" % (NAME, ROOM),
    # a line from the room's history (issue 12), after its time
    r"(\d{4}-\d\d-\d\d )?\d\d:\d\d (\[%s\] : |\* %s ).*" % (NAME, NAME),
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
                argv0 = f.read().split(b"\0")[0]
            # "natter-session: ann from ..." once logged in
            if (argv0.endswith(b"natter-session") or
                    argv0.startswith(b"natter-session:")) and state != "Z":
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
    # A megabyte; a quarter of one under the sanitizers, which make every
    # process several times slower (the same kinds of bytes, fewer).
    size = 1 << 18 if os.environ.get("NATTER_SANITIZERS") else 1 << 20
    flood = hostile_bytes(rng, size)
    pump = Pump(w, bob, h)
    # bob talks all the while: none of it may be lost or garbled
    bob_lines = ["bob %d %s" % (i, "\u00e9\u2713" * (i % 5)) for i in range(400)]
    for i in range(0, 400, 40):
        pump.queue(bob, "".join(l + "\r\n" for l in bob_lines[i:i + 40])
                   .encode())
    # The flood goes in 32 KiB pieces, each followed by a mark the
    # watcher must have before the next goes: with -r 0 an unpaced flood
    # can outrun the watcher's session on 2 cores and have the broker
    # cut it off at its 256 KiB queue (the documented bound, tested by
    # test_hostile_stalled_reader_while_three_flood), which is not what
    # this test is about.
    start = time.monotonic()
    piece = 1 << 15
    for k, at in enumerate(range(0, len(flood), piece)):
        mark = b"MARK-%d" % k
        pump.queue(h, flood[at:at + piece] + resync() +
                   b"/join lobby\r\n" + mark + b"\r\n")
        pump.until(lambda: b"[mallory] : " + mark + b"\r\n" in pump.got[w],
                   timeout=30 - (time.monotonic() - start),
                   what="mark %d at the watcher" % k)
    pump.queue(h, b"END-OF-FLOOD\r\n")
    pump.until(lambda: b"[mallory] : END-OF-FLOOD\r\n" in pump.got[w] and
               b"[bob] : bob 399" in pump.got[w],
               timeout=30 - (time.monotonic() - start),
               what="the flood's end at the watcher")
    assert time.monotonic() - start < 30
    assert w not in pump.closed and bob not in pump.closed
    lines = chat_lines(bytes(w.raw) + bytes(pump.got[w]))
    assert_forms(lines)
    said = [l for l in lines if l.startswith("[mallory] : ")]
    assert len(said) > 2000 * size // (1 << 20), len(said)  # it got through
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


# --- 2. telnet abuse -------------------------------------------------------

def telnet_commands(raw):
    """The (verb, option) pairs of the telnet commands in raw."""
    out = []
    i = 0
    while i < len(raw):
        if raw[i] != IAC:
            i += 1
            continue
        verb = raw[i + 1] if i + 1 < len(raw) else None
        if verb in (WILL, WONT, DO, DONT):
            out.append((verb, raw[i + 2]))
            i += 3
        else:
            out.append((verb, None))
            i += 2
    return out


def test_hostile_endless_subnegotiation_is_bounded():
    d = Natterd(handler=[SESSION, "-r", "0"])
    w = d.login("watcher")
    # before log-in: a megabyte of subnegotiation, then a name
    h = d.connect()
    h.expect("ID: ")
    junk = random.Random(SEED).randbytes(1 << 20).replace(b"\xff", b"A")
    h.send(bytes([IAC, SB, 24]) + junk + bytes([IAC, SE]) + b"mallory\r\n")
    h.expect("-----Chatting Room-----")
    w.expect("[mallory] has joined the chat")
    pid = session_pid(d, h)
    # after log-in: IAC SB and 24 MiB without IAC SE, never stored
    h.send(bytes([IAC, SB, 31]) + b"swallowed\r\n")
    rss = [vmrss_kib(pid)]
    start = time.monotonic()
    for _ in range(24):
        h.send(junk)
        rss.append(vmrss_kib(pid))
    elapsed = time.monotonic() - start
    # nothing of it reached anyone, and the session's memory stayed put
    w.expect_none(r"\[mallory\] :", within=0.3)
    slack = 4096 if os.environ.get("NATTER_SANITIZERS") else 256
    assert max(rss) - rss[0] < slack, rss
    assert elapsed < 8, elapsed
    # IAC SE ends it: the person talks again
    h.send(bytes([IAC, SE]) + b"back again\r\n")
    w.expect("[mallory] : back again\r\n")
    assert "swallowed" not in w.text


def test_hostile_negotiation_storm_is_answered_once_per_option():
    d = Natterd()
    w = d.login("watcher")
    h = d.connect()
    h.expect("ID: ")
    storm = b"".join(bytes([IAC, v, opt]) for _ in range(5)
                     for opt in range(256) for v in (DO, WILL, DONT, WONT))
    h.send(storm)
    h.send_line("mallory")
    h.expect("-----Chatting Room-----")
    h.send(storm)
    # a stubborn client: it asks again each time it is refused
    deadline = time.monotonic() + 1.0
    seen = 0
    asked_binary = 2 * 5 * 4           # BINARY requests in the storms
    while time.monotonic() < deadline:
        h._fill(0.1)
        cmds = telnet_commands(h.raw)
        again = b"".join(bytes([IAC, DO if v == WONT else WILL, o])
                         for v, o in cmds[seen:] if v in (WONT, DONT))
        asked_binary += sum(1 for v, o in cmds[seen:]
                            if v in (WONT, DONT) and o == 0)
        seen = len(cmds)
        if again:
            h.send(again)
    settle = time.monotonic() + 0.3   # let the last answers arrive
    while time.monotonic() < settle:
        h._fill(settle - time.monotonic())
    cmds = telnet_commands(h.raw)
    # Every option but BINARY (0) and TIMING-MARK (6): WILL -> DONT and
    # DO -> WONT, each exactly once per option, ever
    assert sorted(c for c in cmds if c[1] not in (0, 6)) == sorted(
        [(DONT, o) for o in range(256) if o not in (0, 6)] +
        [(WONT, o) for o in range(256) if o not in (0, 6)]), (
        len(cmds), cmds[:20])
    # TIMING-MARK: WILL for each of the 10 DO, WILL refused once
    assert sorted(c for c in cmds if c[1] == 6) == \
        [(WILL, 6)] * 10 + [(DONT, 6)]
    # BINARY, wanted both ways: the offer, then at most one answer to
    # each request (those that change its state), never a loop
    binary = [c for c in cmds if c[1] == 0]
    assert binary[:2] == [(WILL, 0), (DO, 0)], binary[:2]
    assert len(binary) - 2 <= asked_binary, (len(binary), asked_binary)
    h.send_line("still here")
    w.expect("[mallory] : still here\r\n")
    assert_forms(chat_lines(w.raw))


def test_hostile_iac_iac_is_a_replaced_byte():
    d = Natterd()
    w = d.login("watcher")
    h = d.login("mallory")
    w.expect("[mallory] has joined the chat")
    cases = [
        (b"a\xff\xffb", "a\ufffdb"),
        (b"\xff\xff\xff\xff", "\ufffd\ufffd"),
        (b"c\xc3\xff\xff\xa9", "c\ufffd\ufffd\ufffd"),  # inside a sequence
        (b"\xff\xff\x1b[2J\xff\xff", "\ufffd[2J\ufffd"),
        (b"x\xff", "x"),           # IAC CR: a command; LF ends the line
        (b"y\xff\xfb", "y"),       # IAC WILL CR; LF ends the line
    ]
    for sent, shown in cases:
        h.send(sent + b"\r\n")
        h.send_line("//marker")
        m = w.expect_re(r"\[mallory\] : (.*)\r\n\[mallory\] : /marker\r\n")
        assert m.group(1) == shown, (sent, m.group(1))
    assert b"\xff" not in strip_telnet(w.raw)
    assert_forms(chat_lines(w.raw))


# --- 3. names and rooms ----------------------------------------------------

INVALID = "*** Names are 1 to 16 letters, digits, _ or -.\r\n"


def test_hostile_names_are_refused_and_harmless():
    d = Natterd()
    w = d.login("watcher")
    ann = d.login("ann")
    w.expect("[ann] has joined the chat")
    h = d.connect()
    h.expect("ID: ")
    bad = [b"ann\x1b[31m", b"a\x00b", b"tab\tname", b"\x01", b"\x1b]0;x\x07",
           "\u0430nn".encode(), "\uff41nn".encode(), "ann\u200b".encode(),
           "ann\u00a0".encode(), b"\xc2\x9bann", b"\xff\xffann",
           b"x" * 17, b"a" * 1000, b"/exit", b"/who", b"ann bob", b"a.b",
           b"[ann]", b"***"]
    for name in bad:
        h.send_line(name)
        h.expect(INVALID + "ID: ")
    for empty in (b"", b"   ", b"\t"):
        h.send_line(empty)
        h.expect("ID: ")
    # case-insensitive uniqueness: ann's session is not harmed
    for taken in (b"ANN", b"  Ann  "):
        h.send_line(taken)
        h.expect("*** The name %s is already in use; choose another.\r\nID: "
                 % taken.decode().strip())
    w.expect_none(r"has joined", within=0.3)
    h.send_line("m" * 16)
    h.expect("Log-in success!! [%s]" % ("m" * 16))
    w.expect("[%s] has joined the chat\r\n" % ("m" * 16))
    ann.send_line("still me")
    w.expect("[ann] : still me\r\n")
    lines = chat_lines(w.raw)
    assert_forms(lines)
    assert [l for l in lines if "joined" in l] == [
        "[ann] has joined the chat", "[%s] has joined the chat" % ("m" * 16)]


def test_hostile_msg_and_join_arguments():
    d = Natterd()
    w = d.login("watcher")
    ann = d.login("ann")
    h = d.login("mallory")
    w.expect("[mallory] has joined the chat")
    ann.expect("[mallory] has joined the chat")
    forget(ann)
    h.send_line(b"/msg \x1b[2Jann hi")
    h.expect(INVALID)
    h.send_line(b"/msg ann\x1b hi")
    h.expect(INVALID)
    h.send_line(b"/msg " + b"a" * 17 + b" hi")
    h.expect(INVALID)
    h.send_line(b"/msg nobody hi")
    h.expect("*** No such user: nobody\r\n")
    h.send_line(b"/msg ann \x1b]0;pwned\x07hi\x1b[0m\xc2\x9b2J\x00")
    ann.expect("[mallory] (private) : ]0;pwnedhi[0m2J\r\n")
    h.send_line(b"/msg ANN case")
    ann.expect("[mallory] (private) : case\r\n")
    h.send_line(b"/msg ann \x1b\x07\x00")
    h.expect("*** Usage: /msg NAME text\r\n")
    # rooms
    for room in (b"\x1b[31mred", b"r" * 100, b"r" * 33, b"ro\x00om",
                 b"ro/om", "r\u00f6om".encode()):
        h.send_line(b"/join " + room)
        h.expect("*** Rooms are 1 to 32 letters, digits, _ or -.\r\n")
    h.send_line(b"/join LOBBY")
    h.expect("*** You are already in lobby.\r\n")
    w.expect_none(r"mallory\] has moved", within=0.3)
    h.send_line(b"/join " + b"r" * 32)
    w.expect("[mallory] has moved to room %s\r\n" % ("r" * 32))
    h.send_line(b"/join Lobby")
    w.expect("[mallory] has come in from room %s\r\n" % ("r" * 32))
    h.send_line(b"/\x1b[2J")
    h.expect("*** Unknown command: /[2J (try /help)\r\n")
    for c in (w, ann, h):
        c._fill(0.2)
        assert_clean(c.raw)
        assert_forms(c.text[c.text.find("-----Chatting Room-----"):]
                     .split("\r\n")[1:-1])


# --- 4. slowloris ----------------------------------------------------------

def test_hostile_slowloris_200_half_names():
    d = Natterd(handler=[SESSION, "-t", "2"])
    slow = []
    start = time.monotonic()
    for i in range(200):
        c = d.connect()
        c.send(b"abcdefghij"[i % 10:i % 10 + 1])
        slow.append(c)
    wait_until(lambda: len(live_sessions(d)) >= 200, timeout=5,
               what="200 slow sessions")
    # a real person is not held up by them
    ann = d.login("ann", timeout=3)
    bob = d.login("bob", timeout=3)
    ann.send_line("through the crowd")
    bob.expect("[ann] : through the crowd\r\n", timeout=2)
    assert len(live_sessions(d)) >= 200   # while the slow ones still hang
    # each slow one is told and ended at its log-in timeout
    pending = {c.sock: c for c in slow}
    deadline = start + 10
    while pending:
        left = deadline - time.monotonic()
        assert left > 0, "%d slow sessions still open, the first had: %r" % (
            len(pending), next(iter(pending.values())).text[-80:])
        r, _, _ = select.select(list(pending), [], [], min(left, 0.5))
        for s in r:
            pending[s]._fill(0)
            if pending[s].eof:
                del pending[s]
    for c in slow:
        assert c.text.endswith("ID: \r\n*** Login timed out.\r\n"), \
            c.text[-80:]
    wait_until(lambda: len(live_sessions(d)) == 2, timeout=5,
               what="only ann's and bob's sessions left")
    bob.send_line("and after")
    ann.expect("[bob] : and after\r\n")


# --- 5. the session limit ---------------------------------------------------

REFUSAL = b"natterd: too many connections; try again in 10 seconds\r\n"


def test_hostile_session_limit_refuses_then_recovers():
    d = Natterd("-c", "20")
    held = []
    for _ in range(20):
        c = d.connect()
        c.expect("ID: ")
        held.append(c)
    for _ in range(5):
        c = d.connect()
        c.send(b"mallory\r\n")      # talking changes nothing
        assert read_all(c.sock) == REFUSAL
    assert len(live_sessions(d)) == 20
    for c in held[:5]:
        c.close()
    wait_until(lambda: len(live_sessions(d)) == 15, timeout=5,
               what="five sessions ended")
    again = []
    for i in range(5):
        c = d.connect()
        c.expect("ID: ")
        again.append(c)
    assert read_all(d.connect().sock) == REFUSAL
    # the ones admitted are whole sessions
    again[0].send_line("newcomer")
    again[0].expect("-----Chatting Room-----")
    held[5].send_line("oldtimer")
    held[5].expect("-----Chatting Room-----")
    again[0].expect("[oldtimer] has joined the chat")


# --- 6. a reader that stalls while three flood -------------------------------

def said_by(raw, name):
    """The texts of name's public lines in raw, in order."""
    prefix = b"[%s] : " % name.encode()
    return [l[len(prefix):] for l in raw.split(b"\r\n")
            if l.startswith(prefix)]


def test_hostile_stalled_reader_while_three_flood():
    d = Natterd(handler=[SESSION, "-r", "0"])
    w = d.login("watcher")
    senders = [d.login("f%d" % i) for i in range(3)]
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(DEFAULT_TIMEOUT)
    s.connect((d.host, d.port))
    stalled = Conn(sock=s)
    stalled.expect("ID: ")
    stalled.send_line("stalled")
    stalled.expect("-----Chatting Room-----")
    w.expect("[stalled] has joined the chat")
    # stalled never reads again; the others flood and read
    pump = Pump(w, *senders)
    pad = b"x" * 1000
    sent = [0, 0, 0]
    gone = b"[stalled] has left the chat\r\n"
    start = time.monotonic()

    def batch(n):
        for i, c in enumerate(senders):
            pump.queue(c, b"".join(b"f%d %d %s\r\n" % (i, sent[i] + k, pad)
                                   for k in range(n)))
            sent[i] += n

    # Each round waits for every reader to have the round's last lines:
    # the flooders are as fast as the service, yet no reader that reads
    # is ever further behind than one round (the broker's queue for a
    # handler is bounded too, and a flood without -r could outrun it).
    readers = [w] + senders

    def caught_up(since):
        for i in range(3):
            mark = b"[f%d] : f%d %d " % (i, i, sent[i] - 1)
            for c in readers:
                if c is not senders[i] and pump.got[c].find(mark,
                                                           since[c]) < 0:
                    return False
        return True

    rounds = 0
    while gone not in pump.got[w] or rounds < 2:
        assert sum(sent) < 30000, "stalled never cut off"
        rounds = rounds + 1 if gone in pump.got[w] else 0
        since = {c: len(pump.got[c]) for c in readers}
        batch(40)
        pump.until(lambda: pump.pending() == 0 and caught_up(since),
                   timeout=2, what="every reader within one round")
    assert time.monotonic() - start < 15
    assert not pump.closed
    for i in range(3):
        want = [b"f%d %d %s" % (i, k, pad) for k in range(sent[i])]
        assert said_by(bytes(pump.got[w]), "f%d" % i) == want, i
        for j, c in enumerate(senders):   # the flooders lose nothing either
            if j != i:
                assert said_by(bytes(pump.got[c]), "f%d" % i) == want, (i, j)
    assert bytes(pump.got[w]).count(gone) == 1
    d.log.wait(r"too far behind")
    stalled.close()


# --- 7. half-close ------------------------------------------------------------

def test_hostile_half_close_after_login():
    d = Natterd()
    w = d.login("watcher")
    h = d.login("mallory")
    w.expect("[mallory] has joined the chat")
    h.sock.shutdown(socket.SHUT_WR)
    w.expect("[mallory] has left the chat\r\n", timeout=3)
    h.expect_closed(timeout=3)


def test_hostile_line_then_close_is_delivered():
    d = Natterd()
    w = d.login("watcher")
    for n, how in enumerate(("shut_wr", "close", "no_eol")):
        name = "m%d" % n
        h = d.login(name)
        h.expect("*** You are")          # read all: close() sends no RST
        w.expect("[%s] has joined the chat" % name)
        if how == "no_eol":
            h.send(b"last words without an end")
        else:
            h.send_line("last words")
        if how == "close":
            h.close()
        else:
            h.sock.shutdown(socket.SHUT_WR)
        w.expect_re(r"\[%s\] : last words(?: without an end)?\r\n"
                    r"\[%s\] has left the chat\r\n" % (name, name),
                    timeout=3)


def test_hostile_burst_then_close_loses_no_line():
    """Past the flood limit the session delays lines; a person who sends
    a burst and disconnects at once still has every line delivered."""
    d = Natterd()
    w = d.login("watcher")
    h = d.login("mallory")
    h.expect("*** You are")
    w.expect("[mallory] has joined the chat")
    h.send(b"".join(b"burst %d\r\n" % i for i in range(14)))
    h.sock.shutdown(socket.SHUT_WR)
    w.expect("[mallory] has left the chat\r\n", timeout=5)
    got = [l for l in w.text.split("\r\n") if l.startswith("[mallory] : ")]
    assert got == ["[mallory] : burst %d" % i for i in range(14)], got


# --- 8. frames cannot be injected ---------------------------------------------

def fake_frame(ftype, a, b, text, flags=0):
    payload = bytes([len(a)]) + a + bytes([len(b)]) + b + text
    return len(payload).to_bytes(2, "big") + bytes([ftype, flags]) + payload


def test_hostile_frame_bytes_are_only_text():
    d = Natterd(handler=[SESSION, "-r", "0"])
    w = d.login("watcher")
    h = d.login("mallory")
    w.expect("[mallory] has joined the chat")
    forged = [
        fake_frame(66, b"admin", b"lobby", b"you are hacked"),   # MSG
        fake_frame(72, b"", b"", b"kicked"),                     # KICK
        fake_frame(69, b"admin", b"", b"psst"),                  # PRIVATE
        fake_frame(70, b"ghost", b"lobby", b""),                 # JOINED
        fake_frame(1, b"admin", b"lobby", b"127.0.0.1 1", 1),    # LOGIN
        b"\xff\xff\xff\xff",
        b"\x00\x00\x00\x00" * 8,
        bytes(range(256)),
    ]
    for f in forged:
        h.send(f + b"\r\n")
        h.send(b"/me " + f + b"\r\n")
        h.send(b"/msg watcher " + f + b"\r\n")
    h.send_line("done")
    w.expect("[mallory] : done\r\n")
    lines = chat_lines(w.raw)
    assert_forms(lines)
    for l in lines:
        assert re.match(r"\[mallory\]|\* mallory |\*\*\* You are alone|"
                        r"\*\*\* Type /help", l), l
    # each forged frame arrived whole, as mallory's text (3 per frame)
    assert sum("admin" in l for l in lines) == 3 * 3, lines
    # the broker saw no protocol error and everyone is still there
    assert "protocol error" not in d.log.text()
    w.send_line("/who")
    w.expect_re(r"\*\*\* In lobby \(2\): (mallory, watcher|watcher, mallory)")


def test_kicked_handler_must_not_rejoin():
    """The broker closes right after its KICK; a handler whose next write
    fails must read that KICK and end, not take it for a lost broker and
    rejoin (which would go around the cut)."""
    d = Natterd(handler=[SESSION, "-r", "0"])
    w = d.login("watcher")
    v = d.login("victim")
    f = d.login("flooder")
    pid = session_pid(d, v)
    os.kill(pid, signal.SIGSTOP)          # its handler falls behind
    pump = Pump(w, f, v)
    pump.queue(v, b"".join(b"v %d %s\r\n" % (i, b"y" * 500) for i in range(3000)))
    pump.queue(f, b"".join(b"f %d %s\r\n" % (i, b"x" * 1000) for i in range(2000)))
    pump.until(lambda: "cutting off victim" in d.log.text(), 10, "the cut")
    os.kill(pid, signal.SIGCONT)
    pump.until(lambda: v in pump.closed, 8, "the victim's session to end")
    text = (v.raw + bytes(pump.got[v])).decode(errors="replace")
    assert "Lost contact" not in text and "Reconnected" not in text
    assert "too far behind" in text, (text[-600:], d.log.text()[-2000:])
    assert "(rejoin)" not in d.log.text()
