"""The zero-downtime upgrade (natterd(8), UPGRADING): SIGUSR2 makes
natterd exec the binary now at its path, keeping its pid, listeners,
broker, launchers and sessions.  People chatting through it lose no
line, connections made meanwhile are served, the sessions are still
counted and accounted for afterwards; a binary that fails its check is
not run, and the old natterd serves on.
"""
import os
import re
import shutil
import signal
import subprocess

import harness as H

PEOPLE = 50


def natterd_from_copy():
    """natterd, natter-broker and natter-session copied to a directory
    of their own, natterd started from there (so its file can be
    replaced, as a package upgrade does)."""
    d = H.tmpdir()
    for prog in ("natterd", "natter-broker", "natter-session"):
        shutil.copy2(H.bin_path(prog), os.path.join(d, prog))
    path = os.path.join(d, "natterd")
    sock = os.path.join(H.tmpdir(), "run", "broker.sock")
    state = os.path.join(os.path.dirname(os.path.dirname(sock)), "state")
    p = H.spawn([path, "-f", "-l", "127.0.0.1:0", "-s", sock, "-D", state],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
    log = H.LogReader(p.stderr)
    port = int(log.wait(r"listening on 127\.0\.0\.1:(\d+)").group(1))
    return p, log, port, path


def replace_file(path, data=None, source=None):
    """Puts a new file at path by rename, as dpkg does (the running
    natterd keeps the old inode)."""
    tmp = path + ".new"
    if source:
        shutil.copy2(source, tmp)
    else:
        with open(tmp, "w") as f:
            f.write(data)
        os.chmod(tmp, 0o755)
    os.rename(tmp, path)
    return os.stat(path).st_ino


def login(port, name):
    c = H.Conn("127.0.0.1", port)
    c.expect("ID: ")
    c.send_line(name)
    c.expect("-----Chatting Room-----")
    return c


def everyone_hears(people, speaker, line):
    people[speaker].send_line(line)
    for name, c in people.items():
        if name != speaker:
            c.expect("[%s] : %s" % (speaker, line))


def test_upgrade_loses_no_one():
    p, log, port, path = natterd_from_copy()
    people = {"p%02d" % i: login(port, "p%02d" % i) for i in range(PEOPLE)}
    helpers = sorted(c for c, _ in H.children_of(p.pid, raw=True))
    everyone_hears(people, "p00", "before the upgrade")
    new_ino = replace_file(path, source=H.bin_path("natterd"))
    p.send_signal(signal.SIGUSR2)
    # lines and connections while it happens
    people["p01"].send_line("during the upgrade")
    late = H.Conn("127.0.0.1", port)
    # the late connection may have been started before the exec or not
    log.wait(r"natterd\[%d\]: upgraded: (%d|%d) sessions, \d+ launchers, "
             r"1 listeners taken over" % (p.pid, PEOPLE, PEOPLE + 1))
    for name, c in people.items():
        if name != "p01":
            c.expect("[p01] : during the upgrade")
    late.expect("ID: ")
    late.send_line("late")
    late.expect("-----Chatting Room-----")
    people["late"] = late
    everyone_hears(people, "p02", "after the upgrade")
    # the same process, now the new file; the same broker and launchers
    assert p.poll() is None
    assert os.stat("/proc/%d/exe" % p.pid).st_ino == new_ino
    assert sorted(c for c, _ in H.children_of(p.pid, raw=True)) == helpers
    assert len(re.findall(r"broker started", log.text())) == 1
    for c in people.values():
        assert "has left" not in c.text[:c.pos], c.text
    # a session from before is still accounted for when it ends
    people["p03"].send_line("/exit")
    log.wait(r"natterd\[%d\]: end 127\.0\.0\.1:\d+ pid \d+: exit 0"
             % p.pid)
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=H.DEFAULT_TIMEOUT) == 0, log.text()
    people["p04"].expect("The server is shutting down")


def test_broken_binary_is_not_run():
    """A new file that does not answer --upgrade-check (a broken build,
    a script), or no file at all: natterd says so and serves on,
    the old binary running."""
    p, log, port, path = natterd_from_copy()
    old_exe = os.stat("/proc/%d/exe" % p.pid).st_ino
    a, b = login(port, "ann"), login(port, "bob")
    replace_file(path, "#!/bin/sh\necho 'natterd-upgrade 0'\nexit 1\n")
    p.send_signal(signal.SIGUSR2)
    log.wait(r"upgrade: %s --upgrade-check did not answer \"natterd-"
             r"upgrade 1\" \(status \d+\): not upgrading, still serving"
             % re.escape(path))
    everyone_hears({"ann": a, "bob": b}, "ann", "still here")
    os.unlink(path)
    p.send_signal(signal.SIGUSR2)
    log.wait(r"natterd\[%d\]: upgrade: .* --upgrade-check did not answer.*"
             r"status 32512" % p.pid)
    c = login(port, "cat")
    everyone_hears({"ann": a, "bob": b, "cat": c}, "cat", "and me")
    assert os.stat("/proc/%d/exe" % p.pid).st_ino == old_exe
    assert "executing" not in log.text()
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=H.DEFAULT_TIMEOUT) == 0
