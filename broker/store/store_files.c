/* store_files.c — the room log in files: one append-only file per room
 * in a state directory.
 *
 * The directory: made 0700 (parents as needed) when missing, locked
 * with fcntl(F_SETLK) on DIR/lock, which holds the broker's pid; a
 * second broker on it is refused with "state directory DIR is in use by
 * another broker (pid N)".  The lock is per process: one store per
 * directory in a process.  DIR/ROOM.log is a room's log (the format is
 * in store_rec.h); a name that is not a valid room name is never made
 * into a path, and nothing else in DIR is read.
 *
 * Opening reads every log up to the first record that is short, fails
 * its checksum or its checks, or breaks the order of sequence numbers.
 * From there on the file is copied to ROOM.log.bad-TIME and cut off,
 * with one log line; if that fails (a read-only directory) the room is
 * read but not written until it works.  Nothing in a log stops the
 * store from opening.
 *
 * fsync policy: an append is written (pwrite) before it completes, so a
 * crash of the broker loses nothing.  Each room's file is fdatasync'd
 * at most once a second (STORE_SYNC_MS) when it was written, and at
 * close; so a power cut or a kernel crash can lose the entries of about
 * the last second.  A new room's file is made to last with its name:
 * the directory is fsync'd as the file is made, in the call (once per
 * room).  Sequence numbers are reserved in blocks of
 * STORE_SEQ_BLOCK by a record that is fdatasync'd before any number of
 * the block is handed out (completed): they are never reused, even
 * after a power cut.  A clean close gives back the unused part.
 *
 * Who waits for the disk: with cfg->sync_child (the broker's case) the
 * syncs run in a child process (syncer.h) and the loop waits for none
 * of them: the next block is reserved while half of the current one is
 * left (and at open), and used once its sync is answered.  A room whose
 * reserved numbers run out before that (more than STORE_SEQ_BLOCK / 2
 * lines in one sync's time), a room new to this directory, or a store
 * without the child, writes the reservation and syncs it in the call
 * (one sync per STORE_SEQ_BLOCK lines).  The child takes at most
 * SYNCER_INFLIGHT_MAX syncs at once; past that, the once-a-second
 * syncs and the reservations ahead wait for its answers (many rooms:
 * tests/unit/test_store_sync.c), and only a compaction step would be
 * synced in the call.
 * Measured (ext4 on a virtual disk, 200 lines of 4 KB a second, the
 * worst case): the once-a-second fdatasync of 800 KB took up to 10 ms
 * of one store_run; with short lines it is far less.
 *
 * Failure: an append whose write fails (ENOSPC, EIO, EROFS...) is cut
 * back off the file and completes with that errno; the next one tries
 * again.  Compaction: store_compact.c. */
#include "store_files.h"
#include "store_rec.h"
#include "syncer.h"
#include "../evloop.h"

#include "io.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int files_write_at(struct files *f, int fd, const void *buf, size_t len,
		   off_t off)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = f->cfg->pwrite_hook ?
			    f->cfg->pwrite_hook(fd, p, len, off) :
			    pwrite(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO; /* never loop on a 0-byte write */
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

static int sync_now(struct files *f, int fd, int full)
{
	if (f->cfg->sync_hook)
		return f->cfg->sync_hook(fd, full);
	return full ? fsync(fd) : fdatasync(fd);
}

uint64_t files_sync_id(struct files *f)
{
	return ++f->sync_ids;
}

int files_sync_busy(const struct files *f)
{
	return syncer_fd(f->sy) >= 0 &&
	       syncer_inflight(f->sy) >= SYNCER_INFLIGHT_MAX;
}

int files_sync(struct files *f, int fd, int full, uint64_t id)
{
	if (f->sy && syncer_request(f->sy, fd, full ? SYNCER_FULL :
				    SYNCER_DATA, id) == 0)
		return 1;
	return sync_now(f, fd, full) == 0 ? 0 : -1;
}

void files_offs_push(struct files *f, struct froom *fr, off_t off)
{
	size_t keep = f->cfg->keep;
	if (fr->offs_n < keep) {
		fr->offs[(fr->offs_head + fr->offs_n++) % keep] = off;
	} else {
		fr->offs[fr->offs_head] = off;
		fr->offs_head = (fr->offs_head + 1) % keep;
	}
}

void files_name(char *buf, const char *room, const char *suffix)
{
	snprintf(buf, PATH_MAX, "%s.log%s", room, suffix);
}

/* mkdir -p, the last one 0700.  0, or -1 with errno. */
static int dir_make(const char *dir)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);
	if (len == 0 || len >= sizeof path) {
		errno = len ? ENAMETOOLONG : ENOENT;
		return -1;
	}
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* Locks DIR/lock and writes our pid there.  A directory we may not
 * write is read under a read lock, or no lock when it has no lock
 * file (no broker could write there either). */
