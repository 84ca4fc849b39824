"""Operators and moderation with a real natterd and real sessions: the
op mark in the users file, /kick, /ban by name and by address (refused
by natterd before a session starts), a timed ban's end, /mute, /topic
at join and in /rooms, /wall, a non-operator refused, bans and topics
kept across restarts in the state directory (-D), and natterctl.
"""
import os
import re
import signal
import socket
import subprocess
import threading
import time

import harness as H
from harness import Natterd, Conn, DEFAULT_TIMEOUT
from test_chat import broker_pid, make_users, session_pid


def op_users():
    """ann (an operator) and bob, cy, dee (people)."""
    users = make_users(("ann", "pw-ann"), ("bob", "pw-bob"),
                       ("cy", "pw-cy"), ("dee", "pw-dee"))
    p = subprocess.run([H.bin_path("natter-passwd"), "-f", users, "-o",
                        "ann"], capture_output=True, timeout=DEFAULT_TIMEOUT)
    assert p.returncode == 0, p.stderr
    return users


def server(users=None, state=None, *args):
    state = state or os.path.join(H.tmpdir(), "state")
    opts = ["-D", state, "-p", "0", "-r", "0"]
    if users:
        opts += ["-U", users]
    return Natterd(*(opts + list(args))), state


def login(d, name, pw=None, source=None):
    c = connect(d, source)
    c.expect("ID: ")
    c.send_line(name)
    if pw is not None:
        c.expect("PW: ")
        c.send_line(pw)
    c.expect("-----Chatting Room-----")
    c.expect("Type /help")
    return c


def connect(d, source=None):
    if source is None:
        return d.connect()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(DEFAULT_TIMEOUT)
    s.bind((source, 0))
    s.connect((d.host, d.port))
    return Conn(sock=s)


def test_passwd_marks_operators_and_keeps_the_mark():
    users = op_users()
    assert re.search(r"^ann:\$[^:\n]+:op$", open(users).read(), re.M)
    p = subprocess.run([H.bin_path("natter-passwd"), "-f", users, "ann"],
                       input=b"new-pw\n", capture_output=True,
                       timeout=DEFAULT_TIMEOUT)
    assert p.returncode == 0, p.stderr
    assert re.search(r"^ann:\$[^:\n]+:op$", open(users).read(), re.M)
    p = subprocess.run([H.bin_path("natter-passwd"), "-f", users, "-O",
                        "ann"], capture_output=True, timeout=DEFAULT_TIMEOUT)
    assert p.returncode == 0 and ":op" not in open(users).read()
    p = subprocess.run([H.bin_path("natter-passwd"), "-f", users, "-o",
                        "zed"], capture_output=True, timeout=DEFAULT_TIMEOUT)
    assert p.returncode == 1 and b"no such user" in p.stderr, p


def test_kick_tells_who_and_why_and_the_room_sees_it():
    d, _ = server(op_users())
    ann = login(d, "ann", "pw-ann")
    bob = login(d, "bob", "pw-bob")
    cy = login(d, "cy", "pw-cy")
    ann.send_line("/kick bob spamming the room")
    ann.expect("*** bob was kicked.")
    bob.expect("*** You were kicked by ann: spamming the room.")
    bob.expect_closed()
    cy.expect("[bob] was kicked by ann: spamming the room")
    assert "[bob] has left the chat" not in cy.text
    ann.send_line("/kick nobody")
    ann.expect("*** No such user: nobody")
    ann.send_line("/kick ann")
    ann.expect("*** You cannot kick yourself")
    d.log.wait(r"bob kicked by ann: spamming the room")


def test_non_operator_refused_in_one_line():
    d, _ = server(op_users())
    ann = login(d, "ann", "pw-ann")
    bob = login(d, "bob", "pw-bob")
    for cmd in ("/kick ann", "/ban ann", "/wall hi", "/mute ann",
                "/topic mine now", "/bans", "/unban x", "/unmute ann"):
        bob.send_line(cmd)
        bob.expect("*** %s is for operators.\r\n" % cmd.split()[0])
    bob.send_line("/topic")
    bob.expect("*** lobby has no topic.")
    ann.expect_none("kicked|banned|muted|Announcement", within=0.3)
    # /help lists what bob may use: /topic to see it, not the operators'
    bob.send_line("/help")
    bob.expect("***   /topic          your room's topic\r\n")
    bob.expect("*** Any other line is said to your room")
    assert "Operators:" not in bob.text


