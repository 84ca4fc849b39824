/* mailbox.h — private messages kept for an account that is not logged
 * in, shown to it at its next log-in (then removed).
 *
 * Kept only with a state directory, only from a sender whose LOGIN
 * said FRAME_ACCOUNT, and only to a name its PRIV marked
 * FRAME_TO_ACCOUNT (the sender's session looked it up in the users
 * file; the broker trusts it as it trusts every session of its uid).
 * At most MAILBOX_MAX messages wait for one account, of them at most
 * MAILBOX_PER_SENDER from one sender; past that the sender gets ERR.
 * Messages from someone the recipient ignores are dropped at delivery.
 *
 * The file, mail/NAME in the state directory (statefile.h, replaced
 * atomically), one message per line:
 *
 *   WHEN TAB FROM TAB TEXT LF
 *
 * WHEN the Unix time in decimal (1 to 19 digits), FROM a valid name,
 * TEXT 1 to FRAME_TEXT_MAX bytes without control characters.  The
 * parser skips any other line and stops after MAILBOX_MAX good ones. */
#ifndef NATTER_BROKER_MAILBOX_H
#define NATTER_BROKER_MAILBOX_H

#include "chat.h"

#include <stddef.h>
#include <time.h>

#define MAILBOX_MAX 50
#define MAILBOX_PER_SENDER 10
#define MAILBOX_LINE_MAX (20 + 1 + NAME_LEN_MAX + 1 + FRAME_TEXT_MAX + 1)
#define MAILBOX_FILE_MAX (MAILBOX_MAX * MAILBOX_LINE_MAX)

struct mail {
	long long when;
	char from[NAME_LEN_MAX + 1];
	const char *text; /* into the parsed buffer */
	size_t textlen;
};

/* Calls fn for each good message in buf, at most MAILBOX_MAX; returns
 * how many it found. */
size_t mailbox_parse(const char *buf, size_t len,
		     void (*fn)(const struct mail *, void *), void *arg);
/* A message's line (out: MAILBOX_LINE_MAX bytes); its length. */
size_t mailbox_line(const struct mail *m, char *out, size_t size);

/* A PRIV to f->a, not logged in: keep it (an account) or refuse. */
void mailbox_keep(struct chat *ch, struct chatter *c, const struct frame *f);
/* At an account's log-in: its messages, as STORED frames. */
void mailbox_deliver(struct chat *ch, struct chatter *c);

#endif
