/* evloop_epoll.c — evloop over epoll(7). */
#if defined(__linux__) && !defined(EVLOOP_POLL)
#include "evloop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#define BATCH 256

struct evloop {
	int epfd;
	struct epoll_event evs[BATCH];
};

struct evloop *evloop_new(void)
{
	struct evloop *l = malloc(sizeof *l);
	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	return l;
}

void evloop_free(struct evloop *l)
{
	if (!l)
		return;
	close(l->epfd);
	free(l);
}

static int ctl(struct evloop *l, int op, int fd, unsigned events,
	       struct ev_source *src)
{
	struct epoll_event ev = { 0 };
	ev.events = (events & EV_IN ? EPOLLIN : 0u) |
		    (events & EV_OUT ? EPOLLOUT : 0u);
	ev.data.ptr = src;
	return epoll_ctl(l->epfd, op, fd, &ev);
}

int evloop_add(struct evloop *l, int fd, unsigned events,
	       struct ev_source *src)
{
	return ctl(l, EPOLL_CTL_ADD, fd, events, src);
}

int evloop_mod(struct evloop *l, int fd, unsigned events,
	       struct ev_source *src)
{
	return ctl(l, EPOLL_CTL_MOD, fd, events, src);
}

int evloop_del(struct evloop *l, int fd)
{
	return ctl(l, EPOLL_CTL_DEL, fd, 0, NULL);
}

int evloop_wait(struct evloop *l, struct ev *out, int max, int timeout_ms)
{
	if (max > BATCH)
		max = BATCH;
	int n = epoll_wait(l->epfd, l->evs, max, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n; i++) {
		unsigned e = l->evs[i].events;
		out[i].src = l->evs[i].data.ptr;
		out[i].events = (e & EPOLLIN ? EV_IN : 0u) |
				(e & EPOLLOUT ? EV_OUT : 0u) |
				(e & (EPOLLERR | EPOLLHUP) ? EV_ERR : 0u);
	}
	return n;
}
#else
/* ISO C wants something in every translation unit. */
typedef int evloop_epoll_unused;
#endif
