/* store_redis.c — the room log in Redis Streams (issue 13): every
 * broker pointing at the same Redis (and the same prefix) serves the
 * same rooms, with the same sequence numbers, in the same order.
 *
 * Keys (PREFIX is cfg->prefix, "natter:" by default, so two chats can
 * share one Redis):
 *   PREFIXroom:NAME   a Stream: the room's log, IDs made by Redis (*),
 *                     trimmed with MAXLEN ~ keep (about keep entries:
 *                     at most keep + stream-node-max-entries, 100 by
 *                     default); fields in store_stream.h
 *   PREFIXseq:NAME    a string: the room's last sequence number
 *   PREFIXhw:NAME     a hash: per store ("ID/"), the last append number
 *                     it logged in the room (so a line sent again after
 *                     a lost reply, or kept while Redis was away, is
 *                     logged once: the script skips a number not above)
 *
 * Appending is one script (EVAL, then EVALSHA once SCRIPT LOAD gave its
 * SHA1), atomic in Redis, so stream order and sequence order are one:
 *   n = INCR seq:NAME; when the counter was missing (n == 1) n goes past
 *   the seq of the stream's last entry; n goes past ARGV floor (the
 *   highest this broker has seen: a Redis restarted empty does not hand
 *   out a number twice while a broker remembers it); SET back when
 *   raised; XADD room:NAME MAXLEN ~ keep * seq n ...; return {n, id,
 *   prev, between} (prev: the ID of the entry before ours, "0-0" for
 *   none; between: when prev is another store's entry and not ARGV[12],
 *   the last entry this broker has shown of the room, the entries from
 *   that one to ours, at most 64: what the reader has not brought yet,
 *   so the append completes at its reply, in stream order; when prev
 *   is our own, the chain does it).
 *
 * Two connections: b->w carries the scripts, SCRIPT LOAD, a room's load
 * (XREVRANGE + - COUNT cache, at the first request that names it) and
 * CLIENT UNBLOCK; b->rd carries one XREAD BLOCK STORE_REDIS_BLOCK_MS at
 * a time over every loaded room, from the last ID read of each (store_
 * redis_link.c).  Entries another store logged reach the core as
 * store_backend_remote (STORE_REMOTE) in stream order.  This store's
 * own appends carry host "ID/N" (a random ID per open, N its append
 * number): an append completes at its reply when the reader has read
 * the entry before it (prev), else when the reader reaches it, so every
 * host sees its room's lines in one order, and a host's own lines go
 * at the speed of one round trip while no other host's line is in
 * between; it completes at once when
 * the reader is down, and after STORE_REDIS_HOLD_MS at the latest
 * (then, and only then, a host may show lines in another order).
 *
 * Failure: a lost connection (or a connect refused, or one taking
 * STORE_REDIS_STALL_MS) closes both; appends waiting for a reply
 * complete with ECONNRESET (Redis may have logged them: the reader,
 * once back, takes them for our own and skips them), appends while
 * down with the errno of the last failure (ECONNREFUSED...), seq 0; the
 * core says once that history stops and once that it is written again
 * (when SCRIPT LOAD succeeds after a reconnect).  Reconnects: from
 * store_run, after STORE_REDIS_BACKOFF_MIN ms doubling to _MAX.  The
 * reader resumes from each room's last ID: entries logged elsewhere
 * meanwhile arrive (those MAXLEN has not trimmed yet).  Anything read
 * that is not what it should be (a reply of the wrong shape, an entry
 * with bad fields or a sequence number out of order) is skipped, with
 * at most one log line per STORE_REDIS_BAD_LOG_MS. */
#include "store_redis_int.h"

