/* xmod_wire.h — moderation across hosts (xmod.h): the entries of the
 * moderation stream and the values of the shared bans and mutes as read
 * from Redis (outside input: anyone who can write to the Redis may have
 * written them), checked field by field.
 *
 * An entry of PREFIXmod, fields as bulk strings, each once, any order
 * (other fields ignored, at most XWIRE_FIELDS_MAX pairs in all; no
 * value holds a control byte but the TABs of v):
 *   h  the host that made the change (xwire_host_ok)
 *   k  ban | unban | mute | unmute | kick | topic | takeover
 *   t  the target: a ban's key (below); a room's name (topic); a
 *      person's name, lower case, for the others
 *   v  ban: the ban's line in the bans file's format (lib/bans.h),
 *      without its LF, whose target is t; mute: a mute's value
 *      (below); kick: "BY TAB REASON"; unban, unmute: BY; takeover:
 *      "HOST TAB IP", the host where t logs in again with its
 *      password (the same as h) and the new session's address (1 to
 *      XMOD_IP_MAX hex digits, dots and colons, or "?" when not
 *      known): the host that has t ends that session (xtakeover.c)
 * BY is a name (names.h; "natterctl" is one), REASON at most
 * BAN_REASON_MAX bytes.
 *
 * PREFIXbans, a hash: field a ban's key, value its line as in v.
 * A ban's key is its target as ban_target_text writes it, a name in
 * lower case ("bob", "192.0.2.0/24").
 * PREFIXmutes, a hash: field a name in lower case, value
 * "UNTIL TAB BY TAB DURATION": UNTIL the Unix time it ends (0: never,
 * at most 12 digits), DURATION as the operator typed it (ban_duration)
 * or empty.
 *
 * Room topics (xtopic.c): an entry of kind topic, t a room's name in
 * lower case, v "BY TAB TEXT" (TEXT at most MOD_TOPIC_MAX bytes, no
 * TAB; empty: the topic cleared).  PREFIXtopics, a hash: field a room's
 * name in lower case, value as v (never with an empty TEXT). */
#ifndef NATTER_BROKER_XMOD_WIRE_H
#define NATTER_BROKER_XMOD_WIRE_H

#include "bans.h"
#include "moderation.h"
#include "xhost_wire.h"

#define XMOD_KEY_MAX BAN_TARGET_TEXT_MAX   /* a ban's key, its NUL too */
#define XMOD_DUR_MAX 15                    /* bytes of a DURATION */
#define XMOD_VALUE_MAX BAN_LINE_MAX        /* bytes of any v */

enum xmod_kind { XM_BAN, XM_UNBAN, XM_MUTE, XM_UNMUTE, XM_KICK, XM_TOPIC,
		 XM_TAKEOVER };

#define XMOD_IP_MAX 45   /* bytes of a takeover's IP (INET6_ADDRSTRLEN - 1) */

struct xmod_entry {
	enum xmod_kind kind;
	struct xstr host, target, value;
};

struct xmute {
	char name[NAME_LEN_MAX + 1];
	long long until;
	char by[BAN_BY_MAX + 1];
	char dur[XMOD_DUR_MAX + 1];
};

struct xkick {
	char name[NAME_LEN_MAX + 1];
	char by[BAN_BY_MAX + 1];
	char reason[BAN_REASON_MAX + 1];
};

struct xtake {
	char name[NAME_LEN_MAX + 1];
	char host[XHOST_ID_MAX + 1];   /* where it logs in again */
	char ip[XMOD_IP_MAX + 1];      /* from where */
};

struct xtopic {
	char room[ROOM_LEN_MAX + 1];
	char by[BAN_BY_MAX + 1];
	char text[MOD_TOPIC_MAX + 1];  /* "": cleared */
};

/* An entry's fields: 0, or -1 with *why saying in a few words what was
 * wrong.  Only the shape: the value is checked by the calls below. */
int xmodwire_entry(const struct resp_value *fields, struct xmod_entry *e,
		   const char **why);
/* The kind's word. */
const char *xmodwire_kind(enum xmod_kind k);
/* A ban's key in buf (XMOD_KEY_MAX bytes); its length. */
size_t xmodwire_ban_key(const struct ban *b, char *buf);
/* A ban (key, line): 0 and *b, or -1 (a bad line, or a key that is
 * not the line's target's). */
int xmodwire_ban(const struct xstr *key, const struct xstr *line,
		 struct ban *b);
/* A mute (name, value): 0 and *m, or -1. */
int xmodwire_mute(const struct xstr *name, const struct xstr *value,
		  struct xmute *m);
/* A mute's value for m in buf (XMOD_VALUE_MAX bytes); its length. */
size_t xmodwire_mute_value(const struct xmute *m, char *buf);
/* A kick (name, value): 0 and *k, or -1. */
int xmodwire_kick(const struct xstr *name, const struct xstr *value,
		  struct xkick *k);
/* A takeover (name, value): 0 and *t, or -1. */
int xmodwire_take(const struct xstr *name, const struct xstr *value,
		  struct xtake *t);
/* 1 when s may be a takeover's IP. */
int xmodwire_ip_ok(const char *s);
/* A takeover's value for t in buf (XMOD_VALUE_MAX bytes); its length. */
size_t xmodwire_take_value(const struct xtake *t, char *buf);
/* A topic (room, value): 0 and *t, or -1. */
int xmodwire_topic(const struct xstr *room, const struct xstr *value,
		   struct xtopic *t);
/* A topic's value for t in buf (XMOD_VALUE_MAX bytes); its length. */
size_t xmodwire_topic_value(const struct xtopic *t, char *buf);
/* BY of an unban or unmute into by (BAN_BY_MAX + 1 bytes): 0, or -1. */
int xmodwire_by(const struct xstr *value, char *by);

#endif
