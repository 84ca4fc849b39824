#!/usr/bin/env python3
"""bench/ab.py — two builds of natter measured in the same rounds.

  python3 bench/ab.py --old DIR --new DIR [--rounds N] [--quick]

DIR is a build directory (with natterd, natter-session and bench/), for
instance one made from an older commit in a git worktree:

  git worktree add /tmp/old COMMIT && make -C /tmp/old all bench-progs

Each figure is taken for both builds in every round, the order swapped
each round, and the ratio new / old is the median over the rounds of
the ratios within a round (bench/run.py's way: the machine's noise
moves both builds of a round alike):

  connect  bench/hello under each natterd and under tcpserver, 16 at once:
           connections/s, each build ÷ tcpserver and new ÷ old;
  start    each build's natter-session under its natterd, 16 at once,
           connect until "ID: ": sessions/s, new ÷ old;
  fanout   1,000 people, 10 senders, as fast as possible: deliveries/s,
           new ÷ old; and memory per person (handlers' and broker's PSS
           at 1,000 people held) in the last round.

Prints one markdown table.  The old build may predate options (a natterd
without -D gets none)."""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run  # noqa: E402  (bench/run.py: servers, load generators)


def builder(d):
    d = os.path.abspath(d)
    return lambda name: os.path.join(d, name)


def takes_D(b):
    """Whether this natterd has -D (state directories came later)."""
    p = subprocess.run([b("natterd"), "-h"], capture_output=True, text=True)
    return " -D " in p.stdout + p.stderr or "[-D" in p.stdout + p.stderr


def start(b, tmp, name, handler):
    sock = os.path.join(tmp, name, "broker.sock")
    argv = [b("natterd"), "-f", "-l", "127.0.0.1:0", "-s", sock,
            "-c", "5000", "-p", "0", "-r", "0"]
    if takes_D(b):
        argv += ["-D", os.path.join(tmp, name + "-state")]
    srv = run.Server(name, argv + ["--"] + handler, tmp, run.listening_on)
    run.wait_for(lambda: os.path.exists(sock), 10, "broker socket")
    return srv


def ratio_rounds(rounds, key, a, b):
    return [r[a][key] / r[b][key] for r in rounds if r[b][key] > 0]


def connect(builds, tmp, cfg, out):
    srv = {}
    try:
        for name, b in builds.items():
            srv[name] = start(b, tmp, "hello-" + name, [b("bench/hello")])
        if "tcpserver" in run.find_peers()[0]:
            srv["tcpserver"] = run.start_tcpserver(
                tmp, "tcpserver-hello", [builds["new"]("bench/hello")])
        rounds = rotate(srv, cfg, lambda s: run.connload(
            builds["new"], s.port, 16, cfg["secs"]))
    finally:
        for s in srv.values():
            s.stop()
    out["connect"] = rounds


def start_rate(builds, tmp, cfg, out):
    srv = {}
    try:
        for name, b in builds.items():
            srv[name] = start(b, tmp, "session-" + name,
                              [b("natter-session"), "-r", "0"])
        rounds = rotate(srv, cfg, lambda s: run.connload(
            builds["new"], s.port, 16, cfg["secs"], "ID: "))
    finally:
        for s in srv.values():
            s.stop()
    out["start"] = rounds


def rotate(srv, cfg, measure):
    names = list(srv)
    rounds = []
    for rnd in range(cfg["rounds"]):
        order = names[rnd % len(names):] + names[:rnd % len(names)]
        rounds.append({name: measure(srv[name]) for name in order})
        run.note("round %d of %d: %s" % (rnd + 1, cfg["rounds"], ", ".join(
            "%s %.0f/s" % (n, rounds[-1][n]["rate"]) for n in names)))
    return rounds


