/* transfer_relay.c — the bytes of one transfer, from the sender's
 * socket to the receiver's, and the receiver's answer back
 * (transfer.h).  One buffer of RELAY_BUF bytes: a file is never held
 * whole.  The sender's half-close is passed on as a half-close, so
 * the receiver sees the end of the file where the sender put it; a
 * sender that stops early (cancelled, cut off) shows as fewer bytes
 * than offered, which the receiver reports. */
#if defined(__linux__) && !defined(NATTER_RELAY_COPY)
#define _GNU_SOURCE /* splice(2), F_SETPIPE_SZ */
#define RELAY_SPLICE
#endif
#include "transfer.h"
#include "io.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define RELAY_BUF (256 * 1024)   /* the copy's buffer */
#define RELAY_PIPE (1024 * 1024) /* splice's pipe: Linux's default
				    limit for a user's pipe */
#define RELAY_IDLE_MS 60000 /* no byte either way this long: given up */

struct relay {
	const struct transfer *t;
	int s, r;          /* the sender's and the receiver's sockets */
	uint64_t moved;
	const char *why;   /* why the file's bytes stopped, or NULL */
	int pipe[2];       /* RELAY_SPLICE: the kernel's buffer between */
	size_t pipe_size;  /* its capacity */
};

/* What the receiver says (its answer, or an early FAIL) goes to the
 * sender: at most XFER_LINE_MAX bytes, until its end of file. */
