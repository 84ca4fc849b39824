"""Deploying natter the way admins do: every program's --help and -V,
the log's time stamps (and none for the journal), natter-passwd on a
fresh host, readiness over $NOTIFY_SOCKET, systemd's socket activation
(systemd-socket-activate) and `make install` with DESTDIR.
"""
import os
import re
import shutil
import signal
import socket
import subprocess

import harness as H
import test_man

REPO = os.path.abspath(os.path.join(H.HERE, ".."))
PROGRAMS = ["natterd", "natter-broker", "natter-session", "natter",
            "natter-passwd", "natterctl"]
UNITS = ["natterd.service", "natterd.socket", "natter-broker.service",
         "natter.socket", "natter@.service"]
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def need(prog):
    path = shutil.which(prog, path=os.environ.get("PATH", "") +
                        ":/usr/sbin:/sbin")
    if not path:
        raise H.Skip("%s is not installed (tests/deps.sh installs it)"
                     % prog)
    return path


def run(argv, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("timeout", H.DEFAULT_TIMEOUT)
    kw.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(argv, **kw)


def test_help_and_version_everywhere():
    """--help and -h print the usage on stdout, -V and --version the
    version, all with status 0 and nothing on stderr."""
    for prog in PROGRAMS:
        env = dict(os.environ, NATTER_LOG="stderr")
        for arg in ("-V", "--version"):
            p = run([H.bin_path(prog), arg], env=env)
            assert (p.returncode, p.stderr) == (0, b""), (prog, arg, p)
            assert re.fullmatch(rb"%s \d+\.\d+\S*\n" % prog.encode(),
                                p.stdout), (prog, arg, p.stdout)
        usage = run([H.bin_path(prog), "-h"], env=env)
        p = run([H.bin_path(prog), "--help"], env=env)
        assert (p.returncode, p.stderr) == (0, b""), (prog, p)
        assert p.stdout == usage.stdout and b"usage: " + prog.encode() \
            in p.stdout, (prog, p.stdout)


def test_log_lines_carry_the_time():
    """natterd -f, its broker and its sessions start each log line with
    an RFC 3339 UTC time; with NATTER_LOG_TIME=0 they do not."""
    d = H.Natterd()
    c = d.login("ann")
    d.log.wait(r"^%s natterd\[\d+\]: listening on" % STAMP)
    d.log.wait(r"^%s natterd-broker\[\d+\]: " % STAMP)
    d.log.wait(r"^%s natter-session\[\d+\]: .*ann" % STAMP)
    c.close()
    assert d.stop() == 0
    e = H.Natterd(env={"NATTER_LOG_TIME": "0"})
    e.login("bob").close()
    e.log.wait(r"natter-session\[\d+\]: .*bob")
    assert e.stop() == 0
    assert not re.search(STAMP, e.log.text()), e.log.text()


def test_no_time_when_stderr_is_the_journal():
    """$JOURNAL_STREAM naming stderr's own device and inode (systemd's
    way of saying stderr is the journal) leaves the time out; one naming
    another file does not."""
    d = H.tmpdir()
    log = os.path.join(d, "log")
    for same in (True, False):
        with open(log, "w") as f:
            st = os.fstat(f.fileno())
            js = "%d:%d" % (st.st_dev, st.st_ino + (0 if same else 1))
            env = dict(os.environ, NATTER_LOG="stderr", JOURNAL_STREAM=js)
            run([H.bin_path("natter-session"), "-Q"], env=env, stderr=f,
                capture_output=False)
        text = open(log).read()
        assert "unknown option -Q" in text, text
        assert bool(re.match(STAMP, text)) != same, (same, text)


def passwd(args):
    return run([H.bin_path("natter-passwd")] + args, input=b"pw\n",
               stdin=None)


def test_passwd_makes_the_directory():
    """On a fresh host, natter-passwd -f /etc/natter/users creates
    /etc/natter (0755) and says so; a missing parent is named."""
    d = H.tmpdir()
    users = os.path.join(d, "etc", "natter", "users")
    p = passwd(["-f", users, "ann"])
    assert p.returncode == 1, p
    assert p.stderr == ("natter-passwd: no directory %s, and it cannot be "
                        "created: No such file or directory\n"
                        % os.path.dirname(users)).encode(), p.stderr
    os.mkdir(os.path.join(d, "etc"))
    p = passwd(["-f", users, "ann"])
    assert p.returncode == 0, p
    assert p.stderr == ("natter-passwd: created directory %s\n"
                        % os.path.dirname(users)).encode(), p.stderr
    assert os.stat(os.path.dirname(users)).st_mode & 0o7777 == 0o755
    assert open(users).read().startswith("ann:$")
    p = passwd(["-f", users, "bob"])
    assert (p.returncode, p.stderr) == (0, b""), p


def notify_socket(d, abstract):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if abstract:
        name = "@natter-test-notify-%d" % os.getpid()
        s.bind("\0" + name[1:])
    else:
        name = os.path.join(d, "notify")
        s.bind(name)
    s.settimeout(H.DEFAULT_TIMEOUT)
    return s, name


def test_notify_ready_and_stopping():
    """natterd sends READY=1 to $NOTIFY_SOCKET (a path, or an abstract
    name written @name) once it listens and its broker serves, STOPPING=1
    on SIGTERM; the broker and sessions do not see the variable."""
    for abstract in (False, True):
        s, name = notify_socket(H.tmpdir(), abstract)
        env_file = os.path.join(H.tmpdir(), "env")
        d = H.Natterd(env={"NOTIFY_SOCKET": name}, wait=False, handler=[
            "/bin/sh", "-c", 'env > "$1"; echo bye', "sh", env_file])
        assert s.recv(300) == b"READY=1"
        # by then it listens and the broker's socket is there
        m = d.log.wait(r"listening on (\S+):(\d+)")
        assert os.path.exists(d.sock)
        c = H.Conn(m.group(1), int(m.group(2)))
        c.expect("bye")
        H.wait_until(lambda: os.path.exists(env_file), what="env file")
        H.wait_until(lambda: "PROTO=TCP" in open(env_file).read())
        assert "NOTIFY_SOCKET" not in open(env_file).read()
        d.proc.send_signal(signal.SIGTERM)
        assert s.recv(300) == b"STOPPING=1"
        assert d.proc.wait(timeout=H.DEFAULT_TIMEOUT) == 0
        s.close()


def activate(*listen, extra=(), env=None):
    """natterd started by systemd-socket-activate on the addresses."""
    tool = need("systemd-socket-activate")
    d = H.tmpdir()
    argv = [tool]
    for a in listen:
        argv += ["-l", a]
    argv += [H.bin_path("natterd"), "-f", "-s",
             os.path.join(d, "run", "b.sock"),
             "-D", os.path.join(d, "state")] + list(extra)
    p = H.spawn(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, env=env)
    return p, H.LogReader(p.stderr)


def chat_on(host, port):
    a = H.Conn(host, port)
    a.expect("ID: ")
    a.send_line("ann")
    a.expect("-----Chatting Room-----")
    b = H.Conn(host, port)
    b.expect("ID: ")
    b.send_line("bob")
    b.expect("-----Chatting Room-----")
    a.expect("[bob] has joined the chat")
    b.send_line("hello over an adopted socket")
    a.expect("[bob] : hello over an adopted socket")
    a.close()
    b.close()


def test_socket_activation():
    """natterd adopts the listeners systemd passes (LISTEN_FDS,
    LISTEN_PID, Accept=no), IPv4 and IPv6, in place of its default
    address; people chat through both; LISTEN_* are not passed on."""
    port = H.free_port()
    p, log = activate("127.0.0.1:%d" % port, "[::1]:%d" % port)
    log.wait(r"Listening on \[::1\]:%d" % port)
    # natterd starts at the first connection, which waits in the queue
    chat_on("127.0.0.1", port)
    chat_on("::1", port)
    log.wait(r"listening on 127\.0\.0\.1:%d" % port)
    log.wait(r"listening on \[::1\]:%d" % port)
    assert not re.search(r"listening on .*:4120", log.text())
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=H.DEFAULT_TIMEOUT) == 0, log.text()


