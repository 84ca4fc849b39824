/* history_replay.c — reads of the room log: the replay on entering a
 * room, the catch-up on a rejoin, /history; and a leave announced in
 * its turn (history.h). */
#include "history_int.h"
#include "chat.h"
#include "log.h"
#include "reply.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A replay takes at most this share of a queue's bound, so asking for
 * history never gets anyone cut off: older lines are left out.  A
 * rejoin's catch-up may take the whole bound: it is what the broker
 * that died had queued for the session (up to half its bound, and a
 * frame per sender held), going into a queue just made, and whatever
 * it left out would be lost to the restart (the soak's flood readers
 * lost 230 lines of 900 bytes that way with a quarter). */
#define REPLAY_QUEUE_SHARE 4
#define CATCHUP_QUEUE_SHARE 1

/* The first of r's entries to replay: at most `want` lines, within the
 * byte budget (the bound / share); *left says how many more were left
 * out. */
static size_t replay_from(struct chat *ch, const struct store_result *r,
			  size_t want, size_t share, uint64_t *left)
{
	size_t budget = ch->peers->queue_max / share, used = 0;
	size_t i = r->n, k = 0;
	while (i > 0 && k < want) {
		const struct store_entry *e = r->entries[i - 1];
		size_t cost = FRAME_HDR + 2 * FRAME_FIELD_MAX + 3 * LINE_NO_MAX
			      + e->text_len;
		if (used + cost > budget)
			break;
		used += cost;
		i--;
		k++;
	}
	*left = r->missed + i;
	return i;
}

/* The replay of r to c (the room's spelling), and LIVE to end the
 * reply: "SEQ", the last entry the read saw (or since, when none). */
static void replay(struct chat *ch, struct chatter *c, const char *room,
		   const struct store_result *r, size_t want, uint64_t since,
		   size_t share)
{
	char msg[96], seq[LINE_NO_MAX + 1];
	uint64_t left;
	size_t i = replay_from(ch, r, want, share, &left);
	if (left && want) {
		snprintf(msg, sizeof msg, "%" PRIu64 " earlier line%s left "
			 "out.", left, left == 1 ? " was" : "s were");
		reply_send(ch, c, FRAME_INFO, 0, NULL, NULL, msg, strlen(msg));
	}
	for (; i < r->n && c->peer.state == PEER_OPEN; i++) {
		int n = hist_line_frame(ch, r->entries[i], room, FRAME_REPLAY);
		if (n > 0)
			peer_queue(&c->peer, ch->frame, (size_t)n);
	}
	if (r->n)
		since = r->entries[r->n - 1]->seq;
	snprintf(seq, sizeof seq, "%" PRIu64, since);
	reply_send(ch, c, FRAME_LIVE, FRAME_LAST, NULL, room, seq,
		   strlen(seq));
}

/* With SINCE (a rejoin's catch-up) or where an account last left
 * (what it missed), or the last n lines. */
static void enter_read(struct chat *ch, struct hist_req *q);

/* What an account missed gives more than the plain replay (q->n
 * lines): then it is shown instead, else the plain replay is read. */
static int missed_wanted(struct chat *ch, struct hist_req *q,
			 const struct store_result *r)
{
	if (r->n + r->missed > q->n)
		return 1;
	struct hist_req *p = hist_req_new(ch, H_ENTER, q->c);
	if (!p) {
		peer_end(&q->c->peer, "out of memory");
		return 0;
	}
	p->how = q->how;
	p->n = q->n;
	memcpy(p->room, q->room, sizeof p->room);
	enter_read(ch, p);
	return 0;
}

static void enter_done(struct chat *ch, struct hist_req *q,
		       const struct store_result *r)
{
	struct chatter *c = q->c;
	if (!c || (q->missed && !missed_wanted(ch, q, r)) ||
	    chat_come_in(ch, c, q->how, q->room) != 0)
		return; /* gone meanwhile, read again, or cut off */
	/* a rejoin's catch-up is all that was logged after SINCE, and
	 * what an account missed all that was read */
	int after = q->how == HIST_REJOIN || q->missed;
	replay(ch, c, c->m.room->name, r, after ? r->n : q->n,
	       after ? q->line_no : 0, q->how == HIST_REJOIN ?
	       CATCHUP_QUEUE_SHARE : REPLAY_QUEUE_SHARE);
}

