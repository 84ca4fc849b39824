#!/usr/bin/env python3
"""bench/run.py — natter measured against tcpserver, xinetd and ngircd in
one run, on this machine, over loopback.  `make bench` runs it.

  1. connection rate: bench/hello (writes "hello", exits) under natterd,
     tcpserver and xinetd at 1, 16 and 64 concurrent connections, in
     interleaved rounds (the machine is noisy; medians are reported);
  2. session start (connect until "ID: "): natter-session under natterd
     vs the same natter-session under tcpserver with a broker of its own;
  3. fanout: 100 and 1,000 people in one room, 10 senders, as fast as
     possible and at a steady 1,000 messages/s, vs ngircd in one channel,
     in 3 interleaved rounds per size (medians reported);
  4. memory per session at 1,000 people: PSS of the handlers plus the
     broker's, vs ngircd's RSS growth per client;
  5. idle cost: CPU used by natterd, the broker and 1,000 idle sessions
     over 30 s, vs ngircd with 1,000 idle clients;
  6. across hosts (--only xhost, bench/xhost.py): 1,000 people in one
     room split over two natterd hosts sharing a Redis vs one host.
  7. files (--only files; issue 16): a 100 MB file sent through natterd
     (natter /send and /accept) vs socat copying it, and a steady
     room's p99 while such transfers run (bench/files_bench.py).

Prints one markdown table with the machine and date.  --quick is the
smoke run of tests/test_bench.py (seconds, tiny sizes).  A peer whose
package is absent is skipped with the reason (bench/deps.sh installs
them).  Every server is our own instance on a free loopback port with
its own configuration in a temporary directory, stopped at the end.
"""
import argparse
import json
import os
import platform
import resource
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
from harness import free_port  # noqa: E402  (one way to pick a port)
TICK = os.sysconf("SC_CLK_TCK")

FULL = dict(rounds=11, conn_secs=2, concs=[1, 16, 64], start_concs=[1, 16],
            replay_logins=400,
            sizes=[100, 1000], fast={100: 2000, 1000: 200}, rate=1000,
            steady_secs=5, idle_secs=30, hold_size=1000, fanout_rounds=3,
            file_mb=100, file_rounds=9, file_chat_secs=10)
QUICK = dict(rounds=1, conn_secs=1, concs=[1, 16], start_concs=[16],
             replay_logins=10,
             sizes=[20], fast={20: 50}, rate=100, steady_secs=1,
             idle_secs=1, hold_size=20, fanout_rounds=1,
             file_mb=5, file_rounds=1, file_chat_secs=2)


def note(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def which(name):
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting for " + what)
        time.sleep(0.02)


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def kv(line):
    return {k: (float(v) if v.replace(".", "", 1).isdigit() else v)
            for k, v in (w.split("=", 1) for w in line.split() if "=" in w)}


class Server:
    """One server process of ours, in its own process group, its output
    in a log file in the run's temporary directory."""

    def __init__(self, name, argv, tmp, ready, env=None, timeout=10):
        self.name = name
        self.log = os.path.join(tmp, name + ".log")
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True,
                env=dict(os.environ, **(env or {})))
        self.port = None
        wait_for(lambda: self.proc.poll() is not None or ready(self),
                 timeout, name + " to start")
        if self.proc.poll() is not None:
            raise RuntimeError("%s exited: %s" % (name, self.text()[-500:]))

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=10)


def listening_on(srv):
    for line in srv.text().splitlines():
        # "TIME natterd[PID]: listening on ..." (natterd(8): the time
        # leads each line on stderr)
        if " natterd[" in " " + line and "listening on 127.0.0.1:" in line:
            srv.port = int(line.rsplit(":", 1)[1])
            return True
    return False


def start_natterd(b, tmp, name, handler, opts=()):
    sock = os.path.join(tmp, name, "broker.sock")
    argv = [b("natterd"), "-f", "-l", "127.0.0.1:0", "-s", sock,
            "-D", os.path.join(tmp, name + "-state"), "-c", "5000", "-p",
            "0", "-r", "0"] + list(opts) + ["--"] + handler
    srv = Server(name, argv, tmp, listening_on)
    wait_for(lambda: os.path.exists(sock), 10, "broker socket")
    return srv


