/* fuzz_offers.c — libFuzzer harness for the offers file the broker
 * keeps in its state directory (broker/offers_file.c; a disk may hold
 * anything) and takes back after a restart.
 *
 *   make fuzz   or   build-fuzz/fuzz/fuzz_offers -max_total_time=60
 *
 * What must hold: at most OFFERS_MAX offers are taken, each with a
 * unique id from 1 to 999999999, valid names, a clean file name, two
 * tokens of 32 lower-case hex digits, a size within XFER_SIZE_LIMIT,
 * restored, ending no later than its state allows; written out again
 * and parsed, the same offers come back. */
#include "../../broker/offers_file.h"
#include "fname.h"
#include "names.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1000000LL
#define WALL 1700000000000LL
#define OPEN_MS 600000LL

static void check_offer(const struct offers *os, const struct offer *o)
{
	long long most = o->state == OFFER_OPEN ? OPEN_MS
		       : XFER_START_S * 1000LL;
	if (o->id == 0 || o->id > 999999999 || o->size > XFER_SIZE_LIMIT ||
	    !name_valid(o->from, strlen(o->from)) ||
	    !name_valid(o->to, strlen(o->to)) ||
	    !fname_is_clean(o->name, strlen(o->name)) ||
	    strlen(o->token) != XFER_TOKEN_LEN ||
	    !xfer_token_ok(o->token, XFER_TOKEN_LEN) ||
	    strlen(o->gtoken) != XFER_TOKEN_LEN ||
	    !xfer_token_ok(o->gtoken, XFER_TOKEN_LEN) || !o->restored ||
	    o->expires < NOW || o->expires > NOW + most ||
	    o->claimed == (XFER_PUT | XFER_GET) ||
	    (o->state == OFFER_OPEN && o->claimed))
		abort();
	for (const struct offer *p = os->o; p < o; p++)
		if (p->state != OFFER_FREE && p->id == o->id)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct offers os, again;
	static char out[OFFERS_FILE_MAX];
	offers_init(&os, OPEN_MS);
	(void)offers_parse(&os, (const char *)data, size, NOW, WALL);
	size_t live = 0;
	for (size_t i = 0; i < OFFERS_MAX; i++)
		if (os.o[i].state != OFFER_FREE) {
			check_offer(&os, &os.o[i]);
			live++;
		}
	if (live != os.live || os.next_id == 0 || os.next_id > 999999999)
		abort();
	long n = offers_format(&os, out, sizeof out, NOW, WALL);
	if (n < 0)
		abort(); /* OFFERS_FILE_MAX holds OFFERS_MAX offers */
	offers_init(&again, OPEN_MS);
	if (offers_parse(&again, out, (size_t)n, NOW, WALL) != 0 ||
	    again.live != os.live || again.next_id < os.next_id)
		abort();
	for (size_t i = 0; i < OFFERS_MAX; i++) {
		const struct offer *o = &os.o[i], *p;
		if (o->state == OFFER_FREE)
			continue;
		p = offers_by_id(&again, o->id);
		if (!p || p->state != o->state || p->claimed != o->claimed ||
		    p->size != o->size || p->expires != o->expires ||
		    strcmp(p->token, o->token) || strcmp(p->gtoken, o->gtoken)
		    || strcmp(p->from, o->from) || strcmp(p->to, o->to) ||
		    strcmp(p->name, o->name))
			abort();
	}
	return 0;
}