def test_ban_by_name_and_its_end():
    d, _ = server(op_users())
    ann = login(d, "ann", "pw-ann")
    bob = login(d, "bob", "pw-bob")
    ann.send_line("/ban bob 3s flooding")
    ann.expect_re(r"\*\*\* bob is banned until \S+ \S+ UTC \(1 removed\)\.")
    bob.expect("*** You were banned by ann: flooding.")
    bob.expect_closed()
    ann.expect("[bob] was banned by ann: flooding")
    c = d.connect()
    c.expect("ID: ")
    c.send_line("bob")
    c.expect("PW: ")
    c.send_line("pw-bob")
    c.expect_re(r"\*\*\* You are banned from this chat \(by ann: flooding\), "
                r"until .* UTC\.")
    c.expect_closed()
    ann.send_line("/bans")
    ann.expect_re(r"\*\*\* bob by ann until .*: flooding")
    ann.expect("*** 1 bans.")
    # a timed ban ends by itself
    H.wait_until(lambda: try_login(d, "bob", "pw-bob"), timeout=10,
                 interval=0.5, what="the ban's end")
    ann.send_line("/ban bob 10x")
    ann.expect("*** Bad duration: 10x (use e.g. 30s, 10m, 2h or 7d).")
    ann.send_line("/ban ann")
    ann.expect("*** That ban would shut you out too; not banned.")
    ann.send_line("/ban 300.1.1.1")
    ann.expect("*** Not a name or an address: 300.1.1.1")
    ann.send_line("/unban cy")
    ann.expect("*** cy is not banned.")


def try_login(d, name, pw):
    c = d.connect()
    c.expect("ID: ")
    c.send_line(name)
    c.expect("PW: ")
    c.send_line(pw)
    m = c.expect_re(r"-----Chatting Room-----|banned")
    c.close()
    return m.group(0) != "banned"


def test_address_ban_refused_by_natterd_before_a_session():
    d, state = server(op_users())
    ann = login(d, "ann", "pw-ann")
    bob = login(d, "bob", "pw-bob", source="127.0.0.2")
    ann.send_line("/ban 127.0.0.2/32 trouble")
    ann.expect("*** 127.0.0.2/32 is banned until lifted (1 removed).")
    bob.expect("*** You were banned by ann: trouble.")
    bob.expect_closed()
    assert "127.0.0.2/32" in open(os.path.join(state, "bans")).read()
    c = connect(d, "127.0.0.2")
    c.expect("natterd: you are banned from this server\r\n")
    c.expect_closed()
    assert "ID: " not in c.text
    d.log.wait(r"refused 127\.0\.0\.2:\d+: banned")
    # another address is let in, and lifting the ban lets 127.0.0.2 in
    login(d, "cy", "pw-cy", source="127.0.0.3").close()
    ann.send_line("/unban 127.0.0.2")
    ann.expect("*** The ban on 127.0.0.2/32 is lifted.")
    login(d, "dee", "pw-dee", source="127.0.0.2")


def test_mute_silences_public_lines_and_actions():
    d, _ = server(op_users())
    ann = login(d, "ann", "pw-ann")
    bob = login(d, "bob", "pw-bob")
    cy = login(d, "cy", "pw-cy")
    ann.send_line("/mute bob")
    ann.expect("*** bob is muted.")
    bob.expect("*** You have been muted by ann: nobody sees what you say.")
    bob.send_line("can anyone hear me")
    bob.expect("*** You are muted: nobody sees what you say.")
    bob.send_line("/me shouts")
    bob.expect("*** You are muted")
    bob.send_line("/msg ann privately")
    ann.expect("[bob] (private) : privately")
    cy.expect_none(r"can anyone|shouts", within=0.3)
    ann.send_line("/unmute bob")
    ann.expect("*** bob may speak again.")
    bob.expect("*** You may speak again.")
    bob.send_line("back")
    cy.expect("[bob] : back")
    ann.send_line("/mute bob 1s")
    ann.expect("*** bob is muted for 1s.")


