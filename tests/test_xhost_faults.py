"""Across hosts (issue 13), the faults, each on a real redis-server:
absent at start and then started; lost mid-chat (people told once each
way, lines said meanwhile kept and delivered after, once); restarted
with its data (AOF) and then empty (nothing doubled, presence back);
stalled with SIGSTOP (local chat at its own speed, bounded memory, one
log line).  One host SIGKILLed is in test_xhost.py."""
import glob
import os
import re
import signal
import subprocess
import time

import harness as H
from rserver import RedisServer
from test_broker import Handler, LOGIN, OK, REJOIN
from test_xhost import host, received, who_until, broker_of

LOST = "*** The other servers cannot be reached; chat here goes on."
BACK = "*** The other servers can be reached again."


def test_redis_absent_at_start_then_appears():
    r = RedisServer(start=False)
    a, b = host(r.addr), host(r.addr)
    for d in (a, b):
        d.log.wait(r"history not written \(redis\)")
    ann, amy = a.login("ann"), a.login("amy")
    bob = b.login("bob")
    ann.send_line("before redis")
    amy.expect("[ann] : before redis")      # local chat without Redis
    r.start()
    who_until(ann, r"In lobby \(3\): ")
    who_until(bob, r"In lobby \(3\): ")
    ann.send_line("with redis")
    bob.expect("[ann] : with redis")
    received(bob, "[ann] : before redis")   # kept, then shared
    for d in (a, b):
        assert len(re.findall(r"history not written", d.log.text())) == 1
        d.log.wait(r"history written again")
    bob._fill(0.3)
    assert bob.text.count("[ann] : before redis") == 1


def test_redis_lost_mid_chat_told_once_and_lines_kept_once():
    r = RedisServer()
    a, b = host(r.addr), host(r.addr)
    ann, amy, bob = a.login("ann"), a.login("amy"), b.login("bob")
    who_until(ann, r"In lobby \(3\): ")
    who_until(bob, r"In lobby \(3\): ")
    r.kill()
    for c in (ann, amy, bob):
        c.expect(LOST)
    for i in range(3):
        ann.send_line("apart A%d" % i)
        bob.send_line("apart B%d" % i)
    for i in range(3):
        amy.expect("[ann] : apart A%d" % i)  # at local speed
    who_until(ann, r"In lobby \(2\): ")     # B's people are away
    r.start()                                # empty
    for c in (ann, amy, bob):
        c.expect(BACK)
    for i in range(3):
        received(bob, "[ann] : apart A%d" % i)
        received(ann, "[bob] : apart B%d" % i)
        received(amy, "[bob] : apart B%d" % i)
    who_until(ann, r"In lobby \(3\): ")
    who_until(bob, r"In lobby \(3\): ")
    ann.send_line("together again")
    bob.expect("[ann] : together again")
    for c in (ann, amy, bob):
        c._fill(0.3)
        assert c.text.count(LOST) == 1 and c.text.count(BACK) == 1, c.text
    for i in range(3):
        assert bob.text.count("[ann] : apart A%d" % i) == 1, bob.text
        assert ann.text.count("[bob] : apart B%d" % i) == 1, ann.text
        assert amy.text.count("[ann] : apart A%d" % i) == 1, amy.text


def test_redis_restarted_with_aof_then_empty_nothing_doubled():
    r = RedisServer(aof=True)
    a, b = host(r.addr), host(r.addr)
    ann, bob = a.login("ann"), b.login("bob")
    who_until(ann, r"In lobby \(2\): ")
    for i in range(5):
        ann.send_line("kept %d" % i)
    received(bob, "[ann] : kept 4")
    r.kill()
    r.start()                                # with its data (AOF)
    for c in (ann, bob):    # each BACK consumed, so the next is the next
        c.expect(BACK)
    bob.send_line("after aof")
    ann.expect("[bob] : after aof")
    who_until(ann, r"In lobby \(2\): ")
    r.kill()
    for f in glob.glob(os.path.join(r.dir, "appendonly*")):
        if os.path.isdir(f):
            for g in glob.glob(os.path.join(f, "*")):
                os.unlink(g)
        else:
            os.unlink(f)
    r.start()                                # empty
    for c in (ann, bob):
        c.expect(BACK)
    who_until(ann, r"In lobby \(2\): ")
    who_until(bob, r"In lobby \(2\): ")
    ann.send_line("after empty")
    bob.expect("[ann] : after empty")
    carol = b.login("carol")                 # a replay from the new log
    carol.expect("[ann] : after empty")
    bob._fill(0.5)
    for i in range(5):
        assert bob.text.count("[ann] : kept %d" % i) == 1, bob.text
    assert ann.text.count("[bob] : after aof") == 1
    assert bob.text.count("[ann] : after empty") == 1


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def test_redis_stalled_local_chat_goes_on_bounded_one_line():
    r = RedisServer()
    a, b = host(r.addr), host(r.addr)
    ann, amy, bob = a.login("ann"), a.login("amy"), b.login("bob")
    who_until(ann, r"In lobby \(3\): ")
    broker = broker_of(a)[0]
    r.proc.send_signal(signal.SIGSTOP)
    try:
        ann.send_line("first in the stall")
        amy.expect("[ann] : first in the stall", timeout=3)
        before = rss_kb(broker)
        t0 = time.monotonic()
        for i in range(300):
            ann.send_line("stalled %03d %s" % (i, "x" * 200))
        amy.expect("[ann] : stalled 299", timeout=10)
        took = time.monotonic() - t0
        grew = rss_kb(broker) - before
        assert took < 5, took        # at local speed, not Redis'
        assert grew < 16 * 1024, grew  # kB: bounded (the outbox)
        amy.send_line("/who")       # the broker answers meanwhile
        amy.expect_re(r"In lobby \(\d\): ")
    finally:
        r.proc.send_signal(signal.SIGCONT)
    ann.send_line("after the stall")
    received(bob, "[ann] : after the stall", timeout=20)
    received(bob, "[ann] : stalled 299", timeout=20)
    text = a.log.text()
    assert len(re.findall(r"history not written", text)) == 1, text
    bob._fill(0.3)
    assert bob.text.count("[ann] : stalled 150") == 1
    print("300 lines in the stall: %.2f s, broker grew %d kB" %
          (took, grew))