static void show_done(struct chat *ch, struct hist_req *q,
		      const struct store_result *r)
{
	struct chatter *c = q->c;
	char msg[96];
	if (!c || !c->m.room)
		return;
	if (!ch->hist.st || r->n == 0) {
		snprintf(msg, sizeof msg, ch->hist.st ? "No history in %s "
			 "yet." : "History is off on this server.",
			 c->m.room->name);
		reply_send(ch, c, FRAME_INFO, 0, NULL, NULL, msg, strlen(msg));
	}
	replay(ch, c, c->m.room->name, r, q->n, 0, REPLAY_QUEUE_SHARE);
}

void hist_complete(struct chat *ch, struct hist_req *q,
		   const struct store_result *r)
{
	switch (q->what) {
	case H_LINE: hist_line_done(ch, q, r); break;
	case H_ENTER: enter_done(ch, q, r); break;
	case H_SHOW: show_done(ch, q, r); break;
	case H_LEAVE: chat_announce_left(ch, q->name, q->room); break;
	}
}

/* Queues q's read of room (the last max lines, or those after `after`
 * when `catchup`), or, with history off or the store's queue full,
 * completes it at once with nothing read. */
static void read_or_now(struct chat *ch, struct hist_req *q, const char *room,
			size_t max, int catchup, uint64_t after)
{
	char key[ROOM_LEN_MAX + 1];
	hist_room_key(key, room);
	struct store *st = ch->hist.st;
	if (st && (catchup ? store_read_after(st, key, after, max, q->token) :
		   store_read_last(st, key, max, q->token)) == 0) {
		hist_req_link(ch, q);
		return;
	}
	struct store_result r = { .op = STORE_READ, .token = q->token,
				  .room = key };
	hist_complete(ch, q, &r);
	free(q);
}

static void enter_read(struct chat *ch, struct hist_req *q)
{
	if (q->how == HIST_REJOIN)
		read_or_now(ch, q, q->room, HISTORY_CATCHUP_MAX, 1,
			    q->line_no);
	else if (q->missed)
		read_or_now(ch, q, q->room, SEEN_MISSED_MAX, 1, q->line_no);
	else /* at least one: the last sequence number for LIVE */
		read_or_now(ch, q, q->room, q->n ? q->n : 1, 0, 0);
}

/* 1 when c, an account logging in to room with a replay, last left
 * this room: *after is the room's last sequence number then. */
static int missed_from(struct chat *ch, struct chatter *c, const char *room,
		       uint64_t *after)
{
	char key[ROOM_LEN_MAX + 1], was[ROOM_LEN_MAX + 1];
	if (!c->account || !ch->hist.st)
		return 0;
	hist_room_key(key, room);
	return seen_lookup(&ch->hist.seen, ch->hist.dir, c->m.name, was,
			   after) && strcmp(was, key) == 0;
}

void history_enter(struct chat *ch, struct chatter *c, const char *room,
		   enum hist_how how, uint64_t n)
{
	struct hist_req *q = hist_req_new(ch, H_ENTER, c);
	if (!q) {
		peer_end(&c->peer, "out of memory");
		return;
	}
	q->how = how;
	q->n = n > HISTORY_MAX ? HISTORY_MAX : (size_t)n;
	q->line_no = how == HIST_REJOIN ? n : 0; /* SINCE */
	snprintf(q->room, sizeof q->room, "%s", room);
	/* REPLAY 0 (machine mode, -H 0): no what-you-missed either */
	if (how == HIST_LOGIN && q->n && missed_from(ch, c, room, &q->line_no))
		q->missed = 1;
	enter_read(ch, q);
}

void history_show(struct chat *ch, struct chatter *c, const struct frame *f)
{
	uint64_t n = chat_number(f->text, f->textlen);
	if (n == 0 || n > HISTORY_MAX) {
		char msg[64];
		snprintf(msg, sizeof msg, "History: 1 to %d lines.",
			 HISTORY_MAX);
		reply_only(ch, c, FRAME_ERR, msg);
		return;
	}
	struct hist_req *q = hist_req_new(ch, H_SHOW, c);
	if (!q) {
		reply_only(ch, c, FRAME_ERR, "The broker is out of memory.");
		return;
	}
	q->n = (size_t)n;
	read_or_now(ch, q, c->m.room->name, q->n, 0, 0);
}

void history_leave(struct chat *ch, struct chatter *c)
{
	const struct room *r = c->m.room;
	struct hist_req *q = NULL;
	if (ch->hist.head) /* lines of c's may wait: after them */
		q = hist_req_new(ch, H_LEAVE, NULL);
	if (!q) {
		chat_announce_left(ch, c->m.name, r->name);
		return;
	}
	snprintf(q->name, sizeof q->name, "%s", c->m.name);
	snprintf(q->room, sizeof q->room, "%s", r->name);
	read_or_now(ch, q, r->name, 0, 0, 0);
}
