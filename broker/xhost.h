/* xhost.h — presence across hosts (issue 13): every broker sharing a
 * Redis (natter-broker -R) sees the people of every other one.  The
 * keys, the streams and the failure model are in xhost.c's header and
 * doc/DESIGN.md ("Across machines").
 *
 * The chat layer calls in at a few points (dispatch lines); without
 * -R every call is a no-op (ch->xh NULL) and nothing changes.  Nothing
 * here waits for Redis: commands go out on the room log's command link
 * (store_redis.h), answers come on a later loop pass. */
#ifndef NATTER_BROKER_XHOST_H
#define NATTER_BROKER_XHOST_H

#include "history.h"
#include "names.h"

#include <stddef.h>
#include <stdint.h>

struct chat;
struct chatter;
struct frame;

/* What a LOGIN goes on with once its name is claimed (chat.c). */
struct login_go {
	uint8_t flags;                /* the LOGIN's */
	char room[ROOM_LEN_MAX + 1];  /* where to, valid */
	uint64_t n;                   /* REPLAY, or SINCE on a rejoin */
};

/* Presence across hosts when the room log is in Redis: 0 (also when
 * it is not: then nothing is shared), -1 out of memory (logged).
 * seed makes the host's ID stable across broker restarts (the broker's
 * socket path). */
int xhost_open(struct chat *ch, const char *seed);
/* Before the store closes: no callback acts any more; then xhost_free
 * after it closed. */
void xhost_close(struct chat *ch);
void xhost_free(struct chat *ch);

/* c's name is in local presence.  0: go on now; 1: the claim is sent
 * and chat_login_claimed follows; -1: a person on another host has it
 * (refuse as a name in use). */
int xhost_claim(struct chat *ch, struct chatter *c, const struct login_go *g);
/* 1 while c's claim waits for its answer (c is in local presence but
 * not logged in: a second LOGIN now breaks the protocol). */
int xhost_claiming(const struct chat *ch, const struct chatter *c);
/* c came into its room (how; from old on a move, "" otherwise). */
void xhost_entered(struct chat *ch, struct chatter *c, enum hist_how how,
		   const char *old);
/* c leaves the chat (announced here). */
void xhost_left(struct chat *ch, struct chatter *c);
/* c is freed (any state): nothing pending names it any more; a claim
 * still waiting takes it out of local presence. */
void xhost_gone(struct chat *ch, struct chatter *c);
/* PRIV from c to a name nobody here has: 1 when it was for a person on
 * another host (the reply is owed by xhost), 0 when nobody has it. */
int xhost_priv(struct chat *ch, struct chatter *c, const struct frame *f);

/* c's away message was set or cleared (c->away): the other hosts
 * hear it (a /msg to c from there is answered with it, /who shows it). */
void xhost_away(struct chat *ch, struct chatter *c);
/* After the OK to a PRIV to a person of another host: the away
 * notice when that person is away (1: sent, the reply's last frame),
 * else 0. */
int xhost_away_tell(struct chat *ch, struct chatter *c, const char *to);

/* People of other hosts in room (by name_same), for /who: each one's
 * name and away message ("" when not away). */
size_t xhost_room_count(const struct chat *ch, const char *room);
void xhost_each_in_room(const struct chat *ch, const char *room,
			void (*fn)(void *arg, const char *name,
				   const char *away), void *arg);
/* How many people of other hosts are known (a bound on their rooms). */
size_t xhost_room_total(const struct chat *ch);
/* For natterctl: the other hosts known (taken for dead ones not
 * counted), and every person of them with their room ("" while in
 * none) and host's ID, grouped by host. */
size_t xhost_hosts(const struct chat *ch);
void xhost_each_person(const struct chat *ch,
		       void (*fn)(void *arg, const char *name,
				  const char *room, const char *host),
		       void *arg);
/* Rooms of other hosts and their counts (a room once per call, also
 * one that has people here). */
void xhost_each_room(const struct chat *ch,
		     void (*fn)(void *arg, const char *room, size_t n),
		     void *arg);

#endif
