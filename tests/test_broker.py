"""The broker alone (natterd -f -B), spoken to in its frame protocol
(lib/frame.h) by Python sockets standing in for natter-session handlers.

NATTER_BROKER_CMD, if set, is a command run instead of natterd -f -B
(it gets "-s PATH [-L FILE]" appended): for debugging the broker alone.
"""
import errno
import fcntl
import os
import re
import resource
import select
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import time

import harness as H
from test_chat import broker_pid, session_pid

LOGIN, SAY, ME, PRIV, JOIN, WHO, ROOMS, HISTORY = range(1, 9)
OK, ERR, MSG, ACTION, PRIVATE, JOINED, LEFT, INFO, KICK = range(64, 73)
LINE, ACK, LIVE = 73, 74, 75
REJOIN, LAST, MARKS_LAST, FATAL = 1, 2, 4, 8   # flags (natter-protocol.h)
REPLAY = 0x10
VERSION = 3                           # NATTER_PROTOCOL_VERSION
# Version 3's public lines are LINE frames ("SEQ TIME_MS KIND TEXT"):
# decode() shows them as the MSG and ACTION they replace (text: the
# line's own; .seq, .ms kept), so the tests below say what they mean.
# SAY and ME are numbered (a=LINE_NO) by encode() when a test gives no
# number (PRIV likewise, b=LINE_NO), and LOGIN gets version 3.  The
# ACK of each line and the LIVE that ends a login's or a join's reply
# are dropped as they are read, but by reply(), which keeps them
# (test_history.py looks at them through natter-session).


def version(v):
    """The flag bits that announce protocol version v (high nibble)."""
    return v << 4
NAMES = {v: k for k, v in dict(
    LOGIN=LOGIN, SAY=SAY, ME=ME, PRIV=PRIV, JOIN=JOIN, WHO=WHO, ROOMS=ROOMS,
    HISTORY=HISTORY, OK=OK, ERR=ERR, MSG=MSG, ACTION=ACTION,
    PRIVATE=PRIVATE, JOINED=JOINED, LEFT=LEFT, INFO=INFO, KICK=KICK,
    LINE=LINE, ACK=ACK, LIVE=LIVE).items()}
QUIET = (ACK, LIVE)   # skipped unless asked for (above)


def b(s):
    return s.encode() if isinstance(s, str) else s


LINE_NOS = iter(range(1, 1 << 62))   # the line numbers encode() gives


def encode(ftype, a=b"", bf=b"", text=b"", flags=0):
    """A frame; SAY and ME without a number get one (a=LINE_NO), PRIV
    too (b=LINE_NO), and LOGIN without a version ours."""
    if ftype in (SAY, ME) and not a:
        a = str(next(LINE_NOS))
    if ftype == PRIV and not bf:
        bf = str(next(LINE_NOS))
    if ftype == LOGIN and not flags & 0xf0:
        flags |= version(VERSION)   # the broker serves only its own
    a, bf, text = b(a), b(bf), b(text)
    payload = bytes([len(a)]) + a + bytes([len(bf)]) + bf + text
    return struct.pack(">HBB", len(payload), ftype, flags) + payload


class Frame:
    def __init__(self, ftype, flags, a, bf, text):
        self.type, self.flags = ftype, flags
        self.a, self.b, self.text = a.decode(), bf.decode(), text.decode()
        self.seq = self.ms = None
        m = re.match(r"(\d+) (\d+) (say|me) (.*)\Z", self.text, re.S)
        if ftype == LINE and m:
            self.type = MSG if m.group(3) == "say" else ACTION
            self.seq, self.ms = int(m.group(1)), int(m.group(2))
            self.text = m.group(4)

    def __repr__(self):
        return "%s(a=%r b=%r text=%r)" % (NAMES.get(self.type, self.type),
                                          self.a, self.b, self.text)


def decode(buf, off=0):
    """(Frame, offset after it), or (None, off) when buf holds no whole
    frame at off."""
    if len(buf) - off < 4:
        return None, off
    plen, ftype, flags = struct.unpack_from(">HBB", buf, off)
    end = off + 4 + plen
    if len(buf) < end:
        return None, off
    p = buf[off + 4:end]
    alen = p[0]
    a = p[1:1 + alen]
    blen = p[1 + alen]
    bf = p[2 + alen:2 + alen + blen]
    text = p[2 + alen + blen:]
    return Frame(ftype, flags, a, bf, text), end


class Handler:
    """A connection to the broker, as natter-session makes one."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(H.DEFAULT_TIMEOUT)
        self.sock.connect(path)
        self.sock.setblocking(False)
        self.buf = b""
        self.frames = []
        self.eof = False
        self.keep_quiet = False   # ACK and LIVE frames kept (QUIET)

    def send(self, ftype, a=b"", bf=b"", text=b"", flags=0):
        self.send_raw(encode(ftype, a, bf, text, flags))

    def send_raw(self, data):
        self.sock.setblocking(True)
        self.sock.settimeout(H.DEFAULT_TIMEOUT)
        self.sock.sendall(data)
        self.sock.setblocking(False)

    def fill(self, timeout):
        """Reads what is there (waiting up to timeout); False at EOF or
        when nothing came."""
        if self.eof:
            return False
        r, _, _ = select.select([self.sock], [], [], max(timeout, 0))
        if not r:
            return False
        try:
            data = self.sock.recv(1 << 20)
        except BlockingIOError:
            return False
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        off = 0
        while True:
            f, off = decode(self.buf, off)
            if f is None:
                break
            if self.keep_quiet or f.type not in QUIET:
                self.frames.append(f)
        self.buf = self.buf[off:]
        return True

    def next(self, timeout=H.DEFAULT_TIMEOUT):
        """The next frame; fails after timeout or at EOF."""
        deadline = time.monotonic() + timeout
        while not self.frames:
            left = deadline - time.monotonic()
            if self.eof or left <= 0:
                raise AssertionError("no frame (eof=%s)" % self.eof)
            self.fill(left)
        return self.frames.pop(0)

    def skip_to(self, ftype, a, timeout=H.DEFAULT_TIMEOUT):
        """Reads and drops frames up to and including the first of this
        type from a (a JOINED of a later login, say): it may come in a
        later write than what is there now."""
        deadline = time.monotonic() + timeout
        while True:
            f = self.next(max(deadline - time.monotonic(), 0))
            if f.type == ftype and f.a == a:
                return

    def expect(self, ftype, a=None, bf=None, text=None,
               timeout=H.DEFAULT_TIMEOUT):
        """The next frame, which must be of this type and have these
        fields (text may be a compiled regex)."""
        f = self.next(timeout)
        while f.type in QUIET and ftype != f.type:
            f = self.next(timeout)
        assert f.type == ftype, "expected %s, got %r" % (NAMES[ftype], f)
        if a is not None:
            assert f.a == a, f
        if bf is not None:
            assert f.b == bf, f
        if hasattr(text, "search"):
            assert text.search(f.text), f
        elif text is not None:
            assert f.text == text, f
        return f

    def expect_none(self, within=0.3):
        deadline = time.monotonic() + within
        while time.monotonic() < deadline and not self.eof:
            self.fill(deadline - time.monotonic())
        self.frames = [f for f in self.frames if f.type not in QUIET]
        assert not self.frames, "unexpected %r" % self.frames

    def expect_closed(self, timeout=H.DEFAULT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while not self.eof:
            if time.monotonic() > deadline:
                raise AssertionError("not closed; got %r" % self.frames)
            self.fill(deadline - time.monotonic())

    def login(self, name, room="", flags=0, quiet=False):
        self.send(LOGIN, name, room, "127.0.0.1 5%03d" % (len(name) % 1000),
                  flags)
        self.expect(OK)
        if not quiet and not flags & REJOIN:
            self.expect(INFO)
        return self

    def close(self):
        self.sock.close()


def broker_argv():
    cmd = os.environ.get("NATTER_BROKER_CMD")
    if cmd:
        return cmd.split()
    if not os.path.exists(H.bin_path("natterd")):
        raise H.Skip("no build/natterd")
    return [H.bin_path("natterd"), "-f", "-B"]


def state_args(d):
    """The room logs in the test's own directory (not /var/lib/natter,
    which every test would share; NATTER_BROKER_CMD is a natterd -B
    too, make check-poll's)."""
    return ["-D", os.path.join(d, "state")]