#include "io.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char script[] =
    "local hw = tonumber(redis.call('HGET', KEYS[3], ARGV[10]) or '0')\n"
    "if tonumber(ARGV[11]) <= hw then return {0, '0-0'} end\n"
    "redis.call('HSET', KEYS[3], ARGV[10], ARGV[11])\n"
    "local n = redis.call('INCR', KEYS[2])\n"
    "local m = n\n"
    "if n == 1 then\n"
    "  local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)\n"
    "  if last[1] then\n"
    "    local f = last[1][2]\n"
    "    for i = 1, #f - 1, 2 do\n"
    "      if f[i] == 'seq' then\n"
    "        local s = tonumber(f[i + 1]) or 0\n"
    "        if s >= n then n = s + 1 end\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "local floor = tonumber(ARGV[1])\n"
    "if n <= floor then n = floor + 1 end\n"
    "local ns = string.format('%d', n)\n"
    "if n ~= m then redis.call('SET', KEYS[2], ns) end\n"
    "local pv = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)\n"
    "local prev = pv[1] and pv[1][1] or '0-0'\n"
    "local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*',\n"
    "  'seq', ns, 'time_ms', ARGV[3], 'kind', ARGV[4], 'name', ARGV[5],\n"
    "  'origin', ARGV[6], 'origin_no', ARGV[7], 'text', ARGV[8],\n"
    "  'host', ARGV[9])\n"
    "local between = {}\n"
    "local own = false\n"
    "if pv[1] then\n"
    "  local f = pv[1][2]\n"
    "  for i = 1, #f - 1, 2 do\n"
    "    if f[i] == 'host' and\n"
    "       string.sub(f[i + 1], 1, #ARGV[10]) == ARGV[10] then\n"
    "      own = true\n"
    "    end\n"
    "  end\n"
    "end\n"
    "if prev ~= ARGV[12] and not own then\n"
    "  between = redis.call('XRANGE', KEYS[1], ARGV[12], id, 'COUNT', 64)\n"
    "end\n"
    "return {n, id, prev, between}\n";

size_t rkey(const struct rbk *b, char *buf, const char *kind,
	    const char *room)
{
	int n = snprintf(buf, RKEY_MAX, "%s%s:%s", b->prefix, kind, room);
	return n < 0 ? 0 : (size_t)n; /* fits: RKEY_MAX is the sum */
}

static void rop_free(struct rop *op)
{
	free(op->e);
	free(op);
}

/* Completes op (taken off its room's list); frees it when its reply
 * has come, else the reply's callback will. */
void rop_done(struct rbk *b, struct rop *op, int status)
{
	struct rroom *rr = op->rr;
	struct rop **pp = &rr->ops, *prev = NULL;
	while (*pp && *pp != op) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (*pp)
		*pp = op->next;
	if (rr->ops_tail == op)
		rr->ops_tail = prev;
	op->rr = NULL;
	if (status)
		op->e->seq = 0;
	store_backend_done(b->st, rr->r, op->token, status, op->e);
	if (op->replied)
		rop_free(op);
}

void rroom_release(struct rbk *b, struct rroom *rr, int only_old,
		   long long now)
{
	struct rop *op = rr->ops, *next;
	for (; op; op = next) {
		next = op->next;
		if (op->replied &&
		    (!only_old || now - op->since >= STORE_REDIS_HOLD_MS))
			rop_done(b, op, 0);
	}
}

/* {n, id, prev, between}: the script's answer; 0, or -1 when it is
 * not that. */
static int eval_answer(const struct resp_value *v, uint64_t *seq,
		       struct stream_id *id, struct stream_id *prev)
{
	if (v->type != RESP_ARRAY || v->n != 4 ||
	    v->elem[0].type != RESP_INTEGER || v->elem[0].integer < 1 ||
	    v->elem[1].type != RESP_BULK || v->elem[2].type != RESP_BULK ||
	    stream_id_parse(v->elem[1].str, v->elem[1].len, id) < 0 ||
	    stream_id_parse(v->elem[2].str, v->elem[2].len, prev) < 0)
		return -1;
	*seq = (uint64_t)v->elem[0].integer;
	return 0;
}

static void between_entry(void *ctx, const struct resp_value *key,
			  const struct stream_id *id,
			  const struct resp_value *fields)
{
	struct rroom *rr = ctx;
	(void)key;
	if (rr->b)
		rroom_entry(rr->b, rr, id, fields);
}

