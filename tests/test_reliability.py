"""Faults of issue 19: natterd's death ends its broker (fix 5), a stray
signal does not end natterd, the broker recovers from running out of
descriptors at once (fix 3), natterd at its descriptor limit logs its
pauses once with a count (fix 4)."""
import os
import resource
import select
import signal
import socket
import time

from harness import Natterd, Skip, wait_until
from test_natterd import CAT, broker_pid, pid_alive, start


def test_natterd_killed_ends_its_broker_within_a_second():
    """SIGKILL (or a crash) gives natterd no chance to stop its broker;
    the life line does: the broker reads its end of file and stops,
    taking its socket with it, so the next natterd can start."""
    d = start(handler=CAT)
    b = broker_pid(d)
    os.kill(d.proc.pid, signal.SIGKILL)
    d.proc.wait()
    t0 = time.monotonic()
    wait_until(lambda: not pid_alive(b), timeout=5, what="the broker's end")
    assert time.monotonic() - t0 < 1.0
    assert not os.path.exists(d.sock)
    d2 = Natterd("-s", d.sock, handler=CAT, wait=False)
    d2.log.wait(r"broker listening on")
    d2.stop()


def test_stray_signals_do_not_end_natterd():
    """SIGUSR1, SIGALRM and SIGVTALRM (a mistyped kill) are ignored on
    purpose (natterd(8) SIGNALS): natterd and its broker go on.  (SIGUSR2
    is handled: the upgrade, tests/test_upgrade.py.)"""
    d = start(handler=CAT)
    b = broker_pid(d)
    for sig in (signal.SIGUSR1, signal.SIGALRM, signal.SIGVTALRM):
        os.kill(d.proc.pid, sig)
    c = d.connect()
    c.send("still here\n")
    c.expect("still here")
    assert d.proc.poll() is None and pid_alive(b)
    assert d.stop() == 0


def test_broker_out_of_descriptors_takes_the_next_at_once():
    """Out of descriptors, the broker stops polling its listener; when a
    handler leaves (a descriptor is free) it accepts again at once, not
    after a fixed pause (it was 1 s per failed accept, and those piled
    up: 75 s of refused logins after a load went away)."""
    from test_broker import Broker, LOGIN, OK, REJOIN
    br = Broker()
    _, hard = resource.prlimit(br.proc.pid, resource.RLIMIT_NOFILE)
    resource.prlimit(br.proc.pid, resource.RLIMIT_NOFILE, (24, hard))
    first = [br.person("a%d" % i) for i in range(8)]
    waiting = []
    for i in range(20):   # more than the broker can hold
        h = br.handler()
        h.send(LOGIN, "w%d" % i, "", "127.0.0.1 1", REJOIN)
        waiting.append(h)
    br.log.wait(r"accept: Too many open files; pausing")
    # those taken before the limit was reached are answered: set aside
    time.sleep(0.5)   # a settling window: the broker pauses meanwhile
    r, _, _ = select.select([w.sock for w in waiting], [], [], 0)
    waiting = [w for w in waiting if w.sock not in r]
    assert len(waiting) >= 4, len(waiting)
    took = []
    for h in first[:4]:
        h.close()
        t0 = time.monotonic()
        w = waiting.pop(0)
        w.expect(OK, timeout=5)
        took.append(time.monotonic() - t0)
    assert max(took) < 0.3, took
    # one line for the whole episode, not one per pause
    assert br.log.text().count("Too many open files") == 1, \
        br.log.text()[-800:]
    resource.prlimit(br.proc.pid, resource.RLIMIT_NOFILE, (hard, hard))
    for w in waiting:
        w.expect(OK, timeout=5)


def test_natterd_at_its_limit_logs_its_pauses_once_with_a_count():
    """natterd at its descriptor limit: each connection that ends lets
    one more in, and the next accept fails again.  Those episodes are
    said once (and counted), not as a pair of lines each (540 pairs in
    80 s were seen)."""
    if os.environ.get("NATTER_TSAN"):
        raise Skip("ThreadSanitizer needs descriptors of its own")
    d = start(handler=CAT)
    fds = sorted(int(x) for x in os.listdir("/proc/%d/fd" % d.proc.pid))
    if fds != list(range(len(fds))):
        raise Skip("natterd's descriptors are not contiguous: %r" % fds)
    soft, hard = resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE)
    resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE,
                     (len(fds) + 2, hard))
    cs = [d.connect() for _ in range(8)]
    d.log.wait(r"pausing new connections")
    for c in cs:            # each end lets the next in, then a pause
        c.close()
        time.sleep(0.15)    # the pause (100 ms) runs out between them
    resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE, (soft, hard))
    c = d.connect()
    c.send("through\n")
    c.expect("through")
    text = d.log.text()
    assert text.count("pausing new connections") == 1, text[-1500:]
    assert text.count("accepting connections again") <= 1, text[-1500:]
