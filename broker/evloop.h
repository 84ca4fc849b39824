/* evloop.h — the broker's readiness interface: epoll on Linux, poll(2)
 * elsewhere (or with -DEVLOOP_POLL).  Level-triggered in both.
 *
 * As in Redis' ae.c, each registered descriptor carries its own
 * handler: a struct ev_source, embedded in whatever owns the
 * descriptor (the listener, the signal pipe, a peer), whose `ready`
 * the loop's owner calls with the events.  The loop never decides by
 * comparing pointers what an event is for. */
#ifndef NATTER_BROKER_EVLOOP_H
#define NATTER_BROKER_EVLOOP_H

#define EV_IN 1u
#define EV_OUT 2u
#define EV_ERR 4u /* hang-up or error: reported whether asked for or not */

struct evloop;

struct ev_source {
	/* Called with the events of one wait (EV_*); it may delete or
	 * close its own descriptor, but the source itself must stay
	 * valid until the end of the batch of events it came in. */
	void (*ready)(struct ev_source *src, unsigned events);
};

struct ev {
	struct ev_source *src;
	unsigned events;
};

/* NULL when out of memory or descriptors (errno set). */
struct evloop *evloop_new(void);
void evloop_free(struct evloop *l);
/* Each returns 0 or -1 with errno set. */
int evloop_add(struct evloop *l, int fd, unsigned events,
	       struct ev_source *src);
int evloop_mod(struct evloop *l, int fd, unsigned events,
	       struct ev_source *src);
int evloop_del(struct evloop *l, int fd);
/* Waits up to timeout_ms (-1: forever) and fills at most max events.
 * Returns their number (0 on timeout or EINTR), or -1 with errno. */
int evloop_wait(struct evloop *l, struct ev *out, int max, int timeout_ms);

/* Calls the handler of one event. */
static inline void ev_dispatch(const struct ev *e)
{
	e->src->ready(e->src, e->events);
}

#endif
