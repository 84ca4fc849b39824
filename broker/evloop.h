/* evloop.h — the broker's readiness interface: epoll on Linux, poll(2)
 * elsewhere (or with -DEVLOOP_POLL).  Level-triggered in both. */
#ifndef NATTER_BROKER_EVLOOP_H
#define NATTER_BROKER_EVLOOP_H

#define EV_IN 1u
#define EV_OUT 2u
#define EV_ERR 4u /* hang-up or error: reported whether asked for or not */

struct evloop;

struct ev {
	void *ptr;
	unsigned events;
};

/* NULL when out of memory or descriptors (errno set). */
struct evloop *evloop_new(void);
void evloop_free(struct evloop *l);
/* Each returns 0 or -1 with errno set. */
int evloop_add(struct evloop *l, int fd, unsigned events, void *ptr);
int evloop_mod(struct evloop *l, int fd, unsigned events, void *ptr);
int evloop_del(struct evloop *l, int fd);
/* Waits up to timeout_ms (-1: forever) and fills at most max events.
 * Returns their number (0 on timeout or EINTR), or -1 with errno. */
int evloop_wait(struct evloop *l, struct ev *out, int max, int timeout_ms);

#endif
