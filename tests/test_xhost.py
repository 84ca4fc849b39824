"""Presence across hosts (issue 13): natterd hosts sharing one Redis see
each other's people.  Two and three natterds (own ports, own broker
sockets, own state directories) on a redis-server each test starts: a
name is taken once across hosts, joins, moves and leaves are announced on
every host, /who and /rooms count everyone, /msg reaches a person on
another host; the faults: Redis absent at start, lost mid-chat, restarted
with AOF and empty, stalled (SIGSTOP), and one host SIGKILLed."""
import os
import re
import signal
import socket
import time

import harness as H
from harness import Natterd
from rserver import RedisServer

# xhost.h: a dead host's key expires after XHOST_TTL_MS (8 s) and is
# found within XHOST_BEAT_MS (2 s): natterd(8) promises 15 s at most.
GONE_WITHIN = 15


def host(redis_addr, *args):
    d = Natterd("-R", redis_addr, *args,
                handler=[H.bin_path("natter-session"), "-r", "0"])
    d.log.wait(r"presence shared in Redis as host")
    return d


def received(conn, literal, timeout=H.DEFAULT_TIMEOUT):
    def seen():
        conn._fill(0.05)
        return literal in conn.text
    H.wait_until(seen, timeout=timeout, what=literal)


def ask(conn, line, answer):
    """Sends line; the text of the answer's line that matches answer."""
    conn.send_line(line)
    return conn.expect_re(answer)


def who_until(conn, pattern, room="lobby"):
    """Asks /who until its answer matches pattern (what another host
    did reaches this one a moment later)."""
    rx = re.compile(r"\*\*\* In %s \(\d+\): .*" % room)
    def ok():
        conn.send_line("/who")
        m = conn.expect_re(rx.pattern)
        return re.search(pattern, m.group(0))
    H.wait_until(ok, what="/who to match %r" % pattern, interval=0.05)


def broker_of(d):
    return [p for p, _ in H.children_of(d.proc.pid, raw=True)
            if not H.is_launcher(p)
            and "natter-broker" in open("/proc/%d/cmdline" % p).read()]


def test_people_of_two_hosts_see_each_other():
    r = RedisServer()
    a, b = host(r.addr), host(r.sock)
    ann = a.login("ann")
    bob = b.login("bob")
    ann.expect("[bob] has joined the chat")
    who_until(bob, r"In lobby \(2\): (ann, bob|bob, ann)")
    ask(ann, "/who", r"In lobby \(2\): (ann, bob|bob, ann)")
    # one name across hosts: bob is taken on A too, in any case
    c = a.connect()
    c.expect("ID: ")
    c.send_line("BOB")
    c.expect("already in use")
    c.close()
    # /msg to the other host, both ways
    ann.send_line("/msg bob psst")
    ann.expect("[you -> bob] (private) : psst")
    bob.expect("[ann] (private) : psst")
    bob.send_line("/msg Ann back at you")
    bob.expect("[you -> ann] (private) : back at you")
    ann.expect("[bob] (private) : back at you")
    # moves and /rooms
    bob.send_line("/join dev")
    ann.expect("[bob] has moved to room dev")
    ask(ann, "/rooms", r"Rooms \(2\): dev \(1\), lobby \(1\)")
    ask(ann, "/who", r"In lobby \(1\): ann\r\n")
    ann.send_line("/join dev")
    bob.expect("[ann] has come in from room lobby")
    ann.expect("You are now in dev with: bob")
    # a leave is announced on the other host, and frees the name there
    bob.send_line("/exit")
    ann.expect("[bob] has left the chat")
    ask(ann, "/who", r"In dev \(1\): ann\r\n")
    bob2 = a.login("bob")
    bob2.send_line("/who")
    bob2.expect("In lobby (1): bob")
    assert ann.text.count("[bob] has joined the chat") == 1


def test_a_name_claimed_on_two_hosts_at_once_goes_to_one():
    r = RedisServer()
    a, b = host(r.addr), host(r.addr)
    for i in range(5):
        name = "dup%d" % i
        ca, cb = a.connect(), b.connect()
        ca.expect("ID: ")
        cb.expect("ID: ")
        ca.send_line(name)
        cb.send_line(name)
        got = []
        for c in (ca, cb):
            H.wait_until(lambda: (c._fill(0.05) or True) and
                         ("-----Chatting Room-----" in c.text or
                          "already in use" in c.text), what="an answer")
            got.append("-----Chatting Room-----" in c.text)
        assert sorted(got) == [False, True], got
        ca.close()
        cb.close()


