#!/usr/bin/env python3
"""bench/scale.py — 10,000 people on one machine (issue 19).  `make scale`.

Starts one natterd (its own -D state directory and -s broker socket, in
a temporary directory; -c PEOPLE + 200, -p 0 and -r 0 because every
connection comes from 127.0.0.1; natter-session -r 0), with the soft
descriptor limit at 1,024 as a service manager would leave it: the
broker raises its own to the hard limit (natter-broker(8)), natterd
needs few (its own descriptors are bounded; natterd(8) LIMITS).  Then
one bench/chatload process (epoll over every connection, C) logs in
PEOPLE people into one room (at most 64 log-ins under way), and has 10
of them send at a steady rate, in steps (--rates, messages/s, each for
--step seconds): every message goes to everyone else in the room, so a
step of R messages/s asks for R x (PEOPLE - 1) deliveries/s.  With the
people still logged in, it measures memory.

Printed: the login rate (people/s, connect to the room's banner, with
every join announced to the people already there); per step the
deliveries/s asked and made, p50/p99/max latency (send to arrival),
lost lines, the CPU each part used (sessions, broker, natterd and its
launchers, the load generator; in cores) and the machine's busy share;
memory (RSS sum of the sessions and their PSS sum, the broker's RSS and
descriptors, natterd's and the launchers' RSS); and what gave out first:
the first step whose p99 passed --p99-limit ms, that lost lines, or that
made under 90 % of the deliveries asked; with the part using most CPU
then.  --json FILE keeps everything.  Heavy: about 3 minutes at 10,000
people, both cores busy; run it on a quiet machine, and rarely.
"""
import argparse
import json
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run  # noqa: E402  (the bench's /proc helpers and log parsing)


def note(*a):
    print("scale:", *a, file=sys.stderr, flush=True)


def soft_nofile(n):
    """preexec: the soft descriptor limit at n (the hard one kept)."""
    def fn():
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))
    return fn


def start_natterd(b, tmp, people, soft):
    sock = os.path.join(tmp, "run", "broker.sock")
    argv = [b("natterd"), "-f", "-l", "127.0.0.1:0", "-s", sock,
            "-D", os.path.join(tmp, "state"), "-c", str(people + 200),
            "-p", "0", "-r", "0", "--", b("natter-session"), "-r", "0"]
    log = os.path.join(tmp, "natterd.log")
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT,
                                start_new_session=True,
                                preexec_fn=soft_nofile(soft))
    srv = run.Server.__new__(run.Server)
    srv.name, srv.log, srv.proc, srv.port = "natterd", log, proc, None
    run.wait_for(lambda: proc.poll() is not None or run.listening_on(srv),
                 10, "natterd to listen")
    if proc.poll() is not None:
        raise RuntimeError("natterd exited: " + srv.text()[-500:])
    run.wait_for(lambda: os.path.exists(sock), 10, "broker socket")
    return srv


def groups(srv, chat_pid):
    """{part: [pids]} for natterd's processes and the load generator."""
    handlers, others = run.natter_procs(srv)
    launchers = [p for p in others if run.is_launcher(p)]
    broker = [p for p in others if p != srv.proc.pid and p not in launchers]
    return dict(sessions=handlers, broker=broker, natterd=[srv.proc.pid],
                launchers=launchers, chatload=[chat_pid])


def machine_ticks():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return sum(v) - idle, sum(v)


