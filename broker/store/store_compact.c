/* store_compact.c — keeping each room's log bounded, without stopping
 * chat for the time it takes.
 *
 * A room's file is compacted once it holds 2 x keep records: its last
 * keep records are copied to ROOM.log.tmp, after a reservation record
 * carrying the current ceiling (so sequence numbers stay unique), and
 * the copy replaces the log by rename(2) once all of it is synced.  The
 * copy is made in steps of STORE_COMPACT_STEP bytes, one per store_run,
 * each step synced (in the syncer child: the pass does not wait for
 * it) before the next, so no pass waits for more than one step's
 * write; appends go on meanwhile to the old file and the last step
 * copies them too.  One room at a time.  A failure (a full disk) drops the copy and tries
 * again STORE_COMPACT_RETRY_MS later; a crash leaves ROOM.log.tmp,
 * which the next open removes (the old log is whole). */
#include "store_files.h"
#include "store_rec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void compact_abort(struct files *f, long long now)
{
	struct froom *fr = f->compacting;
	char name[PATH_MAX];
	if (!fr)
		return;
	close(fr->cfd);
	fr->cfd = -1;
	fr->c_id = 0; /* its answer, if one comes, is nobody's */
	fr->c_synced = 0;
	files_name(name, fr->r->name, ".tmp");
	(void)unlinkat(f->dirfd, name, 0); /* else the next open does it */
	f->compacting = NULL;
	f->compact_retry = now + STORE_COMPACT_RETRY_MS;
	free(f->cbuf);
	f->cbuf = NULL;
}

/* The copy's start: magic and the reservation, then the records from
 * the oldest of the last keep (the oldest offset in the ring). */
static int compact_begin(struct files *f, struct froom *fr)
{
	char name[PATH_MAX];
	unsigned char head[STORE_MAGIC_LEN + STORE_REC_MAX];
	files_name(name, fr->r->name, ".tmp");
	f->cbuf = malloc(STORE_COMPACT_STEP);
	if (!f->cbuf)
		return -1;
	fr->cfd = openat(f->dirfd, name, O_RDWR | O_CREAT | O_TRUNC |
			 O_CLOEXEC, 0600);
	f->compacting = fr;
	if (fr->cfd < 0)
		return -1;
	struct store_entry rsv = { .seq = fr->ceiling > fr->next_seq - 1 ?
					  fr->ceiling : fr->next_seq - 1 };
	memcpy(head, STORE_MAGIC, STORE_MAGIC_LEN);
	size_t len = STORE_MAGIC_LEN + store_rec_encode(head +
							 STORE_MAGIC_LEN, &rsv);
	if (files_write_at(f, fr->cfd, head, len, 0) != 0)
		return -1;
	fr->c_from = fr->c_pos = fr->offs[fr->offs_head];
	fr->c_out = (off_t)len;
	fr->c_skip = fr->count - fr->offs_n;
	return 0;
}

/* The copy, all of it synced, becomes the log: offsets move by what
 * was cut off. */
static int compact_finish(struct files *f, struct froom *fr)
{
	char tmp[PATH_MAX], name[PATH_MAX];
	files_name(tmp, fr->r->name, ".tmp");
	files_name(name, fr->r->name, "");
	if (renameat(f->dirfd, tmp, f->dirfd, name) != 0)
		return -1;
	/* the rename lasts; if not, the old is whole */
	(void)files_sync(f, f->dirfd, 1, files_sync_id(f));
	off_t shift = fr->c_from - (fr->c_out - (fr->end - fr->c_from));
	for (size_t i = 0; i < fr->offs_n; i++)
		fr->offs[i] -= shift;
	close(fr->fd);
	fr->fd = fr->cfd;
	fr->cfd = -1;
	fr->end = fr->c_out;
	fr->count = fr->count - fr->c_skip + 1;
	fr->dirty = 0;
	fr->sync_id = 0; /* the old file's sync: its answer is nobody's */
	f->compacting = NULL;
	free(f->cbuf);
	f->cbuf = NULL;
	return 0;
}

/* One step: up to STORE_COMPACT_STEP bytes copied, and their sync
 * asked for; or, all copied and synced, the end. */
static int compact_step(struct files *f, struct froom *fr)
{
	if (fr->c_pos == fr->end && fr->c_synced)
		return compact_finish(f, fr);
	size_t want = (size_t)(fr->end - fr->c_pos);
	if (want > STORE_COMPACT_STEP)
		want = STORE_COMPACT_STEP;
	size_t got = 0;
	while (got < want) {
		ssize_t n = pread(fr->fd, f->cbuf + got, want - got,
				  fr->c_pos + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	if (files_write_at(f, fr->cfd, f->cbuf, got, fr->c_out) != 0)
		return -1;
	fr->c_pos += (off_t)got;
	fr->c_out += (off_t)got;
	fr->c_synced = 0;
	uint64_t id = files_sync_id(f);
	int rc = files_sync(f, fr->cfd, 0, id);
	if (rc == 1)
		fr->c_id = id;
	else if (rc == 0)
		fr->c_synced = 1;
	return rc < 0 ? -1 : 0;
}

void compact_synced(struct files *f, struct froom *fr, int status,
		    long long now)
{
	fr->c_id = 0;
	if (f->compacting != fr)
		return;
	if (status != 0) {
		compact_abort(f, now);
		return;
	}
	fr->c_synced = 1;
}

void compact_run(struct files *f, long long now)
{
	if (!f->compacting) {
		if (now < f->compact_retry)
			return;
		for (struct froom *fr = f->rooms; fr; fr = fr->next) {
			if (fr->fd >= 0 && !fr->ro && !fr->broken &&
			    fr->offs_n == f->cfg->keep &&
			    fr->count >= 2 * f->cfg->keep) {
				if (compact_begin(f, fr) != 0)
					compact_abort(f, now);
				return; /* the copy starts next pass */
			}
		}
		return;
	}
	if (f->compacting->c_id)
		return; /* its last step's sync is not answered yet */
	if (compact_step(f, f->compacting) != 0)
		compact_abort(f, now);
}
