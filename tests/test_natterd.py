"""natterd, the supervisor: real natterd processes on loopback serving
real handler programs (/bin/cat as an echo service, /usr/bin/env to see
the environment), checked through their sockets, logs and /proc."""
import os
import re
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time

from harness import (Conn, Natterd, Skip, bin_path, children_of, cpu_share,
                     free_port, spawn, tmpdir, wait_until, LogReader)

CAT = ["/bin/cat"]


def comm_of(pid):
    """What ps shows as pid's name ("" once it is gone)."""
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def start(*args, handler=None, listen="127.0.0.1:0", sock=None, env=None):
    """A Natterd whose broker socket may be given (the harness's own is
    in a directory only root can enter)."""
    if sock is None:
        return Natterd(*args, handler=handler, listen=listen, env=env)
    d = Natterd("-s", sock, *args, handler=handler, listen=listen, env=env,
                wait=False)
    m = d.log.wait(r"listening on (\S+):(\d+)")
    d.host, d.port, d.sock = m.group(1).strip("[]"), int(m.group(2)), sock
    wait_until(lambda: os.path.exists(sock), what="broker socket")
    return d


def read_all(c, timeout=10):
    """Everything the service sends until it closes."""
    c.expect_closed(timeout)
    return c.raw


def env_of(c):
    """The environment a handler running /usr/bin/env printed."""
    return dict(l.split("=", 1) for l in
                read_all(c).decode().splitlines() if "=" in l)


def session_pids(d, start=0):
    return [int(m) for m in re.findall(r"connection from \S+ pid (\d+)",
                                       "\n".join(d.log.lines[start:]))]


def wait_sessions(d, n):
    """The pids of the first n sessions, once natterd has logged them
    (a handler may answer before its parent logs the connection)."""
    return wait_until(lambda: len(session_pids(d)) >= n and session_pids(d),
                      what="%d sessions logged" % n)[:n]


