"""natter-session as people see it: log-in, chat, commands, leaves, and
everything it must withstand (long lines, control bytes, floods, stalled
readers, a lost broker).  Real natterd, real sockets on loopback."""
import os
import re
import select
import signal
import socket
import subprocess
import time

from harness import (Natterd, Conn, bin_path, new_pty, tmpdir, spawn,
                     wait_until, children_of, LogReader, Skip,
                     DEFAULT_TIMEOUT)

SESSION = bin_path("natter-session")


def session_pid(conn):
    """The natter-session serving conn: its TCPREMOTEPORT is our port and
    its TCPLOCALPORT the server's.  Both: tests run side by side, and a
    session of another natterd may have a client on our port number (an
    ephemeral port is unique per destination, not per host); a SIGSTOP
    sent to that one once failed two tests at once."""
    ours = {b"TCPREMOTEPORT=%d" % conn.sock.getsockname()[1],
            b"TCPLOCALPORT=%d" % conn.sock.getpeername()[1]}

    def find():
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    if b"natter-session" not in f.read():
                        continue
                with open("/proc/%s/environ" % pid, "rb") as f:
                    env = f.read().split(b"\0")
            except OSError:
                continue
            if ours <= set(env):
                return int(pid)
        return None
    return wait_until(find, what="the session's pid")


def broker_pid(d):
    """natterd's child that is not a session: the broker."""
    def find():
        for pid, state in children_of(d.proc.pid):
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if state != "Z" and b"natter-session" not in cmd:
                return pid
        return None
    return wait_until(find, what="the broker's pid")


class Tail:
    """Reads a busy connection cheaply: keeps only the last bytes and
    whether a pattern has gone past."""

    def __init__(self, conn, watch=(), keep=65536):
        self.watch = set(watch)
        self.sock = conn.sock
        self.buf = b""
        self.keep = keep
        self.found = set()

    def _read(self, timeout, needle):
        r, _, _ = select.select([self.sock], [], [], timeout)
        if r:
            data = self.sock.recv(1 << 20)
            for n in self.watch | {needle}:
                if n in self.buf[-len(n):] + data:
                    self.found.add(n)
            self.buf = (self.buf + data)[-self.keep:]
        if needle in self.buf:
            self.found.add(needle)

    def seen(self, needle):
        self._read(0, needle)
        return needle in self.found

    def expect(self, needle, timeout):
        deadline = time.monotonic() + timeout
        while needle not in self.found:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("never saw %r; last: %r"
                                     % (needle, self.buf[-300:]))
            self._read(left, needle)


def expect_all(conn, literals, timeout=DEFAULT_TIMEOUT):
    """Waits until every literal has arrived, in any order."""
    deadline = time.monotonic() + timeout
    while not all(x in conn.text for x in literals):
        left = deadline - time.monotonic()
        if left <= 0 or conn.eof:
            raise AssertionError("expected all of %r; got %r"
                                 % (literals, conn.text[-2000:]))
        conn._fill(min(left, 0.5))


def make_users(*pairs):
    path = os.path.join(tmpdir(), "users")
    for name, pw in pairs:
        p = subprocess.run([bin_path("natter-passwd"), "-f", path, name],
                           input=(pw + "\n").encode(), capture_output=True,
                           timeout=DEFAULT_TIMEOUT)
        assert p.returncode == 0, p.stderr
    return path


def test_three_people_talk():
    d = Natterd()
    a = d.login("ann")
    a.expect("*** You are alone in lobby.")
    b = d.login("bob")
    b.expect("*** You are in lobby with: ann")
    a.expect("[bob] has joined the chat")
    c = d.login("cy")
    a.expect("[cy] has joined the chat")
    b.expect("[cy] has joined the chat")
    a.send_line("hello from ann")
    b.send_line("hi, bob here")
    c.send_line("cy says hey")
    # three senders at once: the order between them is not defined
    expect_all(a, ["[bob] : hi, bob here", "[cy] : cy says hey"])
    expect_all(b, ["[ann] : hello from ann", "[cy] : cy says hey"])
    expect_all(c, ["[ann] : hello from ann", "[bob] : hi, bob here"])
    # nobody sees their own line
    for conn, me in ((a, "ann"), (b, "bob"), (c, "cy")):
        conn.expect_none(r"\[%s\] :" % me, within=0.3)
        assert "[%s] :" % me not in conn.text
    # output lines end in CR LF
    assert b"[ann] : hello from ann\r\n" in b.raw


def test_commands():
    d = Natterd()
    a = d.login("ann")
    b = d.login("bob")
    a.expect("[bob] has joined the chat")
    a.send_line("/who")
    a.expect_re(r"\*\*\* In lobby \(2\): .*ann")
    a.send_line("/msg bob psst")
    b.expect("[ann] (private) : psst")
    a.send_line("/msg nobody hi")
    a.expect("*** No such user: nobody")
    a.send_line("/msg")
    a.expect("*** Usage: /msg NAME text")
    a.send_line("/me waves")
    b.expect("* ann waves")
    a.send_line("/rooms")
    a.expect_re(r"\*\*\* Rooms.*lobby \(2\)")
    a.send_line("/help")
    a.expect("/join ROOM")
    a.send_line("/foo bar")
    a.expect("*** Unknown command: /foo (try /help)")
    c = d.login("cy")
    b.expect("[cy] has joined the chat")
    c.send_line("/join kitchen")
    a.expect("[cy] has moved to room kitchen")
    b.expect("[cy] has moved to room kitchen")
    c.expect("kitchen")
    b.send_line("/join kitchen")
    c.expect("[bob] has come in from room lobby")   # a move (issue 12)
    b.send_line("in the kitchen")
    c.expect("[bob] : in the kitchen")
    a.expect_none(r"in the kitchen", within=0.3)
    b.send_line("/join bad room!")
    b.expect("*** Rooms are 1 to 32 letters")
    b.send_line("//slash line")
    c.expect("[bob] : /slash line")
    b.send_line("")
    b.send_line("after empty")
    c.expect("[bob] : after empty")


