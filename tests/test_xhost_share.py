"""Offline messages across hosts (issue 13): with natterd hosts sharing
one Redis, a /msg to an account logged in nowhere is kept in Redis
(natter:mail:NAME) and delivered once, at the account's next log-in on
any host, with the time it was left; the local mailbox's bounds hold;
while Redis is away it is kept on the sender's host and pushed to Redis
when it is back.  Room topics too: a topic set on one host shows to
the room's people on every host and to those who join later, also one
set while Redis was away.  Each test starts its own redis-server
(tests/rserver.py)."""
import os

import harness as H
from rserver import RedisServer
from test_moderation import login, op_users
from test_xhost_faults import BACK, LOST
from test_xhost import who_until
from test_xhost_mod import host, redis_cmd

KEPT = ("*** bob is not logged in; your message will be delivered when "
        "they log in.")
LEFT = r"\[ann\] \(private, left \d{4}-\d\d-\d\d \d\d:\d\d UTC\) : "


def test_offline_message_reaches_another_host_once():
    r = RedisServer()
    users = op_users()
    a, b = host(r.addr, users), host(r.addr, users)
    ann = login(a, "ann", "pw-ann")
    ann.send_line("/msg BOB see you at 5")
    ann.expect("[you -> bob] (private) : see you at 5")
    ann.expect(KEPT)
    assert redis_cmd(r, "LLEN", "natter:mail:bob") == b":1\r\n"
    assert not os.path.exists(os.path.join(a.state, "mail", "bob"))
    bob = login(b, "bob", "pw-bob")
    bob.expect("*** 1 private message was left for you while you were "
               "away:")
    bob.expect_re(LEFT + "see you at 5")
    assert redis_cmd(r, "EXISTS", "natter:mail:bob") == b":0\r\n"
    bob.send_line("/exit")
    bob.expect_closed()
    # not again on A, nor on B: only what was left since
    who_until(ann, r"In lobby \(1\): ")     # A knows bob left
    ann.send_line("/msg bob second")
    ann.expect(KEPT)
    bob2 = login(a, "bob", "pw-bob")
    bob2.expect("*** 1 private message was left for you while you were "
                "away:")
    bob2.expect_re(LEFT + "second")
    bob2.send_line("/exit")
    bob2.expect_closed()
    assert "see you at 5" not in bob2.text
    cy = login(b, "cy", "pw-cy")
    who_until(cy, r"In lobby \(2\): ")      # B knows bob left A
    bob3 = login(b, "bob", "pw-bob")
    who_until(ann, r"In lobby \(3\): ")     # A knows bob is on B
    ann.send_line("/msg bob online now")
    bob3.expect("[ann] (private) : online now")   # on B: not kept
    assert "left for you" not in bob3.text


def test_offline_messages_bounded_in_redis():
    r = RedisServer()
    users = op_users()
    a, b = host(r.addr, users), host(r.addr, users)
    ann = login(a, "ann", "pw-ann")
    for i in range(10):
        ann.send_line("/msg cy n%d" % i)
        ann.expect("[you -> cy] (private) : n%d" % i)
        ann.expect("*** cy is not logged in; your message will be")
    ann.send_line("/msg cy one too many")
    ann.expect("*** cy is not logged in; their mailbox is full; your "
               "message was not kept.")
    assert redis_cmd(r, "LLEN", "natter:mail:cy") == b":10\r\n"
    # 50 in all: 39 more by hand (one not valid), then dee's one
    for i in range(38):
        redis_cmd(r, "RPUSH", "natter:mail:cy", "1700000000\tzed\tx%d" % i)
    redis_cmd(r, "RPUSH", "natter:mail:cy", "garbage\tx")
    dee = login(b, "dee", "pw-dee")
    dee.send_line("/msg cy last")
    dee.expect("*** cy is not logged in; your message will be")
    dee.send_line("/msg cy past fifty")
    dee.expect("*** cy is not logged in; their mailbox is full")
    cy = login(b, "cy", "pw-cy")
    cy.expect("*** 49 private messages were left for you while you were "
              "away:")
    cy.expect("n9")
    cy.expect("[zed] (private, left 2023-11-14 22:13 UTC) : x37")
    cy.expect("last")
    assert "one too many" not in cy.text and "past fifty" not in cy.text
    b.log.wait(r"offline message in Redis that is not valid")
    assert redis_cmd(r, "EXISTS", "natter:mail:cy") == b":0\r\n"


