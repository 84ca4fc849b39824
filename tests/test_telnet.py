"""A person with the real telnet program, driven through a pseudo-terminal
the way they would type: log in with a password that is not echoed, chat
with a second person, /exit.
"""
import os
import pty
import select
import shutil
import subprocess
import termios
import time

import harness as H

PASSWORD = "Zq7-moon-salt"


def make_users(path, entries):
    """A users file made by build/natter-passwd, the password on stdin."""
    for name, pw in entries:
        p = subprocess.run([H.bin_path("natter-passwd"), "-f", path, name],
                           input=(pw + "\n").encode(), capture_output=True,
                           timeout=H.DEFAULT_TIMEOUT)
        assert p.returncode == 0, "natter-passwd %s: %r" % (name, p.stderr)
    assert os.path.getsize(path) > 0


class Terminal:
    """A program on a pseudo-terminal: type into it, read its screen."""

    def __init__(self, argv, env=None):
        self.master, self.slave = pty.openpty()
        self.proc = H.spawn(argv, stdin=self.slave, stdout=self.slave,
                            stderr=self.slave, env=env)
        self.data = b""
        self.pos = 0

    def _read(self, timeout):
        r, _, _ = select.select([self.master], [], [], max(timeout, 0))
        if not r:
            return True
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # EIO: every writer to the terminal is gone
            chunk = b""
        self.data += chunk
        return bool(chunk)

    @property
    def screen(self):
        return self.data.decode(errors="replace")

    def expect(self, literal, timeout=H.DEFAULT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            i = self.screen.find(literal, self.pos)
            if i >= 0:
                self.pos = i + len(literal)
                return
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(min(left, 0.5)):
                raise AssertionError("expected %r on the terminal; got %r"
                                     % (literal, self.screen[self.pos:]))

    def echo_on(self):
        return bool(termios.tcgetattr(self.slave)[3] & termios.ECHO)

    def type_line(self, line):
        os.write(self.master, line.encode() + b"\r")

    def wait_exit(self, timeout=H.DEFAULT_TIMEOUT):
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        return self.proc.wait(timeout=1)


def test_telnet_login_chat_exit():
    telnet = shutil.which("telnet")
    if not telnet:
        raise H.Skip("telnet is not installed (tests/deps.sh installs it)")
    d = H.tmpdir()
    users = os.path.join(d, "users")
    make_users(users, [("ann", PASSWORD), ("bob", "bobs-own-pw")])
    srv = H.Natterd("-U", users)

    env = dict(os.environ, TERM="dumb")
    t = Terminal([telnet, "127.0.0.1", str(srv.port)], env=env)
    t.expect("ID: ")
    t.type_line("ann")
    t.expect("PW: ")
    # natterd said IAC WILL ECHO: telnet turns the terminal's echo off.
    H.wait_until(lambda: not t.echo_on(), what="telnet to turn echo off")
    t.type_line(PASSWORD)
    t.expect("Log-in success!! [ann]")
    t.expect("-----Chatting Room-----")
    assert PASSWORD not in t.screen, t.screen
    # IAC WONT ECHO after the password: telnet gives the echo back.
    H.wait_until(t.echo_on, what="telnet to turn echo back on")

    bob = srv.login("bob", "bobs-own-pw")
    t.expect("[bob] has joined the chat")
    t.type_line("hello from telnet")
    bob.expect("[ann] : hello from telnet")
    bob.send_line("hi ann")
    t.expect("[bob] : hi ann")
    t.type_line("/exit")
    bob.expect("[ann] has left the chat")
    assert t.wait_exit() is not None
    t.expect("Connection closed by foreign host.")
    assert PASSWORD not in t.screen
