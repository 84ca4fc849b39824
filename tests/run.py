#!/usr/bin/env python3
"""The test runner: every unit binary and every tests/test_*.py.

Unit binaries print one "ok ..." or "FAIL ..." line per check.  Python
test modules define functions named test_*; each is one test, run in a
fresh child process with a time limit, so a hung or crashing test cannot
take the run down.  Modules run two at a time (the machine has two cores).

Ends with the line "N passed, N failed, N skipped"; exits 1 on any failure.
Under CI=true (.ci/run, after tests/deps.sh installed every package the
tests use) a skipped test counts as failed.
"""
import argparse
import concurrent.futures
import glob
import importlib.util
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TEST_TIMEOUT = 120  # seconds for one test function, a hang counts as failure


def run_units(build):
    results = []
    for exe in sorted(glob.glob(os.path.join(build, "tests", "test_*"))):
        if not os.access(exe, os.X_OK) or os.path.isdir(exe):
            continue
        name = os.path.basename(exe)
        try:
            p = subprocess.run([exe], capture_output=True, text=True,
                               timeout=TEST_TIMEOUT)
        except subprocess.TimeoutExpired:
            results.append(("FAIL", name, "timed out"))
            continue
        checks = 0
        for line in p.stdout.splitlines():
            if line.startswith("ok "):
                results.append(("PASS", name + " " + line[3:], ""))
                checks += 1
            elif line.startswith("FAIL "):
                results.append(("FAIL", name + " " + line[5:], ""))
                checks += 1
        if p.returncode != 0 and not any(r[0] == "FAIL" and r[1].startswith(name)
                                         for r in results):
            results.append(("FAIL", name, "exit %d\n%s" % (p.returncode, p.stderr)))
        elif checks == 0:
            results.append(("FAIL", name, "no checks ran"))
    return results


def list_tests(path):
    spec = importlib.util.spec_from_file_location(
        os.path.basename(path)[:-3], path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return [n for n in dir(mod) if n.startswith("test_") and callable(getattr(mod, n))]


def run_one(build, path, func):
    env = dict(os.environ, NATTER_BUILD=os.path.abspath(build),
               PYTHONDONTWRITEBYTECODE="1")
    start = time.monotonic()
    try:
        p = subprocess.run([sys.executable, os.path.join(HERE, "run.py"),
                            "--one", path, func], capture_output=True,
                           text=True, timeout=TEST_TIMEOUT, env=env)
        out = p.stdout + p.stderr
        if p.returncode == 0:
            status = "PASS"
        elif p.returncode == 77 and os.environ.get("CI") == "true":
            # CI installs everything (tests/deps.sh): a skip there is a
            # test that silently stopped testing.
            status = "FAIL"
            out = "skipped under CI=true, where nothing may be\n" + out
        elif p.returncode == 77:
            status = "SKIP"
        else:
            status = "FAIL"
    except subprocess.TimeoutExpired as e:
        status, out = "FAIL", "timed out after %ds\n%s" % (
            TEST_TIMEOUT, (e.stdout or b"").decode(errors="replace"))
    name = "%s.%s (%.1fs)" % (os.path.basename(path)[:-3], func,
                              time.monotonic() - start)
    return status, name, out


def run_single(path, func):
    sys.path.insert(0, HERE)
    import harness
    spec = importlib.util.spec_from_file_location(
        os.path.basename(path)[:-3], path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    try:
        getattr(mod, func)()
    except harness.Skip as e:
        print("skipped:", e)
        harness.cleanup()
        sys.exit(77)
    finally:
        harness.cleanup()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--one", nargs=2)
    ap.add_argument("-k", help="run only tests whose name contains this")
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--units", action="store_true",
                    help="only the unit binaries and the fuzz corpora's "
                    "replays (make check-asan-units)")
    args = ap.parse_args()
    if args.one:
        run_single(*args.one)
        return
    units = [] if args.k else run_units(args.build)
    # unit failures are printed at the end, after the modules' output
    results = list(units)
    jobs = []
    for path in sorted(glob.glob(os.path.join(HERE, "test_*.py"))):
        if args.units:
            break
        for func in list_tests(path):
            name = os.path.basename(path)[:-3] + "." + func
            if args.k and args.k not in name:
                continue
            jobs.append((path, func))
    with concurrent.futures.ThreadPoolExecutor(args.j) as ex:
        for status, name, out in ex.map(lambda j: run_one(args.build, *j), jobs):
            print("%s %s" % (status, name), flush=True)
            if status != "PASS" and out.strip():
                print("    " + out.strip().replace("\n", "\n    "), flush=True)
            results.append((status, name, out))
    for status, name, out in units:
        if status == "FAIL":
            print("FAIL %s %s" % (name, out))
    passed = sum(1 for r in results if r[0] == "PASS")
    failed = sum(1 for r in results if r[0] == "FAIL")
    skipped = sum(1 for r in results if r[0] == "SKIP")
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
