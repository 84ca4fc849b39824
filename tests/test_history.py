"""Rooms that remember (issue 12): history on entering a room, /history,
moves announced as moves, history across broker crashes and natterd
restarts, and no line lost or doubled while the broker is SIGKILLed."""
import os
import re
import signal
import socket
import time

import harness as H
from harness import Natterd, wait_until
from test_chat import broker_pid, make_users

TIME = r"(?:\d{4}-\d\d-\d\d )?\d\d:\d\d "


def fast_natterd(*args, **kw):
    """natterd whose sessions take lines as fast as a test sends them."""
    return Natterd(*args, handler=[H.bin_path("natter-session"), "-r", "0"],
                   **kw)


def test_history_at_login_with_times_before_live_chat():
    d = Natterd()
    ann = d.login("ann")
    for i in range(3):
        ann.send_line("old line %d" % i)
    ann.send_line("/me waves")
    ann.send_line("/history 1")          # a reply: all four are logged
    ann.expect_re(TIME + r"\* ann waves")
    bob = d.login("bob")
    bob.expect("You are in lobby with: ann")
    for i in range(3):
        bob.expect_re(TIME + re.escape("[ann] : old line %d" % i))
    bob.expect_re(TIME + r"\* ann waves")
    bob.expect("*** Live chat.")
    ann.send_line("now live")
    bob.expect("\r\n[ann] : now live")   # live: no time before it
    # nobody spoke before ann came: no replay, no live marker at login
    assert "Live chat" not in ann.text.split("-----Chatting Room-----")[1] \
        .split("*** You are alone in lobby.")[0]


def test_history_n_shows_exactly_the_last_n():
    d = Natterd()
    ann = d.login("ann")
    for i in range(1, 8):
        ann.send_line("line %d" % i)
    ann.send_line("/history 3")
    m = ann.expect_re(r"(?s)(\d\d:\d\d .*?)\*\*\* Live chat\.")
    got = re.findall(r"\[ann\] : line (\d+)", m.group(1))
    assert got == ["5", "6", "7"], got
    ann.send_line("/history 0")
    ann.expect("Usage: /history [N]")
    ann.send_line("/history 501")
    ann.expect("at most 500 lines")


def test_a_private_line_is_never_in_history():
    d = Natterd()
    ann, bob = d.login("ann"), d.login("bob")
    ann.send_line("/msg bob a secret")
    bob.expect("[ann] (private) : a secret")
    ann.expect("[you -> bob] (private) : a secret")
    ann.send_line("public")
    bob.expect("[ann] : public")
    cy = d.login("cy")
    cy.expect_re(TIME + re.escape("[ann] : public"))
    cy.expect("Live chat.")
    cy.send_line("/history 50")
    cy.expect_re(TIME + re.escape("[ann] : public"))
    cy.expect("Live chat.")
    assert "secret" not in cy.text


def test_a_move_is_announced_as_a_move():
    d = Natterd()
    ann = d.login("ann")
    carol = d.login("carol")
    ann.expect("[carol] has joined the chat")
    carol.send_line("/join dev")
    carol.expect("You are now alone in dev.")
    ann.expect("[carol] has moved to room dev")
    carol.send_line("/join lobby")
    ann.expect("[carol] has come in from room dev")
    assert ann.text.count("has joined the chat") == 1


def lines_of(conn, name, prefix):
    return [int(n) for n in re.findall(
        r"\[%s\] : %s(\d+)\r\n" % (name, prefix), conn.text)]


def test_history_survives_kill_9_and_a_natterd_restart():
    d = Natterd()
    state = d.state
    ann = d.login("ann")
    ann.send_line("before the crash")
    ann.send_line("/history 1")
    ann.expect("Live chat.")
    old = broker_pid(d)
    os.kill(old, signal.SIGKILL)
    ann.expect("Reconnected.")
    ann.send_line("after the crash")
    ann.send_line("/history 5")
    ann.expect_re(TIME + re.escape("[ann] : before the crash"))
    ann.expect_re(TIME + re.escape("[ann] : after the crash"))
    d.stop()
    d2 = Natterd("-D", state)
    bob = d2.login("bob")
    bob.expect_re(TIME + re.escape("[ann] : before the crash"))
    bob.expect_re(TIME + re.escape("[ann] : after the crash"))
    bob.expect("Live chat.")


def new_broker(d, old):
    return wait_until(lambda: (lambda p: p if p != old else None)(
        broker_pid(d)), what="a new broker")


