"""Presence and attention (issue 14): /away and /back, /who's away and
idle marks, /ignore, mentions and the bell, offline messages for
accounts (kept across a restart), machine mode and the example bot."""
import os
import re
import subprocess
import sys

import harness as H
from test_client import make_users

EXAMPLE_BOT = os.path.join(H.HERE, "..", "examples", "natter-timebot")


def test_away_who_and_msg_reply():
    d = H.Natterd()
    a = d.login("ann")
    b = d.login("bob")
    a.expect("[bob] has joined the chat")
    b.send_line("/away at lunch")
    b.expect("*** You are away: at lunch")
    a.send_line("/who")
    a.expect("In lobby (2): ")
    a.expect_re(r"bob \(away: at lunch\)")
    a.send_line("/msg bob are you there?")
    a.expect("[you -> bob] (private) : are you there?")
    a.expect("*** bob is away: at lunch")
    b.expect("[ann] (private) : are you there?")
    b.send_line("/back")
    b.expect("*** You are back.")
    b.send_line("/back")
    b.expect("*** You were not away.")
    a.send_line("/msg bob again")
    a.expect("[you -> bob] (private) : again")
    a.send_line("/who")
    m = a.expect_re(r"In lobby \(2\): ([^\r]*)\r\n")
    assert "away" not in m.group(1), m.group(1)


def test_away_bad_input():
    """Control bytes are cleaned, a long message is refused in one line,
    a 10 KB line is refused as any line is; the session goes on."""
    d = H.Natterd()
    a = d.login("ann")
    b = d.login("bob")
    b.send_line(b"/away gone\x1b[31m red\x07")
    b.expect("*** You are away: gone[31m red")
    b.send_line("/away " + "x" * 300)
    b.expect("*** An away message is at most 200 bytes.")
    b.send_line("/away " + "y" * 10240)
    b.expect("*** Line too long")
    a.send_line("/who")
    a.expect("bob (away: gone[31m red)")
    b.send_line("still here")
    a.expect("[bob] : still here")


def test_ignore_public_me_private():
    d = H.Natterd()
    a = d.login("ann")
    b = d.login("bob")
    c = d.login("cy")
    a.send_line("/ignore BOB")
    a.expect("*** You now ignore bob.")
    a.send_line("/ignore bob")
    a.expect("*** You already ignore bob.")
    a.send_line("/ignore ann")
    a.expect("*** You cannot ignore yourself.")
    a.send_line("/ignore")
    a.expect("*** You ignore: bob")
    b.send_line("public one")
    b.send_line("/me waves")
    b.send_line("/msg ann secret")
    b.expect("[you -> ann] (private) : secret")  # bob is not told
    c.expect("[bob] : public one")
    c.expect("* bob waves")
    c.send_line("marker")
    a.expect("[cy] : marker")
    assert "public one" not in a.text and "secret" not in a.text
    assert "bob waves" not in a.text
    a.send_line("/unignore bob")
    a.expect("*** You no longer ignore bob.")
    b.send_line("public two")
    a.expect("[bob] : public two")
    a.send_line("/unignore bob")
    a.expect("*** You do not ignore bob.")


def test_ignore_kept_for_accounts_across_logins():
    users = make_users(("ann", "pw-ann"), ("bob", "pw-bob"))
    state = os.path.join(H.tmpdir(), "state")
    d = H.Natterd("-U", users, "-D", state)
    a = d.login("ann", "pw-ann")
    a.send_line("/ignore bob")
    a.expect("*** You now ignore bob.")
    assert open(os.path.join(state, "ignore", "ann")).read() == "bob\n"
    a.send_line("/exit")
    a.expect_closed()
    d.stop()
    d2 = H.Natterd("-U", users, "-D", state)
    a = d2.login("ann", "pw-ann")
    b = d2.login("bob", "pw-bob")
    a.send_line("/ignore")
    a.expect("*** You ignore: bob")
    b.send_line("hello ann")
    b.send_line("/me pokes ann")
    a.send_line("/who")
    a.expect("In lobby (2)")
    assert "hello ann" not in a.text and "pokes" not in a.text


def test_mention_rings_the_bell_by_default():
    d = H.Natterd()
    a = d.login("ann")
    b = d.login("bob")
    b.send_line("hi ANN, look")
    a.expect("\x07[bob] : hi ANN, look")
    b.send_line("joanna is not you")
    a.expect("[bob] : joanna is not you")
    assert "\x07[bob] : joanna" not in a.text
    b.send_line("/msg ann psst")
    a.expect("[bob] (private) : psst")
    assert "\x07[bob] (private)" not in a.text
    a.send_line("/bell private")
    a.expect("*** The bell rings: when your name is said and for private")
    b.send_line("/msg ann psst2")
    a.expect("\x07[bob] (private) : psst2")
    a.send_line("/bell off")
    a.expect("*** The bell rings: never")
    b.send_line("ann again")
    a.expect("[bob] : ann again")
    assert "\x07[bob] : ann again" not in a.text
    a.send_line("/bell loud")
    a.expect("*** Usage: /bell off|mention|private|all")


