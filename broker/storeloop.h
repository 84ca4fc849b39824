/* storeloop.h — the room log's descriptors in the broker's event loop.
 *
 * A backend with connections (Redis: two) names its descriptors
 * through store_fds, and the set changes as links are lost and made
 * again.  storeloop_sync registers what the store names now and drops
 * what it no longer names; the broker calls it after every store_run
 * and right after every store_ready (which may close a link), so a
 * closed descriptor is out of the loop before its number can be
 * reused by an accept.  A descriptor dropped during a batch of events
 * keeps its slot (fd -1) until storeloop_pass_end, so a late event of
 * that batch finds it empty rather than naming someone else's. */
#ifndef NATTER_BROKER_STORELOOP_H
#define NATTER_BROKER_STORELOOP_H

#include "evloop.h"

#define STORELOOP_SLOTS 8 /* the store names at most half of these */

struct store;

struct storeloop_slot {
	struct ev_source src;    /* ready: store_ready, then sync */
	struct storeloop *sl;
	int fd;                  /* -1: free */
	unsigned events;
	int dropped;             /* freed in this pass: not reused yet */
};

struct storeloop {
	struct evloop *loop;
	struct store *st;        /* NULL: nothing to poll */
	struct storeloop_slot slot[STORELOOP_SLOTS];
	unsigned failures;       /* evloop refusals, logged once */
};

void storeloop_init(struct storeloop *sl, struct evloop *loop,
		    struct store *st);
/* The store's set now, in the loop. */
void storeloop_sync(struct storeloop *sl);
/* After a pass: dropped slots may be reused. */
void storeloop_pass_end(struct storeloop *sl);

#endif
