/* store_redis_outbox.c — lines said while Redis is away, kept to be
 * logged once it is back; and the backend's other user (presence
 * across hosts, broker/xhost.c), which shares its connections.
 *
 * The outbox: a line whose append could not be sent (the link is
 * closed), or whose reply was lost with the link (Redis may or may not
 * have logged it), goes out on its own host at once (seq 0, as before)
 * and is kept here, oldest first, at most STORE_REDIS_OUTBOX_MAX lines
 * and STORE_REDIS_OUTBOX_BYTES of text.  Past either bound a line is
 * not kept: it stays on its own host (one log line per episode says
 * how many).  At a reconnect the kept lines are sent, in order, before
 * any new append (rlink_open), with their original append numbers:
 * the script logs a number only once per room (PREFIXhw:ROOM), so a
 * line whose first reply was lost is not logged twice.  Each reply
 * takes its line off; a link lost again leaves the rest to be sent
 * again.  The reader skips them as its own (the host field). */
#include "store_redis_int.h"

#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct store_entry *rentry_copy(const struct store_entry *e)
{
	struct store_entry *c = malloc(sizeof *c + e->name_len +
				       e->origin_len + e->text_len + 3);
	if (!c)
		return NULL;
	char *p = (char *)(c + 1);
	*c = *e;
	c->name = memcpy(p, e->name, e->name_len);
	p[e->name_len] = '\0';
	p += e->name_len + 1;
	c->origin = e->origin_len ? memcpy(p, e->origin, e->origin_len) : p;
	p[e->origin_len] = '\0';
	p += e->origin_len + 1;
	c->text = e->text_len ? memcpy(p, e->text, e->text_len) : p;
	p[e->text_len] = '\0';
	return c;
}

int outbox_keep(struct rbk *b, struct rroom *rr, const struct store_entry *e,
		uint64_t hno)
{
	size_t bytes = e->name_len + e->origin_len + e->text_len;
	struct obx *x = NULL;
	if (b->closing)
		return -1;
	int fits = b->ob_n < STORE_REDIS_OUTBOX_MAX &&
		   b->ob_bytes + bytes <= STORE_REDIS_OUTBOX_BYTES;
	if (fits)
		x = calloc(1, sizeof *x);
	if (x && !(x->e = rentry_copy(e))) {
		free(x);
		x = NULL;
	}
	if (!x) {
		/* once an episode: what is kept, and why no more */
		if (b->ob_dropped++ == 0 && fits)
			store_backend_log(b->st, LOG_WARNING, "redis: out of "
					  "memory for a line said while it is "
					  "away: it stays on this host");
		else if (b->ob_dropped == 1)
			store_backend_log(b->st, LOG_WARNING, "redis: %zu lines "
					  "(%zu bytes) said while it is away are "
					  "kept, the most it keeps (%d lines or %d "
					  "bytes): later ones stay on this host",
					  b->ob_n, b->ob_bytes,
					  STORE_REDIS_OUTBOX_MAX,
					  STORE_REDIS_OUTBOX_BYTES);
		return -1;
	}
	x->rr = rr;
	x->hno = hno;
	if (b->ob_tail)
		b->ob_tail->next = x;
	else
		b->ob_head = x;
	b->ob_tail = x;
	if (!b->ob_unsent)
		b->ob_unsent = x;
	b->ob_n++;
	b->ob_bytes += bytes;
	return 0;
}

static void ob_pop(struct rbk *b)
{
	struct obx *x = b->ob_head;
	b->ob_head = x->next;
	if (!b->ob_head)
		b->ob_tail = NULL;
	b->ob_n--;
	b->ob_bytes -= x->e->name_len + x->e->origin_len + x->e->text_len;
	free(x->e);
	free(x);
}

/* A kept line's reply: logged (or logged before); off the outbox. */
static void ob_reply(void *ctx, const struct resp_value *v)
{
	struct rbk *b = ctx;
	if (b->closing || !v || !b->ob_head || b->ob_head == b->ob_unsent)
		return; /* lost: outbox_lost put it back */
	rlink_answered(b);
	if (v->type == RESP_ERROR)
		rlink_bad(b, b->ob_head->rr->r->name, "a kept line refused");
	ob_pop(b);
	if (!b->ob_head && b->ob_dropped) {
		store_backend_log(b->st, LOG_NOTICE, "redis: the lines said "
				  "while it was away are logged, but %lu that "
				  "were past the bound", b->ob_dropped);
		b->ob_dropped = 0;
	}
}

