"""natter across machines (issue 13): natterd hosts sharing their rooms
through one Redis.  Two natterds (two brokers, two state directories,
two ports) on a redis-server the test starts: public lines and /me cross
hosts in order, exactly once, both ways; a replay on one host shows what
was said on the other; Redis killed and started again (empty): chat goes
on on each host, one log line each way, and shared chat resumes; the
lines said meanwhile reach the other host once Redis is back, once."""
import re

import harness as H
from harness import Natterd
from rserver import RedisServer

TIME = r"(?:\d{4}-\d\d-\d\d )?\d\d:\d\d "


def fast(*args, **kw):
    """natterd whose sessions take lines as fast as a test sends them."""
    return Natterd(*args, handler=[H.bin_path("natter-session"), "-r", "0"],
                   **kw)


def two_hosts(redis):
    a = fast("-R", redis.addr)
    b = fast("-R", redis.sock)       # a UNIX socket path works too
    for d in (a, b):
        d.log.wait(r"room logs shared in Redis")
    return a, b


def received(conn, literal):
    """Waits until literal is anywhere in what conn received (expect
    would look only past what earlier expects consumed)."""
    def seen():
        conn._fill(0.05)
        return literal in conn.text
    H.wait_until(seen, what=literal)


def test_lines_and_actions_cross_hosts_in_order_exactly_once():
    r = RedisServer()
    a, b = two_hosts(r)
    ann, cy = a.login("ann"), a.login("cy")
    bob, dee = b.login("bob"), b.login("dee")
    ann.send_line("first from A")
    bob.expect("[ann] : first from A")
    ann.send_line("/me waves from A")
    bob.expect("* ann waves from A")
    bob.send_line("hello from B")
    ann.expect("[bob] : hello from B")
    bob.send_line("/me nods")
    ann.expect("* bob nods")
    for i in range(20):
        ann.send_line("a%02d" % i)
        bob.send_line("b%02d" % i)
    for c, last in ((bob, "[ann] : a19"), (cy, "[ann] : a19"),
                    (dee, "[ann] : a19"), (ann, "[bob] : b19"),
                    (cy, "[bob] : b19"), (dee, "[bob] : b19")):
        received(c, last)
    # each line once, in its sender's order, on the other host
    seen_b = re.findall(r"\[ann\] : (a\d\d)", bob.text)
    seen_a = re.findall(r"\[bob\] : (b\d\d)", ann.text)
    assert seen_b == ["a%02d" % i for i in range(20)], seen_b
    assert seen_a == ["b%02d" % i for i in range(20)], seen_a
    assert bob.text.count("* ann waves from A") == 1
    assert ann.text.count("[bob] : hello from B") == 1
    assert dee.text.count("* bob nods") == 1    # B's own, not doubled
    # one order for everyone: cy on A and dee on B saw the 40 lines
    # in the same order (the room's log order)
    rx = r"\[(?:ann|bob)\] : ([ab]\d\d)"
    got_c, got_d = re.findall(rx, cy.text), re.findall(rx, dee.text)
    assert len(got_c) == 40 and got_c == got_d, (got_c, got_d)
    ann.expect_none(r"\[ann\] : a0", within=0.3)  # never back to ann


def test_replay_on_one_host_shows_lines_said_on_the_other():
    r = RedisServer()
    a, b = two_hosts(r)
    ann = a.login("ann")
    for i in range(3):
        ann.send_line("said on A %d" % i)
    ann.send_line("/me left a note")
    ann.send_line("/history 1")
    ann.expect("* ann left a note")
    carol = b.login("carol")
    for i in range(3):
        carol.expect_re(TIME + re.escape("[ann] : said on A %d" % i))
    carol.expect_re(TIME + r"\* ann left a note")
    carol.expect("*** Live chat.")
    ann.send_line("now live")
    carol.expect("\r\n[ann] : now live")


