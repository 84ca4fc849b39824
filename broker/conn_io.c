/* conn_io.c — readiness events of a handler's connection: reading and
 * decoding frames, and writing the queues that were written to. */
#include "server.h"
#include "io.h"
#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Keeps the tail of an incomplete frame for the next read.  A frame is
 * at most FRAME_MAX bytes, so the tail is always shorter than that. */
static int keep_partial(struct server *s, struct conn *c, const char *p,
			size_t len)
{
	c->partial_len = 0;
	if (len == 0)
		return 0;
	if (!c->partial && !(c->partial = malloc(FRAME_MAX))) {
		conn_end(s, c, "out of memory");
		return -1;
	}
	memcpy(c->partial, p, len);
	c->partial_len = len;
	return 0;
}

static int ordinary_close(int err)
{
	return err == ECONNRESET || err == EPIPE;
}

/* One read per event (BROKER_READ_CHUNK at most), so a busy handler
 * cannot starve the others; the rest waits for the next iteration. */
static void read_frames(struct server *s, struct conn *c)
{
	char *buf = s->inbuf;
	size_t have = c->partial_len;
	if (have)
		memcpy(buf, c->partial, have);
	ssize_t n = io_read(c->fd, buf + have, BROKER_READ_CHUNK);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		conn_end(s, c, n == 0 || ordinary_close(errno) ? NULL
							       : strerror(errno));
		return;
	}
	have += (size_t)n;
	s->pass_in += (size_t)n;
	size_t off = 0;
	while (c->state == CONN_OPEN) {
		struct frame f;
		int k = frame_decode(buf + off, have - off, &f);
		if (k == FRAME_NEED_MORE)
			break;
		if (k == FRAME_BAD) {
			conn_end(s, c, "malformed frame; disconnected");
			return;
		}
		cmd_dispatch(s, c, &f);
		conn_process_cuts(s);
		off += (size_t)k;
	}
	if (c->state == CONN_OPEN)
		(void)keep_partial(s, c, buf + off, have - off);
}

void conn_event(struct server *s, struct conn *c, unsigned events)
{
	if (c->state == CONN_DEAD)
		return;
	if (c->state == CONN_OPEN && (events & (EV_IN | EV_ERR)))
		read_frames(s, c);
	else if (c->state == CONN_DRAIN && (events & EV_ERR))
		conn_end(s, c, NULL); /* the handler is gone */
	if (c->state != CONN_DEAD && (events & EV_OUT)) {
		c->writable = 1;
		conn_mark_dirty(s, c);
	}
	/* A LEFT sent as c closed may have cut others: settle them now,
	 * so no later event of this batch meets a handler half cut. */
	conn_process_cuts(s);
}

/* The events c should be polled for now. */
static unsigned wanted(const struct conn *c, int queue_empty)
{
	unsigned w = c->state == CONN_OPEN ? EV_IN : 0u;
	return queue_empty ? w : w | EV_OUT;
}

/* Flushes c (unless it waits for EV_OUT) and asks the evloop for what
 * it needs now: a draining handler is never polled for input, or its
 * unread frames would wake the loop forever (level-triggered). */
static void flush_one(struct server *s, struct conn *c)
{
	if (c->state == CONN_DEAD)
		return;
	int empty = 0;
	/* Waiting for EV_OUT: a write now would only meet EAGAIN. */
	if (!(c->registered & EV_OUT) || c->writable) {
		c->writable = 0;
		int r = outq_flush(&c->out, c->fd, 1);
		if (r < 0) {
			conn_end(s, c, ordinary_close(errno) ? NULL
							     : strerror(errno));
			return;
		}
		if (r == 1 && c->state == CONN_DRAIN) {
			conn_end(s, c, NULL); /* the KICK went out */
			return;
		}
		empty = r == 1;
	}
	unsigned w = wanted(c, empty);
	if (w != c->registered) {
		if (evloop_mod(s->loop, c->fd, w, c) != 0) {
			conn_end(s, c, strerror(errno));
			return;
		}
		c->registered = w;
	}
}

int conn_flush_dirty(struct server *s, size_t most)
{
	for (size_t i = 0; i < most && s->dirty.head; i++) {
		struct conn *c = s->dirty.head;
		conn_unmark_dirty(s, c);
		flush_one(s, c);
		conn_process_cuts(s); /* a LEFT may have cut someone */
	}
	return s->dirty.head == NULL;
}