def test_topic_at_join_in_rooms_and_wall_to_every_room():
    d, _ = server(op_users())
    ann = login(d, "ann", "pw-ann")
    bob = login(d, "bob", "pw-bob")
    ann.send_line("/topic Welcome, be kind")
    bob.expect("*** Topic of lobby: Welcome, be kind (set by ann)")
    ann.expect("*** Topic set.")
    cy = login(d, "cy", "pw-cy")
    assert "Topic of lobby: Welcome, be kind (set by ann)" in cy.text
    cy.send_line("/rooms")
    cy.expect('lobby (3) "Welcome, be kind"')
    cy.send_line("/join x")
    cy.expect("*** You are now alone in x.")
    ann.send_line("/wall The server restarts at noon")
    ann.expect("*** Announced to 2 people.")
    cy.expect("*** Announcement from ann: The server restarts at noon")
    bob.expect("*** Announcement from ann: The server restarts at noon")


def test_bans_and_topics_survive_restarts():
    users = op_users()
    d, state = server(users)
    ann = login(d, "ann", "pw-ann")
    ann.send_line("/ban bob")
    ann.expect("*** bob is banned until lifted")
    ann.send_line("/topic kept")
    ann.expect("*** Topic set.")
    ann.send_line("/ban 127.0.0.4")
    ann.expect("*** 127.0.0.4/32 is banned")
    # the broker alone, killed: natterd restarts it, which reads them
    broker = int(re.findall(r"broker started, pid (\d+)", d.log.text())[-1])
    os.kill(broker, 9)
    ann.expect("Reconnected.")
    ann.send_line("/bans")
    ann.expect("*** 2 bans.")
    assert d.stop() == 0
    d2, _ = server(users, state)
    c = connect(d2, "127.0.0.4")
    c.expect("natterd: you are banned from this server")
    assert not try_login(d2, "bob", "pw-bob")
    cy = login(d2, "cy", "pw-cy")
    assert "Topic of lobby: kept (set by ann)" in cy.text


def ctl(d, *args):
    return subprocess.run([H.bin_path("natterctl"), "-s", d.sock] +
                          list(args), capture_output=True, text=True,
                          timeout=DEFAULT_TIMEOUT)


def test_natterctl_who_kick_wall_stats_in_open_mode():
    d, _ = server()
    bob = login(d, "bob")
    cy = login(d, "cy")
    cy.send_line("hello")
    bob.expect("[cy] : hello")
    p = ctl(d, "who")
    assert p.returncode == 0, p.stderr
    rows = [l.split("\t") for l in p.stdout.splitlines()]
    assert sorted(r[0] for r in rows) == ["bob", "cy"], rows
    assert all(r[1] == "lobby" and r[2] == "127.0.0.1" for r in rows), rows
    p = ctl(d, "wall", "maintenance", "soon")
    assert p.returncode == 0 and p.stdout == "Announced to 2 people.\n", p
    bob.expect("*** Announcement from natterctl: maintenance soon")
    p = ctl(d, "kick", "cy", "be", "nice")
    assert p.returncode == 0, p
    cy.expect("*** You were kicked by natterctl: be nice.")
    bob.expect("[cy] was kicked by natterctl: be nice")
    p = ctl(d, "kick", "nobody")
    assert p.returncode == 1 and p.stderr == "natterctl: No such user: " \
        "nobody\n", p
    p = ctl(d, "stats")
    stats = dict(l.split("\t") for l in p.stdout.splitlines())
    assert stats["people"] == "1" and stats["kicks_total"] == "1", stats
    assert int(stats["messages_total"]) >= 1, stats
    p = subprocess.run([H.bin_path("natterctl"), "-s",
                        os.path.join(H.tmpdir(), "none.sock"), "who"],
                       capture_output=True, text=True,
                       timeout=DEFAULT_TIMEOUT)
    assert p.returncode == 111 and p.stderr.startswith("natterctl: "), p
    assert len(p.stderr.splitlines()) == 1, p


def session_titles():
    titles = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                titles.append(f.read().split(b"\0")[0].decode("utf-8",
                                                               "replace"))
        except OSError:
            pass
    return titles


