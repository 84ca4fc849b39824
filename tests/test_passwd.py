"""natter-passwd: its usage and errors, and the owner, group and mode
the rewritten users file keeps (checked with a real natterd whose
sessions run as nobody, logging in against the file); ^Z at the
hidden prompt, natter-passwd a job of a job-control shell.
"""
import contextlib
import fcntl
import os
import select
import signal
import stat
import subprocess
import sys
import termios

import harness as H
from test_chat import echo_on, passwd_on_pty, read_pty_until

NOBODY = 65534


def passwd(args, password="pw", env=None, user=None):
    e = dict(os.environ)
    e.pop("NATTER_USERS", None)
    e.update(env or {})
    kw = {}
    prog = H.bin_path("natter-passwd")
    if user is not None:   # where that user can reach it
        kw = {"user": user, "group": user, "extra_groups": []}
        prog = os.path.join(H.reachable_copy("natter-passwd"),
                            "natter-passwd")
    return subprocess.run([prog] + list(args),
                          input=(password + "\n").encode(),
                          capture_output=True, timeout=H.DEFAULT_TIMEOUT,
                          env=e, **kw)


def test_usage_says_what_is_wrong():
    """Each usage error is one line naming natter-passwd and the fault,
    then the usage, status 100; -h prints the usage on stdout, 0."""
    users = os.path.join(H.tmpdir(), "users")
    usage = (b"usage: natter-passwd [-f file] name\n"
             b"       natter-passwd [-f file] -o name | -O name\n"
             b"       natter-passwd -h | -V\n")
    cases = [([], "no users file: give -f FILE or set NATTER_USERS"),
             (["ann"], "no users file: give -f FILE or set NATTER_USERS"),
             (["-x", "-f", users, "ann"], "unknown option -x"),
             (["-f"], "option -f needs a value"),
             (["-f", users], "no name given"),
             (["-f", users, "ann", "bob"], "give only one name")]
    for args, msg in cases:
        p = passwd(args)
        assert p.returncode == 100, (args, p.returncode, p.stderr)
        assert p.stderr == ("natter-passwd: %s\n" % msg).encode() + usage, \
            (args, p.stderr)
    p = passwd(["-f", users, "bad name"])
    assert p.returncode == 100, p
    assert p.stderr.startswith(b'natter-passwd: bad name "bad name"'), p
    p = passwd(["-h"])
    assert (p.returncode, p.stdout, p.stderr) == (0, usage, b""), p
    assert not os.path.exists(users)
    p = passwd(["ann"], env={"NATTER_USERS": users})
    assert p.returncode == 0, p.stderr
    assert open(users).read().startswith("ann:$"), open(users).read()


def start_natterd_as_nobody(users):
    """natterd -u nobody -U users, its socket in a directory nobody may
    pass through."""
    dir_ = H.tmpdir()
    os.chmod(dir_, 0o711)
    sock = os.path.join(dir_, "run", "broker.sock")
    # natterd runs the session and the broker as nobody: they must be
    # where nobody can reach them, wherever the build is
    progs = H.reachable_copy("natterd", "natter-session", "natter-broker")
    proc = H.spawn([os.path.join(progs, "natterd"), "-f", "-u", "nobody",
                    "-s", sock, "-D", os.path.join(dir_, "state"),
                    "-l", "127.0.0.1:0", "-U", users],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)
    log = H.LogReader(proc.stderr)
    port = int(log.wait(r"listening on 127\.0\.0\.1:(\d+)").group(1))
    H.wait_until(lambda: os.path.exists(sock), what="broker socket")
    return port, log


def login(port, name, password):
    c = H.Conn("127.0.0.1", port)
    c.expect("ID: ")
    c.send_line(name)
    c.expect("PW: ")
    c.send_line(password)
    c.expect("-----Chatting Room-----")
    return c


def test_root_run_keeps_owner_group_and_mode():
    """The users file is nobody's (mode 0640) for a natterd -u nobody; a
    user added by root keeps it nobody's with its mode, so the sessions
    still read it and the new user logs in."""
    if os.getuid() != 0:
        raise H.Skip("needs root")
    dir_ = H.tmpdir()
    os.chmod(dir_, 0o711)
    users = os.path.join(dir_, "users")
    assert passwd(["-f", users, "ann"], "ann-pw").returncode == 0
    assert stat.S_IMODE(os.stat(users).st_mode) == 0o600  # a new file
    os.chown(users, NOBODY, NOBODY)
    os.chmod(users, 0o640)
    port, _ = start_natterd_as_nobody(users)
    p = passwd(["-f", users, "bob"], "bob-pw")
    assert p.returncode == 0, p.stderr
    st = os.stat(users)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == \
        (NOBODY, NOBODY, 0o640), st
    login(port, "bob", "bob-pw").send_line("/exit")
    login(port, "ann", "ann-pw").send_line("/exit")


