"""bench/files_bench.py — section 6 of bench/run.py (issue 16): a file
sent through natterd on loopback (natter /send, /accept: two data
connections relayed by natter-session) against socat copying the same
file over one TCP connection, in interleaved rounds; and the steady
room's p99 while such transfers run back to back, against the same
room with none."""
import os
import re
import select
import statistics
import subprocess
import time

MB = 1000 * 1000
# socat's buffer: natter's relay and clients move 256 KiB at a time
# (socat's default of 8 KiB would make it the slower by its own choice)
SOCAT_BUF = 256 * 1024
# natter's transfer processes lower their priority by 10 (TRANSFER_NICE,
# CXFER_NICE: the chat goes first); socat runs at the same, so on a busy
# machine both copies compete for the CPU alike
NICE = ["nice", "-n", "10"]


class Person:
    """natter -u NAME, scripted, its output read by lines."""

    def __init__(self, b, name, port, dl):
        self.proc = subprocess.Popen(
            [b("natter"), "-u", name, "-d", dl, "127.0.0.1", str(port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, start_new_session=True)
        self.buf = b""
        self.lines = []
        self.wait(r"^\*\*\* You are ")
        self.say("/transfers")  # once answered, the hello is in
        self.wait(r"No files on offer")

    def say(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def wait(self, pattern, timeout=120):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            while self.lines:
                line = self.lines.pop(0)
                m = rx.search(line)
                if m:
                    return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("natter: no %r" % pattern)
            fd = self.proc.stdout.fileno()
            r, _, _ = select.select([fd], [], [], left)
            data = os.read(fd, 65536) if r else b""
            if not data and r:
                raise RuntimeError("natter ended waiting for %r" % pattern)
            self.buf += data
            *done, self.buf = self.buf.split(b"\n")
            self.lines += [x.decode(errors="replace") for x in done]

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def natter_send(ann, bob, src, dl):
    """One /send and /accept; seconds from the /accept to bob's
    "Received" (the bytes, the half-close and the DONE)."""
    ann.say("/send bob " + src)
    fid = bob.wait(r"/accept (\d+) or").group(1)
    t0 = time.monotonic()
    bob.say("/accept " + fid)
    bob.wait(r"Received .* \(file %s\)" % fid)
    t = time.monotonic() - t0
    ann.wait(r"Sent .* \(file %s\).*confirmed" % fid)
    for f in os.listdir(dl):
        os.unlink(os.path.join(dl, f))
    return t


def listening(port):
    """Whether something listens on 127.0.0.1:port (/proc/net/tcp: no
    probe connection, which a one-shot socat would take for its copy)."""
    want = "0100007F:%04X" % port
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            w = line.split()
            if w[1] == want and w[3] == "0A":
                return True
    return False


def socat_send(src, out, free_port):
    """socat copying src over one loopback TCP connection into out;
    seconds from the sender's start to the receiver's end."""
    port = free_port()
    rx = subprocess.Popen(NICE + ["socat", "-u", "-b", str(SOCAT_BUF),
                                  "TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr"
                                  % port, "CREATE:" + out],
                          stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not listening(port):
        if rx.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("socat did not listen on %d" % port)
        time.sleep(0.01)
    t0 = time.monotonic()
    subprocess.run(NICE + ["socat", "-u", "-b", str(SOCAT_BUF),
                           "FILE:" + src, "TCP:127.0.0.1:%d" % port],
                   check=True)
    rx.wait(timeout=120)
    t = time.monotonic() - t0
    if os.path.getsize(out) != os.path.getsize(src):
        raise RuntimeError("socat copied %d bytes" % os.path.getsize(out))
    os.unlink(out)
    return t


def socat_relay(src, out, free_port):
    """The same copy through a relay that does nothing else: socat
    forwarding one loopback connection to another, as natterd's relay
    does (natter's topology, without its checksum, tokens or process
    starts); seconds from the sender's start to the receiver's end."""
    p_rx, p_relay = free_port(), free_port()
    buf = str(SOCAT_BUF)
    rx = subprocess.Popen(NICE + ["socat", "-u", "-b", buf,
                                  "TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr"
                                  % p_rx, "CREATE:" + out],
                          stderr=subprocess.DEVNULL)
    relay = subprocess.Popen(NICE + ["socat", "-b", buf,
                                     "TCP-LISTEN:%d,bind=127.0.0.1,"
                                     "reuseaddr" % p_relay,
                                     "TCP:127.0.0.1:%d" % p_rx],
                             stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not (listening(p_rx) and listening(p_relay)):
        if rx.poll() is not None or relay.poll() is not None or \
                time.monotonic() > deadline:
            raise RuntimeError("socat relay did not listen")
        time.sleep(0.01)
    t0 = time.monotonic()
    subprocess.run(NICE + ["socat", "-u", "-b", buf, "FILE:" + src,
                           "TCP:127.0.0.1:%d" % p_relay], check=True)
    rx.wait(timeout=120)
    relay.wait(timeout=120)
    t = time.monotonic() - t0
    if os.path.getsize(out) != os.path.getsize(src):
        raise RuntimeError("socat relay copied %d bytes"
                           % os.path.getsize(out))
    os.unlink(out)
    return t


def chat_p99(b, port, secs, during=None):
    """A steady room (20 people, 2 senders, 200 lines/s for secs s) on
    port; during() runs in a loop while it sends.  The steady phase's
    figures, and how many times during() ran."""
    argv = [b("bench/chatload"), "-P", "natter", "-m", "20", "-s", "2",
            "-r", "200", "-d", str(secs), "-j", "8", "-t", "120", "-x", "f",
            "127.0.0.1", str(port)]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                         stdin=subprocess.DEVNULL)
    fd, buf, phases, runs = p.stdout.fileno(), b"", {}, 0
    while "steady" not in phases:
        r, _, _ = select.select([fd], [], [], 0 if (during and "login" in
                                                    phases) else 120)
        if r:
            data = os.read(fd, 65536)
            if not data:
                break
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                d = dict(w.split("=", 1) for w in line.decode().split()
                         if "=" in w)
                phases[d.get("phase")] = d
        elif during:
            during()
            runs += 1
    p.wait(timeout=30)
    if "steady" not in phases:
        raise RuntimeError("chatload gave no steady phase")
    return phases["steady"], runs


def section_files(tmp, cfg, res, b, start_natterd, free_port, note):
    size = cfg.get("file_mb", 100) * MB
    rounds = cfg.get("file_rounds", 3)
    src = os.path.join(tmp, "file.bin")
    with open(src, "wb") as f:
        for _ in range(size // MB):
            f.write(os.urandom(MB))
    dl = os.path.join(tmp, "dl")
    os.makedirs(dl, exist_ok=True)
    srv = start_natterd(b, tmp, "natter-files",
                        [b("natter-session"), "-r", "0"],
                        ["-S", str(size * 2)])
    ann = bob = None
    load0 = os.getloadavg()[0]
    try:
        ann = Person(b, "ann", srv.port, tmp)
        bob = Person(b, "bob", srv.port, dl)
        got = {"natter": [], "socat": [], "relay": [], "ratio": [],
               "relay_ratio": []}
        copy = os.path.join(tmp, "copy")
        for rnd in range(rounds):
            note("files: round %d of %d" % (rnd + 1, rounds))
            order = ["natter", "socat", "relay"]
            if rnd % 2:
                order.reverse()
            for name in order:
                t = natter_send(ann, bob, src, dl) if name == "natter" \
                    else socat_send(src, copy, free_port) \
                    if name == "socat" else \
                    socat_relay(src, copy, free_port)
                got[name].append(size / MB / t)
            got["ratio"].append(got["natter"][-1] / got["socat"][-1])
            got["relay_ratio"].append(got["relay"][-1] / got["socat"][-1])
        note("files: the steady room alone, then with transfers")
        alone, _ = chat_p99(b, srv.port, cfg.get("file_chat_secs", 10))
        busy, n = chat_p99(b, srv.port, cfg.get("file_chat_secs", 10),
                           lambda: natter_send(ann, bob, src, dl))
        res["files"] = dict(
            mb=size // MB, natter_mbs=got["natter"],
            socat_mbs=got["socat"], ratios=got["ratio"],
            natter_median=statistics.median(got["natter"]),
            socat_median=statistics.median(got["socat"]),
            ratio_median=statistics.median(got["ratio"]),
            relay_mbs=got["relay"], relay_ratios=got["relay_ratio"],
            relay_median=statistics.median(got["relay"]),
            relay_ratio_median=statistics.median(got["relay_ratio"]),
            chat_alone=alone, chat_busy=busy, transfers_during=n,
            load=[round(load0, 1), round(os.getloadavg()[0], 1)])
    finally:
        for p in (ann, bob):
            if p:
                p.close()
        srv.stop()
