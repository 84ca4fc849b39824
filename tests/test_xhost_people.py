"""What a person notices across hosts (issue 13): with natterd hosts
sharing one Redis, an account's ignore list follows it to any host
(natter:ignore:NAME), read at its log-in and written at each change,
pushed when Redis is back after a change made while it was away.  Each
test starts its own redis-server (tests/rserver.py).  Away marks too:
a /msg from another host to an away person gets the away notice, and
/who there shows the mark (natter:away:HOST, 'away' events)."""
import os

import harness as H
from rserver import RedisServer
from test_chat import make_users
from test_moderation import login
from test_xhost_faults import BACK, LOST
from test_xhost import who_until
from test_xhost_mod import host, name_free, redis_cmd


def people_users():
    """ann, bob, cy and mal, each an account."""
    return make_users(("ann", "pw-ann"), ("bob", "pw-bob"),
                      ("cy", "pw-cy"), ("mal", "pw-mal"))


def host_id(d):
    """d's host ID, as its broker logged it."""
    return d.log.wait(r"presence shared in Redis as host (\S+)").group(1)


def ignores_until(conn, text):
    """Asks /ignore until its answer is text (a list read from Redis
    is applied when its answer comes)."""
    def ok():
        conn.send_line("/ignore")
        m = conn.expect_re(r"\*\*\* You ignore[^\r\n]*")
        return m.group(0) == "*** " + text
    H.wait_until(ok, what="/ignore to say %r" % text, interval=0.05)


def test_ignore_list_follows_its_account_to_another_host():
    r = RedisServer()
    users = people_users()
    a, b = host(r.addr, users), host(r.addr, users)
    bob = login(a, "bob", "pw-bob")
    bob.send_line("/ignore mal")
    bob.expect("*** You now ignore mal.")
    assert redis_cmd(r, "GET", "natter:ignore:bob") == b"$4\r\nmal\n\r\n"
    bob.send_line("/exit")
    bob.expect_closed()
    mal = login(b, "mal", "pw-mal")
    ann = login(b, "ann", "pw-ann")
    who_until(mal, r"In lobby \(2\): ")          # B knows bob left A
    bob = login(b, "bob", "pw-bob")
    ignores_until(bob, "You ignore: mal")
    mal.send_line("hello from mal")
    ann.expect("[mal] : hello from mal")
    ann.send_line("after mal")
    bob.expect("[ann] : after mal")
    assert "hello from mal" not in bob.text
    mal.send_line("/msg bob psst")
    mal.expect("[you -> bob] (private) : psst")
    ann.send_line("/msg bob marker")
    bob.expect("[ann] (private) : marker")
    assert "psst" not in bob.text
    # /unignore on B: seen on A at bob's next log-in there
    bob.send_line("/unignore mal")
    bob.expect("*** You no longer ignore mal.")
    assert redis_cmd(r, "GET", "natter:ignore:bob") == b"$0\r\n\r\n"
    bob.send_line("/exit")
    bob.expect_closed()
    who_until(ann, r"In lobby \(2\): ")
    assert open(os.path.join(a.state, "ignore", "bob")).read() == "mal\n"
    bob = login(a, "bob", "pw-bob")
    ignores_until(bob, "You ignore no one.")
    H.wait_until(lambda: not os.path.exists(
        os.path.join(a.state, "ignore", "bob")), what="A's file emptied")
    mal.send_line("seen again")
    bob.expect("[mal] : seen again")


def test_ignore_list_changed_while_redis_is_away_is_pushed():
    r = RedisServer()
    users = people_users()
    a, b = host(r.addr, users), host(r.addr, users)
    bob = login(a, "bob", "pw-bob")
    r.kill()
    bob.expect(LOST)
    bob.send_line("/ignore cy")
    bob.expect("*** You now ignore cy.")      # in A's file
    r.start()                                 # empty
    bob.expect(BACK)
    a.log.wait(r"ignore lists: 1 changed while Redis was away pushed")
    H.wait_until(lambda: redis_cmd(r, "GET", "natter:ignore:bob") ==
                 b"$3\r\ncy\n\r\n", what="bob's list in Redis")
    bob.send_line("/exit")
    bob.expect_closed()
    b.log.wait(r"presence across hosts: back")
    cy = login(a, "cy", "pw-cy")
    name_free(r, "bob")
    bob = login(b, "bob", "pw-bob")
    ignores_until(bob, "You ignore: cy")