static int dir_lock(struct files *f, char *err, size_t errlen)
{
	int rw = 1;
	f->lockfd = openat(f->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC,
			   0600);
	if (f->lockfd < 0 && (errno == EROFS || errno == EACCES)) {
		rw = 0;
		f->lockfd = openat(f->dirfd, "lock", O_RDONLY | O_CLOEXEC);
		if (f->lockfd < 0 && errno == ENOENT)
			return 0;
	}
	if (f->lockfd < 0) {
		snprintf(err, errlen, "state directory %s: lock: %s", f->dir,
			 strerror(errno));
		return -1;
	}
	struct flock fl = { .l_type = rw ? F_WRLCK : F_RDLCK,
			    .l_whence = SEEK_SET };
	int locked = fcntl(f->lockfd, F_SETLK, &fl) == 0;
	if (!locked && errno == ENOLCK) {
		/* no locks on this file system: as the broker's socket
		 * lock does (sockdir.c) */
		store_backend_log(f->st, LOG_WARNING, "cannot lock %s/lock: "
				  "%s; going on without it", f->dir,
				  strerror(errno));
	} else if (!locked) {
		struct flock who = fl;
		long pid = fcntl(f->lockfd, F_GETLK, &who) == 0 ?
			   (long)who.l_pid : 0;
		snprintf(err, errlen, "state directory %s is in use by another "
			 "broker (pid %ld)", f->dir, pid);
		return -1;
	}
	if (rw) {
		char pid[32];
		int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
		/* only informative: the lock is what counts */
		if (ftruncate(f->lockfd, 0) == 0)
			(void)files_write_at(f, f->lockfd, pid, (size_t)n, 0);
	}
	return 0;
}

static struct froom *froom_new(struct files *f, struct store_room *r)
{
	struct froom *fr = calloc(1, sizeof *fr);
	if (!fr)
		return NULL;
	fr->offs = calloc(f->cfg->keep, sizeof *fr->offs);
	if (!fr->offs) {
		free(fr);
		errno = ENOMEM;
		return NULL;
	}
	fr->r = r;
	fr->fd = fr->cfd = -1;
	fr->next_seq = 1;
	fr->next = f->rooms;
	f->rooms = fr;
	r->bk = fr;
	return fr;
}

/* Copies the file from fr->end on into ROOM.log.bad-TIME[-N], syncs
 * that copy, then cuts the log there.  0, or -1 with errno. */
