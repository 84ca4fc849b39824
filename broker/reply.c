/* reply.c — frames answering one handler's request (reply.h). */
#include "reply.h"
#include "log.h"

#include <string.h>

void reply_send(struct chat *ch, struct chatter *c, int type, uint8_t flags,
		const char *a, const char *b, const char *text,
		size_t textlen)
{
	int n = frame_encode(ch->frame, (uint8_t)type, flags, a,
			     a ? strlen(a) : 0, b, b ? strlen(b) : 0, text,
			     textlen);
	if (n < 0) {
		/* Only a bug can get here: every caller's fields fit. */
		log_msg(LOG_ERR, "reply of type %d too long; not sent", type);
		return;
	}
	peer_queue(&c->peer, ch->frame, (size_t)n);
}

void reply_only(struct chat *ch, struct chatter *c, int type, const char *text)
{
	reply_send(ch, c, type, FRAME_LAST, NULL, NULL, text,
		   text ? strlen(text) : 0);
}
