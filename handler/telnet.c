/* telnet.c — strip IAC sequences, take BINARY both ways, refuse the
 * rest (RFC 854, 855, 856, 860; RFC 1143's rule: never answer a
 * request that leaves an option as it is, or that answers ours). */
#include "telnet.h"
#include "line.h"

#include <string.h>

enum { TN_DATA, TN_IAC, TN_OPT, TN_SB, TN_SB_IAC };
enum { TQ_NO, TQ_ASKED, TQ_YES }; /* one side of an option we support */

void telnet_init(struct telnet *t)
{
	memset(t, 0, sizeof *t);
	t->state = TN_DATA;
	t->us_bin = t->him_bin = TQ_NO;
}

static size_t put3(unsigned char *out, unsigned char verb, unsigned char opt)
{
	out[0] = TELNET_IAC;
	out[1] = verb;
	out[2] = opt;
	return 3;
}

size_t telnet_start(struct telnet *t, unsigned char *out)
{
	t->us_bin = TQ_ASKED;
	t->him_bin = TQ_ASKED;
	put3(out, TELNET_WILL, TELNET_OPT_BINARY);
	return 3 + put3(out + 3, TELNET_DO, TELNET_OPT_BINARY);
}

int telnet_binary_in(const struct telnet *t)
{
	return t->him_bin == TQ_YES;
}

int telnet_binary_out(const struct telnet *t)
{
	return t->us_bin == TQ_YES;
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

/* One side of BINARY, which we always want on.  The peer asks for it
 * (on = 1: WILL or DO) or refuses / withdraws it (WONT or DONT).  An
 * offer while off is agreed to (yes), one that answers our request
 * needs no answer; a refusal of our request needs none either, a
 * withdrawal of what was on is acknowledged; anything that leaves the
 * state as it is gets silence. */
static size_t binary(unsigned char *q, int on, unsigned char yes,
		     unsigned char no, unsigned char *reply)
{
	unsigned char was = *q;
	*q = on ? TQ_YES : TQ_NO;
	if (on && was == TQ_NO)
		return put3(reply, yes, TELNET_OPT_BINARY);
	if (!on && was == TQ_YES)
		return put3(reply, no, TELNET_OPT_BINARY);
	return 0;
}

/* DONT for an option.  Echo is the only one besides BINARY we ever turn
 * on: a DONT while it is on (the peer agreed with DO) turns it off and
 * is acknowledged with WONT, as RFC 854 asks.  A DONT that answers our
 * offer is a refusal, and one for an option already off changes
 * nothing: neither is answered, so a peer that answers our WONT with
 * DONT again gets silence, never a loop. */
static size_t dont(struct telnet *t, unsigned char opt, unsigned char *reply)
{
	if (opt == TELNET_OPT_BINARY)
		return binary(&t->us_bin, 0, TELNET_WILL, TELNET_WONT, reply);
	if (opt != TELNET_OPT_ECHO || !t->echo_on)
		return 0;
	int agreed = !t->echo_offered;
	t->echo_offered = 0;
	t->echo_on = 0;
	return agreed ? put3(reply, TELNET_WONT, opt) : 0;
}

/* DO for an option: BINARY taken, ECHO expected while offered,
 * TIMING-MARK answered each time (it marks a place in the stream, it is
 * no state), anything else refused once. */
static size_t do_opt(struct telnet *t, unsigned char opt,
		     unsigned char *reply)
{
	if (opt == TELNET_OPT_BINARY)
		return binary(&t->us_bin, 1, TELNET_WILL, TELNET_WONT, reply);
	if (opt == TELNET_OPT_TM)
		return put3(reply, TELNET_WILL, opt);
	if (opt == TELNET_OPT_ECHO && (t->echo_offered || t->echo_on)) {
		t->echo_offered = 0; /* the expected answer */
		return 0;
	}
	if (first_time(t->refused_do, opt))
		return put3(reply, TELNET_WONT, opt);
	return 0;
}

/* The peer's WILL/WONT/DO/DONT for one option. */
static size_t negotiate(struct telnet *t, unsigned char opt,
			unsigned char *reply)
{
	switch (t->verb) {
	case TELNET_WILL:
		if (opt == TELNET_OPT_BINARY)
			return binary(&t->him_bin, 1, TELNET_DO, TELNET_DONT,
				      reply);
		/* We want no other option on the peer's side. */
		if (first_time(t->refused_will, opt))
			return put3(reply, TELNET_DONT, opt);
		return 0;
	case TELNET_DO:
		return do_opt(t, opt, reply);
	case TELNET_DONT:
		return dont(t, opt, reply);
	default: /* WONT: the peer's side is off, which is what we want,
		  * except for BINARY, which is acknowledged if it was on */
		if (opt == TELNET_OPT_BINARY)
			return binary(&t->him_bin, 0, TELNET_DO, TELNET_DONT,
				      reply);
		return 0;
	}
}

/* The byte after IAC. */
static int command(struct telnet *t, unsigned char c)
{
	t->state = TN_DATA;
	switch (c) {
	case TELNET_IAC:
		return c; /* IAC IAC is a data byte 255 */
	case TELNET_EC:
		return LINE_KEY_ERASE;
	case TELNET_EL:
		return LINE_KEY_KILL;
	case TELNET_IP:
		return LINE_KEY_INTERRUPT;
	case TELNET_SB:
		t->state = TN_SB;
		return TELNET_NONE;
	default:
		if (c >= TELNET_WILL && c <= TELNET_DONT) {
			t->verb = c;
			t->state = TN_OPT;
		}
		return TELNET_NONE; /* NOP, GA, AYT, AO, BRK, DM: dropped */
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
			return TELNET_NONE;
		}
		return c;
	case TN_IAC:
		return command(t, c);
	case TN_OPT:
		t->state = TN_DATA;
		*replylen = negotiate(t, c, reply);
		return TELNET_NONE;
	case TN_SB:
		if (c == TELNET_IAC)
			t->state = TN_SB_IAC;
		return TELNET_NONE;
	default: /* TN_SB_IAC */
		t->state = c == TELNET_SE ? TN_DATA : TN_SB;
		return TELNET_NONE;
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
