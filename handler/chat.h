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
#include "resend.h"

#define REPLY_WAIT_MS 15000 /* a broker reply later than this: a bug; log
			       it, take lines again */
#define PRIV_SEEN_MAX 16    /* senders whose last private line is known */
#define LIVE_TEXT "Live chat."  /* after a replay: what follows is live */
/* A private line sent again after a rejoin whose recipient is not back
 * yet (its session reconnects too) is tried again every PRIV_RETRY_MS
 * for PRIV_REJOIN_GRACE_MS before "No such user" is shown. */
#define PRIV_RETRY_MS 200
#define PRIV_REJOIN_GRACE_MS 10000

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
	int files;        /* runs the natter client, which takes files
			     (sharing.h) */
	/* The room log (lib/natter-protocol.h, version 3). */
	const char *origin;   /* this session's id */
	int history_lines;    /* REPLAY on login and /join (-H) */
	struct resend sent;   /* lines not yet acknowledged */
	uint64_t room_seq;    /* the last sequence number shown in the room */
	size_t replayed;      /* lines replayed in the reply under way */
	int rejoining;        /* the broker was lost: the next LOGIN is a
				 rejoin, whose reply ends in LIVE */
	struct {
		char origin[ORIGIN_MAX + 1];
		uint64_t no;
	} privs[PRIV_SEEN_MAX]; /* the last private line of each sender */
	size_t privs_next;
	long long rejoined_at;  /* when the last rejoin's reply ended */
	long long priv_retry_at; /* a PRIV to send again then (0: none) */
};

/* In DEFAULT_ROOM, owing nothing; origin (kept) names the session. */
void chat_init(struct chat *c, struct person *p, struct bconn *bc,
	       const char *origin, int history_lines);
/* The text of LOGIN: "peer ORIGIN SINCE REPLAY" into out. */
void chat_login_text(const struct chat *c, const char *peer, char *out,
		     size_t size);
/* Whether the person's next line must wait (too many unacknowledged). */
int chat_blocked(const struct chat *c);
/* A line the person typed. */
enum chat_result chat_line(struct chat *c, const char *line, size_t len);
/* A frame from the broker, shown to the person named self. */
enum chat_result chat_frame(struct chat *c, const struct frame *f,
			    const char *self);
/* Lines replayed on entering a room: -H, but none in machine mode (a
 * program asks with /history when it wants them). */
int chat_replay_lines(const struct chat *c);
/* Shows a frame as the person sees it: a line, or an event in machine
 * mode; a public line that names them may ring the bell first. */
void chat_show(struct chat *c, const struct frame *f, const char *self);
/* Sends a request the broker answers and waits for its reply. */
void chat_request(struct chat *c, uint8_t type, uint8_t flags,
		  const char *a, const char *b, const char *text,
		  size_t textlen);
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
/* The broker took the person back; once its reply ends (LIVE), what
 * was lost is sent and asked again. */
void chat_rejoined(struct chat *c);

#endif