def test_session_shows_its_person_and_address_in_ps():
    if not os.path.isdir("/proc/self"):
        raise H.Skip("no /proc")
    d, _ = server()
    ann = login(d, "ann")
    # in the room of argv[0], the program's path: build/natter-session
    # here, so the address may be cut short
    H.wait_until(lambda: any(re.match(r"natter-session: ann from 127\.0\.",
                                      t) for t in session_titles()),
                 what="the session's title")
    ann.send_line("/who")
    ann.expect("*** In lobby (1): ann")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def test_rules_file_denies_before_a_session_and_reloads_on_sighup():
    rules = os.path.join(H.tmpdir(), "rules")
    write(rules, "# the lab\n\nallow 127.0.0.3  # a guest\n"
          "deny\t127.0.0.0/29\r\ndeny ::/0\n")
    d, _ = server(None, None, "-x", rules)
    d.log.wait(r"3 address rules from .*rules")
    c = connect(d, "127.0.0.2")
    c.expect("natterd: connections from your address are not accepted "
             "here\r\n")
    c.expect_closed()
    assert "ID: " not in c.text
    d.log.wait(r"refused 127\.0\.0\.2:\d+: denied by the rules")
    login(d, "guest", None, source="127.0.0.3").close()  # allowed first
    login(d, "far", None, source="127.0.0.9").close()    # no rule: allowed
    # a bad line on SIGHUP: logged with its number, the old rules stay
    write(rules, "allow 127.0.0.2\nallow 127.0.0.300\n")
    d.proc.send_signal(signal.SIGHUP)
    d.log.wait(r"rules line 2: expected an address .*; the rules in force "
               r"stay")
    c = connect(d, "127.0.0.2")
    c.expect("not accepted here")
    # a good file: in force at once
    write(rules, "allow 127.0.0.2\n")
    d.proc.send_signal(signal.SIGHUP)
    d.log.wait(r"1 address rules from")
    login(d, "two", None, source="127.0.0.2").close()


