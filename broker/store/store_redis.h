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

/* Opens the Redis backend: never waits (the connections are made from
 * store_run and store_ready; Redis may be down, the store still
 * opens).  password NULL for none; it is copied.  NULL on a bad
 * config (a prefix too long, rooms_max above STORE_REDIS_ROOMS_MAX) or
 * out of memory, with a one-line reason in err. */
struct store *store_open_redis(const struct store_config *cfg,
			       const struct redis_addr *addr,
			       const char *password, char *err,
			       size_t errlen);

#endif
