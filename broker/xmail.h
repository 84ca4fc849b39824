/* xmail.h — offline messages across hosts (issue 13): with
 * natter-broker -R, a /msg to an account logged in on no host is kept
 * in Redis and delivered when the account logs in on any host, once.
 * The key and the scripts are in xmail.c's header and doc/DESIGN.md
 * ("Across machines").
 *
 * mailbox.c calls in (dispatch lines); without -R, or while Redis is
 * away, each returns 0 and the host's own mailbox file is used as
 * before.  Nothing waits for Redis: commands go out on the command
 * link, answers come on a later loop pass. */
#ifndef NATTER_BROKER_XMAIL_H
#define NATTER_BROKER_XMAIL_H

struct chat;
struct chatter;
struct mail;
struct xhost;

/* Keep m for to (a valid name) in Redis: 1 when the script is sent
 * (c is answered at its reply), 0 to keep it here. */
int xmail_keep(struct chat *ch, struct chatter *c, const struct mail *m,
	       const char *to);
/* At c's log-in (an account): 1 when its messages are asked of Redis
 * (delivered with this host's own at the reply), 0 to deliver this
 * host's now. */
int xmail_take(struct chat *ch, struct chatter *c);
/* For xhost.c, when the link works again (UP answered): the messages
 * kept here while Redis was away are pushed to it. */
void xmail_up(struct xhost *xh);

#endif