def broker_pid(d, start=0):
    return int(d.log.wait(r"broker started, pid (\d+)", start=start).group(1))


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def run_natterd(args, timeout=10):
    return subprocess.run([bin_path("natterd")] + args, capture_output=True,
                          text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


# --- serving -------------------------------------------------------------

def test_echo_50_concurrent():
    d = start("-c", "100", "-p", "0", handler=CAT)
    results = {}

    def one(i):
        data = (("%d:" % i) * 2000).encode()[:6000 + i]
        c = socket.create_connection((d.host, d.port), timeout=10)
        c.sendall(data)
        c.shutdown(socket.SHUT_WR)
        got = b""
        while True:
            b = c.recv(65536)
            if not b:
                break
            got += b
        c.close()
        results[i] = (got == data)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 50, "only %d connections finished" % len(results)
    assert all(results.values()), "some echoes differed"
    wait_until(lambda: len(re.findall(r"end 127\.0\.0\.1:\d+ pid \d+: exit 0",
                                      d.log.text())) == 50,
               what="50 sessions logged as ended")


def test_handler_environment():
    dir_ = tmpdir()
    users = os.path.join(dir_, "users")
    motd = os.path.join(dir_, "motd")
    for p in (users, motd):
        with open(p, "w") as f:
            f.write("x\n")
    d = start("-U", users, "-M", motd, handler=["/usr/bin/env"])
    c = d.connect()
    myport = c.sock.getsockname()[1]
    env = env_of(c)
    assert env["PROTO"] == "TCP"
    assert env["TCPREMOTEIP"] == "127.0.0.1"
    assert env["TCPREMOTEPORT"] == str(myport)
    assert env["TCPLOCALIP"] == "127.0.0.1"
    assert env["TCPLOCALPORT"] == str(d.port)
    assert env["NATTER_BROKER"] == d.sock
    assert env["NATTER_LOG"] == "stderr"
    assert env["NATTER_USERS"] == os.path.realpath(users)
    assert env["NATTER_MOTD"] == os.path.realpath(motd)


def test_handler_gets_only_fds_0_1_2():
    d = start(handler=["/bin/ls", "/proc/self/fd"])
    c = d.connect()
    fds = set(int(x) for x in read_all(c).split())
    # ls itself holds one descriptor open for reading the directory
    assert {0, 1, 2} <= fds and len(fds - {0, 1, 2}) <= 1, fds
    # and the handler's 0 and 1 are the socket, its 2 natterd's log
    d2 = start(handler=["/bin/sh", "-c",
                        "readlink /proc/self/fd/0 /proc/self/fd/1 "
                        "/proc/self/fd/2; echo oops >&2"])
    out = read_all(d2.connect()).decode().split()
    assert out[0].startswith("socket:") and out[0] == out[1], out
    assert not out[2].startswith("socket:"), out
    d2.log.wait("oops")


def test_default_handler_is_natter_session_beside_natterd():
    if not os.access(bin_path("natter-session"), os.X_OK):
        raise Skip("natter-session not built")
    d = start()
    m = d.log.wait(r"handler (\S+)")
    assert m.group(1) == os.path.realpath(bin_path("natter-session"))
    c = d.connect()
    c.expect("ID: ")


# --- limits --------------------------------------------------------------

def natterd_with_hard_nofile(hard, *args):
    """natterd's log, once it has named its handler, started with the
    hard descriptor limit at `hard`."""
    d = tmpdir()

    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    p = spawn([bin_path("natterd"), "-f", "-l", "127.0.0.1:0",
               "-s", os.path.join(d, "run", "broker.sock"),
               "-D", os.path.join(d, "state")] + list(args),
              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
              stderr=subprocess.PIPE, preexec_fn=limit)
    log = LogReader(p.stderr)
    log.wait(r"natterd\[\d+\]: handler ")
    p.terminate()
    p.wait(timeout=10)
    return log.text()


def test_hard_descriptor_limit_below_c_is_said_at_start():
    """The broker takes a descriptor per session (and raises its soft
    limit to the hard one); a hard limit too low for -c is one warning
    at start, not a surprise at the limit.  -c within it: no warning."""
    low = natterd_with_hard_nofile(512, "-c", "1000")
    assert re.search(r"descriptor limit 512 \(hard\) is below -c 1000 "
                     r"plus 64: the broker cannot take sessions past "
                     r"about 448", low), low
    ok = natterd_with_hard_nofile(512, "-c", "400")
    assert "descriptor limit" not in ok, ok


def test_session_limit_refuses_then_recovers():
    d = start("-c", "2", handler=CAT)
    a, b = d.connect(), d.connect()
    for c in (a, b):
        c.send("ping\n")
        c.expect("ping")
    c = d.connect()
    assert read_all(c) == (b"natterd: too many connections; "
                           b"try again in 10 seconds\r\n")
    d.log.wait(r"refused 127\.0\.0\.1:\d+: too many connections")
    a.close()
    d.log.wait(r"end 127\.0\.0\.1:\d+ pid \d+: exit 0")
    c = d.connect()
    c.send("back\n")
    c.expect("back")


def test_session_limit_holds_for_simultaneous_connections():
    """-c counts handlers still being started: of 12 connections made at
    once, exactly 4 get a session, whichever acceptor takes them."""
    d = start("-c", "4", "-r", "0", "-p", "0", handler=CAT)
    conns = [socket.create_connection((d.host, d.port), timeout=10)
             for _ in range(12)]
    wait_until(lambda: d.log.text().count("too many connections") >= 8,
               what="8 refusals logged")
    refused = [c for c in conns if read_all_raw(c, 0.2).startswith(
        b"natterd: too many connections")]
    served = [c for c in conns if c not in refused]
    assert len(refused) == 8 and len(served) == 4
    for c in served:
        c.sendall(b"ping\n")
        assert read_all_raw(c, 10, until=b"\n") == b"ping\n"
    for c in conns:
        c.close()


def read_all_raw(c, timeout, until=None):
    """What a plain socket receives until it closes (or sends `until`),
    or what came within timeout."""
    got = b""
    c.settimeout(timeout)
    try:
        while not (until and got.endswith(until)):
            b = c.recv(200)
            if not b:
                break
            got += b
    except socket.timeout:
        pass
    return got


def test_per_source_limit():
    d = start("-A", "-p", "2", "-c", "10", handler=CAT)
    a, b = d.connect(), d.connect()
    for c in (a, b):
        c.send("x\n")
        c.expect("x")
    c = d.connect()
    assert read_all(c) == (b"natterd: too many connections from your "
                           b"address; try again in 10 seconds\r\n")
    # another address is another source
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    s.settimeout(10)
    s.connect((d.host, d.port))
    other = Conn(sock=s)
    other.send("other\n")
    other.expect("other")


def test_loopback_exempt_from_per_source_limits_without_A():
    """The same limits refuse loopback with -A (the control: they are in
    force, so a natterd that enforced none would fail here), and let
    five connections in without it."""
    a = start("-A", "-p", "1", "-r", "2/60", handler=CAT)
    first = a.connect()
    first.send("in\n")
    first.expect("in")
    assert read_all(a.connect()).startswith(b"natterd: too many "), \
        "the limits are not in force"
    d = start("-p", "1", "-r", "2/60", handler=CAT)
    conns = [d.connect() for _ in range(5)]
    for i, c in enumerate(conns):
        c.send("n%d\n" % i)
        c.expect("n%d" % i)


def test_rate_limit_refuses_and_recovers():
    d = start("-A", "-r", "3/2", "-p", "0", handler=["/bin/true"])
    for _ in range(3):
        assert read_all(d.connect()) == b""
    msg = read_all(d.connect())
    assert re.fullmatch(rb"natterd: connecting too often from your address; "
                        rb"try again in [12] seconds?\r\n", msg), msg
    d.log.wait(r"refused 127\.0\.0\.1:\d+: connecting too often")

    def admitted():
        return read_all(d.connect()) == b""
    wait_until(admitted, timeout=5, interval=0.2, what="rate limit recovery")


# --- children ------------------------------------------------------------

def test_killed_handler_is_reaped_and_logged():
    d = start(handler=CAT)
    c = d.connect()
    c.send("hi\n")
    c.expect("hi")
    pid = wait_sessions(d, 1)[0]
    os.kill(pid, signal.SIGKILL)
    d.log.wait(r"end 127\.0\.0\.1:\d+ pid %d: killed by signal 9 after "
               r"\d+\.\d{3} s" % pid)
    c.expect_closed()
    assert pid not in [p for p, _ in children_of(d.proc.pid)]


def test_500_short_connections_leave_no_zombie():
    d = start("-r", "0", "-p", "0", handler=["/bin/sh", "-c", "echo hi"])
    errors = []

    def worker(n):
        for _ in range(n):
            c = socket.create_connection((d.host, d.port), timeout=10)
            got = b""
            while True:
                b = c.recv(100)
                if not b:
                    break
                got += b
            c.close()
            if got != b"hi\n":
                errors.append(got)

    threads = [threading.Thread(target=worker, args=(125,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:3]
    wait_until(lambda: d.log.text().count(": exit 0 after") == 500,
               timeout=20, what="500 ends logged")
    # Each session's start and end are logged once, with its pid, even
    # when a handler ended before natterd read its launcher's STARTED.
    text = d.log.text()
    started = re.findall(r"connection from \S+ pid (\d+)", text)
    ended = re.findall(r"end \S+ pid (\d+): exit 0", text)
    assert len(started) == 500 and sorted(started) == sorted(ended)
    assert "unknown child" not in text
    broker = broker_pid(d)
    kids = children_of(d.proc.pid, raw=True)
    assert all(st != "Z" for _, st in kids), kids
    assert sorted(p for p, _ in kids) == sorted(
        [broker] + launcher_pids(d)), kids


def launcher_pids(d):
    """natterd's launchers, by what ps shows of them."""
    return [p for p, _ in children_of(d.proc.pid, raw=True)
            if open_cmdline(str(p)).startswith("natterd: launcher")]


def all_launchers(d):
    """Every launcher natterd started (its log says which: two per
    processor), once each has titled itself: their pids, sorted."""
    def ready():
        started = {int(p) for p in re.findall(
            r"launcher \d+ started, pid (\d+)", d.log.text())}
        titled = set(launcher_pids(d))
        return len(started) >= 2 and started == titled and sorted(started)
    return wait_until(ready, what="every launcher titled")


def test_sigterm_ends_sessions_and_cleans_up():
    d = start("-t", "1", handler=["/bin/sh", "-c",
                                  "trap '' TERM; echo up; exec cat"])
    conns = [d.connect() for _ in range(3)]
    for c in conns:
        c.expect("up")
    pids = wait_sessions(d, 3)
    broker = broker_pid(d)
    t0 = time.monotonic()
    assert d.stop(signal.SIGTERM) == 0
    took = time.monotonic() - t0
    assert 0.9 < took < 6, took  # the grace time, then SIGKILL
    d.log.wait(r"killing 3 sessions")
    for c in conns:
        c.expect_closed()
    for p in pids + [broker]:
        assert not pid_alive(p), p
    assert not os.path.exists(d.sock)


def test_sigterm_quick_when_handlers_obey():
    d = start(handler=CAT)
    c = d.connect()
    c.send("a\n")
    c.expect("a")
    t0 = time.monotonic()
    assert d.stop(signal.SIGTERM) == 0
    assert time.monotonic() - t0 < 3
    assert "killing" not in d.log.text()
    c.expect_closed()
    assert not os.path.exists(d.sock)


def test_sighup_keeps_sessions():
    d = start(handler=CAT)
    c = d.connect()
    broker = broker_pid(d)
    d.proc.send_signal(signal.SIGHUP)
    d.log.wait("SIGHUP: reopening logs")
    c.send("still\n")
    c.expect("still")
    assert pid_alive(broker)
    assert len(re.findall("broker started", d.log.text())) == 1


def test_broker_restarted_after_sigkill():
    d = start(handler=CAT)
    old = broker_pid(d)
    n = len(d.log.lines)
    os.kill(old, signal.SIGKILL)
    d.log.wait(r"broker pid %d killed by signal 9" % old, start=n)
    new = broker_pid(d, start=n)
    assert new != old

    def reachable():
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(d.sock)
            return True
        except OSError:
            return False
        finally:
            s.close()
    wait_until(reachable, what="restarted broker's socket")
    kids = [p for p, st in children_of(d.proc.pid)]
    assert new in kids and old not in kids


def test_emfile_pauses_without_spinning_and_recovers():
    if os.environ.get("NATTER_TSAN"):
        raise Skip("ThreadSanitizer needs descriptors of its own")
    d = start(handler=CAT)
    fds = sorted(int(x) for x in os.listdir("/proc/%d/fd" % d.proc.pid))
    if fds != list(range(len(fds))):
        raise Skip("natterd's descriptors are not contiguous: %r" % fds)
    soft, hard = resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE)
    resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE, (len(fds), hard))
    n = len(d.log.lines)
    c = d.connect()   # completed by the kernel, natterd cannot accept it
    c.send("waiting\n")
    d.log.wait(r"accept: Too many open files; pausing new connections",
               start=n)

    share = cpu_share(d.proc.pid)
    assert share < 0.05, ("natterd spins while out of descriptors", share)
    assert d.log.text().count("pausing new connections") == 1
    resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE, (soft, hard))
    c.expect("waiting")
    d.log.wait("accepting connections again", start=n)