def cpu_ns(pids):
    """CPU time of pids in ns, from /proc/PID/schedstat: exact, where
    /proc/PID/stat's clock ticks round each short-lived share to 0."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/schedstat" % pid) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total


class Sample:
    def __init__(self, g):
        self.t = time.monotonic()
        self.cpu = {k: cpu_ns(v) for k, v in g.items()}
        self.machine = machine_ticks()
        self.hold_logs = 0


def cores_between(a, b):
    secs = max(b.t - a.t, 1e-3)
    used = {k: round((b.cpu[k] - a.cpu.get(k, 0)) / 1e9 / secs, 2)
            for k in b.cpu}
    busy = (b.machine[0] - a.machine[0]) / max(1, b.machine[1] - a.machine[1])
    return used, round(busy * 100, 1)


def memory(g):
    rss = lambda pids: sum(run.proc_field(p, "status", "VmRSS")  # noqa
                           for p in pids)
    broker = g["broker"][0] if g["broker"] else 0
    try:
        bfds = len(os.listdir("/proc/%d/fd" % broker))
    except OSError:
        bfds = 0
    return dict(
        sessions=len(g["sessions"]),
        sessions_rss_kib=rss(g["sessions"]),
        sessions_pss_kib=sum(run.proc_field(p, "smaps_rollup", "Pss")
                             for p in g["sessions"]),
        broker_rss_kib=rss(g["broker"]), broker_fds=bfds,
        natterd_rss_kib=rss(g["natterd"]),
        launchers_rss_kib=rss(g["launchers"]),
        chatload_rss_kib=rss(g["chatload"]))


def not_reading(srv):
    return srv.text().count("is not reading; holding nobody")


def gave_out(steps, people, limit_ms):
    """The first step that failed, and why; None if none did."""
    for s in steps:
        asked = s["target"] * (people - 1)
        why = []
        if s["p99_ms"] > limit_ms:
            why.append("p99 %.0f ms > %d ms" % (s["p99_ms"], limit_ms))
        if s["lost"] > 0:
            why.append("%d deliveries lost" % s["lost"])
        if s["rate"] < 0.9 * asked:
            why.append("made %.0f of %.0f deliveries/s asked"
                       % (s["rate"], asked))
        if why:
            top = max(s["cores"], key=s["cores"].get)
            return dict(step=s["target"], why="; ".join(why),
                        busiest=top, busiest_cores=s["cores"][top],
                        machine_busy_pct=s["machine_busy_pct"])
    return None


def drive(b, srv, args, res):
    argv = [b("bench/chatload"), "-P", "natter", "-m", str(args.people),
            "-s", str(args.senders), "-f", "0", "-r", args.rates,
            "-d", str(args.step), "-j", str(args.logins), "-t", "1800",
            "-H", "900", "-x", "s", "127.0.0.1", str(srv.port)]
    chat = subprocess.Popen(argv, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, start_new_session=True)
    steps, buf, prev = [], b"", None
    fd = chat.stdout.fileno()
    try:
        while True:
            r, _, _ = select.select([fd], [], [], 1800)
            data = os.read(fd, 65536) if r else b""
            if not data:
                raise RuntimeError("chatload ended early (status %s): %s"
                                   % (chat.poll(), srv.text()[-800:]))
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                d = run.kv(line.decode(errors="replace"))
                note(line.decode(errors="replace"))
                g = groups(srv, chat.pid)
                now = Sample(g)
                now.hold_logs = not_reading(srv)
                if d.get("phase") == "login":
                    res["login"] = dict(d, per_s=round(
                        d["ready"] / max(d["seconds"], 1e-3), 1))
                    if d["ready"] < args.people:
                        raise RuntimeError("only %d logged in"
                                           % d["ready"])
                elif d.get("phase") == "steady":
                    d["cores"], d["machine_busy_pct"] = cores_between(prev,
                                                                      now)
                    d["not_reading_logs"] = now.hold_logs - prev.hold_logs
                    steps.append(d)
                elif d.get("phase") == "hold":
                    res["memory"] = memory(g)
                    return steps
                prev = now
    finally:
        chat.stdin.close()
        try:
            chat.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(chat.pid, signal.SIGKILL)
            chat.wait()


def row(res):
    """One markdown row for BENCHMARKS.md."""
    m, lg = res["memory"], res["login"]
    parts = ["%d/s (%.0f s)" % (lg["per_s"], lg["seconds"])]
    for s in res["steps"]:
        parts.append("%d msg/s: %.0f del/s, p99 %.0f ms, lost %d"
                     % (s["target"], s["rate"], s["p99_ms"], s["lost"]))
    g = res["gave_out"]
    return ("| %s | %d | %s | sessions %.0f MiB RSS (%.0f PSS), broker %.0f "
            "MiB, natterd %.1f MiB | %s |" % (
                res["date"], res["people"], "; ".join(parts),
                m["sessions_rss_kib"] / 1024, m["sessions_pss_kib"] / 1024,
                m["broker_rss_kib"] / 1024, m["natterd_rss_kib"] / 1024,
                "nothing" if g is None else
                "at %d msg/s: %s (busiest: %s, %.2f cores; machine %.0f %% "
                "busy)" % (g["step"], g["why"], g["busiest"],
                           g["busiest_cores"], g["machine_busy_pct"])))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--people", type=int, default=10000)
    ap.add_argument("--senders", type=int, default=10)
    ap.add_argument("--rates", default="1,10,50,100,200,400",
                    help="steady messages/s, comma-separated steps")
    ap.add_argument("--step", type=int, default=10, help="seconds a step")
    ap.add_argument("--logins", type=int, default=64,
                    help="log-ins under way at once")
    ap.add_argument("--soft-nofile", type=int, default=1024,
                    help="natterd's soft descriptor limit at start")
    ap.add_argument("--p99-limit", type=int, default=1000)
    ap.add_argument("--json")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    b = lambda name: os.path.join(build, name)  # noqa: E731
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < args.people + 100:
        sys.exit("scale: the hard descriptor limit %d is below %d people "
                 "(chatload holds one socket each)" % (hard, args.people))
    res = dict(people=args.people, senders=args.senders, rates=args.rates,
               step_s=args.step, soft_nofile=args.soft_nofile,
               hard_nofile=hard, cores=os.cpu_count(),
               date=time.strftime("%Y-%m-%d", time.gmtime()),
               natter=run.machine()["natter"])
    tmp = tempfile.mkdtemp(prefix="natter-scale-")
    srv = None
    try:
        srv = start_natterd(b, tmp, args.people, args.soft_nofile)
        res["steps"] = drive(b, srv, args, res)
        res["gave_out"] = gave_out(res["steps"], args.people,
                                   args.p99_limit)
        res["not_reading_logs"] = not_reading(srv)
    finally:
        if srv:
            srv.stop()
            res["log_tail"] = srv.text()[-2000:]
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps({k: v for k, v in res.items() if k != "log_tail"},
                     indent=1))
    print(row(res))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