class Broker:
    """natterd -f -B on a socket in a fresh temporary directory."""

    def __init__(self, transcript=None, sockdir=None, user=None):
        self.dir = H.tmpdir()
        self.sockdir = sockdir or os.path.join(self.dir, "run")
        self.path = os.path.join(self.sockdir, "broker.sock")
        argv = broker_argv() + ["-s", self.path] + state_args(self.dir)
        if user is not None and not os.environ.get("NATTER_BROKER_CMD"):
            # what another user runs must be where that user can reach
            argv[0] = os.path.join(
                H.reachable_copy("natterd", "natter-broker"), "natterd")
        if transcript:
            argv += ["-L", transcript]
        if user is not None:   # its own directory, reached through ours
            os.chmod(self.dir, 0o711)
            os.mkdir(self.sockdir, 0o700)
            os.chown(self.sockdir, user, -1)
        self.proc = H.spawn(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            user=user)
        self.log = H.LogReader(self.proc.stderr)
        self.log.wait(r"broker listening on")

    def handler(self):
        return Handler(self.path)

    def person(self, name, room=""):
        return self.handler().login(name, room)

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=H.DEFAULT_TIMEOUT)


def test_login_and_taken_name():
    br = Broker()
    ann = br.handler()
    ann.send(LOGIN, "ann", "", "192.0.2.7 4242")
    ann.expect(OK)
    ann.expect(INFO, text="You are alone in lobby.")
    br.log.wait(r"login ann from 192\.0\.2\.7 port 4242")
    other = br.handler()
    other.send(LOGIN, "ANN", "lobby", "127.0.0.1 1")
    other.expect(ERR, text=re.compile(r"ANN is already in use"))
    other.send(LOGIN, "bad name!", "lobby", "127.0.0.1 1")
    other.expect(ERR, text=re.compile("Names are"))
    other.send(LOGIN, "bob", "bad room", "127.0.0.1 1")
    other.expect(ERR, text=re.compile("Room names are"))
    # Every refusal is in the log (the record of failed logins).
    br.log.wait(r"login refused for ANN from 127\.0\.0\.1 port 1: name in use")
    br.log.wait(r"login refused from 127\.0\.0\.1 port 1: invalid name")
    br.log.wait(r"login refused for bob from 127\.0\.0\.1 port 1: invalid room")
    other.send(LOGIN, "bob", "", "127.0.0.1 1")   # the same connection
    other.expect(OK)
    other.expect(INFO, text="You are in lobby with: ann")
    ann.expect(JOINED, a="bob", bf="lobby")
    ann.expect_none()


def test_frames_before_login_and_second_login_disconnect():
    br = Broker()
    h = br.handler()
    h.send(SAY, text="hello")
    h.expect_closed()
    ann = br.person("ann")
    ann.send(LOGIN, "ann2", "", "127.0.0.1 1")
    ann.expect_closed()
    bob = br.person("bob")   # the broker carries on
    bob.expect_none()


def test_rejoin_is_quiet():
    br = Broker()
    ann = br.person("ann")
    bob = br.handler()
    bob.send(LOGIN, "bob", "lobby", "127.0.0.1 2", REJOIN)
    bob.expect(OK)
    bob.expect_none()
    ann.expect_none()
    bob.send(SAY, text="back")
    ann.expect(MSG, a="bob", bf="lobby", text="back")


def test_say_and_me_go_to_the_room_but_not_the_sender():
    br = Broker()
    ann, bob, cy = br.person("ann"), br.person("bob"), br.person("cy")
    dan = br.person("dan", "x")
    for p in (ann, bob):
        p.skip_to(JOINED, "cy")          # JOINED notices of later logins
    ann.send(SAY, text="hi all")
    bob.expect(MSG, a="ann", bf="lobby", text="hi all")
    cy.expect(MSG, a="ann", bf="lobby", text="hi all")
    ann.send(ME, text="waves")
    bob.expect(ACTION, a="ann", bf="lobby", text="waves")
    cy.expect(ACTION, a="ann", bf="lobby", text="waves")
    ann.expect_none()
    dan.expect_none(0.1)


def test_private_messages():
    br = Broker()
    ann, bob = br.person("ann"), br.person("bob")
    cy = br.person("cy", "elsewhere")
    ann.skip_to(JOINED, "bob")
    ann.send(PRIV, "cy", "", "psst")
    cy.expect(PRIVATE, a="ann", text="psst")
    ann.expect(OK, a="cy", text="psst")   # the sender's confirmation
    ann.send(PRIV, "Bob", "", "case does not matter")
    bob.expect(PRIVATE, a="ann", text="case does not matter")
    ann.expect(OK, a="bob", text="case does not matter")
    ann.send(PRIV, "nobody", "", "hello?")
    ann.expect(ERR, text="No such user: nobody")
    ann.send(PRIV, "ann", "", "note to self")
    ann.expect(PRIVATE, a="ann", text="note to self")
    ann.expect(OK, a="ann", text="note to self")
    bob.expect_none(0.1)
    cy.expect_none(0.1)


def test_join_moves_with_notices():
    br = Broker()
    ann, bob = br.person("ann"), br.person("bob")
    dan = br.person("dan", "x")
    ann.expect(JOINED, a="bob")
    bob.send(JOIN, "", "x")
    ann.expect(LEFT, a="bob", bf="lobby", text="x")
    dan.expect(JOINED, a="bob", bf="x")
    bob.expect(INFO, text="You are now in x with: dan")
    bob.send(JOIN, "", "X")
    bob.expect(INFO, text="You are already in x.")
    bob.send(JOIN, "", "new-room")
    bob.expect(INFO, text="You are now alone in new-room.")
    dan.expect(LEFT, a="bob", bf="x", text="new-room")
    bob.send(JOIN, "", "no way")
    bob.expect(ERR, text=re.compile("Room names are"))
    bob.send(SAY, text="anyone?")
    bob.expect_none()
    ann.expect_none(0.1)
    dan.expect_none(0.1)


def test_who_and_rooms():
    br = Broker()
    ann, bob = br.person("ann"), br.person("bob")
    cy = br.person("cy", "x")
    bob.send(WHO)
    f = bob.expect(INFO)
    m = re.fullmatch(r"In lobby \(2\): (.*)", f.text)
    assert m and sorted(m.group(1).split(", ")) == ["ann", "bob"], f
    bob.send(ROOMS)
    bob.expect(INFO, text="Rooms (2): lobby (2), x (1)")
    ann.expect(JOINED, a="bob")
    ann.expect_none()
    cy.expect_none(0.1)