static int tail_set_aside(struct files *f, struct froom *fr, char *bad)
{
	char name[PATH_MAX];
	int bfd = -1;
	long long now = (long long)time(NULL);
	struct stat sb;
	if (fstat(fr->fd, &sb) != 0)
		return -1;
	if (sb.st_size <= fr->end)
		goto cut; /* nothing to keep: a new or empty file */
	for (int i = 0; bfd < 0 && i < 100; i++) {
		snprintf(name, sizeof name, i ? "%s.log.bad-%lld-%d" :
			 "%s.log.bad-%lld", fr->r->name, now, i);
		bfd = openat(f->dirfd, name, O_WRONLY | O_CREAT | O_EXCL |
			     O_CLOEXEC, 0600);
		if (bfd < 0 && errno != EEXIST)
			return -1;
	}
	if (bfd < 0)
		return -1;
	snprintf(bad, PATH_MAX, "%s", name);
	unsigned char buf[16384];
	off_t in = fr->end, out = 0;
	ssize_t n;
	while ((n = pread(fr->fd, buf, sizeof buf, in)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || files_write_at(f, bfd, buf, (size_t)n, out) != 0)
			goto fail;
		in += n;
		out += n;
	}
	if (fsync(bfd) != 0 || close(bfd) != 0) {
		bfd = -1;
		goto fail;
	}
cut:
	if (ftruncate(fr->fd, fr->end) != 0)
		return -1;
	if (fr->end == 0) {
		if (files_write_at(f, fr->fd, STORE_MAGIC, STORE_MAGIC_LEN,
				   0) != 0)
			return -1;
		fr->end = STORE_MAGIC_LEN;
	}
	/* A new file's name (or the set-aside copy's) lasts a power cut
	 * only once the directory is synced: else the room's first
	 * reservation, synced in its file, could go with the name and
	 * its numbers be handed out again.  Once per new room, in the
	 * call.  A file system that cannot sync a directory says EINVAL
	 * (some FUSE, 9p and network mounts): nothing more to do there. */
	if (sync_now(f, f->dirfd, 1) != 0 && errno != EINVAL)
		return -1;
	return 0;
fail:
	if (bfd >= 0)
		close(bfd);
	(void)unlinkat(f->dirfd, name, 0); /* a partial copy: better gone */
	return -1;
}

/* Opens the room's file for writing (it may have been read-only) and
 * sets aside a bad tail still there.  0, or -1 with errno. */
static int froom_writable(struct files *f, struct froom *fr)
{
	char name[PATH_MAX], bad[PATH_MAX];
	if (fr->fd < 0 || fr->ro) {
		files_name(name, fr->r->name, "");
		int fd = openat(f->dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC,
				0600);
		if (fd < 0)
			return -1;
		if (fr->fd >= 0)
			close(fr->fd);
		fr->fd = fd;
		fr->ro = 0;
	}
	if (fr->end < STORE_MAGIC_LEN)
		fr->broken = 1; /* a new or empty file: the magic first */
	if (fr->broken) {
		if (tail_set_aside(f, fr, bad) != 0)
			return -1;
		fr->broken = 0;
	}
	return 0;
}

struct load_ctx {
	struct files *f;
	struct froom *fr;
};

static int load_rec(void *ctx, const struct store_entry *e, off_t off)
{
	struct load_ctx *lc = ctx;
	files_offs_push(lc->f, lc->fr, off);
	lc->fr->count++;
	if (e->kind == 0)
		return 0;
	struct store_entry c = *e;
	c.room = lc->fr->r->name;
	return store_backend_loaded(lc->f->st, lc->fr->r, &c);
}

/* Reads DIR/name (a valid room's log) into the core: the entries, the
 * sequence numbers, and a bad tail set aside with one log line. */
static void room_load(struct files *f, const char *room, const char *name)
{
	struct store_room *r = store_backend_room(f->st, room, 1);
	if (!r) {
		store_backend_log(f->st, LOG_WARNING, "room %s: log %s not "
				  "read: %s", room, name, strerror(errno));
		return;
	}
	struct froom *fr = froom_new(f, r);
	if (!fr)
		return;
	fr->fd = openat(f->dirfd, name, O_RDWR | O_CLOEXEC);
	if (fr->fd < 0 && (errno == EROFS || errno == EACCES)) {
		fr->fd = openat(f->dirfd, name, O_RDONLY | O_CLOEXEC);
		fr->ro = 1;
	}
	struct store_scan sc;
	struct load_ctx lc = { f, fr };
	if (fr->fd < 0 || store_scan_fd(fr->fd, &sc, load_rec, &lc) != 0) {
		store_backend_log(f->st, LOG_WARNING, "room %s: log %s not "
				  "read: %s", room, name, strerror(errno));
		if (fr->fd >= 0)
			close(fr->fd);
		fr->fd = -1;
		fr->broken = 1; /* written afresh only once readable */
		fr->next_seq = r->last_seq + STORE_SEQ_BLOCK;
		return;
	}
	fr->end = sc.valid_end;
	fr->ceiling = sc.ceiling;
	fr->next_seq = (sc.last_seq > sc.ceiling ? sc.last_seq :
			sc.ceiling) + 1;
	if (sc.valid_end >= sc.size)
		return;
	char bad[PATH_MAX] = "";
	fr->broken = 1;
	if (!fr->ro && tail_set_aside(f, fr, bad) == 0) {
		fr->broken = 0;
		store_backend_log(f->st, LOG_WARNING, "room %s: log damaged at "
				  "byte %lld of %lld: the rest set aside in %s",
				  room, (long long)sc.valid_end,
				  (long long)sc.size, bad);
	} else {
		store_backend_log(f->st, LOG_WARNING, "room %s: log damaged at "
				  "byte %lld of %lld and not set aside (%s): "
				  "not written until it can be", room,
				  (long long)sc.valid_end, (long long)sc.size,
				  fr->ro ? "read-only" : strerror(errno));
	}
}

