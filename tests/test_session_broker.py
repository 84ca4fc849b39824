"""natter-session against a fake broker: a UNIX-socket server in this
test speaking the frames of lib/frame.h, so it can do what the real
broker never does on purpose: withhold a reply, answer without marking
the ends of its replies (an older broker), refuse a log-in right after a
reconnect.  What the person sees is read from the session's stdout."""
import os
import re
import socket
import struct
import time

from harness import tmpdir, DEFAULT_TIMEOUT
from test_chat import PipeSession

# lib/natter-protocol.h
LOGIN, SAY, ME, PRIV, JOIN, WHO, ROOMS = range(1, 8)
OK, ERR, MSG, ACTION, PRIVATE, JOINED, LEFT, INFO, KICK = range(64, 73)
REJOIN, LAST, MARKS_LAST, FATAL = 0x01, 0x02, 0x04, 0x08
VERSION = 3         # NATTER_PROTOCOL_VERSION, the high nibble of flags
REPLY_WAIT = 15.0   # handler/session.h REPLY_WAIT_MS


def encode(ftype, flags=0, a=b"", b=b"", text=b""):
    payload = bytes([len(a)]) + a + bytes([len(b)]) + b + text
    return struct.pack(">HBB", len(payload), ftype, flags) + payload


class Frame:
    def __init__(self, ftype, flags, payload):
        self.type, self.flags = ftype, flags
        alen = payload[0]
        self.a = payload[1:1 + alen]
        blen = payload[1 + alen]
        self.b = payload[2 + alen:2 + alen + blen]
        self.text = payload[2 + alen + blen:]

    def __repr__(self):
        return "Frame(%d, %#x, %r, %r, %r)" % (self.type, self.flags, self.a,
                                              self.b, self.text)


class Handler:
    """The broker's end of one natter-session's connection."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def frame(self, timeout=DEFAULT_TIMEOUT):
        """The next frame from the session, or None if none comes within
        timeout seconds (or the session closed)."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 4:
                n, ftype, flags = struct.unpack(">HBB", self.buf[:4])
                if len(self.buf) >= 4 + n:
                    payload, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
                    return Frame(ftype, flags, payload)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not data:
                return None
            self.buf += data

    def expect(self, ftype, timeout=DEFAULT_TIMEOUT):
        f = self.frame(timeout)
        assert f is not None and f.type == ftype, (ftype, f)
        return f

    def send(self, ftype, flags=0, a=b"", b=b"", text=b""):
        self.sock.sendall(encode(ftype, flags, a, b, text))

    def close(self):
        self.sock.close()


class FakeBroker:
    def __init__(self):
        self.path = os.path.join(tmpdir(), "broker.sock")
        self.listen()

    def listen(self):
        self.lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.lsock.bind(self.path)
        self.lsock.listen(8)

    def accept(self, timeout=DEFAULT_TIMEOUT):
        self.lsock.settimeout(timeout)
        s, _ = self.lsock.accept()
        return Handler(s)

    def gone(self):
        """No broker at the path any more: connecting fails."""
        self.lsock.close()
        os.unlink(self.path)


def logged_in(broker, session, name, flags):
    """Takes the session's LOGIN for name and answers OK with flags."""
    h = broker.accept()
    session.send(name)
    f = h.expect(LOGIN)
    assert f.a == name.encode(), f
    h.send(OK, flags | VERSION << 4, a=f.a, b=f.b)   # a broker of ours
    session.out.wait(re.escape("-----Chatting Room-----"))
    return h


def test_withheld_reply_times_out_and_lines_go_on():
    """A broker that marks reply ends but never answers /who: the lines
    typed after it wait for the reply's deadline (15 s), then the person
    is told and they go on; a late reply is still shown, and the next
    request is waited for again.  Takes about 16 s: the deadline is a
    safety net for a broker bug, not something an operator would set,
    so there is no option to shorten it."""
    broker = FakeBroker()
    s = PipeSession(broker.path)
    h = logged_in(broker, s, "ann", MARKS_LAST | LAST)
    s.send("/who")
    s.send("said after who")
    h.expect(WHO)
    asked = time.monotonic()
    f = h.expect(SAY, timeout=REPLY_WAIT + DEFAULT_TIMEOUT)
    waited = time.monotonic() - asked
    assert f.text == b"said after who", f
    assert REPLY_WAIT - 0.5 < waited < REPLY_WAIT + 5, waited
    s.out.wait(re.escape("*** No answer from the chat service in time; "
                         "going on without it.\r"))
    s.err.wait(r"no reply from the broker to request type 6 in 15000 ms; "
               r"taking lines again")
    h.send(INFO, LAST, text=b"In lobby (1): ann")        # late, still shown
    s.out.wait(re.escape("*** In lobby (1): ann\r"))
    s.send("/rooms")
    s.send("said after rooms")
    h.expect(ROOMS)
    assert h.frame(timeout=0.5) is None                  # held again
    h.send(INFO, LAST, text=b"Rooms (1): lobby (1)")
    s.out.wait(re.escape("*** Rooms (1): lobby (1)\r"))
    assert h.expect(SAY).text == b"said after rooms"
    s.send("/exit")
    s.out.wait(re.escape("*** Goodbye.\r"))
    assert s.p.wait(timeout=DEFAULT_TIMEOUT) == 0
    assert s.out.text().count("No answer from the chat service") == 1


