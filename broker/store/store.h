/* store.h — the room log: what the chat layer calls.
 *
 * THE CONTRACT (for callers, and for anyone writing a backend)
 *
 * Each room is a log of entries.  An entry holds a per-room sequence
 * number, the wall-clock time, a kind, the sender's name, the text, and
 * the sender's origin id and line number (for dedupe after a restart).
 * The store has a core (store.c: validation, the in-memory cache, the
 * dedupe index, the completion queue, the log lines) and a backend
 * behind struct store_ops (store_backend.h): files in a state
 * directory today (store_files.c), Redis Streams later.
 *
 * Sequence numbers.  Assigned by the backend when an entry is logged:
 * per room, strictly increasing, never reused (not after compaction,
 * not after a restart, not after a power cut).  They may skip: the
 * files backend reserves numbers in blocks (STORE_SEQ_BLOCK) and after
 * a crash continues past the whole reserved block.  0 is never a
 * sequence number: it means "not logged".
 *
 * Asynchrony.  Nothing here waits for long, and no result comes from
 * inside the call that asked for it.  store_append and the reads only
 * queue a request (or fail at once, -1 with errno, for bad arguments or
 * a full queue); the answer comes later as a call of the store_done_fn
 * given to store_open, made from store_run, which the event loop calls
 * once per pass.  The callback may call any store function except
 * store_close; what it asks for is answered on a later store_run.
 * Completions come in the order the requests were made.
 *
 * Failure.  An append that could not be logged (disk full, EIO, a
 * read-only directory, too many rooms) completes with status = the
 * errno value and entry->seq = 0: the caller fans the line out all the
 * same (chat goes on without history).  The next append tries again.
 * The store logs one line when history stops being written and one
 * when it is written again, never one per failed line.
 *
 * Reads are answered from the core's cache of the last `cache` entries
 * of each room (the backend fills it at open and with every logged
 * entry), so `max` is bounded by that size; a larger max is cut to it.
 * The entries handed to the callback live until it returns.
 *
 * Dedupe.  store_seen answers from memory whether (origin, number) is
 * already in a room's log: the core keeps, per room, the highest number
 * seen for each of the STORE_ORIGINS_MAX most recently active origins,
 * rebuilt at open from the logged entries.  An origin pushed out of
 * that index reads as "not seen".  A number counts as seen from the
 * moment store_append accepted it.  Origins number their lines from 1
 * upwards; number 0 means "not numbered" and is never seen.
 *
 * Shared logs (the Redis backend).  Several stores (one per broker,
 * on several hosts) may log into the same rooms.  Sequence numbers are
 * then the same on every host; the entries the others log reach this
 * store's caller as STORE_REMOTE results, in the room's log order,
 * interleaved with this store's own appends' completions so that every
 * host sees one order per room.  A room is read from the shared log the
 * first time a request names it: that request, and every one made after
 * it, waits until the room is loaded (results still come in request
 * order); store_seen and store_last_seq are exact for a room once one
 * request of it has completed.  The files backend never produces
 * STORE_REMOTE and loads every room at open.
 *
 * Log lines (lib/log.h, or the config's log hook): one when history
 * stops being written and one when it resumes; one per log file whose
 * tail was set aside at open; one per room file skipped at open.
 * Nothing else.
 *
 * Files backend: see store_files.c's header for the on-disk format,
 * the fsync policy (what a power cut can lose) and compaction. */
#ifndef NATTER_BROKER_STORE_H
#define NATTER_BROKER_STORE_H

#include "frame.h"
#include "names.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define STORE_NAME_MAX FRAME_FIELD_MAX   /* sender name, bytes */
#define STORE_ORIGIN_MAX FRAME_FIELD_MAX /* origin id, bytes */
#define STORE_TEXT_MAX FRAME_TEXT_MAX    /* text, bytes */
#define STORE_ORIGINS_MAX 256   /* dedupe index: origins per room */
#define STORE_QUEUE_MAX 65536   /* requests waiting for store_run */
#define STORE_KEEP_DEFAULT 5000 /* entries kept per room */
#define STORE_CACHE_DEFAULT 500 /* entries in memory per room: read bound */
#define STORE_ROOMS_DEFAULT 256 /* rooms with a log */
#define STORE_SYNC_MS 1000      /* files: fdatasync at most this often */
#define STORE_SEQ_BLOCK 1024    /* files: sequence numbers reserved at once */

/* Kinds are small ints, stored as one byte; 0 is the backend's own. */
enum store_kind {
	STORE_SAY = 1,
	STORE_ME = 2,
	STORE_JOIN = 3,  /* reserved for markers: not used yet */
	STORE_LEAVE = 4,
	STORE_MOVE = 5,
	STORE_KIND_MAX = 255
};

/* An entry.  To append, fill every field but seq (ignored) and room
 * (given apart); time_ms 0 means "now".  Strings need no NUL; those the
 * store hands back are NUL-terminated too.  None may hold a NUL. */
