"""Moderation across hosts (issue 13): natterd hosts sharing one Redis
share their bans and mutes.  A ban made on one host removes the people
it covers on every host and refuses them everywhere; /unban lifts it
everywhere; a host started after the ban applies it (the merge at UP);
/kick and /mute of a person on another host are done by that host;
garbage written to the moderation stream by hand is skipped with a log
line; natterctl who and status on one host show the people of the
others.  Each test starts its own redis-server (tests/rserver.py)."""
import os
import re
import socket

import harness as H
from harness import Natterd
from rserver import RedisServer
from test_moderation import ctl, login, op_users, parse_prometheus
from test_xhost import who_until


def host(redis_addr, users):
    d = Natterd("-R", redis_addr, "-U", users, "-p", "0", "-r", "0")
    d.log.wait(r"presence shared in Redis as host")
    d.log.wait(r"moderation across hosts: \d+ shared bans")
    return d


def refused(d, name, pw, why):
    """name cannot log in on d: the broker says why and closes."""
    c = d.connect()
    c.expect("ID: ")
    c.send_line(name)
    c.expect("PW: ")
    c.send_line(pw)
    c.expect(why)
    c.expect_closed()
    c.close()


def redis_cmd(r, *args):
    """One command to Redis over a raw socket: the reply's bytes."""
    s = socket.create_connection(("127.0.0.1", r.port), H.DEFAULT_TIMEOUT)
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    s.sendall(out)
    got = s.recv(4096)
    s.close()
    return got


def name_free(r, name):
    """Waits until no host holds name in Redis: a person who just left
    one host (their connection closed) is given back by that host's
    broker a moment later, and a log-in on another host before that is
    refused as logged in elsewhere."""
    H.wait_until(lambda: redis_cmd(r, "EXISTS", "natter:name:" +
                                   name.lower()) == b":0\r\n",
                 what="%s given back in Redis" % name)


def test_a_ban_on_one_host_removes_and_refuses_on_every_host():
    r = RedisServer()
    users = op_users()
    a, b = host(r.addr, users), host(r.addr, users)
    ann = login(a, "ann", "pw-ann")
    bob = login(b, "bob", "pw-bob")
    cy = login(b, "cy", "pw-cy")
    who_until(ann, r"In lobby \(3\): ")
    ann.send_line("/ban bob flooding")
    ann.expect("*** bob is banned until lifted (0 removed here; every "
               "server applies it).")
    bob.expect("*** You were banned by ann: flooding.")
    bob.expect_closed()
    cy.expect("[bob] was banned by ann: flooding")
    b.log.wait(r"ann banned bob \(on another server\)")
    bans_b = os.path.join(b.state, "bans")
    H.wait_until(lambda: "ban\tbob\t0\tann\tflooding\n" in
                 open(bans_b).read(), what="the ban in B's bans file")
    why = "You are banned from this chat (by ann: flooding)"
    refused(a, "bob", "pw-bob", why)
    refused(b, "bob", "pw-bob", why)
    # one shared entry for the ban, field = the lower-case name
    got = redis_cmd(r, "HEXISTS", "natter:bans", "bob")
    assert got == b":1\r\n", (got, redis_cmd(r, "KEYS", "*"))
    ann.send_line("/unban BOB")
    ann.expect("*** The ban on BOB is lifted.")
    b.log.wait(r"ann lifted the ban on bob \(on another server\)")
    assert redis_cmd(r, "HEXISTS", "natter:bans", "bob") == b":0\r\n"
    bob2 = login(b, "bob", "pw-bob")
    bob2.send_line("back")
    ann.expect("[bob] : back")
    assert "bob" not in open(bans_b).read()


