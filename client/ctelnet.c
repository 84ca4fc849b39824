/* ctelnet.c — a telnet filter that answers and never loops. */
#include "ctelnet.h"

enum {
	ST_DATA,   /* plain text */
	ST_IAC,    /* after IAC */
	ST_OPT,    /* after IAC WILL/WONT/DO/DONT: the option byte next */
	ST_SB,     /* inside a subnegotiation */
	ST_SB_IAC, /* IAC inside a subnegotiation */
};

void ctelnet_init(struct ctelnet *t)
{
	t->state = ST_DATA;
	t->remote_echo = 0;
	t->bin_us = t->bin_him = 0;
}

/* BINARY, both ways: a request that changes the state is agreed to and
 * answered, one that does not is not (RFC 1143).  Returns the answer's
 * verb, or -1 for none. */
static int binary(struct ctelnet *t, int cmd)
{
	int *q = cmd == TN_WILL || cmd == TN_WONT ? &t->bin_him : &t->bin_us;
	int on = cmd == TN_WILL || cmd == TN_DO;
	if (*q == on)
		return -1;
	*q = on;
	return cmd == TN_WILL ? TN_DO : cmd == TN_WONT ? TN_DONT :
	       cmd == TN_DO ? TN_WILL : TN_WONT;
}

/* The command byte of a pending WILL/WONT/DO/DONT lives in the high
 * bits of state, so the filter needs no other memory. */
#define OPT_STATE(cmd) (ST_OPT | ((cmd) << 8))

static size_t answer(struct ctelnet *t, int cmd, unsigned char opt,
		     unsigned char *out)
{
	int reply = -1;
	if (opt == TN_OPT_BINARY) {
		reply = binary(t, cmd);
	} else if (opt == TN_OPT_ECHO && cmd == TN_WILL && !t->remote_echo) {
		t->remote_echo = 1;
		reply = TN_DO;
	} else if (opt == TN_OPT_ECHO && cmd == TN_WONT && t->remote_echo) {
		t->remote_echo = 0;
		reply = TN_DONT;
	} else if (cmd == TN_WILL && opt != TN_OPT_ECHO) {
		reply = TN_DONT; /* refuse: that option stays off */
	} else if (cmd == TN_DO) {
		reply = TN_WONT; /* the client does no options */
	}
	/* WONT/DONT for an option already off, or WILL ECHO when already
	 * on, need no answer: answering them is what makes loops. */
	if (reply < 0)
		return 0;
	out[0] = TN_IAC;
	out[1] = (unsigned char)reply;
	out[2] = opt;
	return 3;
}

void ctelnet_feed(struct ctelnet *t, const unsigned char *in, size_t len,
		  unsigned char *text, size_t *ntext,
		  unsigned char *reply, size_t *nreply)
{
	size_t nt = 0, nr = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = in[i];
		switch (t->state & 0xff) {
		case ST_DATA:
			if (c == TN_IAC)
				t->state = ST_IAC;
			else
				text[nt++] = c;
			break;
		case ST_IAC:
			if (c == TN_IAC) {
				text[nt++] = c;
				t->state = ST_DATA;
			} else if (c >= TN_WILL && c <= TN_DONT) {
				t->state = OPT_STATE(c);
			} else if (c == TN_SB) {
				t->state = ST_SB;
			} else {
				t->state = ST_DATA; /* NOP, GA, DM...: nothing */
			}
			break;
		case ST_OPT:
			nr += answer(t, t->state >> 8, c, reply + nr);
			t->state = ST_DATA;
			break;
		case ST_SB:
			if (c == TN_IAC)
				t->state = ST_SB_IAC;
			break;
		default: /* ST_SB_IAC */
			t->state = c == TN_SE ? ST_DATA : ST_SB;
			break;
		}
	}
	*ntext = nt;
	*nreply = nr;
}

size_t ctelnet_escape(const unsigned char *in, size_t len,
		      unsigned char *out)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		out[n++] = in[i];
		if (in[i] == TN_IAC)
			out[n++] = TN_IAC;
	}
	return n;
}
