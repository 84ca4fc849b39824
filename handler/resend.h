/* resend.h — the lines a session sent and the broker has not yet
 * acknowledged (SAY and ME: ACK; PRIV: its reply), kept to be sent
 * again, with their numbers, after a broker restart.  At most
 * RESEND_MAX: at the bound the session takes no more of its person's
 * lines until acknowledgements come. */
#ifndef NATTER_RESEND_H
#define NATTER_RESEND_H

#include <stddef.h>
#include <stdint.h>

#include "names.h"

#define RESEND_MAX 64

struct sent {
	uint64_t no;                /* the session's line number */
	uint8_t type;               /* FRAME_SAY, FRAME_ME, FRAME_PRIV */
	uint8_t flags;              /* PRIV: FRAME_TO_ACCOUNT */
	int acked;
	char to[NAME_LEN_MAX + 1];  /* PRIV */
	char *text;                 /* malloc'd */
	size_t len;
};

struct resend {
	struct sent q[RESEND_MAX];  /* a ring, oldest first */
	size_t head, n;
	uint64_t last_no;           /* the last number given */
};

/* Keeps a copy of a line; returns its number, or 0 when full or out of
 * memory (nothing kept). */
uint64_t resend_add(struct resend *r, uint8_t type, uint8_t flags,
		    const char *to,
		    const char *text, size_t len);
/* The line numbered no is acknowledged; freed once all before it are. */
void resend_ack(struct resend *r, uint64_t no);
int resend_full(const struct resend *r);
/* The i-th line still kept (i < r->n), oldest first; NULL when acked. */
const struct sent *resend_at(const struct resend *r, size_t i);

#endif