static void pass_answer(struct relay *x)
{
	char buf[XFER_LINE_MAX + 1], shown[XFER_LINE_MAX + 1];
	size_t have = 0;
	long long deadline = io_now_ms() + RELAY_IDLE_MS;
	while (have < XFER_LINE_MAX) {
		long long left = deadline - io_now_ms();
		struct pollfd p = { .fd = x->r, .events = POLLIN };
		int k = left > 0 ? poll(&p, 1, (int)left) : 0;
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		ssize_t n = io_read(x->r, buf + have, XFER_LINE_MAX - have);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	if (have > 0 && io_write_all(x->s, buf, have, RELAY_IDLE_MS) != 0)
		log_msg(LOG_INFO, "file %u: the answer did not reach the "
			"sender: %s", x->t->id, strerror(errno));
	if (shutdown(x->s, SHUT_WR) != 0 && errno != ENOTCONN)
		log_msg(LOG_INFO, "file %u: shutdown: %s", x->t->id,
			strerror(errno));
	/* the answer's first line, cleaned for the log */
	size_t i;
	for (i = 0; i < have && buf[i] != '\r' && buf[i] != '\n'; i++)
		shown[i] = buf[i] >= 0x20 && buf[i] < 0x7f ? buf[i] : '?';
	shown[i] = '\0';
	log_msg(LOG_INFO, "file %u: %llu of %llu bytes relayed%s%s; the "
		"receiver answered '%s'", x->t->id,
		(unsigned long long)x->moved, (unsigned long long)x->t->size,
		x->why ? ": " : "", x->why ? x->why : "", shown);
}

/* The most the next read may take: one byte past what was offered,
 * so a sender that sends more is caught. */
static size_t want(const struct relay *x)
{
	uint64_t room = x->t->size - x->moved + 1;
	return room < RELAY_PIPE ? (size_t)room : RELAY_PIPE;
}

/* What one read of the sender gave: 1 when n bytes may go on, 0 at
 * its end (or a failure, in x->why), -1 when it sent more than it
 * offered. */
static int taken(struct relay *x, ssize_t n)
{
	if (n <= 0) {
		if (n < 0)
			x->why = "the sender's connection failed";
		return 0;
	}
	if (x->moved + (uint64_t)n > x->t->size) {
		x->why = "the sender sent more than it offered";
		return -1;
	}
	return 1;
}

#ifdef RELAY_SPLICE
/* Linux: socket to pipe to socket inside the kernel (splice(2)): the
 * file's bytes are never copied through this process, which leaves the
 * CPU to the chat.  Same answers as the copy below. */
static int move_some(struct relay *x, char *buf)
{
	(void)buf;
	ssize_t n;
	size_t take = want(x) < x->pipe_size ? want(x) : x->pipe_size;
	do
		n = splice(x->s, NULL, x->pipe[1], NULL, take, SPLICE_F_MOVE);
	while (n < 0 && errno == EINTR);
	int ok = taken(x, n);
	if (ok <= 0)
		return ok;
	for (size_t left = (size_t)n; left > 0;) {
		/* blocking, bounded by SO_SNDTIMEO (relay_setup) */
		ssize_t w = splice(x->pipe[0], NULL, x->r, NULL, left,
				   SPLICE_F_MOVE);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		left -= (size_t)w;
	}
	x->moved += (uint64_t)n;
	return 1;
}

/* The pipe, as large as the copy's buffer (a smaller one if the system
 * says no), and a bound on a blocked write to the receiver.  0 or -1. */
static int relay_setup(struct relay *x)
{
	struct timeval tv = { RELAY_IDLE_MS / 1000, 0 };
	if (pipe(x->pipe) != 0)
		return -1;
	int size = fcntl(x->pipe[1], F_SETPIPE_SZ, RELAY_PIPE);
	if (size < 0) /* the system's limit is lower: its default, then */
		size = fcntl(x->pipe[1], F_GETPIPE_SZ);
	x->pipe_size = size > 0 ? (size_t)size : 65536;
	return setsockopt(x->r, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static void relay_done(struct relay *x)
{
	close(x->pipe[0]);
	close(x->pipe[1]);
}
#else
/* One read of the sender, written whole to the receiver.  1: go on;
 * 0: the sender's end (or x->why); -1: the receiver is gone. */
static int move_some(struct relay *x, char *buf)
{
	ssize_t n = io_read(x->s, buf, want(x) < RELAY_BUF ? want(x)
							 : RELAY_BUF);
	int ok = taken(x, n);
	if (ok <= 0)
		return ok;
	if (io_write_all(x->r, buf, (size_t)n, RELAY_IDLE_MS) != 0)
		return -1;
	x->moved += (uint64_t)n;
	return 1;
}

static int relay_setup(struct relay *x)
{
	(void)x;
	return 0;
}

static void relay_done(struct relay *x)
{
	(void)x;
}
#endif

/* The file's bytes.  0 when the sender's side ended (the receiver may
 * answer), -1 when the receiver is gone or the sender broke the rules
 * (both are then simply closed). */
static int move_file(struct relay *x)
{
#ifdef RELAY_SPLICE
	char *buf = NULL;
#else
	static char buf[RELAY_BUF];
#endif
	for (;;) {
		struct pollfd p[2] = { { .fd = x->s, .events = POLLIN },
				       { .fd = x->r, .events = POLLIN } };
		int k = poll(p, 2, RELAY_IDLE_MS);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			x->why = "nothing moved for a minute";
			return 0;
		}
		if (p[1].revents) /* the receiver gave up early: its FAIL */
			return 0;
		int r = move_some(x, buf);
		if (r <= 0)
			return r;
	}
}

void transfer_relay(const struct transfer *t, int other)
{
	struct relay x = { .t = t, .s = t->role == XFER_PUT ? 0 : other,
			   .r = t->role == XFER_PUT ? other : 0 };
	char ok[64];
	int n = snprintf(ok, sizeof ok, "\r\n%s OK %llu\r\n", XFER_MAGIC,
			 (unsigned long long)t->size);
	if (io_write_all(0, ok, (size_t)n, RELAY_IDLE_MS) != 0 ||
	    io_write_all(other, ok, (size_t)n, RELAY_IDLE_MS) != 0) {
		log_msg(LOG_INFO, "file %u: a side went before the start: %s",
			t->id, strerror(errno));
		close(other);
		return;
	}
	if (relay_setup(&x) != 0) {
		log_msg(LOG_WARNING, "file %u: cannot set up the relay: %s",
			t->id, strerror(errno));
		close(other);
		return;
	}
	int moved = move_file(&x);
	relay_done(&x);
	if (moved == 0) {
		if (shutdown(x.r, SHUT_WR) != 0 && errno != ENOTCONN)
			log_msg(LOG_INFO, "file %u: shutdown: %s", t->id,
				strerror(errno));
		pass_answer(&x);
	} else {
		log_msg(LOG_INFO, "file %u: stopped after %llu of %llu bytes: "
			"%s", t->id, (unsigned long long)x.moved,
			(unsigned long long)t->size,
			x.why ? x.why : "the receiver went away");
	}
	close(other);
}
