/* ctelnet.h — the client's side of telnet (RFC 854, 857).
 *
 * Bytes from the server go through ctelnet_feed: telnet commands are
 * taken out, never shown, and answered.  The client does no options
 * itself but BINARY (RFC 856), which it agrees to both ways when the
 * server asks (its text is UTF-8, 8-bit either way); of the server's
 * other options it accepts only ECHO (RFC 857), which is how a server
 * says "I handle echo": the client then hides what is typed.
 * Answers are given only when the state changes or a request must be
 * refused, so two peers can never loop (RFC 1143's rule). */
#ifndef NATTER_CTELNET_H
#define NATTER_CTELNET_H

#include <stddef.h>

#define TN_IAC 255
#define TN_DONT 254
#define TN_DO 253
#define TN_WONT 252
#define TN_WILL 251
#define TN_SB 250
#define TN_SE 240
#define TN_OPT_BINARY 0
#define TN_OPT_ECHO 1

struct ctelnet {
	int state;       /* where in a command the last byte left us */
	int remote_echo; /* 1 after WILL ECHO was accepted: hide typing */
	int bin_us, bin_him; /* BINARY agreed: we send / the server sends */
};

void ctelnet_init(struct ctelnet *t);
/* Filters len bytes from the server: the data bytes go to text, the
 * answers to send back go to reply.  text needs room for len bytes,
 * reply for len + 2 (an answer is as long as the command it answers,
 * which may have begun in the previous call).  Stores the
 * counts in *ntext and *nreply.  A subnegotiation is skipped without
 * being stored, however long. */
void ctelnet_feed(struct ctelnet *t, const unsigned char *in, size_t len,
		  unsigned char *text, size_t *ntext,
		  unsigned char *reply, size_t *nreply);
/* Copies len data bytes to out doubling each IAC (out needs 2 * len).
 * Returns the bytes stored. */
size_t ctelnet_escape(const unsigned char *in, size_t len,
		      unsigned char *out);

#endif
