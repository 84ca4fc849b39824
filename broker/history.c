/* history.c — public lines through the room log; replays (history.h).
 *
 * Each request to the store has a record here, in request order, with
 * the token the store hands back; a record names its chatter until
 * that one is gone (history_forget).  Rooms are logged under their
 * name in lower case: "Lobby" is the lobby (presence.h), and one room
 * must be one log on any file system. */
#include "history_int.h"
#include "ignore.h"
#include "modcmd.h"
#include "chat.h"
#include "exitcode.h"
#include "io.h"
#include "log.h"
#include "reply.h"
#include "store/store.h"
#include "store/store_redis.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hist_room_key(char *key, const char *room)
{
	size_t i = 0;
	for (; room[i] && i < ROOM_LEN_MAX; i++)
		key[i] = (char)tolower((unsigned char)room[i]);
	key[i] = '\0';
}

/* The store's callback: the record with this result's token.  With
 * the files backend that is always the head; a shared log (Redis)
 * answers each room in order, but a room whose append waits for its
 * reader may be answered after a later request of another room, so
 * the record is looked for along the queue.  (A record the store
 * never answers, only when memory ran out there, stays until close.)
 * Another broker's line goes to the room as a line of this one's
 * would. */
static void history_done(void *arg, const struct store_result *r)
{
	struct chat *ch = arg;
	if (r->op == STORE_REMOTE) {
		struct hist_req remote = { .what = H_LINE };
		hist_line_done(ch, &remote, r);
		return;
	}
	struct hist_req **pp = &ch->hist.head, *q, *prev = NULL;
	while ((q = *pp) != NULL && q->token != r->token) {
		prev = q;
		pp = &q->next;
	}
	if (!q) {
		log_msg(LOG_ERR, "history: an answer to no request (%" PRIu64
			")", r->token);
		return;
	}
	*pp = q->next;
	if (ch->hist.tail == q)
		ch->hist.tail = prev;
	if (q->c)
		q->c->hist_pending--;
	hist_complete(ch, q, r);
	free(q);
}

/* The shared logs: every broker pointing at this Redis serves the
 * same rooms (store_redis.c). */
static int history_open_redis(struct chat *ch)
{
	char err[512];
	struct redis_addr addr;
	if (redis_addr_parse(&addr, ch->hist.redis, err, sizeof err) != 0) {
		log_msg(LOG_ERR, "bad Redis address '%s': %s", ch->hist.redis,
			err);
		return EXIT_USAGE;
	}
	struct store_config cfg = { .done = history_done, .ctx = ch };
	ch->hist.st = store_open_redis(&cfg, &addr, ch->hist.redis_password,
				       err, sizeof err);
	if (!ch->hist.st) {
		log_msg(LOG_ERR, "%s", err);
		return EXIT_TEMP;
	}
	log_msg(LOG_INFO, "room logs shared in Redis at %s", addr.text);
	return 0;
}

/* Opens the store on ch->hist.dir: 0, or -1 with the reason in err. */
static int store_try(struct chat *ch, char *err, size_t errlen)
{
	struct store_config cfg = { .dir = ch->hist.dir, .done = history_done,
				    .ctx = ch, .sync_child = 1 };
	ch->hist.st = store_open_files(&cfg, err, errlen);
	return ch->hist.st ? 0 : -1;
}

int history_open(struct chat *ch, const char *dir)
{
	char err[512];
	ch->hist.dir = dir;
	if (ch->hist.redis)
		return history_open_redis(ch);
	if (!dir || store_try(ch, err, sizeof err) == 0)
		return 0;
	if (strstr(err, "in use by another broker")) {
		log_msg(LOG_ERR, "%s", err);
		return EXIT_TEMP;
	}
	log_msg(LOG_ERR, "%s; chat goes on without history (tried again "
		"every %d s at most)", err, HIST_RETRY_MAX_MS / 1000);
	ch->hist.retry_ms = HIST_RETRY_FIRST_MS;
	ch->hist.retry_at = io_now_ms() + ch->hist.retry_ms;
	return 0;
}

/* A state directory that failed is tried again when due, quietly
 * until it opens (a directory put in place, permissions fixed, a
 * broker that held it gone). */
static void history_retry(struct chat *ch, long long now)
{
	char err[512];
	if (ch->hist.st || !ch->hist.dir || now < ch->hist.retry_at)
		return;
	if (store_try(ch, err, sizeof err) == 0) {
		log_msg(LOG_NOTICE, "history: state directory %s opened; "
			"history is on again", ch->hist.dir);
		return;
	}
	ch->hist.retry_ms = ch->hist.retry_ms * 2 > HIST_RETRY_MAX_MS ?
			    HIST_RETRY_MAX_MS : ch->hist.retry_ms * 2;
	ch->hist.retry_at = now + ch->hist.retry_ms;
}

void history_close(struct chat *ch)
{
	if (ch->hist.dir)
		seen_flush(&ch->hist.seen, ch->hist.dir, 0, 1);
	if (ch->hist.st) {
		store_close(ch->hist.st); /* what it holds is written */
		ch->hist.st = NULL;
	}
	struct hist_req *q = ch->hist.head, *next;
	for (; q; q = next) {
		next = q->next;
		free(q);
	}
	ch->hist.head = ch->hist.tail = NULL;
}

static int until(long long t, long long now)
{
	if (t < 0)
		return -1;
	return t <= now ? 0 : (int)(t - now > 60000 ? 60000 : t - now);
}