def test_long_lists_are_chunked():
    br = Broker()
    people = []
    for i in range(120):   # 120 names of 16 bytes: about 2 KiB of list
        people.append(br.handler())
        people[-1].send(LOGIN, "p%015d" % i, "", "127.0.0.1 1", REJOIN)
    for p in people:
        p.expect(OK)
    people[0].send(WHO)
    lines = [people[0].expect(INFO)]
    assert lines[0].text.startswith("In lobby (120): "), lines[0]
    names = set()
    while True:
        for part in re.sub(r"^In lobby \(120\): ", "", lines[-1].text).split(","):
            if part.strip():
                names.add(part.strip())
        if len(names) >= 120:
            break
        lines.append(people[0].expect(INFO))
    assert len(lines) >= 3, lines
    assert all(len(f.text) <= 1000 for f in lines), [len(f.text) for f in lines]
    assert names == {"p%015d" % i for i in range(120)}


def test_eof_after_login_tells_the_room():
    br = Broker()
    ann, bob = br.person("ann"), br.person("bob")
    ann.expect(JOINED, a="bob")
    bob.close()
    ann.expect(LEFT, a="bob", bf="lobby", text="")
    br.log.wait(r"logout bob from 127\.0\.0\.1 port 5003")
    again = br.person("bob")   # the name is free again
    ann.expect(JOINED, a="bob")
    again.expect_none()


def test_malformed_frame_disconnects_only_its_handler():
    br = Broker()
    ann, bob, cy = br.person("ann"), br.person("bob"), br.person("cy")
    ann.skip_to(JOINED, "cy")
    bob.skip_to(JOINED, "cy")
    cy.send(SAY, text="bell\x07")          # a control byte: refused
    cy.expect_closed()
    ann.expect(LEFT, a="cy", bf="lobby")
    br.log.wait(r"malformed frame")
    bad = br.handler()
    bad.send_raw(struct.pack(">HBB", 0xffff, SAY, 0))  # length too big
    bad.expect_closed()
    bob.send(SAY, text="still here")
    ann.expect(MSG, a="bob", text="still here")
    ann.expect_none()


def drain_all(h):
    while h.fill(0):
        pass


def test_a_handler_that_never_reads_is_cut_off():
    br = Broker()
    slow = br.handler()
    slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.login("slow")
    fast, talker = br.person("fast"), br.person("talker")
    slow.frames.clear()
    chunk = "x" * 4000
    count = 0
    start = time.monotonic()
    cut = False
    while not cut:
        assert count < 2000, "never cut off"
        talker.send(SAY, text="%06d %s" % (count, chunk))
        count += 1
        drain_all(fast)
        while fast.frames:
            f = fast.frames.pop(0)
            if f.type == LEFT and f.a == "slow":
                cut = True
                break
            assert f.type in (MSG, JOINED), f
    # Everything sent so far reaches the fast reader, promptly.
    talker.send(SAY, text="after the cut")
    got = fast.expect(MSG)
    while got.text != "after the cut":
        got = fast.expect(MSG, timeout=5)
    assert time.monotonic() - start < 30
    br.log.wait(r"cutting off slow")
    # Input from a handler being cut off is not read, and must not wake
    # the (level-triggered) loop over and over: measure the CPU it uses.
    slow.send(SAY, text="unread")
    share = H.cpu_share(br.proc.pid)
    assert share < 0.05, ("broker spins", share)
    # The slow one gets its queue, then the KICK, then the end.
    frames = []
    while not slow.eof:
        slow.fill(5)
        frames += slow.frames
        slow.frames.clear()
    assert frames and frames[-1].type == KICK, frames[-3:]
    assert "too far behind" in frames[-1].text
    talker.expect(LEFT, a="slow", bf="lobby")
    talker.expect_none(0.1)


