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
 * parser skips any other line and stops after MAILBOX_MAX good ones.
 *
 * With natter-broker -R the messages are kept in Redis instead, in the
 * same line format and bounds, and delivered at a log-in on any host
 * (xmail.h); this file is then the fallback while Redis is away. */
#ifndef NATTER_BROKER_MAILBOX_H
#define NATTER_BROKER_MAILBOX_H

#include "chat.h"
#include "resp/resp.h"

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

/* One line without its LF (also an element of a list in Redis): 1 and
 * *m (text pointing into s) when it is a good message, else 0. */
int mailbox_line_parse(const char *s, size_t len, struct mail *m);
/* The good messages of v (an array of such lines, from Redis), at most
 * max into out (texts pointing into v); how many.  *bad counts the
 * elements skipped (v not an array: 1). */
size_t mailbox_values(const struct resp_value *v, struct mail *out,
		      size_t max, size_t *bad);

/* A PRIV to f->a, not logged in: keep it (an account) or refuse. */
void mailbox_keep(struct chat *ch, struct chatter *c, const struct frame *f);
/* m kept in this host's file for to, within the bounds; c (NULL: gone)
 * answered as mailbox_keep answers. */
void mailbox_keep_local(struct chat *ch, struct chatter *c,
			const struct mail *m, const char *to);
/* The answers to the sender: kept (OK and a note), or not (ERR). */
void mailbox_kept(struct chat *ch, struct chatter *c, const char *to,
		  const char *text, size_t len);
void mailbox_refuse(struct chat *ch, struct chatter *c, const char *to,
		    const char *why);
/* At an account's log-in: its messages, as STORED frames. */
void mailbox_deliver(struct chat *ch, struct chatter *c);
/* n messages to c: a note saying how many, then each (those from
 * someone c ignores left out). */
void mailbox_show(struct chat *ch, struct chatter *c, const struct mail *v,
		  size_t n);
/* This host's file for name read into buf (MAILBOX_FILE_MAX bytes) and
 * parsed into out (MAILBOX_MAX); how many (0 without a state
 * directory, or on an error, logged). */
size_t mailbox_load(struct chat *ch, const char *name, char *buf,
		    struct mail *out);
/* The file for name replaced by v[0..n) (n 0: removed): 0, or -1
 * (logged; also without a state directory when n > 0). */
int mailbox_save(struct chat *ch, const char *name, const struct mail *v,
		 size_t n);

#endif
