/* offers_file.c — the offers table's file form (offers_file.h). */
#include "offers_file.h"

#include "fname.h"
#include "names.h"

#include <stdio.h>
#include <string.h>

#define HEADER "natter-offers 1"

_Static_assert(OFFERS_FILE_MAX <= 128 * 1024,
	       "the offers file fits what statefile_read reads");

long offers_format(const struct offers *os, char *out, size_t size,
		   long long now, long long wall)
{
	size_t n = 0;
	int w = snprintf(out, size, HEADER "\nnext %u\n", os->next_id);
	if (w < 0 || (size_t)w >= size)
		return -1;
	n = (size_t)w;
	for (size_t i = 0; os->live > 0 && i < OFFERS_MAX; i++) {
		const struct offer *o = &os->o[i];
		if (o->state == OFFER_FREE)
			continue;
		w = snprintf(out + n, size - n, "offer %u %s %u %llu %lld %s "
			     "%s %s %s %s\n", o->id, o->state == OFFER_OPEN ?
			     "open" : "accepted", o->claimed,
			     (unsigned long long)o->size,
			     wall + (o->expires - now), o->token, o->gtoken,
			     o->from, o->to, o->name);
		if (w < 0 || (size_t)w >= size - n)
			return -1;
		n += (size_t)w;
	}
	return (long)n;
}

/* The next space-ended field of the line [*p, end): 0 with it in
 * [*f, *f + *flen) and *p past the space, or -1. */
static int field(const char **p, const char *end, const char **f,
		 size_t *flen)
{
	const char *sp = memchr(*p, ' ', (size_t)(end - *p));
	if (!sp || sp == *p)
		return -1;
	*f = *p;
	*flen = (size_t)(sp - *p);
	*p = sp + 1;
	return 0;
}

static int word_is(const char *f, size_t len, const char *w)
{
	return len == strlen(w) && memcmp(f, w, len) == 0;
}

/* A decimal number of at most 19 digits, no sign: 0, or -1. */
static int number(const char *f, size_t len, uint64_t max, uint64_t *v)
{
	return len <= 19 && xfer_parse_u64(f, len, v) == 0 && *v <= max ?
	       0 : -1;
}

/* The fields after "offer " into o (zeroed): 0, or -1. */
static int offer_fields(struct offer *o, const char *p, const char *end,
			uint64_t *wall_expires)
{
	const char *f[9];
	size_t l[9];
	uint64_t id, claimed;
	for (size_t i = 0; i < 9; i++)
		if (field(&p, end, &f[i], &l[i]) != 0)
			return -1;
	size_t namelen = (size_t)(end - p);
	if (number(f[0], l[0], 999999999, &id) != 0 || id == 0 ||
	    number(f[2], l[2], XFER_PUT | XFER_GET, &claimed) != 0 ||
	    number(f[3], l[3], XFER_SIZE_LIMIT, &o->size) != 0 ||
	    number(f[4], l[4], (uint64_t)1 << 62, wall_expires) != 0 ||
	    l[5] != XFER_TOKEN_LEN || !xfer_token_ok(f[5], l[5]) ||
	    l[6] != XFER_TOKEN_LEN || !xfer_token_ok(f[6], l[6]) ||
	    !name_valid(f[7], l[7]) || !name_valid(f[8], l[8]) ||
	    namelen > FNAME_MAX || !fname_is_clean(p, namelen))
		return -1;
	if (word_is(f[1], l[1], "open") && claimed == 0)
		o->state = OFFER_OPEN;
	else if (word_is(f[1], l[1], "accepted") &&
		 claimed != (XFER_PUT | XFER_GET))
		o->state = OFFER_ACCEPTED;
	else
		return -1;
	o->id = (unsigned)id;
	o->claimed = (unsigned)claimed;
	memcpy(o->token, f[5], XFER_TOKEN_LEN);
	memcpy(o->gtoken, f[6], XFER_TOKEN_LEN);
	memcpy(o->from, f[7], l[7]);
	memcpy(o->to, f[8], l[8]);
	memcpy(o->name, p, namelen);
	return 0;
}

/* One "offer" line's fields (after "offer "): 0 when added, or -1. */
static int restore_one(struct offers *os, const char *p, const char *end,
		       long long now, long long wall)
{
	struct offer o, *slot = NULL;
	uint64_t wexp;
	memset(&o, 0, sizeof o);
	if (offer_fields(&o, p, end, &wexp) != 0 || offers_by_id(os, o.id))
		return -1;
	for (size_t i = 0; !slot && i < OFFERS_MAX; i++)
		if (os->o[i].state == OFFER_FREE)
			slot = &os->o[i];
	if (!slot)
		return -1;
	long long left = (long long)wexp - wall;
	long long most = o.state == OFFER_OPEN ? os->open_ms :
			 XFER_START_S * 1000LL;
	o.expires = now + (left < 0 ? 0 : left > most ? most : left);
	o.restored = 1;
	o.back_by = now + OFFERS_BACK_MS;
	*slot = o;
	os->live++;
	if (o.id >= os->next_id && o.id < 999999999)
		os->next_id = o.id + 1;
	return 0;
}

size_t offers_parse(struct offers *os, const char *buf, size_t len,
		    long long now, long long wall)
{
	const char *p = buf, *end = buf + len;
	size_t bad = 0, lineno = 0;
	uint64_t next;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t ll = (size_t)(le - p);
		lineno++;
		if (lineno == 1 && word_is(p, ll, HEADER))
			; /* the form's name and version */
		else if (ll > 5 && memcmp(p, "next ", 5) == 0 &&
			 number(p + 5, ll - 5, 999999999, &next) == 0 &&
			 next > 0) {
			if (next > os->next_id)
				os->next_id = (unsigned)next;
		} else if (ll > 6 && memcmp(p, "offer ", 6) == 0 &&
			   ll <= OFFERS_LINE_MAX &&
			   restore_one(os, p + 6, le, now, wall) == 0) {
			; /* added */
		} else if (ll > 0) {
			bad++;
		}
		p = nl ? nl + 1 : end;
	}
	return bad;
}