def test_other_user_cannot_give_the_file_away():
    """Run as nobody on a file root owns (in a directory nobody may
    write): nothing changes, one clear line, status 1, no temporary file
    left.  On nobody's own file the run goes through."""
    if os.getuid() != 0:
        raise H.Skip("needs root")
    dir_ = H.tmpdir()
    os.chmod(dir_, 0o777)
    users = os.path.join(dir_, "users")
    assert passwd(["-f", users, "ann"]).returncode == 0
    os.chmod(users, 0o666)
    os.chmod(users + ".lock", 0o666)
    before = open(users).read()
    p = passwd(["-f", users, "cy"], user=NOBODY)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert p.stderr.decode() == (
        "natter-passwd: %s: cannot keep the file's owner and group (uid 0, "
        "gid 0): Operation not permitted; run as that user or as root\n"
        % users), p.stderr
    assert open(users).read() == before
    assert sorted(os.listdir(dir_)) == ["users", "users.lock"]
    os.chown(users, NOBODY, NOBODY)
    p = passwd(["-f", users, "cy"], user=NOBODY)
    assert p.returncode == 0, p.stderr
    st = os.stat(users)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == \
        (NOBODY, NOBODY, 0o666), st
    assert "\ncy:$" in open(users).read()


# A job-control shell's part, in the session spawn makes: the pty
# becomes the session's terminal, and the command (argv[3:]) runs as a
# job in its own process group, in the foreground, its pid written to
# the descriptor argv[1]; the signals argv[2] names (comma-separated
# numbers, or "-") are ignored in the job, as nohup would.  ^Z then
# stops the job and only the job.  SIGUSR1 takes the foreground back,
# as a shell does when its job stops; SIGUSR2 gives it to the job
# again, as fg does.
JOB_SHELL = r"""
import fcntl, os, signal, sys, termios
fcntl.ioctl(0, termios.TIOCSCTTY, 0)
pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    os.tcsetpgrp(0, os.getpid())
    for sig in (signal.SIGTTOU, signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(sig, signal.SIG_DFL)
    for sig in sys.argv[2].split(",") if sys.argv[2] != "-" else []:
        signal.signal(int(sig), signal.SIG_IGN)
    os.close(int(sys.argv[1]))
    os.execv(sys.argv[3], sys.argv[3:])
signal.signal(signal.SIGTTOU, signal.SIG_IGN)
signal.signal(signal.SIGUSR1, lambda *_: os.tcsetpgrp(0, os.getpgrp()))
signal.signal(signal.SIGUSR2, lambda *_: os.tcsetpgrp(0, pid))
os.write(int(sys.argv[1]), b"%d\n" % pid)
code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
sys.exit(128 - code if code < 0 else code)
"""


@contextlib.contextmanager
def job_on_pty(users, canonical, ignored="-"):
    """natter-passwd as a foreground job on a new pty, prompting with
    echo off: yields (job shell, natter-passwd's pid, master, slave);
    at the end natter-passwd is killed if still there, the pty closed."""
    master, slave = H.new_pty(canonical)
    sh = pid = None
    try:
        r, w = os.pipe()
        sh = H.spawn([sys.executable, "-c", JOB_SHELL, str(w), ignored,
                      H.bin_path("natter-passwd"), "-f", users, "ann"],
                     stdin=slave, stdout=slave, stderr=slave,
                     pass_fds=(w,))
        os.close(w)
        ready, _, _ = select.select([r], [], [], H.DEFAULT_TIMEOUT)
        assert ready, "the job shell did not start natter-passwd"
        pid = int(os.read(r, 32))
        os.close(r)
        read_pty_until(master, b"Password: ", sh)
        H.wait_until(lambda: not echo_on(slave),
                     what="echo off at the prompt")
        yield sh, pid, master, slave
    finally:
        if pid is not None and sh.poll() is None:
            os.kill(pid, signal.SIGKILL)
        os.close(master)
        os.close(slave)


def proc_state(pid):
    """The state letter in /proc/PID/stat (T: stopped)."""
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def unread(tty):
    """Bytes waiting in the terminal's input queue."""
    n = fcntl.ioctl(tty, termios.FIONREAD, b"\0\0\0\0")
    return int.from_bytes(n, sys.byteorder)


def suspend_and_continue(canonical):
    """Half a password, ^Z, then SIGCONT as fg would send it."""
    users = os.path.join(H.tmpdir(), "users")
    with job_on_pty(users, canonical) as (sh, pid, master, slave):
        os.write(master, b"half")
        if not canonical:  # natter-passwd has read it: not in the pty
            H.wait_until(lambda: unread(slave) == 0, what="half read")
        os.write(master, b"\x1a")
        H.wait_until(lambda: proc_state(pid) == "T", what="stopped by ^Z")
        assert echo_on(slave), "stopped with echo off"
        os.kill(pid, signal.SIGCONT)
        read_pty_until(master, b"Password: ", sh)
        H.wait_until(lambda: not echo_on(slave), what="echo off again")
        os.write(master, b"pw-ann\n")
        read_pty_until(master, b"Again: ", sh)
        H.wait_until(lambda: not echo_on(slave), what="echo off at Again")
        os.write(master, b"pw-ann\n")
        assert sh.wait(timeout=H.DEFAULT_TIMEOUT) == 0, "natter-passwd failed"
        assert echo_on(slave)
        with open(users) as f:
            assert f.read().startswith("ann:$")


