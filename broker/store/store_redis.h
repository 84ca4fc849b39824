/* store_redis.h — the room log in Redis Streams, shared by every broker
 * that points at the same Redis (issue 13).  The contract is store.h's;
 * the key layout, the script and the failure model are in
 * store_redis.c's header. */
#ifndef NATTER_BROKER_STORE_REDIS_H
#define NATTER_BROKER_STORE_REDIS_H

#include "../resp/redis.h"
#include "store.h"

#define STORE_REDIS_PREFIX "natter:"    /* cfg->prefix NULL */
#define STORE_REDIS_PREFIX_MAX 64       /* bytes of a prefix */
/* A room is loaded with one XREVRANGE whose reply must fit the link's
 * REDIS_VALUES_MAX: the cache (and so a read's max) is cut to this. */
#define STORE_REDIS_CACHE_MAX 400
#define STORE_REDIS_ROOMS_MAX 500       /* XREAD names them all */
#define STORE_REDIS_BLOCK_MS 2000       /* XREAD BLOCK, then again */
#define STORE_REDIS_STALL_MS 5000       /* a reply later than this: down */
#define STORE_REDIS_BACKOFF_MIN 100     /* ms before a reconnect, */
#define STORE_REDIS_BACKOFF_MAX 5000    /* doubling up to this */
#define STORE_REDIS_HOLD_MS 2000        /* an own append waits for the
					   reader at most this long */
#define STORE_REDIS_BAD_LOG_MS 10000    /* one line on bad data per */
#define STORE_REDIS_SLOW_MS 2000        /* an append unanswered this long:
					   Redis is stalled (see outbox) */
/* Lines said while Redis is away, kept to be logged once it is back
 * (the outbox, store_redis_outbox.c): at most this many, and this many
 * bytes of text; past either, a line goes out on its own host only. */
#define STORE_REDIS_OUTBOX_MAX 1000
#define STORE_REDIS_OUTBOX_BYTES (1024 * 1024)

/* Opens the Redis backend: never waits (the connections are made from
 * store_run and store_ready; Redis may be down, the store still
 * opens).  password NULL for none; it is copied.  NULL on a bad
 * config (a prefix too long, rooms_max above STORE_REDIS_ROOMS_MAX) or
 * out of memory, with a one-line reason in err. */
struct store *store_open_redis(const struct store_config *cfg,
			       const struct redis_addr *addr,
			       const char *password, char *err,
			       size_t errlen);

/* Another user of the backend's two connections: presence across hosts
 * (broker/xhost.c).  Its commands go on the command link, its streams
 * are read by the one XREAD BLOCK with the rooms'.  Every callback is
 * made from store_run or store_ready, never from a call of the user's. */
#define STORE_REDIS_USER_STREAMS 3
struct stream_id;
struct store_redis_user {
	void *ctx;
	/* The link works (SCRIPT LOAD answered: 1) or was lost (0). */
	void (*link)(void *ctx, int up);
	/* The streams to read (keys NUL-terminated, < RKEY bytes) and the
	 * last ID read of each; how many, at most max. */
	int (*streams)(void *ctx, const char **keys, struct stream_id *ids,
		       int max);
	/* An entry of one of them, in stream order. */
	void (*entry)(void *ctx, const char *key, size_t keylen,
		      const struct stream_id *id,
		      const struct resp_value *fields);
	/* Timed work: ms until it wants to run again, or -1. */
	int (*run)(void *ctx, long long now);
};

/* Attaches u (which must outlive the store) to a Redis store: 0, or -1
 * when st is not one. */
int store_redis_attach(struct store *st, const struct store_redis_user *u);
/* The command link while it works or is being made for the first
 * time (commands queue in order), else NULL (lost, or being made
 * again: SCRIPT LOAD not answered yet). */
struct redis *store_redis_link(struct store *st);
/* The key prefix ("natter:"). */
const char *store_redis_prefix(struct store *st);
/* The user's streams changed: the XREAD in flight is asked again. */
void store_redis_restream(struct store *st);

#endif
