"""natter-session as a plain inetd-style service, started per connection
by the super-servers people already run: xinetd, OpenBSD inetd, ucspi-tcp's
tcpserver and systemd's socket activation (systemd-socket-activate), with
`natterd -f -B` as the broker.  Also run straight on pipes and on a
terminal (a local shell, or ssh's forced command).

Each super-server is its own instance with its own config on a free
loopback port, configured from the files in examples/ (their standard
paths and port 4120 rewritten to this build's), so the examples stay true.
tests/deps.sh installs the packages; a test skips only when its program
is not there.
"""
import os
import pty
import pwd
import re
import select
import shutil
import signal
import socket
import subprocess
import time

import harness as H

EXAMPLES = os.path.join(H.HERE, "..", "examples")
INETD_DIR = os.environ.get("NATTER_TEST_PKGS", "/var/cache/natter-tests")

# What the example files say, and what a test puts in their place.
STD_SESSION = "/usr/local/libexec/natter/natter-session"
STD_NATTERD = "/usr/local/sbin/natterd"
STD_SOCK = "/run/natter/broker.sock"
STD_PORT = "4120"
STD_USER = "natter"


def need(prog, path=None):
    """The program's path; skips the test when it is not installed."""
    found = path if path and os.access(path, os.X_OK) else shutil.which(
        prog, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if not found:
        raise H.Skip("%s is not installed (tests/deps.sh installs it as "
                     "root)" % prog)
    return found


def user_name():
    return pwd.getpwuid(os.getuid()).pw_name


def example(name, subs):
    """The text of examples/NAME with each (regex, replacement) applied;
    fails when a pattern is not in the file, so the example must keep
    saying what the test relies on."""
    with open(os.path.join(EXAMPLES, name)) as f:
        text = f.read()
    for pattern, repl in subs:
        text, n = re.subn(pattern, repl, text, flags=re.M)
        assert n > 0, "examples/%s no longer matches %r" % (name, pattern)
    return text


def listening(port):
    """True when something listens on TCP port `port` (read from /proc, so
    probing starts no session)."""
    want = ":%04X" % port
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if cols[1].endswith(want) and cols[3] == "0A":
                return True
    return False


def wait_listening(port, proc, what):
    def ready():
        if proc.poll() is not None:
            raise AssertionError("%s exited with %s before listening"
                                 % (what, proc.returncode))
        return listening(port)
    H.wait_until(ready, what="%s to listen on port %d" % (what, port))


class Broker:
    """natterd -f -B: the broker alone, on a socket in a private dir."""

    def __init__(self, argv_of=None):
        """argv_of(sock), if given, makes natterd's command line."""
        self.dir = H.tmpdir()
        self.sock = os.path.join(self.dir, "run", "broker.sock")
        argv = [H.bin_path("natterd"), "-f", "-B", "-s", self.sock,
                "-D", os.path.join(self.dir, "state")]
        if argv_of:
            argv = argv_of(self.sock)
        self.proc = H.spawn(argv, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.log = H.LogReader(self.proc.stderr)
        H.wait_until(self._accepts, what="the broker (natterd -B) to accept")

    def _accepts(self):
        if self.proc.poll() is not None:
            raise AssertionError("natterd -B exited with %s:\n%s" % (
                self.proc.returncode, self.log.text()))
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(self.sock)
            return True
        except OSError:
            return False
        finally:
            s.close()


def connect(port, timeout=H.DEFAULT_TIMEOUT):
    return H.Conn("127.0.0.1", port, timeout=timeout)


def login(conn, name):
    conn.expect("ID: ")
    conn.send_line(name)
    conn.expect("-----Chatting Room-----")
    return conn


def chat(a, b):
    """ann (a) and bob (b), both logged in, talk and leave."""
    b.send_line("hello from bob")
    a.expect("[bob] : hello from bob")
    a.send_line("hi bob, ann here")
    b.expect("[ann] : hi bob, ann here")
    a.send_line("/exit")
    a.expect_closed()
    b.expect("[ann] has left the chat")
    b.send_line("/exit")
    b.expect_closed()
    for c in (a, b):
        # fd 2 of the session is the connection under inetd and xinetd:
        # the person must never see the session's log.
        assert "natter-session" not in c.text, c.text


def two_people_chat(port):
    a = login(connect(port), "ann")
    b = login(connect(port), "bob")
    a.expect("[bob] has joined the chat")
    chat(a, b)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def session_path(subs):
    return subs + [(re.escape(STD_SESSION), H.bin_path("natter-session"))]


def test_tcpserver():
    tcpserver = need("tcpserver")
    broker = Broker()
    port = H.free_port()
    env = dict(os.environ, NATTER_LOG="stderr")
    p = H.spawn([tcpserver, "-R", "-H", "-l", "localhost", "127.0.0.1",
                 str(port), H.bin_path("natter-session"), "-b", broker.sock],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, env=env)
    log = H.LogReader(p.stderr)
    wait_listening(port, p, "tcpserver")
    two_people_chat(port)
    stop(p)
    # tcpserver leaves fd 2 to the session: its log names the peer, which
    # it took from TCPREMOTEIP.
    assert "127.0.0.1" in log.text(), log.text()


def test_xinetd():
    xinetd = need("xinetd")
    broker = Broker()
    port = H.free_port()
    d = H.tmpdir()
    conf = os.path.join(d, "xinetd.conf")
    text = example("xinetd.natter", session_path([
        (r"^(\s*)port(\s*)= %s$" % STD_PORT,
         r"\1port\2= %d\n\1bind\2= 127.0.0.1" % port),
        (r"^(\s*user\s*=\s*)%s$" % STD_USER, r"\g<1>" + user_name()),
        (re.escape(STD_SOCK), broker.sock),
    ]))
    logfile = os.path.join(d, "xinetd.log")
    with open(conf, "w") as f:
        f.write("defaults\n{\n\tlog_type = FILE %s\n}\n\n%s"
                % (logfile, text))
    pidfile = os.path.join(d, "xinetd.pid")
    p = H.spawn([xinetd, "-dontfork", "-stayalive", "-f", conf,
                 "-pidfile", pidfile, "-filelog", logfile],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
    H.LogReader(p.stderr)
    wait_listening(port, p, "xinetd")
    two_people_chat(port)
    stop(p)


def test_openbsd_inetd():
    inetd = need("inetd", os.path.join(INETD_DIR,
                                       "openbsd-inetd/usr/sbin/inetd"))
    broker = Broker()
    port = H.free_port()
    d = H.tmpdir()
    conf = os.path.join(d, "inetd.conf")
    text = example("inetd.conf", session_path([
        (r"^%s(\s)" % STD_PORT, r"127.0.0.1:%d\1" % port),
        (r"(\snowait\s+)%s(\s)" % STD_USER, r"\g<1>%s\2" % user_name()),
        (re.escape(STD_SOCK), broker.sock),
    ]))
    with open(conf, "w") as f:
        f.write(text)
    p = H.spawn([inetd, "-d", conf], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    H.LogReader(p.stderr)
    wait_listening(port, p, "inetd")
    two_people_chat(port)
    stop(p)


def unit_settings(name):
    """Key=value pairs of a systemd unit file (last one wins)."""
    out = {}
    with open(os.path.join(EXAMPLES, name)) as f:
        for line in f:
            line = line.strip()
            if "=" in line and not line.startswith(("#", ";", "[")):
                k, v = line.split("=", 1)
                out[k.strip()] = v.strip()
    return out


def socket_activate_argv(port, sock):
    """systemd-socket-activate's command line for natter.socket and
    natter@.service: the same listener, accept mode, the connection on
    fds 0 and 1, the same command."""
    s = unit_settings("natter.socket")
    svc = unit_settings("natter@.service")
    assert s["ListenStream"] == STD_PORT, s
    assert s["Accept"] == "yes", s
    assert svc["StandardInput"] == "socket", svc
    argv = ["-l", "127.0.0.1:%d" % port, "--inetd", "-a"]
    argv += exec_start("natter@.service", sock)
    assert argv[4] == H.bin_path("natter-session"), argv
    return argv


def exec_start(unit, sock, port=None):
    """The ExecStart of examples/UNIT as an argv for this build: the
    standard paths replaced, the listener on 127.0.0.1:port."""
    argv = []
    for word in unit_settings(unit)["ExecStart"].split():
        word = word.replace(STD_NATTERD, H.bin_path("natterd"))
        word = word.replace(STD_SESSION, H.bin_path("natter-session"))
        word = word.replace(STD_SOCK, sock)
        if port is not None:
            word = re.sub(r"^[\w.:\[\]*]*:%s$" % STD_PORT,
                          "127.0.0.1:%d" % port, word)
        argv.append(word)
    assert os.path.isabs(argv[0]) and os.access(argv[0], os.X_OK), argv
    return argv


def test_systemd_socket_activate():
    activate = need("systemd-socket-activate")
    broker = Broker(lambda sock: exec_start("natter-broker.service", sock))
    assert "-B" in broker.proc.args, broker.proc.args
    port = H.free_port()
    # The sessions inherit its stderr: log there, to see the peer.
    argv = socket_activate_argv(port, broker.sock)
    p = H.spawn([activate, "-E", "NATTER_LOG=stderr"] + argv,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
    log = H.LogReader(p.stderr)
    wait_listening(port, p, "systemd-socket-activate")
    two_people_chat(port)
    stop(p)
    # No UCSPI or xinetd variable here: the address is getpeername's.
    log.wait(r"natter-session\S*: .*ann.* 127\.0\.0\.1")


def test_no_broker_is_explained():
    """A session whose broker is not running tells the person so (and
    its log), then ends."""
    tcpserver = need("tcpserver")
    d = H.tmpdir()
    missing = os.path.join(d, "nobody", "broker.sock")
    port = H.free_port()
    env = dict(os.environ, NATTER_LOG="stderr")
    p = H.spawn([tcpserver, "-R", "-H", "-l", "localhost", "127.0.0.1",
                 str(port), H.bin_path("natter-session"), "-b", missing],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, env=env)
    log = H.LogReader(p.stderr)
    wait_listening(port, p, "tcpserver")
    c = connect(port)
    c.expect_re(r"\*\*\* [^\r\n]*(?i:broker|not running|unavailable)")
    c.expect_closed(timeout=15)
    log.wait(re.escape(missing) + "|(?i:broker)")
    stop(p)


class PipeSession:
    """natter-session with fds 0 and 1 on pipes, as `ssh host
    natter-session` runs it."""

    def __init__(self, sock, env=None):
        e = dict(os.environ)
        for k in ("TCPREMOTEIP", "REMOTE_ADDR", "REMOTE_HOST"):
            e.pop(k, None)
        e["NATTER_LOG"] = "stderr"
        e.update(env or {})
        self.proc = H.spawn([H.bin_path("natter-session"), "-b", sock],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=e)
        self.log = H.LogReader(self.proc.stderr)
        self.out = H.LogReader(self.proc.stdout)

    def send_line(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()


def test_pipes():
    """Two people on pipes chat; the peer address comes from whichever
    super-server variable is set."""
    broker = Broker()
    a = PipeSession(broker.sock, {"TCPREMOTEIP": "192.0.2.11"})
    b = PipeSession(broker.sock, {"REMOTE_ADDR": "192.0.2.22"})
    c = PipeSession(broker.sock, {"REMOTE_HOST": "192.0.2.33"})
    # The prompt has no newline: it shows once the next line arrives.
    for s, name in ((a, "ann"), (b, "bob"), (c, "cy")):
        s.send_line(name)
        s.out.wait(re.escape("-----Chatting Room-----"))
    b.send_line("hello through a pipe")
    a.out.wait(re.escape("[bob] : hello through a pipe"))
    c.out.wait(re.escape("[bob] : hello through a pipe"))
    for s, addr in ((a, "192.0.2.11"), (b, "192.0.2.22"),
                    (c, "192.0.2.33")):
        s.log.wait(re.escape(addr))
    for s in (a, b, c):
        s.send_line("/exit")
        assert s.proc.wait(timeout=H.DEFAULT_TIMEOUT) == 0


def test_terminal():
    """natter-session on a terminal (a local shell): log in and chat with
    a person on pipes."""
    broker = Broker()
    e = dict(os.environ, NATTER_LOG="stderr", NATTER_BROKER=broker.sock)
    for k in ("TCPREMOTEIP", "REMOTE_ADDR", "REMOTE_HOST"):
        e.pop(k, None)
    master, slave = pty.openpty()
    p = H.spawn([H.bin_path("natter-session")], stdin=slave, stdout=slave,
                stderr=subprocess.DEVNULL, env=e)
    os.close(slave)
    term = PtyReader(master)
    term.expect("ID: ")
    term.send_line("ann")
    term.expect("-----Chatting Room-----")
    bob = PipeSession(broker.sock)
    bob.send_line("bob")
    bob.out.wait(re.escape("-----Chatting Room-----"))
    term.expect("[bob] has joined the chat")
    term.send_line("hello from a terminal")
    bob.out.wait(re.escape("[ann] : hello from a terminal"))
    term.send_line("/exit")
    assert p.wait(timeout=H.DEFAULT_TIMEOUT) == 0
    bob.out.wait(re.escape("[ann] has left the chat"))
    bob.send_line("/exit")
    bob.proc.wait(timeout=H.DEFAULT_TIMEOUT)


class PtyReader:
    """The master side of a pty, with Conn-like expect."""

    def __init__(self, fd):
        self.fd = fd
        self.data = b""
        self.pos = 0

    def expect(self, literal, timeout=H.DEFAULT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            text = self.data.decode(errors="replace")
            i = text.find(literal, self.pos)
            if i >= 0:
                self.pos = i + len(literal)
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("expected %r on the terminal; got %r"
                                     % (literal, text[self.pos:]))
            r, _, _ = select.select([self.fd], [], [], min(left, 0.5))
            if r:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # EIO: the session closed the terminal
                    chunk = b""
                if not chunk:
                    raise AssertionError("terminal closed; expected %r; got "
                                         "%r" % (literal, text[self.pos:]))
                self.data += chunk

    def send_line(self, line):
        os.write(self.fd, line.encode() + b"\r")


def as_user(home):
    """Popen arguments that run a program as `nobody` when we are root
    (root's default socket is /run/natter, not ours to take), else as
    ourselves; home becomes theirs."""
    if os.getuid() != 0:
        return {}
    pw = pwd.getpwnam("nobody")
    os.chown(home, pw.pw_uid, pw.pw_gid)
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}


def test_default_broker_path():
    """With neither -b nor NATTER_BROKER, natter-session finds the broker
    that natterd -B runs where neither was told: the default path
    ($XDG_RUNTIME_DIR/natter/broker.sock for a user other than root)."""
    home = H.tmpdir()
    progs = {}
    # natterd -B execs the natter-broker beside it
    for name in ("natterd", "natter-broker", "natter-session"):
        progs[name] = os.path.join(home, name)
        shutil.copy2(H.bin_path(name), progs[name])
    who = as_user(home)
    env = dict(os.environ, XDG_RUNTIME_DIR=home, NATTER_LOG="stderr")
    for k in ("NATTER_BROKER", "TCPREMOTEIP", "REMOTE_ADDR", "REMOTE_HOST"):
        env.pop(k, None)
    broker = H.spawn([progs["natterd"], "-f", "-B"], **who,
                     env=env, stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    blog = H.LogReader(broker.stderr)
    sock = os.path.join(home, "natter", "broker.sock")
    # The socket exists from bind(2); connections are taken from
    # listen(2), which the broker logs.
    H.wait_until(lambda: "broker listening on" in blog.text() or
                 broker.poll() is not None,
                 what="natterd -B to listen on " + sock)
    assert broker.poll() is None, blog.text()
    assert os.stat(sock).st_uid == who.get("user", os.getuid())
    people = []
    for name in ("ann", "bob"):
        p = H.spawn([progs["natter-session"]], **who, env=env,
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE)
        out = H.LogReader(p.stdout)
        H.LogReader(p.stderr)
        p.stdin.write(name.encode() + b"\n")
        p.stdin.flush()
        out.wait(re.escape("-----Chatting Room-----"))
        people.append((p, out))
    (ann, ann_out), (bob, bob_out) = people
    bob.stdin.write(b"found you\n/exit\n")
    bob.stdin.flush()
    ann_out.wait(re.escape("[bob] : found you"))
    assert bob.wait(timeout=H.DEFAULT_TIMEOUT) == 0
    ann.stdin.close()


def test_natterd_service():
    """examples/natterd.service's command: natterd in the foreground with
    its own broker; two people chat through it."""
    d = H.tmpdir()
    port = H.free_port()
    argv = exec_start("natterd.service", os.path.join(d, "run", "b.sock"),
                      port)
    assert "-f" in argv and "127.0.0.1:%d" % port in argv, argv
    p = H.spawn(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
    log = H.LogReader(p.stderr)
    wait_listening(port, p, "natterd")
    two_people_chat(port)
    stop(p)
    assert p.returncode == 0, log.text()


def test_systemd_units_verify():
    """systemd itself finds nothing wrong in the example units (checked
    offline by systemd-analyze, the programs' paths set to this build)."""
    analyze = need("systemd-analyze")
    d = H.tmpdir()
    units = ["natter.socket", "natter@.service", "natterd.service",
             "natter-broker.service"]
    for unit in units:
        with open(os.path.join(EXAMPLES, unit)) as f:
            text = f.read()
        text = text.replace(STD_NATTERD, H.bin_path("natterd"))
        text = text.replace(STD_SESSION, H.bin_path("natter-session"))
        with open(os.path.join(d, unit), "w") as f:
            f.write(text)
    p = subprocess.run([analyze, "verify", "--man=no"] + units, cwd=d,
                       capture_output=True, text=True, timeout=60)
    out = (p.stdout + p.stderr).strip()
    assert p.returncode == 0 and not out, out


def make_users(path, entries):
    for name, pw in entries:
        p = subprocess.run([H.bin_path("natter-passwd"), "-f", path, name],
                           input=(pw + "\n").encode(), capture_output=True,
                           timeout=H.DEFAULT_TIMEOUT)
        assert p.returncode == 0, p.stderr


def test_passwords_socket_and_pipe():
    """With -U, a person under tcpserver gets IAC WILL ECHO around the
    password (a socket may be telnet); one on pipes gets no telnet bytes
    at all; both log in and hear each other."""
    tcpserver = need("tcpserver")
    broker = Broker()
    users = os.path.join(H.tmpdir(), "users")
    make_users(users, [("ann", "ann-pw-1"), ("bob", "bob-pw-2")])
    port = H.free_port()
    p = H.spawn([tcpserver, "-R", "-H", "-l", "localhost", "127.0.0.1",
                 str(port), H.bin_path("natter-session"), "-b", broker.sock,
                 "-U", users], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_listening(port, p, "tcpserver")
    ann = connect(port)
    ann.expect("ID: ")
    ann.send_line("ann")
    ann.expect("PW: ")
    will_echo = ann.raw.find(b"\xff\xfb\x01")
    assert 0 <= will_echo < ann.raw.find(b"PW: "), ann.raw
    ann.send_line("ann-pw-1")
    ann.expect("-----Chatting Room-----")
    assert b"\xff\xfc\x01" in ann.raw, ann.raw  # IAC WONT ECHO after

    e = dict(os.environ, NATTER_LOG="stderr")
    bob = H.spawn([H.bin_path("natter-session"), "-b", broker.sock,
                   "-U", users], stdin=subprocess.PIPE,
                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=e)
    bob.stdin.write(b"bob\nbob-pw-2\nhello, ann\n/exit\n")
    bob.stdin.flush()
    ann.expect("[bob] : hello, ann")
    out, _ = bob.communicate(timeout=H.DEFAULT_TIMEOUT)
    assert bob.returncode == 0
    assert b"Log-in success!! [bob]" in out, out
    assert b"\xff" not in out, out
    ann.send_line("/exit")
    ann.expect_closed()
    stop(p)