def test_suspend_at_prompt_restores_echo():
    """^Z at the hidden prompt, natter-passwd the terminal's foreground
    job: it stops with echo back on; continued, it asks again with echo
    off, and the password then typed is the one taken.  Typed before
    the ^Z, "half" is gone: the terminal drops an unfinished line at ^Z,
    and with -icanon, where natter-passwd has read it, so does it (else
    "halfpw-ann" would differ from the "pw-ann" typed again)."""
    suspend_and_continue(canonical=True)
    suspend_and_continue(canonical=False)


def test_continued_in_background_stops_again():
    """Stopped by ^Z, then continued as a background job (bg): the
    terminal is the shell's, so natter-passwd stops again by SIGTTOU
    instead of turning echo off under the shell; brought back (fg), it
    prompts with echo off and takes the password."""
    users = os.path.join(H.tmpdir(), "users")
    with job_on_pty(users, canonical=True) as (sh, pid, master, slave):
        os.write(master, b"\x1a")
        H.wait_until(lambda: proc_state(pid) == "T", what="stopped by ^Z")
        os.kill(sh.pid, signal.SIGUSR1)
        H.wait_until(lambda: os.tcgetpgrp(master) == sh.pid,
                     what="the shell in the foreground")
        os.kill(pid, signal.SIGCONT)
        read_pty_until(master, b"Password: ", sh)
        H.wait_until(lambda: proc_state(pid) == "T", what="stopped by bg")
        assert echo_on(slave), "a background job turned echo off"
        os.kill(sh.pid, signal.SIGUSR2)
        H.wait_until(lambda: os.tcgetpgrp(master) == pid,
                     what="the job in the foreground")
        os.kill(pid, signal.SIGCONT)
        read_pty_until(master, b"Password: ", sh)
        H.wait_until(lambda: not echo_on(slave), what="echo off again")
        for prompt in (b"Again: ", None):
            os.write(master, b"pw-ann\n")
            if prompt:
                read_pty_until(master, prompt, sh)
                H.wait_until(lambda: not echo_on(slave), what="echo off")
        assert sh.wait(timeout=H.DEFAULT_TIMEOUT) == 0, "natter-passwd failed"
        assert echo_on(slave)


def test_ignored_suspend_stays_ignored():
    """Started with SIGTSTP ignored, natter-passwd does not stop at ^Z
    at the prompt: the password typed after it is taken (were the
    signal caught, the program would stop and never read it)."""
    users = os.path.join(H.tmpdir(), "users")
    ignored = str(int(signal.SIGTSTP))
    with job_on_pty(users, True, ignored) as (sh, pid, master, slave):
        os.write(master, b"\x1a")
        os.write(master, b"pw-ann\n")
        read_pty_until(master, b"Again: ", sh)
        H.wait_until(lambda: not echo_on(slave), what="echo off")
        os.write(master, b"pw-ann\n")
        assert sh.wait(timeout=H.DEFAULT_TIMEOUT) == 0, "natter-passwd failed"


def test_stdin_a_pty_master_is_read():
    """Standard input the master side of a pty, which is a terminal
    too: the passwords are what is written to the slave side.  (Opened
    anew by its name, /dev/ptmx, it would be another pty, never written
    to, and natter-passwd would wait for ever.)"""
    users = os.path.join(H.tmpdir(), "users")
    master, slave = H.new_pty()
    try:
        p = H.spawn([H.bin_path("natter-passwd"), "-f", users, "ann"],
                    stdin=master, stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE)
        for prompt in (b"Password: ", b"Again: "):
            read_pty_until(p.stderr.fileno(), prompt, p)
            os.write(slave, b"pw-ann\n")
        assert p.wait(timeout=H.DEFAULT_TIMEOUT) == 0, p.stderr.read()
    finally:
        os.close(master)
        os.close(slave)
    with open(users) as f:
        assert f.read().startswith("ann:$")


def test_no_core_file_at_the_prompt():
    """Started where core files are allowed, natter-passwd turns them
    off: a ^\\ (SIGQUIT) at the Again: prompt must not leave the first
    password, still in memory, in a core file."""
    import resource
    hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
    if hard == 0:
        raise H.Skip("core files are off here already (hard limit 0)")

    def allow_core():
        resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))
    users = os.path.join(H.tmpdir(), "users")
    p, master, slave = passwd_on_pty(users, preexec_fn=allow_core)
    try:
        with open("/proc/%d/limits" % p.pid) as f:
            line = [s for s in f if s.startswith("Max core file size")][0]
        assert line.split()[4:6] == ["0", "0"], line
    finally:
        p.kill()
        p.wait()
        os.close(master)
        os.close(slave)
