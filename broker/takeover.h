/* takeover.h — taking back your name.  With a users file a name is an
 * account, and a LOGIN flagged FRAME_ACCOUNT comes from a session that
 * checked its password (the broker trusts its sessions: same uid).
 * Such a LOGIN for a name an older session holds ends the older one
 * (KICK "You logged in elsewhere; this session ends.") and takes its
 * place.  The room hears nothing when the new session comes into the
 * old one's room (the same person, still there), else a move ("has
 * moved to room X" there, "has come in from room Y" here), never a
 * leave and a join.
 *
 * Never for a REJOIN (after a broker restart the old session may
 * re-announce after a newer one logged in: it is refused, as any
 * login for a taken name), nor in open mode (no password proves
 * anything), nor over a holder that is not an account.
 *
 * Across hosts (xtakeover.c) the same: a claim refused because another
 * host has the name asks that host to end its session, and claims
 * again until the name is given back. */
#ifndef NATTER_BROKER_TAKEOVER_H
#define NATTER_BROKER_TAKEOVER_H

#include "chat.h"

#define TAKEOVER_TELL "You logged in elsewhere; this session ends."

/* c's LOGIN f for name found the name taken: 1 when c takes it over
 * (the holder has been told, cut off and taken out of presence: the
 * name is free), else 0. */
int takeover_claim(struct chat *ch, struct chatter *c, const struct frame *f,
		   const char *name);
/* old, an account's session, can be taken over (1) or not (0). */
int takeover_endable(const struct chatter *old);
/* old is told TAKEOVER_TELL and ends quietly (out of presence, no
 * leave heard); from says in the log where it logged in again. */
void takeover_end(struct chat *ch, struct chatter *old, const char *from);
/* c, logged in, has come into its room (after the OK): 1 when the room
 * is to hear nothing of it; else 0, with old set to the room its
 * predecessor was in when c took over ("" for none or no takeover). */
int takeover_arrive(struct chat *ch, struct chatter *c, char *old,
		    size_t size);

#endif
