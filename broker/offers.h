/* offers.h — files offered between people (issue 16): pure state, no
 * frames, no I/O but /dev/urandom for tokens.  broker/files.c acts on
 * frames with it.
 *
 * An offer is OPEN from /send until the recipient accepts or declines,
 * the sender cancels, either leaves, or open_ms pass (OFFER_OPEN_MS, or
 * natter-broker -O); ACCEPTED
 * until both data sessions have claimed it with its token (then it is
 * gone from here: the bytes are the data sessions' business) or
 * XFER_START_S pass.  Kept in memory, and in the state directory
 * (offers_file.h, files.c) so that a broker restarted after a crash
 * takes them back: an offer so restored waits OFFERS_BACK_MS for its
 * two people to rejoin before it is checked. */
#ifndef NATTER_BROKER_OFFERS_H
#define NATTER_BROKER_OFFERS_H

#include "names.h"
#include "xferproto.h"

#include <stdint.h>

#define OFFERS_MAX 256          /* offers at once, in all */
#define OFFERS_PER_PERSON 8     /* open offers one person has made */
/* unanswered: expires (natter-broker -O sets struct offers' open_ms) */
#define OFFER_OPEN_MS (XFER_OPEN_S_DEFAULT * 1000LL)
/* A restored offer whose sender or recipient is not back this long
 * after the broker started ends (the other is told).  Sessions retry
 * the broker every 2 s at most (handler/bconn.h). */
#define OFFERS_BACK_MS 15000

enum offer_state { OFFER_FREE, OFFER_OPEN, OFFER_ACCEPTED };

struct offer {
	enum offer_state state;
	unsigned id;
	unsigned claimed;        /* XFER_PUT | XFER_GET seen */
	uint64_t size;
	long long expires;       /* io_now_ms */
	int restored;            /* from the file: waiting for its people */
	long long back_by;       /* io_now_ms: restored, checked then */
	char token[XFER_TOKEN_LEN + 1];  /* the sender's (PUT) */
	char gtoken[XFER_TOKEN_LEN + 1]; /* the recipient's (GET) */
	char from[NAME_LEN_MAX + 1], to[NAME_LEN_MAX + 1];
	char name[FNAME_MAX + 1];
};

struct offers {
	struct offer o[OFFERS_MAX];
	unsigned next_id;
	size_t live;             /* offers not FREE: none, nothing to scan */
	long long open_ms;       /* how long an offer stays OPEN */
};

enum offers_status {
	OFFERS_ADDED = 0,
	OFFERS_FULL = -1,        /* OFFERS_MAX reached */
	OFFERS_PERSON_FULL = -2, /* the sender has OFFERS_PER_PERSON */
	OFFERS_NO_TOKEN = -3,    /* no random bytes for a token */
};

/* Empty; OPEN offers last open_ms (OFFER_OPEN_MS by default). */
void offers_init(struct offers *os, long long open_ms);
/* A new OPEN offer (name clean, from and to NUL-terminated) in *out. */
enum offers_status offers_add(struct offers *os, const char *from,
			      const char *to, const char *name,
			      uint64_t size, long long now,
			      struct offer **out);
/* The offer numbered id, or NULL. */
struct offer *offers_by_id(struct offers *os, unsigned id);
/* The ACCEPTED offer whose token for role is this one, or NULL. */
struct offer *offers_by_token(struct offers *os, enum xfer_role role,
			      const char *token, size_t len);
/* The next offer from or to name after prev (NULL: the first), or
 * NULL: for listing and for a person who leaves. */
struct offer *offers_of(struct offers *os, const char *name,
			struct offer *prev);
/* An offer whose time ran out at now (a restored one: whose
 * back_by came), or NULL. */
struct offer *offers_expired(struct offers *os, long long now);
/* -1, or the earliest expiry. */
long long offers_due(const struct offers *os);
void offers_remove(struct offers *os, struct offer *o);

#endif
