/* syncer.h — fdatasync(2) off the event loop, in a child process.
 *
 * Why: a sync waits for the disk, and a disk that is busy (another
 * program writing, an SD card, a virtual disk under load) makes it
 * wait for tens or hundreds of milliseconds, during which a broker
 * that synced in its own loop would fan nothing out.  Redis moves its
 * fsync to a background thread for the same reason; the broker has one
 * thread, so it hands the descriptor to a small child that does
 * nothing else.
 *
 * The child is forked (the broker is single-threaded, so that is
 * safe), is named natter-syncer where the system allows (Linux: what
 * ps and pgrep show), closes every descriptor it inherited but its own end of a
 * SOCK_SEQPACKET socketpair (all of them on Linux; elsewhere those below
 * SYNCER_CLOSE_MAX and the descriptor limit), and then, for each
 * request, receives a descriptor (SCM_RIGHTS) and a 64-bit id,
 * fdatasyncs (or fsyncs) it, closes it and answers the id with 0 or the
 * errno value.  It ends when the parent's end closes (the broker ends
 * or dies), once the sync it may be in returns.
 *
 * Nothing here blocks the caller: a request that does not fit in the
 * socket's buffer (SYNCER_INFLIGHT_MAX requests unanswered), or any
 * failure to hand it over, returns -1 and the caller syncs inline.
 * A system whose AF_UNIX has no SOCK_SEQPACKET gets no syncer.
 * A child that dies is not restarted: every later request returns -1
 * (inline syncs, as before the syncer existed) and syncer_fd gives -1. */
#ifndef NATTER_BROKER_SYNCER_H
#define NATTER_BROKER_SYNCER_H

#include <stddef.h>
#include <stdint.h>

#define SYNCER_INFLIGHT_MAX 64   /* requests sent and not yet answered */
#define SYNCER_CLOSE_MAX 65536   /* without close_range(2), the child
				    closes descriptors below this */

struct syncer;

enum syncer_kind { SYNCER_DATA = 0, SYNCER_FULL = 1 }; /* fdatasync, fsync */

/* What the child calls instead of fdatasync/fsync (tests: a slow or
 * failing disk), full as enum syncer_kind; NULL: the real calls.  Runs
 * in the child. */
typedef int (*syncer_sync_fn)(int fd, int full);

/* Forks the child.  NULL, with errno, when it could not. */
struct syncer *syncer_start(syncer_sync_fn hook);
/* Closes the parent's end and reaps the child, which ends once the
 * sync it may be in returns (the broker's own syncs at close wait for
 * the disk as long). */
void syncer_stop(struct syncer *sy);

/* Hands fd (not closed: the child has its own copy) to the child to be
 * synced, answered later with id.  0, or -1 (the caller syncs inline). */
int syncer_request(struct syncer *sy, int fd, enum syncer_kind kind,
		   uint64_t id);
/* The descriptor to poll for input (answers), or -1 when the child is
 * gone. */
int syncer_fd(const struct syncer *sy);
/* Requests sent and not yet answered. */
size_t syncer_inflight(const struct syncer *sy);

struct syncer_answer {
	uint64_t id;
	int status;   /* 0, or the errno value of the failed sync */
};

/* Reads up to max answers without waiting; returns their number.  An
 * ended child (EOF or error) makes every request still unanswered come
 * back with status EIO, once, and the syncer unusable from then on. */
size_t syncer_answers(struct syncer *sy, struct syncer_answer *out,
		      size_t max);

#endif
