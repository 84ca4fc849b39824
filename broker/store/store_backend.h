/* store_backend.h — what a room-log backend implements (the files one
 * now, Redis Streams next), and what the core offers it.
 *
 * A backend is a struct store_ops and its own state (void *b).  The
 * core owns the rooms (struct store_room, one per room name, with a
 * slot `bk` for the backend's per-room state), the cache, the dedupe
 * index and the completion queue; the backend owns the storage.
 *
 * The backend's promises:
 * - append never waits for the network or for long on a disk: it
 *   writes (or sends) and reports the outcome with store_backend_done,
 *   either at once or from a later run/ready call.  The core delivers
 *   it to the caller only from store_run, never from store_append.
 *   The entry passed to store_backend_done carries the assigned seq
 *   (strictly increasing per room, never reused), or status != 0 and
 *   seq 0.  Outcomes for one room come in the order of the appends.
 * - at open it feeds the core the room's logged entries, oldest first,
 *   with store_backend_loaded (at least the last `cache` of them), so
 *   the core can answer reads and dedupe from memory.  A backend that
 *   shares its logs (Redis) feeds entries logged elsewhere the same way
 *   as they arrive.
 * - it prints nothing; what must be said goes through store_backend_log,
 *   one line per change of state.
 * - fds/ready expose the descriptors it needs polled (a Redis
 *   connection); the files backend has none (fds NULL).
 * - run does timed work in bounded steps (a sync, a compaction step, a
 *   reconnect) and says when it wants to run again.
 *
 * The Redis Streams backend (store_redis.c, issue 13) uses the rest:
 * - room_load: the first request naming a room makes the core call it;
 *   the backend reads the room (XREVRANGE COUNT cache), feeds it with
 *   store_backend_loaded and calls store_backend_room_ready; until then
 *   the core holds that request and every later one.
 * - store_backend_remote: an entry another broker logged, read with
 *   XREAD BLOCK, queued in stream order among the appends' outcomes.
 * - store_backend_failing: Redis lost or back, said once each way.
 * - fds: the two connections' descriptors (EV_OUT only while a request
 *   waits to be written); ready: read and parse replies. */
#ifndef NATTER_BROKER_STORE_BACKEND_H
#define NATTER_BROKER_STORE_BACKEND_H

#include "store.h"

struct store_room {
	char name[ROOM_LEN_MAX + 1];
	void *bk;               /* the backend's, freed by its room_free */
	/* the core's: */
	struct store_entry **ring;      /* the last `cache` entries */
	size_t head, n;
	uint64_t last_seq;
	struct store_origin *origins;   /* STORE_ORIGINS_MAX */
	size_t norigins;
	uint64_t origin_clock;          /* for least-recently-used */
	int load_asked;                 /* room_load was called */
	int loading;                    /* its requests wait */
	/* appends handed to the backend, and outcomes back: a read
	 * waits for the appends of its room asked before it (a shared
	 * backend holds an append until its reader reaches it) */
	uint64_t appends_asked, appends_done;
	struct store_room *next_hash;
};

struct store_ops {
	const char *name;
	/* Queue or do the append of e (seq unset) to r.  0, or -1 with
	 * errno when it could not even be tried (the core then completes
	 * it with that status). */
	int (*append)(void *b, struct store_room *r,
		      const struct store_entry *e, uint64_t token);
	/* Timed work; returns ms until it wants to run, 0, or -1. */
	int (*run)(void *b, long long now);
	/* Optional (NULL: none). */
	int (*fds)(void *b, struct store_fd *out, int max);
	void (*ready)(void *b, int fd, unsigned events);
	/* Frees the backend's part of one room (r->bk). */
	void (*room_free)(void *b, struct store_room *r);
	/* Optional: the first request naming room r was made (r is new
	 * to the core).  Return 0 when the backend loads it and will call
	 * store_backend_room_ready (until then every request of r, and
	 * all made after it, wait), -1 when r reads as it is (empty). */
	int (*room_load)(void *b, struct store_room *r);
	/* Sync and free the backend (rooms are freed before, one by one). */
	void (*close)(void *b);
};

/* Builds the core around a backend (backend open functions call it
 * first, then store_backend_set).  NULL when out of memory. */
struct store *store_core_new(const struct store_config *cfg);
void store_backend_set(struct store *st, const struct store_ops *ops,
		       void *b);
/* Frees a core whose backend failed to open. */
void store_core_free(struct store *st);
/* The room named name, made when create and there is room for one;
 * NULL otherwise (errno ENOENT, EMFILE, ENOMEM). */
struct store_room *store_backend_room(struct store *st, const char *name,
				      int create);
/* An entry logged before (open) or elsewhere: into cache and index. */
int store_backend_loaded(struct store *st, struct store_room *r,
			 const struct store_entry *e);
/* The outcome of an append: copied and queued for store_run. */
void store_backend_done(struct store *st, struct store_room *r,
			uint64_t token, int status,
			const struct store_entry *e);
/* An entry logged elsewhere (a shared backend), in the room's log
 * order: queued, and put into the cache and delivered as STORE_REMOTE
 * by store_run in order with the appends' outcomes. */
void store_backend_remote(struct store *st, struct store_room *r,
			  const struct store_entry *e);
/* room_load's end: r's requests may be answered now. */
void store_backend_room_ready(struct store *st, struct store_room *r);
/* The storage stopped (status, an errno value) or works again (0):
 * the same one line as a failed or working append logs, once. */
void store_backend_failing(struct store *st, int status);
void store_backend_log(struct store *st, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const struct store_config *store_backend_config(struct store *st);
/* st's backend state when its backend is ops, else NULL. */
void *store_backend_of(struct store *st, const struct store_ops *ops);

#endif
