/* chat.h — the broker's chat layer: people, rooms, the transcript and
 * what each frame from a handler means.  It sits on the peer layer
 * (peer.h), which gives it frames and tells it when a peer is gone;
 * leave announcements are made here, in `gone`.
 *
 * Fanout encodes a frame once (into chat.frame) and appends the same
 * bytes to each recipient's queue: O(recipients), no allocation per
 * message while queues have room. */
#ifndef NATTER_BROKER_CHAT_H
#define NATTER_BROKER_CHAT_H

#include "frame.h"
#include "moderation.h"
#include "history.h"
#include "peer.h"
#include "presence.h"
#include "ratelog.h"
#include "transcript.h"
#include "xhost.h"

#include <stddef.h>
#include <stdint.h>

#define CHAT_IP_MAX 46   /* INET6_ADDRSTRLEN */
#define CHAT_PORT_MAX 8

/* A handler's person.  The peer comes first: the peer layer allocates
 * and frees the whole (peer_new), and a room's member pointer leads to
 * its peer by a constant offset, so a fanout looks nothing up. */
struct chatter {
	struct peer peer;
	struct member m;
	int logged_in;
	unsigned proto;       /* the protocol version its LOGIN announced */
	int account;          /* its LOGIN said FRAME_ACCOUNT */
	long long last_active; /* io_now_ms() of its last frame (idle) */
	char *away;           /* NULL, or its away message (away.h) */
	struct ignores *ign;  /* NULL, or whom it ignores (ignore.h) */
	size_t hist_pending;  /* history.c's requests that name it */
	char ip[CHAT_IP_MAX], port[CHAT_PORT_MAX];
	char origin[ORIGIN_MAX + 1]; /* its session's, "" when none given */
	/* moderation (modcmd.h) */
	int op;               /* an operator (LOGIN's FRAME_OPERATOR) */
	int ctl;              /* a control program (CTL), not a person */
	long long login_at;   /* Unix seconds */
	long long last_said;  /* io_now_ms of its last SAY or ME */
	char *note;           /* kicked or banned: the room's notice */
	/* took over an older session of its account (takeover.h) */
	int files;            /* runs the natter client (files.h) */
	int took_over;
	char took_over_room[ROOM_LEN_MAX + 1], took_over_ip[CHAT_IP_MAX];
};

struct offers;

struct chat {
	struct peers *peers;
	struct presence pres;
	struct transcript tr;
	struct ratelog refusals;   /* refused logins in the log */
	const char *state_dir;     /* NULL, or where accounts' ignore lists
				      and offline messages, bans and
				      topics are kept */
	long long started;         /* Unix seconds */
	struct moderation mod;
	struct history hist;       /* the room log (history.h) */
	struct xhost *xh;          /* presence across hosts, NULL: none */
	const char *host_seed;     /* set before chat_init: this host's
				      ID's seed (xhost.h) */
	struct offers *offers;     /* files on offer (files.h) */
	uint64_t file_max;         /* -S: the largest file offered */
	char frame[FRAME_MAX];     /* the frame being encoded */
};

/* The callbacks chat_init gives the peer layer (arg: the struct chat). */
extern const struct peer_ops chat_peer_ops;

static inline struct chatter *chatter_of(struct member *m)
{
	return (struct chatter *)(void *)((char *)m -
					  offsetof(struct chatter, m));
}

/* transcript: the -L file, or NULL; state: the state directory, or
 * NULL for none; history: 0 for no room logs in it (natter-broker -N).  Returns 0, or an exit status
 * (lib/exitcode.h) with the reason logged: EXIT_USAGE when the
 * transcript cannot be opened, EXIT_TEMP when memory ran out or
 * another broker holds the state directory.  The caller then calls
 * chat_free all the same. */
int chat_init(struct chat *ch, struct peers *peers, const char *transcript,
	      const char *state, int history);
void chat_free(struct chat *ch);
/* A new handler on fd (non-blocking); NULL with errno set. */
struct peer *chat_accept(struct chat *ch, int fd);
/* SIGHUP: the transcript is opened again (after a rotation). */
void chat_reopen(struct chat *ch);
/* -1, or when chat_timers has something to do (io_now_ms). */
long long chat_due(const struct chat *ch);
void chat_timers(struct chat *ch, long long now);

/* For chat.c, listing.c, reply.c and history*.c. */
/* c comes into room (history.c, when the replay's read completed):
 * enters it, with OK, the room's JOINED and the greeting on a login or
 * a join (a mover's old room hears LEFT).  0, or -1 when c was cut
 * off (out of memory). */
int chat_come_in(struct chat *ch, struct chatter *c, enum hist_how how,
		 const char *room);
/* xhost.c: c's claim of its name across hosts came back (ok 0: a
 * person of another host has it): the LOGIN goes on, or is refused. */
void chat_login_claimed(struct chat *ch, struct chatter *c, int ok,
			const struct login_go *g);
/* The room hears that name left (the transcript too). */
void chat_announce_left(struct chat *ch, const char *name, const char *room);
/* A public line in the transcript. */
struct store_entry;
void chat_transcribe(struct chat *ch, const char *room,
		     const struct store_entry *e);
/* A decimal number of at most LINE_NO_MAX digits; 0 for anything
 * else. */
uint64_t chat_number(const char *s, size_t len);
/* Sends the frame in ch->frame (len bytes) to every member of r but
 * `except`. */
void chat_fanout(struct chat *ch, const struct room *r,
		 const struct chatter *except, size_t len);

#endif