# --- daemon mode ---------------------------------------------------------

def test_daemon_pid_file_and_second_start_refused():
    dir_ = tmpdir()
    pidfile = os.path.join(dir_, "natterd.pid")
    sock = os.path.join(dir_, "run", "broker.sock")
    port = free_port()
    args = ["-P", pidfile, "-s", sock, "-l", "127.0.0.1:%d" % port,
            "--", "/bin/cat"]
    r = run_natterd(args)
    assert r.returncode == 0, r.stderr
    pid = int(open(pidfile).read())
    try:
        assert pid_alive(pid)
        with open("/proc/%d/stat" % pid) as f:
            st = f.read().split(")")[-1].split()
        assert int(st[3]) != pid, "a daemon is not a session leader"
        assert os.readlink("/proc/%d/cwd" % pid) == "/"
        wait_until(lambda: os.path.exists(sock), what="broker socket")
        c = Conn("127.0.0.1", port)
        c.send("daemon\n")
        c.expect("daemon")
        c.close()
        r2 = run_natterd(["-P", pidfile, "-s", sock + "2",
                          "-l", "127.0.0.1:0", "--", "/bin/cat"])
        assert r2.returncode == 111
        assert r2.stderr == "natterd: already running (pid %d holds %s)\n" % (
            pid, pidfile), r2.stderr
        assert int(open(pidfile).read()) == pid
    finally:
        os.kill(pid, signal.SIGTERM)
    wait_until(lambda: not pid_alive(pid), what="daemon to stop")
    assert not os.path.exists(pidfile)
    assert not os.path.exists(sock)


# --- start-up errors -----------------------------------------------------

def expect_start_error(args, pattern, status=None):
    dir_ = tmpdir()
    sock = os.path.join(dir_, "run", "broker.sock")
    r = run_natterd(["-f", "-s", sock] + args)
    assert r.returncode != 0, (args, r.stderr)
    if status is not None:
        assert r.returncode == status, (args, r.returncode, r.stderr)
    assert re.fullmatch("natterd: " + pattern + "\n", r.stderr), (
        args, r.stderr)
    assert not os.path.exists(sock)
    assert not [p for p in os.listdir("/proc") if p.isdigit()
                and sock in open_cmdline(p)]


def open_cmdline(pid):
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def test_start_errors():
    expect_start_error(["-Z"], r"unknown option -Z \(see natterd -h\)", 100)
    expect_start_error(["-c", "0"], r"bad -c value '0' .*", 100)
    expect_start_error(["-r", "x"], r"bad -r value 'x' .*", 100)
    expect_start_error(["-l", "127.0.0.1:0", "stray"],
                       r"unexpected argument 'stray' .*", 100)
    expect_start_error(["-l", "[::1", "--", "/bin/cat"], r"bad listen address '\[::1' .*")
    expect_start_error(["-l", "127.0.0.1:99999", "--", "/bin/cat"],
                       r"bad port in '127\.0\.0\.1:99999' \(0 to 65535\)", 100)
    expect_start_error(["-l", "127.0.0.1:nosuchservice", "--", "/bin/cat"],
                       r"cannot listen on 127\.0\.0\.1:nosuchservice: .*",
                       100)
    expect_start_error(["-l", "192.0.2.1:0", "--", "/bin/cat"],
                       r"cannot listen on 192\.0\.2\.1:0: "
                       r"Cannot assign requested address", 111)
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    expect_start_error(["-l", "127.0.0.1:%d" % port, "--", "/bin/cat"],
                       r"cannot listen on 127\.0\.0\.1:%d: Address already "
                       r"in use" % port, 111)
    expect_start_error(["-l", "127.0.0.1:0", "--", "/nonexistent/prog"],
                       r"cannot use handler /nonexistent/prog: No such file "
                       r"or directory", 100)
    expect_start_error(["-l", "127.0.0.1:0", "--", "no-such-program-here"],
                       r"handler not found in PATH: no-such-program-here",
                       100)
    noexec = os.path.join(tmpdir(), "prog")
    with open(noexec, "w") as f:
        f.write("#!/bin/sh\n")
    os.chmod(noexec, 0o644)
    expect_start_error(["-l", "127.0.0.1:0", "--", noexec],
                       r"cannot execute handler %s: Permission denied"
                       % re.escape(os.path.realpath(noexec)), 100)
    expect_start_error(["-l", "127.0.0.1:0", "-P", "/nonexistent/d/x.pid",
                        "--", "/bin/cat"],
                       r"cannot open pid file /nonexistent/d/x\.pid: No such "
                       r"file or directory", 111)
    expect_start_error(["-l", "127.0.0.1:0", "-U", "/nonexistent/users",
                        "--", "/bin/cat"],
                       r"cannot read users file /nonexistent/users: No such "
                       r"file or directory", 100)
    expect_start_error(["-u", "no-such-user-x", "--", "/bin/cat"],
                       r"no such user: no-such-user-x", 100)