def test_taken_name_and_invalid_name():
    d = Natterd()
    a = d.login("ann")
    c = d.connect()
    c.expect("ID: ")
    c.send_line("no way!")
    c.expect("*** Names are 1 to 16 letters, digits, _ or -.")
    c.expect("ID: ")
    c.send_line("ann")
    c.expect("*** The name ann is already in use; choose another.")
    c.expect("ID: ")
    c.send_line("ann2")
    c.expect("Log-in success!! [ann2]")
    c.expect("-----Chatting Room-----")
    a.expect("[ann2] has joined the chat")


def test_users_file():
    users = make_users(("ann", "s3cret"), ("bob", "pw-bob"))
    with open(users) as f:
        text = f.read()
    assert text.startswith("ann:$y$") or text.startswith("ann:$6$"), text
    assert "s3cret" not in text
    assert oct(os.stat(users).st_mode & 0o777) == "0o600"
    d = Natterd("-U", users)
    a = d.login("ann", "s3cret")
    # telnet: echo offered before PW: and withdrawn after the line
    raw = a.raw
    i = raw.index(b"PW: ")
    assert raw[i - 3:i] == bytes([255, 251, 1]), raw[:i + 4]
    assert bytes([255, 252, 1]) in raw[i:]
    assert b"Log-in success!! [ann]" in raw
    a.expect("*** You are alone in lobby.")
    # wrong password, wrong name: the same answer; the third ends it
    c = d.connect()
    for name, pw in (("ann", "nope"), ("zed", "s3cret")):
        c.expect("ID: ")
        c.send_line(name)
        c.expect("PW: ")
        start = time.monotonic()
        c.send_line(pw)
        c.expect("Login incorrect.")
        assert time.monotonic() - start >= 0.8
    c.expect("ID: ")
    c.send_line("bob")
    c.expect("PW: ")
    c.send_line("s3cret")
    c.expect("Login incorrect.")
    c.expect("*** Too many failures; goodbye.")
    c.expect_closed()
    d.log.wait(r'failed log-in for "zed" from 127\.0\.0\.1')
    assert "nope" not in d.log.text()
    # the same user again, with the password: takes the name over
    # (test_moderation has more), the first session is told and ends
    c = d.connect()
    c.expect("ID: ")
    c.send_line("ann")
    c.expect("PW: ")
    c.send_line("s3cret")
    c.expect("-----Chatting Room-----")
    a.expect("*** You logged in elsewhere; this session ends.")
    a.expect_closed()
    b = d.login("bob", "pw-bob")
    b.send_line("still there?")
    c.expect("[bob] : still there?")


def test_leave_notices():
    d = Natterd()
    a = d.login("ann")
    b = d.login("bob")
    c = d.login("cy")
    e = d.login("dee")
    b.send_line("/exit")
    b.expect("*** Goodbye.")
    b.expect_closed()
    a.expect("[bob] has left the chat")
    c.close()
    a.expect("[cy] has left the chat")
    os.kill(session_pid(e), signal.SIGKILL)
    a.expect("[dee] has left the chat")
    e.expect_closed()
    f = d.login("eve")
    f.send_line("/quit")
    a.expect("[eve] has left the chat")


def test_broker_killed_chat_resumes():
    d = Natterd()
    a = d.login("ann")
    b = d.login("bob")
    a.expect("[bob] has joined the chat")
    os.kill(broker_pid(d), signal.SIGKILL)
    for conn in (a, b):
        conn.expect("*** Lost contact with the chat service; "
                    "reconnecting.\r\n")
    for conn in (a, b):
        conn.expect("*** Reconnected.", timeout=30)
    a.send_line("back again")
    b.expect("[ann] : back again")
    b.send_line("/who")
    b.expect_re(r"In lobby \(2\)")


def test_stalled_reader_is_cut_off():
    d = Natterd(handler=[SESSION, "-r", "0"])
    a = d.login("ann")
    b = d.login("bob")
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((d.host, d.port))
    slow = Conn(sock=s)
    slow.expect("ID: ")
    slow.send_line("slow")
    slow.expect("-----Chatting Room-----")
    pid = session_pid(slow)
    # From now on, slow never reads again.  The kernel's buffers take
    # some megabytes first (send buffers grow up to tcp_wmem's maximum).
    line = "x" * 1000
    rss = []
    tail = Tail(b, watch=[b"[slow] has left the chat"])
    for batch in range(100):
        a.send(b"".join(b"%d %s\r\n" % (batch * 100 + i, line.encode())
                        for i in range(100)))
        # the others are not held up by the stalled one
        tail.expect(b"[ann] : %d x" % (batch * 100 + 99), timeout=1.0)
        try:
            with open("/proc/%d/status" % pid) as f:
                for l in f:
                    if l.startswith("VmRSS:"):
                        rss.append(int(l.split()[1]))
        except OSError:
            pass
        if tail.seen(b"[slow] has left the chat"):
            break
    tail.expect(b"[slow] has left the chat", timeout=5)
    # bounded: no growth past the queue's bound and some slack (KiB).
    # Under AddressSanitizer freed memory stays resident in its quarantine
    # (256 MiB by default), so there only a looser bound means anything.
    slack = 64 * 1024 if os.environ.get("NATTER_SANITIZERS") else 4 * 1024
    assert rss and max(rss) - rss[0] < slack, rss
    d.log.wait(r"too far behind")


def test_long_lines():
    d = Natterd()
    a = d.login("ann")
    b = d.login("bob")
    a.send_line("y" * 1024)
    b.expect("[ann] : " + "y" * 1024 + "\r\n")
    a.send_line("z" * 2000)
    a.expect("*** Line too long (over 1024 bytes); not sent.")
    a.send_line("short one")
    b.expect("[ann] : short one")
    assert "zzzz" not in b.text
    # 100 KB and no line end: refused once, the session survives
    a.send(b"w" * 100000)
    a.expect("*** Line too long (over 1024 bytes); not sent.")
    a.send_line("")
    a.send_line("still alive")
    b.expect("[ann] : still alive")
    assert "www" not in b.text
    assert a.text.count("Line too long") == 2