def fanout(builds, tmp, cfg, out):
    fcfg = dict(run.FULL, fast={cfg["members"]: cfg["fast"]}, rate=1000,
                steady_secs=2)
    rounds, memory = [], {}
    for rnd in range(cfg["fanout_rounds"]):
        names = ["old", "new"] if rnd % 2 == 0 else ["new", "old"]
        got = {}
        for name in names:
            run.B = builds[name]
            res = {"memory": {}, "idle": {}}
            hold = rnd == cfg["fanout_rounds"] - 1
            fcfg["idle_secs"] = 0
            ph = fanout_one(builds[name], tmp, cfg["members"], fcfg, res,
                            "%s-%d" % (name, rnd), hold)
            got[name] = ph["fast"]
            if hold:
                memory[name] = res["memory"]["natter"]
            run.note("fanout round %d, %s: %.0f deliveries/s" % (
                rnd + 1, name, ph["fast"]["rate"]))
        rounds.append(got)
    out["fanout"] = rounds
    out["memory"] = memory


def fanout_one(b, tmp, members, cfg, res, tag, hold):
    srv = start(b, tmp, "chat-" + tag, [b("natter-session"), "-r", "0"])
    base = run.proc_field(srv.proc.pid, "status", "VmRSS")
    chat = run.Chat(srv.port, "natter", members, cfg, hold)
    try:
        ph = chat.until("hold" if hold else "steady", 280)
        if "fast" not in ph:
            raise RuntimeError("no fast result: " + srv.text()[-800:])
        if hold:
            run.measure_held("natter", srv, members, cfg, base, res)
        return ph
    finally:
        chat.close()
        srv.stop()


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def table(out, cfg):
    rows = ["| figure | old | new | new ÷ old (rounds) |",
            "| --- | --- | --- | --- |"]
    c = out.get("connect") or []
    if c and "tcpserver" in c[0]:
        ro = ratio_rounds(c, "rate", "old", "tcpserver")
        rn = ratio_rounds(c, "rate", "new", "tcpserver")
        rows.append("| connections, 16 at once, ÷ tcpserver (target "
                    "≥ 1.1; rounds new: %s) | %.2f | %.2f | |" % (
                        ", ".join("%.2f" % x for x in rn), med(ro),
                        med(rn)))
    for key, label in (("connect", "connections/s, 16 at once"),
                       ("start", "session start/s, 16 at once"),
                       ("fanout", "fanout, %d people, fast: deliveries/s"
                        % cfg["members"])):
        rs = out.get(key) or []
        if not rs:
            continue
        rr = ratio_rounds(rs, "rate", "new", "old")
        rows.append("| %s | %.0f | %.0f | %.2f (%s) |" % (
            label, med([r["old"]["rate"] for r in rs]),
            med([r["new"]["rate"] for r in rs]), med(rr),
            ", ".join("%.2f" % x for x in rr)))
    m = out.get("memory") or {}
    if "old" in m and "new" in m:
        rows.append("| memory per person at %d people (PSS) | %.1f KiB | "
                    "%.1f KiB | %.2f |" % (
                        cfg["members"], m["old"]["per_session_kib"],
                        m["new"]["per_session_kib"],
                        m["new"]["per_session_kib"] /
                        m["old"]["per_session_kib"]))
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--old", required=True)
    ap.add_argument("--new", required=True)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="connect,start,fanout")
    args = ap.parse_args()
    builds = {"old": builder(args.old), "new": builder(args.new)}
    cfg = dict(rounds=args.rounds, secs=2, members=1000, fast=200,
               fanout_rounds=3)
    if args.quick:
        cfg.update(rounds=1, secs=1, members=20, fast=50, fanout_rounds=1)
    run.raise_nofile()
    tmp = tempfile.mkdtemp(prefix="natter-ab-")
    out = {}
    try:
        for name, fn in (("connect", connect), ("start", start_rate),
                         ("fanout", fanout)):
            if name in args.only.split(","):
                fn(builds, tmp, cfg, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    m = run.machine()
    print("Machine: %s, %s core(s), %s; natter %s. Date: %s.\n" % (
        m["cpu"], m["cores"], m["kernel"], m["natter"], m["date"]))
    print("old: %s\nnew: %s\n" % (os.path.abspath(args.old),
                                  os.path.abspath(args.new)))
    print(table(out, cfg))


if __name__ == "__main__":
    main()