def test_unwritable_pid_file_in_daemon_mode_leaves_nothing():
    dir_ = tmpdir()
    sock = os.path.join(dir_, "run", "broker.sock")
    r = run_natterd(["-P", "/nonexistent/d/x.pid", "-s", sock, "-l",
                     "127.0.0.1:0", "--", "/bin/cat"])
    assert r.returncode == 111
    assert r.stderr == ("natterd: cannot open pid file /nonexistent/d/x.pid: "
                        "No such file or directory\n"), r.stderr
    assert not os.path.exists(sock)


def test_usage():
    r = run_natterd(["-h"])
    assert r.returncode == 0 and r.stdout.startswith("usage: natterd")


# --- addresses -----------------------------------------------------------

def have_ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def test_ipv6_loopback():
    if not have_ipv6_loopback():
        raise Skip("no ::1")
    d = start(listen="[::1]:0", handler=["/usr/bin/env"])
    assert re.search(r"listening on \[::1\]:%d" % d.port, d.log.text())
    c = d.connect()
    env = env_of(c)
    assert env["TCPREMOTEIP"] == "::1"
    assert env["TCPLOCALIP"] == "::1"
    assert env["TCPLOCALPORT"] == str(d.port)


def test_every_address_ipv4_and_ipv6_on_one_port():
    if not have_ipv6_loopback():
        raise Skip("no ::1")
    port = free_port()
    d = start(listen="*:%d" % port, handler=CAT)
    d.log.wait(r"listening on 0\.0\.0\.0:%d" % port)
    d.log.wait(r"listening on \[::\]:%d" % port)  # IPV6_V6ONLY: no clash
    for host in ("127.0.0.1", "::1"):
        c = Conn(host, port)
        c.send("both\n")
        c.expect("both")


def test_host_name_listens_on_each_address():
    d = start(listen="localhost:0", handler=CAT)
    addrs = {ai[4][0] for ai in socket.getaddrinfo(
        "localhost", 0, type=socket.SOCK_STREAM)}
    d.log.wait(r"listening on")
    wait_until(lambda: len(re.findall("listening on", d.log.text())) >=
               len(addrs & {"127.0.0.1", "::1"}), what="each address")
    found = set(m.strip("[]") for m in
                re.findall(r"listening on (\S+):\d+", d.log.text()))
    assert "127.0.0.1" in found
    if "::1" in addrs and have_ipv6_loopback():
        assert "::1" in found, found


# --- privileges ----------------------------------------------------------

def test_drop_to_nobody():
    if os.getuid() != 0:
        raise Skip("needs root")
    dir_ = tmpdir()
    os.chmod(dir_, 0o711)
    sock = os.path.join(dir_, "run", "broker.sock")
    d = start("-u", "nobody", sock=sock, handler=["/usr/bin/id"])
    out = read_all(d.connect()).decode()
    assert re.match(r"uid=65534\(nobody\) gid=65534", out), out
    assert "(root)" not in out, out
    st = os.stat(os.path.dirname(sock))
    assert st.st_uid == 65534 and stat.S_IMODE(st.st_mode) == 0o700
    with open("/proc/%d/status" % d.proc.pid) as f:
        uids = re.search(r"Uid:\s+(.*)", f.read()).group(1).split()
    assert set(uids) == {"65534"}, uids
    with open("/proc/%d/status" % broker_pid(d)) as f:
        assert re.search(r"Uid:\s+65534\s", f.read())


def test_drop_to_nobody_takes_over_roots_directory_with_its_lock():
    """A run as root, then one as nobody on the same socket path: the
    private directory and the broker's lock file in it are nobody's
    now, so the broker locks it (no warning) and serves."""
    if os.getuid() != 0:
        raise Skip("needs root")
    dir_ = tmpdir()
    os.chmod(dir_, 0o711)
    sock = os.path.join(dir_, "run", "broker.sock")
    d = start(sock=sock, handler=CAT)
    assert os.stat(sock + ".lock").st_uid == 0
    d.proc.send_signal(signal.SIGTERM)
    assert d.proc.wait(10) == 0
    d = start("-u", "nobody", sock=sock, handler=CAT)
    broker_pid(d)
    c = d.connect()
    c.send("hi\n")
    c.expect("hi")
    assert os.stat(sock + ".lock").st_uid == 65534
    assert "cannot lock" not in d.log.text(), d.log.text()


def test_drop_to_nobody_refuses_a_lock_file_that_is_a_hard_link():
    """Taking over another user's private directory, natterd gives the
    user the broker's lock file in it only if a broker could have made
    it: a hard link to someone else's file is refused, not chowned."""
    if os.getuid() != 0:
        raise Skip("needs root")
    dir_ = tmpdir()
    os.chmod(dir_, 0o711)
    run = os.path.join(dir_, "run")
    os.mkdir(run, 0o700)
    victim = os.path.join(dir_, "victim")
    open(victim, "w").close()
    os.chmod(victim, 0o600)
    sock = os.path.join(run, "broker.sock")
    os.link(victim, sock + ".lock")
    os.chown(run, 1, 1)  # daemon's: another user's private directory
    r = run_natterd(["-f", "-u", "nobody", "-s", sock, "-l", "127.0.0.1:0",
                     "--", "/bin/cat"])
    assert r.returncode == 100, (r.returncode, r.stderr)
    assert "is not a lock file a broker made" in r.stderr, r.stderr
    assert os.stat(victim).st_uid == 0