static void eval_reply(void *ctx, const struct resp_value *v)
{
	struct rop *op = ctx;
	struct rbk *b = op->b;
	uint64_t seq;
	op->replied = 1;
	if (v && !b->closing)
		rlink_answered(b);
	if (b->closing || !op->rr) { /* closing, or done before its reply */
		if (!b->closing && v && v->type == RESP_ARRAY)
			outbox_forget(b, op->hno); /* logged: once is enough */
		rop_free(op);
		return;
	}
	if (!v) { /* Redis may have logged it: sent again, once */
		(void)outbox_keep(b, op->rr, op->e, op->hno);
		rop_done(b, op, rlink_errno(redis_error(b->w)));
		return;
	}
	if (v->type == RESP_ERROR || eval_answer(v, &seq, &op->id, &op->prev) < 0) {
		if (v->type == RESP_ERROR && v->len >= 8 &&
		    memcmp(v->str, "NOSCRIPT", 8) == 0)
			b->sha[0] = '\0'; /* EVAL again, then SCRIPT LOAD */
		rlink_bad(b, op->rr->r->name, v->type == RESP_ERROR ?
			  "the append script failed" : "a bad script reply");
		rop_done(b, op, EIO);
		return;
	}
	op->e->seq = seq;
	op->since = io_now_ms();
	struct rroom *rr = op->rr;
	if (redis_state(b->rd) != REDIS_UP || !rr->loaded || b->down ||
	    stream_id_cmp(&op->id, &rr->last) <= 0) {
		rop_done(b, op, 0); /* no reader to wait for, or it passed
				       (the entry was trimmed unseen) */
		return;
	}
	/* what the reader has not brought yet, in stream order: then ours
	 * is in order now, at local speed */
	if (v->elem[3].type == RESP_ARRAY && v->elem[3].n > 0 &&
	    stream_walk_range(&v->elem[3], between_entry, rr) != 0)
		rlink_bad(b, rr->r->name, "a bad range in a script reply");
	rroom_chain(b, rr);
}

void rroom_chain(struct rbk *b, struct rroom *rr)
{
	struct rop *op;
	while ((op = rr->ops) != NULL && op->replied &&
	       (stream_id_cmp(&op->prev, &rr->last) <= 0 ||
		stream_id_cmp(&op->prev, &rr->chain) == 0)) {
		rr->chain = op->id;
		rop_done(b, op, 0);
	}
}

/* 18 arguments: the script (or its SHA1), keys and values. */
int rbk_eval(struct rbk *b, struct rroom *rr, const struct store_entry *e,
	     uint64_t hno, redis_reply_fn fn, void *ctx)
{
	char skey[RKEY_MAX], ckey[RKEY_MAX], hkey[RKEY_MAX], floor[24],
	    keep[24], tm[24], kind[8], no[24], hn[24],
	    host[STREAM_HOST_MAX + 24], known[STREAM_ID_MAX];
	uint64_t f = rr->r->last_seq > rr->seen_seq ? rr->r->last_seq :
		     rr->seen_seq;
	snprintf(floor, sizeof floor, "%llu", (unsigned long long)f);
	snprintf(keep, sizeof keep, "%zu", b->cfg->keep);
	snprintf(tm, sizeof tm, "%lld", (long long)(e->time_ms > 0 ?
						    e->time_ms : 0));
	snprintf(kind, sizeof kind, "%u", e->kind);
	snprintf(no, sizeof no, "%llu", (unsigned long long)e->origin_no);
	snprintf(hn, sizeof hn, "%llu", (unsigned long long)hno);
	snprintf(host, sizeof host, "%s%s", b->host, hn);
	/* the last entry shown here: read, or own and chained */
	stream_id_format(stream_id_cmp(&rr->chain, &rr->last) > 0 ?
			 &rr->chain : &rr->last, known);
	int sha = b->sha[0] != '\0';
	const char *argv[] = {
		sha ? "EVALSHA" : "EVAL", sha ? b->sha : script, "3", skey,
		ckey, hkey, floor, keep, tm, kind, e->name, e->origin, no,
		e->text, host, b->host, hn, known
	};
	size_t lens[18];
	lens[3] = rkey(b, skey, "room", rr->r->name);
	lens[4] = rkey(b, ckey, "seq", rr->r->name);
	lens[5] = rkey(b, hkey, "hw", rr->r->name);
	lens[10] = e->name_len;
	lens[11] = e->origin_len;
	lens[13] = e->text_len;
	for (int i = 0; i < 18; i++) /* the rest are NUL-terminated */
		if (i < 3 || (i > 5 && i != 10 && i != 11 && i != 13))
			lens[i] = strlen(argv[i]);
	return redis_command(b->w, 18, argv, lens, fn, ctx);
}

