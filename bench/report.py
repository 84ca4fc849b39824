#!/usr/bin/env python3
"""bench/report.py — the markdown table of a bench/run.py result.

    python3 bench/report.py results.json     # the table again, from --json

Each row: one figure for natter, the peer measured in the same run, the
peer's figure, natter ÷ peer, and the issue's target for that ratio (met
or not).  Rates: higher is better; latencies, memory, CPU: lower is.
"""
import json
import sys

IDLE_MAX_MS = 30    # "no CPU": at most 3 clock ticks in the idle window


def num(v, digits=0):
    if v is None:
        return "—"
    return "{:,.{}f}".format(v, digits)


def ratio(a, b):
    return a / b if a is not None and b else None


def verdict(r, op, target):
    if r is None:
        return "—"
    ok = r >= target if op == ">=" else r <= target
    return "yes" if ok else "**no**"


def ratio_text(r, t=None):
    """Two decimals, or as many more (up to 6) as it takes for a ratio
    that is not its target t not to read as it (1.097 against "≥ 1.1"
    is not met, and must not read 1.10)."""
    for digits in range(2, 7):
        text = "%.*f" % (digits, r)
        if t is None or r == t or text != "%.*f" % (digits, t):
            return text
    return text


def row(sect, figure, mine, peer, theirs, r, target="", met="",
        rounds=None, t=None, diff=None):
    """rounds: the per-round ratios the median r was taken over, shown
    beside it when there are several; t: the target's number, if the
    ratio has one; diff: a difference shown instead of a ratio."""
    cell = diff or ("—" if r is None else ratio_text(r, t))
    if r is not None and rounds and len(rounds) > 1:
        cell += " (rounds: %s)" % ", ".join(ratio_text(x, t)
                                            for x in rounds)
    return "| %s | %s | %s | %s | %s | %s | %s | %s |" % (
        sect, figure, mine, peer, theirs, cell, target, met)


def conn_cell(r):
    if r is None:
        return "—", None
    return "%s (%s / %s)" % (num(r["rate"]), num(r["p50_ms"], 1),
                             num(r["p99_ms"], 1)), r["rate"]


def connect_rows(res, sect, key, what, targets):
    rows = []
    concs = sorted({int(k.split("/")[1]) for k in res[key]})
    for conc in concs:
        mine, mrate = conn_cell(res[key].get("natterd/%d" % conc))
        for peer in ("tcpserver", "xinetd"):
            if "%s/%d" % (peer, conc) not in res[key]:
                continue
            theirs, prate = conn_cell(res[key]["%s/%d" % (peer, conc)])
            # the median of per-round ratios where the run kept them
            r = res.get(key + "_ratio", {}).get("%s/%d" % (peer, conc),
                                                ratio(mrate, prate))
            t = targets.get((peer, conc))
            rounds = res.get(key + "_ratio_rounds", {}).get(
                "%s/%d" % (peer, conc)) if t else None
            rows.append(row(sect, "%s, %d concurrent: /s (p50 / p99 ms)"
                            % (what, conc), mine, peer, theirs, r,
                            "≥ %.1f" % t if t else "",
                            verdict(r, ">=", t) if t else "", rounds, t))
    return rows


def fan_cell(d):
    """The median round's figures; the loss is over every round (a run
    before rounds has neither key and shows its one run's)."""
    if d is None:
        return "—"
    n = d.get("rounds", 1)
    return "%s (%s / %s / %s; lost %s%s)" % (
        num(d["rate"]), num(d["p50_ms"], 1), num(d["p99_ms"], 1),
        num(d["max_ms"], 1), num(d.get("lost_in_rounds", d["lost"])),
        " in %d rounds" % n if n > 1 else "")


