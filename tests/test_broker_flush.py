"""The broker writes its queues FLUSH_BATCH (16) at a time, oldest
first, and looks for input between batches: rooms bigger than a batch,
where a queue waits several loop passes for its write."""
import signal
import socket
import time

import harness as H
from test_broker import (Broker, KICK, LEFT, MSG, REJOIN, SAY, drain_all,
                         wakeups)


def test_hangups_and_cuts_while_queues_wait_their_turn():
    """A room of ninety: queues wait passes for their write while their
    handlers hang up or get cut off (run under make check-asan too).
    Every reader still gets every line in order, the room hears each one
    leave once, a staller gets its KICK, and the broker then sleeps."""
    br = Broker()

    def join(name, rcvbuf=None):
        h = br.handler()
        if rcvbuf:
            h.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        h.name = name
        return h.login(name, flags=REJOIN)
    talkers = [join("t%d" % i) for i in range(3)]
    readers = [join("r%d" % i) for i in range(50)]
    stallers = [join("s%d" % i, 4096) for i in range(3)]
    quitters = [join("q%d" % i) for i in range(34)]
    awake = talkers + readers
    chunk = "z" * 3000
    with open("/proc/sys/net/core/wmem_default") as f:
        kernel = int(f.read())
    rounds = (256 * 1024 + 2 * kernel) // (3 * 3000) + 10
    for rnd in range(rounds):
        for t in talkers:
            t.send(SAY, text="%s %03d %s" % (t.name, rnd, chunk))
        for _ in range(2 if rnd % 3 == 1 else 0):
            if quitters:
                quitters.pop().close()
        for h in awake + quitters:
            drain_all(h)
    for q in quitters:
        q.close()
    gone = {"s%d" % i for i in range(3)} | {"q%d" % i for i in range(34)}
    for r in awake:
        seen = {t.name: [] for t in talkers if t is not r}
        left = []
        deadline = time.monotonic() + 30
        while (any(len(v) < rounds for v in seen.values())
               or len(left) < len(gone)):
            assert time.monotonic() < deadline, (r.name, left)
            f = r.next()
            if f.type == MSG:
                who, n, _ = f.text.split(" ", 2)
                seen[who].append(int(n))
            else:
                assert f.type == LEFT, f
                left.append(f.a)
        assert all(v == list(range(rounds)) for v in seen.values()), r.name
        assert sorted(left) == sorted(gone), (r.name, left)
    frames = []
    s = stallers[0]
    while not s.eof:
        s.fill(5)
        frames += s.frames
        s.frames.clear()
    assert frames and frames[-1].type == KICK, frames[-3:]
    pid = br.proc.pid
    last = [wakeups(pid)]

    def quiet_for_a_while():
        time.sleep(0.3)   # a measuring window
        now = wakeups(pid)
        settled = now == last[0]
        last[0] = now
        return settled
    H.wait_until(quiet_for_a_while, what="the broker to settle")


def test_sigterm_mid_round_writes_every_queue():
    """Stopping, the broker writes every queue, not a batch of them: a
    line it read reaches everyone in a big room before the end, or, if
    the stop came first, nobody."""
    br = Broker()
    people = [br.handler().login("p%d" % i, flags=REJOIN)
              for i in range(200)]
    people[0].send(SAY, text="last words")
    br.proc.send_signal(signal.SIGTERM)
    got = 0
    for p in people[1:]:
        while not p.eof:
            p.fill(5)
        msgs = [f.text for f in p.frames if f.type == MSG]
        assert msgs in ([], ["last words"]), msgs
        got += len(msgs)
    assert got in (0, len(people) - 1), got
    assert br.proc.wait(timeout=H.DEFAULT_TIMEOUT) == 0
