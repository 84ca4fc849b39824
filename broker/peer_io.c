/* peer_io.c — a peer's readiness: reading and decoding frames, and
 * writing the queues that were written to (peer.h). */
#include "peer.h"
#include "io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Keeps what is left of a read: the tail of an incomplete frame, or,
 * when p is held, the frames not yet handled (at most the whole buffer:
 * FRAME_MAX + PEER_READ_CHUNK bytes). */
static void keep_partial(struct peer *p, const char *from, size_t len)
{
	p->partial_len = 0;
	if (len == 0)
		return;
	if (len > p->partial_cap) {
		size_t cap = len < FRAME_MAX ? FRAME_MAX
					     : FRAME_MAX + PEER_READ_CHUNK;
		char *np = realloc(p->partial, cap);
		if (!np) {
			peer_end(p, "out of memory");
			return;
		}
		p->partial = np;
		p->partial_cap = cap;
	}
	memmove(p->partial, from, len);
	p->partial_len = len;
}

static int ordinary_close(int err)
{
	return err == ECONNRESET || err == EPIPE;
}

/* Hands the whole frames of buf (have bytes, in set->inbuf) up, one by
 * one, settling the cuts each caused before the next; stops when p is
 * held (backpressure, peer.h) and keeps the rest.  0, or -1 when p
 * ended. */
int peer_take_frames(struct peer *p, char *buf, size_t have)
{
	struct peers *set = p->set;
	size_t off = 0;
	while (p->state == PEER_OPEN && !p->held_by) {
		struct frame f;
		int k = frame_decode(buf + off, have - off, &f);
		if (k == FRAME_NEED_MORE)
			break;
		if (k == FRAME_BAD) {
			peer_end(p, "malformed frame; disconnected");
			return -1;
		}
		set->reading = p;
		set->ops->frame(p, &f, set->arg);
		set->reading = NULL;
		peers_settle(set);
		off += (size_t)k;
	}
	if (p->state != PEER_OPEN)
		return -1;
	keep_partial(p, buf + off, have - off);
	return 0;
}

/* One read per event (PEER_READ_CHUNK at most), so a busy peer cannot
 * starve the others; the rest waits for the next iteration.  A held
 * peer is not read (its registration catches up in flush_one), unless
 * it hung up: a hang-up is reported whatever is asked, and ignoring it
 * would spin the loop.  A peer that hung up or failed is held no more:
 * every whole frame it sent is handled before it ends, also those
 * that waited while it was held. */
static void read_frames(struct peer *p, unsigned events)
{
	struct peers *set = p->set;
	char *buf = set->inbuf;
	size_t have = p->partial_len;
	if (p->held_by && !(events & EV_ERR))
		return;
	if (events & EV_ERR) {
		p->ending = 1;
		peer_unhold(p);
	}
	if (have)
		memcpy(buf, p->partial, have);
	size_t room = sizeof set->inbuf - have;
	ssize_t n = 0;
	if (room > 0)
		n = io_read_some(p->fd, buf + have,
				 room < PEER_READ_CHUNK ? room : PEER_READ_CHUNK);
	int err = n < 0 ? errno : 0;
	if (n > 0) {
		have += (size_t)n;
		set->pass_in += (size_t)n;
	} else if (n < 0) {
		p->ending = 1;
		peer_unhold(p);
	} else if (!p->ending) {
		return; /* nothing now */
	}
	if (peer_take_frames(p, buf, have) == 0 && n < 0)
		peer_end(p, ordinary_close(err) ? NULL : strerror(err));
}

/* Released peers with whole frames left from a read: handled now, as
 * no new data may come to wake them. */
void peers_run_resumed(struct peers *set)
{
	while (set->resumed.head) {
		struct peer *p = set->resumed.head;
		p->resumed = 0;
		set->resumed.head = p->resume_link.next;
		if (set->resumed.head)
			set->resumed.head->resume_link.prev = NULL;
		else
			set->resumed.tail = NULL;
		p->resume_link.next = NULL;
		if (p->state != PEER_OPEN || p->held_by || !p->partial_len)
			continue;
		size_t have = p->partial_len;
		memcpy(set->inbuf, p->partial, have);
		(void)peer_take_frames(p, set->inbuf, have);
	}
}

