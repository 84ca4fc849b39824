"""Sharing a file (issue 16, section 1): natter's /send and /accept
through natterd, with real clients in scripted mode, the bytes over
their own data connections, relayed by natter-session and ended with
the half-close and the receiver's DONE (size and CRC-32C)."""
import os
import re
import signal
import socket
import subprocess
import time

import harness as H
from test_chat import broker_pid


class Client:
    """natter -u NAME in scripted mode: lines in on stdin, its output
    (server lines and its own notes) collected."""

    def __init__(self, d, name, *args):
        self.name = name
        self.dl = os.path.join(H.tmpdir(), "dl")
        os.mkdir(self.dl)
        argv = [H.bin_path("natter"), "-u", name, "-d", self.dl] + \
            list(args) + [d.host, str(d.port)]
        self.proc = H.spawn(argv, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = H.LogReader(self.proc.stdout)
        self.out.wait(r"\*\*\* You are ")
        # a round trip: the broker has the client's hello (sent at
        # login, before this) once it answers a request made after it
        self.say("/transfers")
        self.out.wait(r"\*\*\* No files on offer to or from you\.")

    def say(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def mark(self):
        """Where the output is now: wait(since=mark) looks after it."""
        with self.out.cond:
            return len(self.out.lines)

    def wait(self, pattern, timeout=H.DEFAULT_TIMEOUT, since=0):
        return self.out.wait(pattern, timeout, start=since)

    def count(self, pattern):
        return len(re.findall(pattern, self.out.text()))

    def transfer_children(self):
        return [p for p, st in H.children_of(self.proc.pid, raw=True)
                if st != "Z"]


def make_file(size, name="report.pdf"):
    path = os.path.join(H.tmpdir(), name)
    data = os.urandom(size)
    with open(path, "wb") as f:
        f.write(data)
    return path, data


def offer_and_accept(ann, bob, path, to="bob"):
    """ann offers path to bob, bob accepts; the offer's id."""
    a, b = ann.mark(), bob.mark()
    ann.say("/send %s %s" % (to, path))
    m = bob.wait(r"\*\*\* ann offers (.+) \(.+\); /accept (\d+) or "
                 r"/decline (\d+)$", since=b)
    assert m.group(2) == m.group(3)
    ann.wait(r"Offered to %s as file %s" % (to, m.group(2)), since=a)
    bob.say("/accept %s" % m.group(2))
    return m.group(2)


def parts(dl):
    return [f for f in os.listdir(dl) if f.endswith(".part")]


def test_random_bytes_arrive_byte_for_byte():
    """3 MB of random bytes and an empty file: each arrives whole, both
    sides report the size and the same CRC-32C, no .part stays."""
    d = H.Natterd()
    ann, bob = Client(d, "ann"), Client(d, "bob")
    path, data = make_file(3 * 1024 * 1024 + 7)
    fid = offer_and_accept(ann, bob, path)
    got = bob.wait(r"Received report\.pdf \(file %s\) as .*/report\.pdf: "
                   r"(\d+) bytes, CRC-32C ([0-9a-f]{8})\.$" % fid)
    sent = ann.wait(r"Sent report\.pdf \(file %s\): (\d+) bytes, CRC-32C "
                    r"([0-9a-f]{8}), confirmed" % fid)
    assert got.group(1) == sent.group(1) == str(len(data))
    assert got.group(2) == sent.group(2)
    with open(os.path.join(bob.dl, "report.pdf"), "rb") as f:
        assert f.read() == data
    empty, _ = make_file(0, "empty.txt")
    fid = offer_and_accept(ann, bob, empty)
    bob.wait(r"Received empty\.txt \(file %s\) as .*: 0 bytes, CRC-32C "
             r"00000000\." % fid)
    ann.wait(r"Sent empty\.txt \(file %s\): 0 bytes" % fid)
    assert os.path.getsize(os.path.join(bob.dl, "empty.txt")) == 0
    assert parts(bob.dl) == []
    assert "1 bytes relayed" not in d.log.text()


def test_never_overwrites_a_file():
    """A name that exists already: the file arrives as "NAME (1).EXT",
    then "(2)"; the old file is untouched."""
    d = H.Natterd()
    ann, bob = Client(d, "ann"), Client(d, "bob")
    mine = os.path.join(bob.dl, "report.pdf")
    with open(mine, "wb") as f:
        f.write(b"bob's own")
    path, data = make_file(1000)
    for n in (1, 2):
        fid = offer_and_accept(ann, bob, path)
        bob.wait(r"Received report\.pdf \(file %s\) as .*/report \(%d\)"
                 r"\.pdf" % (fid, n))
        with open(os.path.join(bob.dl, "report (%d).pdf" % n), "rb") as f:
            assert f.read() == data
    with open(mine, "rb") as f:
        assert f.read() == b"bob's own"


def raw_sender(d, name):
    """A hostile client: a telnet connection that says it is natter."""
    c = d.login(name)
    c.send_line("/natter-client files")
    return c


def data_connection(d, verb, token):
    s = socket.create_connection((d.host, d.port), timeout=10)
    s.sendall(("NATTER-FILE/1 %s %s\r\n" % (verb, token)).encode())
    buf = b""
    while b"NATTER-FILE/1 OK" not in buf and b"NATTER-FILE/1 ERR" not in buf \
            or not buf.endswith(b"\n"):
        chunk = s.recv(4096)
        assert chunk, buf
        buf += chunk
    return s, buf


def test_hostile_offered_names():
    """Names an offer may carry that must never leave the download
    directory or hide there: path parts go, control bytes and a
    leading dot become '_', a long name is cut, an empty one is
    refused; what arrives is inside the directory and nothing else is
    touched."""
    d = H.Natterd()
    bob = Client(d, "bob")
    mal = raw_sender(d, "mal")
    cases = [("../../etc/passwd", "passwd"), ("/x", "x"),
             ("a\x1bb\x07c", "a_b_c"), ("..", "_."),
             ("....\\win.ini", "win.ini"), ("x" * 900, "x" * 200),
             (".hidden", "_hidden")]
    for offered, expect in cases:
        mal.send_line("/offer bob 5 " + offered)
        m = mal.expect_re(r"@@natter-file offered (\d+) ([0-9a-f]{32})")
        fid, token = m.group(1), m.group(2)
        bob.wait(r"mal offers %s \(5 bytes\); /accept %s" %
                 (re.escape(expect), fid))
        bob.say("/accept " + fid)
        mal.expect("@@natter-file accepted " + fid)
        s, _ = data_connection(d, "PUT", token)
        s.sendall(b"12345")
        s.shutdown(socket.SHUT_WR)
        answer = b""
        while True:
            chunk = s.recv(100)
            if not chunk:
                break
            answer += chunk
        assert re.match(rb"DONE 5 [0-9a-f]{8}\r\n$", answer), answer
        s.close()
        bob.wait(r"Received %s \(file %s\)" % (re.escape(expect), fid))
        with open(os.path.join(bob.dl, expect), "rb") as f:
            assert f.read() == b"12345"
    assert sorted(os.listdir(bob.dl)) == sorted(e for _, e in cases)
    assert not os.path.exists(os.path.join(os.path.dirname(bob.dl),
                                           "passwd"))
    for empty in ("", "   ", "dir/"):
        mal.send_line("/offer bob 5 " + empty)
        mal.expect("@@natter-file refused")
    # a token is needed, and the right one: a guess gets nothing
    s, buf = data_connection(d, "GET", "0" * 32)
    assert b"NATTER-FILE/1 ERR No such transfer" in buf, buf


def test_receiver_declines():
    d = H.Natterd()
    ann, bob = Client(d, "ann"), Client(d, "bob")
    path, _ = make_file(100)
    ann.say("/send bob " + path)
    fid = bob.wait(r"/accept (\d+)").group(1)
    bob.say("/transfers")
    bob.wait(r"\*\*\* %s: report\.pdf \(100 bytes\) from ann, /accept or "
             r"/decline it" % fid)
    bob.say("/decline " + fid)
    bob.wait(r"You declined report\.pdf from ann \(%s\)\." % fid)
    ann.wait(r"bob declined report\.pdf \(%s\)\." % fid)
    bob.say("/accept " + fid)
    bob.wait(r"No such offer: %s" % fid)
    ann.say("/transfers")
    ann.wait(r"No files on offer to or from you\.")
    assert os.listdir(bob.dl) == []


def slow_transfer(rate_kb=64, size=2 * 1024 * 1024):
    """ann sends at rate_kb KiB/s (natter -L), so a transfer is under
    way long enough to act on it; waits until bytes have arrived."""
    d = H.Natterd()
    ann, bob = Client(d, "ann", "-L", str(rate_kb)), Client(d, "bob")
    path, data = make_file(size)
    fid = offer_and_accept(ann, bob, path)
    H.wait_until(lambda: any(os.path.getsize(os.path.join(bob.dl, p)) > 0
                             for p in parts(bob.dl)),
                 what="the first bytes in bob's .part file")
    return d, ann, bob, fid


def assert_nothing_kept(bob):
    H.wait_until(lambda: parts(bob.dl) == [], what="the .part file gone")
    assert os.listdir(bob.dl) == []


def test_sender_cancels_mid_way():
    d, ann, bob, fid = slow_transfer()
    ann.say("/transfers")
    ann.wait(r"File %s: sending report\.pdf \(2\.1 MB\), under way\." % fid)
    ann.say("/cancel " + fid)
    ann.wait(r"File %s \(report\.pdf\): cancelled\." % fid)
    bob.wait(r"File %s \(report\.pdf\): it stopped after \d+ of 2097152 "
             r"bytes \(the sender cancelled, or its connection was cut\)"
             % fid)
    assert_nothing_kept(bob)
    # chat goes on for both
    ann.say("still here")
    bob.wait(r"\[ann\] : still here")


def test_sender_connection_dies_mid_way():
    """The sender's transfer process is killed (its data connection
    dies): both are told, and no partial file has the final name."""
    d, ann, bob, fid = slow_transfer()
    kids = ann.transfer_children()
    assert len(kids) == 1, kids
    os.kill(kids[0], signal.SIGKILL)
    ann.wait(r"File %s \(report\.pdf\): the transfer process was killed "
             r"\(signal 9\)\." % fid)
    bob.wait(r"File %s \(report\.pdf\): it stopped after" % fid)
    assert_nothing_kept(bob)


def test_sender_client_dies_mid_way():
    """The sender's natter itself is killed: its transfer stops with it
    (the life line), the receiver is told, no partial file stays."""
    d, ann, bob, fid = slow_transfer()
    kids = ann.transfer_children()
    ann.proc.kill()
    bob.wait(r"File %s \(report\.pdf\): it stopped after" % fid)
    assert_nothing_kept(bob)
    H.wait_until(lambda: not any(os.path.exists("/proc/%d" % k) and
                                 open("/proc/%d/stat" % k).read().split(")")
                                 [1].split()[0] != "Z" for k in kids),
                 what="ann's transfer process gone")


def test_telnet_user_is_told_files_need_the_client():
    d = H.Natterd()
    ann = Client(d, "ann")
    tel = d.login("tom")
    path, _ = make_file(10)
    ann.say("/send tom " + path)
    ann.wait(r"tom is not using the natter client; files need it on both "
             r"sides\.")
    tel.expect("*** ann tried to send you report.pdf (10 bytes); files "
               "need the natter client.")
    tel.send_line("/send ann x")
    tel.expect("*** Files need the natter client (natter(1)); telnet "
               "cannot send or take them.")
    tel.send_line("/accept 1")
    tel.expect("*** Files need the natter client")
    assert "@@natter-file" not in tel.text


def test_over_the_size_limit_refused_before_any_byte():
    d = H.Natterd("-S", "1000")
    ann, bob = Client(d, "ann"), Client(d, "bob")
    path, _ = make_file(1001)
    ann.say("/send bob " + path)
    ann.wait(r"report\.pdf is 1\.0 KB, over this server's limit of 1\.0 "
             r"KB\.")
    ok, _ = make_file(1000, "fits.bin")
    fid = offer_and_accept(ann, bob, ok)
    bob.wait(r"Received fits\.bin \(file %s\)" % fid)
    assert bob.count("report.pdf") == 0
    d.log.wait(r"file %s: bob's data connection" % fid)
    d.log.wait(r"file %s: ann's data connection" % fid)
    log = d.log.text()
    assert "offered: report.pdf" not in log
    assert len(re.findall(r"data connection", log)) == 2, log


def test_chat_flows_during_a_large_transfer():
    """Lines go both ways, at once, while 6 MB move at 1 MB/s."""
    d = H.Natterd()
    ann, bob = Client(d, "ann", "-L", "1024"), Client(d, "bob")
    path, data = make_file(6 * 1024 * 1024)
    fid = offer_and_accept(ann, bob, path)
    H.wait_until(lambda: parts(bob.dl), what="bob's .part file")
    for i in range(5):
        t0 = time.monotonic()
        ann.say("ping %d" % i)
        bob.wait(r"\[ann\] : ping %d$" % i)
        bob.say("pong %d" % i)
        ann.wait(r"\[bob\] : pong %d$" % i)
        assert time.monotonic() - t0 < 1.0
        assert parts(bob.dl), "the transfer ended before the chat did"
    bob.wait(r"Received report\.pdf \(file %s\)" % fid, timeout=30)
    with open(os.path.join(bob.dl, "report.pdf"), "rb") as f:
        assert f.read() == data


def test_receiver_cancels_mid_way():
    """/cancel by the receiver stops its transfer: no file, no .part;
    the sender is told its file was not confirmed."""
    d, ann, bob, fid = slow_transfer()
    bob.say("/cancel " + fid)
    bob.wait(r"File %s \(report\.pdf\): cancelled\." % fid)
    ann.wait(r"File %s: (the connection broke after \d+ of 2097152 bytes|"
             r"the receiver did not confirm it)" % fid, timeout=70)
    assert_nothing_kept(bob)


def test_at_a_terminal():
    """natter at a terminal: the offer, /accept and the outcome show on
    the screen, and no event line ever does."""
    import test_client as TC
    d = H.Natterd()
    ann = Client(d, "ann")
    dl = os.path.join(H.tmpdir(), "dl")
    os.mkdir(dl)
    bob = TC.PtyNatter(["-d", dl, d.host, str(d.port)])
    bob.wait_cursor_line("ID:")
    bob.type("bob\r")
    bob.wait_text("-----Chatting Room-----")
    bob.type("/transfers\r")
    bob.wait_text("*** No files on offer to or from you.")
    path, data = make_file(200000)
    ann.say("/send bob " + path)
    bob.wait_text("*** ann offers report.pdf (200.0 KB); /accept 1 or "
                  "/decline 1")
    bob.type("/accept 1\r")
    bob.wait_text("*** Received report.pdf (file 1) as ")  # the rest
    # wraps at the screen's width
    ann.wait(r"Sent report\.pdf \(file 1\)")
    with open(os.path.join(dl, "report.pdf"), "rb") as f:
        assert f.read() == data
    assert b"@@natter-file" not in bob.raw
    bob.type("/exit\r")
    assert bob.exit_status() == 0


def test_files_after_a_broker_restart():
    """The broker is killed and comes back: the sessions rejoin and say
    again that their people run natter, so files go as before."""
    d = H.Natterd()
    ann, bob = Client(d, "ann"), Client(d, "bob")
    m = d.log.wait(r"broker started, pid (\d+)")
    os.kill(int(m.group(1)), signal.SIGKILL)
    d.log.wait(r"broker started, pid (?!%s)\d+" % m.group(1))
    for c in (ann, bob):
        H.wait_until(lambda: c.count(r"No files on offer") >= 1)
        a = c.mark()
        c.say("/transfers")  # answered once rejoined, FILECAP before it
        c.wait(r"No files on offer", since=a)
    path, data = make_file(5000)
    fid = offer_and_accept(ann, bob, path)
    bob.wait(r"Received report\.pdf \(file %s\)" % fid)
    with open(os.path.join(bob.dl, "report.pdf"), "rb") as f:
        assert f.read() == data


def test_an_unanswered_offer_expires():
    """natterd -O 1: an offer nobody answers ends after a second; both
    are told in one line, an /accept after it is refused, and the
    sender's client frees its place."""
    d = H.Natterd("-O", "1")
    ann, bob = Client(d, "ann"), Client(d, "bob")
    path, _ = make_file(100)
    a, b = ann.mark(), bob.mark()
    ann.say("/send bob " + path)
    fid = bob.wait(r"ann offers report\.pdf \(100 bytes\); /accept (\d+)",
                   since=b).group(1)
    ann.wait(r"Offered to bob as file %s" % fid, since=a)
    ann.wait(r"\*\*\* report\.pdf \(%s\) to bob expired unanswered\.$" %
             fid, since=a)
    bob.wait(r"\*\*\* report\.pdf \(%s\) from ann expired unanswered\.$" %
             fid, since=b)
    b = bob.mark()
    bob.say("/accept " + fid)
    bob.wait(r"\*\*\* No such offer: %s$" % fid, since=b)
    for c in (ann, bob):
        m = c.mark()
        c.say("/transfers")
        c.wait(r"No files on offer to or from you\.", since=m)
        assert c.count(r"expired unanswered") == 1
    assert os.listdir(bob.dl) == []
    # ann's natter holds 8 files at most: the expired one's place is
    # free (these 8 go at once, long before their own second is up)
    paths = [make_file(3, "e%d.txt" % i)[0] for i in range(8)]
    for p in paths:
        ann.say("/send bob " + p)
    H.wait_until(lambda: len(re.findall(r"Offered to bob as file",
                                        ann.out.text())) == 9,
                 what="eight more offers")
    assert "files are on offer or moving already" not in ann.out.text()


def test_accept_after_the_sender_left():
    """ann offers and leaves the chat before bob answers: bob is told in
    one line that the offer is off, and his /accept gets one clear
    error; nothing lands in his directory."""
    d = H.Natterd()
    ann, bob = Client(d, "ann"), Client(d, "bob")
    path, _ = make_file(100)
    ann.say("/send bob " + path)
    fid = bob.wait(r"/accept (\d+)").group(1)
    ann.say("/exit")
    assert ann.proc.wait(timeout=10) == 0
    bob.wait(r"\*\*\* ann left; report\.pdf \(%s\) is off\.$" % fid)
    b = bob.mark()
    bob.say("/accept " + fid)
    bob.wait(r"\*\*\* No such offer: %s$" % fid, since=b)
    assert bob.transfer_children() == []
    assert os.listdir(bob.dl) == []


def test_sender_leaves_between_accept_and_sending():
    """bob accepts, and ann's client leaves before its data connection
    comes (a raw client that never opens one): bob's transfer process,
    waiting for the other half, stops at once; bob sees the server's
    one line and nothing else about the file, and no partial file
    stays."""
    d = H.Natterd()
    bob = Client(d, "bob")
    mal = raw_sender(d, "mal")
    mal.send_line("/offer bob 5 x.txt")
    fid = mal.expect_re(r"@@natter-file offered (\d+) ").group(1)
    bob.wait(r"mal offers x\.txt \(5 bytes\); /accept %s" % fid)
    bob.say("/accept " + fid)
    bob.wait(r"Accepted file %s from mal: fetching\." % fid)
    mal.expect("@@natter-file accepted " + fid)
    H.wait_until(lambda: bob.transfer_children(), what="bob's transfer")
    d.log.wait(r"file %s: bob's data connection" % fid)
    mal.send_line("/exit")
    bob.wait(r"\*\*\* mal left; x\.txt \(%s\) is off\.$" % fid)
    # at once, while its process may still be stopping: not under way
    m = bob.mark()
    bob.say("/transfers")
    bob.wait(r"No files on offer to or from you\.", since=m)
    assert bob.count(r"File %s: receiving" % fid) == 0, bob.out.text()
    H.wait_until(lambda: bob.transfer_children() == [], timeout=10,
                 what="bob's transfer process gone (not its 30 s wait)")
    assert_nothing_kept(bob)
    m = bob.mark()
    bob.say("/transfers")  # a round trip: any word of the end is shown
    bob.wait(r"No files on offer to or from you\.", since=m)
    assert bob.count(r"File %s" % fid) == 0, bob.out.text()


def test_offer_time_bounds():
    """-O takes 1 to 86400 seconds, on natterd and natter-broker; any
    other value is a usage error (100) naming the bounds."""
    for prog, extra in (("natterd", []), ("natter-broker", ["x.sock"])):
        for bad in ("0", "86401", "-5", "1s", ""):
            p = subprocess.run([H.bin_path(prog), "-O", bad] + extra,
                               capture_output=True, text=True, timeout=10)
            assert p.returncode == 100, (prog, bad, p.stderr)
            assert "bad -O value '%s' (a number from 1 to 86400)" % bad \
                in p.stderr, p.stderr


def kill_broker(d):
    """SIGKILL natterd's broker; returns once the next one listens."""
    mark = len(d.log.lines)
    os.kill(broker_pid(d), signal.SIGKILL)
    d.log.wait(r"broker listening on", start=mark)
    return mark


def rejoined(c):
    """Waits until c's session is back on the new broker (the answer to
    a /transfers typed now comes from it); what it listed."""
    a = c.mark()
    c.say("/transfers")
    c.wait(r"\*\*\* (No files on offer|\d+: )", since=a)
    return a


def test_offers_survive_a_broker_restart():
    """An offer made before the broker is SIGKILLed is still there after
    (the broker keeps its offers in the state directory): both see it
    in /transfers with the same id, bob accepts it and the file
    arrives byte for byte; nobody is told anything was lost."""
    d = H.Natterd()
    ann, bob = Client(d, "ann"), Client(d, "bob")
    path, data = make_file(70000)
    b = bob.mark()
    ann.say("/send bob " + path)
    fid = bob.wait(r"ann offers report\.pdf \(70\.0 KB\); /accept (\d+)",
                   since=b).group(1)
    ann.wait(r"Offered to bob as file %s" % fid)
    mark = kill_broker(d)
    d.log.wait(r"offers of files taken back from .*: 1$", start=mark)
    a, b = rejoined(ann), rejoined(bob)
    ann.wait(r"\*\*\* %s: report\.pdf \(70\.0 KB\) to bob, waiting for "
             r"an answer" % fid, since=a)
    bob.wait(r"\*\*\* %s: report\.pdf \(70\.0 KB\) from ann, /accept or "
             r"/decline it" % fid, since=b)
    bob.say("/accept " + fid)
    bob.wait(r"Received report\.pdf \(file %s\)" % fid)
    ann.wait(r"Sent report\.pdf \(file %s\): 70000 bytes" % fid)
    with open(os.path.join(bob.dl, "report.pdf"), "rb") as f:
        assert f.read() == data
    # ids go on from the old broker's: a new offer gets a new one
    n = ann.mark()
    ann.say("/send bob " + path)
    new = ann.wait(r"Offered to bob as file (\d+)", since=n).group(1)
    assert int(new) > int(fid)
    # a broker stopped (SIGTERM) and restarted keeps them too: its
    # people leaving as it stops do not end their offers
    mark = len(d.log.lines)
    os.kill(broker_pid(d), signal.SIGTERM)
    d.log.wait(r"broker listening on", start=mark)
    d.log.wait(r"offers of files taken back from .*: 1$", start=mark)
    rejoined(ann)
    rejoined(bob)
    bob.say("/accept " + new)
    bob.wait(r"Received report\.pdf \(file %s\) as .*/report \(1\)\.pdf"
             % new)
    for c in (ann, bob):
        assert not re.search(r"is off|expired|No such offer", c.out.text())


def test_a_claim_while_the_broker_restarts():
    """bob has accepted and his half has claimed the offer; mal's data
    connection claims it while the broker is stopped, and the broker is
    SIGKILLed before it answers: the data session tries again, the next
    broker has the offer back, and the file arrives."""
    d = H.Natterd()
    bob = Client(d, "bob")
    mal = raw_sender(d, "mal")
    mal.send_line("/offer bob 5 x.txt")
    m = mal.expect_re(r"@@natter-file offered (\d+) ([0-9a-f]{32})")
    fid, token = m.group(1), m.group(2)
    bob.wait(r"mal offers x\.txt \(5 bytes\); /accept %s" % fid)
    bob.say("/accept " + fid)
    mal.expect("@@natter-file accepted " + fid)
    d.log.wait(r"file %s: bob's data connection" % fid)

    def on_broker():
        """The broker's sockets, the ones not accepted yet too: bound
        to its listener's own name, .nbPID beside the socket's."""
        name = os.path.join(os.path.dirname(d.sock), ".nb%d" % pid)
        with open("/proc/net/unix") as f:
            return sum(1 for line in f if line.rstrip().endswith(name))
    pid = broker_pid(d)
    os.kill(pid, signal.SIGSTOP)
    try:
        base = on_broker()
        s = socket.create_connection((d.host, d.port), timeout=30)
        s.sendall(("NATTER-FILE/1 PUT %s\r\n" % token).encode())
        H.wait_until(lambda: on_broker() > base,
                     what="the claim waiting on the stopped broker")
    finally:
        mark = len(d.log.lines)
        os.kill(pid, signal.SIGKILL)
    d.log.wait(r"no answer from the broker .*; trying again", start=mark)
    buf = b""
    while b"NATTER-FILE/1 OK" not in buf or not buf.endswith(b"\n"):
        chunk = s.recv(4096)
        assert chunk and b"NATTER-FILE/1 ERR" not in buf, buf
        buf += chunk
    assert b"NATTER-FILE/1 OK 5\r\n" in buf, buf
    s.sendall(b"12345")
    s.shutdown(socket.SHUT_WR)
    answer = b""
    while True:
        chunk = s.recv(100)
        if not chunk:
            break
        answer += chunk
    assert re.match(rb"DONE 5 [0-9a-f]{8}\r\n$", answer), answer
    bob.wait(r"Received x\.txt \(file %s\)" % fid)
    with open(os.path.join(bob.dl, "x.txt"), "rb") as f:
        assert f.read() == b"12345"


def test_an_offer_ends_when_its_person_does_not_come_back():
    """bob's session ends while the broker is down (never heard by
    any broker): the restored offer waits for him, then ends, and ann
    is told in one line; her client frees its place."""
    import test_client as TC
    d = H.Natterd()
    ann, bob = Client(d, "ann"), Client(d, "bob")
    path, _ = make_file(10)
    ann.say("/send bob " + path)
    fid = bob.wait(r"/accept (\d+)").group(1)
    ann.wait(r"Offered to bob as file %s" % fid)
    pid = broker_pid(d)
    os.kill(pid, signal.SIGSTOP)  # it never hears bob leave
    try:
        bob.proc.kill()
        bob.proc.wait()
        H.wait_until(lambda: len(TC.session_pids(d)) == 1,
                     what="bob's session gone")
    finally:
        mark = len(d.log.lines)
        os.kill(pid, signal.SIGKILL)
    d.log.wait(r"offers of files taken back from .*: 1$", start=mark)
    ann.wait(r"\*\*\* bob did not come back after the server restarted; "
             r"report\.pdf \(%s\) is off\.$" % fid, timeout=40)
    a = rejoined(ann)
    ann.wait(r"No files on offer to or from you", since=a)
    assert ann.count(r"is off") == 1


def test_offers_are_bounded():
    """A person has at most 8 offers open (the broker's bound, checked
    here with a raw client; natter itself holds at most 8 too), and a
    cancelled one frees its place."""
    d = H.Natterd()
    bob = Client(d, "bob")
    mal = raw_sender(d, "mal")
    ids = []
    for i in range(8):
        mal.send_line("/offer bob 5 f%d.txt" % i)
        ids.append(mal.expect_re(r"@@natter-file offered (\d+) ").group(1))
    mal.send_line("/offer bob 5 one-too-many.txt")
    mal.expect("*** You have 8 files on offer already; /cancel one first.")
    mal.expect("@@natter-file refused")
    mal.send_line("/cancel " + ids[0])
    mal.expect("*** You cancelled f0.txt (%s)." % ids[0])
    bob.wait(r"mal cancelled f0\.txt \(%s\)\." % ids[0])
    mal.send_line("/offer bob 5 now-it-fits.txt")
    mal.expect_re(r"@@natter-file offered \d+ ")
    ann = Client(d, "ann")
    paths = [make_file(3, "a%d.txt" % i)[0] for i in range(9)]
    for p in paths:
        ann.say("/send bob " + p)
    ann.wait(r"8 files are on offer or moving already; wait for one to "
             r"finish\.")