def start_on_port(name, argv_of_port, tmp):
    port = free_port()

    def ready(srv):
        srv.port = port
        return port_open(port)
    return Server(name, argv_of_port(port), tmp, ready)


def start_tcpserver(tmp, name, prog):
    return start_on_port(name, lambda p: [
        which("tcpserver"), "-c", "5000", "-b", "1024", "-H", "-R",
        "-l", "0", "127.0.0.1", str(p)] + prog, tmp)


def start_xinetd(tmp, prog):
    conf = os.path.join(tmp, "xinetd.conf")

    def argv(port):
        with open(conf, "w") as f:
            f.write("""defaults
{
}
service natterbench
{
	type		= UNLISTED
	port		= %d
	bind		= 127.0.0.1
	socket_type	= stream
	protocol	= tcp
	wait		= no
	user		= %s
	server		= %s
	instances	= UNLIMITED
	per_source	= UNLIMITED
	cps		= 1000000 1
	flags		= NOLIBWRAP
	log_type	= FILE %s
	log_on_success	=
	log_on_failure	=
}
""" % (port, pwd_name(), prog, os.path.join(tmp, "xinetd.service.log")))
        return [which("xinetd"), "-dontfork", "-f", conf,
                "-pidfile", os.path.join(tmp, "xinetd.pid")]
    return start_on_port("xinetd", argv, tmp)


def pwd_name():
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name


def start_ngircd(tmp):
    conf = os.path.join(tmp, "ngircd.conf")

    def argv(port):
        with open(conf, "w") as f:
            f.write("""[Global]
	Name = bench.natter.invalid
	Info = natter benchmark peer
	Listen = 127.0.0.1
	Ports = %d
	MotdPhrase = bench
	PidFile = %s
[Limits]
	MaxConnections = 0
	MaxConnectionsIP = 0
	MaxJoins = 0
	MaxNickLength = 16
	MaxPenaltyTime = 0
	PingTimeout = 600
	PongTimeout = 600
[Options]
	DNS = no
	Ident = no
	PAM = no
	ConnectIPv6 = no
[Operator]
	Name = bench
	Password = benchpw
""" % (port, os.path.join(tmp, "ngircd.pid")))
        return [which("ngircd"), "-n", "-p", "-f", conf]
    return start_on_port("ngircd", argv, tmp)


def connload(b, port, conc, secs, expect=None):
    argv = [b("bench/connload"), "-c", str(conc), "-t", str(secs)]
    if expect:
        argv += ["-e", expect]
    p = subprocess.run(argv + ["127.0.0.1", str(port)], capture_output=True,
                       text=True, timeout=secs + 60)
    if p.returncode != 0:
        raise RuntimeError("connload: " + p.stderr.strip())
    return kv(p.stdout)