def test_offline_message_kept_while_redis_is_away():
    r = RedisServer()
    users = op_users()
    a, b = host(r.addr, users), host(r.addr, users)
    ann = login(a, "ann", "pw-ann")
    r.kill()
    ann.expect(LOST)
    ann.send_line("/msg bob kept here")
    ann.expect(KEPT)
    mail = os.path.join(a.state, "mail", "bob")
    assert os.path.exists(mail)
    r.start()                                    # empty
    ann.expect(BACK)
    H.wait_until(lambda: not os.path.exists(mail),
                 what="A's mailbox pushed to Redis")
    a.log.wait(r"offline messages: the mailboxes of 1 accounts kept here "
               r"pushed to Redis")
    assert redis_cmd(r, "LLEN", "natter:mail:bob") == b":1\r\n"
    b.log.wait(r"presence across hosts: back")
    bob = login(b, "bob", "pw-bob")
    bob.expect("*** 1 private message was left for you while you were "
               "away:")
    bob.expect_re(LEFT + "kept here")


def test_topic_set_on_one_host_shows_on_every_host():
    r = RedisServer()
    users = op_users()
    a, b = host(r.addr, users), host(r.addr, users)
    for d in (a, b):
        d.log.wait(r"moderation across hosts: 0 shared topics merged")
    ann = login(a, "ann", "pw-ann")
    bob = login(b, "bob", "pw-bob")
    who_until(ann, r"In lobby \(2\): ")
    ann.send_line("/topic Welcome, be kind")
    ann.expect("*** Topic set.")
    bob.expect("*** Topic of lobby: Welcome, be kind (set by ann)")
    b.log.wait(r"ann set the topic of lobby \(on another server\)")
    assert redis_cmd(r, "HGET", "natter:topics", "lobby") == \
        b"$20\r\nann\tWelcome, be kind\r\n"
    topics_b = os.path.join(b.state, "topics")
    H.wait_until(lambda: os.path.exists(topics_b) and
                 "lobby\tann\tWelcome, be kind\n" in open(topics_b).read(),
                 what="the topic in B's topics file")
    cy = login(b, "cy", "pw-cy")                  # joins later, on B
    assert "Topic of lobby: Welcome, be kind (set by ann)" in cy.text
    cy.send_line("/rooms")
    cy.expect('"Welcome, be kind"')
    # a host started later has both
    ann.send_line("/join hall")
    ann.expect("*** You are now alone in hall.")
    ann.send_line("/topic the hall's")
    ann.expect("*** Topic set.")
    ann.send_line("/join lobby")
    ann.expect("*** Topic of lobby: Welcome, be kind (set by ann)")
    ann.expect("*** You are now in lobby with: ")
    H.wait_until(lambda: redis_cmd(r, "HEXISTS", "natter:topics", "hall")
                 == b":1\r\n", what="hall's topic in Redis")
    c = host(r.addr, users)
    c.log.wait(r"moderation across hosts: 2 shared topics merged")
    dee = login(c, "dee", "pw-dee")
    assert "Topic of lobby: Welcome, be kind (set by ann)" in dee.text
    dee.send_line("/join hall")
    dee.expect("*** Topic of hall: the hall's (set by ann)")


def test_topic_set_while_redis_is_away_is_shared_when_back():
    r = RedisServer()
    users = op_users()
    a, b = host(r.addr, users), host(r.addr, users)
    ann = login(a, "ann", "pw-ann")
    r.kill()
    ann.expect(LOST)
    ann.send_line("/topic said apart")
    ann.expect("*** Topic set.")
    r.start()                                    # empty
    ann.expect(BACK)
    b.log.wait(r"presence across hosts: back")
    H.wait_until(lambda: redis_cmd(r, "HEXISTS", "natter:topics", "lobby")
                 == b":1\r\n", what="the topic in Redis")
    bob = login(b, "bob", "pw-bob")   # at the join, or as a change
    bob.expect("*** Topic of lobby: said apart (set by ann)")
