/* store_redis_link.c — the Redis backend's two connections: opening
 * them, losing them, the backoff between tries, and the stream reader
 * (one XREAD BLOCK at a time over every loaded room).  The design is in
 * store_redis.c's header. */
#include "store_redis_int.h"

#include "../evloop.h"
#include "io.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rlink_errno(const char *why)
{
	if (strstr(why, "AUTH"))
		return EACCES;
	if (strstr(why, "refused"))
		return ECONNREFUSED;
	if (strstr(why, "timed out"))
		return ETIMEDOUT;
	return ECONNRESET;
}

void rlink_bad(struct rbk *b, const char *room, const char *why)
{
	long long now = io_now_ms();
	if (b->bad_logged && now - b->bad_at < STORE_REDIS_BAD_LOG_MS) {
		b->bad_hidden++;
		return;
	}
	if (b->bad_hidden)
		store_backend_log(b->st, LOG_WARNING, "redis: room %s: skipped "
				  "%s (and %lu more since the last line)", room,
				  why, b->bad_hidden);
	else
		store_backend_log(b->st, LOG_WARNING, "redis: room %s: skipped "
				  "%s", room, why);
	b->bad_logged = 1;
	b->bad_at = now;
	b->bad_hidden = 0;
}

/* SCRIPT LOAD answered: the link works (again). */
static void script_reply(void *ctx, const struct resp_value *v)
{
	struct rbk *b = ctx;
	if (b->closing || !v)
		return;
	if (v->type == RESP_BULK && v->len < sizeof b->sha) {
		memcpy(b->sha, v->str, v->len);
		b->sha[v->len] = '\0';
	}
	b->backoff = STORE_REDIS_BACKOFF_MIN;
	if (b->down) {
		b->down = 0;
		b->err = 0;
		store_backend_failing(b->st, 0);
	}
	if (!b->user_up && b->user) {
		b->user_up = 1;
		b->user->link(b->user->ctx, 1);
	}
}

static void unblock_reply(void *ctx, const struct resp_value *v)
{
	struct rbk *b = ctx;
	(void)v;
	if (!b->closing)
		b->unblock_out = 0;
}

/* The XREAD in flight must be re-issued with the new set of rooms:
 * CLIENT UNBLOCK makes it return at once (nil, as a timeout). */
static void reader_unblock(struct rbk *b)
{
	char id[24];
	if (!b->xread_out || b->unblock_out || b->reader_id < 0)
		return;
	snprintf(id, sizeof id, "%lld", b->reader_id);
	const char *argv[] = { "CLIENT", "UNBLOCK", id };
	size_t lens[] = { 6, 7, strlen(id) };
	if (redis_command(b->w, 3, argv, lens, unblock_reply, b) == 0)
		b->unblock_out = 1; /* else the BLOCK timeout will do */
}

static void id_reply(void *ctx, const struct resp_value *v)
{
	struct rbk *b = ctx;
	if (b->closing || !v || v->type != RESP_INTEGER)
		return;
	b->reader_id = v->integer;
	if (b->set_stale)
		reader_unblock(b);
}

void rroom_entry(struct rbk *b, struct rroom *rr, const struct stream_id *id,
		 const struct resp_value *fields)
{
	struct store_entry e;
	const char *host, *why;
	size_t host_len;
	uint64_t hno;
	if (stream_id_cmp(id, &rr->last) <= 0)
		return; /* read before */
	rr->last = *id;
	/* our appends before this entry that the reader did not see:
	 * MAXLEN trimmed them first */
	while (rr->ops && rr->ops->replied &&
	       stream_id_cmp(&rr->ops->id, id) < 0)
		rop_done(b, rr->ops, 0);
	if (stream_entry_decode(fields, &e, &host, &host_len, &why) < 0) {
		rlink_bad(b, rr->r->name, why);
		return;
	}
	if (host_len > b->host_len &&
	    memcmp(host, b->host, b->host_len) == 0) { /* our own */
		if (stream_num(host + b->host_len, host_len - b->host_len,
			       &hno) == 0 && rr->ops && hno >= rr->ops->hno) {
			/* pending ones are in append order: an older one
			 * is done already */
			for (struct rop *op = rr->ops; op; op = op->next) {
				if (op->hno == hno) {
					op->e->seq = e.seq;
					rop_done(b, op, 0);
					break;
				}
			}
		}
		if (e.seq > rr->seen_seq)
			rr->seen_seq = e.seq;
		rroom_chain(b, rr); /* ours after it, in order now */
		return;
	}
	if (e.seq <= rr->seen_seq) {
		rlink_bad(b, rr->r->name, "a sequence number out of order");
		return;
	}
	rr->seen_seq = e.seq;
	store_backend_remote(b->st, rr->r, &e);
	rroom_chain(b, rr); /* ours after it, in order now (after it) */
}