def median_by(runs, key):
    """The run with the median `key` (the upper one of an even count), so
    its other figures belong together."""
    return sorted(runs, key=lambda r: r[key])[len(runs) // 2]


def median_run(runs):
    """The run with the median rate, so its latencies belong together."""
    return median_by(runs, "rate")


def interleaved(servers, concs, cfg, expect=None):
    """({(server, conc): median run}, {"peer/conc": median ratio}):
    rounds of every server at every concurrency, the order rotated each
    round.  The ratio is natterd's rate over the peer's, taken within
    each round (so the two were measured seconds apart, whatever the
    machine was doing meanwhile), then the median over the rounds."""
    runs = {}
    ratios = {}
    names = list(servers)
    for rnd in range(cfg["rounds"]):
        for conc in concs:
            order = names[rnd % len(names):] + names[:rnd % len(names)]
            got = {}
            for name in order:
                got[name] = connload(B, servers[name].port, conc,
                                     cfg["conn_secs"], expect)
                runs.setdefault((name, conc), []).append(got[name])
            for name in names:
                if name != "natterd" and got[name]["rate"] > 0:
                    ratios.setdefault("%s/%d" % (name, conc), []).append(
                        got["natterd"]["rate"] / got[name]["rate"])
    return ({k: median_run(v) for k, v in runs.items()},
            {k: statistics.median(v) for k, v in ratios.items()},
            ratios)


def section_connect(tmp, cfg, peers, res):
    hello = [B("bench/hello")]
    srv = {"natterd": start_natterd(B, tmp, "natterd-hello", hello)}
    try:
        if "tcpserver" in peers:
            srv["tcpserver"] = start_tcpserver(tmp, "tcpserver-hello", hello)
        if "xinetd" in peers:
            srv["xinetd"] = start_xinetd(tmp, hello[0])
        runs, ratios, each = interleaved(srv, cfg["concs"], cfg)
        for (name, conc), r in runs.items():
            res["connect"]["%s/%d" % (name, conc)] = r
        res["connect_ratio"] = ratios
        res["connect_ratio_rounds"] = each
    finally:
        for s in srv.values():
            s.stop()


def section_start(tmp, cfg, peers, res):
    session = [B("natter-session"), "-r", "0"]
    srv = {"natterd": start_natterd(B, tmp, "natterd-session", session)}
    broker = None
    try:
        if "tcpserver" in peers:
            sock = os.path.join(tmp, "broker-only", "broker.sock")
            broker = Server("broker", [B("natterd"), "-f", "-B", "-s", sock,
                                       "-D", os.path.join(tmp, "state")],
                            tmp, lambda s: os.path.exists(sock))
            srv["tcpserver"] = start_tcpserver(tmp, "tcpserver-session",
                                               session + ["-b", sock])
        runs, ratios, _ = interleaved(srv, cfg["start_concs"], cfg, "ID: ")
        for (name, conc), r in runs.items():
            res["start"]["%s/%d" % (name, conc)] = r
        res["start_ratio"] = ratios
    finally:
        for s in list(srv.values()) + ([broker] if broker else []):
            s.stop()


def login_to_live(port, name, until):
    """ms from connect until each of `until` (bytes, in turn) came after
    logging in as name."""
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    buf = b""
    try:
        for want in [b"ID: "] + until:
            while want not in buf:
                got = s.recv(65536)
                if not got:
                    raise RuntimeError("closed before %r: %r" % (want, buf))
                buf += got
            buf = buf[buf.index(want) + len(want):]
            if want == b"ID: ":
                s.sendall(name.encode() + b"\r\n")
        return (time.monotonic() - t0) * 1000.0
    finally:
        s.close()


def section_replay(tmp, cfg, peers, res):
    """Log-in until live chat, one at a time, into a room whose last 20
    lines are replayed (natterd -H 20) and into one with no replay
    (-H 0), the two interleaved; each room has 20 lines and one member
    who wrote them.  p50 and p99 over every log-in."""
    session = [B("natter-session"), "-r", "0"]
    srv = {"replay20": start_natterd(B, tmp, "natterd-replay20", session,
                                     ["-H", "20"]),
           "replay0": start_natterd(B, tmp, "natterd-replay0", session,
                                    ["-H", "0"])}
    writers = []
    try:
        for name, s in srv.items():
            w = socket.create_connection(("127.0.0.1", s.port), timeout=30)
            writers.append(w)
            w.sendall(b"writer\r\n")
            for i in range(20):
                w.sendall(b"line %d of the room's history\r\n" % i)
            w.sendall(b"/history 1\r\n")
            buf = b""
            while b"line 19 of" not in buf:
                got = w.recv(65536)
                if not got:
                    raise RuntimeError("writer closed: %r" % buf)
                buf += got
        times = {name: [] for name in srv}
        for i in range(cfg["replay_logins"]):
            for name in (list(srv) if i % 2 else list(srv)[::-1]):
                # the greeting's line, then the replay and its end
                until = [b"You are in lobby", b"\r\n"] + (
                    [b"Live chat.\r\n"] if name == "replay20" else [])
                times[name].append(login_to_live(srv[name].port,
                                                 "p%d" % i, until))
        for name, t in times.items():
            t.sort()
            res["replay"][name] = dict(
                logins=len(t), p50_ms=t[len(t) // 2],
                p99_ms=t[min(len(t) - 1, int(len(t) * 0.99))])
    finally:
        for w in writers:
            w.close()
        for s in srv.values():
            s.stop()


class Chat:
    """A chatload run: phases come as lines; with hold, the members stay
    logged in until close()."""

    def __init__(self, port, proto, members, cfg, hold):
        argv = [B("bench/chatload"), "-P", proto, "-m", str(members),
                "-s", "10", "-f", str(cfg["fast"][members]),
                "-r", str(cfg["rate"]), "-d", str(cfg["steady_secs"]),
                "-j", "8" if proto == "irc" else "32", "-t", "300",
                "-x", "b"]
        if hold:
            argv += ["-H", "600"]
        self.proc = subprocess.Popen(
            argv + ["127.0.0.1", str(port)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, start_new_session=True)
        self.phases = {}
        self.buf = b""

    def until(self, phase, timeout):
        """Reads phase lines until `phase` (or the end); returns them."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while phase not in self.phases:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("chatload: no phase=%s in time" % phase)
            r, _, _ = select.select([fd], [], [], left)
            data = os.read(fd, 65536) if r else None
            if data == b"":
                break
            self.buf += data or b""
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                d = kv(line.decode(errors="replace"))
                self.phases[d.get("phase")] = d
        return self.phases

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def parents():
    """{pid: parent pid} of every process, in one pass over /proc."""
    out = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/stat" % p) as f:
                    st = f.read()
            except OSError:
                continue
            out[int(p)] = int(st[st.rfind(")") + 2:].split()[1])
    return out


def children(pid, ppid=None):
    """pid's children (ppid: a parents() map, made once for many)."""
    ppid = parents() if ppid is None else ppid
    return [p for p, parent in ppid.items() if parent == pid]


def proc_field(pid, path, key):
    """The kB figure of `key` in /proc/PID/path (0 if the process left)."""
    try:
        with open("/proc/%d/%s" % (pid, path)) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                st = f.read()
        except OSError:
            continue
        rest = st[st.rfind(")") + 2:].split()
        total += int(rest[11]) + int(rest[12])
    return total


def is_launcher(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().startswith(b"natterd: launcher")
    except OSError:
        return False


def natter_procs(srv):
    """(handler pids, other pids: natterd and the broker)."""
    handlers, others = [], [srv.proc.pid]
    # one pass over /proc, not one per process: with 3,000 sessions a
    # pass each took the soak's loop 36 s (the burst's log-ins timed out)
    ppid = parents()
    by_parent = {}
    for p, parent in ppid.items():
        by_parent.setdefault(parent, []).append(p)
    kids = list(by_parent.get(srv.proc.pid, []))
    for pid in kids:
        # a launcher's children are the sessions; the broker's, its
        # syncer (broker/store/syncer.h), counted with the broker
        kids.extend(by_parent.get(pid, []))
        try:
            exe = os.readlink("/proc/%d/exe" % pid)
        except OSError:
            continue
        # the broker is a fork of natterd (its command line names the
        # handler too); a handler has executed natter-session
        (handlers if os.path.basename(exe) == "natter-session"
         else others).append(pid)
    return handlers, others


def idle_cpu_ms(pids_fn, secs):
    pids = pids_fn()
    t0 = cpu_ticks(pids)
    time.sleep(secs)    # the thing measured is what happens meanwhile
    return (cpu_ticks(pids) - t0) * 1000.0 / TICK


def measure_held(name, srv, members, cfg, base_rss, res):
    if name == "natter":
        handlers, others = natter_procs(srv)
        broker = [p for p in others
                  if p != srv.proc.pid and not is_launcher(p)]
        pss = sum(proc_field(p, "smaps_rollup", "Pss") for p in handlers)
        bpss = sum(proc_field(p, "smaps_rollup", "Pss") for p in broker)
        res["memory"]["natter"] = dict(
            sessions=len(handlers), handlers_pss_kib=pss,
            broker_pss_kib=bpss, per_session_kib=(pss + bpss) / members)
        res["idle"]["natter"] = dict(members=members, cpu_ms=idle_cpu_ms(
            lambda: sum(natter_procs(srv), []), cfg["idle_secs"]))
    else:
        rss = proc_field(srv.proc.pid, "status", "VmRSS")
        res["memory"]["ngircd"] = dict(
            rss_kib=rss, base_rss_kib=base_rss,
            per_session_kib=(rss - base_rss) / members)
        res["idle"]["ngircd"] = dict(members=members, cpu_ms=idle_cpu_ms(
            lambda: [srv.proc.pid], cfg["idle_secs"]))


def fanout_one(tmp, name, members, cfg, res, tag, hold):
    """One fresh server and one chatload run: {phase: figures} for login,
    fast and steady.  With hold, the members stay while memory and idle
    CPU are measured (sections 4 and 5)."""
    if name.startswith("natter"):
        # natter-nohist: no room logs (natterd -n), to set beside natter
        srv = start_natterd(B, tmp, "%s-chat-%s" % (name, tag),
                            [B("natter-session"), "-r", "0"],
                            ["-n"] if name == "natter-nohist" else [])
    else:
        srv = start_ngircd(tmp)
    base_rss = proc_field(srv.proc.pid, "status", "VmRSS")
    chat = Chat(srv.port, "natter" if name.startswith("natter") else "irc",
                members, cfg, hold)
    try:
        ph = chat.until("hold" if hold else "steady", 280)
        for phase in ("login", "fast", "steady"):
            if phase not in ph:
                raise RuntimeError("%s %d: no %s result; log: %s" % (
                    name, members, phase, srv.text()[-800:]))
        if hold and name != "natter-nohist":
            measure_held(name, srv, members, cfg, base_rss, res)
        return {phase: ph[phase] for phase in ("login", "fast", "steady")}
    finally:
        chat.close()
        srv.stop()


# Which round stands for each phase: the one with the median of the
# figure its ratio is taken on, so that figure's latencies (or rate)
# come from the same run.
FANOUT_PICK = {"login": "seconds", "fast": "rate", "steady": "p99_ms"}


def fanout_ratio(got, phase):
    """natter ÷ ngircd in one round: deliveries/s for fast (higher is
    better), p99 latency for steady (lower is); None without a figure."""
    key = FANOUT_PICK[phase]
    theirs = got["ngircd"][phase][key]
    return got["natter"][phase][key] / theirs if theirs > 0 else None


def fanout_median(res, members, names, rounds):
    """Per server and phase, the median round's figures, with the loss
    over every round (a loss in any round must show); per phase, the
    median of the per-round ratios, and the ratios themselves."""
    for name in names:
        for phase, key in FANOUT_PICK.items():
            runs = [got[name][phase] for got in rounds]
            pick = dict(median_by(runs, key), rounds=len(runs))
            if phase != "login":
                pick["lost_in_rounds"] = sum(r["lost"] for r in runs)
            res["fanout"]["%s/%d/%s" % (name, members, phase)] = pick
    if "natter-nohist" in names:
        for phase in ("fast", "steady"):
            got = [g["natter"][phase]["rate"] /
                   g["natter-nohist"][phase]["rate"] for g in rounds
                   if g["natter-nohist"][phase]["rate"] > 0]
            if got:
                k = "natter-nohist/%d/%s" % (members, phase)
                res["fanout_ratio"][k] = statistics.median(got)
                res["fanout_ratio_rounds"][k] = got
    if "ngircd" not in names:
        return
    for phase in ("fast", "steady"):
        got = [fanout_ratio(g, phase) for g in rounds]
        got = [r for r in got if r is not None]
        if got:
            k = "ngircd/%d/%s" % (members, phase)
            res["fanout_ratio"][k] = statistics.median(got)
            res["fanout_ratio_rounds"][k] = got


def section_fanout(tmp, cfg, peers, res):
    """Per size, rounds of natter then ngircd (the order swapped every
    round), each a fresh server and chatload run, as section 1 does:
    a single run's ratio swings by tens of percent here.  The members of
    the last round at the hold size stay for sections 4 and 5."""
    names = ["natter"] + (["ngircd"] if "ngircd" in peers else []) + \
        (["natter-nohist"] if cfg.get("history") else [])
    res.update(fanout_rounds={}, fanout_ratio={}, fanout_ratio_rounds={})
    n = cfg["fanout_rounds"]
    for members in cfg["sizes"]:
        rounds = []
        for rnd in range(n):
            order = names[rnd % len(names):] + names[:rnd % len(names)]
            hold = rnd == n - 1 and members == cfg["hold_size"]
            got = {"order": order}
            for name in order:
                note("fanout: %s, %d people, round %d of %d"
                     % (name, members, rnd + 1, n))
                got[name] = fanout_one(tmp, name, members, cfg, res,
                                       "%d-%d" % (members, rnd), hold)
            rounds.append(got)
        res["fanout_rounds"][str(members)] = rounds
        fanout_median(res, members, names, rounds)


def section_xhost(tmp, cfg, peers, res):
    sys.path.insert(0, HERE)
    import xhost
    xhost.section_xhost(sys.modules[__name__], tmp, cfg, peers, res)


def section_files(tmp, cfg, peers, res):
    if not which("socat"):
        res.setdefault("skipped", {})["socat"] = "not installed"
        return
    sys.path.insert(0, HERE)
    import files_bench
    files_bench.section_files(tmp, cfg, res, B, start_natterd, free_port,
                              note)


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    def first_line(argv):
        try:
            p = subprocess.run(argv, capture_output=True, text=True,
                               timeout=10)
            return (p.stdout + p.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "absent"
    return dict(
        date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        kernel=" ".join(platform.uname()[i] for i in (0, 2, 4)),
        cpu=cpu, cores=os.cpu_count(),
        natter=first_line(["git", "-C", HERE, "rev-parse", "--short",
                           "HEAD"]),
        tcpserver=first_line(["dpkg-query", "-W", "-f",
                              "ucspi-tcp ${Version}", "ucspi-tcp"]),
        xinetd=first_line([which("xinetd") or "xinetd", "-version"]),
        ngircd=first_line([which("ngircd") or "ngircd", "--version"]))


def find_peers():
    peers, skipped = [], {}
    for name, pkg in (("tcpserver", "ucspi-tcp"), ("xinetd", "xinetd"),
                      ("ngircd", "ngircd")):
        if which(name):
            peers.append(name)
        else:
            skipped[name] = "%s not installed (package %s; run bench/deps.sh)" % (
                name, pkg)
    return peers, skipped


def raise_nofile():
    """Servers inherit the limit: 1,000 clients need over 1,024 fds."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < 2200:
        note("descriptor limit %d is low for 1,000 people" % hard)


def main():
    global B
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: tiny sizes, seconds")
    ap.add_argument("--json", help="also write the raw results here")
    ap.add_argument("--out", help="also write the table here")
    ap.add_argument("--only", help="sections, comma-separated: "
                    "connect,start,fanout,replay (replay: with --history), "
                    "xhost, files (only when named: xhost needs Redis)")
    ap.add_argument("--history", action="store_true",
                    help="also what the room log costs: natter's fanout "
                    "with history off (natterd -N) in the same rounds, and "
                    "log-in to live chat with a 20-line replay vs none")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    B = lambda name: os.path.join(build, name)  # noqa: E731
    cfg = dict(QUICK if args.quick else FULL, history=args.history)
    peers, skipped = find_peers()
    for name, why in skipped.items():
        note("skipping %s: %s" % (name, why))
    raise_nofile()
    res = dict(machine=machine(), quick=args.quick, skipped=skipped,
               connect={}, start={}, fanout={}, memory={}, idle={}, replay={},
               config=cfg)
    only = (args.only or "connect,start,fanout,replay").split(",")
    if not args.history and "replay" in only:
        only.remove("replay")
    tmp = tempfile.mkdtemp(prefix="natter-bench-")
    t0 = time.monotonic()
    try:
        for name, fn in (("connect", section_connect),
                         ("start", section_start),
                         ("fanout", section_fanout),
                         ("replay", section_replay),
                         ("xhost", section_xhost),
                         ("files", section_files)):
            if name in only:
                note("%s (%.0f s so far)" % (name, time.monotonic() - t0))
                fn(tmp, cfg, peers, res)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    res["seconds"] = round(time.monotonic() - t0, 1)
    sys.path.insert(0, HERE)
    import report
    table = report.render(res)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1, default=str)


B = None

if __name__ == "__main__":
    main()