FAIL_UNIX_LISTEN_C = r"""
/* LD_PRELOAD: listen() on a UNIX socket fails, as if another broker
 * had bound in between: the broker fails after taking its lock. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/socket.h>

int listen(int fd, int backlog)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    ss.ss_family == AF_UNIX) {
		errno = EADDRINUSE;
		return -1;
	}
	int (*real)(int, int) = (int (*)(int, int))dlsym(RTLD_NEXT, "listen");
	return real(fd, backlog);
}
"""


def test_failed_first_broker_leaves_no_directory_behind():
    """With -u, natterd makes the socket's directory; when the first
    broker fails after making its lock file there, natterd's exit
    removes the lock file and the directory it made (where, as the
    user by then, it may)."""
    if os.getuid() != 0:
        raise Skip("needs root")
    from test_broker import c_shim, shim_env
    dir_ = tmpdir()
    # natterd is nobody by then: the parent must let it remove "run"
    os.chmod(dir_, 0o777)
    # natter-broker is exec'd as nobody: the shim must be readable there
    so = os.path.join(dir_, "failunixlisten.so")
    shutil.copy(c_shim("failunixlisten", FAIL_UNIX_LISTEN_C), so)
    os.chmod(so, 0o755)
    env = shim_env(so)
    run = os.path.join(dir_, "run")
    sock = os.path.join(run, "broker.sock")
    r = subprocess.run([bin_path("natterd"), "-f", "-u", "nobody", "-s",
                        sock, "-D", os.path.join(dir_, "state"), "-l", "127.0.0.1:0", "--", "/bin/cat"],
                       capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL, env=env)
    assert r.returncode == 111, (r.returncode, r.stderr)
    assert "could not start" in r.stderr, r.stderr
    assert not os.path.exists(run), os.listdir(run)


# --- the broker alone ----------------------------------------------------

def test_broker_alone_with_B():
    dir_ = tmpdir()
    sock = os.path.join(dir_, "run", "broker.sock")
    p = spawn([bin_path("natterd"), "-B", "-s", sock, "-D",
               os.path.join(dir_, "state")],
              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
              stderr=subprocess.PIPE)
    log = LogReader(p.stderr)
    def reachable():
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(sock)
            return True
        except OSError:  # not there yet, or bound but not yet listening
            return False
        finally:
            s.close()
    wait_until(reachable, what="broker socket")
    assert stat.S_IMODE(os.stat(os.path.dirname(sock)).st_mode) == 0o700
    # no supervisor, no listener: its only child flushes its room logs
    kids = [pid for pid, _ in children_of(p.pid)]
    assert [comm_of(pid) for pid in kids] in ([], ["natter-syncer"])
    if sys.platform.startswith("linux"):
        assert len(kids) == 1
    assert "listening on" not in log.text().replace("broker listening", "")
    p.send_signal(signal.SIGTERM)
    assert p.wait(10) == 0
    assert not os.path.exists(sock)


