"""natterd's udp: listeners (supervisor/dgram.h): inetd's "dgram wait".

The echo program is tests/helpers/udp_echo, written as the seed's UDP
echo server (recvfrom, then sendto back, as many as come); the client
is tests/helpers/udp_client, the seed's client (sendto, then recvfrom).
natterd's rate limit (dgram.h): DGRAM_BURST starts in DGRAM_WINDOW_MS,
then DGRAM_PAUSE_MS without one.
"""
import os
import re
import socket
import subprocess
import threading
import time

import harness as H

DGRAM_BURST = 10
DGRAM_PAUSE_MS = 5000


def helper(name):
    path = H.bin_path(os.path.join("tests", "helpers", name))
    assert os.access(path, os.X_OK), "build it: make " + path
    return path


def script(body):
    """An executable shell script in a new directory: (path, dir)."""
    d = H.tmpdir()
    path = os.path.join(d, "prog")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, 0o755)
    return path, d


def udp_natterd(prog, *args, listen="127.0.0.1:0"):
    """natterd with a udp: listener for prog; (natterd, udp port)."""
    d = H.Natterd("-l", "udp:127.0.0.1:0=" + prog, *args, listen=listen,
                  wait=listen is not None)
    m = d.log.wait(r"listening for datagrams on 127\.0\.0\.1:(\d+)")
    return d, int(m.group(1))


def ask(port, data, timeout=5.0):
    """One datagram to the service and its answer, from a new socket."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.sendto(data, ("127.0.0.1", port))
        return s.recvfrom(4096)[0]
    finally:
        s.close()


def lines_of(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def test_udp_echo_answers_clients():
    """The seed's echo under natterd answers the seed's client, and
    several clients at once, while TCP chat goes on beside it."""
    d, port = udp_natterd(helper("udp_echo"))
    out = subprocess.run([helper("udp_client"), "127.0.0.1", str(port),
                          "I am a client"], capture_output=True, timeout=10)
    assert out.returncode == 0, out
    assert out.stdout == b"I am a client\n"
    answers = {}

    def client(i):
        answers[i] = [ask(port, b"client %d says %d" % (i, k))
                      for k in range(5)]
    threads = [threading.Thread(target=client, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    for i in range(6):
        assert answers.get(i) == [b"client %d says %d" % (i, k)
                                  for k in range(5)], answers.get(i)
    a = d.login("ann")  # the TCP listener still runs natter-session
    b = d.login("bob")
    a.send_line("hello")
    b.expect("[ann] : hello")
    assert d.stop() == 0


def test_udp_program_environment():
    """One program answers every datagram while it runs (natterd does not
    start a second), with PROTO=UDP, UDPLOCALIP and UDPLOCALPORT."""
    # the form natterd -l udp:ADDR:PORT -- program [args]: no TCP
    # listener, the program after -- serves the UDP one
    d = H.Natterd("-l", "udp:127.0.0.1:0", listen=None, wait=False,
                  handler=[helper("udp_echo"), "-i", "30"])
    port = int(d.log.wait(r"listening for datagrams on 127\.0\.0\.1:(\d+)")
               .group(1))
    first = ask(port, b"one")
    pid, proto, ip, lport = first.split(b":")[0].split()
    assert (proto, ip, int(lport)) == (b"UDP", b"127.0.0.1", port), first
    for k in range(5):
        assert ask(port, b"x%d" % k).startswith(pid + b" UDP"), k
    assert len(re.findall(r"udp 127\.0\.0\.1:\d+: pid \d+$",
                          d.log.text(), re.M)) == 1
    assert d.stop() == 0
    assert not os.path.exists("/proc/" + pid.decode())


def test_udp_program_that_never_exits_keeps_the_socket():
    """A program that neither reads nor exits: the datagrams wait in the
    socket, and natterd starts nothing else (it is not polling it)."""
    starts = os.path.join(H.tmpdir(), "starts")
    prog, _ = script("echo start >> %s\nexec sleep 60" % starts)
    d, port = udp_natterd(prog, listen=None)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"wake", ("127.0.0.1", port))
    H.wait_until(lambda: len(lines_of(starts)) == 1, what="the start")
    for k in range(20):
        s.sendto(b"more %d" % k, ("127.0.0.1", port))
    d.log.wait(r"udp 127\.0\.0\.1:\d+: pid \d+$")
    time.sleep(0.5)  # a second start would come at once: none does
    assert len(lines_of(starts)) == 1
    assert len(re.findall(r": pid \d+$", d.log.text(), re.M)) == 1
    assert d.stop() == 0  # the sleeper has SIGTERM, natterd waits for it
    d.log.wait(r"killed by signal 15")


def test_udp_restarts_are_rate_limited():
    """A program that exits at once without reading: the datagram stays,
    so natterd would start it forever; it starts DGRAM_BURST of them,
    pauses (logged once), then again."""
    starts = os.path.join(H.tmpdir(), "starts")
    prog, _ = script("echo start >> %s\nexit 0" % starts)
    d, port = udp_natterd(prog)
    t0 = time.monotonic()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"wake", ("127.0.0.1", port))
    d.log.wait(r"started %d times in 1000 ms; pausing 5 s" % DGRAM_BURST)
    H.wait_until(lambda: len(lines_of(starts)) >= DGRAM_BURST,
                 what="the first burst")
    time.sleep(1.0)  # within the pause: counting that nothing starts
    assert len(lines_of(starts)) == DGRAM_BURST
    H.wait_until(lambda: len(lines_of(starts)) >= 2 * DGRAM_BURST,
                 timeout=DGRAM_PAUSE_MS / 1000 + 5, what="the second burst")
    took = time.monotonic() - t0
    assert took >= DGRAM_PAUSE_MS / 1000 - 0.2, took
    n = len(lines_of(starts))
    assert n <= 2 * DGRAM_BURST, n
    assert len(re.findall("pausing", d.log.text())) == 1
    assert d.stop() == 0


def test_udp_listener_needs_a_program():
    d = H.tmpdir()
    r = subprocess.run([H.bin_path("natterd"), "-f", "-s",
                        os.path.join(d, "b.sock"), "-D", d,
                        "-l", "udp:127.0.0.1:0"], capture_output=True,
                       timeout=10)
    assert r.returncode == 100, r
    assert b"which program?" in r.stderr