void outbox_forget(struct rbk *b, uint64_t hno)
{
	struct obx **pp = &b->ob_head, *prev = NULL, *x;
	while ((x = *pp) != NULL && x->hno != hno) {
		prev = x;
		pp = &x->next;
	}
	if (!x || !b->ob_unsent)
		return;
	for (struct obx *u = b->ob_unsent; u != x; u = u->next)
		if (!u)
			return; /* sent already: its reply takes it off */
	if (b->ob_unsent == x)
		b->ob_unsent = x->next;
	*pp = x->next;
	if (b->ob_tail == x)
		b->ob_tail = prev;
	b->ob_n--;
	b->ob_bytes -= x->e->name_len + x->e->origin_len + x->e->text_len;
	free(x->e);
	free(x);
}

void outbox_flush(struct rbk *b)
{
	while (b->ob_unsent && !b->closing && !b->slow &&
	       redis_state(b->w) != REDIS_CLOSED &&
	       redis_pending(b->w) < REDIS_PENDING_MAX / 2) {
		struct obx *x = b->ob_unsent;
		if (rbk_eval(b, x->rr, x->e, x->hno, ob_reply, b) < 0)
			return; /* a bound of the link: from the next run */
		b->ob_unsent = x->next;
	}
}

void outbox_lost(struct rbk *b)
{
	b->ob_unsent = b->ob_head;
}

void outbox_free(struct rbk *b)
{
	while (b->ob_head)
		ob_pop(b);
	b->ob_unsent = NULL;
}

void rlink_answered(struct rbk *b)
{
	b->slow = 0;
}

/* A stalled Redis (SIGSTOP, a long script, a full disk under AOF
 * always) answers nothing and closes nothing: the first append that
 * waits STORE_REDIS_SLOW_MS for its reply makes the link slow; what
 * waits then goes out at once (ETIMEDOUT: one log line, as any failing
 * write) and is kept, and so does each new line, until any reply comes
 * (or the link is dropped, as the reader's stall check does after
 * STORE_REDIS_BLOCK_MS + STORE_REDIS_STALL_MS).  Kept lines sent
 * before are logged once (the append numbers). */
int rlink_check_slow(struct rbk *b, long long now)
{
	long long oldest = -1;
	for (struct rroom *rr = b->rooms; rr; rr = rr->next)
		for (struct rop *op = rr->ops; op; op = op->next)
			if (!op->replied && (oldest < 0 || op->since < oldest))
				oldest = op->since;
	if (oldest < 0)
		return -1;
	if (now - oldest < STORE_REDIS_SLOW_MS)
		return (int)(oldest + STORE_REDIS_SLOW_MS - now);
	b->slow = 1;
	for (struct rroom *rr = b->rooms; rr; rr = rr->next) {
		struct rop *op = rr->ops, *next;
		for (; op; op = next) {
			next = op->next;
			if (op->replied) {
				rop_done(b, op, 0);
				continue;
			}
			(void)outbox_keep(b, rr, op->e, op->hno);
			rop_done(b, op, ETIMEDOUT);
		}
	}
	return -1;
}

/* The other user. */

int store_redis_attach(struct store *st, const struct store_redis_user *u)
{
	struct rbk *b = store_backend_of(st, &rbk_ops);
	if (!b)
		return -1;
	b->user = u;
	return 0;
}

struct redis *store_redis_link(struct store *st)
{
	struct rbk *b = store_backend_of(st, &rbk_ops);
	return b && !b->down && !b->slow && redis_state(b->w) != REDIS_CLOSED ?
	       b->w : NULL;
}

const char *store_redis_prefix(struct store *st)
{
	struct rbk *b = store_backend_of(st, &rbk_ops);
	return b ? b->prefix : STORE_REDIS_PREFIX;
}

void store_redis_restream(struct store *st)
{
	struct rbk *b = store_backend_of(st, &rbk_ops);
	if (b)
		rlink_room_loaded(b);
}
