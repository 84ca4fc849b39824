#!/usr/bin/env python3
"""bench/soak.py — the soak and fault run of issue 19.  `make soak`
(SOAK_SECONDS, default 600; not part of make check).

One natterd (its own -D state directory and -s broker socket in a
temporary directory; -c raised, -p 0 and -r 0 since every connection
comes from 127.0.0.1; natter-session with its default flood control)
and, in this one process, a selector (epoll) over every connection:

  - PEOPLE people (1,000) in ROOMS rooms (10), chatting at a steady
    RATE lines/s in all (30) for the whole run, each line tagged
    "soak SENDER ID", so every delivery is counted per recipient:
    a line is lost when someone in its room never got it, doubled when
    someone got it twice;
  - the broker SIGKILLed every KILL_EVERY seconds (60): sessions
    reconnect, rejoin, catch up and send again what was not acked;
  - a stalled reader: "stalled", in the flood's room, whose socket
    (receive buffer 4 KiB) is never read after its join; the broker
    (or its session) must cut it off, and it is the only one;
  - a flood with flood control off, at 30 % of the run: "flooder" runs
    its own natter-session -r 0 (on a socketpair, with -b the broker
    socket: handler options for one person only) and sends FLOOD lines
    of 900 bytes as fast as it can into the room "flood", whose 20
    readers must get every one and stay connected (backpressure);
  - SIGHUP to natterd at 45 %;
  - a burst of BURST connections (2,000) at 60 %, all at once: each
    logs in (room lobby, where nobody chats), then /exit.

At the end it waits for the last deliveries (until every expected one
came, or none came for 30 s), then prints lines sent, lost and doubled,
people cut off, the burst's outcome, and the RSS and descriptors of
natterd, its launchers, the broker and a sample of sessions at start
(after the log-ins and some chat) and at the end.  Exit 0 when nothing
was lost or doubled, only the stalled reader was cut off, the whole
burst got in and out, and no process grew past its bound (BOUNDS);
1 otherwise (each reason printed); 111 when the run could not be set up.
"""
import argparse
import os
import random
import resource
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import shutil
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run  # noqa: E402  (the bench's /proc helpers)
import scale  # noqa: E402  (natterd's start, process groups)

TAG = b"soak "
FLOOD_ROOM = "flood"
FLOOD_READERS = 20
FLOOD_LINE = 900
# Growth allowed from start to end: (RSS KiB, descriptors).  natterd and
# the launchers hold nothing per person; a session's buffers are bounded
# (its queue to the person 256 KiB, to the broker the same); the broker
# is a new process after each kill, so its bound is on a fresh broker
# against the first one.
BOUNDS = {"natterd": (1024, 0), "launcher": (1024, 0),
          "session": (1024, 0), "broker": (32768, 16)}


def note(*a):
    print("soak:", *a, flush=True)


class Person:
    """One connection: its state, buffers and what it saw."""

    def __init__(self, idx, name, room, sock, kind="person"):
        self.idx, self.name, self.room, self.sock = idx, name, room, sock
        self.kind = kind
        self.state = "prompt"
        self.inbuf = b""
        self.out = b""
        self.closed = False
        self.lost_contact = 0
        self.left_out = 0
        self.told_cut = False
        self.reading = True