/* Every DIR/ROOM.log; a ROOM.log.tmp left by a compaction cut short is
 * removed (the log it was made from is whole). */
static int dir_load(struct files *f)
{
	int fd = dup(f->dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		const char *dot = strchr(de->d_name, '.');
		size_t len = dot ? (size_t)(dot - de->d_name) : 0;
		char room[ROOM_LEN_MAX + 1];
		if (!dot || len > ROOM_LEN_MAX || !room_valid(de->d_name, len))
			continue;
		memcpy(room, de->d_name, len);
		room[len] = '\0';
		if (strcmp(dot, ".log.tmp") == 0) /* if it stays, harmless */
			(void)unlinkat(f->dirfd, de->d_name, 0);
		else if (strcmp(dot, ".log") == 0)
			room_load(f, room, de->d_name);
	}
	closedir(d);
	return 0;
}

/* Reserves the next block of sequence numbers while half of this one
 * is left, so that its sync (in the child) is answered before the
 * numbers are needed and no append waits for the disk.  Without a
 * child, the block is reserved when used up, in files_append. */
static void reserve_ahead(struct files *f, struct froom *fr)
{
	unsigned char buf[STORE_REC_MAX];
	if (!f->sy || fr->rsv_id || fr->next_seq + STORE_SEQ_BLOCK / 2 <=
	    fr->ceiling || files_sync_busy(f))
		return; /* busy: tried again with the next append */
	uint64_t from = fr->ceiling > fr->next_seq - 1 ? fr->ceiling :
			fr->next_seq - 1;
	struct store_entry rsv = { .seq = from + STORE_SEQ_BLOCK };
	size_t len = store_rec_encode(buf, &rsv);
	if (files_write_at(f, fr->fd, buf, len, fr->end) != 0) {
		fr->torn = ftruncate(fr->fd, fr->end) != 0;
		fr->rsv_failed = 1; /* tried again with the next append */
		return;
	}
	files_offs_push(f, fr, fr->end);
	fr->count++;
	fr->end += (off_t)len;
	fr->dirty = 1;
	uint64_t id = files_sync_id(f);
	int rc = files_sync(f, fr->fd, 0, id);
	if (rc == 1) {
		fr->rsv_ceiling = rsv.seq;
		fr->rsv_id = id;
	} else if (rc == 0) {
		fr->ceiling = rsv.seq;
	}
}

/* Writes e (seq assigned here), after a reservation synced at once
 * when the block is used up.  The outcome goes to the core either
 * way. */
