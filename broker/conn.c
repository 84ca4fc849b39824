/* conn.c — one handler's connection: reading frames, queueing output,
 * flushing, being cut off, closing.  See server.h for the life cycle. */
#include "server.h"
#include "io.h"
#include "log.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KICK_TEXT "You are too far behind; disconnected."

static void link_all(struct server *s, struct conn *c)
{
	c->next_all = s->all;
	if (s->all)
		s->all->prev_all = c;
	s->all = c;
	s->nconns++;
}

static void unlink_all(struct server *s, struct conn *c)
{
	if (c->prev_all)
		c->prev_all->next_all = c->next_all;
	else
		s->all = c->next_all;
	if (c->next_all)
		c->next_all->prev_all = c->prev_all;
	s->nconns--;
}

struct conn *conn_new(struct server *s, int fd)
{
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->fd = fd;
	c->state = CONN_OPEN;
	outq_init(&c->out, s->queue_max);
	if (evloop_add(s->loop, fd, EV_IN, c) != 0) {
		free(c);
		return NULL;
	}
	c->registered = EV_IN;
	memcpy(c->ip, "?", 2);
	memcpy(c->port, "?", 2);
	link_all(s, c);
	return c;
}

/* The link at offset `at` of c: one function for every chain. */
static struct conn_link *link_at(struct conn *c, size_t at)
{
	return (struct conn_link *)(void *)((char *)c + at);
}

static void chain_append(struct conn_chain *ch, struct conn *c, size_t at)
{
	struct conn_link *l = link_at(c, at);
	l->prev = ch->tail;
	l->next = NULL;
	if (ch->tail)
		link_at(ch->tail, at)->next = c;
	else
		ch->head = c;
	ch->tail = c;
}