def storm(d, sender, send, kills=(100, 250, 400), total=500, rate=200):
    """Sends total numbered lines at about rate a second with send(i),
    SIGKILLing the broker after each count in kills."""
    pid = broker_pid(d)
    start = time.monotonic()
    for i in range(1, total + 1):
        send(i)
        if i in kills:
            os.kill(pid, signal.SIGKILL)
            pid = new_broker(d, pid)
        lag = start + i / rate - time.monotonic()
        if lag > 0:
            time.sleep(lag)


def test_zero_loss_public_lines_across_three_broker_kills():
    d = fast_natterd()
    people = [d.login("p%02d" % i) for i in range(20)]
    sender, others = people[0], people[1:]
    sender.send_line("/who")
    sender.expect("In lobby (20)")
    storm(d, sender, lambda i: sender.send_line("L%04d" % i))
    want = list(range(1, 501))

    def done():
        for o in others:
            o._fill(0)
        return all(lines_of(o, "p00", "L")[-1:] == [500] for o in others)
    wait_until(done, timeout=30, what="all 500 lines everywhere")
    time.sleep(0.3)   # anything doubled late would come now
    for o in others:
        o._fill(0.1)
        got = lines_of(o, "p00", "L")
        assert got == want, (len(got), [x for x in got if got.count(x) > 1]
                             [:5], sorted(set(want) - set(got))[:5])


def test_zero_loss_private_lines_across_three_broker_kills():
    d = fast_natterd()
    ann, bob = d.login("ann"), d.login("bob")
    storm(d, ann, lambda i: ann.send_line("/msg bob P%04d" % i))

    def done():
        bob._fill(0)
        return re.findall(r"\[ann\] \(private\) : P(\d+)",
                          bob.text)[-1:] == ["0500"]
    wait_until(done, timeout=30, what="all 500 private lines")
    time.sleep(0.3)   # anything doubled late would come now
    bob._fill(0.1)
    got = [int(n) for n in re.findall(r"\[ann\] \(private\) : P(\d+)",
                                      bob.text)]
    assert got == list(range(1, 501)), (len(got), sorted(
        set(range(1, 501)) - set(got))[:5])
    assert "may not have been delivered" not in ann.text
    assert "No such user" not in ann.text


def test_a_garbage_log_is_set_aside_and_chat_works():
    d0 = Natterd()
    state = d0.state
    d0.stop()
    with open(os.path.join(state, "lobby.log"), "wb") as f:
        f.write(os.urandom(4000))
    d = Natterd("-D", state)
    ann, bob = d.login("ann"), d.login("bob")
    ann.send_line("works")
    bob.expect("[ann] : works")
    d.log.wait(r"room lobby: log damaged at")
    assert len([l for l in d.log.lines if "log damaged" in l]) == 1, \
        d.log.text()
    assert any(n.startswith("lobby.log.bad") for n in os.listdir(state))


def natterd_on_a_file(line):
    """natterd whose state directory is a file: chat goes on without
    history; ann says line and bob hears it.  (d, state, ann, bob)"""
    state = os.path.join(H.tmpdir(), "state")
    with open(state, "w") as f:
        f.write("a file where the directory should be\n")
    d = Natterd("-D", state)
    d.log.wait(r"chat goes on without history")
    ann, bob = d.login("ann"), d.login("bob")
    ann.send_line(line)
    bob.expect("[ann] : " + line)
    return d, state, ann, bob


def test_an_unusable_state_directory_leaves_chat_without_history():
    d, state, ann, bob = natterd_on_a_file("still here")
    bob.send_line("/history")
    bob.expect("History is off on this server.")
    assert d.log.text().count("without history") == 1


def account_leaves(d, conn, name):
    """conn (an account) says /exit; the broker has seen it go."""
    conn.send_line("/exit")
    conn.expect_closed()
    d.log.wait(r"logout %s from" % name)