def fanout_rows(res, sect):
    rows = []
    sizes = sorted({int(k.split("/")[1]) for k in res["fanout"]})
    big = max(sizes) if sizes else 0
    for members in sizes:
        for phase, what in (("fast", "as fast as possible"),
                            ("steady", "steady %s msg/s" % num(
                                res["config"]["rate"]))):
            m = res["fanout"].get("natter/%d/%s" % (members, phase))
            p = res["fanout"].get("ngircd/%d/%s" % (members, phase))
            if phase == "fast":
                r = ratio(m and m["rate"], p and p["rate"])
                t, op = (0.5, ">=") if members == big else (None, None)
            else:
                r = ratio(m and m["p99_ms"], p and p["p99_ms"])
                t, op = (2.0, "<=") if members == big else (None, None)
            # the median of per-round ratios where the run kept them
            k = "ngircd/%d/%s" % (members, phase)
            r = res.get("fanout_ratio", {}).get(k, r)
            rounds = res.get("fanout_ratio_rounds", {}).get(k) if t else None
            label = ("%d people, 10 senders, %s: deliveries/s "
                     "(p50 / p99 / max ms)" % (members, what))
            if phase == "steady":
                label += "; ratio of p99"
            n = (m or {}).get("rounds", 1)
            if n > 1:
                label += "; median of %d rounds" % n
            rows.append(row(sect, label, fan_cell(m),
                            "ngircd" if p else "—", fan_cell(p), r,
                            ("%s %.1f" % ("≥" if op == ">=" else "≤", t))
                            if t else "", verdict(r, op, t) if t else "",
                            rounds, t))
    return rows


def history_rows(res, sect):
    """natter with its room logs ÷ natter without (natterd -N), in the
    same rounds: deliveries/s, fast and steady, at each size."""
    rows = []
    sizes = sorted({int(k.split("/")[1]) for k in res["fanout"]
                    if k.startswith("natter-nohist/")})
    for members in sizes:
        for phase, what in (("fast", "as fast as possible"),
                            ("steady", "steady %s msg/s" % num(
                                res["config"]["rate"]))):
            m = res["fanout"].get("natter/%d/%s" % (members, phase))
            p = res["fanout"].get("natter-nohist/%d/%s" % (members, phase))
            k = "natter-nohist/%d/%s" % (members, phase)
            r = res.get("fanout_ratio", {}).get(
                k, ratio(m and m["rate"], p and p["rate"]))
            rounds = res.get("fanout_ratio_rounds", {}).get(k)
            label = ("%d people, 10 senders, %s, history on vs off: "
                     "deliveries/s (p50 / p99 / max ms)" % (members, what))
            rows.append(row(sect, label, fan_cell(m), "natter -N",
                            fan_cell(p), r, "≥ 0.9",
                            verdict(r, ">=", 0.9), rounds, 0.9))
    return rows


def replay_rows(res, sect):
    """Log-in to live chat with a 20-line replay vs none: p50 (ms)."""
    m, p = res.get("replay", {}).get("replay20"), \
        res.get("replay", {}).get("replay0")
    if m is None or p is None:
        return []
    d = m["p50_ms"] - p["p50_ms"]
    return [row(sect, "log-in to live chat, %d log-ins one at a time, "
                "20-line replay vs none: p50 / p99 ms (difference of p50 "
                "in the ratio column, ms)" % m["logins"],
                "%s / %s" % (num(m["p50_ms"], 2), num(m["p99_ms"], 2)),
                "natter -H 0", "%s / %s" % (num(p["p50_ms"], 2),
                                            num(p["p99_ms"], 2)),
                None, "p50 ≤ +1 ms", "yes" if d <= 1.0 else "**no**",
                None, None, diff="%+.2f ms" % d)]