def test_three_hosts_one_killed_its_people_leave_every_who():
    r = RedisServer()
    a, b, c = host(r.addr), host(r.addr), host(r.sock)
    ann, bob, cy = a.login("ann"), b.login("bob"), c.login("cy")
    for conn in (ann, bob, cy):
        who_until(conn, r"In lobby \(3\): ")
    brokers = broker_of(b)
    assert brokers, "no broker under natterd B"
    t0 = time.monotonic()
    for pid in [b.proc.pid] + brokers:
        os.kill(pid, signal.SIGKILL)
    b.proc.wait(timeout=10)
    for conn in (ann, cy):
        received(conn, "[bob] has left the chat", timeout=GONE_WITHIN + 5)
    took = time.monotonic() - t0
    assert took <= GONE_WITHIN, took
    ask(ann, "/who", r"In lobby \(2\): (ann, cy|cy, ann)\r\n")
    ask(cy, "/who", r"In lobby \(2\): (ann, cy|cy, ann)\r\n")
    # the others go on: lines, private lines, and bob's name is free
    ann.send_line("still here")
    cy.expect("[ann] : still here")
    bob2 = c.login("bob")
    ann.expect("[bob] has joined the chat")
    ann.send_line("/msg bob welcome back")
    bob2.expect("[ann] (private) : welcome back")
    print("host gone from /who after %.1f s" % took)


def test_a_frozen_host_is_taken_for_dead_and_comes_back():
    """A broker stopped (SIGSTOP) longer than its key lives: the other
    host announces its people's leave; once it runs again it finds
    its link dropped (the XREAD's stall check) or its key gone from
    Redis, announces its people again, and they have come back (a join)
    for the others."""
    r = RedisServer()
    a, b = host(r.addr), host(r.addr)
    ann, bob = a.login("ann"), b.login("bob")
    who_until(ann, r"In lobby \(2\): ")
    broker = broker_of(b)[0]
    os.kill(broker, signal.SIGSTOP)
    try:
        received(ann, "[bob] has left the chat", timeout=GONE_WITHIN + 5)
        ask(ann, "/who", r"In lobby \(1\): ann\r\n")
    finally:
        os.kill(broker, signal.SIGCONT)
    received(ann, "[bob] has joined the chat", timeout=20)
    who_until(ann, r"In lobby \(2\): ")
    bob.send_line("I was frozen")
    ann.expect("[bob] : I was frozen")
    ann.send_line("/msg bob welcome back")
    bob.expect("[ann] (private) : welcome back")


def redis_do(r, *args):
    """One command to r over a plain connection; its raw reply."""
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    with socket.create_connection(("127.0.0.1", r.port), 5) as s:
        s.sendall(out)
        return s.recv(4096)


def test_a_bad_host_id_in_redis_is_logged_as_such():
    """A host in Redis' set whose ID breaks the rule (anyone who can
    write to the Redis may have put it there) is skipped with a log
    line that says so, not as a host past the bound of 64."""
    r = RedisServer()
    bad = "bad host!"
    redis_do(r, "SADD", "natter:hosts", bad)
    redis_do(r, "SET", "natter:host:" + bad, "1")
    redis_do(r, "HSET", "natter:people:" + bad, "eve", "eve lobby")
    a = host(r.addr)
    m = a.log.wait(r"presence across hosts: skipped a host .*")
    assert "bad ID" in m.group(0), m.group(0)
    ann = a.login("ann")
    ask(ann, "/who", r"In lobby \(1\): ann\r\n")


def test_dead_hosts_free_their_places_for_new_ones():
    """Hosts that came and went (their 'dead' event read) do not keep
    their places in the table of other hosts (XHOST_HOSTS_MAX, 64):
    after 70 of them, a new host's person is known here.  The events
    are put in the stream by hand, as a host would write them."""
    r = RedisServer()
    a = host(r.addr)
    ann = a.login("ann")
    ask(ann, "/who", r"In lobby \(1\): ann\r\n")
    for i in range(70):
        h = "gone-%d" % i
        redis_do(r, "XADD", "natter:events", "*", "h", h, "k", "join",
                 "n", "p%d" % i, "r", "lobby", "o", "")
        redis_do(r, "XADD", "natter:events", "*", "h", h, "k", "dead",
                 "n", "", "r", "", "o", "")
    received(ann, "[p69] has left the chat")
    redis_do(r, "XADD", "natter:events", "*", "h", "new-1", "k", "join",
             "n", "zed", "r", "lobby", "o", "")
    received(ann, "[zed] has joined the chat")
    who_until(ann, r"In lobby \(2\): (ann, zed|zed, ann)")
    assert "past the bound" not in a.log.text()
