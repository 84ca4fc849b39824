/* peer.c — a peer's life: creation, queueing, being cut off, closing,
 * freeing (peer.h).  Reading and writing are in peer_io.c. */
#include "peer.h"
#include "io.h"
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KICK_TEXT "You are too far behind; disconnected."

void peers_init(struct peers *set, struct evloop *loop, size_t queue_max,
		const struct peer_ops *ops, void *arg)
{
	memset(set, 0, offsetof(struct peers, inbuf));
	set->loop = loop;
	set->queue_max = queue_max;
	set->ops = ops;
	set->arg = arg;
	set->hold_ms = PEER_HOLD_MS;
	set->pace_ms = PEER_PACE_MS;
	set->pace_min = PEER_PACE_MIN;
	set->stalls = (struct ratelog){ .what = "handlers not reading "
		"(holding nobody for them)", .per_second = PEER_STALL_LOGS };
}

static void link_all(struct peers *set, struct peer *p)
{
	p->next_all = set->all;
	if (set->all)
		set->all->prev_all = p;
	set->all = p;
	set->count++;
}

static void unlink_all(struct peers *set, struct peer *p)
{
	if (p->prev_all)
		p->prev_all->next_all = p->next_all;
	else
		set->all = p->next_all;
	if (p->next_all)
		p->next_all->prev_all = p->prev_all;
	set->count--;
}

struct peer *peer_new(struct peers *set, int fd, size_t size)
{
	if (size < sizeof(struct peer))
		size = sizeof(struct peer);
	struct peer *p = calloc(1, size);
	if (!p)
		return NULL;
	p->src.ready = peer_ready;
	p->set = set;
	p->fd = fd;
	p->state = PEER_OPEN;
	outq_init(&p->out, set->queue_max);
	if (evloop_add(set->loop, fd, EV_IN, &p->src) != 0) {
		int saved = errno;
		free(p);
		errno = saved;
		return NULL;
	}
	p->registered = EV_IN;
	snprintf(p->label, sizeof p->label, "fd %d", fd);
	link_all(set, p);
	return p;
}

void peer_label(struct peer *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->label, sizeof p->label, fmt, ap);
	va_end(ap);
}

/* The link at offset `at` of p: one function for every chain. */
static struct peer_link *link_at(struct peer *p, size_t at)
{
	return (struct peer_link *)(void *)((char *)p + at);
}

static void chain_append(struct peer_chain *ch, struct peer *p, size_t at)
{
	struct peer_link *l = link_at(p, at);
	l->prev = ch->tail;
	l->next = NULL;
	if (ch->tail)
		link_at(ch->tail, at)->next = p;
	else
		ch->head = p;
	ch->tail = p;
}

static void chain_remove(struct peer_chain *ch, struct peer *p, size_t at)
{
	struct peer_link *l = link_at(p, at);
	if (l->prev)
		link_at(l->prev, at)->next = l->next;
	else
		ch->head = l->next;
	if (l->next)
		link_at(l->next, at)->prev = l->prev;
	else
		ch->tail = l->prev;
	l->prev = l->next = NULL;
}

#define DIRTY offsetof(struct peer, dirty_link)
#define DRAIN offsetof(struct peer, drain_link)
#define WAIT offsetof(struct peer, wait_link)
#define RESUME offsetof(struct peer, resume_link)

void peer_mark_dirty(struct peer *p)
{
	if (p->dirty)
		return;
	p->dirty = 1;
	chain_append(&p->set->dirty, p, DIRTY);
}

void peer_unmark_dirty(struct peer *p)
{
	if (!p->dirty)
		return;
	chain_remove(&p->set->dirty, p, DIRTY);
	p->dirty = 0;
}

/* Writes what p's queue holds, now, without blocking, unless p waits
 * for EV_OUT (a write would only meet EAGAIN).  Queues are written once
 * a round (FLUSH_BATCH at a time, broker.c), after the input read
 * meanwhile; but a round may read a burst from many senders at once,
 * more than a queue holds, and a peer that reads promptly must not be
 * cut for that.  Only the queue changes here: a write error is met
 * again, and ends the peer, when the queue's turn comes, never in the
 * middle of a fanout.  A queue written to the end leaves the socket
 * writable for the next write. */