def test_redis_restarted_chat_goes_on_then_shared_again():
    r = RedisServer()
    a, b = two_hosts(r)
    ann, ann2 = a.login("ann"), a.login("ann2")
    bob, bob2 = b.login("bob"), b.login("bob2")
    ann.send_line("before")
    bob.expect("[ann] : before")
    r.kill()
    ann.send_line("local on A")
    ann2.expect("[ann] : local on A")
    bob.send_line("local on B")
    bob2.expect("[bob] : local on B")
    for d in (a, b):
        d.log.wait(r"history not written \(redis\)")
    ann.send_line("still local on A")
    ann2.expect("[ann] : still local on A")
    r.start()                            # empty: no AOF, no RDB
    for d in (a, b):
        d.log.wait(r"history written again", timeout=20)
    # one line when it stops, one when it resumes: never one per line
    for d in (a, b):
        assert len(re.findall(r"history not written", d.log.text())) == 1
        assert len(re.findall(r"history written again", d.log.text())) == 1
    H.wait_until(lambda: _crosses(ann, bob), timeout=20,
                 what="a line from A to reach B after the restart")
    bob.send_line("back from B")
    ann.expect("[bob] : back from B")
    ann2.expect("[bob] : back from B")
    assert ann.text.count("[bob] : back from B") == 1
    # said while apart: kept, and shared once Redis is back, once
    received(ann, "[bob] : local on B")
    received(bob, "[ann] : still local on A")
    ann.expect_none(r"zzz", within=0.5)
    bob._fill(0.1)
    assert ann.text.count("[bob] : local on B") == 1, ann.text
    assert bob.text.count("[ann] : local on A") == 1, bob.text
    assert bob.text.count("[ann] : still local on A") == 1, bob.text
    assert bob.text.count("[ann] : before") == 1


_n = [0]


def _crosses(src, dst):
    """Says a numbered line on src; True once dst shows it (the reader
    comes back after the writer: lines said in between are logged, and
    reach the other host once its reader reads again)."""
    _n[0] += 1
    line = "probe %d" % _n[0]
    src.send_line(line)
    try:
        dst.expect("[%s] : %s" % ("ann", line), timeout=1.0)
        return True
    except AssertionError:
        return False


def test_password_from_a_file_and_a_broker_alone():
    """A Redis that wants a password: natterd -R with
    NATTER_REDIS_PASSWORD_FILE logs lines there (else /history would not
    show them); natterd -B -R with NATTER_REDIS_PASSWORD serves; an
    unreadable password file stops the broker (100)."""
    import os
    import subprocess
    r = RedisServer(password="s3cret pw")
    d = H.tmpdir()
    pwfile = os.path.join(d, "pw")
    with open(pwfile, "w") as f:
        f.write("s3cret pw\n")
    os.chmod(pwfile, 0o600)
    sock = os.path.join(d, "run", "broker.sock")
    env = dict(os.environ, NATTER_REDIS_PASSWORD="s3cret pw")
    p = H.spawn([H.bin_path("natterd"), "-B", "-f", "-s", sock, "-D",
                 os.path.join(d, "state"), "-R", r.addr], env=env,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
    log = H.LogReader(p.stderr)
    log.wait(r"broker listening on")
    a = fast("-R", r.addr, env={"NATTER_REDIS_PASSWORD_FILE": pwfile})
    ann = a.login("ann")
    ann.send_line("logged with a password")
    ann.send_line("/history 1")
    ann.expect("[ann] : logged with a password")
    assert "history not written" not in a.log.text()
    p.terminate()
    assert p.wait(timeout=10) == 0
    env["NATTER_REDIS_PASSWORD_FILE"] = os.path.join(d, "missing")
    q = subprocess.run([H.bin_path("natter-broker"), "-R", r.addr, "-s",
                        os.path.join(d, "state2"), sock], env=env,
                       capture_output=True, text=True, timeout=10)
    assert q.returncode == 100, q
    assert "Redis password file" in q.stderr