def test_a_host_started_after_a_ban_applies_it():
    r = RedisServer()
    users = op_users()
    a = host(r.addr, users)
    ann = login(a, "ann", "pw-ann")
    ann.send_line("/ban bob 1h trolling")
    ann.expect_re(r"\*\*\* bob is banned until \S+ \S+ UTC \(0 removed "
                  r"here; every server applies it\)\.")
    ann.send_line("/ban 192.0.2.7/24")
    ann.expect("*** 192.0.2.0/24 is banned until lifted")
    c = host(r.addr, users)
    c.log.wait(r"moderation across hosts: 2 shared bans and 0 mutes merged")
    refused(c, "bob", "pw-bob", "You are banned from this chat (by ann: "
            "trolling), until ")
    ann.send_line("/exit")
    ann.expect_closed()
    name_free(r, "ann")
    ann2 = login(c, "ann", "pw-ann")
    ann2.send_line("/bans")
    ann2.expect("*** 2 bans.")
    assert "192.0.2.0/24 by ann until lifted" in ann2.text
    assert "bob by ann until " in ann2.text
    bans_c = open(os.path.join(c.state, "bans")).read()
    assert "ban\t192.0.2.0/24\t0\tann\t\n" in bans_c, bans_c


def test_kick_of_a_person_on_another_host():
    r = RedisServer()
    users = op_users()
    a, b = host(r.addr, users), host(r.addr, users)
    ann = login(a, "ann", "pw-ann")
    bob = login(b, "bob", "pw-bob")
    cy = login(b, "cy", "pw-cy")
    who_until(ann, r"In lobby \(3\): ")
    ann.send_line("/kick BOB be nice")
    ann.expect("*** bob was kicked (on another server).\r\n")
    bob.expect("*** You were kicked by ann: be nice.")
    bob.expect_closed()
    cy.expect("[bob] was kicked by ann: be nice")
    b.log.wait(r"bob kicked by ann: be nice")
    ann.send_line("/kick nobody")
    ann.expect("*** No such user: nobody")
    # a kick is not a ban: bob comes back
    login(b, "bob", "pw-bob")


def test_mute_of_a_person_on_another_host_holds_on_every_host():
    r = RedisServer()
    users = op_users()
    a, b = host(r.addr, users), host(r.addr, users)
    ann = login(a, "ann", "pw-ann")
    dee = login(a, "dee", "pw-dee")
    bob = login(b, "bob", "pw-bob")
    cy = login(b, "cy", "pw-cy")
    who_until(ann, r"In lobby \(4\): ")
    who_until(cy, r"In lobby \(4\): ")
    ann.send_line("/mute bob 1h")
    ann.expect("*** bob is muted for 1h (on another server).\r\n")
    bob.expect("*** You have been muted by ann for 1h: nobody sees what "
               "you say.")
    bob.send_line("first")
    bob.expect("*** You are muted: nobody sees what you say.")
    cy.send_line("marker one")
    for conn in (ann, dee):
        conn.expect("[cy] : marker one")
    assert "first" not in ann.text + dee.text + cy.text
    # bob leaves B and comes in on A: still muted there
    assert redis_cmd(r, "EXISTS", "natter:name:bob") == b":1\r\n"
    bob.send_line("/exit")
    bob.expect_closed()
    name_free(r, "bob")
    bob = login(a, "bob", "pw-bob")
    bob.send_line("second")
    bob.expect("*** You are muted")
    # and back on B
    bob.send_line("/exit")
    bob.expect_closed()
    name_free(r, "bob")
    bob = login(b, "bob", "pw-bob")
    bob.send_line("third")
    bob.expect("*** You are muted")
    cy.send_line("marker two")
    dee.expect("[cy] : marker two")
    assert "second" not in ann.text + dee.text + cy.text
    assert "third" not in ann.text + dee.text + cy.text
    ann.send_line("/unmute bob")
    ann.expect("*** bob may speak again.")
    bob.expect("*** You may speak again.")
    bob.send_line("free at last")
    for conn in (ann, dee, cy):
        conn.expect("[bob] : free at last")