def test_offline_message_kept_across_restart():
    users = make_users(("ann", "pw-ann"), ("bob", "pw-bob"), ("cy", "pw-cy"))
    state = os.path.join(H.tmpdir(), "state")
    d = H.Natterd("-U", users, "-D", state)
    a = d.login("ann", "pw-ann")
    a.send_line("/msg BOB see you at 5")
    a.expect("[you -> bob] (private) : see you at 5")
    a.expect("*** bob is not logged in; your message will be delivered "
             "when they log in.")
    a.send_line("/msg nobody hello")
    a.expect("*** No such user: nobody")
    for i in range(10):
        a.send_line("/msg cy n%d" % i)
        a.expect("[you -> cy] (private) : n%d" % i)
    a.send_line("/msg cy one too many")
    a.expect("*** cy is not logged in; their mailbox is full; your message "
             "was not kept.")
    assert os.path.exists(os.path.join(state, "mail", "bob"))
    d.stop()
    d2 = H.Natterd("-U", users, "-D", state)
    b = d2.login("bob", "pw-bob")
    b.expect("*** 1 private message was left for you while you were away:")
    b.expect_re(r"\[ann\] \(private, left \d{4}-\d\d-\d\d \d\d:\d\d UTC\) : "
                r"see you at 5")
    assert not os.path.exists(os.path.join(state, "mail", "bob"))
    c = d2.login("cy", "pw-cy")
    c.expect("*** 10 private messages were left for you")
    c.expect("n9")
    assert "one too many" not in c.text


def test_offline_message_not_kept_in_open_mode():
    d = H.Natterd()
    a = d.login("ann")
    a.send_line("/msg bob hello")
    a.expect("*** No such user: bob")


def test_offline_message_from_ignored_is_dropped():
    users = make_users(("ann", "pw-ann"), ("bob", "pw-bob"))
    d = H.Natterd("-U", users)
    b = d.login("bob", "pw-bob")
    b.send_line("/ignore ann")
    b.expect("*** You now ignore ann.")
    b.send_line("/exit")
    b.expect_closed()
    a = d.login("ann", "pw-ann")
    a.send_line("/msg bob let me in")
    a.expect("your message will be delivered")
    b = d.login("bob", "pw-bob")
    b.send_line("/who")
    b.expect("In lobby (2)")
    assert "let me in" not in b.text and "left for you" not in b.text


MACHINE_LINE = re.compile(r"^[^\t\n]*\t\d+\t[a-z]+\t[^\t\n]*\t[^\t\n]*\t[^\t\n]*\n")


def events(conn_or_text):
    text = conn_or_text if isinstance(conn_or_text, str) else conn_or_text.text
    out = []
    for line in text.split("\n")[:-1]:
        f = line.split("\t")
        if len(f) == 6:
            out.append(f)
    return out


def test_machine_mode_over_tcp_escapes_every_field():
    d = H.Natterd()
    a = d.login("ann")
    m = d.connect()
    m.expect("ID: ")
    m.send_line("/mode machine")
    m.expect("\tmode\t\t\tmachine\n")
    start = m.pos
    m.send_line("bot")
    m.expect_re(r"\tlogin\tlobby\tbot\t\n")
    a.expect("[bot] has joined the chat")
    a.send_line(r"tab\there back\slash")
    a.send_line("/me waves at bot")
    a.send_line("/msg bot private")
    m.expect("\tmsg\t\tann\tprivate\n")
    m.send_line("/who")
    m.expect_re(r"\tnotice\t\t\tIn lobby \(2\): ")
    m.send_line("/nonsense")
    m.expect("\tnotice\t\t\tUnknown command: /nonsense (try /help)\n")
    rest = m.text[start:]
    # Every line after the mode event is an event of six fields.
    for line in rest.split("\n")[:-1]:
        assert MACHINE_LINE.match(line + "\n"), repr(line)
    ev = events(rest)
    kinds = [e[2] for e in ev]
    assert kinds[0] == "login" and "say" in kinds and "me" in kinds, kinds
    say = [e for e in ev if e[2] == "say"][0]
    assert say[3:] == ["lobby", "ann", r"tab\\there back\\slash"], say
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", say[0])
    ids = [int(e[1]) for e in ev]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert "ID: " not in rest and "***" not in rest and "\r" not in rest


