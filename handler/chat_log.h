/* chat_log.h — the chat's side of the room log (lib/natter-protocol.h,
 * version 3): numbering the lines sent and keeping them until acked,
 * sending them again after a rejoin, showing LINE frames once each,
 * replays with their times, the live marker, /history, private lines
 * shown once. */
#ifndef NATTER_CHAT_LOG_H
#define NATTER_CHAT_LOG_H

#include "chat.h"

/* Sends SAY, ME or PRIV (to; flags FRAME_TO_ACCOUNT) with the next
 * line number, kept. */
void chat_log_send(struct chat *c, uint8_t type, uint8_t flags,
		   const char *to, const char *text, size_t len);
/* After a rejoin: every line not acknowledged, again, in order. */
void chat_log_resend(struct chat *c);
/* The time of a PRIV's retry has come (c->priv_retry_at). */
void chat_log_retry(struct chat *c);
/* /history [N]. */
void chat_log_history(struct chat *c, const char *arg, size_t len);
/* A frame of the log's (LINE, ACK, LIVE, PRIVATE, and the reply to a
 * PRIV): shown or dropped here, 1; else 0, for text_display.  was: the
 * request whose reply was awaited before this frame. */
int chat_log_frame(struct chat *c, const struct frame *f, const char *self,
		   uint8_t was);

#endif
