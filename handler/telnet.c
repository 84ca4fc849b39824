/* telnet.c — strip IAC sequences and refuse options (RFC 854, 855, 1143
 * in spirit: never answer a refusal, answer each request at most once). */
#include "telnet.h"

#include <string.h>

enum { TN_DATA, TN_IAC, TN_OPT, TN_SB, TN_SB_IAC };

void telnet_init(struct telnet *t)
{
	memset(t, 0, sizeof *t);
	t->state = TN_DATA;
}

/* Sets the option's bit; returns 1 if it was clear (first refusal). */
static int first_time(unsigned char *bits, unsigned char opt)
{
	unsigned char mask = (unsigned char)(1u << (opt & 7));
	if (bits[opt >> 3] & mask)
		return 0;
	bits[opt >> 3] |= mask;
	return 1;
}

static size_t put3(unsigned char *out, unsigned char verb, unsigned char opt)
{
	out[0] = TELNET_IAC;
	out[1] = verb;
	out[2] = opt;
	return 3;
}

/* DONT for an option.  Echo is the only one we ever turn on: a DONT
 * while it is on (the peer agreed with DO) turns it off and is
 * acknowledged with WONT, as RFC 854 asks.  A DONT that answers our
 * offer is a refusal, and one for an option already off changes
 * nothing: neither is answered, so a peer that answers our WONT with
 * DONT again gets silence, never a loop. */
static size_t dont(struct telnet *t, unsigned char opt, unsigned char *reply)
{
	if (opt != TELNET_OPT_ECHO || !t->echo_on)
		return 0;
	int agreed = !t->echo_offered;
	t->echo_offered = 0;
	t->echo_on = 0;
	return agreed ? put3(reply, TELNET_WONT, opt) : 0;
}

/* The peer's WILL/WONT/DO/DONT for one option. */
static size_t negotiate(struct telnet *t, unsigned char opt,
			unsigned char *reply)
{
	switch (t->verb) {
	case TELNET_WILL:
		/* We want no option on the peer's side. */
		if (first_time(t->refused_will, opt))
			return put3(reply, TELNET_DONT, opt);
		return 0;
	case TELNET_DO:
		if (opt == TELNET_OPT_ECHO && (t->echo_offered || t->echo_on)) {
			t->echo_offered = 0; /* the expected answer */
			return 0;
		}
		if (first_time(t->refused_do, opt))
			return put3(reply, TELNET_WONT, opt);
		return 0;
	case TELNET_DONT:
		return dont(t, opt, reply);
	default: /* WONT: the peer's side is off, which is what we want */
		return 0;
	}
}

int telnet_feed(struct telnet *t, unsigned char c, unsigned char *reply,
		size_t *replylen)
{
	*replylen = 0;
	switch (t->state) {
	case TN_DATA:
		if (c == TELNET_IAC) {
			t->state = TN_IAC;
			return -1;
		}
		return c;
	case TN_IAC:
		t->state = TN_DATA;
		if (c == TELNET_IAC)
			return c; /* IAC IAC is a data byte 255 */
		if (c >= TELNET_WILL && c <= TELNET_DONT) {
			t->verb = c;
			t->state = TN_OPT;
		} else if (c == TELNET_SB) {
			t->state = TN_SB;
		}
		return -1; /* NOP, GA, AYT, ... are dropped */
	case TN_OPT:
		t->state = TN_DATA;
		*replylen = negotiate(t, c, reply);
		return -1;
	case TN_SB:
		if (c == TELNET_IAC)
			t->state = TN_SB_IAC;
		return -1;
	default: /* TN_SB_IAC */
		t->state = c == TELNET_SE ? TN_DATA : TN_SB;
		return -1;
	}
}

size_t telnet_will_echo(struct telnet *t, unsigned char *out)
{
	t->echo_offered = 1;
	t->echo_on = 1;
	return put3(out, TELNET_WILL, TELNET_OPT_ECHO);
}

size_t telnet_wont_echo(struct telnet *t, unsigned char *out)
{
	if (!t->echo_on)
		return 0; /* the peer's DONT turned it off already */
	t->echo_on = 0;
	t->echo_offered = 0;
	return put3(out, TELNET_WONT, TELNET_OPT_ECHO);
}
