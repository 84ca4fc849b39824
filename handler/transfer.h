/* transfer.h — a data connection of file sharing (issue 16;
 * lib/xferproto.h has the words).  natter-session becomes one when the
 * first line at "ID: " is a XFER_MAGIC request: it claims the token
 * with the broker (XFER), meets the other half of the transfer (the
 * other person's data session: transfer_meet.c), and one of the two
 * relays the bytes between the two sockets (transfer_relay.c).  Nothing
 * is stored: a file goes from one client to the other as it is read,
 * through at most a buffer of it in memory. */
#ifndef NATTER_TRANSFER_H
#define NATTER_TRANSFER_H

#include <stddef.h>
#include <stdint.h>

#include "xferproto.h"

/* A data session lowers its priority by this much (nice(2)). */
#define TRANSFER_NICE 10

/* The claim's outcome (the broker's OK to XFER). */
struct transfer {
	enum xfer_role role;
	unsigned id;
	uint64_t size;
	char key[XFER_TOKEN_LEN + 1];  /* the meeting place's name */
	const char *peer;              /* the client's address, for logs */
};

/* Runs the data connection on fds 0/1 whose request line is line (len
 * bytes).  Returns the exit status (0: done, whatever the outcome,
 * which both clients are told; 111: no broker). */
int transfer_run(const char *broker_path, const char *peer,
		 const char *line, size_t len);

/* How long the first half waits for a connection to its meeting place
 * to send the other half's socket before it drops that connection. */
#define XFER_HAND_MS 1000

/* transfer_meet.c: meets the other half of t in the broker's socket
 * directory.  Returns the other half's socket (this process relays),
 * -2 when the other half took ours (its process relays: we are done),
 * or -1 with why in err. */
int transfer_meet(const char *broker_path, const struct transfer *t,
		  char *err, size_t errlen);

/* transfer_relay.c: "OK SIZE" to both, then the file from the sender
 * to the receiver, its half-close passed on, then the receiver's
 * answer back to the sender.  mine is fd 0/1's role; other the other
 * half's socket (closed here). */
void transfer_relay(const struct transfer *t, int other);

#endif