static void write_early(struct peer *p)
{
	if ((p->registered & EV_OUT) && !p->writable)
		return;
	size_t before = outq_pending(&p->out);
	p->writable = outq_flush(&p->out, p->fd, 1) == 1;
	peer_progress(p, before);
}

#define HIGH offsetof(struct peer, high_link)

/* After a write: bytes taken are progress, and a queue above high water
 * goes to the end of the high chain (which stays in progress order). */
void peer_progress(struct peer *p, size_t before)
{
	if (outq_pending(&p->out) == before)
		return;
	p->progress = p->set->now;
	if (p->high) {
		chain_remove(&p->set->high, p, HIGH);
		chain_append(&p->set->high, p, HIGH);
	}
}

struct peer *peers_sending(struct peers *set, struct peer *p)
{
	struct peer *was = set->reading;
	set->reading = p;
	return was;
}

int peer_above_high(const struct peer *p)
{
	return outq_pending(&p->out) > p->out.max / PEER_HIGH_DIV;
}

/* s, whose frame is being handled, is read no more until `on` drains:
 * its registration changes when its turn on the dirty list comes
 * (flush_one), and read_frames stops at once. */
static void hold(struct peer *s, struct peer *on)
{
	if (!s || s->state != PEER_OPEN || s->held_by || s->ending)
		return;
	s->held_by = on;
	chain_append(&on->waiters, s, WAIT);
	peer_mark_dirty(s);
}

void peer_unhold(struct peer *p)
{
	if (p->held_by) {
		chain_remove(&p->held_by->waiters, p, WAIT);
		p->held_by = NULL;
	}
}

static void unresume(struct peer *p)
{
	if (p->resumed) {
		chain_remove(&p->set->resumed, p, RESUME);
		p->resumed = 0;
	}
}

static void stall(struct peer *p);

/* p is below low water, cut or closed: its waiters are read again,
 * and those with frames left over first (peers_run_resumed). */
void peer_release(struct peer *p)
{
	struct peers *set = p->set;
	if (p->high) {
		chain_remove(&set->high, p, HIGH);
		p->high = 0;
	}
	p->stalled = 0;
	while (p->waiters.head) {
		struct peer *w = p->waiters.head;
		chain_remove(&p->waiters, w, WAIT);
		w->held_by = NULL;
		peer_mark_dirty(w);
		if (w->partial_len && !w->resumed) {
			w->resumed = 1;
			chain_append(&set->resumed, w, RESUME);
		}
	}
}

/* Past high water: the sender is held, unless p has made no progress
 * for hold_ms (frozen: it holds nobody). */
static void above_high(struct peer *p)
{
	struct peers *set = p->set;
	if (p->stalled)
		return;
	if (set->now - p->progress >= set->hold_ms) {
		stall(p);
		return;
	}
	if (!p->high) {
		p->high = 1;
		chain_append(&set->high, p, HIGH);
	}
	if (set->reading != p)
		hold(set->reading, p);
	else
		hold(p, p); /* it asks more than it reads: read it no more */
}

void peer_queue(struct peer *p, const char *buf, size_t len)
{
	if (p->state != PEER_OPEN)
		return;
	if (outq_pending(&p->out) == 0)
		p->progress = p->set->now; /* nothing waited: not behind */
	if (outq_append(&p->out, buf, len) != 0) {
		write_early(p);
		/* Senders are held past high water, but each may add a
		 * frame before it is: room for that, up to one more bound. */
		if (p->stalled ||
		    outq_append_slack(&p->out, buf, len, p->out.max) != 0) {
			peer_cut(p, KICK_TEXT); /* truly that far behind */
			return;
		}
	} else if (outq_pending(&p->out) > p->out.max / 2) {
		write_early(p);
	}
	if (peer_above_high(p))
		above_high(p);
	peer_mark_dirty(p);
}

static void mark_cut(struct peer *p)
{
	struct peers *set = p->set;
	p->state = PEER_CUT;
	peer_release(p); /* it takes nothing more: its senders go on */
	p->next_cut = set->cuts;
	set->cuts = p;
	peer_mark_dirty(p);
}