def test_bad_rules_file_at_start_is_a_usage_error():
    rules = os.path.join(H.tmpdir(), "rules")
    for text, why in (("allow 10.0.0.0/8\nban 1.2.3.4\n",
                       "line 2: expected allow or deny"),
                      ("deny 10.0.0.0/33\n", "line 1: expected an address"),
                      ("deny 10.0.0.1 and more\n",
                       "line 1: something after the address"),
                      ("x" * 300 + "\n", "line 1: longer than 256 bytes")):
        write(rules, text)
        p = subprocess.run([H.bin_path("natterd"), "-f", "-l", "127.0.0.1:0",
                            "-s", os.path.join(H.tmpdir(), "x", "b.sock"),
                            "-x", rules], capture_output=True, text=True,
                           timeout=DEFAULT_TIMEOUT,
                           stdin=subprocess.DEVNULL)
        assert p.returncode == 100, p
        assert ("natterd: %s %s" % (rules, why)) in p.stderr, p.stderr
        assert len(p.stderr.strip().splitlines()) == 1, p.stderr
    p = subprocess.run([H.bin_path("natterd"), "-f", "-x",
                        os.path.join(H.tmpdir(), "missing")],
                       capture_output=True, text=True, timeout=DEFAULT_TIMEOUT,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 100 and "No such file" in p.stderr, p


def test_password_login_takes_the_name_back_from_an_older_session():
    d, _ = server(op_users())
    old = login(d, "bob", "pw-bob")
    cy = login(d, "cy", "pw-cy")
    old.expect("[cy] has joined the chat")
    # a wrong password changes nothing
    c = d.connect()
    c.expect("ID: ")
    c.send_line("bob")
    c.expect("PW: ")
    c.send_line("wrong")
    c.expect("Login incorrect.")
    c.close()
    new = login(d, "bob", "pw-bob", source="127.0.0.2")
    assert "*** Your session from 127.0.0.1 has ended; this one takes its " \
        "place." in new.text
    old.expect("*** You logged in elsewhere; this session ends.\r\n")
    old.expect_closed()
    d.log.wait(r"bob logged in again from 127\.0\.0\.2 port \d+: the "
               r"session from 127\.0\.0\.1 port \d+ ends")
    new.send_line("/who")
    new.expect_re(r"In lobby \(2\): (bob, cy|cy, bob)")
    cy.send_line("still there?")
    new.expect("[cy] : still there?")
    # the room saw neither a leave nor a join
    cy.expect_none(r"\[bob\] has (left|joined)|was kicked", within=0.3)
    # into another room: the room hears a move
    new.send_line("/join dev")
    new.expect("*** You are now alone in dev.")
    cy.expect("[bob] has moved to room dev")
    again = login(d, "bob", "pw-bob")  # lands in the lobby
    new.expect("*** You logged in elsewhere; this session ends.")
    cy.expect("[bob] has come in from room dev")
    cy.expect_none(r"\[bob\] has (left|joined)", within=0.3)
    p = ctl(d, "status")
    assert p.returncode == 0, p
    assert "takeovers\t2" in p.stdout.splitlines(), p.stdout
    again.close()


def test_open_mode_has_no_takeover():
    d, _ = server()
    bob = login(d, "bob")
    c = d.connect()
    c.expect("ID: ")
    c.send_line("bob")
    c.expect("*** The name bob is already in use; choose another.")
    bob.send_line("/who")
    bob.expect("*** In lobby (1): bob")


def test_a_rejoin_never_takes_the_name_back():
    """After a broker restart the old session re-announces (REJOIN) after
    a newer one logged in with the password: it is refused and ends; the
    newer one keeps the name."""
    d, _ = server(op_users())
    old, cy = login(d, "bob", "pw-bob"), login(d, "cy", "pw-cy")
    pid = session_pid(old)
    os.kill(pid, signal.SIGSTOP)   # its REJOIN waits until we say
    try:
        mark = len(d.log.lines)
        os.kill(broker_pid(d), signal.SIGKILL)
        d.log.wait(r"broker listening on", start=mark)
        cy.expect("*** Reconnected.", timeout=30)
        new = login(d, "bob", "pw-bob")
        cy.expect("[bob] has joined the chat")
    finally:
        os.kill(pid, signal.SIGCONT)
    old.expect("*** Could not rejoin as bob; goodbye.")
    old.expect_closed()
    new.send_line("/who")
    new.expect_re(r"In lobby \(2\): (bob, cy|cy, bob)")
    assert "logged in elsewhere" not in new.text


def parse_prometheus(text):
    """A tiny parser of the text exposition format: {(name, labels):
    value}, and {name: type}; fails on anything it does not know."""
    samples, types, helps = {}, {}, set()
    line_rx = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)'
                         r'(?:\{([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\})?'
                         r' (-?[0-9]+(?:\.[0-9]+)?)$')
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            assert name not in helps, "two HELP lines for " + name
            helps.add(name)
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge") and name not in types, line
            types[name] = kind
            continue
        m = line_rx.match(line)
        assert m, "not a sample: %r" % line
        name, label, lvalue, value = m.groups()
        assert name in types and name in helps, "no TYPE/HELP before " + line
        assert types[name] != "counter" or name.endswith("_total"), name
        key = (name, (label, lvalue) if label else None)
        assert key not in samples, "twice: " + line
        samples[key] = float(value)
    return samples, types