class Soak:
    def __init__(self, args, srv, sock_path, build):
        self.a, self.srv, self.sock_path, self.build = args, srv, sock_path, build
        self.sel = selectors.DefaultSelector()
        self.people = []
        self.burst = []
        self.msgs = []          # id -> (sender idx, room)
        self.counts = []        # id -> bytearray over people (deliveries)
        self.members = {}       # room -> [idx]
        self.last_delivery = time.monotonic()
        self.delivered = 0
        self.events = []
        self.flooder = None
        self.flood_proc = None

    # -- connections ----------------------------------------------------
    def connect(self, name, room, kind="person", rcvbuf=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", self.srv.port))
        except BlockingIOError:
            pass
        p = Person(len(self.people) if kind != "burst" else -1, name, room,
                   s, kind)
        self.sel.register(s, selectors.EVENT_READ, p)
        return p

    def flooder_start(self):
        """natter-session -r 0 on a socketpair: flood control off for
        this one person."""
        mine, theirs = socket.socketpair()
        log = open(os.path.join(self.a.tmp, "flooder.log"), "wb")
        env = dict(os.environ, NATTER_LOG="stderr")
        self.flood_proc = subprocess.Popen(
            [self.build("natter-session"), "-r", "0", "-b", self.sock_path],
            stdin=theirs, stdout=theirs, stderr=log, env=env,
            start_new_session=True)
        theirs.close()
        log.close()
        mine.setblocking(False)
        p = Person(len(self.people), "flooder", FLOOD_ROOM, mine, "flooder")
        self.people.append(p)
        self.sel.register(mine, selectors.EVENT_READ, p)
        return p

    def send(self, p, data):
        if p.closed:
            return
        p.out += data
        self.flush(p)

    def flush(self, p):
        while p.out and not p.closed:
            try:
                n = p.sock.send(p.out)
            except BlockingIOError:
                break
            except OSError:
                self.close(p)
                return
            p.out = p.out[n:]
        self.interest(p)

    def interest(self, p):
        if p.closed:
            return
        ev = (selectors.EVENT_READ if p.reading else 0) | (
            selectors.EVENT_WRITE if p.out else 0)
        if ev:
            self.sel.modify(p.sock, ev, p)
        else:
            self.sel.unregister(p.sock)
            p.state = "unwatched"

    def close(self, p):
        if p.closed:
            return
        p.closed = True
        p.closed_at = time.monotonic()
        if p.state != "unwatched":
            self.sel.unregister(p.sock)
        p.sock.close()

    # -- input ------------------------------------------------------------
    def on_event(self, p, mask):
        if mask & selectors.EVENT_WRITE:
            self.flush(p)
        if p.closed or not (mask & selectors.EVENT_READ):
            return
        try:
            data = p.sock.recv(262144)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.close(p)
            return
        if p.kind == "burst":
            self.burst_input(p, data)
            return
        p.inbuf += data
        if p.state == "prompt":
            if b"ID: " not in p.inbuf:
                return
            p.inbuf = p.inbuf[p.inbuf.index(b"ID: ") + 4:]
            p.state = "login"
            self.send(p, p.name.encode() + b"\r\n")
        lines = p.inbuf.split(b"\n")
        p.inbuf = lines.pop()
        for line in lines:
            self.on_line(p, line)

    def on_line(self, p, line):
        i = line.find(TAG)
        if i >= 0 and p.state == "ready":
            w = line[i + len(TAG):].split()
            if len(w) >= 2 and w[1].isdigit():
                self.delivery(p, int(w[1]))
                return
        if p.state == "login" and b"-----Chatting Room-----" in line:
            p.state = "joining"
            self.send(p, b"/join %s\r\n" % p.room.encode())
        elif p.state == "joining" and (
                b" in %s with: " % p.room.encode() in line or
                b"alone in %s." % p.room.encode() in line):
            p.state = "ready"
            if p.kind == "stalled":
                p.reading = False   # from now on, never read
                self.interest(p)
        elif line.startswith(b"*** "):
            if b"Lost contact" in line:
                p.lost_contact += 1
            if b"too far behind" in line or b"cut off" in line:
                p.told_cut = True
            if b"left out" in line:     # a catch-up shorter than missed
                w = line.split()
                p.left_out += int(w[1]) if w[1].isdigit() else 1

    def delivery(self, p, mid):
        if 0 <= mid < len(self.counts):
            c = self.counts[mid]
            if c[p.idx] < 255:
                c[p.idx] += 1
            self.delivered += 1
            self.last_delivery = time.monotonic()

    def burst_input(self, p, data):
        buf = p.inbuf + data    # only the markers matter: keep a tail
        p.inbuf = buf[-64:]
        if p.state == "prompt" and b"ID: " in buf:
            p.state = "login"
            p.inbuf = b""
            self.send(p, p.name.encode() + b"\r\n")
        elif p.state == "login" and b"-----Chatting Room-----" in buf:
            p.state = "in"
            p.inbuf = b""
            self.send(p, b"/exit\r\n")
        elif p.state == "in" and b"Goodbye." in buf:
            p.state = "done"

    # -- the loop -----------------------------------------------------------
    def pump(self, timeout):
        for key, mask in self.sel.select(timeout):
            self.on_event(key.data, mask)

    def pump_until(self, pred, timeout, what):
        end = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > end:
                raise RuntimeError("timed out: " + what)
            self.pump(0.05)

    def say(self, p, room):
        mid = len(self.msgs)
        self.msgs.append((p.idx, room))
        self.counts.append(bytearray(len(self.people)))
        self.send(p, b"%s%d %d\r\n" % (TAG, p.idx, mid))
        return mid

    def flood_line(self, mid):
        pad = b"x" * (FLOOD_LINE - 24)
        return b"%s%d %d %s\r\n" % (TAG, self.flooder.idx, mid, pad)

    # -- phases -------------------------------------------------------------
    def login_all(self):
        """Everyone in, and in their rooms, before any line is said (a
        /join's replay would show earlier lines a second time)."""
        a = self.a
        for i in range(a.people):
            room = FLOOD_ROOM if i < FLOOD_READERS else "soak%d" % (
                i % a.rooms)
            self.people.append(self.connect("p%d" % i, room))
            while sum(1 for p in self.people if p.state not in
                      ("ready", "unwatched")) >= 64:
                self.pump(0.05)
        stalled = self.connect("stalled", FLOOD_ROOM, "stalled", 4096)
        self.people.append(stalled)
        self.flooder = self.flooder_start()
        self.pump_until(lambda: all(p.state in ("ready", "unwatched")
                                    for p in self.people), 300,
                        "every log-in and join")
        for p in self.people:
            if p.kind != "stalled":
                self.members.setdefault(p.room, []).append(p.idx)
        self.stalled = stalled

    def expected(self, mid):
        sender, room = self.msgs[mid]
        return [i for i in self.members[room] if i != sender]

    def tally(self):
        """(expected, lost, doubled, what was lost): the lines lost to
        anyone (first, last, how many; flood or steady) and who."""
        lost = doubled = expect = 0
        mids, who = [], set()
        for mid, c in enumerate(self.counts):
            missed = 0
            for i in self.expected(mid):
                expect += 1
                if c[i] == 0:
                    lost += 1
                    missed += 1
                    who.add(self.people[i].name)
                elif c[i] > 1:
                    doubled += 1
            if missed:
                mids.append(mid)
        ex = ""
        if mids:
            flood = sum(1 for m in mids if self.msgs[m][1] == FLOOD_ROOM)
            ex = ("%d lines (%d of the flood), ids %d-%d, missed by %d "
                  "people: %s" % (len(mids), flood, mids[0], mids[-1],
                                  len(who), ", ".join(sorted(who)[:8])))
        return expect, lost, doubled, ex

    def broker_pid(self):
        _, others = run.natter_procs(self.srv)
        for p in others:
            try:
                if os.path.basename(os.readlink("/proc/%d/exe" % p)) == \
                        "natter-broker":
                    return p
            except OSError:
                pass
        return None

    def kill_broker(self):
        pid = self.broker_pid()
        if pid:
            os.kill(pid, signal.SIGKILL)
            self.events.append("broker %d SIGKILLed" % pid)
        else:
            self.events.append("no broker to kill")

    def burst_start(self):
        for i in range(self.a.burst):
            self.burst.append(self.connect("b%d" % i, "lobby", "burst"))
        self.events.append("burst of %d connections" % self.a.burst)

    def flood_feed(self):
        f = self.flooder
        while self.flood_left > 0 and len(f.out) < 262144 and not f.closed:
            mid = len(self.msgs)
            self.msgs.append((f.idx, FLOOD_ROOM))
            self.counts.append(bytearray(len(self.people)))
            f.out += self.flood_line(mid)
            self.flood_left -= 1
        self.flush(f)

    def chat(self, t0, secs, measure_at, on_measure):
        """The steady chat with the faults on schedule."""
        a = self.a
        talkers = [p for p in self.people if p.kind == "person"]
        rng = random.Random(19)
        sent = 0
        self.flood_left = 0
        kills = [t for t in range(a.kill_every, secs - 15, a.kill_every)]
        todo = sorted([(t, "kill") for t in kills] +
                      [(secs * 0.3, "flood"), (secs * 0.45, "hup"),
                       (secs * 0.6, "burst"), (measure_at, "measure")])
        while True:
            now = time.monotonic() - t0
            if now >= secs:
                break
            while todo and todo[0][0] <= now:
                what = todo.pop(0)[1]
                note("%4.0f s: %s" % (now, what))
                if what == "kill":
                    self.kill_broker()
                elif what == "flood":
                    self.flood_left = a.flood
                    self.events.append("flood of %d lines" % a.flood)
                elif what == "hup":
                    os.kill(self.srv.proc.pid, signal.SIGHUP)
                    self.events.append("SIGHUP to natterd")
                elif what == "burst":
                    self.burst_start()
                else:
                    on_measure()
            while sent < now * a.rate:
                p = rng.choice(talkers)
                self.say(p, p.room)
                sent += 1
            if self.flood_left:
                self.flood_feed()
            self.pump(min(0.05, max(0.0, (sent + 1) / a.rate - now)))
        return sent

    def drain(self):
        """Until every expected delivery came, or none for 30 s."""
        expect = self.tally()[0]
        end = time.monotonic() + 300
        while self.delivered < expect and time.monotonic() < end and \
                time.monotonic() - self.last_delivery < 30:
            if self.flood_left:
                self.flood_feed()
            self.pump(0.2)
        # the burst's last ones out
        self.pump_until(lambda: all(b.closed or b.state == "done"
                                    for b in self.burst), 60,
                        "the burst to leave")

    def stalled_outcome(self):
        """Reads what the stalled reader was sent: cut off = its
        connection ended (end of file, or a reset: the session closed
        with the reader's unread lines still queued, within 20 s)."""
        s = self.stalled
        if s.closed:
            return True
        s.sock.setblocking(True)
        s.sock.settimeout(20)
        got, ended = b"", False
        try:
            while True:
                d = s.sock.recv(1 << 20)
                if not d:
                    break
                got = (got + d)[-8192:]
            ended = True
        except ConnectionResetError:
            ended = True
        except (socket.timeout, OSError):
            pass
        s.told_cut = b"too far behind" in got or b"cut off" in got
        s.closed = ended
        return ended


def proc_stat(pid):
    """(RSS KiB, descriptors) of pid, or None if it is gone."""
    try:
        fds = len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None
    return run.proc_field(pid, "status", "VmRSS"), fds


def snapshot(soak, sample=None):
    """{label: (kind, pid, rss, fds)} of natterd, launchers, the broker
    and a sample of sessions (the same pids at the end)."""
    handlers, others = run.natter_procs(soak.srv)
    out = {"natterd": ("natterd", soak.srv.proc.pid)}
    for n, p in enumerate(sorted(x for x in others if run.is_launcher(x))):
        out["launcher%d" % n] = ("launcher", p)
    b = soak.broker_pid()
    if b:
        out["broker"] = ("broker", b)
    if sample is None:
        sample = random.Random(7).sample(sorted(handlers),
                                         min(10, len(handlers)))
    for n, p in enumerate(sample):
        out["session%d" % n] = ("session", p)
    return {k: (kind, pid, proc_stat(pid)) for k, (kind, pid) in out.items()}


def compare(start, end):
    """Lines of the table, and the bounds passed."""
    lines, bad = [], []
    lines.append("%-10s %-8s %8s %8s %6s %6s  %s" % (
        "process", "kind", "rss0 KiB", "rss1 KiB", "fds0", "fds1", "bound"))
    for label, (kind, pid, st0) in start.items():
        kind1, pid1, st1 = end.get(label, (kind, None, None))
        rb, fb = BOUNDS[kind]
        if st0 is None or st1 is None:
            lines.append("%-10s %-8s (pid %s gone)" % (label, kind, pid))
            if kind != "session":
                bad.append("%s gone" % label)
            continue
        grew = st1[0] - st0[0] > rb or st1[1] - st0[1] > fb
        lines.append("%-10s %-8s %8d %8d %6d %6d  +%d KiB, +%d fds%s" % (
            label, kind, st0[0], st1[0], st0[1], st1[1], rb, fb,
            "  GREW" if grew else ""))
        if grew:
            bad.append("%s grew past its bound" % label)
    return lines, bad


def verdict(soak, sent, snaps, burst_ok, stalled_cut):
    expect, lost, doubled, ex = soak.tally()
    bad = []
    note("lines: %d steady + %d flood sent; deliveries expected %d, "
         "delivered %d, lost %d, doubled %d" % (
             sent, soak.a.flood, expect, soak.delivered, lost, doubled))
    if lost or doubled:
        bad.append("%d lost, %d doubled (%s)" % (lost, doubled, ex))
    cut = [p.name for p in soak.people if p.closed and p.kind != "stalled"]
    # (a reader that never reads cannot be told why: the notice waits
    # behind what it did not read, and the session ends with it unsent)
    note("cut off: stalled %s (the notice reached it: %s); others: %s" % (
        "yes" if stalled_cut else "NO", "yes" if soak.stalled.told_cut
        else "no", ", ".join(cut[:10]) or "none"))
    if cut:
        bad.append("%d people cut off besides the stalled one" % len(cut))
    if not stalled_cut:
        bad.append("the stalled reader was not cut off")
    note("reconnects seen (Lost contact notices): %d over %d people" % (
        sum(p.lost_contact for p in soak.people),
        sum(1 for p in soak.people if p.lost_contact)))
    note("catch-ups that left lines out: %d lines over %d people" % (
        sum(p.left_out for p in soak.people),
        sum(1 for p in soak.people if p.left_out)))
    note("burst: %d of %d logged in and out" % (burst_ok, soak.a.burst))
    if burst_ok < soak.a.burst:
        bad.append("burst: only %d of %d" % (burst_ok, soak.a.burst))
    lines, grew = compare(*snaps)
    for line in lines:
        note(line)
    return bad + grew


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--seconds", type=int,
                    default=int(os.environ.get("SOAK_SECONDS", "600")))
    ap.add_argument("--people", type=int, default=1000)
    ap.add_argument("--rooms", type=int, default=10)
    ap.add_argument("--rate", type=float, default=30.0,
                    help="steady lines/s in all")
    ap.add_argument("--kill-every", type=int, default=60)
    ap.add_argument("--flood", type=int, default=8000,
                    help="lines of %d bytes" % FLOOD_LINE)
    ap.add_argument("--burst", type=int, default=2000)
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    b = lambda name: os.path.join(build, name)  # noqa: E731
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    need = a.people + a.burst + 100
    if hard < need:
        note("the hard descriptor limit %d is below %d" % (hard, need))
        return 111
    a.tmp = tempfile.mkdtemp(prefix="natter-soak-")
    srv = soak = None
    try:
        srv = scale.start_natterd(b, a.tmp, need, 1024)
        sock = os.path.join(a.tmp, "run", "broker.sock")
        soak = Soak(a, srv, sock, b)
        t = time.monotonic()
        soak.login_all()
        note("%d people, the stalled reader and the flooder in, %.1f s" % (
            a.people, time.monotonic() - t))
        snaps = []
        t0 = time.monotonic()
        sent = soak.chat(t0, a.seconds, min(30, a.seconds * 0.1),
                         lambda: snaps.append(snapshot(soak)))
        note("chat over after %.0f s; waiting for the last deliveries"
             % (time.monotonic() - t0))
        soak.drain()
        stalled_cut = soak.stalled_outcome()
        sample = [pid for k, (kind, pid, _) in snaps[0].items()
                  if kind == "session"]
        snaps.append(snapshot(soak, sample))
        burst_ok = sum(1 for x in soak.burst if x.state == "done")
        for e in soak.events:
            note("event:", e)
        bad = verdict(soak, sent, snaps, burst_ok, stalled_cut)
    except RuntimeError as e:
        note("could not run:", e)
        if srv:
            note(srv.text()[-1500:])
        return 111
    finally:
        if soak and soak.flood_proc:
            soak.flood_proc.kill()
            soak.flood_proc.wait()
        if srv:
            srv.stop()
            # the logs of the last run stay beside the temporary
            # directory: natterd's (broker and sessions) and the
            # flooder's session
            keep = os.path.join(a.tmp, "..", "natter-soak-last.log")
            with open(keep, "w") as f:
                f.write(srv.text())
            try:
                shutil.copy(os.path.join(a.tmp, "flooder.log"),
                            keep.replace(".log", "-flooder.log"))
            except OSError:
                pass
        shutil.rmtree(a.tmp, ignore_errors=True)
    for why in bad:
        note("FAIL:", why)
    note("PASS" if not bad else "FAIL")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
