"""bench/xhost.py — bench/run.py's section 6 (--only xhost): one room
split over two natterd hosts sharing a Redis, against the same load on
one host with the same Redis (issue 13).

Per round (cfg["fanout_rounds"], the order swapped every round): a
fresh natterd (-R) with every member, then two fresh natterds (-R, the
same Redis) with every second member on the second (chatload -A), so
half the senders are on each host and about half of every line's
deliveries cross hosts.  The Redis is emptied (FLUSHALL) before each
run; its command counts (INFO commandstats) are reset once every member
is in and read after the steady phase: commands per line sent, and the
append script's calls (EVALSHA, EVAL) per line.
"""
import os
import shutil
import socket
import statistics
import subprocess
import time


def resp(port, *args):
    """One command to the Redis on port; the raw reply (small ones)."""
    cmd = b"*%d\r\n" % len(args) + b"".join(
        b"$%d\r\n%s\r\n" % (len(a), a) for a in (x.encode() for x in args))
    with socket.create_connection(("127.0.0.1", port), 5) as s:
        s.sendall(cmd)
        data = b""
        s.settimeout(5)
        while True:
            chunk = s.recv(65536)
            data += chunk
            if not chunk or data.endswith(b"\r\n") and (
                    not data.startswith(b"$") or data.count(b"\r\n") >= 2):
                break
    return data.decode(errors="replace")


def commandstats(port):
    """{command: calls} from INFO commandstats."""
    out = {}
    for line in resp(port, "INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_"):
            name, rest = line[8:].split(":", 1)
            calls = dict(kv.split("=") for kv in rest.split(","))["calls"]
            out[name] = int(calls)
    return out


def start_redis(run, tmp):
    port = run.free_port()
    d = os.path.join(tmp, "redis")
    os.makedirs(d, exist_ok=True)
    srv = run.Server("redis", ["redis-server", "--port", str(port), "--bind",
                               "127.0.0.1", "--dir", d, "--save", "",
                               "--appendonly", "no"], tmp,
                     lambda s: run.port_open(port))
    srv.port = port
    return srv


def one_run(run, tmp, cfg, redis, members, hosts, tag):
    resp(redis.port, "FLUSHALL")
    session = [run.B("natter-session"), "-r", "0"]
    srvs = [run.start_natterd(run.B, tmp, "xhost-%s-%d" % (tag, i), session,
                              ["-R", "127.0.0.1:%d" % redis.port])
            for i in range(hosts)]
    # hold: the members stay until the counts are read (their leaves
    # are presence scripts, not lines)
    chat = run.Chat(srvs[0].port, "natter", members, cfg, True)
    if hosts == 2:  # every second member on the second host
        chat.proc.kill()
        chat.proc.wait()
        argv = [run.B("bench/chatload"), "-P", "natter", "-m", str(members),
                "-s", "10", "-f", str(cfg["fast"][members]),
                "-r", str(cfg["rate"]), "-d", str(cfg["steady_secs"]),
                "-j", "32", "-t", "300", "-x", "b", "-H", "600",
                "-A", str(srvs[1].port),
                "127.0.0.1", str(srvs[0].port)]
        chat.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     start_new_session=True)
    try:
        chat.until("login", 280)
        resp(redis.port, "CONFIG", "RESETSTAT")
        ph = chat.until("hold", 280)
        stats = commandstats(redis.port)
        for phase in ("login", "fast", "steady"):
            if phase not in ph:
                raise RuntimeError("xhost %d hosts: no %s result; log: %s" % (
                    hosts, phase, srvs[-1].text()[-800:]))
        sent = ph["fast"]["sent"] + ph["steady"]["sent"]
        got = {p: ph[p] for p in ("login", "fast", "steady")}
        got["redis"] = dict(
            sent=sent, calls=stats,
            per_line=sum(stats.values()) / sent if sent else None,
            appends_per_line=(stats.get("evalsha", 0) +
                              stats.get("eval", 0)) / sent if sent else None)
        return got
    finally:
        chat.close()
        for s in srvs:
            s.stop()