def test_full_source_table_forgets_the_oldest_idle_source():
    # -c 300: the table has its minimum of 1024 entries
    d = start("-A", "-c", "300", "-p", "0", "-r", "1/600",
              handler=["/bin/true"])

    def connect_from(addr):
        s = socket.socket()
        s.bind((addr, 0))
        s.settimeout(10)
        s.connect((d.host, d.port))
        c = Conn(sock=s)
        return read_all(c)

    refused = b"natterd: connecting too often"
    assert connect_from("127.1.0.1") == b""       # the oldest source
    assert connect_from("127.1.0.1").startswith(refused)
    others = ["127.2.%d.%d" % (i // 250, 1 + i % 250) for i in range(1030)]
    for a in others:
        assert connect_from(a) == b"", a          # never refused for room
    assert connect_from("127.1.0.1") == b""       # forgotten, so let in
    assert connect_from(others[-1]).startswith(refused)  # remembered


def test_drop_refused_when_user_cannot_reach_the_socket():
    if os.getuid() != 0:
        raise Skip("needs root")
    dir_ = tmpdir()  # 0700 root: nobody cannot enter it
    sock = os.path.join(dir_, "run", "broker.sock")
    r = run_natterd(["-f", "-u", "nobody", "-s", sock, "-l", "127.0.0.1:0",
                     "--", "/bin/cat"])
    assert r.returncode == 100
    assert r.stderr == ("natterd: broker socket directory %s is not usable "
                        "by nobody: Permission denied\n"
                        % os.path.dirname(sock)), r.stderr
    assert not os.path.exists(os.path.dirname(sock))  # made, then removed


# --- review additions ----------------------------------------------------

SOCKOPTS = ("import socket; s = socket.socket(fileno=0); "
            "print(s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE), "
            "s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)); "
            "s.detach()")


def test_accepted_socket_has_keepalive_and_nodelay():
    d = start(handler=["python3", "-c", SOCKOPTS])
    for _ in range(2):  # the first connection, then the learnt path
        vals = read_all(d.connect()).split()
        assert len(vals) == 2 and all(int(v) != 0 for v in vals), vals


def test_inherited_ucspi_variables_are_replaced():
    bogus = {"TCPREMOTEIP": "192.0.2.9", "TCPREMOTEPORT": "1",
             "TCPLOCALIP": "192.0.2.8", "TCPLOCALPORT": "2"}
    d = start(handler=["/usr/bin/env"], env=bogus)
    c = d.connect()
    myport = c.sock.getsockname()[1]
    out = read_all(c).decode().splitlines()
    for k in bogus:  # each once, with the connection's value
        assert len([l for l in out if l.startswith(k + "=")]) == 1, (k, out)
    env = dict(l.split("=", 1) for l in out if "=" in l)
    assert env["TCPREMOTEPORT"] == str(myport)
    assert env["TCPLOCALIP"] == "127.0.0.1"
    assert env["TCPLOCALPORT"] == str(d.port)


def test_listener_on_every_address_reports_each_local_address():
    if not have_ipv6_loopback():
        raise Skip("no ::1")
    port = free_port()
    d = start(listen="*:%d" % port, handler=["/usr/bin/env"])
    d.log.wait(r"listening on \[::\]:%d" % port)
    for host in ("127.0.0.1", "::1"):
        env = env_of(Conn(host, port))
        assert env["TCPLOCALIP"] == host, env
        assert env["TCPLOCALPORT"] == str(port)
        assert env["TCPREMOTEIP"] == host


def test_handler_gone_refuses_busy_pauses_and_recovers():
    dir_ = tmpdir()
    prog = os.path.join(dir_, "hello")
    with open(prog, "w") as f:
        f.write("#!/bin/sh\necho hello\n")
    os.chmod(prog, 0o755)
    d = start(handler=[prog])
    assert read_all(d.connect()) == b"hello\n"
    os.rename(prog, prog + ".away")   # as a careless upgrade might
    n = len(d.log.lines)
    assert read_all(d.connect()) == (b"natterd: server busy; "
                                     b"try again in 1 second\r\n")
    d.log.wait(r"cannot run %s: No such file or directory; pausing new "
               r"connections" % re.escape(prog), start=n)
    # Paused: the next connections wait in the backlog, are refused in
    # turn as the pauses end, and the failure is logged only once.
    for _ in range(3):
        assert read_all(d.connect()).startswith(b"natterd: server busy")
    assert d.log.text().count("pausing new connections") == 1
    os.rename(prog + ".away", prog)
    wait_until(lambda: read_all(d.connect()) == b"hello\n",
               what="service back with its handler")
    d.log.wait("accepting connections again", start=n)
    assert d.log.text().count("pausing new connections") == 1


# A handler that sets natterd's RLIMIT_NPROC: allowed, as it runs as
# the same user (root here lacks CAP_SYS_RESOURCE to do it from outside).
NPROC_HANDLER = """
import os, resource, sys
for line in sys.stdin:
    word = line.strip()
    hard = resource.prlimit(os.getppid(), resource.RLIMIT_NPROC)[1]
    if word in ("low", "high"):
        resource.prlimit(os.getppid(), resource.RLIMIT_NPROC,
                         (0 if word == "low" else hard, hard))
    print(word, flush=True)
"""


def test_fork_failure_pauses_and_recovers():
    """A real fork failure: natterd as nobody, its RLIMIT_NPROC at 0."""
    if os.getuid() != 0:
        raise Skip("needs root")
    dir_ = tmpdir()
    os.chmod(dir_, 0o711)
    sock = os.path.join(dir_, "run", "broker.sock")
    python = "/usr/bin/python3"  # not root's own, which nobody cannot run
    if not os.access(python, os.X_OK):
        raise Skip("no /usr/bin/python3")
    d = start("-u", "nobody", sock=sock, handler=[python, "-c", NPROC_HANDLER])
    c = d.connect()
    n = len(d.log.lines)
    c.send("low\n")
    c.expect("low")
    assert read_all(d.connect()) == (b"natterd: server busy; "
                                     b"try again in 1 second\r\n")
    d.log.wait(r"cannot run /\S+/python3\S*: Resource temporarily "
               r"unavailable; pausing new connections", start=n)
    c.send("still\n")   # the open session is untouched
    c.expect("still")
    c.send("high\n")
    c.expect("high")
    c2 = wait_until(lambda: served(d), what="forking again")
    d.log.wait("accepting connections again", start=n)
    c2.close()
    assert d.log.text().count("pausing new connections") == 1


def served(d):
    """A connection that got a handler (not a refusal line), or None."""
    c = d.connect()
    c.send("ping\n")
    try:
        c.expect("ping", timeout=5)
        return c
    except Exception:
        c.close()
        return None


def test_relative_paths_survive_the_daemons_chdir():
    if not os.access(bin_path("natter-session"), os.X_OK):
        raise Skip("natter-session not built")
    dir_ = tmpdir()
    port = free_port()
    r = subprocess.run([bin_path("natterd"), "-P", "n.pid", "-L", "t.log",
                        "-s", "run/b.sock", "-D", "state",
                        "-l", "127.0.0.1:%d" % port],
                       cwd=dir_, capture_output=True, text=True, timeout=10,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    pidfile = os.path.join(dir_, "n.pid")
    transcript = os.path.join(dir_, "t.log")
    pid = int(open(pidfile).read())
    try:
        assert os.readlink("/proc/%d/cwd" % pid) == "/"
        wait_until(lambda: os.path.exists(os.path.join(dir_, "run/b.sock")),
                   what="broker socket")
        login(port, "ann")
        wait_until(lambda: os.path.exists(transcript) and
                   "[ann] has joined" in open(transcript).read(),
                   what="transcript line in the given directory")
        os.rename(transcript, transcript + ".1")   # rotated, then SIGHUP
        os.kill(pid, signal.SIGHUP)
        wait_until(lambda: os.path.exists(transcript), what="reopened")
        login(port, "bob")
        wait_until(lambda: "[bob] has joined" in open(transcript).read(),
                   what="transcript line after SIGHUP")
    finally:
        os.kill(pid, signal.SIGTERM)
    wait_until(lambda: not pid_alive(pid), what="daemon to stop")
    assert not os.path.exists(pidfile), "pid file left behind"


def login(port, name):
    c = Conn("127.0.0.1", port)
    c.expect("ID: ")
    c.send_line(name)
    c.expect("-----Chatting Room-----")
    return c


def test_handler_gets_default_signals_even_if_natterd_ignored_some():
    # A shell's background job starts with SIGINT and SIGQUIT ignored;
    # an ignored signal survives exec unless natterd resets it.  Real-
    # time signals too (40 and 64: SIGRTMIN+6 and SIGRTMAX with glibc).
    def ignore_realtime():
        for sig in (40, 64):
            signal.signal(sig, signal.SIG_IGN)
    dir_ = tmpdir()
    sock = os.path.join(dir_, "run", "broker.sock")
    p = spawn(["/bin/sh", "-c", 'trap "" QUIT USR1; exec "$@"', "sh",
               bin_path("natterd"), "-f", "-s", sock, "-l", "127.0.0.1:0",
               "-D", os.path.join(dir_, "state"),
               "--", "/bin/cat", "/proc/self/status"],
              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
              stderr=subprocess.PIPE, preexec_fn=ignore_realtime)
    log = LogReader(p.stderr)
    m = log.wait(r"listening on (\S+):(\d+)")
    out = read_all(Conn(m.group(1), int(m.group(2)))).decode()
    fields = dict(l.split(":\t", 1) for l in out.splitlines() if ":\t" in l)
    # All but 32 and 33 (SIGCANCEL, SIGSETXID): glibc's posix_spawn
    # leaves those two internal signals ignored, which no program can
    # use, and natterd cannot reach them.
    internal = (1 << 31) | (1 << 32)
    assert int(fields["SigIgn"], 16) & ~internal == 0, fields["SigIgn"]
    assert int(fields["SigBlk"], 16) == 0, fields["SigBlk"]
    assert int(fields["SigCgt"], 16) == 0, fields["SigCgt"]
    p.send_signal(signal.SIGTERM)
    assert p.wait(10) == 0


# --- the broker's first start, and whose socket is whose -----------------

def unix_reachable(path):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def no_process_mentions(text):
    return not [p for p in os.listdir("/proc") if p.isdigit()
                and text in open_cmdline(p)]


def test_second_natterd_on_the_same_socket_refuses_and_leaves_the_first():
    d = start(handler=CAT, sock=os.path.join(tmpdir(), "run", "b.sock"))
    ino = os.stat(d.sock).st_ino
    busy = "another broker is running on %s (pid %d)" % (d.sock,
                                                         broker_pid(d))
    r = run_natterd(["-f", "-s", d.sock, "-l", "127.0.0.1:0", "--",
                     "/bin/cat"], timeout=30)
    assert r.returncode == 111, (r.returncode, r.stderr)
    lines = r.stderr.splitlines()
    assert any(l.endswith(busy) for l in lines), r.stderr
    assert lines[-1] == "natterd: the broker could not start on " + d.sock
    # As a daemon: the starter gets the status and the reason; no pid file.
    pidfile = os.path.join(tmpdir(), "second.pid")
    r = run_natterd(["-P", pidfile, "-s", d.sock, "-l", "127.0.0.1:0",
                     "--", "/bin/cat"], timeout=30)
    assert r.returncode == 111, (r.returncode, r.stderr)
    assert busy in r.stderr
    assert not os.path.exists(pidfile)
    assert no_process_mentions(pidfile)
    # The first instance's socket is untouched and its broker serves.
    assert os.stat(d.sock).st_ino == ino and unix_reachable(d.sock)
    c = d.connect()
    c.send("still here\n")
    c.expect("still here")
    assert d.log.text().count("broker started") == 1


def test_broker_socket_in_an_open_directory_stops_natterd():
    open_dir = os.path.join(tmpdir(), "a")
    os.mkdir(open_dir, 0o755)
    os.chmod(open_dir, 0o755)
    sock = os.path.join(open_dir, "b.sock")
    why = "%s has mode 0755: others could reach the broker socket" % open_dir
    r = run_natterd(["-f", "-s", sock, "-l", "127.0.0.1:0", "--",
                     "/bin/cat"], timeout=30)
    assert r.returncode == 100, (r.returncode, r.stderr)
    assert why in r.stderr
    assert r.stderr.splitlines()[-1] == (
        "natterd: the broker could not start on " + sock)
    pidfile = os.path.join(tmpdir(), "n.pid")
    r = run_natterd(["-P", pidfile, "-s", sock, "-l", "127.0.0.1:0",
                     "--", "/bin/cat"], timeout=30)
    assert r.returncode == 100, (r.returncode, r.stderr)
    assert why in r.stderr
    assert os.listdir(open_dir) == [] and not os.path.exists(pidfile)
    assert no_process_mentions(sock)


def test_later_broker_failures_back_off_and_recover():
    # Once the first broker has listened, a broker that cannot start is
    # restarted with growing delays, not fatal; fixing the cause mends it.
    run = os.path.join(tmpdir(), "run")
    d = start(handler=CAT, sock=os.path.join(run, "b.sock"))
    n = len(d.log.lines)
    os.chmod(run, 0o755)
    os.kill(broker_pid(d), signal.SIGKILL)
    d.log.wait(r"restarting the broker in 200 ms", start=n)
    d.log.wait(r"restarting the broker in 400 ms", start=n)
    assert d.proc.poll() is None
    os.chmod(run, 0o700)
    wait_until(lambda: unix_reachable(d.sock), timeout=20,
               what="the broker back once its directory is private")
    assert d.stop() == 0


def test_stop_leaves_a_socket_its_broker_did_not_bind():
    d = start(handler=CAT, sock=os.path.join(tmpdir(), "run", "b.sock"))
    # Something that takes no lock on b.sock.lock (an older natterd's
    # broker, say) puts its socket in place of ours.
    os.rename(d.sock, d.sock + ".old")
    other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    other.bind(d.sock)
    other.listen()
    ino = os.stat(d.sock).st_ino
    assert d.stop() == 0
    assert os.stat(d.sock).st_ino == ino and unix_reachable(d.sock)
    other.close()


def test_bare_natter_session_is_the_default_handler_with_its_options():
    if not os.access(bin_path("natter-session"), os.X_OK):
        raise Skip("natter-session not built")
    # natter-session is not in PATH (it lives in libexec)
    d = start(handler=["natter-session", "-t", "1"],
              env={"PATH": "/usr/bin:/bin"})
    m = d.log.wait(r"handler (\S+)")
    assert m.group(1) == os.path.realpath(bin_path("natter-session"))
    c = d.connect()
    c.expect("ID: ")
    t0 = time.monotonic()
    c.expect_closed(timeout=15)  # -t 1 reached it: the default is 60 s
    assert time.monotonic() - t0 < 15
    assert "Login timed out" in c.text


def test_sigterm_while_the_first_broker_starts_is_obeyed_at_once():
    """natterd waits up to 10 s for its first broker to listen; a SIGTERM
    meanwhile stops it at once and leaves no process behind.  A FIFO as
    the transcript holds the broker in open(2) before it listens."""
    d = tmpdir()
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    n = Natterd("-L", fifo, wait=False)
    m = n.log.wait(r"broker started, pid (\d+)")
    broker = int(m.group(1))
    start = time.monotonic()
    n.proc.send_signal(signal.SIGTERM)
    assert n.proc.wait(timeout=20) == 0
    assert time.monotonic() - start < 8, "waited for the broker's deadline"
    wait_until(lambda: not os.path.exists("/proc/%d" % broker) or
               open("/proc/%d/stat" % broker).read().split()[2] == "Z",
               what="the broker to be gone")


def _tcp_sockets_of(pid):
    """The descriptors of pid that are sockets but not UNIX-domain ones
    (the broker has no TCP socket of its own).  Its descriptors are
    listed before the UNIX sockets, so none is taken for TCP for having
    been made in between."""
    socks = {}
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if t.startswith("socket:["):
            socks[int(fd)] = t[8:-1]
    with open("/proc/net/unix") as f:
        unix = {l.split()[6] for l in f.read().splitlines()[1:]
                if len(l.split()) > 6}
    return sorted(fd for fd, ino in socks.items() if ino not in unix)


def test_restarted_broker_holds_no_connection():
    """A broker forked while acceptors are starting handlers must not
    keep their connections: it never execs, so close-on-exec does not
    help, and a connection it holds is never closed to the client
    after its handler ends."""
    d = start("-r", "0", "-p", "0", handler=["/bin/true"])
    stop = threading.Event()

    def load():
        while not stop.is_set():
            try:
                c = socket.create_connection((d.host, d.port), timeout=5)
                c.close()
            except OSError:
                pass

    threads = [threading.Thread(target=load) for _ in range(8)]
    for t in threads:
        t.start()
    leaked = []
    new = broker_pid(d)
    try:
        for _ in range(3):  # restarts after 0.2, 0.4, 0.8 s
            n = len(d.log.lines)
            os.kill(new, signal.SIGKILL)
            new = broker_pid(d, start=n)
            # listening, it makes no socket but for a handler
            d.log.wait(r"natterd-broker\[%d\]: broker listening" % new,
                       start=n)
            leaked = _tcp_sockets_of(new)
            if leaked:
                break
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert not leaked, "broker %d holds TCP sockets %r" % (new, leaked)


def test_broker_killed_before_it_listens_leaves_no_temporary_name():
    """A broker binds a temporary name (.nb<pid>) and links the real
    path only once it listens; one killed in between cannot remove it,
    so natterd does when it reaps that broker."""
    from test_broker import slow_listen_shim
    d = tmpdir()
    sockdir = os.path.join(d, "run")
    gate = os.path.join(d, "gate")
    open(gate, "w").close()   # the first broker listens at once
    env = {"LD_PRELOAD": slow_listen_shim(), "SLOWLISTEN_GATE": gate,
           "ASAN_OPTIONS": ":".join(filter(None, [
               os.environ.get("ASAN_OPTIONS"), "verify_asan_link_order=0"]))}
    n = start(sock=os.path.join(sockdir, "broker.sock"), env=env,
              handler=CAT)
    os.unlink(gate)           # the next one holds listen() until it is back
    start_at = len(n.log.lines)
    os.kill(broker_pid(n), signal.SIGKILL)
    second = broker_pid(n, start=start_at)
    tmp = os.path.join(sockdir, ".nb%d" % second)
    wait_until(lambda: os.path.lexists(tmp), what=tmp)
    os.kill(second, signal.SIGKILL)
    n.log.wait(r"broker pid %d killed by signal 9" % second, start=start_at)
    assert not os.path.lexists(tmp)
    open(gate, "w").close()
    n.log.wait(r"broker started, pid (?!%d)\d+" % second, start=start_at)


# --- launchers -----------------------------------------------------------

def test_launchers_are_named_and_a_killed_one_is_restarted():
    """natterd's launchers show as "natterd: launcher" in ps; one that
    dies has its sessions accounted for (logged, no longer counted
    against -c) and is restarted; connections go on being served."""
    d = start("-c", "1", handler=CAT)
    # two per processor, at most 8, each titled once it runs (natterd(8))
    pids = all_launchers(d)
    cpus = os.sysconf("SC_NPROCESSORS_ONLN")
    assert len(pids) == min(8, max(2, 2 * cpus)), (len(pids), cpus)
    c = d.connect()
    c.send("one\n")
    c.expect("one")
    handler = wait_sessions(d, 1)[0]
    parent = int(open("/proc/%d/stat" % handler).read()
                 .split(")")[-1].split()[1])
    assert parent in pids
    n = len(d.log.lines)
    os.kill(parent, signal.SIGKILL)
    d.log.wait(r"end 127\.0\.0\.1:\d+ pid %d: no longer counted" % handler,
               start=n)
    d.log.wait(r"launcher \d+ pid %d killed by signal 9" % parent, start=n)
    d.log.wait(r"launcher \d+ started, pid (\d+)", start=n)
    # -c 1: the orphaned session no longer counts, so this one is served
    c2 = wait_until(lambda: served(d), what="a session after the restart")
    c2.close()
    wait_until(lambda: len(launcher_pids(d)) == len(pids),
               what="every launcher back")
    os.kill(handler, signal.SIGKILL)


def test_stray_signals_do_not_end_a_launcher():
    """A launcher blocks the signals natterd catches or ignores (a ^C to
    the process group, a stray kill): each sent to a launcher leaves it
    running and serving; its handlers still get none blocked."""
    d = start("-r", "0", handler=CAT)
    pids = all_launchers(d)
    for p in pids:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP,
                    signal.SIGPIPE, signal.SIGUSR1, signal.SIGALRM):
            os.kill(p, sig)
    for p in pids:
        status = open("/proc/%d/status" % p).read()
        assert "State:\tZ" not in status, status
    c = d.connect()
    c.send("still here\n")
    c.expect("still here")
    assert sorted(launcher_pids(d)) == pids
    assert not re.search(r"launcher \d+ pid \d+ killed", d.log.text())


def test_busy_launchers_leave_connections_in_the_backlog():
    """While every launcher is busy natterd does not poll its listeners:
    connections wait in the kernel's backlog (none refused), natterd
    does not spin, and all are served once the launchers answer."""
    d = start("-r", "0", "-p", "0", handler=CAT)
    pids = all_launchers(d)
    for p in pids:
        os.kill(p, signal.SIGSTOP)
    try:
        conns = [d.connect() for _ in range(12)]
        for i, c in enumerate(conns):
            c.send("c%d\n" % i)

        share = cpu_share(d.proc.pid)
        assert share < 0.05, ("natterd spins while launchers are busy",
                              share)
        assert "refused" not in d.log.text()
    finally:
        for p in pids:
            os.kill(p, signal.SIGCONT)
    for i, c in enumerate(conns):
        c.expect("c%d" % i)
    assert "refused" not in d.log.text()