def session_argv(d, *extra):
    return [H.bin_path("natter-session"), "-m", "-b", d.sock] + list(extra)


def test_machine_mode_on_a_pipe_with_a_users_file():
    users = make_users(("robo", "pw-robo"))
    d = H.Natterd("-U", users)
    p = subprocess.run(session_argv(d, "-U", users),
                       input=b"robo\nwrong\nrobo\npw-robo\n/who\n/exit\n",
                       capture_output=True, timeout=20)
    out = p.stdout.decode()
    assert p.returncode == 0, (p.returncode, p.stderr)
    ev = events(out)
    assert all(len(e) == 6 for e in ev) and len(out.split("\n")) == len(ev) + 1, out
    assert [e[2] for e in ev][:2] == ["error", "login"], out
    assert ev[0][5] == "Login incorrect." and ev[1][4] == "robo"
    assert ev[-1][2:] == ["notice", "", "", "Goodbye."], out


def test_machine_mode_bot_that_stops_reading_is_cut_off():
    """A bot that never reads is bounded like any person: its session
    ends, the others see it leave and are not held up."""
    from test_chat import Tail
    d = H.Natterd(handler=[H.bin_path("natter-session"), "-r", "0"])
    a = d.login("ann")
    b = d.login("bob")
    s = H.socket.socket()
    s.setsockopt(H.socket.SOL_SOCKET, H.socket.SO_RCVBUF, 4096)
    s.connect((d.host, d.port))
    m = H.Conn(sock=s)
    m.send_line("/mode machine")
    m.send_line("mute")
    b.expect("[mute] has joined the chat")
    line = b"x" * 1000
    tail = Tail(b, watch=[b"[mute] has left the chat"])
    for batch in range(100):
        a.send(b"".join(b"%d %s\r\n" % (batch * 100 + i, line)
                        for i in range(100)))
        tail.expect(b"[ann] : %d x" % (batch * 100 + 99), timeout=2.0)
        if tail.seen(b"[mute] has left the chat"):
            break
    tail.expect(b"[mute] has left the chat", timeout=5)
    d.log.wait(r"too far behind")


def test_example_bot_answers_time_through_natterd():
    d = H.Natterd("-r", "0")
    a = d.login("ann")
    bot = H.spawn([sys.executable, EXAMPLE_BOT, d.host, str(d.port)],
                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    a.expect("[timebot] has joined the chat")
    a.send_line("!time")
    a.expect_re(r"\[timebot\] : The time is \d\d:\d\d:\d\d UTC\.")
    a.send_line("/msg timebot !time")
    a.expect_re(r"\[timebot\] \(private\) : The time is \d\d:\d\d:\d\d UTC\.")
    a.send_line("what is !time")
    a.expect_none(r"\[timebot\] : The time", within=0.5)
    bot.kill()
    a.expect("[timebot] has left the chat")


def test_example_bot_on_a_pipe():
    d = H.Natterd()
    a = d.login("ann")
    env = dict(os.environ, NATTER_BOT_NAME="pipebot")
    H.spawn([sys.executable, EXAMPLE_BOT, "-e"] + session_argv(d),
            stdout=subprocess.DEVNULL, env=env)
    a.expect("[pipebot] has joined the chat")
    a.send_line("!time")
    a.expect_re(r"\[pipebot\] : The time is ")


def test_client_shows_a_mention_highlighted():
    """natter on a terminal: a line that says your name in reverse
    video (its own codes, the bell from the session passed on); other
    lines plain."""
    from test_client import pty_login
    d = H.Natterd()
    bob = d.login("bob")
    t = pty_login(d, "ann")
    bob.expect("[ann] has joined the chat")
    bob.send_line("plain line")
    t.wait_text("[bob] : plain line")
    bob.send_line("hey ann, lunch?")
    t.wait_text("[bob] : hey ann, lunch?")
    bob.send_line("/me pokes Ann")
    t.wait_text("* bob pokes Ann")
    raw = t.raw.decode("utf-8", "replace")
    assert "\a\x1b[7m[bob] : hey ann, lunch?\x1b[0m" in raw, repr(raw[-300:])
    assert "\x1b[7m* bob pokes Ann\x1b[0m" in raw, repr(raw[-300:])
    assert "\x1b[7m[bob] : plain line" not in raw
    t.type("ann says ann\r")
    bob.expect("[ann] : ann says ann")
    t.type("/exit\r")
    assert t.exit_status() == 0
