/* chat.h — a logged-in person's lines and commands, and what the broker
 * sends them; the replies the broker owes.
 *
 * Below the session, beside login: it talks to the person (person.h)
 * and sends frames (bconn.h); it returns what the session must do. */
#ifndef NATTER_CHAT_H
#define NATTER_CHAT_H

#include <stddef.h>
#include <stdint.h>

#include "bconn.h"
#include "frame.h"
#include "mention.h"
#include "names.h"
#include "person.h"

#define REPLY_WAIT_MS 15000 /* a broker reply later than this: a bug; log
			       it, take lines again */

enum chat_result {
	CHAT_GO_ON,
	CHAT_EXIT,   /* /exit or /quit: "Goodbye." shown */
	CHAT_KICKED, /* the broker cut the person off (its KICK shown) */
};

struct chat {
	struct person *p;
	struct bconn *bc;
	char room[ROOM_LEN_MAX + 1];
	const char *users_path; /* NULL, or where /msg looks up accounts */
	enum bell_mode bell;    /* /bell */
	/* Lines are handled strictly in order: after a request that the
	 * broker answers (lib/frame.h, "Replies"), no line is taken until
	 * the reply's FRAME_LAST has come, so answers show in the order
	 * asked and nothing typed later goes to a broker that may die
	 * before answering. */
	int marks_last;   /* this broker ends its replies (FRAME_LAST) */
	uint8_t awaiting; /* the request whose reply is due, or 0 */
	uint8_t resend;   /* a query lost with the broker: ask again */
	long long reply_deadline;
	int op;           /* an operator (the users file says so) */
	unsigned broker_proto; /* the version of the broker's LOGIN answer */
};

/* In DEFAULT_ROOM, owing nothing. */
void chat_init(struct chat *c, struct person *p, struct bconn *bc);
/* A line the person typed. */
enum chat_result chat_line(struct chat *c, const char *line, size_t len);
/* A frame from the broker, shown to the person named self. */
enum chat_result chat_frame(struct chat *c, const struct frame *f,
			    const char *self);
/* Waits for the reply to request type (lines are held until it ends). */
void chat_await(struct chat *c, uint8_t type, long long now);
/* No reply is waited for any more. */
void chat_await_none(struct chat *c);
/* The broker's OK or ERR to LOGIN: whether it marks the ends of replies
 * and, after a first OK from one that does, waiting for its greeting,
 * so it shows before any answer to the person's lines. */
void chat_login_answer(struct chat *c, const struct frame *f, long long now);
/* The broker is lost: what to do about a reply it still owed. */
void chat_reply_lost(struct chat *c);
/* The broker took the person back: asks again what it lost. */
void chat_rejoined(struct chat *c);

#endif