def test_broker_that_does_not_mark_reply_ends():
    """An older broker (no FRAME_MARKS_LAST on the OK, no FRAME_LAST
    ever): lines are handled as they come, never held for a reply, so
    nothing waits for a deadline; its answers are shown when they
    come."""
    broker = FakeBroker()
    s = PipeSession(broker.path)
    h = logged_in(broker, s, "ann", 0)
    h.send(INFO, text=b"You are alone in lobby.")        # its greeting
    s.out.wait(re.escape("*** You are alone in lobby.\r"))
    s.send("/who")
    s.send("said after who")
    h.expect(WHO)
    f = h.expect(SAY, timeout=2)                         # not held
    assert f.text == b"said after who", f
    h.send(INFO, text=b"In lobby (1): ann")
    s.out.wait(re.escape("*** In lobby (1): ann\r"))
    s.send("/rooms")
    s.send("/exit")                                      # /rooms unanswered
    h.expect(ROOMS)
    s.out.wait(re.escape("*** Goodbye.\r"), timeout=2)
    assert s.p.wait(timeout=DEFAULT_TIMEOUT) == 0
    assert "no reply from the broker" not in s.err.text()
    assert "No answer" not in s.out.text()


def test_refused_login_after_a_reconnect_leaves_no_stale_limit():
    """The broker is lost while the LOGIN is out; the reconnect's LOGIN
    is refused (the name was taken meanwhile).  The broker answered, so
    that reconnect episode is over: a second loss, later than -R after
    the first, gets its own -R to find the broker again instead of
    giving up at the first failed try."""
    broker = FakeBroker()
    s = PipeSession(broker.path, "-R", "2")
    h = broker.accept()
    s.send("ann")
    h.expect(LOGIN)
    h.close()                                            # lost
    lost = time.monotonic()
    h = broker.accept()
    assert h.expect(LOGIN).a == b"ann"
    h.send(ERR, text=b"name in use")
    s.out.wait(re.escape("*** The name ann is already in use; choose "
                         "another.\r"))
    # Only time passing makes the first episode's limit stale: nothing
    # to poll for.
    time.sleep(max(0.0, lost + 2.3 - time.monotonic()))
    h.close()
    broker.gone()
    s.send("bob")
    typed = time.monotonic()
    # Back after a second, well within the new -R 2 (the session tries
    # at 0.1, 0.3, 0.7, 1.5 and 3.1 s); a stale limit gave up at 0.2 s.
    time.sleep(max(0.0, typed + 1.0 - time.monotonic()))
    assert s.p.poll() is None, s.out.text()
    broker.listen()
    h = broker.accept()
    f = h.expect(LOGIN)
    assert f.a == b"bob" and not f.flags & REJOIN, f
    h.send(OK, MARKS_LAST | LAST | VERSION << 4, a=b"bob", b=b"lobby")
    s.out.wait(re.escape("Log-in success!! [bob]"))
    assert "unavailable" not in s.out.text()
    s.send("hello")
    assert h.expect(SAY).text == b"hello"


def test_login_says_its_version_and_a_fatal_refusal_ends_the_session():
    """LOGIN carries the session's protocol version in the high nibble
    of its flags.  A broker that does not speak it answers with one ERR
    flagged FATAL: the person sees its text, and the session ends (111)
    instead of asking for another name."""
    broker = FakeBroker()
    s = PipeSession(broker.path)
    h = broker.accept()
    s.send("ann")
    f = h.expect(LOGIN)
    assert f.flags == VERSION << 4, f
    why = (b"natter-session speaks protocol 3; this broker speaks 4: "
           b"restart the session.")
    h.send(ERR, LAST | FATAL | 4 << 4, text=why)
    h.close()
    s.out.wait(re.escape("*** " + why.decode() + "\r"))
    assert s.p.wait(timeout=DEFAULT_TIMEOUT) == 111
    assert "choose another" not in s.out.text()
    s.err.wait(r"session of .* ended: refused by the broker")
