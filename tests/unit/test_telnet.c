/* test_telnet.c — IAC stripping and the answers to negotiation. */
#include "../../handler/telnet.h"
#include "unit.h"

#include <string.h>

struct result {
	unsigned char data[256], reply[256];
	size_t ndata, nreply;
};

static void run(struct telnet *t, const unsigned char *s, size_t n,
		struct result *r)
{
	memset(r, 0, sizeof *r);
	for (size_t i = 0; i < n; i++) {
		unsigned char rep[TELNET_REPLY_MAX];
		size_t rl;
		int c = telnet_feed(t, s[i], rep, &rl);
		if (c >= 0)
			r->data[r->ndata++] = (unsigned char)c;
		memcpy(r->reply + r->nreply, rep, rl);
		r->nreply += rl;
	}
}

static void stripping(void)
{
	struct telnet t;
	struct result r;
	telnet_init(&t);
	const unsigned char in[] = { 'a', 255, 241, 'b', 255, 255, 'c',
		255, 250, 24, 0, 'x', 't', 'e', 'r', 'm', 255, 240, 'd' };
	run(&t, in, sizeof in, &r);
	CHECK(r.ndata == 5 && !memcmp(r.data, "ab\377cd", 5));
	CHECK(r.nreply == 0);
	/* a long subnegotiation is skipped, however long */
	telnet_init(&t);
	unsigned char sb[600];
	memset(sb, 'z', sizeof sb);
	sb[0] = 255;
	sb[1] = 250;
	sb[597] = 255;
	sb[598] = 240;
	sb[599] = 'k';
	run(&t, sb, sizeof sb, &r);
	CHECK(r.ndata == 1 && r.data[0] == 'k');
	/* IAC IAC inside SB does not end it */
	telnet_init(&t);
	const unsigned char sb2[] = { 255, 250, 1, 255, 255, 'q', 255, 240, 'm' };
	run(&t, sb2, sizeof sb2, &r);
	CHECK(r.ndata == 1 && r.data[0] == 'm');
}

static void negotiation(void)
{
	struct telnet t;
	struct result r;
	telnet_init(&t);
	const unsigned char will[] = { 255, 251, 31, 255, 253, 3 };
	run(&t, will, sizeof will, &r);
	const unsigned char want[] = { 255, 254, 31, 255, 252, 3 };
	CHECK(r.nreply == 6 && !memcmp(r.reply, want, 6));
	/* asked again: no second answer, so no loop */
	run(&t, will, sizeof will, &r);
	CHECK(r.nreply == 0);
	/* refusals are never answered */
	const unsigned char no[] = { 255, 252, 5, 255, 254, 6 };
	run(&t, no, sizeof no, &r);
	CHECK(r.nreply == 0 && r.ndata == 0);
}

static void echo(void)
{
	struct telnet t;
	struct result r;
	unsigned char out[3];
	telnet_init(&t);
	CHECK(telnet_will_echo(&t, out) == 3 && out[0] == 255 &&
	      out[1] == 251 && out[2] == 1);
	const unsigned char doecho[] = { 255, 253, 1 };
	run(&t, doecho, sizeof doecho, &r);
	CHECK(r.nreply == 0); /* expected answer, accepted silently */
	CHECK(telnet_wont_echo(&t, out) == 3 && out[1] == 252);
	const unsigned char dontecho[] = { 255, 254, 1 };
	run(&t, dontecho, sizeof dontecho, &r);
	CHECK(r.nreply == 0);
	/* DO ECHO unasked is refused */
	run(&t, doecho, sizeof doecho, &r);
	CHECK(r.nreply == 3 && r.reply[1] == 252 && r.reply[2] == 1);
}

/* RFC 854: a DONT for an option we have on is acknowledged with WONT,
 * once; a DONT that refuses our offer, or for what is off, is not. */
static void dont_echo(void)
{
	struct telnet t;
	struct result r;
	unsigned char out[3];
	const unsigned char doecho[] = { 255, 253, 1 };
	const unsigned char dontecho[] = { 255, 254, 1 };
	const unsigned char wontecho[] = { 255, 252, 1 };

	telnet_init(&t);
	telnet_will_echo(&t, out);
	run(&t, doecho, sizeof doecho, &r);           /* agreed: echo is on */
	run(&t, dontecho, sizeof dontecho, &r);
	CHECK(r.nreply == 3 && !memcmp(r.reply, wontecho, 3));
	/* asked again, or by a peer that answers our WONT with DONT:
	 * already off, so silence, never a loop */
	for (int i = 0; i < 3; i++) {
		run(&t, dontecho, sizeof dontecho, &r);
		CHECK(r.nreply == 0);
	}
	/* nothing left to withdraw after the password */
	CHECK(telnet_wont_echo(&t, out) == 0);
	/* offered again later: the same exchange works once more */
	CHECK(telnet_will_echo(&t, out) == 3);
	run(&t, doecho, sizeof doecho, &r);
	CHECK(r.nreply == 0);
	run(&t, dontecho, sizeof dontecho, &r);
	CHECK(r.nreply == 3 && !memcmp(r.reply, wontecho, 3));

	/* DONT as the answer to our offer is a refusal: not answered */
	telnet_init(&t);
	telnet_will_echo(&t, out);
	run(&t, dontecho, sizeof dontecho, &r);
	CHECK(r.nreply == 0);
	CHECK(telnet_wont_echo(&t, out) == 0);

	/* an offer never answered is still withdrawn after the password */
	telnet_init(&t);
	telnet_will_echo(&t, out);
	CHECK(telnet_wont_echo(&t, out) == 3 && !memcmp(out, wontecho, 3));

	/* DONT for options never on (echo included) gets no answer */
	telnet_init(&t);
	const unsigned char donts[] = { 255, 254, 1, 255, 254, 3, 255, 254, 24 };
	run(&t, donts, sizeof donts, &r);
	CHECK(r.nreply == 0 && r.ndata == 0);
}

int main(void)
{
	stripping();
	negotiation();
	echo();
	dont_echo();
	return UNIT_DONE();
}
