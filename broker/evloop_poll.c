/* evloop_poll.c — evloop over poll(2), for systems without epoll.
 *
 * The set is a dense pollfd array (swap-remove on delete) plus a map
 * from descriptor to index, so add, mod and del are O(1); a wait is
 * O(descriptors), which is poll's nature. */
#if !defined(__linux__) || defined(EVLOOP_POLL)
#include "evloop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

struct evloop {
	struct pollfd *pfd;
	struct ev_source **src;
	size_t count, cap;
	int *index;        /* index[fd]: position in pfd, or -1 */
	size_t index_cap;
	size_t next;       /* where the next wait starts, for fairness */
};

struct evloop *evloop_new(void)
{
	return calloc(1, sizeof(struct evloop));
}

void evloop_free(struct evloop *l)
{
	if (!l)
		return;
	free(l->pfd);
	free(l->src);
	free(l->index);
	free(l);
}

static short to_poll(unsigned events)
{
	return (short)((events & EV_IN ? POLLIN : 0) |
		       (events & EV_OUT ? POLLOUT : 0));
}

static int grow_index(struct evloop *l, int fd)
{
	if ((size_t)fd < l->index_cap)
		return 0;
	size_t cap = l->index_cap ? l->index_cap : 64;
	while (cap <= (size_t)fd)
		cap *= 2;
	int *ix = realloc(l->index, cap * sizeof *ix);
	if (!ix)
		return -1;
	for (size_t i = l->index_cap; i < cap; i++)
		ix[i] = -1;
	l->index = ix;
	l->index_cap = cap;
	return 0;
}

static int grow_set(struct evloop *l)
{
	if (l->count < l->cap)
		return 0;
	size_t cap = l->cap ? l->cap * 2 : 64;
	struct pollfd *p = realloc(l->pfd, cap * sizeof *p);
	if (!p)
		return -1;
	l->pfd = p;
	struct ev_source **q = realloc(l->src, cap * sizeof *q);
	if (!q)
		return -1;
	l->src = q;
	l->cap = cap;
	return 0;
}

int evloop_add(struct evloop *l, int fd, unsigned events,
	       struct ev_source *src)
{
	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (grow_index(l, fd) != 0 || grow_set(l) != 0) {
		errno = ENOMEM;
		return -1;
	}
	if (l->index[fd] >= 0) {
		errno = EEXIST;
		return -1;
	}
	l->pfd[l->count] = (struct pollfd){ .fd = fd, .events = to_poll(events) };
	l->src[l->count] = src;
	l->index[fd] = (int)l->count++;
	return 0;
}

static int find(const struct evloop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->index_cap || l->index[fd] < 0) {
		errno = ENOENT;
		return -1;
	}
	return l->index[fd];
}

int evloop_mod(struct evloop *l, int fd, unsigned events,
	       struct ev_source *src)
{
	int i = find(l, fd);
	if (i < 0)
		return -1;
	l->pfd[i].events = to_poll(events);
	l->src[i] = src;
	return 0;
}

int evloop_del(struct evloop *l, int fd)
{
	int i = find(l, fd);
	if (i < 0)
		return -1;
	size_t last = --l->count;
	l->pfd[i] = l->pfd[last];
	l->src[i] = l->src[last];
	l->index[l->pfd[i].fd] = i;
	l->index[fd] = -1;
	return 0;
}

int evloop_wait(struct evloop *l, struct ev *out, int max, int timeout_ms)
{
	int n = poll(l->pfd, (nfds_t)l->count, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	int got = 0;
	size_t start = l->count ? l->next % l->count : 0;
	for (size_t k = 0; k < l->count && got < max && n > 0; k++) {
		size_t i = (start + k) % l->count;
		short re = l->pfd[i].revents;
		if (!re)
			continue;
		n--;
		out[got].src = l->src[i];
		out[got++].events = (re & POLLIN ? EV_IN : 0u) |
				    (re & POLLOUT ? EV_OUT : 0u) |
				    (re & (POLLERR | POLLHUP | POLLNVAL) ?
				     EV_ERR : 0u);
		l->next = i + 1;
	}
	return got;
}
#else
typedef int evloop_poll_unused;
#endif
