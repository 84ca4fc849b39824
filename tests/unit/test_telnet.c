/* test_telnet.c — IAC stripping and the answers to negotiation. */
#include "../../handler/line.h"
#include "../../handler/telnet.h"
#include "unit.h"

#include <string.h>

struct result {
	unsigned char data[256], reply[256];
	int keys[16]; /* LINE_KEY_* in the order they came */
	size_t ndata, nreply, nkeys;
};

static void run(struct telnet *t, const unsigned char *s, size_t n,
		struct result *r)
{
	memset(r, 0, sizeof *r);
	for (size_t i = 0; i < n; i++) {
		unsigned char rep[TELNET_REPLY_MAX];
		size_t rl;
		int c = telnet_feed(t, s[i], rep, &rl);
		if (c > 255)
			r->keys[r->nkeys++] = c;
		else if (c >= 0)
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

/* RFC 856: we offer and ask BINARY; the expected answers are taken
 * silently, and a request that changes nothing is never answered. */
static void binary_both_ways(void)
{
	struct telnet t;
	struct result r;
	unsigned char out[TELNET_START_LEN];
	const unsigned char offer[] = { 255, 251, 0, 255, 253, 0 };
	const unsigned char agree[] = { 255, 253, 0, 255, 251, 0 };
	telnet_init(&t);
	CHECK(telnet_start(&t, out) == 6 && !memcmp(out, offer, 6));
	CHECK(!telnet_binary_in(&t) && !telnet_binary_out(&t));
	run(&t, agree, sizeof agree, &r);
	CHECK(r.nreply == 0 && r.ndata == 0);
	CHECK(telnet_binary_in(&t) && telnet_binary_out(&t));
	/* repeated DO/WILL: already on, no answer, ever (no loop) */
	for (int i = 0; i < 5; i++) {
		run(&t, agree, sizeof agree, &r);
		CHECK(r.nreply == 0);
	}
	/* withdrawn: acknowledged once; again: silence */
	const unsigned char off[] = { 255, 254, 0, 255, 252, 0 };
	const unsigned char ack[] = { 255, 252, 0, 255, 254, 0 };
	run(&t, off, sizeof off, &r);
	CHECK(r.nreply == 6 && !memcmp(r.reply, ack, 6));
	CHECK(!telnet_binary_in(&t) && !telnet_binary_out(&t));
	run(&t, off, sizeof off, &r);
	CHECK(r.nreply == 0);

	/* the client offers first (we never sent ours): accepted */
	telnet_init(&t);
	const unsigned char offers[] = { 255, 251, 0, 255, 253, 0 };
	run(&t, offers, sizeof offers, &r);
	const unsigned char yes[] = { 255, 253, 0, 255, 251, 0 };
	CHECK(r.nreply == 6 && !memcmp(r.reply, yes, 6));
	run(&t, offers, sizeof offers, &r);
	CHECK(r.nreply == 0);

	/* our offer refused: no answer, and it stays off */
	telnet_init(&t);
	telnet_start(&t, out);
	run(&t, off, sizeof off, &r);
	CHECK(r.nreply == 0 && !telnet_binary_in(&t) && !telnet_binary_out(&t));

	/* in binary mode every byte but IAC is data, 8 bits */
	telnet_init(&t);
	telnet_start(&t, out);
	run(&t, agree, sizeof agree, &r);
	const unsigned char hangul[] = { 0xec, 0x9d, 0x84, 0x1d, 0x80, 0xfe,
		255, 255, 0x0d, 0x00 };
	run(&t, hangul, sizeof hangul, &r);
	const unsigned char want[] = { 0xec, 0x9d, 0x84, 0x1d, 0x80, 0xfe,
		255, 0x0d, 0x00 };
	CHECK(r.ndata == sizeof want && !memcmp(r.data, want, sizeof want));
}

/* A command split across reads: the state carries over, whatever byte
 * a read ends on. */
static void split_commands(void)
{
	const unsigned char in[] = { 'a', 255, 255, 'b', 255, 251, 24, 'c',
		255, 250, 24, 0, 'x', 255, 240, 'd', 255, 247, 255, 253, 6 };
	for (size_t cut = 0; cut <= sizeof in; cut++) {
		struct telnet t;
		struct result r1, r2;
		telnet_init(&t);
		run(&t, in, cut, &r1);
		run(&t, in + cut, sizeof in - cut, &r2);
		unsigned char data[16];
		memcpy(data, r1.data, r1.ndata);
		memcpy(data + r1.ndata, r2.data, r2.ndata);
		CHECK(r1.ndata + r2.ndata == 5 &&
		      !memcmp(data, "a\377bcd", 5));
		CHECK(r1.nreply + r2.nreply == 6);
		CHECK(r1.nkeys + r2.nkeys == 1);
	}
}

/* EC, EL and IP come out as the line discipline's keys; DO TIMING-MARK
 * is answered WILL each time (telnet shows nothing until it is). */
static void editing_and_timing_mark(void)
{
	struct telnet t;
	struct result r;
	telnet_init(&t);
	const unsigned char in[] = { 'a', 255, 247, 255, 248, 255, 244, 'b',
		255, 246, 255, 245, 255, 243, 255, 242, 255, 241 };
	run(&t, in, sizeof in, &r);
	CHECK(r.ndata == 2 && r.data[0] == 'a' && r.data[1] == 'b');
	CHECK(r.nkeys == 3 && r.keys[0] == LINE_KEY_ERASE &&
	      r.keys[1] == LINE_KEY_KILL && r.keys[2] == LINE_KEY_INTERRUPT);
	CHECK(r.nreply == 0);
	const unsigned char tm[] = { 255, 244, 255, 253, 6 };
	const unsigned char will_tm[] = { 255, 251, 6 };
	for (int i = 0; i < 3; i++) {
		run(&t, tm, sizeof tm, &r);
		CHECK(r.nreply == 3 && !memcmp(r.reply, will_tm, 3));
		CHECK(r.nkeys == 1 && r.keys[0] == LINE_KEY_INTERRUPT);
	}
	/* the peer's WILL TIMING-MARK is refused once, DONT never answered */
	const unsigned char peer_tm[] = { 255, 251, 6, 255, 254, 6, 255, 251, 6 };
	run(&t, peer_tm, sizeof peer_tm, &r);
	CHECK(r.nreply == 3 && r.reply[1] == 254 && r.reply[2] == 6);
	/* IP inside a subnegotiation is part of it, not an interrupt */
	const unsigned char sb[] = { 255, 250, 24, 255, 244, 'x', 255, 240 };
	run(&t, sb, sizeof sb, &r);
	CHECK(r.nkeys == 0 && r.ndata == 0);
}

/* A subnegotiation that never ends costs nothing (struct telnet is all
 * the memory there is: nothing of it is stored), whatever comes in it;
 * IAC SE ends it and the data after it flows. */
static void endless_subnegotiation(void)
{
	struct telnet t;
	struct result r;
	static unsigned char junk[200];
	telnet_init(&t);
	const unsigned char sb[] = { 255, 250, 24 };
	run(&t, sb, sizeof sb, &r);
	size_t out = 0; /* anything at all that came out of it */
	for (int i = 0; i < 5000; i++) { /* a megabyte, no IAC SE in it */
		for (size_t j = 0; j < sizeof junk; j++)
			junk[j] = (unsigned char)((i * 7 + j * 13) % 255);
		run(&t, junk, sizeof junk, &r);
		out += r.ndata + r.nreply + r.nkeys;
	}
	CHECK(out == 0);
	const unsigned char end[] = { 255, 240, 'o', 'k' };
	run(&t, end, sizeof end, &r);
	CHECK(r.ndata == 2 && !memcmp(r.data, "ok", 2));
}

int main(void)
{
	binary_both_ways();
	split_commands();
	editing_and_timing_mark();
	endless_subnegotiation();
	stripping();
	negotiation();
	echo();
	dont_echo();
	return UNIT_DONE();
}