def test_socket_activation_replaces_l():
    """Passed sockets replace the -l addresses (so natterd.service runs
    alike with and without natterd.socket), which natterd logs."""
    port, other = H.free_port(), H.free_port()
    p, log = activate("127.0.0.1:%d" % port,
                      extra=["-l", "127.0.0.1:%d" % other])
    log.wait(r"Listening on 127\.0\.0\.1:%d" % port)
    chat_on("127.0.0.1", port)
    log.wait(r"listening on 127\.0\.0\.1:%d" % port)
    log.wait(r"socket activation: 1 listeners passed, -l not used")
    assert "listening on 127.0.0.1:%d" % other not in log.text()
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=H.DEFAULT_TIMEOUT) == 0, log.text()


def test_socket_activation_refuses_a_non_listener():
    """A passed descriptor that is not a listening TCP socket (a UDP
    socket, a connected one) stops natterd at start with one line
    naming it, status 100; LISTEN_PID for another process is ignored."""
    d = H.tmpdir()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen()
    conn = socket.create_connection(lst.getsockname())
    for bad in (udp, conn):
        os.dup2(bad.fileno(), 3, inheritable=True)
        p = run(["/bin/sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"', "sh",
                 H.bin_path("natterd"), "-f", "-s",
                 os.path.join(d, "b.sock"), "-D", os.path.join(d, "state")],
                pass_fds=(3,))
        os.close(3)
        assert p.returncode == 100, p
        assert p.stderr == (b"natterd: socket activation: descriptor 3 is "
                            b"not a listening TCP socket (natterd takes "
                            b"Accept=no ListenStream= sockets only)\n"), p
    # LISTEN_PID names another process: natterd listens on its own -l
    p = H.spawn([H.bin_path("natterd"), "-f", "-s", os.path.join(d, "c.sock"),
                 "-D", os.path.join(d, "state"), "-l", "127.0.0.1:0"], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                env=dict(os.environ, LISTEN_PID="1", LISTEN_FDS="1"))
    log = H.LogReader(p.stderr)
    log.wait(r"listening on 127\.0\.0\.1:\d+")
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=H.DEFAULT_TIMEOUT) == 0