struct store_entry {
	uint64_t seq;
	int64_t time_ms;        /* ms since the epoch, wall clock */
	unsigned kind;          /* enum store_kind, 1..255 */
	uint64_t origin_no;     /* the origin's line number, 0: none */
	const char *room;       /* set by the store in results */
	const char *name;       /* <= STORE_NAME_MAX bytes, not empty */
	size_t name_len;
	const char *origin;     /* <= STORE_ORIGIN_MAX bytes, may be empty */
	size_t origin_len;
	const char *text;       /* <= STORE_TEXT_MAX bytes */
	size_t text_len;
};

/* STORE_REMOTE: an entry another broker logged in a room this store
 * serves (shared backends only: Redis), delivered once, in the room's
 * log order, never one this store appended itself. */
enum store_op { STORE_APPEND, STORE_READ, STORE_REMOTE };

struct store_result {
	enum store_op op;
	uint64_t token;         /* the caller's, from the request */
	int status;             /* 0, or an errno value */
	const char *room;
	/* STORE_APPEND: the entry as logged (seq 0 when status != 0).
	 * STORE_REMOTE: the entry another broker logged (token 0). */
	const struct store_entry *entry;
	/* STORE_READ: n entries, oldest first, and how many entries after
	 * the asked-for sequence number were left out for the bound
	 * (exact while the cache reaches back that far, otherwise counted
	 * from sequence numbers: an upper bound). */
	const struct store_entry *const *entries;
	size_t n;
	uint64_t missed;
};

typedef void (*store_done_fn)(void *ctx, const struct store_result *r);

struct store_config {
	const char *dir;        /* files: the state directory */
	const char *prefix;     /* redis: key prefix; NULL: "natter:" */
	size_t keep;            /* 0: STORE_KEEP_DEFAULT */
	size_t cache;           /* 0: STORE_CACHE_DEFAULT */
	size_t rooms_max;       /* 0: STORE_ROOMS_DEFAULT */
	store_done_fn done;     /* required */
	void *ctx;
	/* Where the store's few log lines go; NULL: log_msg. */
	void (*log)(void *ctx, int level, const char *line);
	/* Tests only: replaces pwrite(2) for log writes; NULL: pwrite. */
	ssize_t (*pwrite_hook)(int fd, const void *buf, size_t len, off_t off);
	/* files: fdatasync in a child process (syncer.h), so the loop
	 * never waits for the disk; 0: in the caller (blocking). */
	int sync_child;
	/* Tests only: replaces fdatasync (full 0) and fsync (full 1),
	 * in the child too; NULL: the real calls. */
	int (*sync_hook)(int fd, int full);
};

/* A descriptor a backend wants polled (files: none). */
struct store_fd {
	int fd;
	unsigned events;        /* EV_IN, EV_OUT of evloop.h */
};

struct store;

/* Opens the files backend on cfg->dir: creates it 0700 if missing,
 * locks it, reads every room's log.  NULL on failure, with a one-line
 * reason in err (e.g. "state directory X is in use by another broker
 * (pid N)"). */
struct store *store_open_files(const struct store_config *cfg, char *err,
			       size_t errlen);
/* Syncs and frees.  Completions still queued are dropped: call
 * store_run first to have them. */
void store_close(struct store *st);

/* Queue an append to room; 0, or -1 with errno (EINVAL: a bad room or
 * entry; EAGAIN: STORE_QUEUE_MAX requests wait). */
int store_append(struct store *st, const char *room,
		 const struct store_entry *e, uint64_t token);
/* Queue a read of the last max entries of room. */
int store_read_last(struct store *st, const char *room, size_t max,
		    uint64_t token);
/* Queue a read of the last max entries with a sequence number > after. */
int store_read_after(struct store *st, const char *room, uint64_t after,
		     size_t max, uint64_t token);
/* 1 when (origin, no) is in room's log (see Dedupe above), else 0. */
int store_seen(struct store *st, const char *room, const char *origin,
	       size_t origin_len, uint64_t no);
/* The last sequence number logged in room, 0 when none. */
uint64_t store_last_seq(struct store *st, const char *room);

/* The loop's pass: the backend's timed work (syncs, compaction steps,
 * retries), then the queued completions.  now is io_now_ms().  Returns
 * the ms until it wants to run again, 0 for "next pass", -1 for "only
 * when something is asked". */
int store_run(struct store *st, long long now);
/* Descriptors the backend wants polled: fills at most max, returns
 * their number.  Ask again after each store_run: the set may change. */
int store_fds(struct store *st, struct store_fd *out, int max);
/* One of those descriptors is ready (EV_* events). */
void store_ready(struct store *st, int fd, unsigned events);

/* The default state directory: /var/lib/natter for uid 0, else
 * $XDG_STATE_HOME/natter when that is an absolute path, else
 * $HOME/.local/state/natter.  0, or -1 when there is no HOME or the
 * path does not fit in size bytes. */
int store_default_dir(char *buf, size_t size);
/* The same rule for a given uid and environment (NULL: unset). */
int store_default_dir_of(char *buf, size_t size, unsigned long uid,
			 const char *xdg, const char *home);

#endif
