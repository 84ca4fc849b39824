"""Faults of issue 19: natterd's death ends its broker (fix 5), a stray
signal does not end natterd, the broker recovers from running out of
descriptors at once (fix 3), natterd at its descriptor limit logs its
pauses once with a count (fix 4)."""
import os
import resource
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
    """SIGUSR1, SIGUSR2 and SIGALRM (a mistyped kill) are ignored on
    purpose (natterd(8) SIGNALS): natterd and its broker go on."""
    d = start(handler=CAT)
    b = broker_pid(d)
    for sig in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM):
        os.kill(d.proc.pid, sig)
    c = d.connect()
    c.send("still here\n")
    c.expect("still here")
    assert d.proc.poll() is None and pid_alive(b)
    assert d.stop() == 0
