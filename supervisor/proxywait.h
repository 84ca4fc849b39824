/* proxywait.h — connections on a listener marked for the PROXY
 * protocol (-l proxy:ADDR:PORT), held by natterd until their header
 * (proxy.h) is in, then admitted under the client's address: the
 * limits, the log and the handler's TCPREMOTEIP/TCPLOCALIP see it.
 *
 * Trust: a header is taken only from a peer on loopback (127.0.0.0/8,
 * ::1), where stunnel or HAProxy in front of natterd connect from; a
 * connection from elsewhere on such a listener is refused, as is one
 * whose header is malformed, longer than PROXY_HEADER_MAX or not
 * complete within PROXY_WAIT_MS: closed with one log line (at most
 * REFUSALS_LOGGED_PER_S a second, the rest counted).  At most
 * PROXY_WAIT_MAX wait at once; more are refused.  Bytes after the
 * header are left in the socket for the handler.  The waiting sockets
 * are polled only while a launcher has room. */
#ifndef NATTERD_PROXYWAIT_H
#define NATTERD_PROXYWAIT_H

#include <poll.h>
#include <sys/socket.h>

#define PROXY_WAIT_MAX 64
#define PROXY_WAIT_MS 5000

/* Admits fd (accepted on listener li) as from peer; local is the
 * address it was made to, or NULL for the socket's own. */
typedef void proxywait_admit_fn(int fd, int li, const struct sockaddr *peer,
				const struct sockaddr *local, long long now);

void proxywait_init(proxywait_admit_fn *admit);
/* Takes fd, accepted on a PROXY listener li from peer (the proxy). */
void proxywait_add(int fd, int li, const struct sockaddr *peer,
		   long long now);
/* The waiting sockets to poll (at most PROXY_WAIT_MAX); how many. */
int proxywait_pollfds(struct pollfd *pfd);
void proxywait_ready(const struct pollfd *pfd, int n, long long now);
/* Milliseconds until the first wait ends (or a count is to be
 * logged), or -1. */
long long proxywait_due(long long now);
/* Refuses the waits that are over; logs an owed count. */
void proxywait_tick(long long now);
/* Closes every waiting socket (natterd stopping, or in a launcher). */
void proxywait_forget(void);
/* No connection waits for its header. */
int proxywait_idle(void);

#endif
