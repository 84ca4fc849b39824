/* reply.h — the broker's answer to one handler's request.
 *
 * LOGIN, PRIV, JOIN, WHO and ROOMS each get exactly one reply, and its
 * last frame carries FRAME_LAST (lib/frame.h): natter-session takes its
 * person's next line only once that frame has come. */
#ifndef NATTER_BROKER_REPLY_H
#define NATTER_BROKER_REPLY_H

#include "chat.h"

#include <stddef.h>
#include <stdint.h>

/* Queues one frame of a reply for c; a and b are NUL-terminated (or
 * NULL), text is textlen bytes.  flags: FRAME_LAST on the reply's last
 * frame, FRAME_MARKS_LAST on LOGIN's OK. */
void reply_send(struct chat *ch, struct chatter *c, int type, uint8_t flags,
		const char *a, const char *b, const char *text,
		size_t textlen);
/* The whole reply in one frame: text NUL-terminated, FRAME_LAST set. */
void reply_only(struct chat *ch, struct chatter *c, int type, const char *text);

#endif
