/* store_files.h — the files backend's state, shared by store_files.c
 * (directory, lock, loading, appends, syncs) and store_compact.c. */
#ifndef NATTER_BROKER_STORE_FILES_H
#define NATTER_BROKER_STORE_FILES_H

#include "store_backend.h"

#include <limits.h>
#include <sys/types.h>

#define STORE_COMPACT_STEP (1024 * 1024) /* bytes copied per store_run */
#define STORE_COMPACT_RETRY_MS 10000     /* after a failed compaction */

/* One room's log file. */
struct froom {
	struct store_room *r;
	int fd;                 /* -1: not open */
	int ro;                 /* fd is read-only: reopen to write */
	int broken;             /* a bad tail not yet set aside */
	int torn;               /* a failed write may have left bytes */
	off_t end;              /* the end of valid data: next write */
	size_t count;           /* records in the file */
	uint64_t next_seq, ceiling;
	off_t *offs;            /* the last `keep` records' offsets */
	size_t offs_head, offs_n;
	int dirty;              /* written since its last sync began */
	long long synced;       /* when its last sync began */
	uint64_t sync_id;       /* its sync in the child; 0: none */
	/* the next block of sequence numbers, reserved ahead: written,
	 * usable (ceiling) once its sync is answered */
	uint64_t rsv_ceiling, rsv_id;
	int rsv_failed;         /* its write failed: tried again after the
				   next append that is written, not at
				   every pass (a full disk) */
	/* compaction, when cfd >= 0 */
	int cfd;
	off_t c_from, c_pos, c_out;
	size_t c_skip;
	uint64_t c_id;          /* the copy's sync in the child; 0: none */
	int c_synced;           /* all of the copy written is synced */
	struct froom *next;
};

struct files {
	struct store *st;
	const struct store_config *cfg;
	char dir[PATH_MAX];
	int dirfd, lockfd;
	struct froom *rooms;
	struct froom *compacting;
	unsigned char *cbuf;    /* STORE_COMPACT_STEP bytes while compacting */
	long long compact_retry;
	struct syncer *sy;      /* NULL: syncs in the loop */
	uint64_t sync_ids;      /* the last id given to a sync */
};

/* pwrite(2) of all of buf, through the config's hook; 0 or -1 errno. */
int files_write_at(struct files *f, int fd, const void *buf, size_t len,
		   off_t off);
void files_offs_push(struct files *f, struct froom *fr, off_t off);
/* Syncs fd (fdatasync; fsync when full): handed to the child, which
 * answers id later (files_answered), when one runs and takes it;
 * else at once.  1: handed over, 0: synced, -1: the sync failed
 * (errno). */
int files_sync(struct files *f, int fd, int full, uint64_t id);
/* 1 when the child has SYNCER_INFLIGHT_MAX syncs unanswered: a sync
 * that can wait (a room's once-a-second one, a reservation ahead)
 * waits for an answer rather than be done in the loop. */
int files_sync_busy(const struct files *f);
/* A new id for files_sync (never 0). */
uint64_t files_sync_id(struct files *f);
/* room.log, room.log.tmp into buf of PATH_MAX bytes. */
void files_name(char *buf, const char *room, const char *suffix);

/* store_compact.c: a room holding about twice `keep` records is
 * rewritten to its last `keep`, STORE_COMPACT_STEP bytes per call,
 * each step synced before the next. */
void compact_run(struct files *f, long long now);
/* The child's answer to the copy's sync (id == the room's c_id). */
void compact_synced(struct files *f, struct froom *fr, int status,
		    long long now);
void compact_abort(struct files *f, long long now);

#endif