def test_room_of_a_thousand():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1100:
        raise H.Skip("descriptor limit %d is too low" % hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    br = Broker()
    people = []
    for i in range(1000):
        h = br.handler()
        h.send(LOGIN, "u%d" % i, "", "127.0.0.1 1", REJOIN)
        people.append(h)
    for h in people:
        h.expect(OK)
    late = br.handler()
    late.send(LOGIN, "late", "", "127.0.0.1 1")
    late.expect(OK)
    info = late.expect(INFO)
    assert info.text.startswith("You are in lobby with: u"), info
    start = time.monotonic()
    people[0].send(SAY, text="hello, thousand")
    for h in people[1:]:
        h.expect(JOINED, a="late")
        h.expect(MSG, a="u0", text="hello, thousand")
    assert time.monotonic() - start < 20
    late.frames.clear()
    drain_all(late)
    assert [f for f in late.frames if f.type == MSG][0].text == \
        "hello, thousand"


TS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def read_lines(path):
    with open(path) as f:
        return f.read().splitlines()


def test_transcript_and_reopen_on_hup():
    d = H.tmpdir()
    log = os.path.join(d, "chat.log")
    br = Broker(transcript=log)
    ann, bob = br.person("ann"), br.person("bob")
    ann.expect(JOINED)
    ann.send(SAY, text="hi there")
    bob.expect(MSG)
    ann.send(ME, text="waves")
    bob.expect(ACTION)
    ann.send(PRIV, "bob", "", "secret words")
    bob.expect(PRIVATE)
    ann.expect(OK, a="bob")
    bob.send(JOIN, "", "x")
    bob.expect(INFO)
    ann.expect(LEFT)
    want = [r"lobby \[ann\] has joined the chat", r"lobby \[bob\] has joined the chat",
            r"lobby \[ann\] : hi there", r"lobby \* ann waves",
            r"lobby \[bob\] has moved to room x",
            r"x \[bob\] has come in from room lobby"]   # a move (issue 12)
    H.wait_until(lambda: len(read_lines(log)) >= len(want), what="transcript")
    lines = read_lines(log)
    assert len(lines) == len(want), lines
    for line, pat in zip(lines, want):
        assert re.fullmatch(TS + " " + pat, line), (line, pat)
    assert "secret" not in "\n".join(lines)
    os.rename(log, log + ".1")
    br.proc.send_signal(signal.SIGHUP)
    br.log.wait(r"SIGHUP")
    bob.close()
    H.wait_until(lambda: os.path.exists(log) and len(read_lines(log)) >= 1,
                 what="reopened transcript")
    ann.send(SAY, text="new file")
    H.wait_until(lambda: len(read_lines(log)) >= 2, what="the new line")
    new = read_lines(log)
    assert re.fullmatch(TS + r" x \[bob\] has left the chat", new[0]), new
    assert re.fullmatch(TS + r" lobby \[ann\] : new file", new[1]), new
    assert len(read_lines(log + ".1")) == len(want)


def test_socket_directory_stale_socket_and_clean_exit():
    d = H.tmpdir()
    sockdir = os.path.join(d, "loose")
    os.mkdir(sockdir, 0o755)
    os.chmod(sockdir, 0o755)
    path = os.path.join(sockdir, "broker.sock")
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(path)            # bound, never listening: stale
    stale.close()
    p = H.spawn(broker_argv() + ["-s", path] + state_args(H.tmpdir()), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert p.wait(timeout=H.DEFAULT_TIMEOUT) != 0
    assert b"has mode 0755: others could reach" in p.stderr.read()
    os.chmod(sockdir, 0o700)
    br = Broker(sockdir=sockdir)
    assert stat.S_IMODE(os.stat(sockdir).st_mode) == 0o700
    assert stat.S_ISSOCK(os.stat(path).st_mode)
    br.person("ann")
    # A second broker on the same path is refused: the first holds the
    # lock beside the socket.
    ino = os.lstat(path).st_ino
    p = H.spawn(broker_argv() + ["-s", path] + state_args(H.tmpdir()), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert p.wait(timeout=H.DEFAULT_TIMEOUT) == 111
    err = p.stderr.read().decode()
    assert "another broker is running on %s (pid %d)" % (
        path, br.proc.pid) in err, err
    assert os.lstat(path).st_ino == ino
    br.person("bob")            # the first one is unharmed
    assert br.stop() == 0
    # The lock file stays (removing it would let two brokers lock).
    assert os.listdir(sockdir) == ["broker.sock.lock"]


def test_socket_directory_is_created_private():
    d = H.tmpdir()
    br = Broker(sockdir=os.path.join(d, "a", "b"))
    for sub in ("a", "a/b"):
        assert stat.S_IMODE(os.stat(os.path.join(d, sub)).st_mode) == 0o700
    br.person("ann")
    assert br.stop(signal.SIGINT) == 0
    assert not os.path.exists(br.path)


def test_out_of_descriptors_pauses_accepting():
    br = Broker()
    _, hard = resource.prlimit(br.proc.pid, resource.RLIMIT_NOFILE)
    resource.prlimit(br.proc.pid, resource.RLIMIT_NOFILE, (32, hard))
    first = [br.person("a%d" % i) for i in range(10)]
    waiting = []
    for i in range(40):   # more than the broker can hold
        h = br.handler()
        h.send(LOGIN, "w%d" % i, "", "127.0.0.1 1", REJOIN)
        waiting.append(h)
    br.log.wait(r"accept: Too many open files; pausing")
    assert br.proc.poll() is None
    # Closing some makes room; raising the limit lets the rest in.  None
    # of those kept waiting is lost.
    for h in first:
        h.close()
    resource.prlimit(br.proc.pid, resource.RLIMIT_NOFILE, (hard, hard))
    for h in waiting:
        h.expect(OK)
    waiting[0].send(SAY, text="all here")
    for h in waiting[1:]:
        f = h.next()
        while f.type == LEFT and f.a.startswith("a"):   # the first ten
            f = h.next()
        assert (f.type, f.a, f.text) == (MSG, "w0", "all here"), f
    assert br.proc.poll() is None


def test_socket_directory_that_is_a_link_or_not_ours_is_refused():
    d = H.tmpdir()
    real = os.path.join(d, "real")
    os.mkdir(real, 0o700)
    link = os.path.join(d, "link")
    os.symlink(real, link)
    cases = [(link, b"not a directory")]
    if os.geteuid() == 0:     # only root can give a directory away
        theirs = os.path.join(d, "theirs")
        os.mkdir(theirs, 0o700)
        os.chown(theirs, 65534, 65534)
        cases.append((theirs, b"not by us"))
    for sockdir, why in cases:
        p = H.spawn(broker_argv() + ["-s", os.path.join(sockdir, "b.sock")]
                    + state_args(H.tmpdir()),
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE)
        assert p.wait(timeout=H.DEFAULT_TIMEOUT) != 0
        assert why in p.stderr.read(), sockdir
    assert os.listdir(real) == []


SLOW_LISTEN_C = r"""
/* LD_PRELOAD: listen() on a UNIX socket says so on stderr, then waits
 * 300 ms, or until the file $SLOWLISTEN_GATE exists (at most 10 s). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int listen(int fd, int backlog)
{
	int (*real)(int, int) = (int (*)(int, int))dlsym(RTLD_NEXT, "listen");
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    ss.ss_family == AF_UNIX) {
		static const char msg[] = "slowlisten: holding listen()\n";
		const char *gate = getenv("SLOWLISTEN_GATE");
		struct timespec tick = { 0, 10000000 };
		int n = gate ? 1000 : 30;
		if (write(2, msg, sizeof msg - 1) < 0)
			return -1;
		while (n-- > 0 && !(gate && access(gate, F_OK) == 0))
			nanosleep(&tick, NULL);
	}
	return real(fd, backlog);
}
"""


def c_shim(name, source):
    """The path of source built as a shared object for LD_PRELOAD."""
    cc = os.environ.get("CC") or shutil.which("cc")
    if not cc:
        raise H.Skip("no C compiler for the %s shim" % name)
    d = H.tmpdir()
    src, so = os.path.join(d, name + ".c"), os.path.join(d, name + ".so")
    with open(src, "w") as f:
        f.write(source)
    p = subprocess.run([cc, "-shared", "-fPIC", "-o", so, src, "-ldl"],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    return so


def slow_listen_shim():
    return c_shim("slowlisten", SLOW_LISTEN_C)


def shim_env(so, **env):
    """os.environ with so preloaded, and env added."""
    env = dict(os.environ, LD_PRELOAD=so, **env)
    # gcc's ASan wants its runtime first; the shim only passes through.
    env["ASAN_OPTIONS"] = ":".join(filter(None, [
        env.get("ASAN_OPTIONS"), "verify_asan_link_order=0"]))
    return env


def spawn_slow_listener(path, **env):
    """natterd -f -B on path with listen() held by the shim: (process,
    its LogReader), once the shim holds listen()."""
    env = shim_env(slow_listen_shim(), **env)
    p = H.spawn(broker_argv() + ["-s", path] + state_args(H.tmpdir()), env=env,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
    log = H.LogReader(p.stderr)
    log.wait(r"slowlisten: holding listen\(\)")
    return p, log


def test_the_socket_path_appears_only_once_it_listens():
    """A session started while the broker starts (a super-server does
    not wait for it) connects as soon as the path exists: the broker
    binds to a temporary name, listens, and only then links the path.
    With listen() made slow, a broker that bound the path itself left it
    refusing connections meanwhile ("chat service unavailable")."""
    d = H.tmpdir()
    sockdir = os.path.join(d, "run")
    path = os.path.join(sockdir, "broker.sock")
    p, log = spawn_slow_listener(path)
    H.wait_until(lambda: os.path.lexists(path) or p.poll() is not None,
                 what="the socket path", interval=0.001)
    try:
        h = Handler(path)
    except ConnectionRefusedError:
        raise AssertionError("%s existed but refused a connection" % path)
    h.login("ann")
    log.wait(r"broker listening on")
    # no temporary name left
    assert sorted(os.listdir(sockdir)) == ["broker.sock", "broker.sock.lock"]
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=H.DEFAULT_TIMEOUT) == 0
    assert not os.path.lexists(path)   # it knew the published path its own


def test_a_socket_put_on_the_path_meanwhile_is_left_alone():
    """Another broker's socket that appears while ours is still binding
    is neither replaced nor removed; ours gives up with a temporary
    failure and leaves no temporary name behind."""
    d = H.tmpdir()
    sockdir = os.path.join(d, "run")
    path = os.path.join(sockdir, "broker.sock")
    gate = os.path.join(d, "gate")
    p, log = spawn_slow_listener(path, SLOWLISTEN_GATE=gate)
    other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    other.bind(path)
    other.listen()
    ino = os.lstat(path).st_ino
    open(gate, "w").close()
    assert p.wait(timeout=H.DEFAULT_TIMEOUT) == 111
    log.wait(r"cannot listen on .*broker\.sock: a socket was put there "
             r"meanwhile")
    assert sorted(os.listdir(sockdir)) == ["broker.sock", "broker.sock.lock"]
    assert os.lstat(path).st_ino == ino
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(path)                    # still the other one's
    other.accept()[0].close()
    c.close()


HOLD_UNLINK_C = r"""
/* LD_PRELOAD: unlink() of the path $HOLDUNLINK_PATH says so on stderr,
 * then waits until the file $HOLDUNLINK_GATE exists (at most 10 s). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int unlink(const char *path)
{
	int (*real)(const char *) =
		(int (*)(const char *))dlsym(RTLD_NEXT, "unlink");
	const char *held = getenv("HOLDUNLINK_PATH");
	const char *gate = getenv("HOLDUNLINK_GATE");
	if (held && gate && strcmp(path, held) == 0 && access(gate, F_OK) != 0) {
		static const char msg[] = "holdunlink: holding unlink()\n";
		struct timespec tick = { 0, 10000000 };
		int n = 1000;
		if (write(2, msg, sizeof msg - 1) < 0)
			return -1;
		while (n-- > 0 && access(gate, F_OK) != 0)
			nanosleep(&tick, NULL);
	}
	return real(path);
}
"""


def peer_pid(path):
    """The pid of the process listening on the UNIX socket path."""
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        c.connect(path)
        cred = c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                            struct.calcsize("3i"))
        return struct.unpack("3i", cred)[0]
    finally:
        c.close()


def started_or_gone(log):
    """True once the broker logging to log listens or has ended."""
    return log.closed or "broker listening on" in log.text()


def test_two_brokers_on_one_stale_socket_leave_the_serving_one_reachable():
    """Two brokers started together on a stale socket: the first has
    judged it stale and is about to remove it (its unlink() held) when
    the second starts.  Without a lock the second removed it too, linked
    its live socket there, and the first's unlink removed that: the
    second served on a socket nobody could reach.  Now the second finds
    the first holding the lock and gives up, touching nothing."""
    d = H.tmpdir()
    sockdir = os.path.join(d, "run")
    os.mkdir(sockdir, 0o700)
    path = os.path.join(sockdir, "broker.sock")
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(path)            # bound, never listening: stale
    stale.close()
    gate = os.path.join(d, "gate")
    env = shim_env(c_shim("holdunlink", HOLD_UNLINK_C),
                   HOLDUNLINK_PATH=path, HOLDUNLINK_GATE=gate)
    first = H.spawn(broker_argv() + ["-s", path] + state_args(H.tmpdir()), env=env,
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE)
    flog = H.LogReader(first.stderr)
    flog.wait(r"holdunlink: holding unlink\(\)")
    second = H.spawn(broker_argv() + ["-s", path] + state_args(H.tmpdir()), stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    slog = H.LogReader(second.stderr)
    H.wait_until(lambda: started_or_gone(slog), what="the second broker")
    open(gate, "w").close()
    H.wait_until(lambda: started_or_gone(flog), what="the first broker")
    running = [p.pid for p in (first, second) if p.poll() is None]
    assert running == [peer_pid(path)], (
        "running brokers %r, the one at %s is %d" % (running, path,
                                                     peer_pid(path)))
    Handler(path).login("ann")
    assert running == [first.pid]
    assert second.wait(timeout=H.DEFAULT_TIMEOUT) == 111
    slog.wait(r"another broker is running on %s \(pid %d\)" % (
        re.escape(path), first.pid))
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=H.DEFAULT_TIMEOUT) == 0
    assert sorted(os.listdir(sockdir)) == ["broker.sock.lock"]


def test_the_lock_beside_the_socket_decides_and_goes_with_its_holder():
    """A broker holds a lock on PATH.lock for its life: whoever holds it
    (here this test) keeps any broker off PATH, a stale socket there
    included; one killed leaves the file, never the lock, so the next
    broker takes it and removes the stale socket."""
    br = Broker()
    lock = br.path + ".lock"
    st = os.lstat(lock)
    assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    br.stop(signal.SIGKILL)
    sock = os.lstat(br.path).st_ino          # left behind: stale
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        p = H.spawn(broker_argv() + ["-s", br.path] + state_args(H.tmpdir()),
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE)
        assert p.wait(timeout=H.DEFAULT_TIMEOUT) == 111
        err = p.stderr.read().decode()
        assert "another broker is running on %s (pid %d)" % (
            br.path, os.getpid()) in err, err
        assert os.lstat(br.path).st_ino == sock
    finally:
        os.close(fd)
    br = Broker(sockdir=br.sockdir)
    br.log.wait(r"removed stale socket .*broker\.sock$")
    br.person("ann")
    assert os.lstat(lock).st_ino == st.st_ino   # the same file


NO_LOCK_C = r"""
/* LD_PRELOAD: fcntl(F_SETLK) fails with ENOLCK, as on a file system
 * without locks; the rest passes through. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>

static int pass(const char *name, int fd, int cmd, void *arg)
{
	int (*real)(int, int, ...) =
		(int (*)(int, int, ...))dlsym(RTLD_NEXT, name);
	if (cmd == F_SETLK) {
		errno = ENOLCK;
		return -1;
	}
	return real(fd, cmd, arg);
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return pass("fcntl", fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return pass("fcntl64", fd, cmd, arg);
}
"""


def test_a_file_system_without_locks_gets_a_warning_and_a_broker():
    d = H.tmpdir()
    path = os.path.join(d, "run", "broker.sock")
    p = H.spawn(broker_argv() + ["-s", path] + state_args(H.tmpdir()),
                env=shim_env(c_shim("nolock", NO_LOCK_C)),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
    log = H.LogReader(p.stderr)
    log.wait(r"cannot lock .*broker\.sock\.lock: fcntl: No locks "
             r"available; going on without it")
    log.wait(r"broker listening on")
    Handler(path).login("ann")
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=H.DEFAULT_TIMEOUT) == 0
    assert not os.path.lexists(path)
    # one line for the socket's lock, one for the state directory's
    assert log.text().count("broker.sock.lock: fcntl") == 1
    assert len(re.findall(r"cannot lock \S+/lock: No locks available; "
                          r"going on without it", log.text())) == 1


def test_a_path_without_room_for_the_temporary_name_is_refused():
    """The socket is bound to ".nb<pid>" beside its path first; a path
    that fits in sun_path while that name does not is refused with the
    reason, and nothing is left in the directory."""
    d = H.tmpdir()
    room = 107 - len(d + "/" + "/s")   # for a path of 107 bytes
    sockdir = os.path.join(d, "x" * room)
    path = os.path.join(sockdir, "s")
    assert len(path) == 107
    p = H.spawn(broker_argv() + ["-s", path] + state_args(H.tmpdir()), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert p.wait(timeout=H.DEFAULT_TIMEOUT) == 100
    err = p.stderr.read().decode()
    assert "no room for the temporary name the socket is bound to before "\
           "it listens" in err, err
    assert os.listdir(sockdir) == []


def test_rejoin_race_after_a_restart_is_first_come_first_served():
    """After a broker restart, a new login may take a name before its
    old holder's handler re-announces it: the REJOIN is refused like any
    login for a taken name, and the new holder is not disturbed."""
    br = Broker()
    old = br.person("ann")
    br.stop(signal.SIGKILL)
    old.expect_closed()
    br = Broker(sockdir=br.sockdir)   # a new broker on the same socket
    bob = br.handler().login("bob", flags=REJOIN)
    new = br.person("ann")
    bob.expect(JOINED, a="ann")
    late = br.handler()
    late.send(LOGIN, "ann", "lobby", "127.0.0.1 9", REJOIN)
    late.expect(ERR, text="The name ann is already in use.")
    br.log.wait(r"login refused for ann from 127\.0\.0\.1 port 9 "
                r"\(rejoin\): name in use")
    late.send(SAY, text="not logged in")   # nothing was kept for it
    late.expect_closed()
    bob.send(SAY, text="still you?")
    new.expect(MSG, a="bob", text="still you?")
    new.expect_none()
    bob.expect_none(0.1)


def test_rejoin_race_end_to_end():
    """The same race through natterd and natter-session: the old session
    is told it could not rejoin and ends; the name's new holder and the
    room see no leave notice for it."""
    d = H.Natterd()
    old, bob = d.login("ann"), d.login("bob")
    old.expect("[bob] has joined the chat")
    pid = session_pid(old)
    os.kill(pid, signal.SIGSTOP)   # its REJOIN waits until we say
    try:
        mark = len(d.log.lines)
        os.kill(broker_pid(d), signal.SIGKILL)
        d.log.wait(r"broker listening on", start=mark)
        bob.expect("*** Reconnected.", timeout=30)
        new = d.login("ann")
        bob.expect("[ann] has joined the chat")
    finally:
        os.kill(pid, signal.SIGCONT)
    old.expect("*** Could not rejoin as ann; goodbye.")
    old.expect_closed()
    d.log.wait(r"login refused for ann from \S+ port \d+ \(rejoin\): "
               r"name in use")
    new.send_line("/who")
    new.expect_re(r"In lobby \(2\): (ann, bob|bob, ann)")
    bob.expect_none(r"\[ann\] has left")


INTRUDER = r"""
import ctypes, os, socket, sys
path, euid, fsuid, login = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    bytes.fromhex(sys.argv[4])
libc = ctypes.CDLL(None, use_errno=True)
os.seteuid(euid)          # what SO_PEERCRED reports
libc.setfsuid(fsuid)      # what the directory's permissions are checked against
assert libc.setfsuid(-1) == fsuid
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect(path)
except OSError as e:
    print("connect-failed", e.errno)
    sys.exit(0)
try:   # the broker may close before, while or after we send
    s.sendall(login)
    data = s.recv(4096)
except (BrokenPipeError, ConnectionResetError):
    data = b""
print("got", data.hex() if data else "closed")
"""


def intrude(path, euid, fsuid):
    """Connects to path as euid (what SO_PEERCRED reports) with fsuid's
    right of way (what the directory's mode is checked against), sends a
    LOGIN: ["connect-failed", errno], ["got", "closed"] or ["got", hex]."""
    login = encode(LOGIN, "intruder", "", "127.0.0.1 1").hex()
    p = subprocess.run([sys.executable, "-c", INTRUDER, path, str(euid),
                        str(fsuid), login],
                       capture_output=True, timeout=H.DEFAULT_TIMEOUT)
    assert p.returncode == 0, p.stderr
    return p.stdout.decode().split()


def test_a_peer_with_another_uid_is_refused():
    """Two locks: the 0700 directory keeps other users from reaching the
    socket at all, and the peer-uid check refuses one that got through
    anyway.  Root can show both: nobody's euid with root's filesystem
    uid (setfsuid) passes the directory but not the uid check."""
    if os.geteuid() != 0:
        raise H.Skip("needs root to take another uid")
    br = Broker()
    # Open the way to the socket's directory, so that only its own 0700
    # mode stands in nobody's way.
    os.chmod(br.dir, 0o755)
    assert intrude(br.path, 65534, 65534) == [
        "connect-failed", str(errno.EACCES)]
    assert intrude(br.path, 65534, 0) == ["got", "closed"]
    br.log.wait(r"refused a handler with uid 65534 \(ours is 0\)")
    assert intrude(br.path, 0, 0)[0] == "got"   # its own user: served
    ann = br.person("ann")                     # and the broker carries on
    ann.send(WHO)
    ann.expect(INFO, text="In lobby (1): ann")


def test_a_broker_of_another_user_refuses_root():
    """A broker run as a service user serves only that user: root can
    reach any socket, but a session should never run as root."""
    if os.geteuid() != 0:
        raise H.Skip("needs root to run the broker as nobody")
    br = Broker(user=65534)
    assert os.stat(br.sockdir).st_uid == 65534
    assert intrude(br.path, 0, 0) == ["got", "closed"]
    br.log.wait(r"refused a handler with uid 0 \(ours is 65534\)")
    got = intrude(br.path, 65534, 65534)
    assert got[0] == "got" and got[1] != "closed", got
    ok, _ = decode(bytes.fromhex(got[1]))
    assert ok.type == OK and ok.a == "intruder", ok


def wait_settled(pid):
    """Waits until the process made no context switch in 0.3 s."""
    last = [wakeups(pid)]

    def quiet_for_a_while():
        time.sleep(0.3)   # a measuring window
        now = wakeups(pid)
        settled = now == last[0]
        last[0] = now
        return settled
    H.wait_until(quiet_for_a_while, what="the process to settle")


def wakeups(pid):
    """Context switches so far: a process blocked in epoll_wait makes
    none."""
    n = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("voluntary_ctxt_switches",
                       "nonvoluntary_ctxt_switches"):
                n += int(value)
    return n


def test_an_idle_broker_never_wakes():
    """No timers that poll: after some traffic, a broker with people
    connected and silent sleeps until something happens."""
    br = Broker()
    people = [br.handler().login("p%d" % i, flags=REJOIN) for i in range(20)]
    people[0].send(WHO)
    people[0].expect(INFO)
    people[1].send(SAY, text="anyone?")
    for p in people[2:]:
        p.expect(MSG, text="anyone?")
    pid = br.proc.pid
    wait_settled(pid)
    before = wakeups(pid)
    time.sleep(1.5)   # a measuring window, not a wait for a condition
    assert wakeups(pid) == before, "the idle broker woke up"
    people[1].send(SAY, text="still here")   # and it is not stuck
    people[2].expect(MSG, text="still here")


def join(br, name, rcvbuf=None):
    """A handler logged in as name (h.name), its receive buffer set to
    rcvbuf bytes if given (a small one fills at once)."""
    h = br.handler()
    if rcvbuf:
        h.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    h.name = name
    return h.login(name, flags=REJOIN)


def rounds_past_bound(talkers, size):
    """Rounds of a size-byte line from each talker that take a handler
    that never reads past the broker's 256 KiB bound, even after the
    kernel's socket buffers took their share."""
    with open("/proc/sys/net/core/wmem_default") as f:
        kernel = int(f.read())
    return (256 * 1024 + 2 * kernel) // (talkers * size) + 10


def each_heard_all(listeners, talkers, rounds, gone):
    """Each listener got every talker's lines "NAME N ..." (but its own),
    N = 0 .. rounds - 1 in order, and a LEFT for each name in gone,
    nothing else."""
    for r in listeners:
        seen = {t.name: [] for t in talkers if t is not r}
        left = []
        deadline = time.monotonic() + 30
        while (any(len(v) < rounds for v in seen.values())
               or len(left) < len(gone)):
            assert time.monotonic() < deadline, (r.name, left)
            f = r.next()
            if f.type == MSG:
                who, n, _ = f.text.split(" ", 2)
                seen[who].append(int(n))
            else:
                assert f.type == LEFT, f
                left.append(f.a)
        assert all(v == list(range(rounds)) for v in seen.values()), r.name
        assert sorted(left) == sorted(gone), (r.name, left)


def test_cuts_and_hangups_amid_fanouts():
    """Handlers cut off by a fanout and handlers hanging up, in the same
    batches of events as the fanouts that reach them (the classic
    use-after-free of a broadcast loop; run under make check-asan too):
    the broker goes on, each reader gets every line of every talker in
    order, and the room hears each one leave exactly once."""
    br = Broker()
    talkers = [join(br, "t%d" % i) for i in range(4)]
    readers = [join(br, "r%d" % i) for i in range(4)]
    stallers = [join(br, "s%d" % i, 4096) for i in range(5)]  # never read
    quitters = [join(br, "q%d" % i) for i in range(6)]
    awake = talkers + readers
    chunk = "y" * 3000
    rounds = rounds_past_bound(len(talkers), len(chunk))
    for rnd in range(rounds):
        for t in talkers:   # back to back: one batch for the broker
            t.send(SAY, text="%s %03d %s" % (t.name, rnd, chunk))
        if rnd % 8 == 3 and quitters:
            quitters.pop().close()   # hangs up with frames in flight
        for h in awake + quitters:
            drain_all(h)
    assert not [q for q in quitters if q.eof]
    for q in quitters:
        q.close()
    gone = {"s%d" % i for i in range(5)} | {"q%d" % i for i in range(6)}
    each_heard_all(readers + talkers, talkers, rounds, gone)
    for i in range(5):
        br.log.wait(r"cutting off s%d " % i)
    talkers[0].send(WHO)
    f = talkers[0].expect(INFO)
    m = re.fullmatch(r"In lobby \(8\): (.*)", f.text)
    assert m and sorted(m.group(1).split(", ")) == sorted(
        h.name for h in awake), f
    readers[0].expect_none(0.1)


def reply(h, timeout=H.DEFAULT_TIMEOUT):
    """The frames of one reply: up to the first one flagged LAST (LIVE
    included, which ends the reply to LOGIN and JOIN)."""
    h.keep_quiet = True
    try:
        frames = [h.next(timeout)]
        while not frames[-1].flags & LAST:
            frames.append(h.next(timeout))
    finally:
        h.keep_quiet = False
    return frames


def test_every_reply_ends_with_one_last_frame():
    """LOGIN, PRIV, JOIN, WHO and ROOMS each get exactly one reply, sent
    only to the asker, its last frame (and only that one) flagged LAST:
    natter-session takes the person's next line only after it."""
    br = Broker()
    ann = br.handler()
    ann.send(LOGIN, "ann", "", "127.0.0.1 1")
    r = reply(ann)
    # version 3: the greeting, then the room's replay (none here) and
    # LIVE, which ends the reply
    assert [f.type for f in r] == [OK, INFO, LIVE], r
    assert r[0].flags == version(VERSION) | MARKS_LAST, r[0].flags
    assert not r[1].flags, r[1].flags
    other = br.handler()
    other.send(LOGIN, "ann", "", "127.0.0.1 1")
    r = reply(other)
    assert [f.type for f in r] == [ERR]
    assert r[0].flags == version(VERSION) | LAST, r[0].flags
    other.send(LOGIN, "bob", "", "127.0.0.1 1", REJOIN)
    r = reply(other)
    assert [f.type for f in r] == [OK, LIVE], r
    assert r[0].flags == version(VERSION) | MARKS_LAST, r[0].flags
    asks = [(WHO, "", "", "", [INFO]), (ROOMS, "", "", "", [INFO]),
            (PRIV, "bob", "", "hi", [OK]), (PRIV, "nobody", "", "x", [ERR]),
            (JOIN, "", "x", "", [INFO, LIVE]), (JOIN, "", "X", "", [INFO]),
            (JOIN, "", "no way", "", [ERR]),
            (JOIN, "", "lobby", "", [INFO, LIVE]),
            (HISTORY, "", "", "5", [INFO, LIVE]),
            (HISTORY, "", "", "501", [ERR])]
    for ftype, a, bf, text, want in asks:
        ann.send(ftype, a, bf, text)
        r = reply(ann)
        assert [f.type for f in r] == want, (NAMES[ftype], r)
    # A list long enough for several INFO lines ends only once.
    people = [br.handler() for _ in range(120)]
    for i, p in enumerate(people):
        p.send(LOGIN, "p%015d" % i, "", "127.0.0.1 1", REJOIN)
        reply(p)
    ann.frames.clear()
    ann.send(WHO)
    r = [f for f in reply(ann) if f.type == INFO]
    assert len(r) >= 3 and all(not f.flags for f in r[:-1]), r
    # Frames that answer nothing carry no flag.
    ann.send(SAY, text="hello")
    f = other.next()
    while f.type != MSG:
        f = other.next()
    assert f.flags == 0, f.flags
    ann.expect_none()


def test_a_burst_from_many_senders_cuts_no_prompt_reader():
    """Forty people each send ten 1 KiB lines at once (within a session's
    flood burst) and everyone reads as fast as it can: the room's burst
    in one loop pass is more than a queue holds, yet nobody is behind,
    so nobody may be cut off, and every line arrives."""
    br = Broker()
    n, lines, size = 40, 10, 1024
    hs = [br.person("u%d" % i) for i in range(n)]
    for h in hs[:-1]:                     # joins of those after them
        h.skip_to(JOINED, "u%d" % (n - 1))
    burst = b"".join(encode(SAY, text="x" * size) for _ in range(lines))
    for h in hs:
        h.sock.send(burst)                # all at once, without waiting
    want = (n - 1) * lines
    got = {h: 0 for h in hs}
    deadline = time.monotonic() + 20
    while any(got[h] < want for h in hs):
        assert time.monotonic() < deadline, sorted(got.values())[:5]
        r, _, _ = select.select([h.sock for h in hs], [], [], 0.5)
        for h in hs:
            if h.sock in r:
                h.fill(0)
                for f in h.frames:
                    assert f.type != KICK, "a prompt reader was cut off"
                    if f.type == MSG:
                        got[h] += 1
                h.frames.clear()
                assert not h.eof
    assert "cutting off" not in br.log.text()


def test_refused_logins_are_logged_at_most_ten_a_second():
    """A handler that asks again and again (not natter-session, which
    allows three tries) gets every ERR, but the log gets ten refusals a
    second and then one line with the count of the rest, even when no
    refusal comes after them."""
    br = Broker()
    ann = br.person("ann")
    bad = br.handler()
    bad.send_raw(b"".join(encode(LOGIN, "ann", "", "127.0.0.1 %d" % i)
                          for i in range(50)))
    for _ in range(50):
        bad.expect(ERR, text="The name ann is already in use.")
    m = br.log.wait(r"(\d+) more logins refused", timeout=3)
    logged = re.findall(r"login refused for ann from 127\.0\.0\.1 port \d+",
                        br.log.text())
    assert len(logged) == 10, len(logged)
    assert int(m.group(1)) == 40, m.group(0)
    # A second later the log takes refusals again.
    mark = len(br.log.lines)
    bad.send(LOGIN, "ann", "", "127.0.0.1 99")
    bad.expect(ERR)
    br.log.wait(r"login refused for ann from 127\.0\.0\.1 port 99: name in use",
                start=mark)
    bad.send(LOGIN, "bob", "", "127.0.0.1 1")   # and logs it in after all
    bad.expect(OK)
    ann.expect(JOINED, a="bob")


def limit_file_size(pid, size):
    _, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (size, hard))


def test_a_transcript_line_is_written_whole_or_not_at_all():
    """A write cut short (here by a file size limit on the broker, which
    gives the short count a full disk gives) is taken back off the file,
    so no half line is left; the failure is logged once, and when lines
    fit again the log says how many were lost.  At the limit the write
    fails with EFBIG, and the SIGXFSZ that comes with it does not kill
    the broker."""
    d = H.tmpdir()
    log = os.path.join(d, "chat.log")
    br = Broker(transcript=log)
    ann, bob = br.person("ann"), br.person("bob")
    ann.expect(JOINED, a="bob")
    H.wait_until(lambda: len(read_lines(log)) == 2, what="the joins")
    size = os.path.getsize(log)
    pid = br.proc.pid
    limit_file_size(pid, size + 40)   # room for 40 more bytes

    def say(text):
        ann.send(SAY, text=text)
        bob.expect(MSG, text=text)   # the broker wrote its line before
    say("x" * 100)
    assert os.path.getsize(log) == size, read_lines(log)[2:]
    br.log.wait(r"transcript .*chat\.log: short write \(40 of 136 bytes\), "
                r"removed; dropping lines until a write succeeds")
    say("y" * 100)
    say("ok")                          # 38 bytes: fits
    br.log.wait(r"transcript .*: writing again; lines lost: 2")
    size = os.path.getsize(log)
    limit_file_size(pid, size)         # no room at all: EFBIG, SIGXFSZ
    say("z")
    br.log.wait(r"transcript .*: File too large; dropping lines")
    assert br.proc.poll() is None
    limit_file_size(pid, resource.RLIM_INFINITY)
    say("after")
    br.log.wait(r"transcript .*: writing again; lines lost: 1")
    lines = read_lines(log)
    want = [r"lobby \[ann\] has joined the chat",
            r"lobby \[bob\] has joined the chat",
            r"lobby \[ann\] : ok", r"lobby \[ann\] : after"]
    assert len(lines) == len(want), lines
    for line, pat in zip(lines, want):
        assert re.fullmatch(TS + " " + pat, line), (line, pat)
    assert len(re.findall(r"transcript .*: (short write|File too large)",
                          br.log.text())) == 2


def test_a_failed_transcript_reopen_keeps_the_old_file():
    """Rotation where the new file cannot be opened (here a directory is
    in its way): lines go on to the old, renamed file, nothing is lost,
    the reason is logged once; the reopen is tried again by itself, and
    once the way is clear the new file takes the lines."""
    d = H.tmpdir()
    log = os.path.join(d, "chat.log")
    br = Broker(transcript=log)
    ann, bob = br.person("ann"), br.person("bob")
    ann.expect(JOINED, a="bob")
    os.rename(log, log + ".1")
    os.mkdir(log)                      # open(2) for writing: EISDIR
    mark = len(br.log.lines)
    br.proc.send_signal(signal.SIGHUP)
    br.log.wait(r"SIGHUP", start=mark)
    ann.send(SAY, text="into the old file")
    bob.expect(MSG)
    H.wait_until(lambda: len(read_lines(log + ".1")) == 3, what="old file")
    br.log.wait(r"transcript .*chat\.log: cannot reopen: Is a directory; "
                r"still writing to the file opened before", start=mark)
    br.log.wait(r"SIGHUP: reopened the log$", start=mark)
    ann.send(SAY, text="still the old one")   # a retry fails quietly
    bob.expect(MSG)
    os.rmdir(log)
    # At most a second later, the next line opens the new file.
    deadline = time.monotonic() + H.DEFAULT_TIMEOUT
    n = 0
    while not os.path.exists(log):
        assert time.monotonic() < deadline, "never reopened"
        n += 1
        ann.send(SAY, text="line %d" % n)
        bob.expect(MSG)
        time.sleep(0.1)   # paces the lines; the wait is the loop's
    br.log.wait(r"transcript .*chat\.log: reopened$", start=mark)
    H.wait_until(lambda: read_lines(log), what="the line that reopened")
    new = read_lines(log)
    assert len(new) == 1 and re.fullmatch(
        TS + r" lobby \[ann\] : line %d" % n, new[0]), new
    old = read_lines(log + ".1")
    assert len(old) == 3 + n, old
    assert re.fullmatch(TS + r" lobby \[ann\] : into the old file", old[2])
    assert re.fullmatch(TS + r" lobby \[ann\] : still the old one", old[3])
    assert len(re.findall(r"cannot reopen", br.log.text())) == 1


def test_protocol_versions():
    """The version rides in the high nibble of LOGIN's flags: version 3
    (the room log) is served, and only it; a version this broker does
    not speak (0, the unversioned first round, 1, 2, 4...) gets exactly
    one ERR, flagged FATAL, and the connection is closed."""
    br = Broker()
    for i, v in enumerate((3,)):
        h = br.handler()
        h.send(LOGIN, "v%d" % i, "", "127.0.0.1 1", version(v) | REJOIN)
        r = reply(h)
        assert [f.type for f in r] == [OK, LIVE], (v, r)
        assert r[0].flags >> 4 == VERSION, r[0].flags
    for v in (1, 2, 4, 15):
        h = br.handler()
        # with a WHO in the same write, never answered: dropped first
        h.send_raw(encode(LOGIN, "new%d" % v, "", "127.0.0.1 7",
                          version(v)) + encode(WHO))
        f = h.next()
        assert f.type == ERR and f.flags == version(VERSION) | LAST | FATAL, f
        assert f.text == ("natter-session speaks protocol %d; this broker "
                          "speaks %d: restart the session." % (v, VERSION)), f
        h.expect_closed()
        assert not h.frames, h.frames
        br.log.wait(r"login refused from 127\.0\.0\.1 port 7: protocol %d "
                    r"\(this broker speaks 3 to 3\)" % v)
    assert "new4" not in br.log.text()


def test_frames_of_the_wrong_shape_disconnect():
    """Each handler-to-broker type has an exact shape (natter-protocol.h):
    a field that must be empty is not, a field that must be there is
    missing, a text too long, a flag the type does not carry.  The
    frame is refused and only its sender disconnected."""
    br = Broker()
    bob = br.handler().login("bob")
    bad = [(LOGIN, "ann", "", "x" * 129, 0),
           (LOGIN, "ann", "", "", FATAL),
           (SAY, "ann", "", "hi", 0), (SAY, "", "lobby", "hi", 0),
           (SAY, "", "", "hi", REJOIN), (ME, "x", "", "waves", 0),
           (PRIV, "", "", "to nobody", 0), (PRIV, "bob", "x", "hi", 0),
           (JOIN, "", "", "", 0), (JOIN, "bob", "x", "", 0),
           (JOIN, "", "x", "why", 0), (WHO, "", "", "x", 0),
           (ROOMS, "x", "", "", 0), (ROOMS, "", "", "", LAST)]
    for n, (ftype, a, bf, text, flags) in enumerate(bad):
        h = br.handler()
        if ftype != LOGIN:
            h.login("s%d" % n)
        h.send(ftype, a, bf, text, flags)
        h.expect_closed()
        br.log.wait(r"protocol error from .*: a frame of the wrong shape "
                    r"\(type %d\)" % ftype)
        if ftype != LOGIN:
            bob.skip_to(LEFT, "s%d" % n)
    bob.send(WHO)
    assert reply(bob)[0].text == "In lobby (1): bob"