static struct rroom *rroom_get(struct rbk *b, struct store_room *r)
{
	struct rroom *rr = r->bk;
	if (rr)
		return rr;
	rr = calloc(1, sizeof *rr);
	if (!rr)
		return NULL;
	rr->r = r;
	rr->b = b;
	rr->next = b->rooms;
	b->rooms = rr;
	r->bk = rr;
	return rr;
}

static int rb_append(void *vb, struct store_room *r,
		     const struct store_entry *e, uint64_t token)
{
	struct rbk *b = vb;
	struct rroom *rr = rroom_get(b, r);
	if (!rr) {
		errno = ENOMEM;
		return -1;
	}
	if (redis_state(b->w) == REDIS_CLOSED || b->down || b->slow ||
	    b->ob_unsent) {
		/* out here at once, to the others once Redis is back */
		(void)outbox_keep(b, rr, e, ++b->hno);
		errno = b->slow ? ETIMEDOUT : redis_state(b->w) !=
			REDIS_CLOSED ? EAGAIN : b->err ? b->err : ENOTCONN;
		return -1;
	}
	/* room for the reader's and the loads' commands */
	struct rop *op = redis_pending(b->w) < REDIS_PENDING_MAX - 64 ?
			 calloc(1, sizeof *op) : NULL;
	if (op)
		op->e = rentry_copy(e);
	if (!op || !op->e) {
		free(op);
		errno = EAGAIN;
		return -1;
	}
	op->b = b;
	op->rr = rr;
	op->token = token;
	op->hno = ++b->hno;
	op->since = io_now_ms();
	if (rbk_eval(b, rr, op->e, op->hno, eval_reply, op) < 0) {
		rop_free(op);
		errno = EAGAIN; /* a bound of the link: Redis is slow */
		return -1;
	}
	if (rr->ops_tail)
		rr->ops_tail->next = op;
	else
		rr->ops = op;
	rr->ops_tail = op;
	return 0;
}

/* Keeps the entries of a load, newest first, for load_reply. */
static void load_collect(void *ctx, const struct resp_value *key,
			 const struct stream_id *id,
			 const struct resp_value *fields)
{
	struct rbk *b = ctx;
	(void)key;
	if (b->scr_n < b->cfg->cache) {
		b->scr_ids[b->scr_n] = *id;
		b->scr_fields[b->scr_n++] = fields;
	}
}

static long long wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Feeds the core a loaded room's entries, oldest first; those logged
 * by another host since the room was read empty go out as live. */
static void load_feed(struct rbk *b, struct rroom *rr)
{
	for (size_t i = b->scr_n; i-- > 0;) {
		struct store_entry e;
		const char *host, *why = "a sequence number out of order";
		size_t host_len;
		if (stream_id_cmp(&b->scr_ids[i], &rr->last) > 0)
			rr->last = b->scr_ids[i];
		if (stream_entry_decode(b->scr_fields[i], &e, &host,
					&host_len, &why) < 0 ||
		    e.seq <= rr->seen_seq) {
			rlink_bad(b, rr->r->name, why);
			continue;
		}
		rr->seen_seq = e.seq;
		int own = host_len > b->host_len &&
			  memcmp(host, b->host, b->host_len) == 0;
		if (rr->empty_since && !own &&
		    b->scr_ids[i].ms >= (uint64_t)rr->empty_since)
			store_backend_remote(b->st, rr->r, &e);
		else if (store_backend_loaded(b->st, rr->r, &e) < 0)
			break; /* out of memory: the rest stays unread */
	}
	rr->empty_since = 0;
}