def test_garbage_on_the_moderation_stream_is_skipped():
    r = RedisServer()
    users = op_users()
    a, b = host(r.addr, users), host(r.addr, users)
    ann = login(a, "ann", "pw-ann")
    bob = login(b, "bob", "pw-bob")
    who_until(ann, r"In lobby \(2\): ")
    # a kind nobody knows, a ban whose line is not one, a field twice
    for entry in (["k", "nuke", "h", "x", "t", "bob", "v", ""],
                  ["h", "x", "k", "ban", "t", "bob", "v", "ban\tbob\tsoon"],
                  ["h", "x", "k", "kick", "t", "bob", "t", "cy", "v", "a"],
                  ["h", "x", "k", "ban", "t", "bob", "v", "\x1b[2J"]):
        got = redis_cmd(r, "XADD", "natter:mod", "*", *entry)
        assert got.startswith(b"$"), got
    b.log.wait(r"skipped an unknown kind of moderation entry")
    # one line per 10 s: the others are counted, not logged
    bob.send_line("still here")
    ann.expect("[bob] : still here")
    assert "You were" not in bob.text
    assert H.children_of(b.proc.pid), "B's broker is gone"
    # and a real ban still goes through after them
    ann.send_line("/ban bob enough")
    bob.expect("*** You were banned by ann: enough.")
    bob.expect_closed()
    assert len(re.findall(r"skipped .*moderation", b.log.text())) == 1, \
        b.log.text()


def test_bans_and_mutes_made_while_redis_is_away_are_shared_after():
    """The first host brings its bans file's bans; a ban and a mute made
    while Redis cannot be reached apply at once here and reach Redis
    (and a host started later) when it comes."""
    r = RedisServer(start=False)
    users = op_users()
    state = os.path.join(H.tmpdir(), "state")
    os.makedirs(state)
    with open(os.path.join(state, "bans"), "w") as f:
        f.write("ban\tcy\t0\tann\told grudge\n")
    a = Natterd("-R", r.addr, "-U", users, "-p", "0", "-r", "0", "-D", state)
    a.log.wait(r"history not written \(redis\)")
    ann = login(a, "ann", "pw-ann")
    bob = login(a, "bob", "pw-bob")
    ann.send_line("/ban 192.0.2.9 away")
    ann.expect("*** 192.0.2.9/32 is banned until lifted (0 removed here; "
               "every server applies it).")
    ann.send_line("/mute bob")
    ann.expect("*** bob is muted.")
    r.start()
    a.log.wait(r"moderation across hosts: 2 shared bans and 1 mutes merged")
    b = host(r.addr, users)
    b.log.wait(r"moderation across hosts: 2 shared bans and 1 mutes merged")
    refused(b, "cy", "pw-cy", "You are banned from this chat (by ann: old "
            "grudge)")
    bob.send_line("/exit")
    bob.expect_closed()
    bob = login(b, "bob", "pw-bob")
    bob.send_line("hello")
    bob.expect("*** You are muted")
    bans_b = open(os.path.join(b.state, "bans")).read()
    assert "ban\t192.0.2.9/32\t0\tann\taway\n" in bans_b, bans_b


def test_every_host_brings_its_bans_file_once():
    """A host that joins a Redis already in use still brings the bans
    of its own bans file (the first time Redis sees that host); the
    shared list then holds both hosts' bans."""
    r = RedisServer()
    users = op_users()
    a = host(r.addr, users)
    ann = login(a, "ann", "pw-ann")
    ann.send_line("/ban cy from a")
    ann.expect("*** cy is banned until lifted")
    state = os.path.join(H.tmpdir(), "state-b")
    os.makedirs(state)
    with open(os.path.join(state, "bans"), "w") as f:
        f.write("ban\tdee\t0\tbob\tfrom b's file\n")
    b = Natterd("-R", r.addr, "-U", users, "-p", "0", "-r", "0", "-D", state)
    b.log.wait(r"moderation across hosts: 2 shared bans")
    refused(b, "cy", "pw-cy", "You are banned from this chat (by ann: "
            "from a)")
    assert redis_cmd(r, "HEXISTS", "natter:bans", "dee") == b":1\r\n"
    # the hosts already up hear of it as of any ban
    a.log.wait(r"bob banned dee \(on another server\)")
    refused(a, "dee", "pw-dee", "You are banned from this chat (by bob: "
            "from b's file)")