/* p's socket takes more: its queue waits for its turn (which pacing
 * may put off), and the loop stops asking for EV_OUT meanwhile: level
 * triggered, a writable socket would wake it at once, again and again,
 * until the turn came.  flush_one asks again if a write falls short. */
static void now_writable(struct peer *p)
{
	p->writable = 1;
	peer_mark_dirty(p);
	unsigned w = p->registered & ~EV_OUT;
	if (w != p->registered) {
		if (evloop_mod(p->set->loop, p->fd, w, &p->src) != 0) {
			peer_end(p, strerror(errno));
			return;
		}
		p->registered = w;
	}
}

void peer_ready(struct ev_source *src, unsigned events)
{
	struct peer *p = (struct peer *)(void *)src; /* src is first */
	if (p->state == PEER_DEAD)
		return;
	p->set->now = io_now_ms();
	if (p->state == PEER_OPEN && (events & (EV_IN | EV_ERR)))
		read_frames(p, events);
	else if (p->state == PEER_DRAIN && (events & EV_ERR))
		peer_end(p, NULL); /* the handler is gone */
	if (p->state != PEER_DEAD && (events & EV_OUT))
		now_writable(p);
	/* A `gone` as p closed may have cut others: settle them now, so
	 * no later event of this batch meets a peer half cut. */
	peers_settle(p->set);
}

/* The events p should be polled for now. */
static unsigned wanted(const struct peer *p, int queue_empty)
{
	unsigned w = p->state == PEER_OPEN && !p->held_by ? EV_IN : 0u;
	return queue_empty ? w : w | EV_OUT;
}

/* Flushes p (unless it waits for EV_OUT) and asks the evloop for what
 * it needs now: a draining peer is never polled for input, or its
 * unread frames would wake the loop forever (level-triggered). */
static void flush_one(struct peer *p)
{
	if (p->state == PEER_DEAD)
		return;
	int empty = 0;
	/* Waiting for EV_OUT: a write now would only meet EAGAIN. */
	if (!(p->registered & EV_OUT) || p->writable) {
		p->writable = 0;
		size_t before = outq_pending(&p->out);
		int r = outq_flush(&p->out, p->fd, 1);
		if (r < 0) {
			peer_end(p, ordinary_close(errno) ? NULL
							  : strerror(errno));
			return;
		}
		if (r == 1 && p->state == PEER_DRAIN) {
			peer_end(p, NULL); /* the KICK went out */
			return;
		}
		empty = r == 1;
		peer_progress(p, before);
		if ((p->high || p->stalled) && outq_pending(&p->out) <
		    p->out.max / PEER_LOW_DIV)
			peer_release(p); /* its senders are read again */
	}
	unsigned w = wanted(p, empty);
	if (w != p->registered) {
		if (evloop_mod(p->set->loop, p->fd, w, &p->src) != 0) {
			peer_end(p, strerror(errno));
			return;
		}
		p->registered = w;
	}
}

/* 1 when p, the dirty chain's head, waits for its turn (peer.h:
 * pacing).  The chain is in the order queues were dirtied: the ones
 * after it were dirtied later, and wait for it (at most pace_ms; a
 * queue from low water up may wait so behind a paced head: far below
 * its bound, as pace_ms of a fast room fills a few KB). */
static int paced(struct peers *set, const struct peer *p)
{
	if (!set->pace_ms || set->count < set->pace_min ||
	    p->state != PEER_OPEN || set->now - p->written >= set->pace_ms ||
	    outq_pending(&p->out) >= p->out.max / PEER_LOW_DIV)
		return 0;
	set->pace_due = p->written + set->pace_ms;
	return 1;
}

int peers_flush(struct peers *set, size_t most)
{
	set->now = io_now_ms();
	set->pace_due = 0;
	for (size_t i = 0; i < most && set->dirty.head; i++) {
		struct peer *p = set->dirty.head;
		if (paced(set, p))
			break;
		peer_unmark_dirty(p);
		p->written = set->now;
		flush_one(p);
		peers_settle(set); /* a `gone` may have cut someone */
	}
	peers_run_resumed(set);
	return set->dirty.head == NULL;
}
