/* takeover.c — a login with the password ends an older session of the
 * same account (takeover.h). */
#include "takeover.h"
#include "history.h"
#include "log.h"
#include "modcmd.h"
#include "namecmp.h"
#include "reply.h"
#include "transcript.h"

#include <stdio.h>
#include <string.h>

void takeover_end(struct chat *ch, struct chatter *old, const char *from)
{
	log_msg(LOG_NOTICE, "%s logged in again from %s: the session from "
		"%s port %s ends", old->m.name, from, old->ip, old->port);
	int n = frame_encode_str(ch->frame, FRAME_KICK, 0, NULL, NULL,
				 TAKEOVER_TELL);
	if (n > 0)
		peer_queue(&old->peer, ch->frame, (size_t)n);
	/* gone later, quietly: no longer logged in, nobody hears a leave */
	history_forget(ch, old);
	mod_forget(old);
	presence_remove(&ch->pres, &old->m);
	old->logged_in = 0;
	peer_label(&old->peer, "(taken over) from %s port %s", old->ip,
		   old->port);
	peer_finish(&old->peer);
	ch->mod.stats.takeovers++;
}

int takeover_claim(struct chat *ch, struct chatter *c, const struct frame *f,
		   const char *name)
{
	struct member *m = presence_find(&ch->pres, name, strlen(name));
	if (!m || !(f->flags & FRAME_ACCOUNT) || (f->flags & FRAME_REJOIN))
		return 0;
	struct chatter *old = chatter_of(m);
	if (old == c || !takeover_endable(old))
		return 0;
	c->took_over = 1;
	snprintf(c->took_over_room, sizeof c->took_over_room, "%s",
		 old->m.room ? old->m.room->name : "");
	snprintf(c->took_over_ip, sizeof c->took_over_ip, "%s", old->ip);
	char from[CHAT_IP_MAX + CHAT_PORT_MAX + 8];
	snprintf(from, sizeof from, "%s port %s", c->ip, c->port);
	takeover_end(ch, old, from);
	return 1;
}

int takeover_endable(const struct chatter *old)
{
	return old->account && old->peer.state == PEER_OPEN;
}

/* The predecessor's room (if it is still there) hears of a move. */
static void moved_away(struct chat *ch, struct chatter *c, const char *from)
{
	const struct room *r = presence_room(&ch->pres, from, strlen(from));
	const char *to = c->m.room->name;
	if (r) {
		int n = frame_encode_str(ch->frame, FRAME_LEFT, 0, c->m.name,
					 r->name, to);
		if (n > 0)
			chat_fanout(ch, r, c, (size_t)n);
	}
	transcript_line(&ch->tr, from, "[%s] has moved to room %s", c->m.name,
			to);
}

int takeover_arrive(struct chat *ch, struct chatter *c, char *old,
		    size_t size)
{
	char msg[CHAT_IP_MAX + 64];
	old[0] = '\0';
	if (!c->took_over)
		return 0;
	c->took_over = 0;
	snprintf(msg, sizeof msg, "Your session from %s has ended; this one "
		 "takes its place.", c->took_over_ip);
	reply_send(ch, c, FRAME_INFO, 0, NULL, NULL, msg, strlen(msg));
	const char *from = c->took_over_room, *here = c->m.room->name;
	if (!from[0])
		return 0; /* it was in no room yet: a plain join */
	if (name_same(from, strlen(from), here, strlen(here)))
		return 1;
	moved_away(ch, c, from);
	snprintf(old, size, "%s", from);
	return 0;
}