/* One entry of an XREAD reply: to its room, if this store reads it. */
static void read_entry(void *ctx, const struct resp_value *key,
		       const struct stream_id *id,
		       const struct resp_value *fields)
{
	struct rbk *b = ctx;
	char name[ROOM_LEN_MAX + 1];
	size_t plen = strlen(b->prefix);
	if (b->user && (key->len < plen + 5 ||
			memcmp(key->str + plen, "room:", 5) != 0)) {
		b->user->entry(b->user->ctx, key->str, key->len, id, fields);
		return;
	}
	if (key->len <= plen + 5 || key->len - plen - 5 > ROOM_LEN_MAX ||
	    memcmp(key->str, b->prefix, plen) != 0 ||
	    memcmp(key->str + plen, "room:", 5) != 0)
		return;
	memcpy(name, key->str + plen + 5, key->len - plen - 5);
	name[key->len - plen - 5] = '\0';
	struct store_room *r = strlen(name) == key->len - plen - 5 ?
			       store_backend_room(b->st, name, 0) : NULL;
	struct rroom *rr = r ? r->bk : NULL;
	if (rr && rr->loaded)
		rroom_entry(b, rr, id, fields);
}

static void xread_send(struct rbk *b, long long now);

static void xread_reply(void *ctx, const struct resp_value *v)
{
	struct rbk *b = ctx;
	if (b->closing)
		return;
	b->xread_out = 0;
	if (!v)
		return;
	if (v->type == RESP_ERROR) {
		/* e.g. a room's key made something else than a stream */
		rlink_bad(b, "*", "an XREAD refused");
		b->xread_pause = io_now_ms() + STORE_REDIS_BLOCK_MS;
		return;
	}
	if (stream_walk_read(v, read_entry, b) != 0)
		rlink_bad(b, "*", "a bad XREAD reply");
	xread_send(b, io_now_ms());
}

/* COUNT per stream such that a reply fits REDIS_VALUES_MAX (and so,
 * entries being at most ~4.4 KB, REDIS_IN_MAX). */
static size_t xread_count(size_t rooms)
{
	size_t c = (REDIS_VALUES_MAX - 16) / (rooms * (STREAM_ENTRY_VALUES + 3));
	return c < 1 ? 1 : c > 100 ? 100 : c;
}

/* The user's streams after the rooms' in the XREAD: keys at argv[6 +
 * n..], IDs formatted into ids; how many. */
static int user_streams(struct rbk *b, int n, struct stream_id *ids)
{
	const char *keys[STORE_REDIS_USER_STREAMS];
	int k = b->user && b->user_up ? b->user->streams(b->user->ctx, keys,
			ids, STORE_REDIS_USER_STREAMS) : 0;
	for (int i = 0; i < k; i++) {
		char *key = b->argbuf + (size_t)(n + i) *
			    (RKEY_MAX + STREAM_ID_MAX);
		size_t len = strlen(keys[i]);
		if (len >= RKEY_MAX)
			len = RKEY_MAX - 1;
		memcpy(key, keys[i], len);
		key[len] = '\0';
		stream_id_format(&ids[i], key + RKEY_MAX);
		b->argv[6 + n + i] = key;
		b->lens[6 + n + i] = len;
	}
	return k;
}

static void xread_send(struct rbk *b, long long now)
{
	char count[24], block[24];
	struct stream_id uids[STORE_REDIS_USER_STREAMS];
	int argc = 6, n = 0;
	if (b->xread_out || now < b->xread_pause ||
	    redis_state(b->rd) == REDIS_CLOSED)
		return;
	const char *head[] = { "XREAD", "COUNT", count, "BLOCK", block,
			       "STREAMS" };
	for (int i = 0; i < 6; i++)
		b->argv[i] = head[i];
	for (struct rroom *rr = b->rooms; rr; rr = rr->next) {
		if (!rr->loaded)
			continue;
		char *key = b->argbuf + (size_t)n * (RKEY_MAX + STREAM_ID_MAX);
		char *id = key + RKEY_MAX;
		stream_id_format(&rr->last, id);
		b->argv[argc] = key;
		b->lens[argc++] = rkey(b, key, "room", rr->r->name);
		n++;
	}
	int k = user_streams(b, n, uids);
	n += k;
	argc += k;
	if (n == 0)
		return;
	snprintf(count, sizeof count, "%zu", xread_count((size_t)n));
	snprintf(block, sizeof block, "%d", STORE_REDIS_BLOCK_MS);
	for (int i = 0; i < 6; i++)
		b->lens[i] = strlen(head[i]);
	for (int i = 0; i < n; i++) {
		const char *id = b->argv[6 + i] + RKEY_MAX;
		b->argv[argc] = id;
		b->lens[argc++] = strlen(id);
	}
	if (redis_command(b->rd, argc, b->argv, b->lens, xread_reply, b) < 0)
		return; /* a bound: tried again from run */
	b->xread_out = 1;
	b->xread_at = now;
	b->set_stale = 0;
}

void rlink_room_loaded(struct rbk *b)
{
	b->set_stale = 1;
	if (b->xread_out)
		reader_unblock(b);
	else
		xread_send(b, io_now_ms());
}

