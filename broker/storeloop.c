/* storeloop.c — the room log's descriptors in the loop (storeloop.h). */
#include "storeloop.h"
#include "log.h"
#include "store/store.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#define SLOT_OF(src) \
	((struct storeloop_slot *)(void *)((char *)(src) - \
		offsetof(struct storeloop_slot, src)))

static void slot_ready(struct ev_source *src, unsigned events)
{
	struct storeloop_slot *s = SLOT_OF(src);
	if (s->fd < 0)
		return; /* dropped earlier in this batch */
	store_ready(s->sl->st, s->fd, events);
	storeloop_sync(s->sl);
}

void storeloop_init(struct storeloop *sl, struct evloop *loop,
		    struct store *st)
{
	memset(sl, 0, sizeof *sl);
	sl->loop = loop;
	sl->st = st;
	for (int i = 0; i < STORELOOP_SLOTS; i++) {
		sl->slot[i].src.ready = slot_ready;
		sl->slot[i].sl = sl;
		sl->slot[i].fd = -1;
	}
}

static struct storeloop_slot *slot_find(struct storeloop *sl, int fd)
{
	for (int i = 0; i < STORELOOP_SLOTS; i++)
		if (sl->slot[i].fd == fd)
			return &sl->slot[i];
	return NULL;
}

static int listed(const struct store_fd *fds, int n, int fd)
{
	for (int i = 0; i < n; i++)
		if (fds[i].fd == fd)
			return 1;
	return 0;
}

static void refused(struct storeloop *sl, int fd)
{
	if (sl->failures++ == 0)
		log_msg(LOG_ERR, "cannot poll the room log's descriptor %d: "
			"%s", fd, strerror(errno));
}

/* fd into the loop for events: a descriptor closed and made again
 * under the same number is no longer in epoll's set (ENOENT): added. */
static void slot_set(struct storeloop *sl, int fd, unsigned events)
{
	struct storeloop_slot *s = slot_find(sl, fd);
	if (s && s->events == events)
		return;
	if (!s) {
		for (int i = 0; i < STORELOOP_SLOTS && !s; i++)
			if (sl->slot[i].fd < 0 && !sl->slot[i].dropped)
				s = &sl->slot[i];
		if (!s) { /* cannot be: the store names at most half */
			errno = ENOSPC;
			refused(sl, fd);
			return;
		}
		if (evloop_add(sl->loop, fd, events, &s->src) != 0 &&
		    (errno != EEXIST ||
		     evloop_mod(sl->loop, fd, events, &s->src) != 0)) {
			refused(sl, fd);
			return;
		}
	} else if (evloop_mod(sl->loop, fd, events, &s->src) != 0 &&
		   (errno != ENOENT ||
		    evloop_add(sl->loop, fd, events, &s->src) != 0)) {
		refused(sl, fd);
		return;
	}
	s->fd = fd;
	s->events = events;
}

void storeloop_sync(struct storeloop *sl)
{
	struct store_fd fds[STORELOOP_SLOTS / 2];
	int n = sl->st ? store_fds(sl->st, fds, STORELOOP_SLOTS / 2) : 0;
	for (int i = 0; i < STORELOOP_SLOTS; i++) {
		struct storeloop_slot *s = &sl->slot[i];
		if (s->fd < 0 || listed(fds, n, s->fd))
			continue;
		/* closed by the store: EBADF or ENOENT, nothing to undo */
		(void)evloop_del(sl->loop, s->fd);
		s->fd = -1;
		s->dropped = 1;
	}
	for (int i = 0; i < n; i++)
		if (fds[i].fd >= 0)
			slot_set(sl, fds[i].fd, fds[i].events);
}

void storeloop_pass_end(struct storeloop *sl)
{
	for (int i = 0; i < STORELOOP_SLOTS; i++)
		sl->slot[i].dropped = 0;
}