int history_run(struct chat *ch, long long now)
{
	history_retry(ch, now);
	int t = ch->hist.st ? store_run(ch->hist.st, now) :
		until(ch->hist.dir ? ch->hist.retry_at : -1, now);
	long long w = ch->hist.dir ? seen_flush(&ch->hist.seen, ch->hist.dir,
						now, 0) : -1;
	int u = until(w, now);
	return u >= 0 && (t < 0 || u < t) ? u : t;
}

long long history_due(const struct chat *ch)
{
	return ch->hist.seen.n ? ch->hist.seen.due : -1;
}

void history_note_left(struct chat *ch, struct chatter *c)
{
	char key[ROOM_LEN_MAX + 1];
	if (!c->account || !ch->hist.st || !c->m.room)
		return;
	hist_room_key(key, c->m.room->name);
	seen_note(&ch->hist.seen, ch->hist.dir, c->m.name, key,
		  store_last_seq(ch->hist.st, key), io_now_ms());
}

struct store *history_store(struct chat *ch)
{
	return ch->hist.st;
}

struct hist_req *hist_req_new(struct chat *ch, enum hist_what what,
				struct chatter *c)
{
	struct hist_req *q = calloc(1, sizeof *q);
	if (!q)
		return NULL;
	q->what = what;
	q->c = c;
	q->token = ++ch->hist.next_token;
	return q;
}

void hist_req_link(struct chat *ch, struct hist_req *q)
{
	if (q->c)
		q->c->hist_pending++;
	if (ch->hist.tail)
		ch->hist.tail->next = q;
	else
		ch->hist.head = q;
	ch->hist.tail = q;
}

static void ack(struct chat *ch, struct chatter *c, uint64_t no,
		uint64_t seq)
{
	char a[LINE_NO_MAX + 1], t[LINE_NO_MAX + 1];
	snprintf(a, sizeof a, "%" PRIu64, no);
	snprintf(t, sizeof t, "%" PRIu64, seq);
	reply_send(ch, c, FRAME_ACK, 0, a, NULL, t, strlen(t));
}

int hist_line_frame(struct chat *ch, const struct store_entry *e,
		      const char *room, uint8_t flags)
{
	char text[FRAME_TEXT_MAX + 1];
	const char *kind = e->kind == STORE_SAY ? "say" :
			   e->kind == STORE_ME ? "me" : NULL;
	if (!kind)
		return 0;
	int n = snprintf(text, sizeof text, "%" PRIu64 " %" PRId64 " %s %.*s",
			 e->seq, e->time_ms, kind, (int)e->text_len, e->text);
	if (n < 0 || (size_t)n >= sizeof text)
		return 0; /* cannot be: SAY_TEXT_MAX leaves room */
	n = frame_encode(ch->frame, FRAME_LINE, flags, e->name, e->name_len,
			 room, strlen(room), text, (size_t)n);
	return n > 0 ? n : 0;
}

void hist_line_done(struct chat *ch, struct hist_req *q,
		      const struct store_result *r)
{
	const struct store_entry *e = r->entry;
	const struct room *rm = presence_room(&ch->pres, r->room,
					      strlen(r->room));
	if (rm) {
		int n = hist_line_frame(ch, e, rm->name, 0);
		/* the sender is held if this fills a queue (peer.h), as if
		 * its frame were handled now */
		struct peer *was = peers_sending(ch->peers,
						 q->c ? &q->c->peer : NULL);
		if (n > 0) /* not to its sender, nor to who ignores them */
			ignore_fanout(ch, rm, q->c, e->name, (size_t)n);
		peers_sending(ch->peers, was);
	}
	chat_transcribe(ch, rm ? rm->name : r->room, e);
	if (q->c && q->line_no)
		ack(ch, q->c, q->line_no, r->status == 0 ? e->seq : 0);
}

void history_say(struct chat *ch, struct chatter *c, const struct frame *f,
		 unsigned kind)
{
	char key[ROOM_LEN_MAX + 1];
	uint64_t no = chat_number(f->a, f->alen);
	if (mod_silenced(ch, c)) { /* muted: reaches nobody, not logged */
		if (no)
			ack(ch, c, no, 0);
		return;
	}
	hist_room_key(key, c->m.room->name);
	if (ch->hist.st && no && store_seen(ch->hist.st, key, c->origin,
					    strlen(c->origin), no)) {
		ack(ch, c, no, 0); /* sent again after a restart: logged */
		return;
	}
	struct hist_req *q = hist_req_new(ch, H_LINE, c);
	if (!q) {
		peer_end(&c->peer, "out of memory");
		return;
	}
	q->line_no = no;
	struct store_entry e = { .kind = kind, .origin_no = no,
				 .name = c->m.name,
				 .name_len = strlen(c->m.name),
				 .origin = c->origin,
				 .origin_len = strlen(c->origin),
				 .text = f->text, .text_len = f->textlen };
	if (!ch->hist.st) {
		/* history off: the same completion, at once */
		struct store_result r = { .op = STORE_APPEND,
					  .token = q->token, .room = key,
					  .entry = &e };
		hist_line_done(ch, q, &r);
		free(q);
		return;
	}
	int rc = store_append(ch->hist.st, key, &e, q->token);
	if (rc != 0) { /* a full queue: out at once, not logged */
		struct store_result r = { .op = STORE_APPEND,
					  .token = q->token, .room = key,
					  .status = errno, .entry = &e };
		hist_line_done(ch, q, &r);
		free(q);
		return;
	}
	hist_req_link(ch, q);
}

void history_forget(struct chat *ch, struct chatter *c)
{
	for (struct hist_req *q = ch->hist.head; q && c->hist_pending;
	     q = q->next)
		if (q->c == c) {
			q->c = NULL;
			c->hist_pending--;
		}
}
