"""Taking a name back across hosts: with natterd hosts sharing one
Redis, a log-in with the account's password on host B for a person
logged in on host A ends A's session (as a takeover on one host does)
and B's log-in takes its place: B asks A through the moderation stream
(a 'takeover' entry), A ends its session and gives the name back, B
claims it again (every 100 ms, for at most 3 s).  A wrong password, a
guest in open mode and a host that does not answer still refuse the
log-in, and a guest's session is never ended.  Each test starts its own redis-server (tests/rserver.py)."""
import os
import signal
import time

import harness as H
from harness import Natterd
from rserver import RedisServer
from test_moderation import login, op_users
from test_xhost import broker_of, who_until
from test_xhost_mod import host, redis_cmd
from test_xhost_people import host_id

ELSEWHERE = "*** bob is already logged in elsewhere; log out there first."
WAIT_S = 3.0   # XTAKE_WAIT_MS
STALE_S = 5.0  # XTAKE_STALE_MS


def holder(r, name):
    """The host ID natter:name:NAME holds (b"" when none)."""
    got = redis_cmd(r, "GET", "natter:name:" + name)
    return b"" if got.startswith(b"$-1") else got.split(b"\r\n")[1]


def test_password_login_on_another_host_takes_the_name_over():
    r = RedisServer()
    users = op_users()
    a, b = host(r.addr, users), host(r.addr, users)
    ida, idb = host_id(a), host_id(b)
    old = login(a, "bob", "pw-bob")
    ann = login(a, "ann", "pw-ann")
    cy = login(b, "cy", "pw-cy")
    who_until(cy, r"In lobby \(3\): ")
    assert holder(r, "bob") == ida.encode()
    new = login(b, "bob", "pw-bob")
    new.expect("*** Your session from another server has ended; this one "
               "takes its place.")
    old.expect("*** You logged in elsewhere; this session ends.")
    old.expect_closed()
    ann.expect("[bob] has left the chat")     # bob's room on A hears it
    a.log.wait(r"bob logged in again from \S+ on host %s: the session "
               r"from \S+ port \S+ ends" % idb)
    assert holder(r, "bob") == idb.encode()
    # bob once, on B: seen from both hosts
    who_until(cy, r"In lobby \(3\): .*\bbob\b")
    who_until(ann, r"In lobby \(3\): .*\bbob\b")
    cy.send_line("/who")
    line = cy.expect_re(r"\*\*\* In lobby \(\d+\): [^\r\n]*").group(0)
    assert line.count("bob") == 1, line
    new.send_line("here now")
    ann.expect("[bob] : here now")
    cy.expect("[bob] : here now")


def bob_on_a_cy_on_b():
    """Two hosts of one Redis (accounts), bob logged in on A and cy on B,
    B knowing of bob: (redis, A, B, bob's connection, cy's)."""
    r = RedisServer()
    users = op_users()
    a, b = host(r.addr, users), host(r.addr, users)
    old = login(a, "bob", "pw-bob")
    cy = login(b, "cy", "pw-cy")
    who_until(cy, r"In lobby \(2\): ")
    return r, a, b, old, cy


def test_wrong_password_on_another_host_leaves_the_session_alone():
    """A wrong password never reaches the broker: A's session stays;
    the right one, typed next, takes it over."""
    r, a, b, old, cy = bob_on_a_cy_on_b()
    c = b.connect()
    c.expect("ID: ")
    c.send_line("bob")
    c.expect("PW: ")
    c.send_line("not-bobs")
    c.expect("Login incorrect")
    c.expect("ID: ")
    old.send_line("/who")
    old.expect_re(r"\*\*\* In lobby \(2\): ")
    assert "logged in elsewhere" not in old.text
    assert holder(r, "bob") == host_id(a).encode()
    assert "takeover" not in redis_cmd(r, "XRANGE", "natter:mod", "-",
                                       "+").decode()
    c.send_line("bob")
    c.expect("PW: ")
    c.send_line("pw-bob")
    c.expect("takes its place.")
    old.expect("*** You logged in elsewhere; this session ends.")
    old.expect_closed()


def test_a_guest_is_never_taken_over_across_hosts():
    """Open mode: a name in use on another host is refused at once, and
    no takeover is asked.  A host with a users file sharing the Redis
    asks, but the holder ends only an account's session: the guest
    stays, and the log-in is refused after the wait."""
    r = RedisServer()
    a = Natterd("-R", r.addr, "-p", "0", "-r", "0")
    b = Natterd("-R", r.addr, "-p", "0", "-r", "0")
    for d in (a, b):
        d.log.wait(r"moderation across hosts: \d+ shared bans")
    old = login(a, "bob")
    cy = login(b, "cy")
    who_until(cy, r"In lobby \(2\): ")
    c = b.connect()
    c.expect("ID: ")
    c.send_line("bob")
    c.expect("*** The name bob is already in use; choose another.")
    c.close()
    assert "takeover" not in redis_cmd(r, "XRANGE", "natter:mod", "-",
                                       "+").decode()
    accounts = host(r.addr, op_users())
    c = accounts.connect()
    c.expect("ID: ")
    c.send_line("bob")
    c.expect("PW: ")
    c.send_line("pw-bob")
    a.log.wait(r"bob logs in again on host \S+: no session of an account "
               r"here to end")
    c.expect(ELSEWHERE, timeout=WAIT_S + 4)
    c.close()
    old.send_line("/who")
    old.expect_re(r"\*\*\* In lobby \(2\): ")
    assert "logged in elsewhere" not in old.text
    assert holder(r, "bob") == host_id(a).encode()


def test_a_host_that_does_not_answer_refuses_after_the_bound():
    """A's broker stopped: B's log-in waits for the name at most ~3 s,
    then is refused as before (A's key lives 8 s: it is not taken for
    dead meanwhile).  A, running again, finds the entry too old to act
    on: bob's session there goes on."""
    r, a, b, old, cy = bob_on_a_cy_on_b()
    broker = broker_of(a)[0]
    os.kill(broker, signal.SIGSTOP)
    try:
        c = b.connect()
        c.expect("ID: ")
        c.send_line("bob")
        c.expect("PW: ")
        c.send_line("pw-bob")
        start = time.monotonic()
        c.expect(ELSEWHERE, timeout=WAIT_S + 4)
        took = time.monotonic() - start
        c.close()
        assert WAIT_S - 0.5 <= took <= WAIT_S + 3, took
        b.log.wait(r"bob: the other host did not give the name back "
                   r"within 3000 ms")
        # past the age at which A no longer acts on the entry (5 s):
        # nothing to wait for but time while A is stopped
        H.wait_until(lambda: time.monotonic() > start + STALE_S + 0.5,
                     what="the takeover entry to be stale",
                     timeout=STALE_S + 5)
    finally:
        os.kill(broker, signal.SIGCONT)
    # A reads the entry late: that log-in gave up, so A's session stays
    a.log.wait(r"bob logged in again on host \S+ \d+ ms ago: too late")
    old.send_line("/who")
    old.expect_re(r"\*\*\* In lobby \(2\): ")
    assert "logged in elsewhere" not in old.text
    assert holder(r, "bob") == host_id(a).encode()