def test_control_bytes_and_utf8():
    d = Natterd()
    a = d.login("ann")
    b = d.login("bob")
    a.send_line(b"esc\x1b[2Jnul\x00x\x07bel\x7fdel\tc1\xc2\x9bend")
    m = b.expect_re(r"\[ann\] : (.*)\r\n")
    # DEL erases the character before it (natter-session(8), editing)
    assert m.group(1) == "esc[2Jnulxbedel c1end", repr(m.group(1))
    raw_line = b.raw[b.raw.rindex(b"[ann]"):]
    for bad in (b"\x1b", b"\x00", b"\x07", b"\x7f", b"\xc2\x9b"):
        assert bad not in raw_line
    # (0xff would be telnet's IAC: other invalid bytes here)
    a.send_line(b"bad \xfe\xc0 utf8 \xc3\xa9")
    b.expect("[ann] : bad \ufffd\ufffd utf8 \u00e9")
    a.send_line(b"/me \x1b]0;title\x07 waves")
    m = b.expect_re(r"\* ann (.*)\r\n")
    assert "\x1b" not in m.group(1) and "\x07" not in m.group(1)


def test_flood_is_throttled_not_dropped():
    d = Natterd()
    a = d.login("ann")
    b = d.login("bob")
    a.send(b"".join(b"line %d\r\n" % i for i in range(25)))
    a.expect("*** You are sending too fast; your lines are being delayed.")
    start = time.monotonic()
    b.expect("[ann] : line 24", timeout=15)
    elapsed = time.monotonic() - start
    got = [int(l.split()[-1]) for l in b.text.splitlines()
           if l.startswith("[ann] : line")]
    assert got == list(range(25)), got
    assert elapsed > 1.5, elapsed     # 15 lines past the burst at 5/s
    assert a.text.count("sending too fast") == 1


def test_login_timeout():
    d = Natterd(handler=[SESSION, "-t", "1"])
    c = d.connect()
    c.expect("ID: ")
    start = time.monotonic()
    c.expect("*** Login timed out.", timeout=5)
    c.expect_closed()
    assert 0.5 < time.monotonic() - start < 4


def test_idle_timeout():
    d = Natterd(handler=[SESSION, "-i", "1"])
    a = d.login("ann")
    a.expect("*** Idle for too long; goodbye.", timeout=5)
    a.expect_closed()


def test_line_ends_and_telnet():
    d = Natterd()
    b = d.login("bob")
    a = d.connect()
    a.expect("ID: ")
    # negotiation is refused once and never shows as text
    a.send(bytes([255, 251, 24, 255, 253, 3, 255, 250, 24, 1, 255, 240]))
    a.send_line("ann", eol=b"\r\0")
    a.expect("-----Chatting Room-----")
    raw = a.raw
    assert bytes([255, 254, 24]) in raw and bytes([255, 252, 3]) in raw
    a.send(bytes([255, 251, 24]))   # asked again: no second answer
    a.send_line("bare cr", eol=b"\r")
    b.expect("[ann] : bare cr")
    a.send_line("cr nul", eol=b"\r\0")
    b.expect("[ann] : cr nul")
    a.send_line("just lf", eol=b"\n")
    b.expect("[ann] : just lf")
    a.send(b"split \xff\xff iac\r")
    b.expect("[ann] : split \ufffd iac")
    assert a.raw.count(bytes([255, 254, 24])) == 1


def ann_at_password_prompt():
    """natterd with a users file holding ann, and a connection that has
    given her name and been asked for her password."""
    d = Natterd("-U", make_users(("ann", "s3cret")))
    c = d.connect()
    c.expect("ID: ")
    c.send_line("ann")
    c.expect("PW: ")
    return d, c


def test_dont_echo_is_acknowledged_once():
    """A telnet client that agreed to our echo for the password and then
    takes it back (DONT ECHO) is answered WONT ECHO once (RFC 854), not
    again for a repeated DONT, and not once more after the password:
    the echo is already off.  Log-in and chat go on."""
    d, c = ann_at_password_prompt()
    will, wont, do, dont = (bytes([255, v, 1]) for v in (251, 252, 253, 254))
    start = c.raw.index(b"PW: ")
    assert c.raw[start - 3:start] == will, c.raw
    c.send(do)                              # agreed: the server echoes
    c.send(dont)                            # and now it must not

    def answered():
        c._fill(0.05)
        return wont in c.raw[start:]
    wait_until(answered, what="IAC WONT ECHO")
    c.send(dont + dont)                     # already off: no answer
    c.send_line("s3cret")
    c.expect("-----Chatting Room-----")
    c.expect("*** You are alone in lobby.")
    c.send_line("/who")
    c.expect("*** In lobby (1): ann")
    assert c.raw.count(wont) == 1, c.raw
    assert c.raw.count(will) == 1, c.raw


def test_sigterm_says_goodbye():
    d = Natterd()
    a = d.login("ann")
    os.kill(session_pid(a), signal.SIGTERM)
    a.expect("*** The server is shutting down. Goodbye.")
    a.expect_closed()
    d.log.wait(r"exit 0")


def test_motd():
    path = os.path.join(tmpdir(), "motd")
    with open(path, "wb") as f:
        f.write(b"Welcome\x1b[5m to the\r\nsecond line\x07\n")
    d = Natterd("-M", path)
    c = d.connect()
    c.expect("Welcome[5m to the\r\nsecond line\r\nID: ")
    assert b"\x1b" not in c.raw and b"\x07" not in c.raw