def test_natterctl_status_who_and_metrics_against_natterd():
    d, _ = server(op_users())
    ann = login(d, "ann", "pw-ann")
    bob = login(d, "bob", "pw-bob")
    bob.send_line("/join dev")
    bob.expect("*** You are now alone in dev.")
    for i in range(6):
        ann.send_line("line %d" % i)
    ann.send_line("/ban cy")   # a log-in the broker refuses: banned
    ann.expect("*** cy is banned")
    assert not try_login(d, "cy", "pw-cy")
    ann.send_line("/kick bob")
    ann.expect("*** bob was kicked.")
    ann.send_line("/who")      # a round trip: the lines are counted
    ann.expect("*** In lobby (1): ann")
    p = ctl(d, "status")
    assert p.returncode == 0 and p.stderr == "", p
    rows = [l.split("\t") for l in p.stdout.splitlines()]
    assert all(len(r) in (2, 3) for r in rows), rows
    st = {tuple(r[:-1]): r[-1] for r in rows}
    assert st[("people",)] == "1" and st[("room", "lobby")] == "1", st
    assert ("room", "dev") not in st, st
    assert st[("sessions_started",)] == "2", st
    assert st[("kicks",)] == "1" and st[("lines",)] == "6", st
    assert st[("refused", "banned")] == "1", st
    assert st[("refused", "name_in_use")] == "0", st
    assert st[("bans",)] == "1" and st[("bans_in_force",)] == "1", st
    assert st[("cut_off",)] == "0", st
    assert st[("lines_per_second",)] == "0.10", st
    assert int(st[("uptime_seconds",)]) >= 0
    p = ctl(d, "who")
    assert p.returncode == 0, p
    (row,) = [l.split("\t") for l in p.stdout.splitlines()]
    name, room, addr, since, idle, op = row
    assert (name, room, addr, op) == ("ann", "lobby", "127.0.0.1", "op")
    assert abs(int(since) - time.time()) < 60 and 0 <= int(idle) < 60, row
    p = ctl(d, "metrics")
    assert p.returncode == 0 and p.stderr == "", p
    m, types = parse_prometheus(p.stdout)
    assert m[("natter_people", None)] == 1
    assert m[("natter_room_people", ("room", "lobby"))] == 1
    assert m[("natter_sessions_started_total", None)] == 2
    assert m[("natter_kicks_total", None)] == 1
    assert m[("natter_lines_total", None)] == 6
    assert m[("natter_lines_per_second", None)] == 0.1
    assert m[("natter_logins_refused_total", ("reason", "banned"))] == 1
    assert m[("natter_logins_refused_total", ("reason", "protocol"))] == 0
    assert types["natter_people"] == "gauge"
    assert types["natter_logins_refused_total"] == "counter"


def test_natterctl_without_a_broker_of_its_own_says_so_in_one_line():
    here = H.tmpdir()
    # nothing there, a file that is no socket, a directory
    plain = os.path.join(here, "plain")
    write(plain, "")
    for path in (os.path.join(here, "none.sock"), plain, here):
        p = ctl_at(path, "status")
        assert p.returncode == 111 and p.stdout == "", p
        assert re.fullmatch(r"natterctl: no broker at .*\n", p.stderr), p
    # a socket whose listener closes at once (as a broker of another
    # user does): one line, not a SIGPIPE
    sock = os.path.join(here, "closer.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock)
    srv.listen(4)
    stop = threading.Event()

    def closer():
        while not stop.is_set():
            try:
                s, _ = srv.accept()
            except OSError:
                return
            s.close()
    t = threading.Thread(target=closer, daemon=True)
    t.start()
    try:
        p = ctl_at(sock, "who")
    finally:
        stop.set()
        srv.close()
    assert p.returncode == 111 and p.stdout == "", p
    assert len(p.stderr.splitlines()) == 1, p
    assert p.stderr.startswith("natterctl: "), p
    if os.geteuid() == 0:      # a broker run as another user
        other_user_broker_refused()
    p = ctl_at(sock, "frobnicate")
    assert p.returncode == 100, p


def other_user_broker_refused():
    import pwd
    nobody = pwd.getpwnam("nobody")
    here = H.tmpdir()
    os.chown(here, nobody.pw_uid, nobody.pw_gid)
    sock = os.path.join(here, "b.sock")

    def drop():
        os.setgroups([])
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)
    b = H.spawn([H.bin_path("natter-broker"), "-S", "-s",
                 os.path.join(here, "state"), sock], preexec_fn=drop,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
    try:
        H.wait_until(lambda: os.path.exists(sock), what="nobody's broker")
        p = ctl_at(sock, "who")
        assert p.returncode == 111 and p.stdout == "", p
        assert p.stderr == ("natterctl: the broker at %s is another user's "
                            "(uid %d); run natterctl as that user\n"
                            % (sock, nobody.pw_uid)), p
    finally:
        b.kill()
        b.wait()


def ctl_at(path, *args):
    return subprocess.run([H.bin_path("natterctl"), "-s", path] + list(args),
                          capture_output=True, text=True,
                          timeout=DEFAULT_TIMEOUT)
