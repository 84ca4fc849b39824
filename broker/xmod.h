/* xmod.h — moderation across hosts (issue 13): with natter-broker -R,
 * bans, mutes and room topics are kept in Redis and apply on every
 * host (topics: xtopic.c); a kick or a mute of a person on another
 * host is done by that host.  The keys,
 * the stream and what happens while Redis is away are in xmod.c's
 * header and doc/DESIGN.md ("Across machines").
 *
 * modcmd.c calls the first group after acting here (dispatch lines);
 * without -R each is a no-op that returns -1 or 0.  Nothing waits for
 * Redis: commands go out on the command link, answers come on a later
 * loop pass. */
#ifndef NATTER_BROKER_XMOD_H
#define NATTER_BROKER_XMOD_H

#include "bans.h"
#include "resp/resp.h"

#include <stddef.h>

struct chat;
struct chatter;
struct xhost;
struct stream_id;

/* A ban made or lifted here, a mute set or lifted here (dur as typed,
 * or ""): 0 when it is shared (sent now, or kept to be sent when Redis
 * is back), -1 without -R. */
int xmod_ban(struct chat *ch, const struct ban *b);
int xmod_unban(struct chat *ch, const struct ban *b, const char *by);
int xmod_mute(struct chat *ch, const char *name, long long until,
	      const char *by, const char *dur);
int xmod_unmute(struct chat *ch, const char *name, const char *by);
/* The topic of room (by whom, or who cleared it) as it is here now:
 * shared (sent, or kept until Redis is back): 0; -1 without -R. */
int xmod_topic(struct chat *ch, const char *room, const char *by);
/* 1 when name (len bytes) is a person of another host and nobody here:
 * its spelling copied into out (NAME_LEN_MAX + 1 bytes). */
int xmod_remote(struct chat *ch, const char *name, size_t len, char *out);
/* /kick of name by c: 1 when name is a person of another host (that
 * host is asked to kick; c is answered), 0 when not (act here). */
int xmod_kick(struct chat *ch, struct chatter *c, const char *name,
	      size_t len, const char *why, size_t whylen);

/* For xhost.c: its state made and freed (0, or -1 out of memory); UP
 * answered (the shared bans and mutes are merged); its stream added to
 * the XREAD (how many, 0 or 1); an entry read: 1 when it was of its
 * stream (taken), 0 when not. */
int xmod_open(struct xhost *xh);
void xmod_free(struct xhost *xh);
void xmod_up(struct xhost *xh);
int xmod_streams(struct xhost *xh, const char **keys, struct stream_id *ids,
		 int max);
int xmod_entry(struct xhost *xh, const char *key, size_t keylen,
	       const struct stream_id *id, const struct resp_value *fields);

#endif