static void chain_remove(struct conn_chain *ch, struct conn *c, size_t at)
{
	struct conn_link *l = link_at(c, at);
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

#define DIRTY offsetof(struct conn, dirty_link)
#define DRAIN offsetof(struct conn, drain_link)

void conn_mark_dirty(struct server *s, struct conn *c)
{
	if (c->dirty)
		return;
	c->dirty = 1;
	chain_append(&s->dirty, c, DIRTY);
}

void conn_unmark_dirty(struct server *s, struct conn *c)
{
	if (!c->dirty)
		return;
	chain_remove(&s->dirty, c, DIRTY);
	c->dirty = 0;
}

/* Writes what c's queue holds, now, without blocking, unless c waits
 * for EV_OUT (a write would only meet EAGAIN).  Queues are written once
 * a round (FLUSH_BATCH at a time, broker.c), after the input read
 * meanwhile; but a round may read a burst from many senders at once,
 * more than a queue holds, and a handler that reads promptly must not
 * be cut for that.  Only the queue changes here: a write error is met
 * again, and ends the connection, when the queue's turn comes, never
 * in the middle of a fanout.  A queue written to the end leaves the
 * socket writable for the next write. */
static void conn_write_early(struct conn *c)
{
	if ((c->registered & EV_OUT) && !c->writable)
		return;
	c->writable = outq_flush(&c->out, c->fd, 1) == 1;
}

void conn_queue(struct server *s, struct conn *c, const char *buf,
		size_t len)
{
	if (c->state != CONN_OPEN)
		return;
	if (outq_append(&c->out, buf, len) != 0) {
		conn_write_early(c);
		if (outq_append(&c->out, buf, len) != 0) {
			conn_cut(s, c, KICK_TEXT); /* truly that far behind */
			return;
		}
	} else if (outq_pending(&c->out) > c->out.max / 2) {
		conn_write_early(c);
	}
	conn_mark_dirty(s, c);
}

void conn_send(struct server *s, struct conn *c, int type,
	       const char *a, const char *b, const char *text)
{
	int n = frame_encode_str(s->frame, (uint8_t)type, 0, a, b, text);
	if (n < 0) {
		log_msg(LOG_ERR, "frame type %d too long; not sent", type);
		return;
	}
	conn_queue(s, c, s->frame, (size_t)n);
}

/* Marks c to be cut off once nothing iterates its room; the KICK frame
 * may pass the queue bound by one frame, so the reason always fits. */
void conn_cut(struct server *s, struct conn *c, const char *why)
{
	if (c->state != CONN_OPEN)
		return;
	char kick[FRAME_HDR + 2 + 128];
	int n = frame_encode_str(kick, FRAME_KICK, 0, NULL, NULL, why);
	if (n > 0 && (size_t)n <= sizeof kick)
		(void)outq_append_slack(&c->out, kick, (size_t)n, FRAME_MAX);
	log_msg(LOG_NOTICE, "cutting off %s from %s port %s: %s",
		c->logged_in ? c->m.name : "(not logged in)", c->ip, c->port,
		why);
	c->state = CONN_CUT;
	c->next_cut = s->cuts;
	s->cuts = c;
	conn_mark_dirty(s, c);
}

void conn_announce_leave(struct server *s, struct conn *c)
{
	const struct room *r = c->m.room;
	if (r) {
		int n = frame_encode_str(s->frame, FRAME_LEFT, 0, c->m.name,
					 r->name, NULL);
		if (n > 0)
			cmd_fanout(s, r, c, (size_t)n);
		transcript_line(&s->tr, r->name, "[%s] has left the chat",
				c->m.name);
	}
	log_msg(LOG_INFO, "logout %s from %s port %s", c->m.name, c->ip,
		c->port);
	presence_remove(&s->pres, &c->m);
	c->logged_in = 0;
}

void conn_end(struct server *s, struct conn *c, const char *why)
{
	if (c->state == CONN_DEAD)
		return;
	if (why)
		log_msg(LOG_INFO, "handler %s from %s port %s: %s",
			c->logged_in ? c->m.name : "(not logged in)", c->ip,
			c->port, why);
	if (c->logged_in)
		conn_announce_leave(s, c);
	if (c->state == CONN_DRAIN)
		chain_remove(&s->drain, c, DRAIN);
	if (evloop_del(s->loop, c->fd) != 0)
		log_msg(LOG_WARNING, "evloop_del: %s", strerror(errno));
	close(c->fd);
	c->fd = -1;
	c->state = CONN_DEAD;
	conn_unmark_dirty(s, c); /* freed at the end of the pass */
	c->next_grave = s->grave;
	s->grave = c;
}

/* The queue ends with a KICK; only flushing remains. */
static void start_drain(struct server *s, struct conn *c)
{
	if (c->logged_in)
		conn_announce_leave(s, c);
	c->state = CONN_DRAIN;
	c->deadline = io_now_ms() + BROKER_LINGER_MS;
	chain_append(&s->drain, c, DRAIN);
	conn_mark_dirty(s, c);
}

void conn_process_cuts(struct server *s)
{
	while (s->cuts) {
		struct conn *c = s->cuts;
		s->cuts = c->next_cut;
		if (c->state == CONN_CUT)
			start_drain(s, c); /* its LEFT may cut others */
	}
}

void conn_expire_drains(struct server *s, long long now)
{
	while (s->drain.head && s->drain.head->deadline <= now)
		conn_end(s, s->drain.head, "did not take its KICK in time");
}

void conn_free_grave(struct server *s)
{
	while (s->grave) {
		struct conn *c = s->grave;
		s->grave = c->next_grave;
		unlink_all(s, c);
		outq_free(&c->out);
		free(c->partial);
		free(c);
	}
}

void conn_close_all(struct server *s)
{
	for (struct conn *c = s->all; c; c = c->next_all)
		if (c->state != CONN_DEAD) {
			if (c->logged_in) /* shutting down: no LEFT notices */
				presence_remove(&s->pres, &c->m);
			c->logged_in = 0;
			conn_end(s, c, NULL);
		}
	s->cuts = NULL; /* conn_end took each off the dirty and drain chains */
	conn_free_grave(s);
}