static int files_append(void *b, struct store_room *r,
			const struct store_entry *e, uint64_t token)
{
	static unsigned char buf[2 * STORE_REC_MAX];
	struct files *f = b;
	struct froom *fr = r->bk ? r->bk : froom_new(f, r);
	if (!fr || froom_writable(f, fr) != 0)
		return -1;
	struct store_entry c = *e;
	c.seq = fr->next_seq;
	size_t len = 0, reserve = 0;
	if (c.seq > fr->ceiling) {
		struct store_entry rsv = { .seq = c.seq + STORE_SEQ_BLOCK - 1 };
		reserve = len = store_rec_encode(buf, &rsv);
	}
	len += store_rec_encode(buf + len, &c);
	if (files_write_at(f, fr->fd, buf, len, fr->end) != 0 ||
	    (reserve && sync_now(f, fr->fd, 0) != 0)) {
		int saved = errno;
		/* nothing of it may stay: the next record goes here */
		fr->torn = ftruncate(fr->fd, fr->end) != 0;
		errno = saved;
		return -1;
	}
	if (fr->torn && ftruncate(fr->fd, fr->end + (off_t)len) == 0)
		fr->torn = 0;
	if (reserve) {
		files_offs_push(f, fr, fr->end);
		fr->count++;
		fr->ceiling = c.seq + STORE_SEQ_BLOCK - 1;
	}
	files_offs_push(f, fr, fr->end + (off_t)reserve);
	fr->count++;
	fr->end += (off_t)len;
	fr->next_seq++;
	fr->dirty = 1;
	fr->rsv_failed = 0; /* the disk takes writes again */
	reserve_ahead(f, fr);
	store_backend_done(f->st, r, token, 0, &c);
	return 0;
}

static struct froom *room_of_sync(struct files *f, uint64_t id)
{
	for (struct froom *fr = f->rooms; fr; fr = fr->next)
		if (fr->sync_id == id || fr->rsv_id == id || fr->c_id == id)
			return fr;
	return NULL; /* a room since freed, or the directory's sync */
}

/* The child's answers: a reservation's numbers become usable, a
 * room's next sync may start, a compaction goes on.  A failed sync
 * writes the room again at its next turn; its numbers are reserved
 * again by the next append. */
static void files_answered(struct files *f, long long now)
{
	struct syncer_answer a[SYNCER_INFLIGHT_MAX];
	size_t n = syncer_answers(f->sy, a, SYNCER_INFLIGHT_MAX);
	for (size_t i = 0; i < n; i++) {
		struct froom *fr = room_of_sync(f, a[i].id);
		if (!fr)
			continue;
		if (fr->c_id == a[i].id) {
			compact_synced(f, fr, a[i].status, now);
		} else if (fr->rsv_id == a[i].id) {
			if (a[i].status == 0 && fr->rsv_ceiling > fr->ceiling)
				fr->ceiling = fr->rsv_ceiling;
			fr->rsv_id = 0;
		} else {
			fr->sync_id = 0;
			if (a[i].status != 0)
				fr->dirty = 1;
		}
	}
}

/* Starts the syncs that are due (the child's answers come through
 * files_ready, when its socket has them: no read each pass): each written room at most every
 * STORE_SYNC_MS, one at a time; then a compaction step. */
static int files_run(void *b, long long now)
{
	struct files *f = b;
	long long next = -1;
	for (struct froom *fr = f->rooms; fr; fr = fr->next) {
		if (fr->fd >= 0 && !fr->ro && !fr->broken && !fr->rsv_failed)
			reserve_ahead(f, fr); /* those the child had no room for */
		if (fr->fd < 0 || !fr->dirty || fr->sync_id)
			continue;
		if (now - fr->synced >= STORE_SYNC_MS) {
			if (files_sync_busy(f))
				break; /* when the child answers (its fd) */
			uint64_t id = files_sync_id(f);
			fr->dirty = 0; /* what is written after is owed */
			fr->synced = now;
			/* a failure shows in the next write, or not at all */
			if (files_sync(f, fr->fd, 0, id) == 1)
				fr->sync_id = id;
		} else if (next < 0 || fr->synced + STORE_SYNC_MS < next) {
			next = fr->synced + STORE_SYNC_MS;
		}
	}
	compact_run(f, now);
	if (f->compacting && !f->compacting->c_id)
		return 0;
	return next < 0 ? -1 : (int)(next - now);
}

static int files_fds(void *b, struct store_fd *out, int max)
{
	struct files *f = b;
	int fd = syncer_fd(f->sy);
	if (fd < 0 || max < 1)
		return 0;
	out[0].fd = fd;
	out[0].events = EV_IN;
	return 1;
}