void peer_cut(struct peer *p, const char *why)
{
	if (p->state != PEER_OPEN)
		return;
	char kick[FRAME_HDR + 2 + 128];
	int n = frame_encode_str(kick, FRAME_KICK, 0, NULL, NULL, why);
	if (n > 0 && (size_t)n <= sizeof kick)
		(void)outq_append_slack(&p->out, kick, (size_t)n,
					p->out.max + FRAME_MAX);
	log_msg(LOG_NOTICE, "cutting off %s: %s", p->label, why);
	mark_cut(p);
}

void peer_finish(struct peer *p)
{
	if (p->state == PEER_OPEN)
		mark_cut(p);
}

/* Out of the loop, closed, DEAD: freed at the end of the pass. */
static void bury(struct peer *p)
{
	struct peers *set = p->set;
	if (p->state == PEER_DRAIN)
		chain_remove(&set->drain, p, DRAIN);
	peer_release(p);
	peer_unhold(p);
	unresume(p);
	if (evloop_del(set->loop, p->fd) != 0)
		log_msg(LOG_WARNING, "evloop_del: %s", strerror(errno));
	close(p->fd);
	p->fd = -1;
	p->state = PEER_DEAD;
	peer_unmark_dirty(p);
	p->next_dead = set->dead;
	set->dead = p;
}

void peer_end(struct peer *p, const char *why)
{
	if (p->state == PEER_DEAD)
		return;
	if (why)
		log_msg(LOG_INFO, "handler %s: %s", p->label, why);
	if (p->state == PEER_OPEN || p->state == PEER_CUT)
		p->set->ops->gone(p, PEER_CLOSED, p->set->arg);
	bury(p);
}

/* The queue ends with a KICK (or what peer_finish left); only
 * flushing remains. */
static void start_drain(struct peer *p)
{
	struct peers *set = p->set;
	set->ops->gone(p, PEER_CUT_OFF, set->arg);
	p->state = PEER_DRAIN;
	p->deadline = io_now_ms() + PEER_LINGER_MS;
	chain_append(&set->drain, p, DRAIN);
	peer_mark_dirty(p);
}

void peers_settle(struct peers *set)
{
	while (set->cuts) {
		struct peer *p = set->cuts;
		set->cuts = p->next_cut;
		if (p->state == PEER_CUT)
			start_drain(p); /* its `gone` may cut others */
	}
}

/* No progress for hold_ms: its senders go on; it holds nobody until it
 * drains below low water. */
static void stall(struct peer *p)
{
	peer_release(p);
	p->stalled = 1;
	if (ratelog_take(&p->set->stalls, p->set->now))
		log_msg(LOG_INFO, "%s is not reading; holding nobody for it",
			p->label);
}

long long peers_next_deadline(const struct peers *set)
{
	long long t = set->drain.head ? set->drain.head->deadline : -1;
	long long r = ratelog_due(&set->stalls);
	if (r >= 0 && (t < 0 || r < t))
		t = r;
	if (set->high.head) {
		long long s = set->high.head->progress + set->hold_ms;
		if (t < 0 || s < t)
			t = s;
	}
	return t;
}

void peers_expire(struct peers *set, long long now)
{
	while (set->drain.head && set->drain.head->deadline <= now)
		peer_end(set->drain.head, "did not take its KICK in time");
	/* Above high water with no progress for hold_ms: frozen, not
	 * slow.  Its senders go on; its bound decides. */
	set->now = now;
	while (set->high.head &&
	       set->high.head->progress + set->hold_ms <= now)
		stall(set->high.head);
	ratelog_flush(&set->stalls, now);
}

void peers_free_dead(struct peers *set)
{
	while (set->dead) {
		struct peer *p = set->dead;
		set->dead = p->next_dead;
		unlink_all(set, p);
		outq_free(&p->out);
		free(p->partial);
		free(p);
	}
}

void peers_close_all(struct peers *set)
{
	for (struct peer *p = set->all; p; p = p->next_all)
		if (p->state != PEER_DEAD) {
			if (p->state == PEER_OPEN || p->state == PEER_CUT)
				set->ops->gone(p, PEER_SHUTDOWN, set->arg);
			bury(p);
		}
	set->cuts = NULL; /* bury took each off the dirty and drain chains */
	peers_free_dead(set);
}
