/* peer.h — the broker's peers: framing, bounded output queues and the
 * life cycle of each connection, knowing nothing of chat (after tmux's
 * proc.c).  The layer above gives two callbacks: `frame` for each frame
 * a peer sends, `gone` once when the peer leaves.
 *
 * A peer's life:
 *
 *   OPEN  ──(queue bound hit: peer_cut)──> CUT ──(after the fanout)──> DRAIN ──> DEAD
 *     └──────(EOF, error, bad frame: peer_end)──────────────────────────────────┘
 *
 * OPEN reads frames and receives them.  CUT is marked mid-fanout: it
 * receives nothing more, but it stays allocated and wherever the layer
 * above keeps it (a room's array), so a fanout may go on walking.  Cuts
 * are settled (peers_settle) after each frame, event and flush, when
 * nothing iterates: `gone` is called (the layer above forgets the peer)
 * and it becomes DRAIN, which only flushes its queue (ending with the
 * KICK frame) and closes when empty or after PEER_LINGER_MS.  DEAD is
 * closed but freed only by peers_free_dead at the end of the loop
 * iteration, so no pointer held by this iteration dangles.  `gone` is
 * called exactly once per peer, after its last `frame`.
 *
 * Backpressure: a frame whose handling takes any queue past the high-water
 * mark (PEER_HIGH_DIV: half the bound) holds the peer that sent it: it
 * is not read again (its undecoded frames wait in `partial`) until that
 * queue falls below the low-water mark (a quarter).  So senders go at
 * the pace of the readers, and a reader who keeps up is never cut off.
 * Only a reader who drains holds anyone: a queue that had no progress
 * (no byte written, and not empty) for PEER_HOLD_MS is stalled (its
 * reader is frozen, not slow): it holds nobody, its held senders go on,
 * until it drains below low water; it is cut off when it passes its
 * bound, as without backpressure.  So a frozen reader whose queue
 * passes high water holds the others not at all, and one that freezes
 * while it holds them holds them at most PEER_HOLD_MS.  The rule needs
 * no knowledge of chat: "the peer whose frame is being handled" is the
 * sender.  A queue past its bound while not stalled takes up to one
 * more bound of frames (held senders each add at most one frame after
 * a release) before it is cut off.
 *
 * Writing: a queue written to goes on the dirty list, oldest first;
 * the loop writes peers_flush(FLUSH_BATCH) of them per iteration, so a
 * queue gets one write a round with all that is in it.  A peer is asked
 * to be polled for writing only while its queue is non-empty.
 *
 * Pacing: with PEER_PACE_MIN peers or more, a queue written less than
 * PEER_PACE_MS ago waits until then to be written again (below low
 * water; the loop sleeps until pace_due while nothing else is due).
 * Each write wakes a handler process: a broker with fewer queues than
 * the machine can write in PEER_PACE_MS would otherwise write each one
 * more often with less in it, and the handlers' wake-ups take the CPU
 * (two brokers on one machine, issue 13: twice the wake-ups per line,
 * half the throughput).  A queue idle for PEER_PACE_MS is written at
 * once, so a quiet room's lines are not delayed; a broker with fewer
 * peers is never paced. */
#ifndef NATTER_BROKER_PEER_H
#define NATTER_BROKER_PEER_H

#include "evloop.h"
#include "frame.h"
#include "outq.h"
#include "ratelog.h"

#include <stddef.h>

#define PEER_LINGER_MS 5000   /* how long a cut-off peer gets its KICK */
#define PEER_READ_CHUNK 16384 /* read at most this per event: fairness */
#define PEER_LABEL_MAX 96     /* "ann from 192.0.2.7 port 4242" */
#define PEER_HIGH_DIV 2       /* high water: bound / 2; senders held */
#define PEER_LOW_DIV 4        /* low water: bound / 4; senders go on */
#define PEER_HOLD_MS 200      /* no progress this long: stalled, holds
				 nobody, so a frozen reader delays the
				 others at most this long */
#define PEER_PACE_MS 30       /* a queue written at most this often */
#define PEER_PACE_MIN 256     /* with at least this many peers */
#define PEER_STALL_LOGS 10    /* "is not reading" lines a second; the
				 rest counted in one line (thousands of
				 sessions descheduled at once on a
				 loaded machine each stall) */

enum peer_state { PEER_OPEN, PEER_CUT, PEER_DRAIN, PEER_DEAD };

/* Why `gone` is called. */
enum peer_why {
	PEER_CLOSED,   /* hung up, failed, or ended by peer_end */
	PEER_CUT_OFF,  /* cut off (peer_cut, peer_finish): its queue drains */
	PEER_SHUTDOWN  /* the broker stops: tell nobody */
};

struct peer;
struct peers;

struct peer_ops {
	/* A frame p sent, decoded but not checked for shape; valid only
	 * during the call.  It may queue, cut and end peers, p too. */
	void (*frame)(struct peer *p, const struct frame *f, void *arg);
	/* p leaves: the last call about it.  It may queue to others
	 * (never to p) and cut them. */
	void (*gone)(struct peer *p, enum peer_why why, void *arg);
};

struct peer_link {
	struct peer *prev, *next;
};
struct peer_chain {
	struct peer *head, *tail;
};

/* The layer's own; the layer above embeds it first in its own struct
 * (peer_new allocates that whole), and reads only `label`. */