def test_natterctl_who_and_status_show_the_people_of_other_hosts():
    r = RedisServer()
    users = op_users()
    a, b = host(r.addr, users), host(r.addr, users)
    ann = login(a, "ann", "pw-ann")
    bob = login(b, "bob", "pw-bob")
    bob.send_line("/join dev")
    bob.expect("*** You are now alone in dev.")
    cy = login(b, "cy", "pw-cy")
    who_until(ann, r"In lobby \(2\): ")
    b_id = re.search(r"presence shared in Redis as host (\S+)",
                     b.log.text()).group(1)
    p = ctl(a, "who")
    assert p.returncode == 0 and p.stderr == "", p
    rows = [l.split("\t") for l in p.stdout.splitlines()]
    assert rows[0][0] == "ann" and len(rows[0]) == 6, rows  # as before
    assert sorted(rows[1:]) == [["bob", "dev", "-", "-", "-", "-", b_id],
                                ["cy", "lobby", "-", "-", "-", "-", b_id]]
    p = ctl(a, "status")
    st = {tuple(r[:-1]): r[-1] for r in
          (l.split("\t") for l in p.stdout.splitlines())}
    assert st[("people",)] == "1" and st[("hosts",)] == "1", st
    assert st[("people_elsewhere",)] == "2", st
    m, _ = parse_prometheus(ctl(a, "metrics").stdout)
    assert m[("natter_hosts", None)] == 1
    assert m[("natter_people_elsewhere", None)] == 2
    cy.send_line("/exit")
    cy.expect_closed()
    H.wait_until(lambda: "cy" not in ctl(a, "who").stdout,
                 what="cy gone from A's natterctl who")


def test_natterctl_who_bounds_the_people_of_other_hosts():
    """2000 people of another host (its 'join' events put in the stream
    by hand): who lists as many as a quarter of the queue bound holds,
    in order of host, and natterctl says on stderr how many are left
    out; status counts them all."""
    r = RedisServer()
    a = host(r.addr, op_users())
    out = b""
    for i in range(2000):
        args = [b"XADD", b"natter:events", b"*", b"h", b"many-1", b"k",
                b"join", b"n", b"p%d" % i, b"r", b"lobby", b"o", b""]
        out += b"*%d\r\n" % len(args)
        out += b"".join(b"$%d\r\n%s\r\n" % (len(x), x) for x in args)
    out += b"*1\r\n$4\r\nPING\r\n"
    with socket.create_connection(("127.0.0.1", r.port), 5) as s:
        s.sendall(out)
        got = b""
        while not got.endswith(b"+PONG\r\n"):
            chunk = s.recv(65536)
            assert chunk, got[-200:]
            got += chunk
    def counted():
        st = dict(l.split("\t") for l in ctl(a, "status").stdout
                  .splitlines() if l.count("\t") == 1)
        return st["people_elsewhere"] == "2000" and st["hosts"] == "1"
    H.wait_until(counted, what="A to know the 2000")
    p = ctl(a, "who")
    assert p.returncode == 0, p
    rows = [l.split("\t") for l in p.stdout.splitlines()]
    assert 500 < len(rows) < 2000, len(rows)
    assert all(r[1:] == ["lobby", "-", "-", "-", "-", "many-1"]
               for r in rows), rows[:3]
    assert p.stderr == "natterctl: %d people, %d more on other hosts not " \
        "listed.\n" % (len(rows), 2000 - len(rows)), p.stderr
