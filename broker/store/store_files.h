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
	int dirty, need_sync;
	long long synced;       /* when last fdatasync'd */
	/* compaction, when cfd >= 0 */
	int cfd;
	off_t c_from, c_pos, c_out;
	size_t c_skip;
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
};

/* pwrite(2) of all of buf, through the config's hook; 0 or -1 errno. */
int files_write_at(struct files *f, int fd, const void *buf, size_t len,
		   off_t off);
void files_offs_push(struct files *f, struct froom *fr, off_t off);
/* room.log, room.log.tmp into buf of PATH_MAX bytes. */
void files_name(char *buf, const char *room, const char *suffix);

/* store_compact.c: a room holding about twice `keep` records is
 * rewritten to its last `keep`, STORE_COMPACT_STEP bytes per call. */
void compact_run(struct files *f, long long now);
void compact_abort(struct files *f, long long now);

#endif
