/* xhost_wire.h — presence across hosts: the entries of its two kinds of
 * stream as read from Redis (outside input: anyone who can write to the
 * Redis may have written them), checked field by field.
 *
 * An event (PREFIXevents), fields as bulk strings, each once, any order:
 *   h  the host it concerns: 1..XHOST_ID_MAX of [A-Za-z0-9.-]
 *   k  join | here | move | leave | reset | dead | away
 *   n  a person's name (names.h); empty for reset and dead
 *   r  a room (names.h) or empty; o  the room moved from, or empty
 *   a  (optional) away: the person's away message, 0..AWAY_TEXT_MAX
 *      bytes, empty when back
 * A private line (PREFIXinbox:HOST):
 *   f  from (a name)   t  to (a name)
 *   i  "ORIGIN LINE_NO" (0..XWIRE_ID_MAX bytes)   x  the text
 *      (0..FRAME_TEXT_MAX bytes)
 * A person in a host's people hash (UP's snapshot), the value:
 *   "Name Room": a name, one space, a room or nothing.
 * A pair of a host's away hash (UP's snapshot): a name in lower case,
 *   then its away message, 1..AWAY_TEXT_MAX bytes.
 * No value holds a control byte (below 0x20, or 0x7f).  Other fields
 * are ignored, at most XWIRE_FIELDS_MAX pairs in all. */
#ifndef NATTER_BROKER_XHOST_WIRE_H
#define NATTER_BROKER_XHOST_WIRE_H

#include "resp/resp.h"

#include <stddef.h>

#define XHOST_ID_MAX 32
#define XWIRE_ID_MAX 64
#define XWIRE_FIELDS_MAX 16

enum xev_kind { XEV_JOIN, XEV_HERE, XEV_MOVE, XEV_LEAVE, XEV_RESET,
		XEV_DEAD, XEV_AWAY };

/* A string of an entry: points into the reply, not NUL-terminated. */
struct xstr {
	const char *s;
	size_t len;
};

struct xev {
	enum xev_kind kind;
	struct xstr host, name, room, old;
	struct xstr away;  /* the a field, or empty */
};

struct xmsg {
	struct xstr from, to, id, text;
};

/* The index of w among the n words, or -1. */
int xwire_word(const char *const *words, size_t n, const struct xstr *w);
/* 1 when len bytes at s hold no control byte (below 0x20, or 0x7f),
 * a TAB allowed when tab_ok; else 0. */
int xwire_clean(const char *s, size_t len, int tab_ok);
/* Each one-letter field of `want` (at most 31) found once in fields,
 * into out (by its index in want): 0, or -1 with *why when the array is
 * not pairs of strings, past XWIRE_FIELDS_MAX pairs, a wanted field
 * comes twice, is missing, is longer than max (0: no bound) or holds a
 * control byte (a TAB only in the fields named in tabs).  Other fields
 * are a later version's: skipped. */
int xwire_fields(const struct resp_value *fields, const char *want,
		 const char *tabs, size_t max, struct xstr *out,
		 const char **why);
/* 0, or -1 with *why saying in a few words what was wrong. */
int xwire_event(const struct resp_value *fields, struct xev *ev,
		const char **why);
int xwire_msg(const struct resp_value *fields, struct xmsg *m,
	      const char **why);
/* A person's value from a snapshot: 0, or -1. */
int xwire_person(const struct resp_value *v, struct xstr *name,
		 struct xstr *room);
/* An away hash's pair from a snapshot: 0, or -1. */
int xwire_away(const struct resp_value *k, const struct resp_value *v,
	       struct xstr *name, struct xstr *msg);
/* The kind's word in an event. */
const char *xwire_kind(enum xev_kind k);
/* 1 when s is a host ID (the h field's rule). */
int xwire_host_ok(const char *s, size_t len);

#endif