static void load_reply(void *ctx, const struct resp_value *v)
{
	struct rop *op = ctx;
	struct rbk *b = op->b;
	struct rroom *rr = op->rr;
	rop_free(op);
	if (b->closing)
		return;
	rr->load_sent = 0;
	if (v && v->type != RESP_ERROR) {
		b->scr_n = 0;
		long bad = stream_walk_range(v, load_collect, b);
		if (bad != 0)
			rlink_bad(b, rr->r->name, "a bad XREVRANGE reply");
		load_feed(b, rr);
		rr->loaded = 1;
		b->nloaded++;
		rlink_room_loaded(b);
	} else if (v) {
		rlink_bad(b, rr->r->name, "XREVRANGE refused");
	} else if (!rr->empty_since) {
		rr->empty_since = wall_now();
	}
	/* not loaded (lost, refused): it reads as it is, and a reconnect
	 * loads it again */
	store_backend_room_ready(b->st, rr->r);
}

int rbk_script_load(struct rbk *b, redis_reply_fn fn)
{
	const char *argv[] = { "SCRIPT", "LOAD", script };
	size_t lens[] = { 6, 4, sizeof script - 1 };
	return redis_command(b->w, 3, argv, lens, fn, b);
}

int rroom_send_load(struct rbk *b, struct rroom *rr)
{
	char key[RKEY_MAX], count[24];
	struct rop *op = calloc(1, sizeof *op);
	if (!op)
		return -1;
	op->b = b;
	op->rr = rr;
	op->load = 1;
	snprintf(count, sizeof count, "%zu", b->cfg->cache);
	const char *argv[] = { "XREVRANGE", key, "+", "-", "COUNT", count };
	size_t lens[] = { 9, rkey(b, key, "room", rr->r->name), 1, 1, 5,
			  strlen(count) };
	if (redis_command(b->w, 6, argv, lens, load_reply, op) < 0) {
		free(op);
		return -1;
	}
	rr->load_sent = 1;
	return 0;
}

static int rb_room_load(void *vb, struct store_room *r)
{
	struct rbk *b = vb;
	struct rroom *rr = rroom_get(b, r);
	if (rr && redis_state(b->w) == REDIS_CLOSED && !rr->empty_since)
		rr->empty_since = wall_now();
	if (!rr || redis_state(b->w) == REDIS_CLOSED)
		return -1; /* reads it empty; loaded after a reconnect */
	return rroom_send_load(b, rr);
}

static void rb_room_free(void *vb, struct store_room *r)
{
	struct rbk *b = vb;
	struct rroom *rr = r->bk, **pp = &b->rooms;
	b->closing = 1; /* rooms go only when the store closes */
	if (!rr)
		return;
	while (rr->ops) {
		struct rop *op = rr->ops;
		rr->ops = op->next;
		op->rr = NULL;
		if (op->replied)
			rop_free(op); /* else its callback frees it */
	}
	while (*pp && *pp != rr)
		pp = &(*pp)->next;
	if (*pp)
		*pp = rr->next;
	free(rr);
	r->bk = NULL;
}

static int rb_fds(void *vb, struct store_fd *out, int max)
{
	struct rbk *b = vb;
	struct redis *links[] = { b->w, b->rd };
	int n = 0;
	for (int i = 0; i < 2 && n < max; i++)
		if (redis_state(links[i]) != REDIS_CLOSED)
			out[n++] = (struct store_fd){ redis_fd(links[i]),
						      redis_events(links[i]) };
	return n;
}

static void rb_ready(void *vb, int fd, unsigned events)
{
	struct rbk *b = vb;
	struct redis *l = fd == redis_fd(b->w) ? b->w :
			  fd == redis_fd(b->rd) ? b->rd : NULL;
	if (l && fd >= 0 && redis_ready(l, events) < 0)
		rlink_lost(b, redis_error(l));
}