def test_a_list_from_before_sharing_is_shared_and_bad_ones_skipped():
    r = RedisServer()
    users = people_users()
    a, b = host(r.addr, users), host(r.addr, users)
    os.makedirs(os.path.join(a.state, "ignore"), exist_ok=True)
    with open(os.path.join(a.state, "ignore", "bob"), "w") as f:
        f.write("mal\n")
    bob = login(a, "bob", "pw-bob")            # no key: A's file is it
    ignores_until(bob, "You ignore: mal")
    H.wait_until(lambda: redis_cmd(r, "GET", "natter:ignore:bob") ==
                 b"$4\r\nmal\n\r\n", what="A's list pushed")
    redis_cmd(r, "SET", "natter:ignore:cy", "ok\nbad name\n")
    cy = login(b, "cy", "pw-cy")
    b.log.wait(r"an ignore list in Redis that is not valid")
    cy.send_line("/ignore")
    cy.expect("*** You ignore no one.")


def test_a_msg_to_an_away_person_of_another_host_gets_the_away_notice():
    r = RedisServer()
    users = people_users()
    a, b = host(r.addr, users), host(r.addr, users)
    ann = login(a, "ann", "pw-ann")
    cy = login(b, "cy", "pw-cy")
    bob = login(b, "bob", "pw-bob")
    who_until(ann, r"In lobby \(3\): ")
    cy.send_line("/away at lunch")
    cy.expect("*** You are away: at lunch")
    assert redis_cmd(r, "HVALS", "natter:away:" + host_id(b)) == \
        b"*1\r\n$8\r\nat lunch\r\n"
    who_until(ann, r"cy \(away: at lunch\)")   # /who on A shows it
    ann.send_line("/msg cy are you there?")
    ann.expect("[you -> cy] (private) : are you there?")
    ann.expect("*** cy is away: at lunch")
    cy.expect("[ann] (private) : are you there?")
    bob.send_line("/msg cy local")                # as on cy's own host
    bob.expect("*** cy is away: at lunch")
    # /back clears it on every host
    cy.send_line("/back")
    cy.expect("*** You are back.")
    who_until(ann, r"(?<![\w-])cy(?! \()")
    ann.send_line("/msg cy back?")
    ann.expect("[you -> cy] (private) : back?")
    cy.expect("[ann] (private) : back?")
    ann.send_line("/msg cy marker")
    cy.expect("[ann] (private) : marker")
    assert "cy is away" not in ann.text[ann.text.index("back?"):]
    assert redis_cmd(r, "HLEN", "natter:away:" + host_id(b)) == b":0\r\n"


def test_away_marks_come_with_the_snapshot_and_leave_with_their_person():
    r = RedisServer()
    users = people_users()
    b = host(r.addr, users)
    cy = login(b, "cy", "pw-cy")
    cy.send_line("/away gone fishing")
    cy.expect("*** You are away: gone fishing")
    a = host(r.addr, users)                       # its snapshot has it
    ann = login(a, "ann", "pw-ann")
    who_until(ann, r"cy \(away: gone fishing\)")
    ann.send_line("/msg cy hi")
    ann.expect("*** cy is away: gone fishing")
    cy.send_line("/exit")
    cy.expect_closed()
    who_until(ann, r"In lobby \(1\): ")
    assert redis_cmd(r, "HLEN", "natter:away:" + host_id(b)) == b":0\r\n"
    cy = login(b, "cy", "pw-cy")                   # not away any more
    who_until(ann, r"In lobby \(2\): ")
    ann.send_line("/who")
    m = ann.expect_re(r"\*\*\* In lobby \(2\): [^\r\n]*")
    assert "away" not in m.group(0)


def test_away_marks_are_announced_again_after_redis_restarts_empty():
    r = RedisServer()
    users = people_users()
    a, b = host(r.addr, users), host(r.addr, users)
    ann = login(a, "ann", "pw-ann")
    cy = login(b, "cy", "pw-cy")
    who_until(ann, r"In lobby \(2\): ")
    r.kill()
    ann.expect(LOST)
    cy.expect(LOST)
    cy.send_line("/away meeting")                 # while Redis is away
    cy.expect("*** You are away: meeting")
    r.start()                                     # empty
    ann.expect(BACK)
    cy.expect(BACK)
    who_until(ann, r"cy \(away: meeting\)")
    ann.send_line("/msg cy hello")
    ann.expect("*** cy is away: meeting")
