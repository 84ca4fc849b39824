/* history.h — the chat layer's use of the room log (store/store.h):
 * public lines logged before they are fanned out, the replay on
 * entering a room, /history, the catch-up after a broker restart.
 *
 * Everything that must keep its order with the lines of a room goes
 * through the store's queue, whose completions come in request order:
 * a line is fanned out (and its sender acked) when its append
 * completes; a person enters a room when the read of its replay
 * completes, in the same step as the replay is sent, so each line is
 * either in the replay or comes live after it; a leave is announced
 * after the lines its person sent.  With history off (no state
 * directory, or one that could not be opened) the same completions run
 * at once, with sequence number 0. */
#ifndef NATTER_BROKER_HISTORY_H
#define NATTER_BROKER_HISTORY_H

#include "seen.h"

#include <stddef.h>
#include <stdint.h>

struct chat;
struct chatter;
struct frame;
struct store;
struct hist_req;

/* A state directory that could not be opened is tried again, first
 * after HIST_RETRY_FIRST_MS, the wait doubling up to HIST_RETRY_MAX_MS. */
#define HIST_RETRY_FIRST_MS 1000
#define HIST_RETRY_MAX_MS 10000

struct history {
	struct store *st;          /* NULL: history off */
	struct hist_req *head, *tail; /* waiting for the store, in order */
	uint64_t next_token;
	/* Set before chat_init: the room logs in this Redis (redis.h's
	 * address forms) instead of the state directory; NULL: files. */
	const char *redis;
	const char *redis_password; /* NULL: none */
	const char *dir;           /* the state directory, NULL: none */
	long long retry_at;        /* io_now_ms of the next open, st NULL */
	int retry_ms;              /* the wait after that one */
	struct seen seen;          /* where accounts left (seen.h) */
};

/* How a person comes into a room. */
enum hist_how { HIST_LOGIN, HIST_REJOIN, HIST_JOIN };

/* Opens the room log in dir (NULL: history off), or in the Redis named
 * by ch->hist.redis (shared with every broker pointing there; dir is
 * then not used for the logs).  0, also when the directory cannot be
 * used (one log line; chat goes on without history, and the directory
 * is tried again on a timer: one more log line when history is back);
 * EXIT_TEMP when another broker holds it at start (logged); EXIT_USAGE
 * for a Redis address that does not parse (logged).  A Redis that is
 * down is no failure: the store connects from the loop. */
int history_open(struct chat *ch, const char *dir);
void history_close(struct chat *ch);
/* The loop's pass: the store's completions, a retry of the state
 * directory, where accounts left written (seen.h).  Returns the ms
 * until it wants to run again (-1: only when asked). */
int history_run(struct chat *ch, long long now);
/* io_now_ms when history_run has notes of leaves to write, else -1
 * (those are made after a pass's history_run). */
long long history_due(const struct chat *ch);
/* c, logged in with an account, leaves the chat: where, for "what you
 * missed" at its next log-in. */
void history_note_left(struct chat *ch, struct chatter *c);
/* The store's descriptors, for backends that have some. */
struct store *history_store(struct chat *ch);

/* SAY or ME (kind: STORE_SAY, STORE_ME) from c, shape checked. */
void history_say(struct chat *ch, struct chatter *c, const struct frame *f,
		 unsigned kind);
/* c comes into room (valid; a mover is still in its old room): n is
 * REPLAY, or SINCE on a rejoin.  When the read completes chat_come_in
 * is called, then the replay and LIVE (FRAME_LAST) are sent. */
void history_enter(struct chat *ch, struct chatter *c, const char *room,
		   enum hist_how how, uint64_t n);
/* HISTORY text=N from c. */
void history_show(struct chat *ch, struct chatter *c, const struct frame *f);
/* c is gone from room (its name, for the announcement): the LEFT goes
 * to the room after what c sent before. */
void history_leave(struct chat *ch, struct chatter *c);
/* c is freed: no completion refers to it any more. */
void history_forget(struct chat *ch, struct chatter *c);

#endif
