"""natter-passwd: its usage and errors, and the owner, group and mode
the rewritten users file keeps (checked with a real natterd whose
sessions run as nobody, logging in against the file).
"""
import os
import stat
import subprocess

import harness as H

NOBODY = 65534


def passwd(args, password="pw", env=None, user=None):
    e = dict(os.environ)
    e.pop("NATTER_USERS", None)
    e.update(env or {})
    kw = {}
    if user is not None:
        kw = {"user": user, "group": user, "extra_groups": []}
    return subprocess.run([H.bin_path("natter-passwd")] + list(args),
                          input=(password + "\n").encode(),
                          capture_output=True, timeout=H.DEFAULT_TIMEOUT,
                          env=e, **kw)


def test_usage_says_what_is_wrong():
    """Each usage error is one line naming natter-passwd and the fault,
    then the usage, status 100; -h prints the usage on stdout, 0."""
    users = os.path.join(H.tmpdir(), "users")
    usage = (b"usage: natter-passwd [-f file] name\n"
             b"       natter-passwd -h\n")
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
    proc = H.spawn([H.bin_path("natterd"), "-f", "-u", "nobody", "-s", sock,
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