static void files_ready(void *b, int fd, unsigned events)
{
	(void)fd;
	(void)events;
	struct files *f = b;
	files_answered(f, io_now_ms());
}

/* Gives back the unused part of the reserved block, then syncs. */
static void files_room_free(void *b, struct store_room *r)
{
	struct files *f = b;
	struct froom *fr = r->bk, **pp;
	if (!fr)
		return;
	if (f->compacting == fr)
		compact_abort(f, 0);
	if (fr->fd >= 0 && !fr->ro && !fr->broken &&
	    fr->ceiling > fr->next_seq - 1 && fr->next_seq > 1) {
		unsigned char buf[STORE_REC_MAX];
		struct store_entry rsv = { .seq = fr->next_seq - 1 };
		size_t len = store_rec_encode(buf, &rsv);
		if (files_write_at(f, fr->fd, buf, len, fr->end) == 0)
			fr->end += (off_t)len;
		fr->dirty = 1;
	}
	if (fr->fd >= 0) {
		if (fr->dirty)
			(void)fdatasync(fr->fd);
		close(fr->fd);
	}
	for (pp = &f->rooms; *pp; pp = &(*pp)->next)
		if (*pp == fr) {
			*pp = fr->next;
			break;
		}
	free(fr->offs);
	free(fr);
	r->bk = NULL;
}

static void files_close(void *b)
{
	struct files *f = b;
	if (!f)
		return;
	while (f->rooms) { /* rooms the core never had: none, but safe */
		struct froom *fr = f->rooms;
		f->rooms = fr->next;
		if (fr->fd >= 0)
			close(fr->fd);
		free(fr->offs);
		free(fr);
	}
	syncer_stop(f->sy);
	if (f->lockfd >= 0)
		close(f->lockfd);
	if (f->dirfd >= 0)
		close(f->dirfd);
	free(f->cbuf);
	free(f);
}

static const struct store_ops files_ops = {
	.name = "files",
	.append = files_append,
	.run = files_run,
	.fds = files_fds,
	.ready = files_ready,
	.room_free = files_room_free,
	.close = files_close,
};

static struct files *files_new(struct store *st, const char *dir,
			       char *err, size_t errlen)
{
	struct files *f = calloc(1, sizeof *f);
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->st = st;
	f->cfg = store_backend_config(st);
	f->dirfd = f->lockfd = -1;
	if (!dir || snprintf(f->dir, sizeof f->dir, "%s", dir) >=
			    (int)sizeof f->dir) {
		snprintf(err, errlen, "state directory: %s", dir ?
			 "path too long" : "none given");
		free(f);
		return NULL;
	}
	return f;
}

struct store *store_open_files(const struct store_config *cfg, char *err,
			       size_t errlen)
{
	struct store *st = cfg->done ? store_core_new(cfg) : NULL;
	if (!st) {
		snprintf(err, errlen, cfg->done ? "out of memory" :
			 "store: no completion callback");
		return NULL;
	}
	struct files *f = files_new(st, cfg->dir, err, errlen);
	if (!f) {
		store_core_free(st);
		return NULL;
	}
	store_backend_set(st, &files_ops, f);
	if (dir_make(f->dir) != 0 ||
	    (f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY |
			     O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "state directory %s: %s", f->dir,
			 strerror(errno));
		store_close(st);
		return NULL;
	}
	if (dir_lock(f, err, errlen) != 0) {
		store_close(st);
		return NULL;
	}
	if (dir_load(f) != 0) {
		snprintf(err, errlen, "state directory %s: %s", f->dir,
			 strerror(errno));
		store_close(st);
		return NULL;
	}
	if (cfg->sync_child && !(f->sy = syncer_start(cfg->sync_hook)))
		store_backend_log(st, LOG_WARNING, "state directory %s: no "
				  "process for syncs (%s): the broker syncs "
				  "its logs itself", f->dir, strerror(errno));
	/* each room's next numbers, so its first line waits for no sync */
	for (struct froom *fr = f->rooms; fr; fr = fr->next)
		if (fr->fd >= 0 && !fr->ro && !fr->broken)
			reserve_ahead(f, fr);
	return st;
}
