"""Backpressure (issue 19): with flood control off (natter-session -r 0)
the broker holds the senders at the pace of the slowest reader instead
of cutting off a reader who keeps up; only a reader whose queue stays
full (frozen) is cut off, and that cut-off is final and explained."""
import os
import re
import signal
import socket

from harness import Natterd, strip_telnet
from test_hostile import SESSION, Pump, session_pid

LINE = 1000


def flood(sender, tag, count):
    return b"".join(b"%s %d %s\r\n" % (tag, i, b"x" * LINE)
                    for i in range(count))


def test_a_reader_who_keeps_up_is_never_cut_off():
    """Four people each send 1,500 lines of 1 KB at once, with flood
    control off; a reader who reads continuously gets all 6,000, in
    order per sender, and nobody is cut off (before backpressure the
    broker cut that reader off after about 1,800)."""
    d = Natterd(handler=[SESSION, "-r", "0"])
    reader = d.login("reader")
    senders = [d.login("s%d" % i) for i in range(4)]
    pump = Pump(reader, *senders)
    for i, s in enumerate(senders):
        pump.queue(s, flood(s, b"f%d" % i, 1500))
    want = [b"f%d 1499 " % i for i in range(4)]
    pump.until(lambda: all(w in pump.got[reader] for w in want)
               or reader in pump.closed, 120, "every line at the reader")
    assert reader not in pump.closed
    got = bytes(pump.got[reader])
    assert b"too far behind" not in got
    for i in range(4):
        seq = [int(l.split(b" ")[3]) for l in got.split(b"\r\n")
               if l.startswith(b"[s%d] : f%d " % (i, i))]
        assert seq == list(range(1500)), (i, len(seq))
    assert "cutting off" not in d.log.text()


def test_a_frozen_reader_is_cut_off_and_told_and_never_rejoins():
    """A session frozen (SIGSTOP) while others flood is cut off once its
    queue stays full (PEER_STALL_MS), the senders then go on; continued
    (SIGCONT), it finds the broker closed, and its REJOIN is refused:
    the person reads why on a line of its own, and the session ends
    instead of coming back."""
    d = Natterd(handler=[SESSION, "-r", "0"])
    w = d.login("watcher")
    v = d.login("victim")
    f = d.login("flooder")
    pid = session_pid(d, v)
    os.kill(pid, signal.SIGSTOP)
    pump = Pump(w, f, v)
    pump.queue(f, flood(f, b"f", 3000))
    pump.until(lambda: "cutting off victim" in d.log.text(), 30, "the cut")
    pump.until(lambda: b"[victim] has left the chat" in pump.got[w], 10,
               "the leave")
    # the watcher gets every line, the senders went on after the cut
    pump.until(lambda: b"f 2999 " in pump.got[w], 30, "the flood's end")
    d.log.wait(r"did not take its KICK in time|handler victim", timeout=10)
    os.kill(pid, signal.SIGCONT)
    pump.until(lambda: v in pump.closed, 20, "the victim's session to end")
    text = (v.raw + bytes(pump.got[v])).decode(errors="replace")
    lines = text.split("\r\n")
    told = [l for l in lines if "cut off" in l or "too far behind" in l]
    assert told and told[-1].startswith("*** "), text[-600:]
    assert "Reconnected" not in text
    assert "login victim" not in d.log.text().split("cutting off victim")[1]
    assert b"[victim] has joined" not in bytes(pump.got[w]).split(
        b"[victim] has left")[1]


def test_a_person_who_stops_reading_is_told_on_a_line_of_its_own():
    """A person who reads nothing while another floods is cut off; what
    they then read is whole lines, and last, on a line of its own, why
    (before, their output stopped wherever the kernel had it, mid-line,
    with no reason given)."""
    d = Natterd(handler=[SESSION, "-r", "0"])
    w = d.login("watcher")
    v = d.login("victim")
    f = d.login("flooder")
    pump = Pump(w, f)            # the victim is not read
    pump.queue(f, flood(f, b"f", 8000))   # past the kernel's buffers
    pump.until(lambda: "session of victim" in d.log.text(), 30,
               "the victim's session to end")
    pump.until(lambda: b"f 7999 " in pump.got[w], 30, "the flood's end")
    try:
        v.expect_closed(20)
    except AssertionError as e:
        raise AssertionError(str(e)[-300:])
    text = strip_telnet(v.raw).decode()
    lines = text.split("\r\n")
    assert lines[-1] == "", lines[-1][-80:]
    assert lines[-2] in ("*** You are too far behind; disconnected.",
                         "*** You were cut off: too far behind; "
                         "disconnected."), lines[-3:]
    start = lines.index("-----Chatting Room-----")
    for l in lines[start + 1:-2]:
        assert l.startswith("[") or l.startswith("*** "), l[:80]
        if l.startswith("[flooder] : f "):
            assert l.endswith("x" * LINE), l[-80:]


def unix_stream_capacity():
    """Bytes a UNIX stream socket takes before a writer would block:
    what a frozen session's socket from the broker holds."""
    a, b = socket.socketpair()
    a.setblocking(False)
    total = 0
    try:
        while True:
            total += a.send(b"x" * 65536)
    except BlockingIOError:
        pass
    a.close()
    b.close()
    return total


def test_what_a_dead_broker_had_queued_comes_in_the_catch_up():
    """A reader's session is frozen while 900-byte lines pour in: its
    socket from the broker fills, then the broker's queue for it (about
    120 KiB: more than a quarter of its bound, less than the bound).
    The broker is SIGKILLed and the session continued: it reads what
    its socket held, rejoins, and the catch-up brings the rest, each
    line once.  A catch-up limited to a quarter of the bound, as a
    log-in's replay is, left about 80 of them out (the soak's flood
    readers lost 230 lines to a broker kill that way)."""
    size = 900
    count = (unix_stream_capacity() + 120 * 1024) // (size + 40) + 1
    d = Natterd(handler=[SESSION, "-r", "0"])
    r = d.login("reader")
    w = d.login("watcher")
    s = d.login("sender")
    pid = session_pid(d, r)
    os.kill(pid, signal.SIGSTOP)
    pump = Pump(r, w, s)
    pump.queue(s, b"".join(b"L %d %s\r\n" % (i, b"x" * size)
                           for i in range(count)))
    last = b"L %d " % (count - 1)
    pump.until(lambda: last in pump.got[w], 60, "every line at the watcher")
    broker = int(re.findall(r"broker started, pid (\d+)",
                            d.log.text())[-1])
    n = d.log.text().count("broker started, pid")
    os.kill(broker, signal.SIGKILL)
    pump.until(lambda: d.log.text().count("broker started, pid") > n, 20,
               "the next broker")
    os.kill(pid, signal.SIGCONT)
    pump.until(lambda: last in pump.got[r] or r in pump.closed, 60,
               "the last line at the reader")
    got = strip_telnet(bytes(pump.got[r])).decode(errors="replace")
    assert "left out" not in got, got[-300:]
    assert "cutting off reader" not in d.log.text()
    seen = [int(m.group(1)) for m in
            re.finditer(r"\[sender\][^\r\n]* L (\d+) x", got)]
    assert seen == list(range(count)), (len(seen), count)