def test_what_an_account_missed_since_it_left():
    users = make_users(("ann", "pw-ann"), ("bob", "pw-bob"))
    # -H 2: the plain replay would show only the last two
    d = Natterd("-U", users, "-H", "2")
    ann = d.login("ann", "pw-ann")
    for i in range(3):
        ann.send_line("before %d" % i)
    ann.send_line("/history 1")
    ann.expect("Live chat.")
    account_leaves(d, ann, "ann")
    bob = d.login("bob", "pw-bob")
    for i in range(3):
        bob.send_line("missed %d" % i)
    bob.send_line("/history 1")
    bob.expect_re(TIME + re.escape("[bob] : missed 2"))
    ann = d.login("ann", "pw-ann")
    m = ann.expect_re(r"(?s)(\d\d:\d\d .*?)\*\*\* Live chat\.")
    got = re.findall(TIME + r"\[(\w+)\] : (\w+ \d)", m.group(1))
    assert got == [("bob", "missed %d" % i) for i in range(3)], ann.text
    assert "before" not in ann.text and "left out" not in ann.text
    bob.send_line("live now")
    ann.expect("\r\n[bob] : live now")
    # the plain replay when nothing more was missed; a guest has none
    account_leaves(d, ann, "ann")
    bob.send_line("just one")
    bob.send_line("/history 1")
    bob.expect_re(TIME + re.escape("[bob] : just one"))
    ann = d.login("ann", "pw-ann")
    m = ann.expect_re(r"(?s)(\d\d:\d\d .*?)\*\*\* Live chat\.")
    assert re.findall(r"\] : (.*?)\r\n", m.group(1)) == \
        ["live now", "just one"], ann.text


def test_what_an_account_missed_is_bounded():
    users = make_users(("ann", "pw-ann"), ("bob", "pw-bob"))
    d = fast_natterd("-U", users)
    ann = d.login("ann", "pw-ann")
    account_leaves(d, ann, "ann")
    bob = d.login("bob", "pw-bob")
    for i in range(1, 106):
        bob.send_line("M%03d" % i)
    bob.send_line("/history 1")
    bob.expect_re(TIME + re.escape("[bob] : M105"))
    ann = d.login("ann", "pw-ann")
    ann.expect("5 earlier lines were left out.")
    m = ann.expect_re(r"(?s)(.*?)\*\*\* Live chat\.")
    got = [int(n) for n in re.findall(TIME + r"\[bob\] : M(\d+)",
                                      m.group(1))]
    assert got == list(range(6, 106)), got
    # where ann left is written a little after (seen.h: batched)
    seen = os.path.join(d.state, "seen", "ann")
    wait_until(lambda: os.path.exists(seen), what=seen)
    assert re.fullmatch(r"lobby \d+\n", open(seen).read())


def test_a_state_directory_that_comes_right_is_taken_up():
    d, state, ann, bob = natterd_on_a_file("not logged")
    os.unlink(state)
    os.mkdir(state, 0o700)
    # tried again at 1, 3, 7, 15 s... after start (history.h)
    d.log.wait(r"history: state directory .* opened; history is on again",
               timeout=25)
    ann.send_line("logged")
    bob.expect("[ann] : logged")
    bob.send_line("/history 5")
    m = bob.expect_re(r"(?s)(\d\d:\d\d .*?)\*\*\* Live chat\.")
    assert re.findall(r"\] : (.*?)\r\n", m.group(1)) == ["logged"]
    assert os.path.exists(os.path.join(state, "lobby.log"))
    assert d.log.text().count("history is on again") == 1


def test_no_room_logs_with_n():
    d = Natterd("-n")
    ann, bob = d.login("ann"), d.login("bob")
    ann.send_line("not kept")
    bob.expect("[ann] : not kept")
    bob.send_line("/history")
    bob.expect("History is off on this server.")
    cy = d.login("cy")
    cy.send_line("/who")
    cy.expect("In lobby (3)")
    assert "not kept" not in cy.text
    assert not os.path.exists(os.path.join(d.state, "lobby.log"))
    assert "-N" in open("/proc/%d/cmdline" % broker_pid(d)).read() \
        .split("\0")


def test_a_last_line_before_hanging_up_survives_a_broker_restart():
    d = Natterd()
    ann, bob = d.login("ann"), d.login("bob")
    ann.send_line("/who")
    ann.expect("In lobby (2)")
    pid = broker_pid(d)
    os.kill(pid, signal.SIGSTOP)     # it reads nothing from here on
    ann.send_line("last words")
    ann.sock.shutdown(socket.SHUT_WR)
    time.sleep(0.2)                  # the session has read the line, EOF
    os.kill(pid, signal.SIGKILL)     # and the broker never read it
    new_broker(d, pid)
    # ann's session waits for its line's ack (up to 2 s), so it sends it
    # again to the new broker before it ends
    bob.expect("[ann] : last words", timeout=15)
    # then it ends: bob sees her leave, or, when it came before his own
    # rejoin of the new broker, no longer finds her in the room
    def ann_gone():
        bob.send_line("/who")
        m = bob.expect_re(r"In lobby \((\d+)\)")
        return m.group(1) == "1"
    wait_until(ann_gone, timeout=10, what="ann's session to end",
               interval=0.2)
