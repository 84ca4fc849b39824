"""natter, the client: scripted sessions against a real natterd, exit
statuses, and a person's session under a pseudo-terminal, read through a
small screen model (what the person would actually see).
"""
import codecs
import fcntl
import os
import re
import signal
import socket
import struct
import subprocess
import termios
import threading
import time

import harness as H

ROWS, COLS = 24, 80


def natter_path():
    return H.bin_path("natter")


def run_natter(args, stdin_data=b"", env=None, timeout=20, pass_fds=()):
    e = dict(os.environ)
    e.pop("NATTER_PASSWORD", None)
    e.update(env or {})
    return subprocess.run([natter_path()] + list(args), input=stdin_data,
                          capture_output=True, timeout=timeout, env=e,
                          pass_fds=pass_fds)


def make_users(*pairs):
    """A users file made by build/natter-passwd (or skip)."""
    if not os.access(H.bin_path("natter-passwd"), os.X_OK):
        raise H.Skip("build/natter-passwd is not built")
    path = os.path.join(H.tmpdir(), "users")
    for name, pw in pairs:
        p = subprocess.run([H.bin_path("natter-passwd"), "-f", path, name],
                           input=(pw + "\n").encode(), capture_output=True,
                           timeout=H.DEFAULT_TIMEOUT)
        assert p.returncode == 0, p.stderr
    return path


# ---------------------------------------------------------------- screen

class Screen:
    """The part of a VT100 natter uses: text, CR, LF, BS, ESC[K, ESC[nC,
    ESC[nD, ESC[H, ESC[2J.  Rows grow without limit (no scrolling), so
    every line ever shown stays readable."""

    def __init__(self, cols=COLS):
        self.cols = cols
        self.rows = [[]]
        self.r = self.c = 0
        self.dec = codecs.getincrementaldecoder("utf-8")("replace")
        self.esc = None

    def _put(self, ch):
        if self.c >= self.cols:
            self.r += 1
            self.c = 0
        while len(self.rows) <= self.r:
            self.rows.append([])
        row = self.rows[self.r]
        while len(row) < self.c:
            row.append(" ")
        if self.c < len(row):
            row[self.c] = ch
        else:
            row.append(ch)
        self.c += 1

    def _csi(self, params, final):
        n = int(params) if params.isdigit() else 1
        if final == "K":
            while len(self.rows) <= self.r:
                self.rows.append([])
            del self.rows[self.r][self.c:]
        elif final == "C":
            self.c = min(self.c + n, self.cols - 1)
        elif final == "D":
            self.c = max(self.c - n, 0)
        elif final == "H":
            self.c = 0  # ^L: the model keeps history rather than clearing

    def feed(self, data):
        for ch in self.dec.decode(data):
            if self.esc is not None:
                self.esc += ch
                if self.esc == "[":
                    continue
                if not self.esc.startswith("["):
                    self.esc = None
                elif re.match(r"\[[0-9;?]*[@-~]$", self.esc):
                    self._csi(self.esc[1:-1], self.esc[-1])
                    self.esc = None
                continue
            if ch == "\x1b":
                self.esc = ""
            elif ch == "\r":
                self.c = 0
            elif ch == "\n":
                self.r += 1
                while len(self.rows) <= self.r:
                    self.rows.append([])
            elif ch == "\b":
                self.c = max(self.c - 1, 0)
            elif ch == "\a":
                pass
            elif ord(ch) >= 32:
                self._put(ch)

    def lines(self):
        return ["".join(r).rstrip() for r in self.rows]

    def cursor_line(self):
        if self.r < len(self.rows):
            return "".join(self.rows[self.r]).rstrip()
        return ""


