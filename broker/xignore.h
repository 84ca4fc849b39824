/* xignore.h — ignore lists across hosts (issue 13): with
 * natter-broker -R, an account's ignore list (ignore.h) is kept in
 * Redis too, so it follows its person to whichever host it logs in
 * through.  The key and the rules are in xignore.c's header and
 * doc/DESIGN.md ("Across machines").
 *
 * ignore.c calls in; without -R each call is a no-op and the host's
 * own file is used as before.  Nothing waits for Redis: commands go
 * out on the command link, answers come on a later loop pass. */
#ifndef NATTER_BROKER_XIGNORE_H
#define NATTER_BROKER_XIGNORE_H

#include "names.h"

struct chat;
struct chatter;
struct xhost;

#define XIGNORE_DIRTY_MAX 64 /* accounts whose lists changed while Redis
				was away, pushed when it is back */

/* At c's log-in (an account), after this host's file was read: the
 * shared list is asked for and replaces it when the answer comes. */
void xignore_login(struct chat *ch, struct chatter *c);
/* c's list changed (an account): written to Redis, or remembered to
 * be pushed when the link is back. */
void xignore_changed(struct chat *ch, struct chatter *c);
/* For xhost.c, when the link works again (UP answered): the lists
 * changed here while Redis was away are pushed. */
void xignore_up(struct xhost *xh);

#endif
