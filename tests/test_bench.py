"""The benchmark's smoke run (bench/run.py --quick), so it never rots:
tiny sizes, a few seconds, and sanity checks on every figure it prints.
A peer whose package is absent is skipped by the bench, which says why;
this test then checks natter's figures alone."""
import json
import os
import subprocess
import sys

import harness

ROOT = os.path.join(harness.HERE, "..")


def run_quick():
    for prog in ("natterd", "natter-session", "bench/connload",
                 "bench/chatload", "bench/hello"):
        if not os.access(harness.bin_path(prog), os.X_OK):
            raise AssertionError("not built: " + prog)
    out = os.path.join(harness.tmpdir(), "bench.json")
    p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "run.py"),
                        "--build", harness.BUILD, "--quick", "--json", out],
                       capture_output=True, text=True, timeout=100)
    assert p.returncode == 0, "bench failed:\n%s\n%s" % (p.stdout,
                                                         p.stderr[-3000:])
    for line in p.stderr.splitlines():
        if "skipping" in line:
            print(line)     # which peer is absent, and why
    with open(out) as f:
        return json.load(f), p.stdout


def ordered(p50, p99, top):
    """Percentiles come from a histogram whose buckets are within 1.6 %
    (bench/bench.h), the maximum is exact: p99 may pass it by that."""
    return 0 < p50 <= p99 <= top * 1.02 + 0.1


def check_conn(r, what):
    assert r["connections"] > 0 and r["rate"] > 0, (what, r)
    assert r["errors"] == 0, (what, r)
    assert ordered(r["p50_ms"], r["p99_ms"], r["max_ms"]), (what, r)


def check_fanout(d, what):
    assert d["sent"] > 0 and d["delivered"] > 0, (what, d)
    assert d["lost"] == 0, (what, d)     # low rates: nothing may be lost
    assert d["delivered"] == d["expected"], (what, d)
    assert ordered(d["p50_ms"], d["p99_ms"], d["max_ms"]), (what, d)


def test_bench_smoke():
    res, table = run_quick()
    peers = [p for p in ("tcpserver", "xinetd", "ngircd")
             if p not in res["skipped"]]
    assert "| # | figure | natter |" in table, table
    for conc in (1, 16):
        check_conn(res["connect"]["natterd/%d" % conc], "natterd hello")
        for peer in ("tcpserver", "xinetd"):
            if peer in peers:
                check_conn(res["connect"]["%s/%d" % (peer, conc)], peer)
                k = "%s/%d" % (peer, conc)
                # one round each: the median is that round's ratio
                assert res["connect_ratio_rounds"][k] == [
                    res["connect_ratio"][k]], res
    check_conn(res["start"]["natterd/16"], "natterd session start")
    if "tcpserver" in peers:
        check_conn(res["start"]["tcpserver/16"], "tcpserver session start")
    names = ["natter"] + (["ngircd"] if "ngircd" in peers else [])
    for name in names:
        assert res["fanout"]["%s/20/login" % name]["ready"] == 20
        for phase in ("fast", "steady"):
            d = res["fanout"]["%s/20/%s" % (name, phase)]
            check_fanout(d, name)
            assert d["rounds"] == 1 and d["lost_in_rounds"] == 0, d
    # the rounds behind the medians, each with every server's run
    rounds = res["fanout_rounds"]["20"]
    assert len(rounds) == res["config"]["fanout_rounds"] == 1, rounds
    assert sorted(rounds[0]["order"]) == sorted(names), rounds
    for name in names:
        check_fanout(rounds[0][name]["fast"], name + " round")
    if "ngircd" in peers:
        for phase in ("fast", "steady"):
            k = "ngircd/20/" + phase
            r = res["fanout_ratio"][k]
            assert r > 0 and res["fanout_ratio_rounds"][k] == [r], res
    mem = res["memory"]["natter"]
    assert mem["sessions"] == 20, mem
    assert mem["handlers_pss_kib"] > 0 and mem["broker_pss_kib"] > 0, mem
    # Idle means idle: natterd, the broker and 20 idle sessions together
    # use under 5 % of one CPU over the window (a process spinning at
    # 30-40 % would take 300 ms and more; the clock ticks are 10 ms).
    idle = res["idle"]["natter"]["cpu_ms"]
    window_ms = res["config"]["idle_secs"] * 1000
    assert 0 <= idle < 0.05 * window_ms, (idle, window_ms)
    # every row of the table has a figure for natter
    rows = [ln for ln in table.splitlines() if ln.startswith("| ") and
            not ln.startswith("| #")]
    assert len(rows) >= 6, table
    for ln in rows:
        assert ln.split("|")[3].strip() not in ("", "—"), ln


def test_bench_xhost_smoke():
    """Section 6 (--only xhost): one room over two natterd hosts
    sharing a Redis vs one host, tiny; nothing lost, one append script
    and one XADD per line."""
    import shutil
    if not shutil.which("redis-server"):
        raise harness.Skip("redis-server is not installed")
    out = os.path.join(harness.tmpdir(), "xhost.json")
    p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "run.py"),
                        "--build", harness.BUILD, "--quick", "--only",
                        "xhost", "--json", out],
                       capture_output=True, text=True, timeout=100)
    assert p.returncode == 0, "bench failed:\n%s\n%s" % (p.stdout,
                                                         p.stderr[-3000:])
    with open(out) as f:
        x = json.load(f)["xhost"]
    for hosts in (1, 2):
        for phase in ("fast", "steady"):
            check_fanout(x["%d/%s" % (hosts, phase)], "%d hosts" % hosts)
        for g in x["%d/redis" % hosts]:
            # one append script and one XADD per line (nobody leaves
            # before the counts are read; a join announced just after
            # they were reset is one presence event: an EVALSHA and an
            # XADD more), not one per recipient (20 here)
            assert g["calls"].get("evalsha", 0) >= g["sent"], g
            assert g["calls"]["xadd"] <= g["sent"] + 3, g
    assert "| 6 |" in p.stdout and "1 XADD per line | yes" in p.stdout
