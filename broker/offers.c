/* offers.c — the table of offered files (offers.h).  A few hundred
 * entries at most: linear scans are cheap and bounded. */
#include "offers.h"

#include "io.h"
#include "namecmp.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void offers_init(struct offers *os, long long open_ms)
{
	memset(os, 0, sizeof *os);
	os->next_id = 1;
	os->open_ms = open_ms > 0 ? open_ms : OFFER_OPEN_MS;
}

/* When o is to be looked at again. */
static long long due_at(const struct offer *o)
{
	return o->restored ? o->back_by : o->expires;
}

/* 16 random bytes in hex: whoever holds it may fetch or send the file,
 * so it must not be guessed.  0, or -1 (no /dev/urandom). */
static int token_make(char *out)
{
	unsigned char r[XFER_TOKEN_LEN / 2];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = io_read(fd, r, sizeof r);
	(void)close(fd);
	if (n != (ssize_t)sizeof r)
		return -1;
	for (size_t i = 0; i < sizeof r; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
	return 0;
}

static int is(const char *a, const char *b)
{
	return name_same(a, strlen(a), b, strlen(b));
}

enum offers_status offers_add(struct offers *os, const char *from,
			      const char *to, const char *name,
			      uint64_t size, long long now,
			      struct offer **out)
{
	struct offer *free_one = NULL;
	size_t mine = 0;
	for (size_t i = 0; i < OFFERS_MAX; i++) {
		struct offer *o = &os->o[i];
		if (o->state == OFFER_FREE && !free_one)
			free_one = o;
		else if (o->state != OFFER_FREE && is(o->from, from))
			mine++;
	}
	if (mine >= OFFERS_PER_PERSON)
		return OFFERS_PERSON_FULL;
	if (!free_one)
		return OFFERS_FULL;
	struct offer *o = free_one;
	memset(o, 0, sizeof *o);
	if (token_make(o->token) != 0 || token_make(o->gtoken) != 0)
		return OFFERS_NO_TOKEN;
	do { /* an id in use (after a wrap, or restored) is skipped */
		o->id = os->next_id++;
		if (os->next_id > 999999999)
			os->next_id = 1;
	} while (offers_by_id(os, o->id));
	o->state = OFFER_OPEN;
	os->live++;
	o->size = size;
	o->expires = now + os->open_ms;
	snprintf(o->from, sizeof o->from, "%s", from);
	snprintf(o->to, sizeof o->to, "%s", to);
	snprintf(o->name, sizeof o->name, "%s", name);
	*out = o;
	return OFFERS_ADDED;
}

struct offer *offers_by_id(struct offers *os, unsigned id)
{
	for (size_t i = 0; i < OFFERS_MAX; i++)
		if (os->o[i].state != OFFER_FREE && os->o[i].id == id)
			return &os->o[i];
	return NULL;
}

struct offer *offers_by_token(struct offers *os, enum xfer_role role,
			      const char *token, size_t len)
{
	if (len != XFER_TOKEN_LEN)
		return NULL;
	for (size_t i = 0; i < OFFERS_MAX; i++)
		if (os->o[i].state == OFFER_ACCEPTED &&
		    memcmp(role == XFER_PUT ? os->o[i].token :
			   os->o[i].gtoken, token, len) == 0)
			return &os->o[i];
	return NULL;
}

struct offer *offers_of(struct offers *os, const char *name,
			struct offer *prev)
{
	size_t i = prev ? (size_t)(prev - os->o) + 1 : 0;
	for (; i < OFFERS_MAX; i++) {
		struct offer *o = &os->o[i];
		if (o->state != OFFER_FREE &&
		    (is(o->from, name) || is(o->to, name)))
			return o;
	}
	return NULL;
}

struct offer *offers_expired(struct offers *os, long long now)
{
	for (size_t i = 0; os->live > 0 && i < OFFERS_MAX; i++)
		if (os->o[i].state != OFFER_FREE && due_at(&os->o[i]) <= now)
			return &os->o[i];
	return NULL;
}

long long offers_due(const struct offers *os)
{
	long long due = -1;
	for (size_t i = 0; os->live > 0 && i < OFFERS_MAX; i++)
		if (os->o[i].state != OFFER_FREE &&
		    (due < 0 || due_at(&os->o[i]) < due))
			due = due_at(&os->o[i]);
	return due;
}

void offers_remove(struct offers *os, struct offer *o)
{
	if (o->state != OFFER_FREE)
		os->live--;
	memset(o, 0, sizeof *o);
}