void rlink_lost(struct rbk *b, const char *why)
{
	char reason[REDIS_ERROR_MAX];
	snprintf(reason, sizeof reason, "%s", why);
	b->err = rlink_errno(reason);
	/* the callbacks of what waited run now, with NULL */
	redis_close(b->w, reason);
	redis_close(b->rd, reason);
	outbox_lost(b);
	b->slow = 0;
	if (b->user_up) {
		b->user_up = 0;
		b->user->link(b->user->ctx, 0);
	}
	b->xread_out = b->unblock_out = 0;
	b->reader_id = -1;
	for (struct rroom *rr = b->rooms; rr; rr = rr->next)
		rroom_release(b, rr, 0, 0);
	if (!b->down) {
		b->down = 1;
		store_backend_failing(b->st, b->err);
	}
	b->next_try = io_now_ms() + b->backoff;
	b->backoff = b->backoff * 2 > STORE_REDIS_BACKOFF_MAX ?
		     STORE_REDIS_BACKOFF_MAX : b->backoff * 2;
}

void rlink_open(struct rbk *b, long long now)
{
	b->opened = now;
	b->xread_out = b->unblock_out = 0;
	b->reader_id = -1;
	b->xread_pause = 0;
	if (redis_open(b->w, &b->addr, b->password) < 0) {
		rlink_lost(b, redis_error(b->w));
		return;
	}
	if (redis_open(b->rd, &b->addr, b->password) < 0) {
		rlink_lost(b, redis_error(b->rd));
		return;
	}
	const char *cid[] = { "CLIENT", "ID" };
	if (rbk_script_load(b, script_reply) < 0 ||
	    redis_command(b->rd, 2, cid, (size_t[]){ 6, 2 }, id_reply,
			  b) < 0) {
		rlink_lost(b, "could not queue a command");
		return;
	}
	outbox_flush(b); /* before any new append */
	/* rooms asked for while Redis was away are read now */
	for (struct rroom *rr = b->rooms; rr; rr = rr->next)
		if (!rr->loaded && !rr->load_sent)
			(void)rroom_send_load(b, rr);
	xread_send(b, now);
}

/* The earlier of *t and at - now (not below 0). */
static void sooner(int *t, long long at, long long now)
{
	long long d = at > now ? at - now : 0;
	if (d > 60000)
		d = 60000;
	if (*t < 0 || d < *t)
		*t = (int)d;
}

static void sooner_ms(int *t, int ms)
{
	if (ms >= 0 && (*t < 0 || ms < *t))
		*t = ms;
}

/* Stalls: a connect, or an XREAD past its BLOCK, taking too long. */
static int rlink_stalled(struct rbk *b, long long now)
{
	int connecting = redis_state(b->w) == REDIS_CONNECTING ||
			 redis_state(b->rd) == REDIS_CONNECTING;
	if (connecting && now - b->opened > STORE_REDIS_STALL_MS) {
		rlink_lost(b, "connect timed out");
		return 1;
	}
	if (b->xread_out && now - b->xread_at > STORE_REDIS_BLOCK_MS +
						STORE_REDIS_STALL_MS) {
		rlink_lost(b, "XREAD timed out");
		return 1;
	}
	return 0;
}

/* Sends what is queued now, not a poll later. */
static void rlink_flush(struct rbk *b)
{
	struct redis *links[] = { b->w, b->rd };
	for (int i = 0; i < 2; i++) {
		if (redis_state(links[i]) == REDIS_UP &&
		    (redis_events(links[i]) & EV_OUT) &&
		    redis_ready(links[i], EV_OUT) < 0) {
			rlink_lost(b, redis_error(links[i]));
			return;
		}
	}
}

int rlink_run(struct rbk *b, long long now)
{
	int t = -1;
	int wc = redis_state(b->w) == REDIS_CLOSED;
	int rc = redis_state(b->rd) == REDIS_CLOSED;
	if (wc != rc)
		rlink_lost(b, redis_error(wc ? b->w : b->rd));
	if ((wc || rc) && now >= b->next_try)
		rlink_open(b, now);
	if (!rlink_stalled(b, now)) {
		int reader = redis_state(b->rd) == REDIS_UP && !b->down;
		for (struct rroom *rr = b->rooms; rr; rr = rr->next) {
			rroom_release(b, rr, reader, now);
			for (struct rop *op = rr->ops; op; op = op->next)
				if (op->replied)
					sooner(&t, op->since +
					       STORE_REDIS_HOLD_MS, now);
		}
		sooner_ms(&t, rlink_check_slow(b, now));
		outbox_flush(b);
		if (b->user && b->user_up)
			sooner_ms(&t, b->user->run(b->user->ctx, now));
		xread_send(b, now);
		rlink_flush(b);
	}
	if (redis_state(b->w) == REDIS_CLOSED)
		sooner(&t, b->next_try, now);
	else if (redis_state(b->w) == REDIS_CONNECTING ||
		 redis_state(b->rd) == REDIS_CONNECTING)
		sooner(&t, b->opened + STORE_REDIS_STALL_MS + 1, now);
	if (b->xread_out)
		sooner(&t, b->xread_at + STORE_REDIS_BLOCK_MS +
		       STORE_REDIS_STALL_MS + 1, now);
	else if (b->nloaded && b->xread_pause > now)
		sooner(&t, b->xread_pause, now);
	return t;
}
