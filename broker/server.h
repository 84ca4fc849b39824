/* server.h — the broker's state and the connection life cycle shared by
 * its files (broker.c runs the loop, conn.c owns connections, commands.c
 * carries out frames, listing.c writes INFO lists).
 *
 * A connection's life:
 *
 *   OPEN  ──(queue bound hit)──> CUT ──(after the fanout)──> DRAIN ──> DEAD
 *     └──────(EOF, error, bad frame)──────────────────────────────────┘
 *
 * OPEN reads frames and receives them.  CUT is marked mid-fanout and
 * still sits in its room's array (it receives nothing more); the cuts
 * are processed after each request, when nothing iterates a room: it
 * leaves the room (the others see LEFT) and becomes DRAIN, which only
 * flushes its queue (ending with the KICK frame) and closes when empty
 * or after BROKER_LINGER_MS.  DEAD is closed but freed only at the end
 * of the loop iteration, so no pointer held by this iteration dangles. */
#ifndef NATTER_BROKER_SERVER_H
#define NATTER_BROKER_SERVER_H

#include "broker.h"
#include "evloop.h"
#include "frame.h"
#include "outq.h"
#include "presence.h"
#include "transcript.h"

#include <stddef.h>

#define BROKER_LINGER_MS 5000 /* how long a cut-off handler gets its KICK */
#define BROKER_READ_CHUNK 16384 /* read at most this per event: fairness */
#define BROKER_IP_MAX 46       /* INET6_ADDRSTRLEN */
#define BROKER_PORT_MAX 8

enum conn_state { CONN_OPEN, CONN_CUT, CONN_DRAIN, CONN_DEAD };

struct conn;
/* A connection's place in a chain (conn.c: chain_append, chain_remove). */
struct conn_link {
	struct conn *prev, *next;
};
/* A doubly linked list of connections, oldest first. */
struct conn_chain {
	struct conn *head, *tail;
};

struct conn {
	struct member m;        /* first: a member * is its conn * */
	int fd;
	enum conn_state state;
	int logged_in;
	unsigned registered;    /* events asked of the evloop */
	int writable;           /* EV_OUT fired since the last flush */
	struct outq out;
	char *partial;          /* an incomplete frame (< FRAME_MAX bytes) */
	size_t partial_len;
	char ip[BROKER_IP_MAX], port[BROKER_PORT_MAX];
	long long deadline;     /* DRAIN: close at this io_now_ms() */
	int dirty;              /* on the dirty chain */
	struct conn_link dirty_link, drain_link;
	struct conn *next_cut, *next_grave;
	struct conn *prev_all, *next_all;
};

struct server {
	const struct broker_config *cfg;
	size_t queue_max;
	struct evloop *loop;
	struct presence pres;
	struct transcript tr;
	int lfd, sigfd;
	int listening;             /* lfd is polled for input; when 0 it is
				      out of the evloop or in it asking
				      for nothing (broker.c) */
	long long accept_resume;   /* EMFILE pause: poll lfd again then */
	unsigned resume_failures;  /* tries to poll lfd again that failed */
	struct conn *all;
	struct conn_chain dirty;   /* queues to write, oldest first */
	struct conn_chain drain;   /* DRAIN connections, by deadline */
	struct conn *cuts, *grave;
	size_t nconns;
	size_t pass_in;            /* bytes read since every queue was
				      written */
	long long refusal_window;  /* refused logins: this second began */
	unsigned refusals_logged;  /* in this second */
	unsigned refusals_hidden;  /* in this second, past the log's bound */
	char inbuf[FRAME_MAX + BROKER_READ_CHUNK];
	char frame[FRAME_MAX];     /* the frame being encoded */
};

static inline struct conn *conn_of(struct member *m)
{
	return (struct conn *)(void *)m;
}

/* conn.c */
struct conn *conn_new(struct server *s, int fd);
/* Queues bytes for c; a handler that is too far behind is cut off. */
void conn_queue(struct server *s, struct conn *c, const char *buf,
		size_t len);
/* Encodes a frame and queues it for c. */
void conn_send(struct server *s, struct conn *c, int type,
	       const char *a, const char *b, const char *text);
/* Puts c at the end of the list of queues to write (see
 * conn_flush_dirty); a no-op when it is on it already. */
void conn_mark_dirty(struct server *s, struct conn *c);
void conn_unmark_dirty(struct server *s, struct conn *c);
void conn_cut(struct server *s, struct conn *c, const char *why);
/* Closes c now (its room hears LEFT if it was logged in). */
void conn_end(struct server *s, struct conn *c, const char *why);
void conn_event(struct server *s, struct conn *c, unsigned events);
void conn_process_cuts(struct server *s);
/* Writes at most `most` queues, oldest on the list first; returns 1
 * when the list is then empty. */
int conn_flush_dirty(struct server *s, size_t most);
void conn_expire_drains(struct server *s, long long now);
void conn_free_grave(struct server *s);
void conn_close_all(struct server *s);
/* Logout: LEFT text="" to c's room, out of the room and the names. */
void conn_announce_leave(struct server *s, struct conn *c);

/* commands.c */
void cmd_dispatch(struct server *s, struct conn *c, const struct frame *f);
/* Sends the frame in s->frame (len bytes) to every member of r but
 * `except`. */
void cmd_fanout(struct server *s, const struct room *r,
		const struct conn *except, size_t len);
/* Logs how many refused logins the log's bound hid, once their second
 * is over; the loop calls it from its timers (see cmd_refusals_due). */
void cmd_refusals_flush(struct server *s, long long now);
/* -1, or when cmd_refusals_flush has a count to log. */
long long cmd_refusals_due(const struct server *s);

/* listing.c */
/* INFO lines: prefix then the names in r but `except`, chunked. */
void list_members(struct server *s, struct conn *c, const struct room *r,
		  const char *prefix, const struct conn *except);
void list_rooms(struct server *s, struct conn *c);

#endif