class PtyNatter:
    """build/natter on a pseudo-terminal that is its controlling
    terminal, as a person's shell would run it."""

    def __init__(self, args, env=None, stdout=None):
        """stdout: where natter's fd 1 goes (default the terminal too)."""
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ,
                    struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.tio_before = termios.tcgetattr(self.slave)
        self.raw = b""
        self.screen = Screen()
        self.cond = threading.Condition()
        e = dict(os.environ)
        e.pop("NATTER_PASSWORD", None)
        e.update(env or {})

        def make_controlling_tty():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = H.spawn([natter_path()] + list(args), stdin=self.slave,
                            stdout=self.slave if stdout is None else stdout,
                            stderr=self.slave, env=e,
                            preexec_fn=make_controlling_tty)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:
                data = b""
            if not data:
                return
            with self.cond:
                self.raw += data
                self.screen.feed(data)
                self.cond.notify_all()

    def type(self, keys):
        if isinstance(keys, str):
            keys = keys.encode()
        os.write(self.master, keys)

    def wait(self, pred, what, timeout=H.DEFAULT_TIMEOUT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not pred(self.screen):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        "screen never showed %s; screen:\n%s\ncursor row: %r"
                        % (what, "\n".join(self.screen.lines()[-15:]),
                           self.screen.cursor_line()))
                self.cond.wait(min(left, 0.2))

    def wait_text(self, text, timeout=H.DEFAULT_TIMEOUT):
        self.wait(lambda s: any(text in l for l in s.lines()), repr(text),
                  timeout)

    def wait_cursor_line(self, text, timeout=H.DEFAULT_TIMEOUT):
        self.wait(lambda s: s.cursor_line() == text,
                  "the cursor row %r" % text, timeout)

    def wait_raw_growth(self, since, what, timeout=H.DEFAULT_TIMEOUT):
        """Waits until natter has written something past byte `since`
        that ends in a cursor placement: a redraw has happened."""
        self.wait(lambda s: re.search(rb"\x1b\[K\r(\x1b\[\d+C)?$",
                                      self.raw[since:]) is not None,
                  what, timeout)

    def exit_status(self, timeout=H.DEFAULT_TIMEOUT):
        return self.proc.wait(timeout=timeout)

    def fd_nonblocking(self):
        return bool(fcntl.fcntl(self.slave, fcntl.F_GETFL) & os.O_NONBLOCK)

    def tio(self):
        return termios.tcgetattr(self.slave)


def pty_login(d, name, password=None):
    t = PtyNatter([d.host, str(d.port)])
    t.wait_cursor_line("ID:")
    t.type(name + "\r")
    if password is not None:
        t.wait_cursor_line("PW:")
        t.type(password + "\r")
    t.wait_text("-----Chatting Room-----")
    return t


def proc_state(pid):
    with open("/proc/%d/stat" % pid) as f:
        st = f.read()
    return st[st.rfind(")") + 2:].split()[0]


def session_pids(d):
    """The natter-session processes natterd d runs."""
    out = []
    for pid, state in H.children_of(d.proc.pid):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                if b"natter-session" in f.read() and state != "Z":
                    out.append(pid)
        except OSError:
            pass
    return out


# ------------------------------------------------------- scripted, real

def test_scripted_pipe_chats_and_leaves():
    """printf 'ann\\nhello\\n/exit\\n' | natter: logs in, says hello, the
    other person sees it and the leave; status 0; output clean text."""
    d = H.Natterd()
    bob = d.login("bob")
    p = run_natter([d.host, str(d.port)], b"ann\nhello bob\n/exit\n")
    out = p.stdout.decode()
    assert p.returncode == 0, (p.returncode, out, p.stderr)
    assert "Log-in success!! [ann]" in out, out
    assert "\r" not in out and "\xff" not in p.stdout.decode("latin-1"), out
    bob.expect("[ann] has joined the chat")
    bob.expect("[ann] : hello bob")
    bob.expect("[ann] has left the chat")
    assert p.stderr == b"", p.stderr