def files_rows(res, sect):
    """A file through natterd vs socat (MB/s), and the room's p99."""
    f = res.get("files")
    if not f:
        return []
    rounds = f["ratios"]
    a, b = f["chat_alone"], f["chat_busy"]
    load = " (1-minute load %s to %s)" % tuple(f["load"]) \
        if f.get("load") else ""
    return [row(sect, "a %d MB file over loopback: MB/s (median of %d "
                "rounds)%s" % (f["mb"], len(rounds), load),
                "%s (natter /send, natterd relaying)" %
                num(f["natter_median"], 0), "socat",
                num(f["socat_median"], 0), f["ratio_median"], "≥ 0.8",
                verdict(f["ratio_median"], ">=", 0.8), rounds, 0.8)] + (
        [row(sect, "the same file through a relay that only copies (socat "
             "between two loopback connections, natterd's topology): "
             "MB/s", num(f["relay_median"], 0) + " (socat relay)", "socat",
             num(f["socat_median"], 0), f["relay_ratio_median"], "", "",
             f["relay_ratios"])] if "relay_median" in f else []) + [
            row(sect, "steady room (20 people, 200 lines/s) while %d "
                "transfers of %d MB ran back to back: p50 / p99 / max ms "
                "(ratio of p99)" % (f["transfers_during"], f["mb"]),
                "%s / %s / %s" % (b["p50_ms"], b["p99_ms"], b["max_ms"]),
                "no transfer", "%s / %s / %s" % (a["p50_ms"], a["p99_ms"],
                                                 a["max_ms"]),
                float(b["p99_ms"]) / float(a["p99_ms"])
                if float(a["p99_ms"]) else None)]


def memory_rows(res):
    m, p = res["memory"].get("natter"), res["memory"].get("ngircd")
    if m is None:
        return []
    mine = "%s KiB (%d sessions: handlers %s + broker %s KiB PSS)" % (
        num(m["per_session_kib"], 1), m["sessions"],
        num(m["handlers_pss_kib"]), num(m["broker_pss_kib"]))
    theirs = "—" if p is None else "%s KiB (RSS %s → %s KiB)" % (
        num(p["per_session_kib"], 1), num(p["base_rss_kib"]),
        num(p["rss_kib"]))
    r = ratio(m["per_session_kib"], p and p["per_session_kib"])
    ok = "yes" if m["per_session_kib"] <= 256 else "**no**"
    return [row(4, "memory per person at %s people" % num(
        res["config"]["hold_size"]), mine, "ngircd" if p else "—", theirs,
        r, "≤ 256 KiB (absolute)", ok)]


def idle_rows(res):
    m, p = res["idle"].get("natter"), res["idle"].get("ngircd")
    if m is None:
        return []
    secs = res["config"]["idle_secs"]
    r = ratio(m["cpu_ms"], p and p["cpu_ms"])
    ok = "yes" if m["cpu_ms"] <= IDLE_MAX_MS else "**no**"
    return [row(5, "CPU over %d s, %s idle people (natterd + broker + "
                "sessions)" % (secs, num(m["members"])),
                "%s ms" % num(m["cpu_ms"]), "ngircd" if p else "—",
                "—" if p is None else "%s ms" % num(p["cpu_ms"]), r,
                "≈ 0 (≤ %d ms, absolute)" % IDLE_MAX_MS, ok)]


def render(res):
    mc = res["machine"]
    out = ["Machine: %s, %s core(s), %s; natter %s; %s; %s; %s. "
           "Date: %s.%s" % (
               mc["cpu"], mc["cores"], mc["kernel"], mc["natter"],
               mc["tcpserver"], mc["xinetd"], mc["ngircd"], mc["date"],
               " QUICK smoke run (tiny sizes): not for comparison."
               if res.get("quick") else ""),
           "",
           "| # | figure | natter | peer | peer's figure | natter ÷ peer "
           "| target | met |",
           "|---|---|---|---|---|---|---|---|"]
    out += connect_rows(res, 1, "connect", "hello connections",
                        {("tcpserver", 16): 1.1})
    out += connect_rows(res, 2, "start", "session start (to `ID: `)", {})
    out += fanout_rows(res, 3)
    out += history_rows(res, 3)
    out += replay_rows(res, 2)
    out += memory_rows(res)
    if res.get("xhost"):
        import xhost
        out += xhost.xhost_rows(res, 6, row, fan_cell, verdict, num)
    out += idle_rows(res)
    out += files_rows(res, 6)
    for name, why in sorted(res.get("skipped", {}).items()):
        out.append("")
        out.append("Skipped %s: %s." % (name, why))
    if "seconds" in res:
        out.append("")
        out.append("The run took %s s." % num(res["seconds"]))
    return "\n".join(out)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: report.py results.json")
    with open(sys.argv[1]) as f:
        print(render(json.load(f)))