def test_make_install_destdir():
    """make install DESTDIR=... PREFIX=/usr puts the examples and the
    systemd units in their places too, naming the installed paths."""
    dest = test_man.make_install("/usr")
    want = ["usr/share/doc/natter/examples/natterd.service",
            "usr/share/doc/natter/examples/logrotate.natter",
            "usr/share/doc/natter/examples/README"]
    want += ["usr/lib/systemd/system/" + u for u in UNITS]
    missing = [w for w in want if not os.path.isfile(os.path.join(dest, w))]
    assert not missing, missing
    with open(os.path.join(dest, "usr/lib/systemd/system/natterd.service")) as f:
        text = f.read()
    assert "ExecStart=/usr/sbin/natterd -f " in text, text
    assert "/usr/local" not in text
    with open(os.path.join(dest, "usr/lib/systemd/system/natter@.service")) as f:
        assert "ExecStart=/usr/libexec/natter/natter-session " in f.read()


def units_for_this_build(d):
    for unit in UNITS:
        with open(os.path.join(REPO, "examples", unit)) as f:
            text = f.read()
        text = text.replace("/usr/local/sbin/natterd", H.bin_path("natterd"))
        text = text.replace("/usr/local/libexec/natter/natter-session",
                            H.bin_path("natter-session"))
        with open(os.path.join(d, unit), "w") as f:
            f.write(text)


def test_units_verify_and_security():
    """systemd-analyze verify finds nothing wrong in natterd.service and
    natterd.socket; systemd-analyze security rates natterd.service's
    exposure at most 2.0 ("OK")."""
    analyze = need("systemd-analyze")
    d = H.tmpdir()
    units_for_this_build(d)
    p = run([analyze, "verify", "--man=no", "natterd.service",
             "natterd.socket"], cwd=d, timeout=60)
    out = (p.stdout + p.stderr).decode().strip()
    assert p.returncode == 0 and not out, out
    p = run([analyze, "security", "--offline=yes", "--no-pager",
             "natterd.service"], cwd=d, timeout=60)
    m = re.search(rb"Overall exposure level for natterd.service: "
                  rb"(\d+\.\d+)", p.stdout)
    assert m and float(m.group(1)) <= 2.0, p.stdout[-400:]