struct peer {
	struct ev_source src;   /* the evloop calls src.ready */
	struct peers *set;
	int fd;
	enum peer_state state;
	unsigned registered;    /* events asked of the evloop */
	int writable;           /* EV_OUT fired since the last flush */
	int dirty;              /* on the dirty chain */
	struct outq out;
	char *partial;          /* bytes read, not yet handled: an
				   incomplete frame, or the rest of a
				   read while held (< FRAME_MAX +
				   PEER_READ_CHUNK bytes) */
	size_t partial_len;
	size_t partial_cap;
	long long deadline;     /* DRAIN: close at this io_now_ms() */
	struct peer *held_by;   /* not read until its queue drains */
	struct peer_chain waiters; /* the peers it holds */
	int high;               /* above high water, on the high chain */
	int stalled;            /* no progress in time: holds nobody */
	int ending;             /* hung up or failed: held no more */
	int resumed;            /* on the resumed chain */
	long long written;      /* when it was last flushed (pacing) */
	long long progress;     /* when its queue was last empty or a
				   write took bytes (set->now) */
	struct peer_link dirty_link, drain_link, wait_link, high_link;
	struct peer_link resume_link;
	struct peer *next_cut, *next_dead;
	struct peer *prev_all, *next_all;
	char label[PEER_LABEL_MAX]; /* who it is, for the log: set by the
				       layer above (peer_label) */
};

/* The set of peers and the state of their writing. */
struct peers {
	struct evloop *loop;
	size_t queue_max;          /* bytes queued per peer */
	const struct peer_ops *ops;
	void *arg;                 /* passed to the callbacks */
	struct peer *all;
	size_t count;
	struct peer_chain dirty;   /* queues to write, oldest first */
	struct peer_chain drain;   /* DRAIN peers, by deadline */
	struct peer_chain high;    /* above high water, by progress */
	struct peer_chain resumed; /* released, with frames in partial */
	struct peer *reading;      /* whose frame is being handled */
	long long hold_ms;         /* PEER_HOLD_MS unless a test sets it */
	long long now;             /* io_now_ms(), read once per event and
				      per flush: no clock per append */
	struct peer *cuts, *dead;
	struct ratelog stalls;     /* "is not reading" in the log */
	long long pace_ms;         /* PEER_PACE_MS (0: no pacing) and */
	size_t pace_min;           /* PEER_PACE_MIN, unless a test sets
				      them */
	long long pace_due;        /* the paced head's turn, or 0 */
	size_t pass_in;            /* bytes read since every queue was
				      written */
	char inbuf[FRAME_MAX + PEER_READ_CHUNK];
};

void peers_init(struct peers *set, struct evloop *loop, size_t queue_max,
		const struct peer_ops *ops, void *arg);

/* Takes fd (non-blocking) as a new OPEN peer in a zeroed allocation of
 * `size` bytes (at least sizeof(struct peer)), polled for input.
 * NULL with errno set when memory or the loop fails; fd is the
 * caller's then. */
struct peer *peer_new(struct peers *set, int fd, size_t size);
/* Sets the peer's name in the log (cut). */
void peer_label(struct peer *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Queues len bytes for p (nothing unless OPEN); past high water the
 * peer being read is held (see above); a stalled peer past its bound,
 * or any past twice its bound, is cut off (peer_cut). */
void peer_queue(struct peer *p, const char *buf, size_t len);
/* Marks p to be cut off once nothing iterates: a KICK with `why` ends
 * its queue (it may pass the bound by one frame, so the reason always
 * fits); logged.  Safe mid-fanout. */
void peer_cut(struct peer *p, const char *why);
/* As peer_cut, without the KICK and the log: p closes once what is
 * queued (an ERR, say) went out. */
void peer_finish(struct peer *p);
/* Closes p now; logs why unless NULL.  `gone` comes first if it has
 * not come yet.  Not mid-fanout: use peer_cut there. */
void peer_end(struct peer *p, const char *why);

/* Settles the cuts: `gone`, then DRAIN (see above). */
void peers_settle(struct peers *set);
/* Writes at most `most` queues, oldest on the list first, stopping at
 * one whose turn has not come (pacing: set->pace_due says when it
 * comes); returns 1 when the list is then empty. */
int peers_flush(struct peers *set, size_t most);
/* Frames queued from now on count as sent by p (NULL: by nobody) for
 * backpressure, as while p's own frame is handled: for a layer above
 * that fans out later what p sent (the room log's completions).
 * Returns the sender it replaces, to be put back. */
struct peer *peers_sending(struct peers *set, struct peer *p);
/* Whether p's queue is above high water (a sender to it is held). */
int peer_above_high(const struct peer *p);
/* -1, or when the first DRAIN peer's time or a hold runs out
 * (io_now_ms). */
long long peers_next_deadline(const struct peers *set);
void peers_expire(struct peers *set, long long now);
/* Frees the DEAD peers: at the end of an iteration only. */
void peers_free_dead(struct peers *set);
/* Shutting down: `gone` (PEER_SHUTDOWN) and close, for every peer. */
void peers_close_all(struct peers *set);

/* peer.c and peer_io.c between themselves. */
void peer_mark_dirty(struct peer *p);
void peer_unmark_dirty(struct peer *p);
void peer_release(struct peer *p);
void peer_unhold(struct peer *p);
void peer_progress(struct peer *p, size_t before);
void peers_run_resumed(struct peers *set);
int peer_take_frames(struct peer *p, char *buf, size_t have);
void peer_ready(struct ev_source *src, unsigned events);

#endif
