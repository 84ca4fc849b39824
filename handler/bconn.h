/* bconn.h — the link to the broker: connect, frame out, frames in,
 * and reconnecting with backoff after a loss.
 *
 * It knows nothing of chat, log-ins or the person: it returns events
 * (enum bconn_event) and the session decides what they mean. */
#ifndef NATTER_BCONN_H
#define NATTER_BCONN_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "outq.h"

#define BCONN_OUTQ_MAX (256 * 1024) /* to the broker */
#define BCONN_BACKLOG (64 * 1024)   /* callers stop taking lines past this */
#define BCONN_READ (64 * 1024)      /* read the broker in chunks this big */
#define BCONN_KEEP (16 * 1024)      /* read buffer kept resident when idle */
#define BCONN_TRIM_AFTER_MS 1000    /* after a burst, give pages back */
#define BCONN_RETRY_FIRST_MS 100    /* reconnect: first wait, doubling */
#define BCONN_RETRY_MAX_MS 2000     /* to at most this */

enum bconn_event {
	BCONN_NONE,      /* nothing (more) now */
	BCONN_FRAME,     /* a frame arrived (bconn_next's *f) */
	BCONN_LOST,      /* the connection closed or failed; it is closed */
	BCONN_CONNECTED, /* a reconnect try worked */
	BCONN_GAVE_UP,   /* the reconnect limit passed (errno: why) */
};

struct bconn {
	const char *path;   /* the broker's socket */
	int retry_limit_s;  /* give up reconnecting after this (-R) */
	int fd;             /* -1 when not connected */
	struct outq out;
	int out_broken;     /* a write failed: read to the end, write no more */
	int full;           /* a frame would have passed BCONN_OUTQ_MAX: the
			       broker is too far behind to go on */
	char in[BCONN_READ + FRAME_MAX];
	size_t inlen, inoff; /* bytes read; of them, handed out as frames */
	size_t in_high;      /* the most of in touched since the last trim */
	long long trim_at;   /* when to give its pages back (0: no need) */
	/* A reconnect episode: from the first failed try until the broker
	 * answers (bconn_answered); rc_give_up is 0 outside one. */
	long long rc_next, rc_backoff, rc_give_up;
	int rc_connected;    /* a try in this episode connected, unanswered */
};

/* Sets up b, not connected (b may be static: it does not touch the
 * read buffer, so its pages stay untouched until used). */
void bconn_init(struct bconn *bc, const char *path, int retry_limit_s);
/* Connects (non-blocking).  0, or -1 with errno. */
int bconn_open(struct bconn *bc);
int bconn_connected(const struct bconn *bc);
/* Queues a frame.  0 (also when not connected: nothing is queued,
 * LOGIN re-announces), or -1: the frame is too long (logged), or the
 * queue would pass BCONN_OUTQ_MAX (the flag full is then set). */
int bconn_send(struct bconn *bc, uint8_t type, uint8_t flags, const char *a,
	       const char *b, const char *text, size_t textlen);
/* Queues LOGIN with text (lib/natter-protocol.h: "ip port ORIGIN
 * SINCE REPLAY"); flags: FRAME_REJOIN (re-announcing a person already
 * in), FRAME_ACCOUNT (the name's password was checked), FRAME_OPERATOR;
 * the version is added.  As bconn_send. */
int bconn_login(struct bconn *bc, const char *name, const char *room,
		int flags, const char *text);
/* Bytes queued for the broker. */
size_t bconn_pending(const struct bconn *bc);
/* The poll events to ask for on b->fd. */
short bconn_events(const struct bconn *bc);
/* Writes what the broker takes.  A failed write is logged and writing
 * stops: reading goes on to the end of what the broker sent (a KICK
 * may be among it), which then reads as BCONN_LOST. */
void bconn_flush(struct bconn *bc);
/* Reads one chunk.  BCONN_NONE (then take frames with bconn_next) or
 * BCONN_LOST (end of file or an error, logged; closed). */
enum bconn_event bconn_read(struct bconn *bc);
/* The next whole frame read: BCONN_FRAME with *f (valid until the next
 * call), BCONN_NONE when no whole frame is left, BCONN_LOST on a bad
 * frame (logged; closed). */
enum bconn_event bconn_next(struct bconn *bc, struct frame *f);
/* Closes the connection (queued bytes are dropped). */
void bconn_close(struct bconn *bc);
/* Schedules the next connect try: RETRY_FIRST_MS after an episode
 * begins, doubling to RETRY_MAX_MS.  Returns 1 when this began a
 * reconnect episode, 0 when one was under way. */
int bconn_backoff(struct bconn *bc, long long now);
/* When the next try is due (only meaningful after bconn_backoff). */
long long bconn_retry_at(const struct bconn *bc);
/* Tries to connect: BCONN_CONNECTED, BCONN_GAVE_UP once retry_limit_s
 * have passed since the episode began (errno: the last failure), or
 * BCONN_NONE with the next try scheduled. */
enum bconn_event bconn_retry(struct bconn *bc, long long now);
/* The broker answered a LOGIN: a reconnect episode, if any, is over, so
 * a later loss gets the whole -R limit again. */
void bconn_answered(struct bconn *bc);
/* When the read buffer's idle pages are to be given back (0: none). */
long long bconn_trim_at(const struct bconn *bc);
/* Gives the read buffer's pages past BCONN_KEEP back to the system, so
 * a session that once took a burst stays small while it idles. */
void bconn_trim(struct bconn *bc);
/* At the end: what is queued, for at most ms milliseconds; closes. */
void bconn_finish(struct bconn *bc, int ms);

#endif