class Broker:
    """`natterd -B`: the broker alone, on a socket in a fresh directory
    (or on sock, to stand in for one that died)."""

    def __init__(self, sock=None):
        self.sock = sock or os.path.join(tmpdir(), "run", "broker.sock")
        self.proc = spawn([bin_path("natterd"), "-f", "-B", "-s",
                           self.sock, "-D", os.path.join(os.path.dirname(
                               os.path.dirname(self.sock)), "state")],
                          stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.log = LogReader(self.proc.stderr)
        self.log.wait(r"broker listening on")

    def kill(self):
        self.proc.kill()
        self.proc.wait(timeout=DEFAULT_TIMEOUT)


def broker_alone():
    return Broker().sock


# Where a person's address may come from; a test sets only its own.
ADDRESS_VARS = ("TCPREMOTEIP", "TCPREMOTEPORT", "REMOTE_ADDR", "REMOTE_PORT",
                "REMOTE_HOST", "SSH_CLIENT")


class PipeSession:
    """natter-session on pipes, the way a terminal user or a script runs
    it."""

    def __init__(self, sock, *args, env=None, stdin=subprocess.PIPE,
                 stdout=subprocess.PIPE):
        e = {k: v for k, v in os.environ.items() if k not in ADDRESS_VARS}
        e.update(NATTER_LOG="stderr", **(env or {}))
        self.p = spawn([SESSION, "-b", sock] + list(args),
                       stdin=stdin, stdout=stdout,
                       stderr=subprocess.PIPE, env=e)
        self.out = LogReader(self.p.stdout) if self.p.stdout else None
        self.err = LogReader(self.p.stderr)

    def send(self, line):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()


def test_pipes():
    sock = broker_alone()
    a = PipeSession(sock)
    a.out.wait(r"^Please, Log-In!")
    a.send("ann")
    a.out.wait(r"Log-in success!! \[ann\]")
    b = PipeSession(sock)
    b.send("bob")
    b.out.wait(r"You are in lobby with: ann")
    a.send("hello over a pipe")
    b.out.wait(r"^\[ann\] : hello over a pipe\r$")
    assert "hello over a pipe" not in a.out.text()
    a.p.stdin.close()
    b.out.wait(r"\[ann\] has left the chat")
    assert a.p.wait(timeout=DEFAULT_TIMEOUT) == 0


def test_no_broker():
    p = subprocess.run([SESSION, "-b", "/nonexistent/broker.sock"],
                       input=b"", capture_output=True,
                       env=dict(os.environ, NATTER_LOG="stderr"),
                       timeout=DEFAULT_TIMEOUT)
    assert p.returncode == 111
    assert (b"*** The chat service is unavailable; try again later.\r\n"
            in p.stdout)
    assert b"/nonexistent" not in p.stdout     # the path is for the log
    assert b"no broker at /nonexistent/broker.sock" in p.stderr


def test_bad_usage():
    p = subprocess.run([SESSION, "-t", "soon"], input=b"",
                       capture_output=True, timeout=DEFAULT_TIMEOUT,
                       env=dict(os.environ, NATTER_LOG="stderr"))
    assert p.returncode == 100
    assert b"usage: natter-session" in p.stderr
    # no time at all to log in is a mistake, not "the default"
    p = subprocess.run([SESSION, "-t", "0"], input=b"",
                       capture_output=True, timeout=DEFAULT_TIMEOUT,
                       env=dict(os.environ, NATTER_LOG="stderr"))
    assert p.returncode == 100
    assert b'bad number "0" (1 to 86400)' in p.stderr


def test_terminal_password_not_echoed():
    import pty
    import termios
    sock = broker_alone()
    users = make_users(("ann", "tty-pw"))
    master, slave = pty.openpty()
    env = dict(os.environ, NATTER_LOG="stderr")
    p = spawn([SESSION, "-b", sock, "-U", users], stdin=slave, stdout=slave,
              stderr=subprocess.PIPE, env=env)
    LogReader(p.stderr)
    got = b""

    def read_until(token):
        nonlocal got
        deadline = time.monotonic() + DEFAULT_TIMEOUT
        while token not in got:
            left = deadline - time.monotonic()
            assert left > 0, "never got %r: %r" % (token, got)
            r, _, _ = select.select([master], [], [], left)
            if r:
                got += os.read(master, 4096)

    def echo_on():
        return bool(termios.tcgetattr(slave)[3] & termios.ECHO)

    read_until(b"ID: ")
    assert echo_on()
    os.write(master, b"ann\n")
    read_until(b"PW: ")
    wait_until(lambda: not echo_on(), what="echo off at PW:")
    os.write(master, b"tty-pw\n")
    read_until(b"-----Chatting Room-----")
    assert b"tty-pw" not in got
    assert echo_on()
    assert b"\xff" not in got          # no telnet on a terminal
    os.write(master, b"/exit\n")
    assert p.wait(timeout=DEFAULT_TIMEOUT) == 0
    os.close(master)
    os.close(slave)


def test_inetd_style_log_never_on_the_socket():
    """Under inetd fds 0, 1 and 2 are all the socket: the log must go to
    syslog even when NATTER_LOG=stderr asks for stderr."""
    sock = broker_alone()
    ours, theirs = socket.socketpair()
    env = dict(os.environ, NATTER_LOG="stderr")
    p = spawn([SESSION, "-b", sock, "-x"], stdin=theirs, stdout=theirs,
              stderr=theirs, env=env)
    theirs.close()
    assert p.wait(timeout=DEFAULT_TIMEOUT) == 100   # bad option, logged
    ours.settimeout(DEFAULT_TIMEOUT)
    assert ours.recv(4096) == b""                   # ...but not here
    ours.close()
    ours, theirs = socket.socketpair()
    p = spawn([SESSION, "-b", sock], stdin=theirs, stdout=theirs,
              stderr=theirs, env=env)
    theirs.close()
    c = Conn(sock=ours)
    c.expect("ID: ")
    c.send_line("ann")
    c.expect("-----Chatting Room-----")
    c.send_line("/exit")
    c.expect_closed()
    assert p.wait(timeout=DEFAULT_TIMEOUT) == 0
    assert "natter-session[" not in c.text, c.text
    assert "usage" not in c.text


def test_sigint_on_a_terminal_and_elsewhere():
    """^C at a terminal is the person leaving; on a socket it is an
    operator's ^C reaching the server's process group."""
    import pty
    sock = broker_alone()
    master, slave = pty.openpty()
    s = PipeSession(sock, stdin=slave, stdout=slave)
    os.close(slave)
    got = b""
    while b"ID: " not in got:
        r, _, _ = select.select([master], [], [], DEFAULT_TIMEOUT)
        assert r, got
        got += os.read(master, 4096)
    os.kill(s.p.pid, signal.SIGINT)
    assert s.p.wait(timeout=DEFAULT_TIMEOUT) == 0
    r, _, _ = select.select([master], [], [], DEFAULT_TIMEOUT)
    got += os.read(master, 4096)
    os.close(master)
    # (the terminal's ONLCR adds a CR of its own before each LF)
    assert b"*** Interrupted. Goodbye.\r" in got, got
    assert b"shutting down" not in got
    d = Natterd()
    a = d.login("ann")
    os.kill(session_pid(a), signal.SIGINT)
    a.expect("*** The server is shutting down. Goodbye.")
    a.expect_closed()


def test_sighup_reopens_the_log_and_the_session_lives():
    d = Natterd()
    a = d.login("ann")
    b = d.login("bob")
    os.kill(session_pid(a), signal.SIGHUP)
    d.log.wait(r"natter-session\[\d+\]: SIGHUP: log reopened")
    a.send_line("after the hangup signal")
    b.expect("[ann] : after the hangup signal")


def test_broker_gone_for_good():
    """-R bounds how long a session waits for a lost broker."""
    broker = Broker()
    a = PipeSession(broker.sock, "-R", "1")
    a.send("ann")
    a.out.wait(re.escape("-----Chatting Room-----"))
    broker.kill()
    start = time.monotonic()
    a.out.wait(re.escape("*** Lost contact with the chat service"))
    a.out.wait(re.escape("*** The chat service is unavailable; "
                         "try again later."))
    assert a.p.wait(timeout=DEFAULT_TIMEOUT) == 111
    assert 0.8 < time.monotonic() - start < 6
    a.err.wait(r"session of ann .*ended: broker unavailable")


def test_session_started_while_its_broker_restarts():
    """A session started between its broker's death and the next one's
    start (the soak's burst of 2,000 met a broker restart: 228 were
    told "unavailable" at once) finds the old socket refusing: it
    prompts, and its log-in waits for the broker as after a loss, -R
    bounding the wait; so does one that finds no socket but the lock
    file a broker leaves beside it (natterd removed the dead one's
    socket; 260 of the burst met that).  No socket and no lock file is
    still said at once (test_no_broker)."""
    broker = Broker()
    broker.kill()                          # its socket stays, refusing
    a = PipeSession(broker.sock, "-R", "20")
    a.out.wait(r"^Please, Log-In!")
    b = PipeSession(broker.sock, "-R", "1")
    b.out.wait(r"^Please, Log-In!")
    b.send("bob")                          # nobody comes within -R
    b.out.wait(re.escape("*** The chat service is unavailable"))
    assert b.p.wait(timeout=DEFAULT_TIMEOUT) == 111
    # natterd removes the dead broker's socket; its lock file stays
    os.unlink(broker.sock)
    assert os.path.exists(broker.sock + ".lock")
    c = PipeSession(broker.sock, "-R", "20")
    c.out.wait(r"^Please, Log-In!")
    broker = Broker(broker.sock)
    for p, name in ((a, "ann"), (c, "cy")):
        p.send(name)
        p.out.wait(re.escape("Log-in success!! [%s]" % name))
        assert "unavailable" not in p.out.text()
    a.err.wait(r"not taking connections yet \(Connection refused\); "
               r"the log-in will wait for it")
    c.err.wait(r"not taking connections yet \(No such file or "
               r"directory\); the log-in will wait for it")


def test_broker_lost_during_login():
    """A broker that dies while the person types a name: a new one at
    the same socket takes the log-in; with none, the person is told."""
    broker = Broker()
    a = PipeSession(broker.sock, "-R", "20")
    a.out.wait(r"^Please, Log-In!")
    broker.kill()
    broker = Broker(broker.sock)
    a.send("ann")
    a.out.wait(re.escape("Log-in success!! [ann]"))
    b = PipeSession(broker.sock, "-R", "1")
    b.out.wait(r"^Please, Log-In!")
    broker.kill()
    b.send("bob")
    b.out.wait(re.escape("*** The chat service is unavailable"))
    assert b.p.wait(timeout=DEFAULT_TIMEOUT) == 111
    assert "Log-in success" not in b.out.text()


def test_peer_from_ssh_client():
    """`ssh host natter-session`: the address is SSH_CLIENT's; a
    supervisor's variable or a real socket comes first."""
    sock = broker_alone()
    cases = (({"SSH_CLIENT": "192.0.2.44 50123 22"}, "192.0.2.44 50123"),
             ({"SSH_CLIENT": "2001:db8::7 4711 22"}, "2001:db8::7 4711"),
             ({"SSH_CLIENT": "192.0.2.44 50123 22",
               "TCPREMOTEIP": "192.0.2.1", "TCPREMOTEPORT": "99"},
              "192.0.2.1 99"),
             ({"SSH_CLIENT": "\x1b[2J 1 2"}, "local"),
             ({"SSH_CLIENT": "192.0.2.44 12x 22"}, "local"))
    for env, want in cases:
        s = PipeSession(sock, env=env)
        got = s.err.wait(r"connection from (.*)$").group(1)
        assert got == want, (env, got)
        s.p.stdin.close()
        assert s.p.wait(timeout=DEFAULT_TIMEOUT) == 0
    # a TCP socket on fd 0 is the truth, whatever SSH_CLIENT says
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    c = socket.create_connection(lst.getsockname(), timeout=DEFAULT_TIMEOUT)
    conn, _ = lst.accept()
    s = PipeSession(sock, env={"SSH_CLIENT": "192.0.2.44 50123 22"},
                    stdin=conn, stdout=conn)
    conn.close()
    got = s.err.wait(r"connection from (.*)$").group(1)
    assert got == "127.0.0.1 %d" % c.getsockname()[1], got
    c.close()
    assert s.p.wait(timeout=DEFAULT_TIMEOUT) == 0


def test_names_in_any_case_with_a_users_file():
    """The broker holds "Ann" and "ann" to be one name; the users file
    agrees, and its spelling is the one people see."""
    users = make_users(("ann", "s3cret"))
    d = Natterd("-U", users)
    a = d.login("ANN", "s3cret")
    assert "Log-in success!! [ann]" in a.text
    c = d.connect()
    c.expect("ID: ")
    c.send_line("Ann")
    c.expect("PW: ")
    c.send_line("s3cret")
    c.expect("Log-in success!! [ann]")   # the same account: taken over
    a.expect("*** You logged in elsewhere; this session ends.")
    a.expect_closed()
    c.send_line("/exit")
    c.expect_closed()
    # natter-passwd replaces the entry whatever the case, keeping one
    p = subprocess.run([bin_path("natter-passwd"), "-f", users, "Ann"],
                       input=b"new-pw\n", capture_output=True,
                       timeout=DEFAULT_TIMEOUT)
    assert p.returncode == 0, p.stderr
    with open(users) as f:
        entries = [l for l in f if l.lower().startswith("ann:")]
    assert len(entries) == 1 and entries[0].startswith("Ann:"), entries
    a = d.login("ann", "new-pw")
    assert "Log-in success!! [Ann]" in a.text


def passwd(users, name, pw, **kw):
    return spawn([bin_path("natter-passwd"), "-f", users, name],
                 stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                 stderr=subprocess.PIPE, **kw), (pw + "\n").encode()


def blocked_on_lock(pid):
    """Whether pid waits for a POSIX lock (/proc/locks shows waiters
    as "N: -> POSIX ADVISORY WRITE PID ...")."""
    with open("/proc/locks") as f:
        for line in f:
            w = line.split()
            if "->" in w and str(pid) in w[w.index("->") + 4:
                                           w.index("->") + 5]:
                return True
    return False


def test_passwd_waits_for_the_lock():
    """A run that holds users.lock (another natter-passwd) is waited
    for, so its change is not lost."""
    import fcntl
    users = make_users(("ann", "pw-ann"))
    lock = open(users + ".lock", "a+")
    fcntl.lockf(lock, fcntl.LOCK_EX)
    with open(users) as f:
        before = f.read()
    p, pw = passwd(users, "bob", "pw-bob")
    p.stdin.write(pw)
    p.stdin.close()
    wait_until(lambda: blocked_on_lock(p.pid) or p.poll() is not None,
               what="natter-passwd waiting for the lock")
    assert p.poll() is None, "natter-passwd did not wait for the lock"
    # what the other run would have written, renamed into place
    with open(users + ".other", "w") as f:
        f.write(before + "cy:!locked\n")
    os.rename(users + ".other", users)
    fcntl.lockf(lock, fcntl.LOCK_UN)
    lock.close()
    assert p.wait(timeout=DEFAULT_TIMEOUT) == 0
    with open(users) as f:
        names = [l.split(":")[0] for l in f]
    assert names == ["ann", "cy", "bob"], names


def test_passwd_concurrent_runs_lose_nothing():
    users = make_users(("ann", "pw-ann"))
    runs = [passwd(users, "u%d" % i, "pw%d" % i) for i in range(6)]
    for p, pw in runs:
        p.stdin.write(pw)
        p.stdin.close()
    for p, _ in runs:
        assert p.wait(timeout=30) == 0
    with open(users) as f:
        names = sorted(l.split(":")[0] for l in f)
    assert names == ["ann"] + ["u%d" % i for i in range(6)], names
    assert not [n for n in os.listdir(os.path.dirname(users))
                if n.startswith("users.") and n != "users.lock"]


def echo_on(tty):
    import termios
    return bool(termios.tcgetattr(tty)[3] & termios.ECHO)


def read_pty_until(master, needle, p):
    """Reads the pty's master until needle has come; fails at once if
    p ends first."""
    got = b""
    deadline = time.monotonic() + DEFAULT_TIMEOUT
    while needle not in got:
        ended = p.poll()
        r, _, _ = select.select([master], [], [], 0.05)
        if r:
            got += os.read(master, 4096)
            continue
        assert ended is None, "natter-passwd ended (%d) before %r: %r" % (
            ended, needle, got)
        assert time.monotonic() < deadline, "no %r: %r" % (needle, got)


# The signals a job-control shell leaves ignored in a background job
# (`make check &`): natter-passwd keeps a signal ignored at start
# ignored, so tests that send them start it with their defaults.
SHELL_IGNORED = (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM,
                 signal.SIGHUP, signal.SIGTSTP, signal.SIGTTIN,
                 signal.SIGTTOU)


def passwd_on_pty(users, canonical=True, preexec_fn=None, **kw):
    """natter-passwd on a new pty, once it has prompted and turned echo
    off: (process, master, slave).  canonical=False: the terminal hands
    over each byte as it comes (stty -icanon), not whole lines.  Its
    signals start at their defaults, whatever the suite inherited, then
    preexec_fn (if any) runs."""
    def child():
        for sig in SHELL_IGNORED:
            signal.signal(sig, signal.SIG_DFL)
        if preexec_fn:
            preexec_fn()
    master, slave = new_pty(canonical)
    p = spawn([bin_path("natter-passwd"), "-f", users, "ann"], stdin=slave,
              stdout=slave, stderr=slave, preexec_fn=child, **kw)
    read_pty_until(master, b"Password: ", p)
    wait_until(lambda: not echo_on(slave), what="echo off at the prompt")
    return p, master, slave


def signal_while_typing(canonical, tries):
    """Types part of a password and sends SIGINT at once, tries times:
    each time natter-passwd must end by SIGINT, echo back on, nothing
    written.  Where the signal lands is up to the scheduler, so one
    try could miss a gap that another finds."""
    users = os.path.join(tmpdir(), "users")
    for i in range(tries):
        p, master, slave = passwd_on_pty(users, canonical)
        os.write(master, b"half-typ" * 8)
        os.kill(p.pid, signal.SIGINT)
        try:
            code = p.wait(timeout=DEFAULT_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise AssertionError("try %d: the SIGINT was lost, natter-passwd "
                                 "still reads, echo %s" % (
                                     i, "on" if echo_on(slave) else "off"))
        assert code == -signal.SIGINT, (i, code)
        assert echo_on(slave), i
        os.close(master)
        os.close(slave)
    assert not os.path.exists(users)


def test_passwd_signal_at_the_prompt_restores_echo():
    """A SIGINT while a password is half typed ends the prompt.  (A
    signal that came after echo was turned off but before the first
    read was lost, the read then waiting for a whole line; this test
    met that under load, but the gap is too narrow to hit at will.)"""
    signal_while_typing(canonical=True, tries=10)


def test_passwd_signal_between_bytes_restores_echo():
    """On a terminal that hands over each byte as it comes, the SIGINT
    lands while natter-passwd reads the bytes typed, between two reads:
    it must still end the prompt.  (It was recorded and then lost, the
    next read waiting for more input with echo off; this failed on its
    first try in every run.)"""
    signal_while_typing(canonical=False, tries=20)


def test_passwd_ignored_hangup_stays_ignored():
    """Started with SIGHUP ignored (nohup), natter-passwd does not die of
    one at the prompt: it goes on and writes the entry."""
    users = os.path.join(tmpdir(), "users")
    p, master, slave = passwd_on_pty(
        users, preexec_fn=lambda: signal.signal(signal.SIGHUP,
                                                signal.SIG_IGN))
    os.kill(p.pid, signal.SIGHUP)      # discarded as it is sent
    os.write(master, b"pw-ann\n")
    read_pty_until(master, b"Again: ", p)
    wait_until(lambda: not echo_on(slave), what="echo off again")
    os.write(master, b"pw-ann\n")
    assert p.wait(timeout=DEFAULT_TIMEOUT) == 0
    assert echo_on(slave)
    with open(users) as f:
        assert f.read().startswith("ann:")
    os.close(master)
    os.close(slave)


def bss_rss_kib(pid):
    """Resident KiB of natter-session's own zero-filled data (the
    anonymous mapping right after the program's file mappings)."""
    after_exe, rss = False, None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            w = line.split()
            if "-" in w[0] and len(w) >= 5 and ":" in w[3]:
                if after_exe and len(w) == 5 and rss is None:
                    rss = 0      # the mapping we want: read its Rss
                    continue
                after_exe = w[-1].endswith("/natter-session")
                if rss is not None:
                    break
            elif rss == 0 and w[0] == "Rss:":
                return int(w[1])
    raise AssertionError("no data mapping after the program's")


def test_burst_memory_is_given_back():
    """A big read from the broker touches the 64 KiB buffer; a second
    later its pages go back, so an idle session stays small.  A fake
    broker sends the burst while the session is stopped, so it arrives
    in one read."""
    if os.environ.get("NATTER_SANITIZERS"):
        raise Skip("AddressSanitizer lays out memory its own way")
    path = os.path.join(tmpdir(), "broker.sock")
    lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lst.bind(path)
    lst.listen(1)
    lst.settimeout(DEFAULT_TIMEOUT)
    s = PipeSession(path)
    b, _ = lst.accept()
    b.settimeout(DEFAULT_TIMEOUT)
    s.send("ann")
    assert b.recv(4096)[2] == 1                 # LOGIN
    b.sendall(bytes([0, 2, 64, 0x30, 0, 0]))  # OK, protocol 3
    s.out.wait(re.escape("-----Chatting Room-----"))
    before = bss_rss_kib(s.p.pid)

    def msg(i):
        payload = bytes([3]) + b"bob" + bytes([5]) + b"lobby" + (
            b"%04d " % i + b"m" * 1000)
        return len(payload).to_bytes(2, "big") + bytes([66, 0]) + payload
    os.kill(s.p.pid, signal.SIGSTOP)
    b.sendall(b"".join(msg(i) for i in range(60)))
    os.kill(s.p.pid, signal.SIGCONT)
    s.out.wait(r"^\[bob\] : 0059 m")
    peak = bss_rss_kib(s.p.pid)
    assert peak >= before + 40, (before, peak)
    # what stays: the 16 KiB kept (5 pages, the buffer is not page
    # aligned) and the pages of the display's static buffers the burst
    # touched, 1 or 2 each depending on where the linker put them
    wait_until(lambda: bss_rss_kib(s.p.pid) <= before + 24,
               what="the buffer's pages given back (before %d, peak %d)"
               % (before, peak))
    b.close()


# --- Answers in the order asked (lib/frame.h, "Replies") ---

def positions(text, literals):
    """Where each literal first appears in text, failing on a missing
    one."""
    found = [text.find(x) for x in literals]
    assert all(p >= 0 for p in found), (literals, found, text)
    return found


def test_answers_come_in_the_order_asked():
    """Broker answers (/who, /rooms, /msg) and local ones (/foo, /help)
    typed in one packet appear in the order typed."""
    d = Natterd()
    a = d.login("ann")
    a.expect("*** You are alone in lobby.")
    a.send(b"/who\r\n/foo\r\n/rooms\r\n/msg nobody x\r\n/help\r\n")
    order = ["*** In lobby (1): ann", "*** Unknown command: /foo",
             "*** Rooms (1): lobby (1)", "*** No such user: nobody",
             "*** Commands:"]
    expect_all(a, order)
    found = positions(a.text, order)
    assert found == sorted(found), a.text


def test_greeting_before_the_answer_to_an_early_line():
    """A line sent with the name, before the log-in is answered, is
    answered after the greeting."""
    d = Natterd()
    b = d.login("bob")
    a = d.connect()
    a.expect("ID: ")
    a.send(b"ann\r\n/foo\r\n")
    order = ["Log-in success!! [ann]", "*** You are in lobby with: bob",
             "*** Unknown command: /foo"]
    expect_all(a, order)
    found = positions(a.text, order)
    assert found == sorted(found), a.text
    b.expect("[ann] has joined the chat")


def test_exit_after_a_pending_answer():
    """/who then /exit in one packet: the list, then Goodbye; the same
    when the input simply ends after /who (a pipe)."""
    d = Natterd()
    a = d.login("ann")
    a.expect("*** You are alone in lobby.")
    a.send(b"/who\r\n/exit\r\n")
    a.expect("*** In lobby (1): ann")
    a.expect("*** Goodbye.")
    a.expect_closed()
    p = subprocess.run([SESSION, "-b", d.sock], input=b"cy\n/rooms\n",
                       capture_output=True, timeout=DEFAULT_TIMEOUT,
                       env=dict(os.environ, NATTER_LOG="stderr"))
    assert p.returncode == 0, p.stderr
    assert b"*** Rooms (1): lobby (1)\r\n" in p.stdout, p.stdout


def test_private_message_is_confirmed():
    """The sender sees what went privately, and to whom (in the
    recipient's own spelling); the recipient sees it marked private."""
    d = Natterd()
    a = d.login("ann")
    b = d.login("bob")
    a.expect("[bob] has joined the chat")
    a.send_line("/msg BOB psst")
    a.expect("[you -> bob] (private) : psst\r\n")
    b.expect("[ann] (private) : psst\r\n")
    a.send_line("/msg ann note to self")
    a.expect("[ann] (private) : note to self\r\n")
    a.expect("[you -> ann] (private) : note to self\r\n")
    assert "psst" not in b.text.replace("[ann] (private) : psst", "")


def tcp_rx_queue(local_port, remote_port):
    """Bytes the kernel holds unread on the loopback TCP socket from
    remote_port to local_port, or None when there is none."""
    want = ":%04X" % local_port, ":%04X" % remote_port
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(name) as f:
            for line in f.readlines()[1:]:
                col = line.split()
                if col[1].endswith(want[0]) and col[2].endswith(want[1]):
                    return int(col[4].split(":")[1], 16)
    return None


def test_broker_lost_while_an_answer_is_due():
    """The broker dies while /who is unanswered, with more lines typed
    after it: the session reconnects, asks again, and what was typed
    later is neither lost nor sent ahead of the answer."""
    if not os.path.exists("/proc/net/tcp"):
        raise Skip("needs /proc/net/tcp")
    transcript = os.path.join(tmpdir(), "transcript")
    d = Natterd("-L", transcript)
    a = d.login("ann")
    b = d.login("bob")
    a.expect("[bob] has joined the chat")
    broker = broker_pid(d)
    os.kill(broker, signal.SIGSTOP)
    try:
        a.send(b"/who\r\nsaid after who\r\n/rooms\r\n")
        myport = a.sock.getsockname()[1]
        wait_until(lambda: tcp_rx_queue(d.port, myport) == 0,
                   what="the session to read the lines")
    finally:
        os.kill(broker, signal.SIGKILL)
    a.expect("*** Lost contact with the chat service")
    # bob may rejoin after ann: (1) or (2) in lobby.
    order = ["*** Reconnected.", "*** In lobby (", "*** Rooms ("]
    expect_all(a, order, timeout=30)
    found = positions(a.text, order)
    assert found == sorted(found), a.text
    # Sent, not lost: bob may rejoin after it went by (he catches up on
    # the room's log, but the transcript is the plainer witness).
    def said():
        with open(transcript) as f:
            return "[ann] : said after who" in f.read()
    wait_until(said, timeout=30, what="ann's line at the broker")


def test_goodbye_reaches_a_person_who_typed_ahead():
    """Lines typed after /exit are read and dropped, not left unread: a
    socket closed with unread input is reset, and the reset can take the
    Goodbye with it."""
    d = Natterd()
    a = d.login("ann")
    a.expect("*** You are alone in lobby.")
    ahead = b"".join(b"typed after exit %d\r\n" % i for i in range(20000))
    a.send(b"/exit\r\n" + ahead)
    a.expect("*** Goodbye.")
    a.expect_closed()
    assert "typed after exit" not in a.text


def test_unreadable_users_file_gives_the_reason():
    """A users file that vanished (or became unreadable) after start: the
    person is told log-in is unavailable, and the log says why."""
    users = make_users(("ann", "pw1"))
    sock = broker_alone()
    a = PipeSession(sock, "-U", users)
    a.out.wait(r"^Please, Log-In!")
    os.unlink(users)
    a.send("ann")
    a.send("pw1")
    a.out.wait(r"\*\*\* Log-in is unavailable; try again later\.")
    a.err.wait(r"users file .* unreadable: No such file or directory")
    assert a.p.wait(timeout=DEFAULT_TIMEOUT) == 111


def test_wrong_password_then_end_of_input_is_still_answered():
    """Input that ends during the failure delay still gets its
    "Login incorrect." before the session ends."""
    d, c = ann_at_password_prompt()
    c.send(b"wrong\r\n")
    c.sock.shutdown(socket.SHUT_WR)
    c.expect("Login incorrect.")
    c.expect_closed()


def test_query_lost_with_the_broker_is_answered_after_input_ended():
    """A /rooms whose answer died with the broker is asked again after
    the reconnect, even when the person's input has ended meanwhile."""
    if not os.path.exists("/proc/net/tcp"):
        raise Skip("needs /proc/net/tcp")
    d = Natterd()
    d.login("bob")
    c = d.login("cat")
    broker = broker_pid(d)
    os.kill(broker, signal.SIGSTOP)
    try:
        c.send_line("/rooms")
        myport = c.sock.getsockname()[1]
        wait_until(lambda: tcp_rx_queue(d.port, myport) == 0,
                   what="the session to read /rooms")
        c.sock.shutdown(socket.SHUT_WR)
    finally:
        os.kill(broker, signal.SIGKILL)
    c.expect("*** Reconnected.", timeout=30)
    c.expect_re(r"\*\*\* Rooms \(1\): lobby \([12]\)", timeout=30)  # bob may be back
    c.expect_closed()


def test_unanswered_rejoin_counts_as_a_lost_broker():
    """A broker that takes the re-announce and never answers (stopped,
    wedged) is given up on like a lost one: no silent wait for ever."""
    path = os.path.join(tmpdir(), "b.sock")
    ls = socket.socket(socket.AF_UNIX)
    ls.bind(path)
    ls.listen(5)
    ls.settimeout(DEFAULT_TIMEOUT)
    a = PipeSession(path, "-R", "1")
    a.send("ann")
    first, _ = ls.accept()
    first.settimeout(DEFAULT_TIMEOUT)
    assert first.recv(4096)[2] == 1                 # LOGIN
    payload = bytes([3]) + b"ann" + bytes([5]) + b"lobby"
    first.sendall(bytes([0, len(payload), 64, 0x36]) + payload)  # OK, v3
    a.out.wait(r"Log-in success!! \[ann\]")
    first.close()                                   # the broker "dies"
    second, _ = ls.accept()
    second.settimeout(DEFAULT_TIMEOUT)
    frame = second.recv(4096)
    assert frame[2] == 1 and frame[3] & 1           # LOGIN, REJOIN
    ls.close()                                      # and hangs, then goes
    a.err.wait(r"no answer from the broker to LOGIN", timeout=25)
    a.out.wait(r"The chat service is unavailable", timeout=10)
    assert a.p.wait(timeout=DEFAULT_TIMEOUT) == 111
    second.close()