def broker_with_redis(r):
    """natterd -f -B -R on r, its own socket and state directory: the
    socket's path, its log, its host ID in Redis."""
    d = H.tmpdir()
    path = os.path.join(d, "run", "broker.sock")
    proc = H.spawn([H.bin_path("natterd"), "-f", "-B", "-R", r.addr,
                    "-s", path, "-D", os.path.join(d, "state")],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)
    log = H.LogReader(proc.stderr)
    hid = log.wait(r"presence shared in Redis as host (\S+)").group(1)
    log.wait(r"broker listening on")
    return path, log, hid


LINK_MORE = 4400  # people: more than the Redis link's queue (4096)


def redis_int(r, *args):
    """One command to r over a raw socket; its integer reply."""
    import socket
    req = "*%d\r\n" % len(args) + "".join(
        "$%d\r\n%s\r\n" % (len(a), a) for a in args)
    with socket.create_connection(("127.0.0.1", r.port), 5) as s:
        s.sendall(req.encode())
        got = b""
        while not got.endswith(b"\r\n"):
            got += s.recv(65536)
    return int(got.strip()[1:])


def more_people_than_the_link(r, n=LINK_MORE):
    """A broker alone on r (natterd -B -R), n sockets standing in for
    handlers logged in as u0...: its socket's path, its log, the
    handlers and a function giving how many of its people Redis has.
    Skips where the descriptor limit cannot hold them."""
    import resource
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < n + 200:
        raise H.Skip("descriptor limit %d is too low" % hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    path, log, hid = broker_with_redis(r)

    def people():
        return redis_int(r, "HLEN", "natter:people:" + hid)
    hs = []
    for i in range(n):
        hs.append(Handler(path))
        hs[-1].send(LOGIN, "u%d" % i, "", "127.0.0.1 1", REJOIN)
    H.wait_until(lambda: people() == n, timeout=60, interval=0.2,
                 what="%d people in Redis" % n)
    return path, log, hs, people


def test_redis_restarted_empty_more_people_than_the_link_holds():
    """A host with more people than the Redis link's commands in
    flight (REDIS_PENDING_MAX, 4096) announces every one of them again
    after Redis restarts empty: the 'here' events go out as replies
    make room (they were sent all at once, and those past the ring's
    end were dropped: people the other hosts did not see, their names
    free there).  The broker alone (natterd -B -R), spoken to by
    sockets standing in for handlers, as in test_broker.py."""
    r = RedisServer()
    _, log, hs, people = more_people_than_the_link(r)
    r.kill()
    r.start()
    log.wait(r"presence across hosts: back")
    H.wait_until(lambda: people() == LINK_MORE, timeout=30, interval=0.2,
                 what="%d people in Redis after its restart" % LINK_MORE)
    for h in hs:
        h.close()


def test_leaves_past_the_link_s_queue_free_their_names():
    """More people leaving at once than the Redis link holds commands
    (REDIS_PENDING_MAX, 4096): the leaves past its end could not be
    queued and were dropped, so their names stayed held in Redis (the
    other hosts refused them) until a reconnect.  Now the host notes
    the drop and announces itself again (UP) once the link has room:
    no name and no person of it is left in Redis."""
    r = RedisServer()
    _, log, hs, people = more_people_than_the_link(r)

    def names_held():
        return redis_int(r, "EVAL", "return #redis.call('KEYS', "
                         "'natter:name:*')", "0")
    # Redis stopped while they leave (less than the 5 s that take a
    # link for dead): no reply makes room, so the queue fills for sure
    mark = len(log.lines)
    r.proc.send_signal(signal.SIGSTOP)
    try:
        for h in hs:
            h.close()
        log.wait(r"logout u%d " % (LINK_MORE - 1), start=mark)
    finally:
        r.proc.send_signal(signal.SIGCONT)
    log.wait(r"did not fit the link to Redis", start=mark)
    try:
        H.wait_until(lambda: people() == 0 and names_held() == 0,
                     timeout=30, interval=0.2, what="no person and no "
                     "name of the host left in Redis")
    except AssertionError:
        raise AssertionError("left in Redis: %d people, %d names"
                             % (people(), names_held()))


def test_a_second_login_while_the_name_is_claimed_is_refused():
    """A handler whose LOGIN waits for Redis (the name claimed across
    hosts) and which sends another LOGIN meanwhile breaks the protocol
    and is cut off, as after any LOGIN; the second was taken as a new
    login of the same person (its name written over the first's in the
    broker's table of names, which then held the person twice)."""
    r = RedisServer()
    path, log, _ = broker_with_redis(r)
    h = Handler(path)
    h.send(LOGIN, "ann", "", "127.0.0.1 1")
    h.send(LOGIN, "bob", "", "127.0.0.1 1")
    log.wait(r"protocol error .*: a second LOGIN or CTL")
    other = Handler(path)
    other.send(LOGIN, "ann", "", "127.0.0.1 2")
    other.expect(OK)            # ann is free again, and so is bob
    third = Handler(path)
    third.send(LOGIN, "bob", "", "127.0.0.1 3")
    third.expect(OK)
