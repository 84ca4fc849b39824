/* telnet.h — a pure state machine that strips telnet commands from the
 * person's input and answers option negotiation (RFC 854, 855, 856,
 * 857, 858's commands, 860, and RFC 1143's rule against loops).
 *
 * Each input byte is fed in turn; data bytes come out, commands never
 * do, except the editing commands, which come out as the line
 * discipline's keys (line.h): EC as LINE_KEY_ERASE, EL as
 * LINE_KEY_KILL, IP as LINE_KEY_INTERRUPT.
 *
 * Options.  BINARY (RFC 856) is wanted both ways: telnet_start offers
 * WILL BINARY and asks DO BINARY, and either is accepted when the peer
 * offers it first, so UTF-8 passes byte for byte (without it, telnet
 * clients strip the eighth bit or take a byte of a Korean character for
 * their escape character).  Each side of BINARY is one of three states
 * (off, asked, on); a request that would put it in the state it is
 * already in, or that answers our own request, is never answered, so
 * two programs cannot loop.  ECHO (RFC 857) is ours only around the
 * password: DO ECHO is accepted while we offer WILL ECHO; DONT ECHO
 * while our echo is on is acknowledged with WONT ECHO, once.
 * TIMING-MARK (RFC 860) is answered WILL TIMING-MARK every time it is
 * asked for: telnet clients send IAC IP IAC DO TIMING-MARK on ^C and
 * discard all output until the answer comes.  Every other option is
 * refused (WILL -> DONT, DO -> WONT), at most once per option and
 * direction; WONT and DONT for what is off are never answered.
 *
 * Subnegotiation (SB ... IAC SE) is skipped without being stored,
 * however long it is: it costs no memory, and ends only at IAC SE.
 * Any state carries over between calls, so a command split across
 * reads (IAC at the end of one, its verb in the next) is whole. */
#ifndef NATTER_TELNET_H
#define NATTER_TELNET_H

#include <stddef.h>

#define TELNET_IAC 255
#define TELNET_DONT 254
#define TELNET_DO 253
#define TELNET_WONT 252
#define TELNET_WILL 251
#define TELNET_SB 250
#define TELNET_EL 248
#define TELNET_EC 247
#define TELNET_IP 244
#define TELNET_SE 240
#define TELNET_OPT_BINARY 0
#define TELNET_OPT_ECHO 1
#define TELNET_OPT_TM 6

/* telnet_feed's answer for a byte that was part of a command. */
#define TELNET_NONE (-1)
/* The most reply bytes one telnet_feed call may produce. */
#define TELNET_REPLY_MAX 3
/* The bytes telnet_start writes. */
#define TELNET_START_LEN 6

struct telnet {
	int state;           /* where in a command we are */
	unsigned char verb;  /* WILL/WONT/DO/DONT awaiting its option */
	unsigned char us_bin, him_bin; /* BINARY each way: TQ_NO/ASKED/YES */
	int echo_offered;    /* we sent WILL ECHO and no answer came yet */
	int echo_on;         /* we are the echoing side now */
	unsigned char refused_will[32], refused_do[32]; /* bit per option */
};

void telnet_init(struct telnet *t);
/* The opening offer, IAC WILL BINARY IAC DO BINARY, written to out
 * (TELNET_START_LEN bytes); returns its length.  Only for a peer that
 * may be telnet (a socket), never for a pipe or a terminal. */
size_t telnet_start(struct telnet *t, unsigned char *out);
/* Feeds one byte.  Returns the data byte (0-255), a line key
 * (LINE_KEY_ERASE, LINE_KEY_KILL, LINE_KEY_INTERRUPT, line.h) for
 * IAC EC, EL and IP, or TELNET_NONE when the byte was part of a
 * command.  Reply bytes for the peer, if any, are written to reply
 * (TELNET_REPLY_MAX bytes) and their count to *replylen. */
int telnet_feed(struct telnet *t, unsigned char c, unsigned char *reply,
		size_t *replylen);
/* Whether the peer agreed to send (him) / receive (us) binary. */
int telnet_binary_in(const struct telnet *t);
int telnet_binary_out(const struct telnet *t);
/* The bytes that offer / withdraw our echo (IAC WILL|WONT ECHO), with
 * the state updated.  telnet_will_echo writes 3 bytes to out and
 * returns 3; telnet_wont_echo does the same, or writes nothing and
 * returns 0 when the echo is already off (the peer's DONT turned it
 * off, and RFC 854 forbids announcing a state we are already in). */
size_t telnet_will_echo(struct telnet *t, unsigned char *out);
size_t telnet_wont_echo(struct telnet *t, unsigned char *out);

#endif