static int rb_run(void *vb, long long now)
{
	return rlink_run(vb, now);
}

static void rb_close(void *vb)
{
	struct rbk *b = vb;
	b->closing = 1;
	redis_free(b->w);
	redis_free(b->rd);
	outbox_free(b);
	free(b->password);
	free(b->argv);
	free(b->lens);
	free(b->argbuf);
	free(b->scr_fields);
	free(b->scr_ids);
	free(b);
}

const struct store_ops rbk_ops = {
	.name = "redis",
	.append = rb_append,
	.run = rb_run,
	.fds = rb_fds,
	.ready = rb_ready,
	.room_free = rb_room_free,
	.room_load = rb_room_load,
	.close = rb_close,
};

/* "ID/": 16 hex digits from /dev/urandom (the pid and clocks when it
 * cannot be read: distinct enough for stores of one machine). */
static void host_make(struct rbk *b)
{
	unsigned long long v = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || io_read(fd, &v, sizeof v) != (ssize_t)sizeof v) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		v = ((unsigned long long)getpid() << 40) ^
		    (unsigned long long)ts.tv_nsec ^
		    ((unsigned long long)ts.tv_sec << 20) ^
		    (unsigned long long)(uintptr_t)b;
	}
	if (fd >= 0)
		close(fd);
	b->host_len = (size_t)snprintf(b->host, sizeof b->host, "%016llx/",
				       v);
}

/* The backend's allocations, sized by the config. */
static int rbk_alloc(struct rbk *b, const char *password)
{
	size_t rooms = b->cfg->rooms_max + STORE_REDIS_USER_STREAMS,
	       args = 6 + 2 * rooms;
	b->w = redis_new();
	b->rd = redis_new();
	b->password = password ? strdup(password) : NULL;
	b->argv = calloc(args, sizeof *b->argv);
	b->lens = calloc(args, sizeof *b->lens);
	b->argbuf = calloc(rooms, RKEY_MAX + STREAM_ID_MAX);
	b->scr_fields = calloc(b->cfg->cache, sizeof *b->scr_fields);
	b->scr_ids = calloc(b->cfg->cache, sizeof *b->scr_ids);
	return b->w && b->rd && (b->password || !password) && b->argv &&
	       b->lens && b->argbuf && b->scr_fields && b->scr_ids ? 0 : -1;
}

struct store *store_open_redis(const struct store_config *cfg,
			       const struct redis_addr *addr,
			       const char *password, char *err,
			       size_t errlen)
{
	struct store_config c = *cfg;
	const char *prefix = cfg->prefix ? cfg->prefix : STORE_REDIS_PREFIX;
	if (strlen(prefix) > STORE_REDIS_PREFIX_MAX ||
	    c.rooms_max > STORE_REDIS_ROOMS_MAX) {
		snprintf(err, errlen, "redis: a key prefix longer than %d "
			 "bytes or more than %d rooms", STORE_REDIS_PREFIX_MAX,
			 STORE_REDIS_ROOMS_MAX);
		return NULL;
	}
	if (!c.cache || c.cache > STORE_REDIS_CACHE_MAX)
		c.cache = STORE_REDIS_CACHE_MAX;
	struct store *st = store_core_new(&c);
	struct rbk *b = st ? calloc(1, sizeof *b) : NULL;
	if (b) {
		b->st = st;
		b->cfg = store_backend_config(st);
	}
	if (!b || rbk_alloc(b, password) < 0) {
		snprintf(err, errlen, "redis: out of memory");
		if (b)
			rb_close(b);
		store_core_free(st);
		return NULL;
	}
	b->addr = *addr;
	memcpy(b->prefix, prefix, strlen(prefix) + 1);
	b->reader_id = -1;
	b->backoff = STORE_REDIS_BACKOFF_MIN;
	host_make(b);
	store_backend_set(st, &rbk_ops, b);
	rlink_open(b, io_now_ms());
	return st;
}
