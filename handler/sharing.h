/* sharing.h — file sharing in the chat (issue 16): the commands a
 * person's client sends (/offer, /accept, /decline, /cancel,
 * /transfers, XFER_CLIENT_HELLO) and what the broker says about
 * offers, shown as lines and, to the natter client, as event lines
 * (lib/xferproto.h).  A person on telnet is told files need the
 * client.  The bytes never pass here: see transfer.h. */
#ifndef NATTER_HANDLER_SHARING_H
#define NATTER_HANDLER_SHARING_H

#include "chat.h"

/* 1 when cmd (clen bytes) is one of the commands above, handled. */
int sharing_command(struct chat *c, const char *cmd, size_t clen,
		    const char *arg, size_t alen);
/* 1 when f (a reply to `was`, or OFFERED, FILENOTE) was shown here. */
int sharing_frame(struct chat *c, const struct frame *f, uint8_t was);
/* After a rejoin's OK: the new broker hears again that the person
 * takes files. */
void sharing_rejoined(struct chat *c);
/* The lines /help adds for a person on the natter client. */
extern const char sharing_help[];

#endif