def section_xhost(run, tmp, cfg, peers, res):
    if not shutil.which("redis-server"):
        res["skipped"]["xhost"] = "redis-server is not installed"
        return
    members = max(cfg["sizes"])
    redis = start_redis(run, tmp)
    rounds = []
    try:
        for rnd in range(cfg["fanout_rounds"]):
            got = {}
            for hosts in ((1, 2) if rnd % 2 == 0 else (2, 1)):
                run.note("xhost: %d host(s), %d people, round %d of %d" % (
                    hosts, members, rnd + 1, cfg["fanout_rounds"]))
                got[hosts] = one_run(run, tmp, cfg, redis, members, hosts,
                                     "%d-%d" % (hosts, rnd))
            rounds.append(got)
    finally:
        redis.stop()
    out = dict(members=members, rounds=len(rounds))
    for hosts in (1, 2):
        for phase, key in (("fast", "rate"), ("steady", "p99_ms")):
            runs = [g[hosts][phase] for g in rounds]
            pick = sorted(runs, key=lambda r: r[key])[len(runs) // 2]
            out["%d/%s" % (hosts, phase)] = dict(
                pick, lost_in_rounds=sum(r["lost"] for r in runs))
        out["%d/redis" % hosts] = [g[hosts]["redis"] for g in rounds]
    fast = [g[2]["fast"]["rate"] / g[1]["fast"]["rate"] for g in rounds
            if g[1]["fast"]["rate"]]
    p99 = [g[2]["steady"]["p99_ms"] / g[1]["steady"]["p99_ms"]
           for g in rounds if g[1]["steady"]["p99_ms"]]
    out["fast_ratio"] = statistics.median(fast) if fast else None
    out["fast_ratios"] = fast
    out["p99_ratio"] = statistics.median(p99) if p99 else None
    out["p99_ratios"] = p99
    res["xhost"] = out


def xhost_rows(res, sect, row, fan_cell, verdict, num):
    """report.py's rows for section 6."""
    x = res.get("xhost")
    if not x:
        return []
    n = x["members"]
    rows = []
    for phase, what, r, rs, t, op in (
            ("fast", "as fast as possible: deliveries/s", x["fast_ratio"],
             x["fast_ratios"], 0.7, ">="),
            ("steady", "steady %s msg/s; ratio of p99" %
             num(res["config"]["rate"]), x["p99_ratio"], x["p99_ratios"],
             2.0, "<=")):
        label = ("%d people in one room over 2 hosts sharing a Redis, 10 "
                 "senders, %s (p50 / p99 / max ms); median of %d rounds"
                 % (n, what, x["rounds"]))
        rows.append(row(sect, label, fan_cell(x["2/%s" % phase]), "1 host",
                        fan_cell(x["1/%s" % phase]), r,
                        "%s %.1f" % ("≥" if op == ">=" else "≤", t),
                        verdict(r, op, t), rs, t))
    def per(hosts, *cmds):
        got = [sum(g["calls"].get(c, 0) for c in cmds) / g["sent"]
               for g in x["%d/redis" % hosts] if g["sent"]]
        return statistics.median(got) if got else None

    def xadds(hosts):
        """XADDs per line: the append scripts' (members stay until the
        counts are read, so no presence script runs meanwhile)."""
        return per(hosts, "xadd")

    def cell(hosts):
        return "%.2f / %.2f / %.2f" % (per(hosts, "evalsha"),
                                       xadds(hosts), per(hosts, "xread"))
    xadd = xadds(2)
    if xadd is not None:
        rows.append(row(sect, "Redis per line sent: append scripts "
                        "(EVALSHA) / their XADDs / XREAD; "
                        "INFO commandstats, median of %d rounds"
                        % x["rounds"], cell(2), "1 host", cell(1), None,
                        "1 XADD per line",
                        "yes" if xadd < 1.01 else "**no**"))
    return rows
