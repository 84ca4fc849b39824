/* telnet.h — a pure state machine that strips telnet commands from the
 * person's input and answers option negotiation.
 *
 * Each input byte is fed in turn; data bytes come out, commands never
 * do.  Negotiation is refused (WILL -> DONT, DO -> WONT) except DO ECHO
 * while we offer WILL ECHO (for the password prompt), and each refusal
 * is sent at most once per option and direction.  DONT ECHO while our
 * echo is on (offered and agreed) is acknowledged with WONT ECHO; it
 * turns the echo off, so it is answered once until we offer it again.
 * WONT, and DONT for what is already off, are never answered: two
 * programs can never loop on negotiations.  Subnegotiation (SB ... IAC SE) is
 * skipped without being stored, however long it is. */
#ifndef NATTER_TELNET_H
#define NATTER_TELNET_H

#include <stddef.h>

#define TELNET_IAC 255
#define TELNET_DONT 254
#define TELNET_DO 253
#define TELNET_WONT 252
#define TELNET_WILL 251
#define TELNET_SB 250
#define TELNET_SE 240
#define TELNET_OPT_ECHO 1

/* The most reply bytes one telnet_feed call may produce. */
#define TELNET_REPLY_MAX 3

struct telnet {
	int state;           /* where in a command we are */
	unsigned char verb;  /* WILL/WONT/DO/DONT awaiting its option */
	int echo_offered;    /* we sent WILL ECHO and no answer came yet */
	int echo_on;         /* we are the echoing side now */
	unsigned char refused_will[32], refused_do[32]; /* bit per option */
};

void telnet_init(struct telnet *t);
/* Feeds one byte.  Returns the data byte (0-255), or -1 when the byte
 * was part of a command.  Reply bytes for the peer, if any, are written
 * to reply (TELNET_REPLY_MAX bytes) and their count to *replylen. */
int telnet_feed(struct telnet *t, unsigned char c, unsigned char *reply,
		size_t *replylen);
/* The bytes that offer / withdraw our echo (IAC WILL|WONT ECHO), with
 * the state updated.  telnet_will_echo writes 3 bytes to out and
 * returns 3; telnet_wont_echo does the same, or writes nothing and
 * returns 0 when the echo is already off (the peer's DONT turned it
 * off, and RFC 854 forbids announcing a state we are already in). */
size_t telnet_will_echo(struct telnet *t, unsigned char *out);
size_t telnet_wont_echo(struct telnet *t, unsigned char *out);

#endif