def test_scripted_two_way_conversation():
    """natter with a pipe for stdin: what bob says shows on natter's
    output while natter waits for more input; its end of input ends the
    session (shutdown), status 0."""
    d = H.Natterd()
    bob = d.login("bob")
    p = H.spawn([natter_path(), d.host, str(d.port)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = H.LogReader(p.stdout)
    p.stdin.write(b"ann\n")
    p.stdin.flush()
    out.wait(r"Log-in success!! \[ann\]")
    bob.expect("[ann] has joined the chat")
    bob.send_line("hi ann")
    out.wait(r"^\[bob\] : hi ann$")
    p.stdin.write("très bien\n".encode())
    p.stdin.flush()
    bob.expect("[ann] : très bien")
    p.stdin.close()  # end of input: natter half-closes, the server ends
    assert p.wait(timeout=H.DEFAULT_TIMEOUT) == 0
    bob.expect("[ann] has left the chat")


def read_until(conn, marker, timeout):
    """conn's bytes up to marker, searching only what is new (a long
    conversation stays linear)."""
    deadline = time.monotonic() + timeout
    pos = 0
    while True:
        i = conn.raw.find(marker, max(pos - len(marker), 0))
        if i >= 0:
            return conn.raw[:i]
        pos = len(conn.raw)
        left = deadline - time.monotonic()
        assert left > 0 and not conn.eof, "no %r after %d bytes" % (marker,
                                                                  pos)
        conn._fill(min(left, 0.5))


def test_scripted_fast_pipe_loses_nothing():
    """5,000 lines (over half a megabyte, more than natter's queue to
    the server holds) arriving at once on a pipe, to a server that takes
    them as fast as it can (-r 0): every one is delivered, in order, and
    natter's memory stays bounded meanwhile."""
    d = H.Natterd(handler=[H.bin_path("natter-session"), "-r", "0"])
    bob = d.login("bob")
    pad = b"x" * 100
    script = b"ann\n" + b"".join(b"line %04d %s\n" % (i, pad)
                                  for i in range(5000))
    p = H.spawn([natter_path(), d.host, str(d.port)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    result = {}
    feeder = threading.Thread(
        target=lambda: result.update(zip(("out", "err"),
                                         p.communicate(script, timeout=60))),
        daemon=True)
    feeder.start()
    got = read_until(bob, b"[ann] has left the chat", 60)
    feeder.join(timeout=H.DEFAULT_TIMEOUT)
    assert p.returncode == 0, (p.returncode, result)
    said = re.findall(rb"\[ann\] : line (\d{4}) x{100}\r\n", got)
    assert said == [b"%04d" % i for i in range(5000)], \
        (len(said), said[:3], said[-3:])


def test_unattended_login_with_password_sources():
    """-u NAME answers ID: and PW: (password from -p FILE, -P FD and
    NATTER_PASSWORD); the script's lines go only after the login; the
    password appears nowhere in the output."""
    users = make_users(("ann", "s3cret-pw"), ("bob", "bobs-pw"))
    d = H.Natterd("-U", users)
    bob = d.login("bob", "bobs-pw")
    pwfile = os.path.join(H.tmpdir(), "pw")
    with open(pwfile, "w") as f:
        f.write("s3cret-pw\n")
    r, w = os.pipe()
    os.write(w, b"s3cret-pw\n")
    os.close(w)
    ways = [(["-p", pwfile], {}, ()), (["-P", str(r)], {}, (r,)),
            ([], {"NATTER_PASSWORD": "s3cret-pw"}, ())]
    for i, (opts, env, fds) in enumerate(ways):
        p = run_natter(["-u", "ann"] + opts + [d.host, str(d.port)],
                       b"note %d\n" % i, env=env, pass_fds=fds)
        out = p.stdout.decode()
        assert p.returncode == 0, (opts, p.returncode, out, p.stderr)
        assert "ID: ann\nPW: \nLog-in success!! [ann]" in out, out
        assert "s3cret" not in out, out
        bob.expect("[ann] : note %d" % i)
        bob.expect("[ann] has left the chat")
    os.close(r)


def test_login_failure_status():
    """A wrong password: status 3 and one line on stderr, with -u (after
    the first failure) and as a plain script (after three)."""
    users = make_users(("ann", "right-pw"))
    d = H.Natterd("-U", users)
    p = run_natter(["-u", "ann", d.host, str(d.port)],
                   env={"NATTER_PASSWORD": "wrong-pw"})
    assert p.returncode == 3, (p.returncode, p.stdout, p.stderr)
    assert b"Login incorrect." in p.stdout, p.stdout
    assert p.stderr == b"natter: login as ann failed\n", p.stderr
    # A script that keeps its input open until the server gives up.
    p = H.spawn([natter_path(), d.host, str(d.port)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = H.LogReader(p.stdout), H.LogReader(p.stderr)
    p.stdin.write(b"ann\nwrong\n" * 3)
    p.stdin.flush()
    assert p.wait(timeout=30) == 3, (out.text(), err.text())
    out.wait(r"^\*\*\* Too many failures")
    err.wait(r"^natter: login failed$")
    assert len(out.text().split("Login incorrect.")) == 4, out.text()


def run_script_at_once(d, script):
    """natter with its whole script in a file: the first read of fd 0
    has every line and the next its end, before the server's first
    prompt can arrive (the fastest pipe there is, every time)."""
    path = os.path.join(H.tmpdir(), "script")
    with open(path, "wb") as f:
        f.write(script)
    e = dict(os.environ)
    e.pop("NATTER_PASSWORD", None)
    with open(path, "rb") as f:
        return subprocess.run([natter_path(), d.host, str(d.port)], stdin=f,
                              capture_output=True, timeout=30, env=e)


def test_script_at_once_logs_in_with_a_password():
    """printf 'bob\\nsecret2\\n/who\\n/exit\\n' | natter, against a
    server with a users file: input ends (and the socket is half-closed)
    before the server asks for the password; the server's WILL ECHO and
    WONT ECHO that follow get no answer (one would fail with EPIPE),
    and natter shows everything until the server closes."""
    users = make_users(("bob", "secret2"))
    d = H.Natterd("-U", users)
    for _ in range(3):
        p = run_script_at_once(d, b"bob\nsecret2\n/who\n/exit\n")
        out = p.stdout.decode()
        assert p.returncode == 0, (p.returncode, out, p.stderr)
        assert "Log-in success!! [bob]" in out, out
        # /who's answer, then /exit's: everything up to the server's end.
        assert re.search(r"^\*\*\* You are alone in lobby\.\n"
                         r"\*\*\* In lobby \(1\): bob\n"
                         r"\*\*\* Goodbye\.\n\Z", out, re.M), out
        assert "\xff" not in p.stdout.decode("latin-1"), out
        assert p.stderr == b"", p.stderr


def test_script_at_once_ending_during_login_is_status_3():
    """A script that ends before its login is through (a name and no
    password, or a wrong password) is a failed login, status 3, even
    when the server's prompts arrive together ("ID: PW: ")."""
    users = make_users(("ann", "right-pw"))
    d = H.Natterd("-U", users)
    p = run_script_at_once(d, b"ann\n")
    assert p.returncode == 3, (p.returncode, p.stdout, p.stderr)
    assert p.stderr == b"natter: connection closed during login\n", p.stderr
    assert p.stdout.decode().rstrip("\n").endswith("ID: PW: "), p.stdout
    # The server ends the session in its delay after the wrong password.
    p = run_script_at_once(d, b"ann\nwrong-pw\n")
    assert p.returncode == 3, (p.returncode, p.stdout, p.stderr)
    assert p.stderr in (b"natter: connection closed during login\n",
                        b"natter: login failed\n"), p.stderr


def test_unattended_login_needs_a_password():
    users = make_users(("ann", "right-pw"))
    d = H.Natterd("-U", users)
    p = run_natter(["-u", "ann", d.host, str(d.port)])
    assert p.returncode == 3, (p.returncode, p.stdout, p.stderr)
    assert b"give -p FILE, -P FD or NATTER_PASSWORD" in p.stderr, p.stderr


# ------------------------------------------------- errors and statuses

def test_unresolvable_host():
    p = run_natter(["nonexistent.invalid"], timeout=60)
    assert p.returncode == 2, (p.returncode, p.stderr)
    err = p.stderr.decode()
    assert re.fullmatch(r"natter: cannot resolve nonexistent\.invalid port "
                        r"4120: [^\n]+\n", err), err
    p = run_natter(["-6", "127.0.0.1", "4120"])
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert p.stderr.startswith(b"natter: cannot resolve 127.0.0.1"), p.stderr


def test_refused_port():
    port = H.free_port()
    p = run_natter(["127.0.0.1", str(port)])
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert p.stderr.decode() == ("natter: cannot connect to 127.0.0.1 port "
                                 "%d: Connection refused\n" % port), p.stderr


def test_usage_errors():
    cases = [(["a", "b", "c"], "too many arguments"),
             (["-4", "-6"], "give only one of -4 and -6"),
             (["-p", "/dev/null"], "-p and -P need -u"),
             (["-u", "bad name!"], "names are 1 to 16"),
             (["-u", "ann", "-P", "x"], "-P needs a descriptor number"),
             (["-u", "ann", "-p", "/nonexistent/pw"], "cannot open"),
             (["-x"], "natter: unknown option -x"),
             (["-u"], "natter: option -u needs a value")]
    for args, msg in cases:
        p = run_natter(args)
        err = p.stderr.decode()
        assert p.returncode == 1, (args, p.returncode, err)
        assert msg in err.splitlines()[0], (args, err)
        assert "usage: natter" in err or "cannot open" in err, (args, err)
    p = run_natter(["-h"])
    assert p.returncode == 0 and p.stdout.startswith(b"usage: natter")


class FakeServer:
    """A listening socket for what natterd would never do."""

    def __init__(self):
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(1)
        self.lsock.settimeout(H.DEFAULT_TIMEOUT)
        self.port = self.lsock.getsockname()[1]

    def accept(self):
        c, _ = self.lsock.accept()
        c.settimeout(H.DEFAULT_TIMEOUT)
        return c


def recv_exactly(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        assert chunk, "closed after %r" % data
        data += chunk
    return data


def test_telnet_answers_and_control_characters():
    """Telnet commands are answered (WILL ECHO accepted once, others
    refused, DONT/WONT for what is off not answered) and never shown;
    control characters are shown in caret notation; a server that closes
    before any login prompt gives status 4."""
    srv = FakeServer()
    p = H.spawn([natter_path(), "127.0.0.1", str(srv.port)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE)
    c = srv.accept()
    c.sendall(b"\xff\xfb\x03\xff\xfd\x18\xff\xfb\x01\xff\xfe\x05"
              b"\xff\xfc\x05\xff\xfa\x18\x01\xff\xf0a\x1b[31mred\x07\r\n")
    got = recv_exactly(c, 9)
    assert got == b"\xff\xfe\x03\xff\xfc\x18\xff\xfd\x01", got
    c.sendall(b"\xff\xfb\x01caf\xc3\xa9 \xff\xff\x9b\r\n")  # WILL ECHO again
    c.settimeout(0.5)
    try:
        extra = c.recv(100)
    except socket.timeout:
        extra = b""
    assert extra == b"", "answered a repeated WILL ECHO: %r" % extra
    c.close()
    out, err = p.communicate(timeout=H.DEFAULT_TIMEOUT)
    assert out.decode() == "a^[[31mred\ncafé \ufffd\ufffd\n", out
    assert p.returncode == 4, (p.returncode, err)
    assert err == b"natter: connection closed by the server\n", err


def test_after_half_close_no_answers_and_stacked_prompts():
    """A script that ends at once: natter half-closes, then the server's
    prompts arrive together ("ID: " WILL ECHO "PW: ") with its login
    unfinished.  No telnet answer follows the half-close, the output is
    all shown, and the status is 3 (login cut short), not 0."""
    srv = FakeServer()
    p = H.spawn([natter_path(), "127.0.0.1", str(srv.port)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE)
    c = srv.accept()
    p.stdin.write(b"ann\n")
    p.stdin.close()
    got = b""
    while True:  # up to natter's end of file: the half-close
        chunk = c.recv(100)
        if not chunk:
            break
        got += chunk
    assert got == b"ann\r\n", got
    c.sendall(b"Please, Log-In!\r\nID: \xff\xfb\x01PW: ")
    c.shutdown(socket.SHUT_WR)
    c.settimeout(H.DEFAULT_TIMEOUT)
    assert c.recv(100) == b"", "an answer after the half-close"
    c.close()
    out = p.stdout.read()
    assert p.wait(timeout=H.DEFAULT_TIMEOUT) == 3, (p.returncode, out)
    assert out == b"Please, Log-In!\nID: PW: ", out
    assert p.stderr.read() == b"natter: connection closed during login\n"


def test_connection_reset_is_lost():
    """A reset connection (RST) during login gives status 4 and says so."""
    srv = FakeServer()
    p = H.spawn([natter_path(), "127.0.0.1", str(srv.port)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE)
    c = srv.accept()
    c.sendall(b"ID: ")
    p.stdin.write(b"ann\n")
    p.stdin.flush()
    assert recv_exactly(c, 5) == b"ann\r\n"
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    out, err = p.communicate(timeout=H.DEFAULT_TIMEOUT)
    assert out == b"ID: ", out
    assert p.returncode == 4, (p.returncode, err)
    assert err == b"natter: connection lost: Connection reset by peer\n", err


# --------------------------------------------------------- interactive

def test_interactive_line_survives_messages():
    """A message arrives while a line is half typed: the message shows
    above, the typed text stays on the cursor's row and is sent whole;
    history and editing keys work; /exit ends with status 0 and the
    terminal as it was."""
    d = H.Natterd()
    bob = d.login("bob")
    t = pty_login(d, "ann")
    assert t.tio() != t.tio_before, "natter did not change the terminal"
    bob.expect("[ann] has joined the chat")
    t.type("half typ")
    t.wait_cursor_line("half typ")
    bob.send_line("hello there")
    t.wait_text("[bob] : hello there")
    t.wait_cursor_line("half typ")
    lines = t.screen.lines()
    assert lines.index("[bob] : hello there") == t.screen.r - 1, lines
    t.type("ed")
    t.type("\r")
    bob.expect("[ann] : half typed")
    # Editing: left arrows over a multi-byte character, then insert.
    t.type("caf\u00e9s\x1b[D\x1b[D!")
    t.wait_cursor_line("caf!\u00e9s")
    t.type("\x15")  # ^U: deletes before the cursor
    t.wait_cursor_line("\u00e9s")
    t.type("\x0b\x1b[A")  # ^K, then up: the last line sent
    t.wait_cursor_line("half typed")
    t.type("\x17\x17 again\r")  # ^W twice, then new words
    bob.expect("[ann] :  again")
    t.type("/exit\r")
    assert t.exit_status() == 0
    bob.expect("[ann] has left the chat")
    assert t.tio() == t.tio_before, "terminal not restored"
    assert not t.fd_nonblocking(), "O_NONBLOCK left on the terminal"


def test_interactive_password_not_shown():
    """At PW: (after IAC WILL ECHO) nothing typed is written to the
    terminal, not even one '*' per character (its length), as with
    telnet and ssh; after WONT ECHO typing shows again."""
    users = make_users(("ann", "pw-Secret9"))
    d = H.Natterd("-U", users)
    t = PtyNatter([d.host, str(d.port)])
    t.wait_cursor_line("ID:")
    t.type("ann\r")
    t.wait_cursor_line("PW:")
    since = len(t.raw)
    t.type("pw-Sec")
    t.wait_raw_growth(since, "a redraw after the password's first keys")
    assert t.screen.cursor_line() == "PW:", t.screen.cursor_line()
    assert t.screen.c == len("PW: "), "cursor moved: %d" % t.screen.c
    assert b"*" not in t.raw[since:], t.raw[since:]
    t.type("ret9\r")
    t.wait_text("-----Chatting Room-----")
    t.type("now visible")
    t.wait_cursor_line("now visible")
    assert b"pw-Secret9" not in t.raw, t.raw
    assert "pw-Secret9" not in "\n".join(t.screen.lines())
    assert "PW:" in t.screen.lines(), t.screen.lines()
    t.type("\x04")  # ^D on a non-empty line deletes, nothing else
    t.type("\x15\x04")  # ^U, then ^D on the empty line: the end
    assert t.exit_status() == 0
    assert t.tio() == t.tio_before


def test_interactive_leave_at_id_prompt_is_status_0():
    """^D at ID: is the person's choice to leave: status 0, no error;
    the same for /exit typed there."""
    d = H.Natterd()
    for keys in ("\x04", "/exit\r"):
        t = PtyNatter([d.host, str(d.port)])
        t.wait_cursor_line("ID:")
        t.type(keys)
        assert t.exit_status() == 0, keys
        assert b"natter:" not in t.raw, t.raw
        assert t.tio() == t.tio_before


def test_interactive_paste_sends_separate_lines():
    """Several lines pasted at once (one write, longer than a chunk of
    keys, ending in CR, LF or CR LF, with a tab) are sent as separate
    lines, in order, each shown as its own row; the unfinished last one
    stays on the cursor's row."""
    d = H.Natterd(handler=[H.bin_path("natter-session"), "-r", "0"])
    bob = d.login("bob")
    t = pty_login(d, "ann")
    bob.expect("[ann] has joined the chat")
    ends = ["\r", "\n", "\r\n"]
    lines = ["paste-%02d\tword" % i for i in range(30)]
    t.type("".join(l + ends[i % 3] for i, l in enumerate(lines)) + "tail")
    t.wait_cursor_line("tail")
    for l in lines:
        bob.expect("[ann] : %s\r\n" % l.replace("\t", " "))
    shown = t.screen.lines()
    start = shown.index("paste-00 word")
    assert shown[start:start + 30] == [l.replace("\t", " ") for l in lines], \
        shown
    assert t.screen.r == start + 30, (t.screen.r, shown[start:])
    t.type("\x15/exit\r")
    assert t.exit_status() == 0


def test_output_redirected_is_plain_and_password_hidden():
    """A terminal on fd 0 but fd 1 redirected: no cursor movements in
    the output (plain lines, as for a script); the terminal's own echo
    is off while the server echoes, so the password does not show, and
    back on after; ^D there ends the session with status 0 and the
    terminal as it was."""
    users = make_users(("ann", "pw-Secret9"))
    d = H.Natterd("-U", users)
    t = PtyNatter([d.host, str(d.port)], stdout=subprocess.PIPE)
    out = H.LogReader(t.proc.stdout)
    echo_on = lambda: bool(t.tio()[3] & termios.ECHO)
    assert echo_on()
    t.type("ann\n")
    H.wait_until(lambda: not echo_on(), what="echo off at PW:")
    t.type("pw-Secret9\n")
    out.wait(r"Log-in success!! \[ann\]")
    H.wait_until(echo_on, what="echo on again after the login")
    t.type("/who\n")
    t.wait_text("/who")  # the terminal echoes typing again
    out.wait(r"^\*\*\* ")
    t.type("\x04")
    assert t.exit_status() == 0, (out.text(), t.raw)
    assert b"pw-Secret9" not in t.raw, t.raw
    text = out.text()
    assert "\x1b" not in text and "\r" not in text, repr(text)
    assert "ID: \nPW: \nLog-in success!! [ann]" in text or \
        "ID: PW: \nLog-in success!! [ann]" in text, repr(text)
    assert t.tio() == t.tio_before, "terminal not restored"


def test_interactive_restores_terminal_when_connection_drops():
    """The server's side goes away: natter says so, exits, and the
    terminal modes and descriptor flags are as before."""
    d = H.Natterd()
    t = pty_login(d, "ann")
    assert t.fd_nonblocking()
    t.type("unsent words")
    t.wait_cursor_line("unsent words")
    pids = H.wait_until(lambda: session_pids(d), what="ann's session")
    assert len(pids) == 1, pids
    os.kill(pids[0], signal.SIGKILL)
    assert t.exit_status() == 0
    t.wait_text("natter: connection closed by the server")
    assert t.tio() == t.tio_before, "terminal not restored"
    assert not t.fd_nonblocking(), "O_NONBLOCK left on the terminal"


def test_interactive_signals_restore_terminal():
    """^C, SIGTERM and SIGHUP end natter with 128+N and the terminal
    restored; ^Z stops it with the terminal restored, SIGCONT resumes;
    SIGWINCH only redraws."""
    d = H.Natterd()
    for sig, how in ((signal.SIGINT, "\x03"), (signal.SIGTERM, None),
                     (signal.SIGHUP, None)):
        t = PtyNatter([d.host, str(d.port)])
        t.wait_cursor_line("ID:")
        t.type("an")
        t.wait_cursor_line("ID: an")
        if sig == signal.SIGINT:
            # ^Z: stopped with the terminal as it was; SIGCONT: back.
            t.proc.send_signal(signal.SIGTSTP)
            H.wait_until(lambda: proc_state(t.proc.pid) == "T",
                         what="natter stopped")
            assert t.tio() == t.tio_before, "terminal raw while stopped"
            assert not t.fd_nonblocking()
            t.proc.send_signal(signal.SIGCONT)
            H.wait_until(lambda: t.tio() != t.tio_before,
                         what="raw mode again after SIGCONT")
            t.type("n")
            t.wait_cursor_line("ID: ann")
        if sig == signal.SIGTERM:
            fcntl.ioctl(t.slave, termios.TIOCSWINSZ,
                        struct.pack("HHHH", ROWS, 40, 0, 0))
            t.proc.send_signal(signal.SIGWINCH)
            t.type("n")
            t.wait_cursor_line("ID: ann")
            # Wider than the 40 columns: the row scrolls, never wraps.
            t.type("\x15" + "".join(chr(ord("a") + i % 26) for i in range(60)))
            t.wait(lambda s: s.cursor_line().endswith("uvwxyzabcdefgh") and
                   len(s.cursor_line()) <= 39, "the line scrolled sideways")
        if how:
            t.type(how)
        else:
            t.proc.send_signal(sig)
        assert t.exit_status() == 128 + sig, sig
        assert t.tio() == t.tio_before, "terminal not restored after %s" % sig
        assert not t.fd_nonblocking()
