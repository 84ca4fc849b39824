"""A person with the real telnet program, driven through a pseudo-terminal
the way they would type: log in with a password that is not echoed, chat
with a second person, /exit; Korean, emoji and /me in Korean pass byte for
byte (telnet BINARY), ^C asks before leaving.  And a client that sends
raw keys: BS, DEL, telnet's EC, EL and IP edit the line; command words in
any case.
"""
import fcntl
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

    def __init__(self, argv, env=None, ctty=False):
        self.master, self.slave = pty.openpty()
        # ctty: the terminal is the program's own, so ^C is its SIGINT
        pre = (lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0)) if ctty else None
        self.proc = H.spawn(argv, stdin=self.slave, stdout=self.slave,
                            stderr=self.slave, env=env, preexec_fn=pre)
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

    def type_keys(self, keys):
        os.write(self.master, keys)

    def wait_exit(self, timeout=H.DEFAULT_TIMEOUT):
        """telnet's exit status, or None if it is still running when the
        time is up."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        return self.proc.poll()


# telnet's status when the server closed the connection ("Connection
# closed by foreign host."), as after the session's goodbye: 0.  (A
# telnet still running when the time is up gives None, which fails.)
TELNET_CLOSED = 0


def need_telnet():
    telnet = shutil.which("telnet")
    if not telnet:
        raise H.Skip("telnet is not installed (tests/deps.sh installs it)")
    return telnet


def test_telnet_login_chat_exit():
    telnet = need_telnet()
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
    status = t.wait_exit()
    assert status == TELNET_CLOSED, status
    t.expect("Connection closed by foreign host.")
    assert PASSWORD not in t.screen


KOREAN = ["\uc548\ub155\ud558\uc138\uc694 \uc5ec\ub7ec\ubd84",   # 안녕하세요 여러분
          "\ud55c\uae00\uacfc \uc774\ubaa8\uc9c0 \U0001F600\U0001F44D\U0001F3FD "
          "\u2764\ufe0f \U0001F1F0\U0001F1F7"]                   # 한글과 이모지 ...
ME_KOREAN = "\ucda4\uc744 \ucd98\ub2e4"                            # 춤을 춘다


def telnet_in_chat(srv, name, ctty=False):
    """The real telnet on a terminal, logged in as name (open mode)."""
    env = dict(os.environ, TERM="dumb", LANG="C.UTF-8")
    t = Terminal([need_telnet(), "127.0.0.1", str(srv.port)], env=env,
                 ctty=ctty)
    t.expect("ID: ")
    t.type_line(name)
    t.expect("-----Chatting Room-----")
    t.expect("*** Type /help for the commands.")
    return t


def test_telnet_korean_emoji_and_me_byte_for_byte():
    """Through the real telnet, Korean, emoji and /me 춤을 춘다 reach
    another person byte for byte (without BINARY telnet garbled the
    first and opened its telnet> prompt on the last), and Korean from
    another person reaches the telnet user intact."""
    srv = H.Natterd()
    bob = srv.login("bob")
    t = telnet_in_chat(srv, "ann")
    bob.expect("[ann] has joined the chat")
    for line in KOREAN:
        t.type_line(line)
        bob.expect("[ann] : %s\r\n" % line)
        assert ("[ann] : %s\r\n" % line).encode() in bob.raw
    t.type_line("/me " + ME_KOREAN)
    bob.expect("* ann %s\r\n" % ME_KOREAN)
    assert ("* ann %s\r\n" % ME_KOREAN).encode() in bob.raw
    bob.send_line("\ubc18\uac00\uc6cc\uc694 \U0001F44B")      # 반가워요 👋
    t.expect("[bob] : \ubc18\uac00\uc6cc\uc694 \U0001F44B\r\n")
    t.type_line("still talking")
    bob.expect("[ann] : still talking\r\n")
    t.type_line("/exit")
    bob.expect("[ann] has left the chat")
    status = t.wait_exit()
    assert status == TELNET_CLOSED, status
    assert "telnet>" not in t.screen, t.screen
    assert "\ufffd" not in t.screen and "\ufffd" not in bob.text


def test_telnet_interrupt_asks_before_leaving():
    """^C in the real telnet (IAC IP, IAC DO TIMING-MARK) asks; the
    question is shown (it follows the WILL TIMING-MARK, before which
    telnet throws output away); n stays, a second ^C and y leaves."""
    srv = H.Natterd()
    bob = srv.login("bob")
    t = telnet_in_chat(srv, "ann", ctty=True)
    bob.expect("[ann] has joined the chat")
    t.type_keys(b"\x03")
    t.expect("*** Leave the chat? (y/n)")
    t.type_line("n")
    t.type_line("after the first")
    bob.expect("[ann] : after the first\r\n")
    t.type_keys(b"\x03")               # again: telnet waits for a second
    t.expect("*** Leave the chat? (y/n)")   # TIMING-MARK answer too
    t.type_line("y")
    t.expect("*** Goodbye.")
    bob.expect("[ann] has left the chat")
    status = t.wait_exit()
    assert status == TELNET_CLOSED, status
    assert "telnet>" not in t.screen, t.screen
    assert "[ann] : n" not in bob.text and "[ann] : y" not in bob.text


IAC, EC, EL, IP = 255, 247, 248, 244


def test_raw_keys_edit_the_line():
    """A client that sends each key: BS and DEL erase a character (a
    whole UTF-8 one, or the part of one typed), EC and EL erase a
    character and the line, IP asks and ends the session on yes."""
    srv = H.Natterd()
    bob = srv.login("bob")
    c = srv.login("cy")
    bob.expect("[cy] has joined the chat")
    cases = [
        (b"abcX\x7fd", "abcd"),
        (b"abcX\x08d", "abcd"),
        ("\ud55cX\uae00".encode() + b"\x7f\x7f!", "\ud55c!"),
        ("\ud55cX\uae00".encode() + b"\x7f\x7f\x7f!", "!"),
        ("ok \U0001F600".encode() + b"\x7f?", "ok ?"),
        (b"half \xed\x95\x7fdone", "half done"),        # half of 한
        (b"x\x7f\x7f\x7fy", "y"),                       # past the start
        (b"abc" + bytes([IAC, EC]) + b"d", "abd"),
        (b"junk" + bytes([IAC, EL]) + b"real", "real"),
        ("\uc548\ub155".encode() + bytes([IAC, EC]) + b"!", "\uc548!"),
    ]
    for sent, shown in cases:
        c.send(sent + b"\r\n")
        m = bob.expect_re(r"\[cy\] : (.*)\r\n")
        assert m.group(1) == shown, (sent, m.group(1))
    c.send(b"dropped" + bytes([IAC, IP]) + bytes([IAC, 253, 6]))
    c.expect("*** Leave the chat? (y/n)")
    assert bytes([IAC, 251, 6]) in c.raw             # WILL TIMING-MARK
    c.send_line("no")
    c.send_line("still here")
    bob.expect("[cy] : still here\r\n")
    c.send(bytes([IAC, IP]))
    c.expect("*** Leave the chat? (y/n)")
    c.send_line(" YES ")
    c.expect("*** Goodbye.")
    c.expect_closed()
    bob.expect("[cy] has left the chat")
    assert "dropped" not in bob.text and "no" not in bob.text


def test_interrupt_before_login_ends_the_session():
    srv = H.Natterd()
    c = srv.connect()
    c.expect("ID: ")
    c.send(b"ann" + bytes([IAC, IP]))
    c.expect("*** Interrupted. Goodbye.")
    c.expect_closed()


def test_commands_in_any_case():
    srv = H.Natterd()
    bob = srv.login("bob")
    c = srv.login("cy")
    c.send_line("/WHO")
    c.expect("*** In lobby (2): bob, cy")
    c.send_line("/Msg bob psst")
    bob.expect("[cy] (private) : psst\r\n")
    c.send_line("/ME waves")
    bob.expect("* cy waves\r\n")
    c.send_line("/HeLp")
    c.expect("***   /who")
    c.send_line("/EXIT")
    c.expect("*** Goodbye.")
    c.expect_closed()


def test_login_timeout_on_its_own_line():
    srv = H.Natterd(handler=[H.bin_path("natter-session"), "-t", "1"])
    c = srv.connect()
    c.expect("ID: ")
    c.send(b"an")                       # typed in part, no line end
    c.expect("*** Login timed out.\r\n", timeout=5)
    c.expect_closed()
    assert c.text.endswith("ID: \r\n*** Login timed out.\r\n"), c.text


def test_binary_offered_on_a_socket_only():
    """IAC WILL BINARY, IAC DO BINARY open a socket session; agreeing is
    not answered again, and pipes get no telnet bytes."""
    srv = H.Natterd()
    c = srv.connect()
    c.expect("ID: ")
    assert c.raw.startswith(bytes([IAC, 251, 0, IAC, 253, 0])), c.raw[:8]
    c.send(bytes([IAC, 253, 0, IAC, 251, 0]))     # agreed: no answer
    c.send(bytes([IAC, 253, 0, IAC, 251, 0]))     # again: still none
    c.send_line("ann")
    c.expect("-----Chatting Room-----")
    c.send(bytes([IAC, 254, 0]))                  # DONT: acknowledged
    c.send_line("/who")
    c.expect("*** In lobby (1): ann")
    assert H.strip_telnet(c.raw) != c.raw
    cmds = c.raw.count(bytes([IAC]))
    assert cmds == 3 and bytes([IAC, 252, 0]) in c.raw, c.raw
